"""The concordance (keyword in context): every hit of a search, with the words around it.

A hit is one occurrence of the query in a matching document, as the highlighter sees it:
a word whose stem a plain query word has, a word a quoted word or a prefix stands for, or
a quoted phrase's words in a row (one hit spanning them all). The documents are those of
``engine.select`` (query and every filter), so the concordance always agrees with the
search.

Listing every hit of a common word ("the": 170,000 of them) and sorting them by the word
before or after cannot be done by scanning stored text per request (seconds). So each
index generation gets a ``WordTable`` the first time a concordance is asked of it: every
token of every document as a vocabulary id and a character offset, in document order,
and the same inverted. The indexer already wrote the tokens and their offsets
(``index.tables``), so this is array work only (tens of milliseconds). Finding hits,
their neighbours and any order is then numpy over those arrays; only the lines shown
read stored text.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from transcripts.index import language
from transcripts.index.schema import EXACT, TEXT, WORD_PATTERN
from transcripts.search.engine import Generation, Selection, TranscriptIndex, select
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest

# Orders a concordance can be read in. Context sorts are by the folded word, then the
# next one out, then by date, so equal contexts stay in reading order.
SORTS = ("oldest", "newest", "relevance", "left1", "left2", "right1", "right2", "match")
SORT_LABELS = {
    "oldest": "Oldest first",
    "newest": "Newest first",
    "relevance": "Relevance",
    "left1": "1st word left",
    "left2": "2nd word left",
    "right1": "1st word right",
    "right2": "2nd word right",
    "match": "Match",
}
PER_PAGE = 100
MAX_PER_PAGE = 1000
WIDTH = 60  # characters of context on each side
MIN_WIDTH, MAX_WIDTH = 10, 300
TITLE_FIELDS = ("title",)  # stemmed like ``text``: their words are looked for as stems
_SPACE = re.compile(r"\s+")
_WORD = re.compile(WORD_PATTERN)


class NoWordsToShow(QueryError):
    """The query names no words (empty, or only filters such as ``speaker:putin``)."""


# --- the per-generation word table ------------------------------------------------


@dataclass
class WordTable:
    """Every token of every document, in document order, as the ``exact`` field reads it.

    ``tokens[doc_start[d]:doc_start[d + 1]]`` are document d's words, as ids of their
    folded form; ``chars`` says where each starts in the document's stored text.
    """

    tokens: np.ndarray  # folded word id per token (the index's token stream)
    chars: np.ndarray  # int32: where each token starts in its document's text
    doc_start: np.ndarray  # int64, documents + 1
    words: list[str]  # folded word id -> word
    word_ids: dict[str, int]
    # Stem s stands for the folded words stem_members[stem_starts[s]:stem_starts[s + 1]]
    # (a word written in two languages is a member of a stem in each).
    stem_members: np.ndarray
    stem_starts: np.ndarray
    stem_ids: dict[str, int]
    word_rank: np.ndarray  # folded word id -> alphabetical rank
    # The table inverted: where each word occurs. by_word[word_start[w]:word_start[w + 1]]
    # are word w's token indices, ascending, so a word's hits are a slice, not a scan.
    by_word: np.ndarray  # int32 token indices, grouped by word
    word_start: np.ndarray  # int64, words + 1
    oldest: np.ndarray  # document -> its place by (date, transcript, position)
    newest: np.ndarray  # document -> its place by (newest date, transcript, position)
    # An index of several languages: each document's language number (None: one).
    doc_lang: np.ndarray | None = None
    languages: list[str] = dataclasses.field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.tokens)

    def positions(self, word_ids: np.ndarray) -> np.ndarray:
        """Token indices of any of the words, ascending."""
        parts = [self.by_word[self.word_start[w] : self.word_start[w + 1]] for w in word_ids]
        if not parts:
            return np.empty(0, dtype=np.int64)
        found = np.concatenate(parts).astype(np.int64)
        return np.sort(found) if len(parts) > 1 else found


def word_table(gen: Generation) -> WordTable:
    """The generation's table, made on first use from the token stream and offsets the
    indexer wrote (``index.tables``): no text is read or tokenized here, so the first
    concordance of a generation costs array work only (a generation never changes, so
    the table is never stale; it goes with the generation)."""
    return gen.derived("concordance", build_word_table)


def build_word_table(gen: Generation) -> WordTable:
    stream = gen.scorer.forward
    exact, text = gen.vocabularies[EXACT], gen.vocabularies[TEXT]
    chars = stream.chars() if stream is not None else None
    if stream is None or chars is None or text.kept.members is None:
        raise QueryError(
            "This index was built by an older version, without word offsets: run "
            "`transcripts reindex --full` to use the concordance."
        )
    tokens = np.asarray(stream.tokens)
    words = exact.words
    stems = text.words
    word_start = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.bincount(tokens, minlength=len(words)), out=word_start[1:])
    docs = gen.table
    return WordTable(
        tokens=tokens,
        chars=chars.astype(np.int32),
        doc_start=np.asarray(stream.starts, dtype=np.int64),
        words=words,
        word_ids={w: i for i, w in enumerate(words)},
        stem_members=np.asarray(text.kept.members),
        stem_starts=np.asarray(text.kept.member_starts),
        stem_ids={s: i for i, s in enumerate(stems)},
        doc_lang=text.doc_lang,
        languages=text.languages,
        word_rank=np.arange(len(words), dtype=np.int32),  # the vocabulary is sorted
        by_word=_positions_by_word(tokens, len(words)),
        word_start=word_start,
        oldest=_places(np.lexsort((docs.pos, docs.tid, docs.tid_day[docs.tid]))),
        newest=_places(np.lexsort((docs.pos, docs.tid, -docs.tid_day[docs.tid]))),
    )


def _positions_by_word(tokens: np.ndarray, vocabulary: int) -> np.ndarray:
    """Token indices grouped by word, ascending within a word (a stable sort; numpy's
    is a radix sort on 16-bit keys, so a vocabulary under 65,536 sorts in linear time)."""
    keys = tokens.astype(np.uint16) if vocabulary <= 1 << 16 else tokens
    return np.argsort(keys, kind="stable").astype(np.int32)


def _places(order: np.ndarray) -> np.ndarray:
    places = np.empty(len(order), dtype=np.int64)
    places[order] = np.arange(len(order))
    return places


# --- what a query looks for ---------------------------------------------------------

# One element of a hit: ("stem", s) matches a word with that stem, ("word", w) that word.
Element = tuple[str, str]
Unit = tuple[Element, ...]  # one word, or a phrase's words in a row


def hit_units(q: wq.Query | None) -> list[Unit]:
    """What the query's positive words look for in text (negated words are not hits)."""
    units: dict[Unit, None] = {}
    _collect(q, units)
    return list(units)


def _collect(q: wq.Query | None, units: dict[Unit, None]) -> None:
    if q is None or isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        _collect(q.a, units)
        return
    if isinstance(q, wq.Term):
        kind = _element_kind(q.fieldname)
        if kind and q.text:
            units[((kind, q.text),)] = None
        return
    if isinstance(q, wq.Phrase):
        kind = _element_kind(q.fieldname)
        if kind and q.words:
            elements = tuple((kind, w) for w in q.words)
            if q.slop == 1:
                units[elements] = None
            else:  # "a b"~3: the words, near each other in some order; each one a hit
                units.update(((e,), None) for e in elements)
        return
    for child in q.children():
        _collect(child, units)


def _element_kind(fieldname: str) -> str | None:
    if fieldname == EXACT:
        return "word"
    if fieldname == TEXT or fieldname in TITLE_FIELDS:
        return "stem"
    return None  # speaker, role, tags: filters, not words in the text


def _element_words(table: WordTable, element: Element) -> np.ndarray:
    """Bool per folded word id: the words this element matches."""
    kind, text = element
    if kind == "word":
        hit = np.zeros(len(table.words), dtype=bool)
        if text in table.word_ids:
            hit[table.word_ids[text]] = True
        return hit
    hit = np.zeros(len(table.words), dtype=bool)
    s = table.stem_ids.get(text, -1)
    if s >= 0:
        hit[table.stem_members[int(table.stem_starts[s]) : int(table.stem_starts[s + 1])]] = True
    return hit


def _in_language(table: WordTable, element: Element, doc: np.ndarray) -> np.ndarray:
    """Bool per document of ``doc``: whether a stem element can match there (a stem of
    one language matches in that language's documents only; words match anywhere)."""
    kind, text = element
    if kind != "stem" or table.doc_lang is None:
        return np.ones(len(doc), dtype=bool)
    lang = language.term_language(text)
    number = table.languages.index(lang) if lang in table.languages else -1
    keep: np.ndarray = table.doc_lang[doc] == number
    return keep


@dataclass
class Hits:
    """Every hit of a selection: first token and length, in table order."""

    start: np.ndarray  # global token index of the hit's first word
    length: np.ndarray  # words in the hit
    doc: np.ndarray  # document number


def find_hits(table: WordTable, units: list[Unit], mask: np.ndarray) -> Hits:
    """Occurrences of any unit in the documents of ``mask``, never overlapping."""
    starts, lengths = [], []
    for unit in units:
        cand = table.positions(np.flatnonzero(_element_words(table, unit[0])))
        doc = np.searchsorted(table.doc_start, cand, side="right") - 1
        keep = mask[doc] & _in_language(table, unit[0], doc)
        cand, doc = cand[keep], doc[keep]
        for k, element in enumerate(unit[1:], start=1):
            nxt = cand + k
            inside = nxt < table.doc_start[doc + 1]
            cand, doc, nxt = cand[inside], doc[inside], nxt[inside]
            ok = _element_words(table, element)[table.tokens[nxt]] & _in_language(
                table, element, doc
            )
            cand, doc = cand[ok], doc[ok]
        starts.append(cand)
        lengths.append(np.full(len(cand), len(unit), dtype=np.int32))
    if not starts:
        return Hits(np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int64))
    start, length = np.concatenate(starts), np.concatenate(lengths)
    if len(starts) > 1 or max(len(u) for u in units) > 1:
        # Hits do not overlap: the longest at a word wins, and a hit that starts inside
        # an earlier one ("council" in "Security Council") is part of it, not a line.
        order = np.lexsort((-length, start))
        start, length = start[order], length[order]
        covered = np.maximum.accumulate(start + length)
        keep = np.ones(len(start), dtype=bool)
        keep[1:] = start[1:] >= covered[:-1]
        start, length = start[keep], length[keep]
    doc = np.searchsorted(table.doc_start, start, side="right") - 1
    return Hits(start, length, doc)


# --- ordering -----------------------------------------------------------------------


def order_hits(table: WordTable, hits: Hits, sort: str, scores: np.ndarray) -> np.ndarray:
    """Indices into ``hits`` in the order asked for: by date (the transcript, then where
    in it), or by a key with the date order breaking its ties."""
    places = table.newest if sort == "newest" else table.oldest
    # Hits come in token order, so one document's hits are already in reading order.
    order = np.argsort(places[hits.doc], kind="stable")
    if sort == "relevance" and len(scores):
        keys = [np.unique(-scores[hits.doc], return_inverse=True)[1].reshape(-1)]
    elif sort in CONTEXT_KEYS:
        keys = [_sort_key(table, hits, k) for k in CONTEXT_KEYS[sort]]
    else:
        keys = []
    if not keys or not len(order):
        return order
    # One sort on a single number where it fits in 63 bits: each key's rank, then the
    # place in date order (unique, so any sort algorithm gives the same order) ...
    spans = [int(k.max()) - int(k.min()) + 1 for k in keys]
    if math.prod(spans) * len(order) < 2**62:
        composite = np.zeros(len(order), dtype=np.int64)
        for key, span in zip(keys, spans, strict=True):
            composite = composite * span + (key[order].astype(np.int64) - int(key.min()))
        composite = composite * len(order) + np.arange(len(order))
        return order[np.argsort(composite)]
    for key in reversed(keys):  # ... else a stable pass a key, least significant first
        order = order[np.argsort(key[order], kind="stable")]
    return order


# The words each context sort compares, most significant first.
CONTEXT_KEYS = {
    "left1": (-1, -2),
    "left2": (-2, -1),
    "right1": (1, 2),
    "right2": (2, 1),
    "match": (0, 1, 2),
}


def _sort_key(table: WordTable, hits: Hits, offset: int) -> np.ndarray:
    """Alphabetical rank of the hit's first word (0), or of the word ``offset`` words
    before (-) or after (+) it; -1 where the utterance ends first, so it sorts first."""
    if offset == 0:
        ranks: np.ndarray = table.word_rank[table.tokens[hits.start]]
        return ranks
    at = hits.start + offset if offset < 0 else hits.start + hits.length - 1 + offset
    inside = (at >= table.doc_start[hits.doc]) & (at < table.doc_start[hits.doc + 1])
    rank = np.full(len(at), -1, dtype=np.int32)
    rank[inside] = table.word_rank[table.tokens[at[inside]]]
    return rank


# --- lines --------------------------------------------------------------------------


@dataclass
class ConcordanceLine:
    number: int  # 1-based place in the whole ordered concordance
    transcript_id: str
    title: str
    date: str
    position: int
    kind: str  # page | turn | narrative
    speaker: str  # canonical name ("" for narrative and the page's title and summary)
    label: str  # as printed
    role: str
    left: str  # context before the match, whitespace collapsed
    match: str  # the hit as written
    right: str


@dataclass
class Concordance:
    request: SearchRequest
    sort: str
    page: int
    per_page: int
    width: int
    total: int  # hits
    utterances: int  # documents with at least one hit
    transcripts: int
    matched: int  # documents the search matched
    lines: list[ConcordanceLine]
    notes: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class OrderedHits:
    """A selection's hits in order, ready to be turned into lines (a page, or all)."""

    gen: Generation
    selection: Selection
    table: WordTable
    hits: Hits
    order: np.ndarray
    width: int

    @property
    def total(self) -> int:
        return len(self.order)

    def lines(self, start: int = 0, stop: int | None = None) -> list[ConcordanceLine]:
        return list(self.iter_lines(start, stop))

    def iter_lines(self, start: int = 0, stop: int | None = None) -> Iterator[ConcordanceLine]:
        """Lines ``start:stop`` of the order; stored text is read once per document."""
        gen, table, hits = self.gen, self.table, self.hits
        searcher = gen.searcher()
        last_doc, stored = -1, {}
        picked = self.order[start:stop]
        for number, i in enumerate(picked.tolist(), start=start + 1):
            doc = int(hits.doc[i])
            if doc != last_doc:
                stored, last_doc = searcher.stored_fields(doc), doc
            text = stored.get("body", "")
            first = int(hits.start[i])
            last = first + int(hits.length[i]) - 1
            begin = int(table.chars[first])
            last_word = _WORD.match(text, int(table.chars[last]))
            end = last_word.end() if last_word else begin
            t = int(gen.table.tid[doc])
            meta = gen.meta(searcher, t)
            yield ConcordanceLine(
                number=number,
                transcript_id=gen.table.tids[t],
                title=meta.get("title", ""),
                date=meta.get("effective_date", ""),
                position=int(gen.table.pos[doc]),
                kind=stored.get("kind", ""),
                speaker=stored.get("speaker") or "",
                label=stored.get("label") or "",
                role=stored.get("role") or "",
                left=left_context(text, begin, self.width),
                match=_SPACE.sub(" ", text[begin:end]),
                right=right_context(text, end, self.width),
            )


def left_context(text: str, begin: int, width: int) -> str:
    """About ``width`` characters before the match, starting at a whole word."""
    cut = max(0, begin - width)
    piece = text[cut:begin]
    if cut > 0 and not text[cut - 1].isspace():
        space = _SPACE.search(piece)
        piece = piece[space.start() :] if space else ""
    return _SPACE.sub(" ", piece).lstrip()


def right_context(text: str, end: int, width: int) -> str:
    stop = min(len(text), end + width)
    piece = text[end:stop]
    if stop < len(text) and not text[stop].isspace():
        spaces = list(_SPACE.finditer(piece))
        piece = piece[: spaces[-1].start()] if spaces else ""
    return _SPACE.sub(" ", piece).rstrip()


def check_concordance(req: SearchRequest, sort: str, width: int) -> None:
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)} (got '{sort}').")
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise QueryError(f"width must be between {MIN_WIDTH} and {MAX_WIDTH} characters.")
    if not req.q.strip():
        raise NoWordsToShow(
            "A concordance needs a query: type a word or a \"phrase\" to see every "
            "place it occurs, with the words around it."
        )


def check_page(page: int, per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}.")
    if page < 1:
        raise QueryError("page must be 1 or more.")


def ordered_hits(
    index: TranscriptIndex, req: SearchRequest, sort: str = SORTS[0], width: int = WIDTH
) -> OrderedHits:
    """Every hit of the search ``req`` (its query and all its filters), in ``sort`` order."""
    check_concordance(req, sort, width)
    selection = select(index, req)
    units = hit_units(selection.parsed.query)
    if selection.parsed.query is None or (not units and selection.parsed.query is not wq.NullQuery):
        raise NoWordsToShow(
            "This query names no words to show in context (only filters such as speaker: or "
            "geography:). Add a word or a \"phrase\"."
        )
    gen = selection.gen
    table = word_table(gen)
    hits = find_hits(table, units, selection.mask)
    order = order_hits(table, hits, sort, selection.scores)
    return OrderedHits(gen, selection, table, hits, order, width)


def concordance(
    index: TranscriptIndex,
    req: SearchRequest,
    sort: str = SORTS[0],
    page: int = 1,
    per_page: int = PER_PAGE,
    width: int = WIDTH,
) -> Concordance:
    """One page of the concordance of ``req``, with its totals."""
    check_page(page, per_page)
    ordered = ordered_hits(index, req, sort, width)
    hits = ordered.hits
    has_hit = np.zeros(ordered.gen.table.size, dtype=bool)
    has_hit[hits.doc] = True
    docs = np.flatnonzero(has_hit)
    in_transcripts = np.zeros(len(ordered.gen.table.tids), dtype=bool)
    in_transcripts[ordered.gen.table.tid[docs]] = True
    start = (page - 1) * per_page
    return Concordance(
        request=req,
        sort=sort,
        page=page,
        per_page=per_page,
        width=width,
        total=ordered.total,
        utterances=len(docs),
        transcripts=int(in_transcripts.sum()),
        matched=int(ordered.selection.mask.sum()),
        lines=ordered.lines(start, start + per_page) if start < ordered.total else [],
        notes=list(ordered.selection.parsed.notes),
    )
