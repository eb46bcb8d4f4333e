"""Plain text (``.txt`` that is not the Kremlin layout): interviews, hearings, meetings.

Two layouts:

* **"LABEL: text" turns**, as news and court transcripts print them ("ANDERSON COOPER,
  CNN ANCHOR: ...", later "COOPER: ..."). A line opening with a speaker label starts a
  turn; lines without one continue it (hard-wrapped lines within a paragraph join,
  blank lines separate paragraphs). Lines that are only a bracketed remark —
  ``(APPLAUSE)``, ``[LAUGHTER]``, ``(CROSSTALK)`` — are notes on the turn, never speech.
  Labels are recognised by the Kremlin text reader's rules (``split_label``: a short
  capitalised name, optionally with a role after a comma, never a sentence) plus
  guards for what only plain files have: "Note: It's 7:03", "10:30 Meeting:", headings
  like "Agenda:". A surname used alone after the full name ("COOPER") is the same
  speaker (``index.speakers``).
* **Zoom's text export**: ``[Name] hh:mm:ss`` on a line, the words below it. Entries of
  one speaker in a row join; times count from the first entry (the clock time of the
  first entry is the transcript's time).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from transcripts.index.model import Transcript, Utterance
from transcripts.index.readers.base import ReadError, decode_bytes, finish
from transcripts.index.readers.captions import NOT_SPEAKERS
from transcripts.index.readers.kremlin_text import split_label

SOURCE = "text"
ZOOM_SOURCE = "Zoom"

ZOOM_ENTRY = re.compile(r"\[([^\]\n]{1,100})\]\s+(\d{1,2}):(\d{2}):(\d{2})")
_REMARK = re.compile(r"[(\[]\s*([^()\[\]]{1,80}?)\s*[)\]]")
_MAX_LABEL_WORDS = 8


def is_zoom(text: str) -> bool:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return bool(ZOOM_ENTRY.fullmatch(first))


def _label(line: str, seen: set[str]) -> tuple[str, str, str] | None:
    hit = split_label(line, seen)
    if not hit:
        return None
    label = hit[0]
    name = label.split(",")[0]
    if (
        label.casefold() in NOT_SPEAKERS
        or name.casefold() in NOT_SPEAKERS
        or len(label.split()) > _MAX_LABEL_WORDS
        or any(c.isdigit() for c in name)
    ):
        return None
    return hit


def parse_plain(text: str, file: str = "", id: str = "") -> Transcript:
    lines = text.splitlines()
    one_per_line = not any(not line.strip() for line in lines)
    blocks: list[tuple[str | None, str, list[str], list[str]]] = []  # label, note, paras, remarks
    seen: set[str] = set()
    current: tuple[str | None, str, list[str], list[str]] | None = None
    joining = False  # the next line continues the last paragraph (a hard wrap)
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            joining = False
            continue
        remark = _REMARK.fullmatch(line)
        if remark:
            if current is None or current[0] is None:
                current = (None, "", [], [])
                blocks.append(current)
                current[2].append(line)
            else:
                current[3].append(remark.group(1))
            joining = False
            continue
        hit = _label(line, seen)
        if hit:
            label, note, rest = hit
            seen.add(label)
            current = (label, note, [rest] if rest else [], [])
            blocks.append(current)
            joining = bool(rest) and not one_per_line
            continue
        if current is None:
            current = (None, "", [], [])
            blocks.append(current)
        if joining and current[2]:
            current[2][-1] += " " + line
        else:
            current[2].append(line)
        joining = not one_per_line
    utterances = []
    for block_label, note, paragraphs, remarks in blocks:
        body = "\n".join(p for p in paragraphs if p)
        if not body and block_label is None:
            continue
        notes = "; ".join(x for x in (note, *remarks) if x)
        utterances.append(Utterance(position=0, text=body, label=block_label, note=notes))
    if not utterances:
        raise ReadError("not a transcript: no text (no 'Events' heading, no speaker turns)")
    t = Transcript(id=id, title="", utterances=utterances)
    t.source = SOURCE
    return finish(t, file)


def parse_zoom(text: str, file: str = "", id: str = "") -> Transcript:
    utterances: list[Utterance] = []
    first: int | None = None
    time_of_day = ""
    label: str | None = None
    words: list[str] = []

    def close() -> None:
        if utterances and words:
            joined = " ".join(words)
            u = utterances[-1]
            u.text = f"{u.text} {joined}" if u.text else joined
        words.clear()

    for raw in text.splitlines():
        line = " ".join(raw.split())
        m = ZOOM_ENTRY.fullmatch(line)
        if m:
            close()
            name = m.group(1).strip()
            h, mi, s = (int(x) for x in m.group(2, 3, 4))
            clock = h * 3600 + mi * 60 + s
            if first is None:
                first, time_of_day = clock, f"{h:02d}:{mi:02d}"
            at = float((clock - first) % 86400)
            if not utterances or name != label:
                utterances.append(Utterance(position=0, text="", label=name, start=at, end=at))
                label = name
            utterances[-1].end = at
        elif line and utterances:
            words.append(line)
    close()
    if not utterances:
        raise ReadError("not a Zoom transcript: no [Name] hh:mm:ss entry")
    for u, following in itertools.pairwise(utterances):
        u.end = following.start  # Zoom gives when a turn starts; it lasts until the next
    t = Transcript(id=id, title="", time=time_of_day, utterances=utterances)
    t.source = ZOOM_SOURCE
    return finish(t, file)


def parse(text: str, file: str = "", id: str = "") -> Transcript:
    if text.count("\ufffd") * 10 > len(text.strip()):
        raise ReadError("not text: most of it is bytes no encoding reads")
    return parse_zoom(text, file, id) if is_zoom(text) else parse_plain(text, file, id)


def read(path: Path, data: bytes | None = None) -> list[Transcript]:
    path = Path(path)
    text = decode_bytes(path.read_bytes() if data is None else data)
    return [parse(text, file=str(path), id=path.stem)]
