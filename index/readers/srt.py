"""SubRip (``.srt``): subtitles and podcast transcripts.

The ``srt`` package parses the cues tolerantly: comma or dot milliseconds, missing or
out-of-order index numbers (cues are put in time order here), stray blank lines. What
it leaves to us: decoding the bytes (a BOM, UTF-16, Windows code pages, GB2312 — see
``captions.decode_caption_bytes``), the formatting tags players honour (``<i>``, ``<b>``,
``<u>``, ``<font color=…>``, ASS overrides like ``{\\an8}``), and speakers, which SRT has
no field for: a ``Name:`` prefix, usually only when the speaker changes, ``>>``, or
dialogue lines ("- Hello.\n- Hi.": two speakers in one card).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import srt as srt_lib

from transcripts.index.model import Transcript
from transcripts.index.readers.base import ReadError, finish
from transcripts.index.readers.captions import (
    Cue,
    decode_caption_bytes,
    repair_mojibake,
    speaker_parts,
    utterances_from_cues,
)

SOURCE = "SRT"

_TAGS = re.compile(r"</?(?:[ibus]|font|span)\b[^>]*>|\{\\[^}]*\}", re.I)


def parse_srt(text: str, file: str = "", id: str = "") -> Transcript:
    text = text.lstrip("\ufeff")
    try:
        subtitles = list(srt_lib.parse(text))
    except srt_lib.SRTParseError as exc:
        raise ReadError(f"not a SubRip file: {_first_line(str(exc))}") from None
    except (ValueError, OverflowError) as exc:
        raise ReadError(f"unreadable SubRip timing: {exc}") from None
    if not subtitles:
        raise ReadError("not a SubRip file: no cue found")
    subtitles.sort(key=lambda s: s.start)  # index numbers are ignored: players go by time
    cues = []
    for s in subtitles:
        words = html.unescape(_TAGS.sub("", repair_mojibake(s.content)))
        for label, turn, rest in speaker_parts(words):
            cues.append(Cue(s.start.total_seconds(), s.end.total_seconds(), rest, label, turn))
    t = Transcript(id=id, title="")
    t.utterances = utterances_from_cues(cues)
    if not t.utterances:
        raise ReadError("no cue with any text")
    return finish(t, file)


def _first_line(message: str) -> str:
    return message.splitlines()[0][:200] if message else "unreadable"


def read(path: Path, data: bytes | None = None) -> list[Transcript]:
    path = Path(path)
    text = decode_caption_bytes(path.read_bytes() if data is None else data)
    return [parse_srt(text, file=str(path), id=path.stem)]
