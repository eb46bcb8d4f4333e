"""Facet and filter data held in memory as numpy arrays, one entry per document.

Whoosh's own ``groupedby`` facets walk every matching document in Python; here each
facet is a pair of arrays (document, value), written by the indexer beside the generation
(``index.tables``) and memory-mapped when it is opened, so counting the values of any
set of matches is one ``bincount`` and filtering is a boolean mask. The counts are exact:
they come from the same postings Whoosh reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from index import tables


@dataclass
class Facet:
    values: list[str]  # value id -> value
    ids: dict[str, int]  # value -> value id
    docs: np.ndarray  # pairs: document numbers ...
    vals: np.ndarray  # ... and value ids, sorted by value id
    starts: np.ndarray  # docs[starts[v]:starts[v+1]] are the documents with value v

    def docs_with(self, value: str) -> np.ndarray:
        v = self.ids.get(value)
        if v is None:
            return np.empty(0, dtype=np.int32)
        return self.docs[self.starts[v] : self.starts[v + 1]]

    _by_doc: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Documents of ``mask`` per value. A few documents (a narrow search, a
        misspelling that matched nothing) are looked up one by one, rather than every
        (document, value) pair of the index being tested against the mask."""
        chosen = np.count_nonzero(mask)
        if chosen * 8 >= len(self.docs):
            return np.bincount(self.vals[mask[self.docs]], minlength=len(self.values))
        if self._by_doc is None:
            order = np.argsort(self.docs, kind="stable")
            starts = np.searchsorted(self.docs[order], np.arange(len(mask) + 1))
            self._by_doc = (np.asarray(self.vals)[order], starts)
        vals, starts = self._by_doc
        docs = np.flatnonzero(mask)
        lo, n = starts[docs], starts[docs + 1] - starts[docs]
        at = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
        return np.bincount(vals[at], minlength=len(self.values))


@dataclass
class DocTable:
    """Per-document columns: which transcript, where in it, what date, live or deleted."""

    size: int
    live: np.ndarray  # bool
    tid: np.ndarray  # transcript ordinal
    tids: list[str]  # ordinal -> transcript id
    tid_ord: dict[str, int]
    pos: np.ndarray
    day: np.ndarray  # days since 1970
    words: np.ndarray  # words in the document (``schema.word_count``)
    year: np.ndarray
    tid_day: np.ndarray  # transcript ordinal -> its day, for sorting by date
    is_page: np.ndarray  # bool: the transcript's title/lead document
    facets: dict[str, Facet]  # speaker, person, geography, topic, place
    years: Facet


def _facet(values: list[str], docs, vals, starts) -> Facet:
    return Facet(values, {v: i for i, v in enumerate(values)}, docs, vals, starts)


def doc_table(t: tables.Tables) -> DocTable:
    """The document table over a generation's tables (memory-mapped or just computed)."""
    c = t.columns
    live = np.asarray(c["live"], dtype=bool)
    tid, day = c["tid"], c["day"]
    dates = (np.asarray(day).astype("datetime64[D]")).astype("datetime64[Y]").astype(np.int32)
    year = np.where(day > 0, dates + 1970, 0)
    tid_day = np.zeros(len(t.tids), dtype=np.int32)
    tid_day[tid[live]] = day[live]
    facets = {
        name: _facet(v.values, v.docs, v.vals, v.starts) for name, v in t.values.items()
    }
    # Years: a counting sort of the live dated documents, newest year first.
    dated = np.flatnonzero(live & (year > 0)).astype(np.int32)
    year_values = np.unique(year[dated])[::-1]
    ids = np.searchsorted(-year_values, -year[dated]).astype(np.int32)
    order = np.argsort(ids, kind="stable")
    starts = np.zeros(len(year_values) + 1, dtype=np.int64)
    np.cumsum(np.bincount(ids, minlength=len(year_values)), out=starts[1:])
    years = _facet([str(int(y)) for y in year_values], dated[order], ids[order], starts)
    return DocTable(
        size=t.size,
        live=live,
        tid=tid,
        tids=t.tids,
        tid_ord={x: i for i, x in enumerate(t.tids)},
        pos=c["pos"],
        day=day,
        words=c["words"],
        year=year,
        tid_day=tid_day,
        is_page=np.asarray(c["is_page"], dtype=bool),
        facets=facets,
        years=years,
    )
