"""A page of the US Congressional Record (``.htm``/``.html`` from govinfo/GPO).

The text sits in one ``<pre>``, hard-wrapped: a paragraph starts with two spaces, and a
turn with its speaker and a full stop ("  Mr. BURNS. Mr. President, ...", "  The
PRESIDENT pro tempore. Without objection, ..."). Bracketed lines at the top name the
volume, chamber and page; a centred line in capitals is a heading.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

from transcripts.index.model import Transcript, Utterance
from transcripts.index.readers.base import ReadError, decode_bytes, finish

SOURCE = "Congressional Record"
LICENCE = "public domain (US government work)"
ATTRIBUTION = "Congressional Record, US Government Publishing Office (govinfo.gov)"
LANGUAGE = "en"  # the record of the US Congress is English: never detected

_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S | re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_DATE = re.compile(r"\((?:\w+day, )?(\w+ \d{1,2}, \d{4})\)")
_SPEAKER = re.compile(
    r"  ((?:Mr|Mrs|Ms|Miss|Dr)\. [A-Z][A-Za-z'-]*[A-Z](?: of [A-Z][a-z]+(?: [A-Z][a-z]+)?)?"
    r"|The (?:ACTING )?(?:PRESIDING OFFICER|PRESIDENT(?: pro tempore)?|VICE PRESIDENT"
    r"|SPEAKER(?: pro tempore)?|CHAIRMAN|CHAIR|CLERK)(?: \([^)]{1,60}\))?)\. (.*)"
)
_HEADING = re.compile(r" {8,}([A-Z0-9][A-Z0-9 ,.'&;:-]{2,})")


def is_congressional_record(text: str) -> bool:
    head = text[:2000]
    return "Congressional Record" in head and bool(_PRE.search(text))


def parse_record(text: str, file: str = "", id: str = "") -> Transcript:
    pre = _PRE.search(text)
    if not pre:
        raise ReadError("not a Congressional Record page: no <pre> text")
    title_m = _TITLE.search(text)
    title = html.unescape(_TAG.sub("", title_m.group(1))).strip() if title_m else ""
    body = html.unescape(_TAG.sub("", pre.group(1)))
    date = ""
    if d := _DATE.search(title):
        try:
            date = dt.datetime.strptime(d.group(1), "%B %d, %Y").date().isoformat()
        except ValueError:
            date = ""
    headings: list[str] = []
    sections: list[str] = []
    utterances: list[Utterance] = []
    paragraph_open = False
    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip() or set(line.strip()) <= {"_", "-", "*"}:
            paragraph_open = False if not line.strip() else paragraph_open
            continue
        if line.startswith("[") and not utterances:
            inner = line.strip("[] ")
            if inner in ("Senate", "House", "House of Representatives", "Extensions of Remarks"):
                sections.append(inner)
            continue
        if h := _HEADING.fullmatch(line):
            headings.append(h.group(1).strip())
            paragraph_open = False
            continue
        if m := _SPEAKER.fullmatch(line):
            utterances.append(Utterance(position=0, text=m.group(2).strip(), label=m.group(1)))
            paragraph_open = True
            continue
        if "From the Congressional Record Online" in line:
            continue
        if not utterances:
            utterances.append(Utterance(position=0, text=""))
        u = utterances[-1]
        words = line.strip()
        if line.startswith("  ") or not paragraph_open or not u.text:
            u.text = f"{u.text}\n{words}" if u.text else words
        else:
            u.text = f"{u.text} {words}"
        paragraph_open = True
    utterances = [u for u in utterances if u.text or u.label]
    if not utterances:
        raise ReadError("not a Congressional Record page: no text in <pre>")
    t = Transcript(
        id=id,
        title=title or "Congressional Record",
        lead=" · ".join(headings),
        date=date,
        sections=sections,
        utterances=utterances,
    )
    t.source, t.licence, t.attribution = SOURCE, LICENCE, ATTRIBUTION
    t.language = LANGUAGE
    return finish(t, file)


def read(path: Path, data: bytes | None = None) -> list[Transcript]:
    path = Path(path)
    text = decode_bytes(path.read_bytes() if data is None else data)
    return [parse_record(text, file=str(path), id=path.stem)]
