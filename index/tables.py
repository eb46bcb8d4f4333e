"""Per-generation tables: what every searcher needs, written once beside the index.

Opening an index generation used to rebuild the document table (transcript ids,
positions, dates, word counts), the facet tables and the BM25 field lengths from Whoosh's
postings and columns in every new process: most of a second before the first search.
Now the writer computes them once, right after the Whoosh commit, into
``<generation>/tables/`` (numpy ``.npy`` arrays plus one small JSON file of value lists),
and a searcher memory-maps them: opening costs a few milliseconds and the pages are
shared by every process that opens the same generation.

The layout is defined here only; ``search.facets`` and ``search.scoring`` read it through
:func:`load` (or :func:`compute` for an old generation without tables). It is generic
over ``schema.VALUE_FIELDS`` and ``LENGTH_FIELDS``: a new value field or a new scored
field gets its tables without a change here.

The two word fields live here, not in Whoosh (see ``index.schema``): ``exact`` (words as
written) with its vocabulary, document frequencies and postings (a byte per count), and
``text`` (stems) as each stem's member words, whose postings are merged when searched;
plus the ``exact`` token stream, on which phrases are matched with array operations, and
where each token starts in the stored text (the concordance and the ranking's proximity
read these, not the text). Prefix expansion and the query cost estimate need no walk of
a term index. A new numeric column for the document table goes into ``compute``
(``_numeric_column``).

An incremental reindex passes the live generation's tables (``previous``): the rows of
the documents it kept are taken over, renumbered, and only the documents it wrote are
read; the result is the same arrays a computation from scratch gives.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, byte_to_length

from transcripts.index import language
from transcripts.index.schema import (
    EXACT,
    KIND_PAGE,
    TEXT,
    VALUE_FIELDS,
    WORD_PATTERN,
    WORD_RE,
    fold,
)

FOLDER = "tables"
INFO = "tables.json"
# Bumped when the layout or the words' folding changes: an older one is recomputed at
# open. 5: words folded without accents (``schema.fold``); 6: incremental tables, token
# offsets, nothing written twice; 7: token marks (``chars_at``); 8: stems per language
# (``index.language``) and each document's language (``lang``).
FORMAT = 8
LENGTH_FIELDS = ("text", "exact", "title", "role")  # fields scored with BM25
DOC_COLUMNS = ("live", "tid", "pos", "day", "words", "is_page", "lang")  # see compute()
# Per kept word field (KeptField), those it has.
TOKEN_ARRAYS = (
    "tokens", "token_starts", "token_seps", "token_sep_over_at", "token_sep_over", "token_marks",
)
MARK_EVERY = 32  # token_marks: the offset of every 32nd token of the stream
KEPT_ARRAYS = ("df", "docs", "tf", "starts", "tf_over_at", "tf_over", "members", "member_starts")


@dataclass
class ValueTable:
    """One value field: documents and value ids, grouped by value (sorted by value id)."""

    values: list[str]  # value id -> value
    docs: np.ndarray  # int32 document numbers ...
    vals: np.ndarray  # ... and their value ids
    starts: np.ndarray  # docs[starts[v]:starts[v+1]] have value v


@dataclass
class KeptField:
    """A word field kept here rather than in Whoosh: its vocabulary (sorted as Whoosh
    sorts terms, so a prefix is a range of ids), and its postings word by word: word w
    is in docs[starts[w]:starts[w + 1]], tf times in each."""

    words: list[str] | None  # None: not read yet (see load_words)
    df: np.ndarray  # documents per word
    docs: np.ndarray | None = None  # None: only the vocabulary is kept (older layout)
    tf: np.ndarray | None = None  # uint8, 255 where the count is in tf_over ...
    starts: np.ndarray | None = None
    tf_over_at: np.ndarray | None = None  # ... at these places of tf (sorted)
    tf_over: np.ndarray | None = None
    # A field derived from another (``text``: stems of ``exact`` words) keeps no postings
    # of its own: word w stands for the source's words members[member_starts[w]:...+1].
    members: np.ndarray | None = None
    member_starts: np.ndarray | None = None


@dataclass
class Tables:
    """Everything per document a searcher needs, as arrays (memory-mapped when loaded)."""

    size: int
    columns: dict[str, np.ndarray]  # DOC_COLUMNS, one entry per document
    tids: list[str]  # transcript ordinal -> id (``columns["tid"]`` holds ordinals)
    values: dict[str, ValueTable]  # per VALUE_FIELDS name
    lengths: dict[str, np.ndarray]  # float32 BM25 field lengths per LENGTH_FIELDS field
    kept: dict[str, KeptField]  # KEPT_FIELDS (or only the exact vocabulary, older layout)
    # The exact field as a token stream: document d's words (as exact ids, in order) are
    # tokens[token_starts[d]:token_starts[d + 1]]. Phrases are matched on it.
    tokens: np.ndarray | None = None
    token_starts: np.ndarray | None = None
    # Where each token starts in its document's stored text, for the concordance (read
    # by ``token_chars``, so it never tokenizes a text again). Kept as the characters
    # between the end of the word before (as folded: its length in the vocabulary) and
    # the token, 0-7 and nearly always 1 or 2, so two bits a token (four to a byte in
    # token_seps); a 3 there means the value is at the same place of token_sep_over_at
    # in token_sep_over. A document's first token: its offset.
    token_seps: np.ndarray | None = None
    token_sep_over_at: np.ndarray | None = None
    token_sep_over: np.ndarray | None = None
    # The offset of every MARK_EVERY-th token of the stream, in its document (uint32):
    # a token's offset is then a sum over at most MARK_EVERY separators (``chars_at``),
    # where the separators alone need its whole document before it.
    token_marks: np.ndarray | None = None
    # Language codes, in the order ``columns["lang"]`` numbers them ("en" alone for an
    # English corpus): a ``text`` term of one language matches its documents only.
    languages: list[str] = dataclasses.field(default_factory=lambda: [language.DEFAULT])


# -- reading Whoosh (shared with search.scoring) ------------------------------


def postings(reader: Any, field: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
    """All document numbers with the term, and its frequency in each."""
    id_parts: list[np.ndarray] = []
    tf_parts: list[np.ndarray] = []
    for leaf, base in reader.leaf_readers():
        if (field, text) not in leaf:
            continue
        ids, tf = _leaf_postings(leaf.postings(field, text))
        id_parts.append(ids + base)
        tf_parts.append(tf)
    if not id_parts:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
    return np.concatenate(id_parts), np.concatenate(tf_parts)


def _leaf_postings(m: Any) -> tuple[np.ndarray, np.ndarray]:
    """A segment's posting list as arrays, a block at a time where the codec allows.

    The block attributes belong to Whoosh 2.7's W3 codec (pinned); any other matcher is
    read one posting at a time through the public interface.
    """
    ids: list[int] = []
    weights: list[float] = []
    if all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_lastblock", "_next_block")):
        while m.is_active():
            m._read_ids()
            m._read_weights()
            ids.extend(m._ids)
            weights.extend(m._weights)
            if m._lastblock:
                break
            m._next_block()
    else:
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)


_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def field_lengths(reader: Any, field: str) -> np.ndarray:
    """Every document's length in ``field`` (Whoosh's one-byte approximation)."""
    lengths = np.zeros(reader.doc_count_all(), dtype=np.float32)
    if field in reader.schema:
        for leaf, base in reader.leaf_readers():
            n = leaf.doc_count_all()
            lengths[base : base + n] = _leaf_lengths(leaf, field, n)
    return lengths


def _leaf_lengths(leaf: Any, field: str, n: int) -> np.ndarray:
    """W3 keeps lengths as one byte each in a column: read whole (private to the pinned
    codec), else one document at a time through the public call."""
    try:
        column = leaf._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        if column is None:
            return np.zeros(n, dtype=np.float32)
        raw = np.frombuffer(column._dbfile.get(column._basepos, n), dtype=np.uint8)
        # The column stops at the last document that has the field: the rest are 0.
        return np.concatenate([_BYTE_TO_LENGTH[raw], np.zeros(n - len(raw), np.float32)])
    except (AttributeError, TypeError, ValueError):
        return np.array([leaf.doc_field_length(d, field, 0) or 0 for d in range(n)], np.float32)


def _text(raw: str | bytes) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


def _value_table(reader: Any, fieldname: str) -> ValueTable:
    """Segment by segment: the merged reader looks every term up in every segment."""
    parts: dict[bytes, list[np.ndarray]] = {}
    for leaf, base in reader.leaf_readers():
        if fieldname not in leaf.schema:
            continue
        for raw, _ in leaf.iter_field(fieldname):
            ids, _ = _leaf_postings(leaf.postings(fieldname, raw))
            parts.setdefault(raw, []).append(ids + base)
    # A value whose documents are all deleted (Whoosh keeps the term until a merge) is
    # left out: it matches nothing, and an incremental update drops it too.
    merged = {k: np.concatenate(p) for k, p in parts.items()}
    keys = sorted(k for k, p in merged.items() if len(p))
    doc_parts = [merged[k] for k in keys]
    sizes = [len(p) for p in doc_parts]
    docs = np.concatenate(doc_parts) if doc_parts else np.empty(0, dtype=np.int32)
    vals = np.repeat(np.arange(len(keys), dtype=np.int32), sizes)
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    return ValueTable([_text(k) for k in keys], docs.astype(np.int32), vals, _narrow(starts))


def _vocabulary(reader: Any, fieldname: str) -> tuple[list[str], np.ndarray]:
    """Every word of the field with its document frequency (summed over segments, as
    Whoosh's own ``doc_frequency`` counts it)."""
    df: dict[bytes, int] = {}
    for leaf, _ in reader.leaf_readers():
        if fieldname not in leaf.schema:
            continue
        for raw, info in leaf.iter_field(fieldname):
            df[raw] = df.get(raw, 0) + info.doc_frequency()
    keys = sorted(df)
    return [_text(k) for k in keys], np.array([df[k] for k in keys], dtype=np.int32)


def _numeric_column(reader: Any, fieldname: str) -> np.ndarray:
    """A numeric column for every document, read a segment at a time as one array (the
    W3 layout: fixed-width big-endian values, the trailing default ones left out)."""
    out = np.zeros(reader.doc_count_all(), dtype=np.int64)
    for leaf, base in reader.leaf_readers():
        n = leaf.doc_count_all()
        if not leaf.has_column(fieldname):
            continue
        col = leaf.column_reader(fieldname, translate=False)
        try:
            count, width = col._count, col._fixedlen
            raw = col._dbfile.get(col._basepos, count * width) if count else b""
            values = np.frombuffer(raw, dtype=">" + col._typecode)
            out[base : base + n] = col._default
            out[base : base + len(values)] = values
        except (AttributeError, TypeError, ValueError):
            out[base : base + n] = list(col)
    return out.astype(np.int32)


def _id_column(reader: Any, fieldname: str) -> list[str]:
    """A text column for every document, a segment's values read in one piece (the W3
    variable-length layout: values back to back, then their lengths); through the
    public iteration, one value a call, for any other."""
    out: list[str] = []
    for leaf, _ in reader.leaf_readers():
        col = leaf.column_reader(fieldname, translate=False)
        try:
            lengths = np.asarray(col._lengths, dtype=np.int64)
            ends = np.cumsum(lengths)
            starts = ends - lengths
            if not np.array_equal(np.asarray(col._offsets, dtype=np.int64), starts):
                raise ValueError("not back to back")
            data = col._dbfile.get(col._basepos, int(ends[-1])) if len(ends) else b""
            pairs = zip(starts.tolist(), ends.tolist(), strict=True)
            values = [data[a:b].decode("utf-8") for a, b in pairs]
        except (AttributeError, TypeError, ValueError):
            values = [_text(v) for v in col]
        out.extend(values)
    return out


def needs_tokens(schema: Any) -> bool:
    """Whether the word fields live in the tables: generations built since they left
    Whoosh (older ones kept them there, ``exact`` with positions)."""
    return EXACT not in schema


class _WordIds(dict[str, int]):
    """Word as written -> id; each new spelling is folded once, each new folded word gets
    the next id (in order of first sight: renumbered in sorted order afterwards)."""

    def __init__(self) -> None:
        super().__init__()
        self.folded: dict[str, int] = {}

    def __missing__(self, word: str) -> int:
        f = fold(word)
        i = self.folded.get(f)
        if i is None:
            i = self.folded[f] = len(self.folded)
        self[word] = i
        return i


_SPLIT_WORDS = re.compile(f"({WORD_PATTERN})")  # split() keeps the words and what is between
_TOKENIZE_CHUNK = 2_000  # documents joined for one regex pass
_ARRAY_TOKENIZE_CHARS = 2**20
_WORD_CHAR: np.ndarray | None = None  # bool per code point: what ``\w`` matches
_APOSTROPHES = (ord("'"), ord("’"))


def _word_char() -> np.ndarray:
    global _WORD_CHAR
    if _WORD_CHAR is None:
        every = "".join(map(chr, range(0x110000)))
        table = np.zeros(0x110000, dtype=bool)
        table[[m.start() for m in re.finditer(r"\w", every)]] = True
        _WORD_CHAR = table
    return _WORD_CHAR


def _word_starts(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Where each ``WORD_PATTERN`` word of ``text`` starts, and its length, with array
    operations over its code points: a word is a run of word characters and of the
    apostrophes that join two of them (not one before a possessive "s" that ends a
    word). The caller checks both against the regex's words (``_tokenize``): should
    ``WORD_PATTERN`` change, the regex stays the rule."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    word = _word_char()[points]
    before = np.r_[False, word[:-1]]
    after = np.r_[word[1:], False]
    nxt = np.r_[points[1:], 0]
    joins = ((points == _APOSTROPHES[0]) | (points == _APOSTROPHES[1])) & before & after
    possessive = ((nxt == ord("s")) | (nxt == ord("S"))) & ~np.r_[word[2:], False, False]
    inside = word | (joins & ~possessive)
    starts = np.flatnonzero(inside & ~np.r_[False, inside[:-1]])
    ends = np.flatnonzero(inside & ~np.r_[inside[1:], False]) + 1
    return starts, ends - starts


@dataclass
class _Fresh:
    """The documents tokenized by this build, in document order: their words as ids of
    ``ids`` and where each word starts in its document's stored text."""

    docs: np.ndarray  # document numbers, ascending
    counts: np.ndarray  # words per document
    ids: np.ndarray  # int64 ids of ``words`` per token
    chars: np.ndarray  # int64 start of each token in its document's text
    words: list[str]  # id -> folded word (first-sight order)


def _tokenize(reader: Any, fresh: np.ndarray, text_of: Callable[[int], str | None]) -> _Fresh:
    """The stored text of the documents ``fresh`` (bool per document) tokenized as
    ``exact`` indexes them (the ``WORD_RE`` words, folded). A chunk of bodies is joined
    by newlines (no word spans one) and read by the regex once; the offsets come from
    array operations over its code points, or from the regex's split. ``text_of(d)``:
    the body the writer still has in memory (None: read from the index)."""
    bodies: list[str] = []
    docs: list[int] = []
    for leaf, base in reader.leaf_readers():
        n = leaf.doc_count_all()
        for d in np.flatnonzero(fresh[base : base + n]).tolist():
            docs.append(base + d)
            body = text_of(base + d)
            if body is None:
                body = leaf.stored_fields(d).get("body") or ""
            bodies.append(body)
    ids = _WordIds()
    id_parts: list[np.ndarray] = []
    char_parts: list[np.ndarray] = []
    count_parts: list[np.ndarray] = []
    for at in range(0, len(bodies), _TOKENIZE_CHUNK):
        chunk = bodies[at : at + _TOKENIZE_CHUNK]
        joined = "\n".join(chunk)
        raw = WORD_RE.findall(joined)
        # Offsets by array operations for a large chunk (the character table they need
        # costs a quarter second to make: not worth it for the few documents of an
        # incremental run); else, and should the two ever disagree, from the regex.
        starts: np.ndarray | None = None
        if len(joined) >= _ARRAY_TOKENIZE_CHARS or _WORD_CHAR is not None:
            starts, lengths = _word_starts(joined)
            if len(starts) != len(raw) or not np.array_equal(
                lengths, np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
            ):
                starts = None
        if starts is None:
            parts = _SPLIT_WORDS.split(joined)
            lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
            starts = (np.cumsum(lengths) - lengths)[1::2]
        bases = np.zeros(len(chunk), dtype=np.int64)
        np.cumsum([len(b) + 1 for b in chunk[:-1]], out=bases[1:])
        owner = np.searchsorted(bases, starts, side="right") - 1
        id_parts.append(np.fromiter(map(ids.__getitem__, raw), dtype=np.int64, count=len(raw)))
        char_parts.append(starts - bases[owner])
        count_parts.append(np.bincount(owner, minlength=len(chunk)))
    empty = np.empty(0, dtype=np.int64)
    return _Fresh(
        docs=np.asarray(docs, dtype=np.int64),
        counts=np.concatenate(count_parts) if count_parts else empty,
        ids=np.concatenate(id_parts) if id_parts else empty,
        chars=np.concatenate(char_parts) if char_parts else empty,
        words=list(ids.folded),
    )


def _small(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts fit a byte but for a few: those are kept apart (255 in the byte
    array, the value at the same place of ``over``), so every value stays exact."""
    over = np.flatnonzero(values >= 255)
    return (
        np.minimum(values, 255).astype(np.uint8),
        over.astype(np.int64),
        values[over].astype(np.int64),
    )


def _unsmall(
    small: np.ndarray, over_at: np.ndarray | None, over: np.ndarray | None
) -> np.ndarray:
    values = np.asarray(small, dtype=np.int64)
    if over_at is not None and len(over_at):
        assert over is not None  # kept with over_at (``_small``)
        values[np.asarray(over_at)] = over
    return values


def _doc_dtype(size: int) -> type[np.integer[Any]]:
    """Document numbers in the postings: two bytes a posting while they fit."""
    return np.uint16 if size <= 2**16 else np.int32


def _kept_from_pairs(words: list[str], keys: np.ndarray, tf: np.ndarray, n: int) -> KeptField:
    """A field's postings from its (word * n + document) keys, ascending, and counts."""
    starts = np.searchsorted(keys // n, np.arange(len(words) + 1)).astype(np.int64)
    tf_small, over_at, over = _small(tf)
    return KeptField(
        words=words,
        df=np.diff(starts).astype(np.int32),
        docs=(keys % n).astype(_doc_dtype(n)),
        tf=tf_small,
        starts=_narrow(starts),
        tf_over_at=over_at,
        tf_over=over,
    )


def _derived_field(stems: list[str], stem_of: np.ndarray, df: np.ndarray) -> KeptField:
    """A field whose word w stands for the source words ``stem_of == w`` (stems of
    words): its document frequencies and member lists; postings are merged when
    searched."""
    members = np.argsort(stem_of, kind="stable").astype(np.int32)
    return KeptField(
        words=stems,
        df=df.astype(np.int32),
        members=members,
        member_starts=_narrow(np.searchsorted(stem_of[members], np.arange(len(stems) + 1))),
    )


def _stem_df(
    stem_of_word: np.ndarray, word: np.ndarray, doc: np.ndarray, stems: int, n: int
) -> np.ndarray:
    """Documents per stem, from (word, document) postings."""
    keys = np.sort(stem_of_word[word] * n + doc)  # a sort: faster here than a hash
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    return np.bincount(keys // n, minlength=stems)


def _old_postings(k: KeptField) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A kept field's postings as (word, document, count) arrays."""
    word = np.repeat(np.arange(len(k.df), dtype=np.int64), np.diff(np.asarray(k.starts)))
    assert k.tf is not None  # a field with postings (``exact``), not a vocabulary alone
    return word, np.asarray(k.docs, dtype=np.int64), _unsmall(k.tf, k.tf_over_at, k.tf_over)


def _pack2(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values of 0-2 in two bits each, four to a byte; the rest kept apart."""
    over = np.flatnonzero((values < 0) | (values > 2))
    small = np.where((values < 0) | (values > 2), 3, values).astype(np.uint8)
    small = np.concatenate([small, np.zeros(-len(small) % 4, dtype=np.uint8)]).reshape(-1, 4)
    packed = small[:, 0] | (small[:, 1] << 2) | (small[:, 2] << 4) | (small[:, 3] << 6)
    at_type = np.uint32 if len(values) < 2**32 else np.int64
    return packed.astype(np.uint8), over.astype(at_type), values[over].astype(np.int32)


_UNPACK2 = np.array([[b >> shift & 3 for shift in (0, 2, 4, 6)] for b in range(256)], np.uint8)


def _unpack2(
    packed: np.ndarray, over_at: np.ndarray, over: np.ndarray, a: int, b: int
) -> np.ndarray:
    """Values a:b of what ``_pack2`` packed."""
    lo = a // 4
    small = _UNPACK2[np.asarray(packed[lo : -(-b // 4)])].reshape(-1)
    values: np.ndarray = small[a - 4 * lo : b - 4 * lo].astype(np.int64)
    if len(over_at):
        i, j = np.searchsorted(over_at, [a, b])
        if j > i:
            values[np.asarray(over_at[i:j], dtype=np.int64) - a] = over[i:j]
    return values


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """starts[i], starts[i] + 1, ... (counts[i] of them) for each i, end to end: the
    places of many slices at once (a document's tokens, a value's documents)."""
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))


def word_lengths(words: list[str]) -> np.ndarray:
    return np.fromiter(map(len, words), dtype=np.int64, count=len(words))


def _separators(chars: np.ndarray, lengths: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Token offsets (``chars``, documents of ``counts`` tokens back to back) as what
    lies between each word (``lengths``: each token's length) and the one before: what
    ``Tables`` keeps. A document's first token: its offset."""
    seps = chars.copy()
    seps[1:] -= chars[:-1] + lengths[:-1]
    firsts = (np.cumsum(counts) - counts)[counts > 0]
    seps[firsts] = chars[firsts]
    return seps


def token_chars(t: Tables, words: list[str]) -> np.ndarray | None:
    """Where each token of the stream starts in its document's stored text (int64),
    decoded from the separators kept; ``words``: the exact vocabulary."""
    if t.token_seps is None:
        return None
    # The token arrays are set together (``compute``, ``load``).
    assert t.token_starts is not None
    assert t.token_sep_over_at is not None and t.token_sep_over is not None
    tokens = np.asarray(t.tokens, dtype=np.int64)
    seps = _unpack2(t.token_seps, t.token_sep_over_at, t.token_sep_over, 0, len(tokens))
    gaps = seps.copy()
    gaps[1:] += word_lengths(words)[tokens[:-1]]
    counts = np.diff(np.asarray(t.token_starts))
    firsts = np.asarray(t.token_starts[:-1])[counts > 0]
    gaps[firsts] = seps[firsts]
    total = np.cumsum(gaps)
    chars: np.ndarray = total - np.repeat((total - gaps)[firsts], counts[counts > 0])
    return chars


def token_marks(t: Tables, words: list[str]) -> np.ndarray:
    """The offsets ``Tables.token_marks`` keeps (written with the tables)."""
    chars = token_chars(t, words)
    assert chars is not None  # asked only of tables with a token stream
    return chars[::MARK_EVERY].astype(np.uint32)


def chars_at(t: Tables, lengths: np.ndarray, at: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Where the stream's tokens ``at`` start in their documents' stored text (``first``:
    each one's document's first token; ``lengths``: ``word_lengths`` of the vocabulary),
    each summed from the mark before it: a few array operations for a results page's
    every match, however long the speeches they are in."""
    at = np.asarray(at, dtype=np.int64)
    if not len(at):
        return at
    assert t.token_marks is not None  # asked only of tables with a token stream
    base = np.maximum(at - at % MARK_EVERY, first)
    on_mark = base % MARK_EVERY == 0
    out = np.empty(len(at), dtype=np.int64)
    out[on_mark] = t.token_marks[base[on_mark] // MARK_EVERY]
    out[~on_mark] = _seps_at(t, base[~on_mark])  # a document's first token: its offset
    steps = at - base
    width = int(steps.max())
    if width:
        assert t.tokens is not None  # set with token_marks
        idx = base[:, None] + np.arange(1, width + 1)
        inside = np.arange(width) < steps[:, None]
        idx = np.where(inside, idx, base[:, None] + 1)
        idx = np.minimum(idx, len(t.tokens) - 1)
        step = _seps_at(t, idx.ravel()).reshape(idx.shape)
        step += lengths[t.tokens[idx - 1]]
        out += np.where(inside, step, 0).sum(axis=1)
    return out


def _seps_at(t: Tables, at: np.ndarray) -> np.ndarray:
    """The separators (``Tables.token_seps``) of the stream's tokens ``at``."""
    assert t.token_seps is not None  # asked only of tables with a token stream
    seps: np.ndarray = ((t.token_seps[at >> 2] >> ((at & 3) << 1)) & 3).astype(np.int64)
    big = np.flatnonzero(seps == 3)
    if len(big):
        over_at = np.asarray(t.token_sep_over_at, dtype=np.int64)
        i = np.minimum(np.searchsorted(over_at, at[big]), len(over_at) - 1)
        assert t.token_sep_over is not None  # set with token_seps
        seps[big] = np.where(over_at[i] == at[big], t.token_sep_over[i], 3)
    return seps


@dataclass
class Previous:
    """The generation an incremental build started from: documents of transcripts it did
    not re-read have the same text and tags there, so their rows are taken from its
    tables instead of being read and tokenized again."""

    tables: Tables
    words: list[str]  # its exact vocabulary
    stems: list[str]  # its text vocabulary
    changed: set[str]  # transcript ids re-read, removed or moved by this build


def previous(generation: Path | None, changed: set[str]) -> Previous | None:
    """The tables of ``generation`` for reuse, when they are of this layout and whole."""
    if generation is None:
        return None
    try:
        info = json.loads((Path(generation) / FOLDER / INFO).read_text(encoding="utf-8"))
        kept = load(generation, info["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    words = load_words(generation, EXACT)
    stems = load_words(generation, TEXT)
    if kept is None or kept.token_seps is None or words is None or stems is None:
        return None
    return Previous(kept, words, stems, changed)


def _old_of_new(before: Previous, tids: list[str], tid: np.ndarray, pos: np.ndarray,
                live: np.ndarray) -> np.ndarray:
    """For each document, the previous generation's document with the same transcript
    and position when that transcript was not re-read (-1 for the rest)."""
    old = before.tables
    new_ordinal = {t: i for i, t in enumerate(tids)}
    tid_map = np.array(
        [-1 if t in before.changed else new_ordinal.get(t, -1) for t in old.tids] or [-1],
        dtype=np.int64,
    )
    old_tid = tid_map[np.asarray(old.columns["tid"], dtype=np.int64)]
    old_pos = np.asarray(old.columns["pos"], dtype=np.int64)
    span = int(max(old_pos.max(initial=0), pos.max(initial=0))) + 1
    usable = np.flatnonzero(np.asarray(old.columns["live"]) & (old_tid >= 0))
    old_keys = old_tid[usable] * span + old_pos[usable]
    order = np.argsort(old_keys, kind="stable")
    old_keys, usable = old_keys[order], usable[order]
    keys = tid.astype(np.int64) * span + pos
    at = np.minimum(np.searchsorted(old_keys, keys), max(len(old_keys) - 1, 0))
    found = live & (len(old_keys) > 0)
    if len(old_keys):
        found &= old_keys[at] == keys
    out = np.full(len(tid), -1, dtype=np.int64)
    out[found] = usable[at[found]]
    return out


def _word_fields(
    reader: Any, size: int, live: np.ndarray, old_of_new: np.ndarray | None,
    before: Previous | None, text_of: Callable[[int], str | None],
    doc_lang: np.ndarray, languages: list[str],
) -> tuple[dict[str, KeptField], np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``exact`` and ``text`` from each live document's stored text (they index the
    stored ``body``, see ``index.documents``), tokenized as their analyzers do: the same
    words in the same positions. One tokenizer pass in Python, each distinct word stemmed
    once, the rest numpy: Whoosh's analyzers and posting writer cost far more.

    An incremental build (``before``) tokenizes only the documents it wrote: the rest
    keep their rows of the previous generation's postings, token stream and offsets,
    renumbered (words and documents), and the stems' document counts are the previous
    ones less the documents gone plus the new ones. The result is the same arrays a
    build from scratch computes (``tests/test_tables.py`` compares them).

    Stems are per language (``index.language.text_term``): in a corpus of one language
    each word has one stem, as before languages were told apart; in a corpus of several,
    a word is stemmed once for each language it is written in, and a stem counts only the
    documents of its language."""
    n = max(size, 1)
    reused = (old_of_new >= 0) if old_of_new is not None else np.zeros(size, dtype=bool)
    fresh = _tokenize(reader, live & ~reused, text_of)
    lengths = np.zeros(size, dtype=np.int64)
    lengths[fresh.docs] = fresh.counts
    if before is not None:
        assert old_of_new is not None  # compute() maps the documents when there is a before
        old = before.tables
        old_starts = np.asarray(old.token_starts, dtype=np.int64)
        new_of_old = np.full(old.size, -1, dtype=np.int64)
        new_of_old[old_of_new[reused]] = np.flatnonzero(reused)
        lengths[reused] = np.diff(old_starts)[old_of_new[reused]]
        o_word, o_doc, o_tf = _old_postings(old.kept[EXACT])
        keep = new_of_old[o_doc] >= 0
        gone_word, gone_doc = o_word[~keep], o_doc[~keep]
        o_word, o_doc, o_tf = o_word[keep], new_of_old[o_doc[keep]], o_tf[keep]
        used_old = np.flatnonzero(np.bincount(o_word, minlength=len(before.words)))
    else:
        used_old = np.empty(0, dtype=np.int64)
    old_words = [before.words[i] for i in used_old.tolist()] if before is not None else []
    words = sorted(set(old_words).union(fresh.words))
    new_id = {w: i for i, w in enumerate(words)}
    fresh_to_new = np.array([new_id[w] for w in fresh.words] or [0], dtype=np.int64)
    token_starts = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(lengths, out=token_starts[1:])
    count = int(token_starts[-1])
    owner = np.repeat(np.arange(size, dtype=np.int64), lengths)
    tokens = np.empty(count, dtype=np.int64)
    seps = np.empty(count, dtype=np.int64)
    is_fresh = ~reused[owner]
    tokens[is_fresh] = fresh_to_new[fresh.ids] if len(fresh.ids) else fresh.ids
    fresh_lengths = word_lengths(fresh.words)[fresh.ids] if len(fresh.ids) else fresh.ids
    seps[is_fresh] = _separators(fresh.chars, fresh_lengths, fresh.counts)
    f_keys, f_tf = np.unique(tokens[is_fresh] * n + owner[is_fresh], return_counts=True)
    if before is not None:
        old_to_new = np.full(len(before.words), -1, dtype=np.int64)
        old_to_new[used_old] = [new_id[w] for w in old_words]
        at = np.flatnonzero(~is_fresh)
        assert old_of_new is not None  # as above
        # ``previous`` takes only tables with a token stream, whose arrays come together.
        assert old.tokens is not None and old.token_seps is not None
        assert old.token_sep_over_at is not None and old.token_sep_over is not None
        d = owner[at]
        from_old = at - token_starts[d] + old_starts[old_of_new[d]]
        tokens[at] = old_to_new[np.asarray(old.tokens)[from_old]]
        # What lies between words is the document's own: taken over as it was.
        old_seps = _unpack2(old.token_seps, old.token_sep_over_at, old.token_sep_over, 0,
                            len(old.tokens))
        seps[at] = old_seps[from_old]
        # Previous postings (renumbered: still ascending within a word unless Whoosh
        # merged segments out of order) and the new ones: one stable sort of two runs.
        keys = np.concatenate([old_to_new[o_word] * n + o_doc, f_keys])
        tf = np.concatenate([o_tf, f_tf])
        order = np.argsort(keys, kind="stable")
        keys, tf = keys[order], tf[order]
    else:
        keys, tf = f_keys, f_tf
    exact = _kept_from_pairs(words, keys, tf, n)
    if len(languages) > 1:
        text = _stems_by_language(words, exact, keys, n, doc_lang, languages)
    else:
        reuse = before is not None and before.tables.languages == languages
        text = _stems_of_one_language(
            words, exact, keys, n, languages[0] if languages else language.DEFAULT,
            before if reuse else None, old_words, used_old, new_id,
            (f_keys, gone_word, gone_doc) if reuse else None,
        )
    kept = {EXACT: exact, TEXT: text}
    token_type = np.uint16 if len(words) < 2**16 else np.uint32
    return kept, tokens.astype(token_type), _narrow(token_starts), _pack2(seps)


def _stems_of_one_language(
    words: list[str], exact: KeptField, keys: np.ndarray, n: int, lang: str,
    before: Previous | None, old_words: list[str], used_old: np.ndarray,
    new_id: dict[str, int], changes: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> KeptField:
    """The stems of a corpus in one language: each word stemmed once (a word the
    previous generation had keeps its stem from there, when it was of the same
    language), each stem's document count updated rather than recounted."""
    stem_str = [""] * len(words)
    if before is not None:
        old, old_k = before.tables, before.tables.kept[TEXT]
        old_stem_of = np.empty(len(before.words), dtype=np.int64)
        old_stem_of[np.asarray(old_k.members)] = np.repeat(
            np.arange(len(before.stems)), np.diff(np.asarray(old_k.member_starts))
        )
        for w, i in zip(old_words, old_stem_of[used_old].tolist(), strict=True):
            stem_str[new_id[w]] = before.stems[i]
    for i, w in enumerate(words):
        if not stem_str[i]:
            stem_str[i] = language.text_term(w, lang)
    stems = sorted(set(stem_str))
    stem_id = {s: i for i, s in enumerate(stems)}
    stem_of = np.array([stem_id[s] for s in stem_str], dtype=np.int64)
    if before is None or changes is None:
        word_of = np.repeat(np.arange(len(words), dtype=np.int64), exact.df)
        df = _stem_df(stem_of, word_of, keys % n, len(stems), n)
    else:
        # The previous counts, less the documents gone, plus the documents tokenized.
        f_keys, gone_word, gone_doc = changes
        old_df = np.asarray(old_k.df, dtype=np.int64)
        old_df -= _stem_df(old_stem_of, gone_word, gone_doc, len(before.stems), max(old.size, 1))
        df = np.zeros(len(stems), dtype=np.int64)
        alive = np.flatnonzero(old_df > 0)
        df[[stem_id[before.stems[s]] for s in alive.tolist()]] = old_df[alive]
        df += _stem_df(stem_of, f_keys // n, f_keys % n, len(stems), n)
    return _derived_field(stems, stem_of, df)


def _stems_by_language(
    words: list[str], exact: KeptField, keys: np.ndarray, n: int,
    doc_lang: np.ndarray, languages: list[str],
) -> KeptField:
    """The stems of a corpus in several languages: a word is stemmed once per language
    it is written in, so "die" in a German sitting is the German stem "de:die" and in
    an English one the English "die"; a stem's members are the words that have it in
    its language, and its document count the documents of that language with one of
    them (the searcher keeps a stem's merged postings to its language's documents)."""
    nl = len(languages)
    word_of = np.repeat(np.arange(len(words), dtype=np.int64), exact.df)
    doc_of = keys % n
    pairs, pair_of_posting = np.unique(word_of * nl + doc_lang[doc_of], return_inverse=True)
    terms = [language.text_term(words[p // nl], languages[p % nl]) for p in pairs.tolist()]
    stems = sorted(set(terms))
    stem_id = {s: i for i, s in enumerate(stems)}
    stem_of_pair = np.array([stem_id[t] for t in terms] or [0], dtype=np.int64)
    df = _stem_df(stem_of_pair, pair_of_posting.astype(np.int64), doc_of, len(stems), n)
    nw = max(len(words), 1)
    member_keys = np.unique(stem_of_pair[: len(pairs)] * nw + pairs // nl)
    return KeptField(
        words=stems,
        df=df.astype(np.int32),
        members=(member_keys % nw).astype(np.int32),
        member_starts=_narrow(np.searchsorted(member_keys // nw, np.arange(len(stems) + 1))),
    )


def _value_update(reader: Any, field: str, old: ValueTable, new_of_old: np.ndarray,
                  fresh: np.ndarray) -> ValueTable:
    """A value table from the previous generation's rows of the documents kept and the
    postings of the documents written since (read from the segments holding them)."""
    o_docs = np.asarray(old.docs, dtype=np.int64)
    o_vals = np.asarray(old.vals, dtype=np.int64)
    keep = new_of_old[o_docs] >= 0
    o_docs, o_vals = new_of_old[o_docs[keep]], o_vals[keep]
    pairs: dict[str, list[np.ndarray]] = {}
    for leaf, base in reader.leaf_readers():
        n = leaf.doc_count_all()
        if field not in leaf.schema or not fresh[base : base + n].any():
            continue
        for raw, _ in leaf.iter_field(field):
            ids, _ = _leaf_postings(leaf.postings(field, raw))
            ids = ids.astype(np.int64) + base
            ids = ids[fresh[ids]]
            if len(ids):
                pairs.setdefault(_text(raw), []).append(ids)
    used = np.flatnonzero(np.bincount(o_vals, minlength=len(old.values)))
    values = sorted({old.values[i] for i in used.tolist()}.union(pairs))
    value_id = {v: i for i, v in enumerate(values)}
    old_to_new = np.full(len(old.values), -1, dtype=np.int64)
    old_to_new[used] = [value_id[old.values[i]] for i in used.tolist()]
    f_docs = [np.concatenate(p) for p in pairs.values()]
    f_vals = [np.full(len(p), value_id[v]) for v, p in zip(pairs, f_docs, strict=True)]
    docs = np.concatenate([o_docs, *f_docs])
    vals = np.concatenate([old_to_new[o_vals], *f_vals]).astype(np.int64)
    order = np.lexsort((docs, vals))
    docs, vals = docs[order], vals[order]
    starts = np.searchsorted(vals, np.arange(len(values) + 1))
    return ValueTable(values, docs.astype(np.int32), vals.astype(np.int32), _narrow(starts))


def _live(reader: Any, size: int) -> np.ndarray:
    """Which documents are not deleted: each segment's deleted set at once (Whoosh asks
    per document otherwise)."""
    live = np.zeros(size, dtype=bool)
    for leaf, base in reader.leaf_readers():
        n = leaf.doc_count_all()
        try:
            deleted = np.fromiter(leaf.deleted_docs_set or (), dtype=np.int64)
        except (AttributeError, TypeError):
            deleted = np.array([d for d in range(n) if leaf.is_deleted(d)], dtype=np.int64)
        live[base : base + n] = True
        live[base + deleted] = False
    return live


def _doc_languages(table: ValueTable, size: int) -> tuple[np.ndarray, list[str]]:
    """Each document's language, as a number into the codes of the languages present
    (sorted); a document without one (none is, in a current index) is taken as English."""
    codes = [language.code_of_name(v) or language.DEFAULT for v in table.values]
    untold = size - len(np.unique(np.asarray(table.docs))) > 0
    languages = sorted(set(codes) | ({language.DEFAULT} if untold or not codes else set()))
    number = {c: i for i, c in enumerate(languages)}
    doc_lang = np.full(size, number.get(language.DEFAULT, 0), dtype=np.uint8)
    value_number = np.array([number[c] for c in codes] or [0], dtype=np.uint8)
    doc_lang[np.asarray(table.docs, dtype=np.int64)] = value_number[np.asarray(table.vals)]
    return doc_lang, languages


def compute(
    reader: Any, vocabulary: bool = True, before: Previous | None = None,
    bodies: dict[tuple[str, int, bool], str | None] | None = None,
) -> Tables:
    """The tables of an open index, read from its postings and columns (a few seconds
    for the development corpus: done once per build, not once per process); with
    ``before``, the rows of documents it already had are taken from there. ``bodies``:
    the texts just written, by (transcript id, position, is the page document), so they
    are not read back from the index (an unpickle and an inflate each)."""
    size = reader.doc_count_all()
    live = _live(reader, size)
    raw_ids = _id_column(reader, "tid")
    tids_array, tid = np.unique(np.array(raw_ids, dtype=object), return_inverse=True)
    is_page = np.zeros(size, dtype=bool)
    is_page[postings(reader, "kind", KIND_PAGE)[0]] = True
    columns = {
        "live": live,
        "tid": tid.astype(np.int32),
        "pos": _numeric_column(reader, "pos"),
        "day": _numeric_column(reader, "day"),
        "words": _numeric_column(reader, "words"),
        "is_page": is_page,
    }
    tids = tids_array.tolist()
    lengths = {f: field_lengths(reader, f) for f in LENGTH_FIELDS if f in reader.schema}
    old_of_new: np.ndarray | None = None
    if before is not None:
        old_of_new = _old_of_new(before, tids, columns["tid"], columns["pos"], live)
        new_of_old = np.full(before.tables.size + 1, -1, dtype=np.int64)
        new_of_old[old_of_new[old_of_new >= 0]] = np.flatnonzero(old_of_new >= 0)
        fresh = live & (old_of_new < 0)
        values = {
            name: _value_update(reader, field, before.tables.values[name], new_of_old, fresh)
            for name, field in VALUE_FIELDS.items()
        }
    else:
        values = {name: _value_table(reader, field) for name, field in VALUE_FIELDS.items()}
    columns["lang"], languages = _doc_languages(values["language"], size)
    tokens: np.ndarray | None = None
    token_starts: np.ndarray | None = None
    seps: tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None] = (None, None, None)
    kept: dict[str, KeptField] = {}
    if needs_tokens(reader.schema):
        bodies = bodies or {}
        tid_col, pos_col = columns["tid"], columns["pos"]

        def text_of(d: int) -> str | None:
            return bodies.get((tids[tid_col[d]], int(pos_col[d]), bool(is_page[d])))

        kept, tokens, token_starts, seps = _word_fields(
            reader, size, live, old_of_new, before, text_of, columns["lang"], languages
        )
        # Exact counts, not Whoosh's one-byte guess; stemming keeps the count.
        lengths[EXACT] = lengths[TEXT] = np.diff(token_starts).astype(np.float32)
    elif vocabulary:
        kept[EXACT] = KeptField(*_vocabulary(reader, EXACT))
    tables = Tables(
        size=size,
        columns=columns,
        tids=tids,
        values=values,
        lengths=lengths,
        kept=kept,
        tokens=tokens,
        token_starts=token_starts,
        token_seps=seps[0],
        token_sep_over_at=seps[1],
        token_sep_over=seps[2],
        languages=languages,
    )
    if tokens is not None:
        words = kept[EXACT].words
        assert words is not None  # _word_fields gives the vocabulary with the tokens
        tables.token_marks = token_marks(tables, words)
    return tables


# -- on disk -------------------------------------------------------------------


def write(generation: Path, tables: Tables) -> None:
    """Write the tables into ``generation/tables`` (the generation is not live yet)."""
    folder = Path(generation) / FOLDER
    folder.mkdir(exist_ok=True)
    for name, array in tables.columns.items():
        np.save(folder / f"doc_{name}.npy", array)
    # Nothing is written twice: a value table's value ids follow from its starts, a
    # field's document frequencies from its posting starts, and a length array shared
    # by two fields (stemming keeps the count) is one file.
    for name, table in tables.values.items():
        for part in ("docs", "starts"):
            np.save(folder / f"value_{name}_{part}.npy", getattr(table, part))
    same_lengths: dict[str, str] = {}
    for field, lengths in tables.lengths.items():
        twin = next((f for f in same_lengths if tables.lengths[f] is lengths), None)
        same_lengths[field] = same_lengths.get(twin, field) if twin else field
        if same_lengths[field] == field:
            np.save(folder / f"length_{field}.npy", lengths)
    for field, kept in tables.kept.items():
        (folder / f"{field}_words.txt").write_text("\n".join(kept.words or []), "utf-8")
        for part in _parts_on_disk(kept):
            np.save(folder / f"{field}_{part}.npy", getattr(kept, part))
    if tables.tokens is not None:
        for part in TOKEN_ARRAYS:
            np.save(folder / f"exact_{part}.npy", getattr(tables, part))
    info = {
        "format": FORMAT,
        "size": tables.size,
        "columns": list(tables.columns),
        "lengths": same_lengths,
        "tids": tables.tids,
        "values": {name: t.values for name, t in tables.values.items()},
        "kept": {f: _parts_on_disk(k) for f, k in tables.kept.items()},
        "tokens": tables.tokens is not None,
        "languages": tables.languages,
    }
    # Written last: a folder without it is incomplete and is recomputed at open.
    tmp = folder / (INFO + ".tmp")
    tmp.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / INFO)


def build(
    generation: Path, before: Previous | None = None,
    bodies: dict[tuple[str, int, bool], str | None] | None = None,
) -> Tables:
    """Compute and write the tables of a committed generation folder (writer side);
    ``before``: the generation an incremental build started from, to reuse its words;
    ``bodies``: the texts the writer just indexed (see ``compute``)."""
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(str(generation), supports_mmap=False).open_index()
    with ix.reader() as reader:
        tables = compute(reader, before=before, bodies=bodies)
    ix.close()
    write(generation, tables)
    return tables


# numpy reads each .npy header with ast.literal_eval, and CPython 3.11 keeps one AST
# recursion counter per interpreter (gh-106905): two threads opening a generation at
# once can fail with "SystemError: AST constructor recursion depth mismatch". One lock
# around the header reads costs microseconds per open and rules that out.
_NPY_HEADER_LOCK = threading.Lock()


def _parts_on_disk(kept: KeptField) -> list[str]:
    skip = {"df"} if kept.starts is not None else set()
    return [p for p in KEPT_ARRAYS if getattr(kept, p) is not None and p not in skip]


def _kept_of(parts: dict[str, np.ndarray]) -> KeptField:
    if "df" not in parts:
        parts["df"] = np.diff(parts["starts"]).astype(np.int32)
    return KeptField(None, **parts)


def _value_table_of(values: list[str], docs: np.ndarray, starts: np.ndarray) -> ValueTable:
    vals = np.repeat(np.arange(len(values), dtype=np.int32), np.diff(starts))
    return ValueTable(values, docs, vals, starts)


def _narrow(offsets: np.ndarray) -> np.ndarray:
    """Start offsets (ascending, so the last is the largest) in four bytes while they fit."""
    fits = not len(offsets) or int(offsets[-1]) < 2**31
    return offsets.astype(np.int32) if fits else offsets.astype(np.int64)


def load(generation: Path, doc_count: int) -> Tables | None:
    """The generation's tables, memory-mapped; None when absent, incomplete or stale
    (an older generation, or one written by an older layout): then the caller computes
    them in memory."""
    folder = Path(generation) / FOLDER
    try:
        info = json.loads((folder / INFO).read_text(encoding="utf-8"))
        if info.get("format") != FORMAT or info.get("size") != doc_count:
            return None
        if set(info["values"]) != set(VALUE_FIELDS):
            return None

        def arr(name: str) -> np.ndarray:
            # A plain view of the mapping, not the numpy memmap: a memmap's every slice
            # and index costs a Python-level __array_finalize__, and searches make many.
            with _NPY_HEADER_LOCK:
                return np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r"))

        return Tables(
            size=info["size"],
            columns={c: arr(f"doc_{c}") for c in info["columns"]},
            tids=info["tids"],
            values={
                name: _value_table_of(vals, arr(f"value_{name}_docs"), arr(f"value_{name}_starts"))
                for name, vals in info["values"].items()
            },
            lengths={f: arr(f"length_{file}") for f, file in info["lengths"].items()},
            kept={
                field: _kept_of({p: arr(f"{field}_{p}") for p in parts})
                for field, parts in info["kept"].items()
            },
            **{p: arr(f"exact_{p}") if info["tokens"] else None for p in TOKEN_ARRAYS},
            languages=info["languages"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_words(generation: Path, field: str) -> list[str] | None:
    """A kept field's vocabulary (read on first use: a prefix, a phrase, a suggestion)."""
    try:
        text = (Path(generation) / FOLDER / f"{field}_words.txt").read_text(encoding="utf-8")
    except OSError:
        return None
    return text.split("\n") if text else []
