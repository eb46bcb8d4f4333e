"""How often a query is used over time: hits per million words, bucket by bucket.

For each query (up to four, compared side by side) and the request's filters:

* **hits** in a bucket: the query's occurrences (``search.hits``) in the utterances of
  that bucket that match the query and every filter;
* **words**: the words (``schema.word_count``) of every document that passes the same
  filters in that bucket, whatever the query — so with ``speaker=Vladimir Putin`` the
  rate is per million words Putin spoke that year. Page documents (title and lead) are
  counted on both sides: a query can match them, so their words are part of the base;
* **rate** = hits / words × 1,000,000, with a 95 % Wilson score interval (each word a
  trial, ``search.tables.wilson``);
* **transcripts**: transcripts with at least one matching utterance in the bucket, out
  of **all transcripts** with a document passing the filters; their share has a Wilson
  interval too (the second mode of the chart).

Buckets are years, or months when the date range is three years or less; a bucket the
range (or the index's dates) covers only in part is marked ``partial``, one with fewer
than 10,000 words ``sparse``. Undated documents are left out and counted. No smoothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from transcripts.index.documents import EPOCH
from transcripts.search.engine import TranscriptIndex, counted_once, select
from transcripts.search.hits import hit_counts, positive_leaves
from transcripts.search.query import ParsedQuery, QueryError
from transcripts.search.results import SearchRequest
from transcripts.search.tables import analysis_tables, wilson

MAX_QUERIES = 4
BUCKETS = ("year", "month")
MONTHS_UP_TO_DAYS = 3 * 366  # a date range this short or shorter is shown by month
SPARSE_WORDS = 10_000
PER_WORDS = 1_000_000


@dataclass
class Bucket:
    label: str  # "2019" or "2019-03"
    start: str  # ISO dates, inclusive
    end: str
    hits: int
    words: int
    transcripts: int  # with a matching utterance
    all_transcripts: int  # with any document passing the filters
    rate: float | None  # hits per million words (None: no words)
    low: float | None  # 95 % Wilson interval of the rate
    high: float | None
    share: float | None  # transcripts / all_transcripts, 0..1
    share_low: float | None
    share_high: float | None
    partial: bool  # the range covers only part of the bucket
    sparse: bool  # under SPARSE_WORDS words: read the rate with care


@dataclass
class Series:
    query: str
    hits: int
    words: int
    transcripts: int
    all_transcripts: int
    rate: float | None
    buckets: list[Bucket]
    notes: list[str] = field(default_factory=list)


@dataclass
class Trends:
    request: SearchRequest  # the filters (its q is unused: see queries)
    queries: list[str]
    bucket: str  # year | month
    series: list[Series]
    undated_words: int  # words of documents passing the filters that have no date

    def to_dict(self) -> dict[str, Any]:
        req = self.request
        return {
            "queries": self.queries,
            "filters": {
                **req.filters(),
                "from": req.date_from.isoformat() if req.date_from else None,
                "to": req.date_to.isoformat() if req.date_to else None,
            },
            "bucket": self.bucket,
            "rate_unit": "hits per million words",
            "interval": "95% Wilson score interval",
            "undated_words": self.undated_words,
            "series": [asdict(s) for s in self.series],
        }


def check_queries(queries: list[str]) -> list[str]:
    queries = [q.strip() for q in queries]
    if len(queries) > MAX_QUERIES:
        raise QueryError(f"At most {MAX_QUERIES} queries can be compared (got {len(queries)}).")
    kept = list(dict.fromkeys(q for q in queries if q))
    return kept or [""]


def trends(index: TranscriptIndex, req: SearchRequest, queries: list[str],
           bucket: str | None = None) -> Trends:
    """The series of every query over the same buckets (see the module docstring)."""
    queries = check_queries(queries)
    if bucket is not None and bucket not in BUCKETS:
        raise QueryError(f"bucket must be one of {', '.join(BUCKETS)} (got '{bucket}').")
    selections = [select(index, dataclasses.replace(req, q=q)) for q in queries]
    gen = selections[0].gen
    keep = counted_once(gen, req, selections)  # one corpus for every series
    if keep is not None:
        selections = [dataclasses.replace(s, mask=s.mask & keep, filtered=s.filtered & keep)
                      for s in selections]
    table = gen.table
    tables = analysis_tables(gen)
    filtered = selections[0].filtered
    dated = filtered & (table.day > 0)
    undated_words = int(table.words[filtered & (table.day <= 0)].sum())

    # The range asked for, within the dates the index has: no run of empty years before
    # the first transcript; a bucket the index covers only in part is marked partial.
    lo_day = max(tables.first_day, day_of(req.date_from))
    hi_day = min(tables.last_day, day_of(req.date_to) or tables.last_day)
    if bucket is None:
        bucket = "month" if hi_day - lo_day <= MONTHS_UP_TO_DAYS else "year"
    if hi_day < lo_day or not tables.first_day:
        spans: list[tuple[int, dt.date, dt.date]] = []
    else:
        spans = spans_of(date_of(lo_day), date_of(hi_day), bucket)
    key = np.where(tables.month >= 0, tables.month // 12, -1) if bucket == "year" else tables.month
    first_key = spans[0][0] if spans else 0
    n = len(spans)
    slot = np.where(key >= 0, key - first_key, -1)
    in_range = dated & (slot >= 0) & (slot < n)

    words = np.bincount(slot[in_range], weights=table.words[in_range], minlength=n)
    all_tr = _distinct_transcripts(slot, table.tid, in_range, n)
    out = []
    for q, sel in zip(queries, selections, strict=True):
        hits_doc = hit_counts(sel)
        matched = sel.mask & in_range
        hits = np.bincount(slot[matched], weights=hits_doc[matched], minlength=n)
        tr = _distinct_transcripts(slot, table.tid, matched, n)
        out.append(series(q, spans, hits, words, tr, all_tr, lo_day, hi_day, sel.parsed))
    return Trends(req, queries, bucket, out, undated_words)


def series(
    q: str, spans: list[tuple[int, dt.date, dt.date]], hits: np.ndarray, words: np.ndarray,
    tr: np.ndarray, all_tr: np.ndarray, lo_day: int, hi_day: int, parsed: ParsedQuery,
) -> Series:
    """One query's series from its per-bucket counts (both backends count, this shapes)."""
    low, high = wilson(hits, words)
    s_low, s_high = wilson(tr, all_tr)
    buckets = []
    counted = bool(q)
    for i, (_, start, end) in enumerate(spans):
        w = int(words[i])
        has_words = w > 0 and counted
        has_tr = all_tr[i] > 0
        buckets.append(Bucket(
            label=str(start.year) if (end - start).days > 31 else f"{start:%Y-%m}",
            start=start.isoformat(),
            end=end.isoformat(),
            hits=int(hits[i]),
            words=w,
            transcripts=int(tr[i]),
            all_transcripts=int(all_tr[i]),
            rate=_per(hits[i] / w) if has_words else None,
            low=_per(low[i]) if has_words else None,
            high=_per(high[i]) if has_words else None,
            share=round(tr[i] / all_tr[i], 6) if has_tr else None,
            share_low=round(float(s_low[i]), 6) if has_tr else None,
            share_high=round(float(s_high[i]), 6) if has_tr else None,
            partial=day_of(start) < lo_day or day_of(end) > hi_day,
            sparse=w < SPARSE_WORDS,
        ))
    total_hits, total_words = int(hits.sum()), int(words.sum())
    notes = list(parsed.notes)
    if not q:
        notes.append("No query: the words and transcripts that pass the filters are shown.")
    elif parsed.query is not None and not positive_leaves(parsed.query):
        notes.append(f"“{q}” names no words to count (only tags such as speaker:), so it has "
                     "no hits: use the filters for tags, and words in the query.")
    return Series(
        query=q,
        hits=total_hits,
        words=total_words,
        transcripts=sum(b.transcripts for b in buckets),
        all_transcripts=sum(b.all_transcripts for b in buckets),
        rate=_per(total_hits / total_words) if total_words and q else None,
        buckets=buckets,
        notes=notes,
    )


def _per(p: float) -> float:
    return round(float(p) * PER_WORDS, 3)


def _distinct_transcripts(
    slot: np.ndarray, tid: np.ndarray, mask: np.ndarray, n: int
) -> np.ndarray:
    """Transcripts with a document in ``mask``, per bucket (a transcript is in one bucket)."""
    docs = np.flatnonzero(mask)
    if not len(docs):
        return np.zeros(n, dtype=np.int64)
    pairs = np.unique(slot[docs].astype(np.int64) * (int(tid.max()) + 1) + tid[docs])
    return np.bincount(pairs // (int(tid.max()) + 1), minlength=n)


def spans_of(lo: dt.date, hi: dt.date, bucket: str) -> list[tuple[int, dt.date, dt.date]]:
    """(key, first day, last day) of every bucket from lo to hi, empty ones included."""
    out = []
    if bucket == "year":
        for y in range(lo.year, hi.year + 1):
            out.append((y, dt.date(y, 1, 1), dt.date(y, 12, 31)))
        return out
    y, m = lo.year, lo.month
    while (y, m) <= (hi.year, hi.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((y * 12 + m - 1, dt.date(y, m, 1), dt.date(ny, nm, 1) - dt.timedelta(days=1)))
        y, m = ny, nm
    return out


def day_of(date: dt.date | None) -> int:
    return (date - EPOCH).days if date else 0


def date_of(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))
