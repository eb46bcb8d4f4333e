"""Every utterance a search matches, as CSV or JSON Lines, streamed a batch at a time.

The rows are exactly the documents of ``engine.select`` (query and every filter), so an
export always has as many rows as the search has hits (the page documents — a
transcript's title and summary — included), up to ``MAX_ROWS``. Past the limit the file
says so in a last row (CSV) or line (JSON Lines) instead of stopping silently.

CSV follows RFC 4180 (the csv module's excel dialect: CRLF line ends, fields with
quotes, commas or line breaks quoted, quotes doubled) and is made safe to open in a
spreadsheet: a text cell that begins with ``= + - @``, a tab or a carriage return is
prefixed with ``'`` so it is read as text, never as a formula. ``bom`` adds a UTF-8
byte-order mark, which Excel needs to read UTF-8 (LibreOffice reads it either way).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import numpy as np

from transcripts.search.engine import (
    Generation,
    TranscriptIndex,
    select,
    translations_in,  # on the plan's generation, not current
)
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MAX_ROWS = 100_000
FORMATS = ("csv", "jsonl")
SORTS = ("oldest", "newest", "relevance")  # oldest: by date, then place in the transcript
BATCH = 500  # rows per chunk handed to the server
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
_PATH_SAFE = "!$&'()*+,:;=@"  # what Werkzeug leaves unquoted in a path segment


@dataclass
class ExportRow:
    transcript_id: str
    title: str
    date: str  # ISO; the publication date where the page shows no event date
    position: int  # 0 is the page's title and summary
    kind: str  # page | turn | narrative
    speaker: str  # canonical name; "" for narrative and the page
    role: str
    label: str  # the speaker label as printed
    note: str  # "retranslated" and the like
    text: str
    permalink: str
    source_url: str  # the original page
    # Last, so the columns before them keep their places in files read by position.
    language: str  # ISO 639-1: the utterance's own where it differs, else its transcript's
    party: str  # the speaker's party or group that day, where the source says
    anchor: str  # its id in the source: the twin in a translation has the same one
    translation_of: str  # the id of the transcript this one translates ("" for originals)
    translations: str  # the ids of the transcripts that translate this one, ";"-joined


COLUMNS = [f.name for f in fields(ExportRow)]


def permalink_path(transcript_id: str, position: int) -> str:
    """The site's address of an utterance (``web`` routes /t/<id>, anchors #u<position>;
    a web test checks the two agree)."""
    return f"/t/{quote(transcript_id, safe=_PATH_SAFE)}#u{position}"


@dataclass
class ExportPlan:
    """Which documents go out, in order; decided before the first byte is sent."""

    gen: Generation
    docs: np.ndarray  # document numbers, in export order, at most ``limit``
    total: int  # documents the search matches
    limit: int

    @property
    def rows(self) -> int:
        return len(self.docs)

    @property
    def truncated(self) -> bool:
        return self.total > self.rows

    def note(self) -> str:
        return truncation_note(self.rows, self.total, self.limit)

    def export_rows(self, permalink: Callable[[str, int], str] = permalink_path
                    ) -> Iterator[ExportRow]:
        return export_rows(self, permalink)


def truncation_note(rows: int, total: int, limit: int) -> str:
    """What a truncated file says about itself (empty when it is complete)."""
    if total <= rows:
        return ""
    return (
        f"TRUNCATED: this export holds the first {rows:,} of {total:,} matching "
        f"utterances (limit {limit:,}). Narrow the search (filters, dates) to export "
        "the rest."
    )


def check_export(sort: str, limit: int) -> None:
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)} (got '{sort}').")
    if not 1 <= limit <= MAX_ROWS:
        raise QueryError(f"limit must be between 1 and {MAX_ROWS:,}.")


def plan_export(
    index: TranscriptIndex, req: SearchRequest, sort: str = SORTS[0], limit: int = MAX_ROWS
) -> ExportPlan:
    check_export(sort, limit)
    selection = select(index, req)
    gen, table = selection.gen, selection.gen.table
    docs = np.flatnonzero(selection.mask)
    day = table.tid_day[table.tid[docs]]
    by_date = (table.pos[docs], table.tid[docs])
    if sort == "relevance" and len(selection.scores):
        order = np.lexsort((*by_date, day, -selection.scores[docs]))
    elif sort == "newest":
        order = np.lexsort((*by_date, -day))
    else:
        order = np.lexsort((*by_date, day))
    return ExportPlan(gen, docs[order][:limit], total=len(docs), limit=limit)


def export_rows(
    plan: ExportPlan, permalink: Callable[[str, int], str] = permalink_path
) -> Iterator[ExportRow]:
    """The rows, read from the stored fields one document at a time."""
    gen, table = plan.gen, plan.gen.table
    searcher = gen.searcher()
    translated: dict[str, list[str]] = {}  # per transcript: rows come many a transcript
    for doc in plan.docs.tolist():
        t = int(table.tid[doc])
        tid = table.tids[t]
        if tid not in translated:
            if len(translated) > 10_000:
                translated.clear()
            translated[tid] = translations_in(gen, tid)
        yield export_row(tid, int(table.pos[doc]), searcher.stored_fields(doc),
                         gen.meta(searcher, t), permalink, translated[tid])


def export_row(tid: str, position: int, stored: dict[str, Any], meta: dict[str, Any],
               permalink: Callable[[str, int], str], translations: list[str] | None = None,
               ) -> ExportRow:
    """One utterance's row from its stored fields and its transcript's metadata (both
    backends store them alike; OpenSearch's role as shown is ``role_shown``), and the
    ids of the transcripts that translate it."""
    return ExportRow(
        transcript_id=tid,
        title=meta.get("title", ""),
        date=meta.get("effective_date", ""),
        position=position,
        kind=stored.get("kind", ""),
        speaker=stored.get("speaker") or "",
        role=stored.get("role_shown", stored.get("role")) or "",
        label=stored.get("label") or "",
        note=stored.get("note") or "",
        text=stored.get("body", ""),
        permalink=permalink(tid, position),
        source_url=meta.get("url", ""),
        language=stored.get("lang") or meta.get("language") or "",
        party=stored.get("party") or "",
        anchor=stored.get("anchor") or "",
        translation_of=meta.get("translation_of") or "",
        translations=";".join(translations or []),
    )


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet would take for a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(
    rows: Iterator[Any], columns: list[str], note: str = "", bom: bool = False
) -> Iterator[str]:
    """CSV text in chunks of ``BATCH`` rows: the header, the rows (dataclasses or
    tuples), then ``note`` alone in the first column of a last row when it is set."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # excel dialect: RFC 4180 quoting, CRLF line ends
    if bom:
        buffer.write(BOM)
    writer.writerow(columns)
    for n, row in enumerate(rows, start=1):
        values = astuple(row) if hasattr(row, "__dataclass_fields__") else row
        writer.writerow([safe_cell(v) for v in values])
        if n % BATCH == 0:
            yield _drain(buffer)
    if note:
        writer.writerow([safe_cell(note)] + [""] * (len(columns) - 1))
    yield _drain(buffer)


def jsonl_chunks(rows: Iterator[Any], note: dict[str, Any] | None = None) -> Iterator[str]:
    """One JSON object a line; ``note`` (a dict with "truncated") as the last line."""
    batch: list[str] = []
    for row in rows:
        data = row if isinstance(row, dict) else _as_dict(row)
        batch.append(json.dumps(data, ensure_ascii=False))
        if len(batch) == BATCH:
            yield "\n".join(batch) + "\n"
            batch = []
    if note:
        batch.append(json.dumps(note, ensure_ascii=False))
    if batch:
        yield "\n".join(batch) + "\n"


def _as_dict(row: DataclassInstance) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in fields(row)}


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def truncation_record(
    plan_rows: int, total: int, limit: int, message: str
) -> dict[str, Any] | None:
    """The last JSON line of a truncated export (None when nothing was left out)."""
    if total <= plan_rows:
        return None
    return {
        "truncated": True,
        "exported": plan_rows,
        "total": total,
        "limit": limit,
        "message": message,
    }


class Plan(Protocol):
    """What ``export_chunks`` reads of a plan: ``ExportPlan`` or the OpenSearch backend's."""

    @property
    def rows(self) -> int: ...

    @property
    def total(self) -> int: ...

    @property
    def limit(self) -> int: ...

    def note(self) -> str: ...

    def export_rows(
        self, permalink: Callable[[str, int], str] = ...
    ) -> Iterator[ExportRow]: ...


def export_chunks(
    plan: Plan,
    fmt: str,
    bom: bool = False,
    permalink: Callable[[str, int], str] = permalink_path,
) -> Iterator[str]:
    """The whole export file, a chunk at a time (``plan``: this module's ``ExportPlan`` or
    the OpenSearch backend's, which streams its rows from the cluster)."""
    if fmt not in FORMATS:
        raise QueryError(f"format must be one of {', '.join(FORMATS)} (got '{fmt}').")
    rows = plan.export_rows(permalink)
    if fmt == "csv":
        return csv_chunks(rows, COLUMNS, plan.note(), bom)
    return jsonl_chunks(rows, truncation_record(plan.rows, plan.total, plan.limit, plan.note()))
