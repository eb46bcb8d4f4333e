"""What WebVTT and SRT share: cues with times, speakers named in the text, cues -> turns.

Caption files cut speech into cards of a line or two, so a sentence runs over several
cues; a turn is the run of cues of one speaker. Speakers are named in several ways:

* a voice span (WebVTT ``<v Name>``; read by the WebVTT reader);
* a ``Name:`` prefix, often only when the speaker changes (the name is carried forward);
* ``>>`` (broadcast captions: a new speaker, unnamed), ``>> Name:`` (a new, named one);
* ``[SPEAKER_00]:`` / ``SPEAKER_00:`` from diarisation tools (WhisperX, pyannote).

YouTube's automatic captions repeat the previous line at the top of each cue ("rolling"
captions); with ``rolling`` the repeated lines are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import charset_normalizer

from transcripts.index.model import Utterance
from transcripts.index.readers.base import ReadError

# A turn longer than this (about five minutes of speech) is cut at the next sentence end,
# so that a hit's time still points near its words.
MAX_TURN_CHARS = 4000

_DIARISED = re.compile(r"\[?(SPEAKER[ _]?\d+)\]?\s*:\s*(.*)", re.S)
_CHANGE = re.compile(r">>+\s*(.*)", re.S)
# "Name:" at the start of a cue: letters, apostrophes, dots and hyphens ("Dr. O'Neil-Ray").
# Zoom adds what a participant typed after the name: "Jane Doe (she/her):".
_NAME_PREFIX = re.compile(
    r"([^\W\d_][\w'’.-]*(?: [^\W\d_][\w'’.-]*){0,3}(?: \([^()\n]{1,30}\))?):(?:\s+|$)"
)
_DIALOGUE = re.compile(r"[-‐–—]\s*(?=\S)")
_NAME_PARTICLES = frozenset({"de", "da", "van", "von", "der", "bin", "al", "la", "le", "du"})
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
# Words before a colon that head a remark, never a speaker ("Note: It's 7:03").
NOT_SPEAKERS = frozenset({
    "note", "notes", "nb", "warning", "caution", "example", "update", "summary",
    "subject", "re", "fwd", "ps", "time", "date", "location", "agenda", "meeting",
    "topic", "title", "source", "transcript", "edit", "editor's note", "editors note",
    "translation", "caption", "captions", "music", "sound", "chapter", "part", "step",
    "tip", "reminder", "correction", "disclaimer", "kind", "language", "style",
    # Words that open a sentence before a colon ("So: what now?"), never a speaker alone.
    "yes", "no", "so", "well", "ok", "okay", "now", "and", "but", "or", "here", "there",
    "this", "that", "what", "why", "how", "when", "then", "first", "second", "third",
    "finally", "remember", "look", "listen", "imagine", "result", "results", "rule",
})
# Mojibake: UTF-8 bytes read as Latin-1 and encoded again ("â€”" for "—"). A C1 control
# character (U+0080-U+009F) never occurs in real text, so a run holding one is repaired.
_MOJIBAKE = re.compile(r"[\u00c2-\u00f4][\u0080-\u00bf]{1,3}")
_C1 = re.compile(r"[\u0080-\u009f]")


@dataclass
class Cue:
    start: float
    end: float
    text: str  # the words; caption lines separated by newlines
    label: str | None = None  # the speaker named on this cue
    turn: bool = False  # a new turn starts here (a name, a voice or ">>")


def decode_caption_bytes(data: bytes) -> str:
    """Caption files come in every encoding: BOMs, UTF-16, Windows code pages, GB2312.

    A BOM decides; then strict UTF-8; then charset-normalizer detects (it tells GB2312
    from cp1252 by the byte statistics). Nothing detectable is a ReadError, never a
    silent Latin-1 reading.
    """
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ReadError("not text: no character encoding fits the bytes")
    return str(best)


def repair_mojibake(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        run = m.group()
        try:
            return run.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return run

    return _MOJIBAKE.sub(fix, text) if _C1.search(text) else text


def clean_line(text: str) -> str:
    """Spaces as a reader sees them: no-break spaces plain, bidi marks and BOMs gone."""
    text = text.replace("\xa0", " ").replace("\u200e", "").replace("\u200f", "")
    text = text.replace("\ufeff", "")
    return " ".join(text.split())


def split_speaker(text: str) -> tuple[str | None, bool, str]:
    """(label, new turn, rest) for a cue's text: a ``Name:``, ``>>`` or diarised prefix."""
    stripped = text.lstrip()
    m = _CHANGE.match(stripped)
    if m:
        label, _, rest = split_speaker(m.group(1))
        return label, True, rest
    m = _DIARISED.fullmatch(stripped)
    if m:
        return m.group(1).replace(" ", "_"), True, m.group(2)
    m = _NAME_PREFIX.match(stripped)
    if m and _is_caption_speaker(m.group(1)):
        return m.group(1), True, stripped[m.end() :]
    return None, False, text


def speaker_parts(text: str) -> list[tuple[str | None, bool, str]]:
    """``split_speaker`` for each speaker in a cue: subtitles put two in one card as
    dialogue lines ("- Hello.\n- Hi there."), each a turn of its own."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) >= 2 and all(_DIALOGUE.match(line) for line in lines):
        parts = []
        for line in lines:
            label, _, rest = split_speaker(_DIALOGUE.sub("", line, count=1))
            parts.append((label, True, rest))
        return parts
    return [split_speaker(text)]


def _is_caption_speaker(label: str) -> bool:
    """A name of one to four capitalised words, not a heading like "Note" or "Chapter 2"."""
    words = re.sub(r" \(.*\)$", "", label).split()
    return (
        len(words) <= 4
        and label.casefold() not in NOT_SPEAKERS
        and words[0].casefold() not in NOT_SPEAKERS
        and all(w[:1].isupper() or w.casefold() in _NAME_PARTICLES for w in words)
        and words[-1][:1].isupper()
    )


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def utterances_from_cues(cues: list[Cue], rolling: bool = False) -> list[Utterance]:
    """Consecutive cues of one speaker -> one utterance with the first start, last end.

    A cue that names nobody continues the speaker before it (captions name a speaker
    when it changes). Cues of two speakers stay two utterances even when their times
    overlap. A very long turn is cut at a sentence end after ``MAX_TURN_CHARS``.
    """
    out: list[Utterance] = []
    pieces: list[str] = []
    label: str | None = None
    recent: list[str] = []  # the last lines kept, to drop rolling repeats

    size = 0  # characters in ``pieces``

    def close() -> None:
        nonlocal size
        if out and pieces:
            out[-1].text = " ".join(pieces)
        pieces.clear()
        size = 0

    for cue in cues:
        lines = [clean_line(line) for line in cue.text.split("\n")]
        lines = [line for line in lines if line]
        if rolling:
            lines = _drop_repeats(lines, recent)
        if not lines and not cue.turn:
            if out and out[-1].end is not None:  # a repeat: the words stay on screen longer
                out[-1].end = max(out[-1].end, cue.end)
            continue
        new_label = cue.label if cue.turn else label
        starts_turn = (
            not out
            or new_label != label
            or (cue.turn and cue.label is None)
            or (size > MAX_TURN_CHARS and _ends_sentence(pieces[-1]))
        )
        if starts_turn:
            close()
            label = new_label
            out.append(Utterance(position=len(out) + 1, text="", label=label, start=cue.start))
        u = out[-1]
        pieces.extend(lines)
        size += sum(map(len, lines))
        u.end = cue.end if u.end is None else max(u.end, cue.end)
        recent.extend(lines)
        del recent[:-4]
    close()
    return [u for u in out if u.text or u.label]


def _drop_repeats(lines: list[str], recent: list[str]) -> list[str]:
    """Lines at the top of a cue that repeat the last lines shown are not new words."""
    for k in range(min(len(lines), len(recent)), 0, -1):
        if lines[:k] == recent[-k:]:
            return lines[k:]
    return lines
