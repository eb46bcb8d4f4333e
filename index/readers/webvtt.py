"""WebVTT (``.vtt``): meeting recordings (Teams, Zoom), video and podcast captions.

webvtt-py reads the file's structure: the header, cue timings (also Teams' short
``0:0:0.570`` form), cue ids and settings, ``NOTE``/``STYLE``/``REGION`` blocks, CRLF
or CR line ends; it skips a malformed cue rather than failing the file. Its ``text`` drops
every tag, the voice included, and leaves entities encoded, so the cue text is read here
(``cue_segments``): voices ``<v Name>`` closed or not, with classes (``<v.loud Joe>``),
several in one cue; other tags and inline word timings dropped; character references
decoded as HTML does (``&amp`` without its semicolon too). Speakers not given as voices
are found in the text (``captions.split_speaker``), consecutive cues of one speaker join
into one utterance, and YouTube's rolling lines are dropped (``captions``).

A ``Language:`` line in the header (YouTube writes ``Kind: captions`` and ``Language:
en``; not in the WebVTT standard, but widespread) states the transcript's language.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import webvtt
from webvtt.errors import MalformedFileError

from transcripts.index import language
from transcripts.index.model import Transcript
from transcripts.index.readers.base import ReadError, finish
from transcripts.index.readers.captions import (
    Cue,
    decode_caption_bytes,
    repair_mojibake,
    speaker_parts,
    utterances_from_cues,
)

SOURCE = "WebVTT"

# A tag runs from "<" to ">" or to the end of the cue (the spec's tokenizer).
_TAG = re.compile(r"<([^>]*)(?:>|$)", re.S)
_VOICE = re.compile(r"v(?:\.[^\s>]*)?(?:[ \t\n]+(.*))?", re.S)
_TIMESTAMP = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?")
_INLINE_TIME = re.compile(r"<\d+:\d+")
_LANGUAGE = re.compile(r"language[ \t]*:[ \t]*(\S.*)", re.I)


def seconds(stamp: str) -> float:
    m = _TIMESTAMP.fullmatch(stamp.strip())
    if not m:
        raise ReadError(f"bad timestamp {stamp!r}")
    h, mnt, s, frac = m.groups()
    return int(h or 0) * 3600 + int(mnt) * 60 + int(s) + int((frac or "0").ljust(3, "0")) / 1000


def cue_segments(raw: str) -> list[tuple[str | None, bool, str]]:
    """(voice, voiced, text) runs of one cue's text, tags removed and entities decoded.

    ``voiced`` tells a run inside a ``<v>`` span (whose name may be empty) from text
    outside any. Voices end at ``</v>``, at the next ``<v>`` or with the cue.
    """
    segments: list[tuple[str | None, bool, str]] = []
    voice: str | None = None
    voiced = False
    pos = 0
    buf: list[str] = []

    def flush() -> None:
        text = html.unescape("".join(buf))
        if text.strip():
            segments.append((voice, voiced, text))
        buf.clear()

    for m in _TAG.finditer(raw):
        buf.append(raw[pos : m.start()])
        pos = m.end()
        tag = m.group(1).strip()
        v = _VOICE.fullmatch(tag)
        if v:
            flush()
            voice = " ".join(html.unescape(v.group(1) or "").split()) or None
            voiced = True
        elif tag.startswith("/v") and tag[2:].strip() == "":
            flush()
            voice, voiced = None, False
    buf.append(raw[pos:])
    flush()
    return segments


def header_language(text: str) -> str:
    """The ISO 639-1 code a ``Language:`` line of the header states; "" if none we know.

    The header runs from ``WEBVTT`` to the first blank line; a cue's text is never read
    here, so a caption saying "Language: French" states nothing.
    """
    for line in text.split("\n\n", 1)[0].split("\n")[1:]:
        if m := _LANGUAGE.fullmatch(line.strip()):
            return language.code(m.group(1))
    return ""


def parse_vtt(text: str, file: str = "", id: str = "") -> Transcript:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    try:
        captions = webvtt.from_string(text).captions
    except MalformedFileError as exc:
        raise ReadError(f"not a WebVTT file: {exc}") from None
    except (ValueError, IndexError, TypeError, AttributeError) as exc:
        raise ReadError(f"unreadable WebVTT: {exc}") from None
    header = text[:500].split("\n\n", 1)[0]
    rolling = "Kind:" in header or any(_INLINE_TIME.search(c.raw_text) for c in captions)
    cues: list[Cue] = []
    for c in captions:
        start, end = seconds(c.start), seconds(c.end)
        segments = cue_segments(repair_mojibake(c.raw_text))
        has_voices = any(voiced for _, voiced, _ in segments)
        for voice, _voiced, words in segments:
            if voice:
                cues.append(Cue(start, end, words, voice, True))
                continue
            for label, turn, rest in speaker_parts(words):
                # Text in an unnamed <v>, or beside a voice in the same cue, is nobody's.
                cues.append(Cue(start, end, rest, label, turn or has_voices))
    t = Transcript(id=id, title="", language=header_language(text))
    t.utterances = utterances_from_cues(cues, rolling=rolling)
    if not t.utterances:
        raise ReadError("no cue with any text")
    return finish(t, file)


def read(path: Path, data: bytes | None = None) -> list[Transcript]:
    path = Path(path)
    text = decode_caption_bytes(path.read_bytes() if data is None else data)
    return [parse_vtt(text, file=str(path), id=path.stem)]
