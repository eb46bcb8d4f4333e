"""Matching and BM25 scoring of whole posting lists at once, with numpy.

Whoosh's collector scores one document at a time in Python (about 5 µs each), which
made a common word like "russia" (5,000+ utterances) cost tens of milliseconds. Here a
term's posting list is read block by block into arrays, and AND / OR / NOT become mask
operations over all documents. Phrases decode positions only for the documents that
have all their words. Anything else this module does not know falls back to Whoosh's
own matcher, so every query still runs; only where the time goes changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from transcripts.index.schema import EXACT
from transcripts.index.tables import (
    Tables,
    chars_at,
    postings,
    ranges,
    token_chars,
    word_lengths,
)
from transcripts.search.ranking import term_scores

if TYPE_CHECKING:
    from whoosh.matching import Matcher
    from whoosh.reading import IndexReader
    from whoosh.searching import Searcher

    from transcripts.search.query import Vocabulary

GATHER_COST = 8  # a gathered token costs this many scanned ones (uint16 compare), measured
CACHE_MIN_POSTINGS = 1_000  # cache a term's decoded postings from this many on ...
CACHE_MAX_POSTINGS = 2_000_000  # ... up to this many in all (about 16 MB)
RECENT_TERMS = 256  # the rarer words read last (ranking reads a query's words again)
PLACES_CACHE_MAX = 1_000_000  # word places kept for phrases (16 bytes each: 16 MB)


@dataclass
class Match:
    mask: np.ndarray  # bool per document
    scores: np.ndarray  # float per document (0 where not matched)


class Scorer:
    """Built once per opened index generation; immutable afterwards, so threads share it."""

    def __init__(
        self,
        lengths: dict[str, np.ndarray],
        live: np.ndarray,
        kept: dict[str, Vocabulary] | None = None,
        forward: TokenStream | None = None,
    ) -> None:
        """Field lengths come from the generation's tables (``index.tables``); postings
        are read later through each thread's searcher (Whoosh readers seek in shared
        files, so they are not shared across threads)."""
        self.size = len(live)
        self.live = live
        self.n = max(1, int(live.sum()))
        self.lengths = lengths
        # Word fields whose postings index.tables keeps (field -> search.query.Vocabulary).
        self.kept = {f: v for f, v in (kept or {}).items() if v.has_postings()}
        self.forward = forward
        self.avg: dict[str, float] = {}
        self._cache: dict[tuple[str, object], tuple[np.ndarray, np.ndarray]] = {}
        self._cached = 0  # postings held in the cache
        self._recent: dict[tuple[str, object], tuple[np.ndarray, np.ndarray]] = {}
        for name, field_lengths in lengths.items():
            total = float(field_lengths[live].sum())
            self.avg[name] = total / self.n if total else 1.0

    def evaluate(self, q: wq.Query, searcher: Searcher) -> Match:
        match = self._eval(q, searcher)
        match.mask &= self.live
        match.scores[~match.mask] = 0.0
        return match

    # -- the query tree -------------------------------------------------------

    def _eval(self, q: wq.Query, searcher: Searcher) -> Match:
        if isinstance(q, wq.Term):
            return self._term(searcher.reader(), q.fieldname, q.text, q.boost)
        if isinstance(q, wq.Phrase) and len(q.words) > 1:
            if self.forward is not None and q.fieldname == EXACT:
                return self._phrase(searcher.reader(), q)
            if q.slop == 1:
                return self._phrase(searcher.reader(), q)
        if isinstance(q, wq.And) and all(isinstance(s, wq.Term) for s in q.subqueries):
            return self._all_terms(searcher.reader(), q.subqueries)
        if isinstance(q, wq.And):
            parts = [self._eval(s, searcher) for s in q.subqueries]
            mask = np.logical_and.reduce([p.mask for p in parts])
            return Match(mask, np.where(mask, sum(p.scores for p in parts), 0.0))
        if isinstance(q, wq.Or):
            # A prefix's words (up to 200 terms): added into one match, not a match each.
            terms = [s for s in q.subqueries if isinstance(s, wq.Term)]
            parts = [self._terms(searcher.reader(), terms)] if terms else []
            parts += [self._eval(s, searcher) for s in q.subqueries if not isinstance(s, wq.Term)]
            if not parts:
                return self._empty()
            return Match(  # parts is not empty: the sum is an array, not sum()'s 0
                np.logical_or.reduce([p.mask for p in parts]),
                np.asarray(sum(p.scores for p in parts)),
            )
        if isinstance(q, wq.AndNot):
            a, b = self._eval(q.a, searcher), self._eval(q.b, searcher)
            mask = a.mask & ~b.mask
            return Match(mask, np.where(mask, a.scores, 0.0))
        if isinstance(q, wq.AndMaybe):
            a, b = self._eval(q.a, searcher), self._eval(q.b, searcher)
            return Match(a.mask, np.where(a.mask, a.scores + b.scores, 0.0))
        if isinstance(q, wq.Not):
            inner = self._eval(q.query, searcher)
            return Match(~inner.mask, np.zeros(self.size))
        if isinstance(q, wq.Every):
            return Match(np.ones(self.size, dtype=bool), np.zeros(self.size))
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self._empty()
        return self._whoosh(q, searcher)

    def _empty(self) -> Match:
        return Match(np.zeros(self.size, dtype=bool), np.zeros(self.size))

    def _postings(
        self, reader: IndexReader, field: str, text: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Posting lists of common words ("in", "russia") are kept once decoded.

        They are the expensive ones (a stem's words merged, a word's counts widened), they
        recur in most queries, and an index generation never changes, so they are never
        stale; the last rarer ones are kept too (the ranking reads a query's words again).
        """
        key = (field, text)
        cached = self._cache.get(key) or self._recent.get(key)
        if cached is not None:
            return cached
        if field in self.kept:  # slices of memory-mapped arrays (a stem's merged)
            ids, tf = self.kept[field].postings(text)
        else:
            ids, tf = postings(reader, field, text)
        if len(ids) >= CACHE_MIN_POSTINGS and self._cached + len(ids) <= CACHE_MAX_POSTINGS:
            self._cache[key] = (ids, tf)
            self._cached += len(ids)
        elif len(ids) < CACHE_MIN_POSTINGS:
            if len(self._recent) >= RECENT_TERMS:
                self._recent.clear()  # crude but thread-safe: a dict op is atomic
            self._recent[key] = (ids, tf)
        return ids, tf

    def term_postings(
        self, reader: IndexReader, field: str, text: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """A word's (documents, frequencies), through the cache: ranking reads them too."""
        return self._postings(reader, field, text)

    def _term(self, reader: IndexReader, field: str, text: str, boost: float = 1.0) -> Match:
        return self._terms(reader, [wq.Term(field, text, boost=boost)])

    def _all_terms(self, reader: IndexReader, terms: list[wq.Term]) -> Match:
        """Documents with every term, scored with the sum of their BM25: the posting
        lists intersected, not a document-sized mask and score array made for each."""
        found = []
        for t in terms:
            ids, tf = self._postings(reader, t.fieldname, t.text)
            lengths = self.lengths.get(t.fieldname)
            found.append((ids, term_scores(
                tf, len(ids), self.n, None if lengths is None else lengths[ids],
                self.avg.get(t.fieldname, 1.0), t.boost,
            )))
        both = min((ids for ids, _ in found), key=len)
        for ids, _ in found:
            both = np.intersect1d(both, ids, assume_unique=True)
        total: float | np.ndarray = 0.0
        for ids, scores in found:  # summed in the query's order, as the masks were
            total = total + scores[np.searchsorted(ids, both)]
        match = self._empty()
        match.mask[both] = True
        match.scores[both] = total
        return match

    def _terms(self, reader: IndexReader, terms: list[wq.Term]) -> Match:
        """Documents with any of the terms, each scored with the sum of their BM25."""
        match = self._empty()
        for t in terms:
            ids, tf = self._postings(reader, t.fieldname, t.text)
            if not len(ids):
                continue
            match.mask[ids] = True
            lengths = self.lengths.get(t.fieldname)
            match.scores[ids] += term_scores(
                tf, len(ids), self.n, None if lengths is None else lengths[ids],
                self.avg.get(t.fieldname, 1.0), t.boost,
            )
        return match

    def _phrase(self, reader: IndexReader, q: wq.Phrase) -> Match:
        """Documents with every word, then positions decoded for those documents only.

        Whoosh's phrase matcher decodes the positions of every posting it passes; for
        "trade and economic" that is every document with "and". Here the cheap
        intersection of the words' documents comes first.
        """
        parts = [self._term(reader, q.fieldname, w, q.boost) for w in q.words]
        mask = np.logical_and.reduce([p.mask for p in parts]) & self.live
        candidates = np.flatnonzero(mask)
        found = np.zeros(self.size, dtype=bool)
        if len(candidates) and self.forward is not None and q.fieldname == EXACT:
            found[self.forward.phrase_docs(list(q.words), candidates, q.slop)] = True
        elif len(candidates):
            # Rarest word first: each word narrows the documents the next one decodes.
            order = sorted(range(len(parts)), key=lambda i: int(parts[i].mask.sum()))
            words = [(i, q.words[i]) for i in order]
            found[phrase_docs(reader, q.fieldname, words, candidates)] = True
        return Match(found, np.where(found, sum(p.scores for p in parts), 0.0))

    def _whoosh(self, q: wq.Query, searcher: Searcher) -> Match:
        """Phrases and the rest: Whoosh matches and scores them, one document at a time."""
        match = self._empty()
        top = searcher.search(q, limit=None, terms=False).top_n
        if top:
            ids = np.fromiter((d for _, d in top), dtype=np.int64, count=len(top))
            match.mask[ids] = True
            match.scores[ids] = np.fromiter((s for s, _ in top), dtype=float, count=len(top))
        return match


@dataclass
class TokenStream:
    """The exact field as word ids per document (``index.tables``): phrases are matched
    here with array operations instead of decoding Whoosh's pickled positions."""

    tokens: np.ndarray  # word ids, document after document
    starts: np.ndarray  # document d is tokens[starts[d]:starts[d + 1]]
    vocabulary: Vocabulary  # search.query.Vocabulary of exact: word -> id and frequency
    source: Tables | None = None  # the index.tables.Tables they come from (for the offsets)
    _lengths: np.ndarray | None = None  # each word's length, read on first use
    # Every place of a word a phrase anchored on, found by a pass over the whole stream
    # (word id -> (places, their documents)): kept, as common words' postings are, so
    # the next phrase with that word skips the pass. Bounded by PLACES_CACHE_MAX.
    _places: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _placed: int = 0

    def chars(self) -> np.ndarray | None:
        """Where each token starts in its document's stored text (decoded on each call:
        the concordance keeps its own copy); None for tables written without them."""
        return None if self.source is None else token_chars(self.source, self.vocabulary.words)

    def has_offsets(self) -> bool:
        return self.source is not None and self.source.token_marks is not None

    def places_of_many(
        self, docs: np.ndarray, groups: list[np.ndarray]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each group (a bool per word id): its tokens in ``docs``, as (which of
        ``docs``, place in that document counted in words), ordered by document then
        place."""
        first, owner, at, tokens = self._gather(docs)
        place = at - first[owner]
        return [(owner[h], place[h]) for h in (np.flatnonzero(g[tokens]) for g in groups)]

    def hits_of_many(
        self, docs: np.ndarray, groups: list[np.ndarray]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """For each group (a bool per word id): its tokens in ``docs``, as (which of
        ``docs``, character start in that document's stored text, length), ordered by
        document then place."""
        first, owner, at, tokens = self._gather(docs)
        assert self.source is not None  # callers ask has_offsets() first
        if self._lengths is None:
            self._lengths = word_lengths(self.vocabulary.words)
        out = []
        for h in (np.flatnonzero(g[tokens]) for g in groups):
            chars = chars_at(self.source, self._lengths, at[h], first[owner[h]])
            out.append((owner[h], chars, self._lengths[tokens[h]]))
        return out

    def _gather(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The tokens of ``docs`` end to end, in a few array operations for a whole
        results page (a dozen numpy calls a document otherwise): each document's first
        stream place, each token's document (which of ``docs``), stream place, word id."""
        docs = np.asarray(docs, dtype=np.int64)
        first = self.starts[docs].astype(np.int64)
        n = self.starts[docs + 1].astype(np.int64) - first
        at = ranges(first, n)
        return first, np.repeat(np.arange(len(docs)), n), at, self.tokens[at]

    def phrase_docs(self, words: list[str], candidates: np.ndarray, slop: int = 1) -> np.ndarray:
        """Which candidate documents have the words in this order, next to each other (or,
        with ``slop`` > 1, each at most ``slop`` words after the one before)."""
        ids = [self.vocabulary.id(w) for w in words]
        if min(ids) < 0 or not len(candidates):
            return np.empty(0, dtype=np.int64)
        # Anchor on the rarest word: the fewest starting points to check.
        anchor = min(range(len(ids)), key=lambda k: int(self.vocabulary.df[ids[k]]))
        at, docs = self._anchors(ids[anchor], candidates)
        if slop > 1:
            return self._sloppy(ids, docs, slop)
        return np.unique(self._in_place(ids, anchor, at, docs))

    def phrase_counts(
        self, words: list[str], candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Of the candidate documents, those with the words next to each other in this
        order, and how many places each has them (the analysis views count hits)."""
        ids = [self.vocabulary.id(w) for w in words]
        empty = np.empty(0, dtype=np.int64)
        if min(ids) < 0 or not len(candidates):
            return empty, empty
        anchor = min(range(len(ids)), key=lambda k: int(self.vocabulary.df[ids[k]]))
        at, docs = self._anchors(ids[anchor], candidates)
        return np.unique(self._in_place(ids, anchor, at, docs), return_counts=True)

    def _anchors(self, wid: int, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Token places of word ``wid`` inside the candidate documents, and their documents."""
        places = self._places.get(wid)
        if places is not None:
            at, docs = places
        else:
            lo = self.starts[candidates]
            n = self.starts[candidates + 1] - lo
            common = int(self.vocabulary.df[wid]) >= CACHE_MIN_POSTINGS  # worth keeping
            if not common and int(n.sum()) * GATHER_COST < len(self.tokens):
                # Few candidate words: every token position of every candidate, end to end.
                at = ranges(lo, n)
                at = at[self.tokens[at] == wid]
                docs = np.searchsorted(self.starts, at, side="right") - 1
            else:  # one pass over the stream: cheaper than gathering most of it, and kept
                at = np.flatnonzero(self.tokens == wid)
                docs = np.searchsorted(self.starts, at, side="right") - 1
                if self._placed + len(at) <= PLACES_CACHE_MAX:
                    self._places[wid] = (at, docs)  # a dict store: atomic across threads
                    self._placed += len(at)
        wanted = np.zeros(len(self.starts), dtype=bool)
        wanted[candidates] = True
        keep = wanted[docs]
        return at[keep], docs[keep]

    def _in_place(
        self, ids: list[int], anchor: int, at: np.ndarray, docs: np.ndarray
    ) -> np.ndarray:
        """The document of each anchor place where the whole phrase stands (one entry per
        place: a document with the phrase twice is listed twice)."""
        start = at - anchor
        inside = (start >= self.starts[docs]) & (start + len(ids) <= self.starts[docs + 1])
        start, docs = start[inside], docs[inside]
        for k, wid in enumerate(ids):
            if k != anchor:
                same = self.tokens[start + k] == wid
                start, docs = start[same], docs[same]
        return docs

    def _sloppy(self, ids: list[int], docs: np.ndarray, slop: int) -> np.ndarray:
        """Each word after the one before it, at most ``slop`` positions on (a rare
        query form, so a plain walk over the candidate documents)."""
        out = []
        for d in np.unique(docs).tolist():
            doc = self.tokens[self.starts[d] : self.starts[d + 1]]
            places = [np.flatnonzero(doc == wid) for wid in ids]
            ends = places[0]
            for nxt in places[1:]:
                if not len(ends):
                    break
                # a position of the next word within (end, end + slop] of some end
                i = np.searchsorted(ends, nxt - slop, side="left")
                ok = (i < len(ends)) & (ends[np.minimum(i, len(ends) - 1)] < nxt)
                ends = nxt[ok]
            if len(ends):
                out.append(d)
        return np.array(out, dtype=np.int64)


def phrase_docs(
    reader: IndexReader, field: str, words: list[tuple[int, str]], candidates: np.ndarray
) -> list[int]:
    """Which candidate documents have the words (offset in the phrase, word) in place."""
    return sorted(phrase_counts(reader, field, words, candidates))


def phrase_counts(
    reader: IndexReader, field: str, words: list[tuple[int, str]], candidates: np.ndarray
) -> dict[int, int]:
    """How often the phrase stands in each candidate document that has it, from Whoosh's
    positions (title phrases, and indexes written before the token stream)."""
    decode = reader.schema[field].format.decode_positions
    found: dict[int, int] = {}
    for leaf, base in reader.leaf_readers():
        n = leaf.doc_count_all()
        local = candidates[(candidates >= base) & (candidates < base + n)] - base
        if not len(local):
            continue
        starts: dict[int, set[int]] | None = None
        for offset, word in words:
            if (field, word) not in leaf:
                starts = {}
                break
            positions = _positions(leaf.postings(field, word), local, decode)
            shifted = {d: {p - offset for p in ps} for d, ps in positions.items()}
            if starts is None:
                starts = shifted
            else:
                starts = {d: ps & shifted[d] for d, ps in starts.items() if d in shifted}
                starts = {d: ps for d, ps in starts.items() if ps}
            local = np.array(sorted(starts), dtype=np.int64)
            if not len(local):
                break
        found.update((base + d, len(ps)) for d, ps in (starts or {}).items())
    return found


def _positions(
    m: Matcher, wanted: np.ndarray, decode: Callable[[Any], list[int]]
) -> dict[int, list[int]]:
    """Positions of the term in the ``wanted`` documents (sorted local numbers)."""
    out: dict[int, list[int]] = {}
    if all(hasattr(m, a) for a in ("_read_ids", "_read_values", "_lastblock", "_next_block")):
        while m.is_active():
            m._read_ids()
            ids = np.asarray(m._ids)
            hit = np.flatnonzero(np.isin(ids, wanted, assume_unique=True))
            if len(hit):
                m._read_values()
                for i in hit.tolist():
                    out[int(ids[i])] = decode(m._values[i])
            if m._lastblock:
                break
            m._next_block()
    else:
        wanted_set = set(wanted.tolist())
        while m.is_active():
            if m.id() in wanted_set:
                out[m.id()] = decode(m.value())
            m.next()
    return out

