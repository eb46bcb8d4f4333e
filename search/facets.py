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
from rapidfuzz import fuzz, process, utils

from transcripts.index import tables
from transcripts.index.schema import fold


@dataclass
class Facet:
    values: list[str]  # value id -> value
    ids: dict[str, int]  # value -> value id
    docs: np.ndarray  # pairs: document numbers ...
    vals: np.ndarray  # ... and value ids, sorted by value id
    # docs[starts[v]:starts[v+1]] are the documents with value v (None: a facet only
    # counted, see DocTable.count_together)
    starts: np.ndarray | None
    _folded: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)
    _by_doc: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def docs_with(self, value: str) -> np.ndarray:
        v = self.ids.get(value)
        if v is None:
            return np.empty(0, dtype=np.int32)
        assert self.starts is not None  # every facet a filter names has them
        return self.docs[self.starts[v] : self.starts[v + 1]]

    def resolve(self, value: str) -> list[str]:
        """The values a selected value stands for: itself when it is one, else those
        written with other accents or capitals ("Recep Tayyip Erdogan" selects "Recep
        Tayyip Erdoğan"); values are shown as written, a hand-typed link still works."""
        if value in self.ids:
            return [value]
        if self._folded is None:
            folded: dict[str, list[str]] = {}
            for v in self.values:
                folded.setdefault(fold(v), []).append(v)
            self._folded = folded  # the same for every thread: a race is harmless
        return self._folded.get(fold(value), [])

    def count(self, mask: np.ndarray, docs: np.ndarray | None = None) -> np.ndarray:
        """Documents of ``mask`` per value (``docs``: its documents, when the caller has
        them). A few documents (a narrow search, a misspelling that matched nothing) are
        looked up one by one, rather than every (document, value) pair of the index
        being tested against the mask."""
        chosen = np.count_nonzero(mask) if docs is None else len(docs)
        if not chosen:
            return np.zeros(len(self.values), dtype=np.int64)
        if chosen * 8 >= len(self.docs):
            return np.bincount(self.vals[mask[self.docs]], minlength=len(self.values))
        if self._by_doc is None:
            order = np.argsort(self.docs, kind="stable")
            starts = np.searchsorted(self.docs[order], np.arange(len(mask) + 1))
            self._by_doc = (self.vals[order], starts)
        vals, starts = self._by_doc
        docs = np.flatnonzero(mask) if docs is None else docs
        lo, n = starts[docs], starts[docs + 1] - starts[docs]
        return np.bincount(vals[tables.ranges(lo, n)], minlength=len(self.values))


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
    # see count_together: (names, their facets as one, where each one's values end)
    _together: tuple[list[str], Facet, list[int]] | None = field(default=None, repr=False)

    def count_together(
        self, names: list[str], mask: np.ndarray, docs: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Each named facet's counts of the same documents (nothing ticked: every facet
        counts the results), in one pass over their (document, value) pairs laid end to
        end, not a pass each."""
        if self._together is None or self._together[0] != names:
            parts = [self.facets[n] for n in names]
            ends = np.cumsum([len(f.values) for f in parts]).tolist()
            vals = [
                f.vals.astype(np.int32) + (end - len(f.values))
                for f, end in zip(parts, ends, strict=True)
            ]
            together = _facet(
                [v for f in parts for v in f.values],
                np.concatenate([f.docs for f in parts]), np.concatenate(vals), None,
            )
            self._together = (names, together, ends)
        _, together, ends = self._together
        counts = together.count(mask, docs)
        return {n: c for n, c in zip(names, np.split(counts, ends[:-1]), strict=True)}


def _facet(
    values: list[str], docs: np.ndarray, vals: np.ndarray, starts: np.ndarray | None
) -> Facet:
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


# -- values that do not exist -------------------------------------------------------------

CLOSEST = 5  # values offered for one that does not exist
CLOSEST_CUTOFF = 70  # rapidfuzz score (0-100) below which a value is not offered


def _plain(text: str) -> str:
    """Folded as the words are (``schema.fold``: "Erdoğan" meets "Erdogan"), punctuation
    as spaces."""
    return utils.default_process(fold(text))


@dataclass
class NearestValues:
    """A facet's values made ready for ``closest`` once per generation: every value (and
    a person's name as shown) lower-cased, without accents or punctuation."""

    values: list[str]
    owners: list[int]  # choice -> value id
    choices: list[str]

    @classmethod
    def of(cls, values: list[str], labels: dict[str, str] | None = None) -> NearestValues:
        labels = labels or {}
        owners: list[int] = []
        choices: list[str] = []
        for i, value in enumerate(values):
            for text in dict.fromkeys((value, labels.get(value, value))):
                owners.append(i)
                choices.append(_plain(text))
        return cls(values, owners, choices)

    def closest(self, wanted: str, limit: int = CLOSEST) -> list[str]:
        """The values nearest to one that is not among them, best first.

        A value equal but for case, accents or punctuation comes first; then the best of
        two rapidfuzz scores: token-set ratio, so a word of a longer value counts in full
        ("China" -> "People's Republic of China", "Merkel" -> "Merkel Angela"), and plain
        ratio for misspellings ("Germnay" -> "Germany").
        """
        key = _plain(wanted)
        if not key:
            return []
        owners, choices = self.owners, self.choices
        best: dict[int, float] = {}
        for i, choice in enumerate(choices):
            if choice == key:
                best[owners[i]] = 200.0
        for scorer in (fuzz.token_set_ratio, fuzz.ratio):
            for _, score, i in process.extract(key, choices, scorer=scorer, processor=None,
                                               score_cutoff=CLOSEST_CUTOFF, limit=limit * 4):
                best[owners[i]] = max(best.get(owners[i], 0.0), score)
        ranked = sorted(best, key=lambda v: (-best[v], v))
        return [self.values[v] for v in ranked[:limit]]
