"""Following a search: the passages it matches, newest to this index first.

A feed and an alert ask the same question of a generation: which passages does this
search match, among the transcripts first indexed after a moment (``index.first_seen``)?
Passages are the search's own documents (``engine.select``: the same query, filters,
cost limits and notes), ordered by when their transcript was first indexed, then by the
transcript's date, then by place in the transcript; each with its snippet, speaker and
the credit its source asks for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from transcripts.index import first_seen
from transcripts.search.engine import Generation, TranscriptIndex, _word_matcher, select
from transcripts.search.results import SearchRequest
from transcripts.search.snippets import WordMatcher, snippet

FEED_ENTRIES = 50  # a feed's default length: a day or two of a busy search
MAX_ENTRIES = 500  # the most a feed or one digest lists (a digest links to the rest)


@dataclass
class Passage:
    transcript_id: str
    position: int  # 0 is the transcript's title and summary
    kind: str  # page | turn | narrative
    speaker: str  # "" for narrative and the page
    label: str  # the speaker label as printed
    role: str
    text: str
    snippet: str  # HTML: escaped, with <mark> around the words that matched
    title: str
    date: str  # ISO; the publication date where the page shows no event date
    first_seen: float  # unix time its transcript was first indexed
    source: str
    url: str  # the original page
    licence: str
    attribution: str

    @property
    def credit(self) -> str:
        """Whom to credit and under which licence, as the transcript page says it."""
        who = self.attribution or self.source or "source not stated"
        return f"{who}, {self.licence}" if self.licence else f"{who} (no licence given)"


def passage(tid: str, position: int, stored: dict[str, Any], meta: dict[str, Any],
            matcher: WordMatcher, first_seen: float, role: str) -> Passage:
    """One passage from its stored fields and its transcript's metadata (both engines
    store them alike; the role as shown is the caller's: the engines keep it apart)."""
    text = stored.get("body") or ""
    return Passage(
        transcript_id=tid,
        position=position,
        kind=stored.get("kind", ""),
        speaker=stored.get("speaker") or "",
        label=stored.get("label") or "",
        role=role,
        text=text,
        snippet=snippet(text, matcher),
        title=meta.get("title", ""),
        date=meta.get("effective_date", ""),
        first_seen=first_seen,
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        licence=meta.get("licence", ""),
        attribution=meta.get("attribution", ""),
    )


@dataclass
class Followed:
    generation: str  # the index generation answered from (a feed's ETag)
    built_at: float  # every passage first seen up to then is in it (an alert's next cursor)
    total: int  # passages in the window, of which ``passages`` are the newest
    transcripts: int  # transcripts those passages are in
    passages: list[Passage]


@dataclass
class FirstSeenTable:
    built_at: float
    times: np.ndarray  # per transcript ordinal: unix time first indexed


def describe(req: SearchRequest) -> str:
    """A search in a line, for a feed's title and a digest's subject:
    '“grain corridor”, speaker: Vladimir Putin, from 2024-01-01'."""
    parts = [f"“{req.q}”" if req.q else "everything"]
    for name, values in req.filters().items():
        if values:
            parts.append(f"{name}: {' or '.join(values)}")
    if req.date_from:
        parts.append(f"from {req.date_from.isoformat()}")
    if req.date_to:
        parts.append(f"to {req.date_to.isoformat()}")
    return ", ".join(parts)


def first_seen_table(gen: Generation) -> FirstSeenTable:
    return gen.derived("first_seen", _first_seen_table)


def _first_seen_table(gen: Generation) -> FirstSeenTable:
    record = first_seen.load(gen.path)
    if record is None:  # built before records were kept: everything is as old as the build
        built = gen.path.stat().st_mtime
        return FirstSeenTable(built, np.zeros(len(gen.table.tids)))
    times = np.array([record.times.get(t, record.built_at) for t in gen.table.tids], dtype=float)
    return FirstSeenTable(record.built_at, times)


def generation_stamp(index: TranscriptIndex) -> tuple[str, float]:
    """(generation name, built_at) of the live index: a feed's validators."""
    gen = index.current()
    return gen.path.name, first_seen_table(gen).built_at


def new_passages(
    index: TranscriptIndex,
    req: SearchRequest,
    after: float | None = None,
    limit: int = FEED_ENTRIES,
    dated_from: dt.date | None = None,
) -> Followed:
    """The passages ``req`` matches whose transcript was first indexed after ``after``
    (None: all of them), or dated ``dated_from`` or later; the newest ``limit`` in full."""
    selection = select(index, req)
    gen, table = selection.gen, selection.gen.table
    seen = first_seen_table(gen)
    docs = np.flatnonzero(selection.mask)
    tids = table.tid[docs]
    if after is not None:
        wanted = seen.times[tids] > after
        if dated_from is not None:
            wanted |= table.tid_day[tids] >= (dated_from - dt.date(1970, 1, 1)).days
        docs, tids = docs[wanted], tids[wanted]
    order = np.lexsort((table.pos[docs], tids, -table.tid_day[tids], -seen.times[tids]))
    shown = docs[order][:limit]
    searcher = gen.searcher()
    matcher = _word_matcher(gen, selection.parsed)
    passages = []
    for doc in shown.tolist():
        t = int(table.tid[doc])
        stored = gen.stored(searcher, doc)
        passages.append(passage(table.tids[t], int(table.pos[doc]), stored,
                                gen.meta(searcher, t), matcher, float(seen.times[t]),
                                stored.get("role") or ""))
    return Followed(gen.path.name, seen.built_at, len(docs), len(np.unique(tids)), passages)
