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
plus the ``exact`` token stream, on which phrases are matched with array operations.
Prefix expansion and the query cost estimate need no walk of a term index. A new
numeric column for the document table goes into ``compute`` (``_numeric_column``).
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, byte_to_length

from index.schema import EXACT, KIND_PAGE, TEXT, VALUE_FIELDS, WORD_RE, fold, stem

FOLDER = "tables"
INFO = "tables.json"
# Bumped when the layout or the words' folding changes: an older one is recomputed at
# open. 5: words folded without accents (``schema.fold``).
FORMAT = 5
LENGTH_FIELDS = ("text", "exact", "title", "role")  # fields scored with BM25
DOC_COLUMNS = ("live", "tid", "pos", "day", "words", "is_page")  # see compute()
# Per kept word field (KeptField), those it has.
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


# -- reading Whoosh (shared with search.scoring) ------------------------------


def postings(reader, field: str, text) -> tuple[np.ndarray, np.ndarray]:
    """All document numbers with the term, and its frequency in each."""
    id_parts, tf_parts = [], []
    for leaf, base in reader.leaf_readers():
        if (field, text) not in leaf:
            continue
        ids, tf = _leaf_postings(leaf.postings(field, text))
        id_parts.append(ids + base)
        tf_parts.append(tf)
    if not id_parts:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
    return np.concatenate(id_parts), np.concatenate(tf_parts)


def _leaf_postings(m) -> tuple[np.ndarray, np.ndarray]:
    """A segment's posting list as arrays, a block at a time where the codec allows.

    The block attributes belong to Whoosh 2.7's W3 codec (pinned); any other matcher is
    read one posting at a time through the public interface.
    """
    ids: list = []
    weights: list = []
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


def field_lengths(reader, field: str) -> np.ndarray:
    """Every document's length in ``field`` (Whoosh's one-byte approximation)."""
    lengths = np.zeros(reader.doc_count_all(), dtype=np.float32)
    if field in reader.schema:
        for leaf, base in reader.leaf_readers():
            n = leaf.doc_count_all()
            lengths[base : base + n] = _leaf_lengths(leaf, field, n)
    return lengths


def _leaf_lengths(leaf, field: str, n: int) -> np.ndarray:
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


def _text(raw) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


def _value_table(reader, fieldname: str) -> ValueTable:
    """Segment by segment: the merged reader looks every term up in every segment."""
    parts: dict[bytes, list[np.ndarray]] = {}
    for leaf, base in reader.leaf_readers():
        if fieldname not in leaf.schema:
            continue
        for raw, _ in leaf.iter_field(fieldname):
            ids, _ = _leaf_postings(leaf.postings(fieldname, raw))
            parts.setdefault(raw, []).append(ids + base)
    keys = sorted(parts)
    doc_parts = [np.concatenate(parts[k]) for k in keys]
    sizes = [len(p) for p in doc_parts]
    docs = np.concatenate(doc_parts) if doc_parts else np.empty(0, dtype=np.int32)
    vals = np.repeat(np.arange(len(keys), dtype=np.int32), sizes)
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    return ValueTable([_text(k) for k in keys], docs.astype(np.int32), vals, starts)


def _vocabulary(reader, fieldname: str) -> tuple[list[str], np.ndarray]:
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


def _numeric_column(reader, fieldname: str) -> np.ndarray:
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


def needs_tokens(schema) -> bool:
    """Whether the word fields live in the tables: generations built since they left
    Whoosh (older ones kept them there, ``exact`` with positions)."""
    return EXACT not in schema


class _WordIds(dict):
    """Word as written -> id; each new spelling is folded once, each new folded word gets
    the next id (in order of first sight: renumbered in sorted order afterwards)."""

    def __init__(self):
        super().__init__()
        self.folded: dict[str, int] = {}

    def __missing__(self, word: str) -> int:
        f = fold(word)
        i = self.folded.get(f)
        if i is None:
            i = self.folded[f] = len(self.folded)
        self[word] = i
        return i


def _sorted_ids(words: list[str]) -> tuple[list[str], np.ndarray]:
    """The words sorted, and old id -> new id."""
    order = sorted(range(len(words)), key=words.__getitem__)
    renumber = np.empty(len(order), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    return [words[i] for i in order], renumber


def _kept_field(words: list[str], ids: np.ndarray, doc_of: np.ndarray, size: int) -> KeptField:
    """Postings of a field from its token ids and their documents: one pair per distinct
    (word, document), counted."""
    n = max(size, 1)
    keys, tf = np.unique(ids * n + doc_of, return_counts=True)
    starts = np.searchsorted(keys // n, np.arange(len(words) + 1)).astype(np.int64)
    # Counts fit a byte but for a few (a word said 300 times in a long speech): those
    # are kept apart, so every count stays exact at a byte a posting.
    over = np.flatnonzero(tf >= 255)
    return KeptField(
        words=words,
        df=np.diff(starts).astype(np.int32),
        docs=(keys % n).astype(np.int32),
        tf=np.minimum(tf, 255).astype(np.uint8),
        starts=starts,
        tf_over_at=over.astype(np.int64),
        tf_over=tf[over].astype(np.int64),
    )


def _derived_field(words: list[str], of: np.ndarray, source: KeptField, size: int) -> KeptField:
    """A field whose word w stands for the source words ``of == w`` (stems of words):
    its document frequencies and member lists; postings are merged when searched."""
    n = max(size, 1)
    word_of_posting = np.repeat(np.arange(len(source.df), dtype=np.int64), source.df)
    keys = np.unique(of[word_of_posting] * n + source.docs)
    members = np.argsort(of, kind="stable").astype(np.int32)
    return KeptField(
        words=words,
        df=np.bincount(keys // n, minlength=len(words)).astype(np.int32),
        members=members,
        member_starts=np.searchsorted(of[members], np.arange(len(words) + 1)).astype(np.int64),
    )


@dataclass
class Previous:
    """The generation an incremental build started from: documents of transcripts it did
    not re-read have the same text there, so their words are taken from its token stream
    instead of being read and tokenized again."""

    tables: Tables
    words: list[str]
    changed: set[str]  # transcript ids re-read, removed or moved by this build

    def tokens_by_key(self) -> dict[tuple[str, int], tuple[int, int]]:
        t = self.tables
        tids, tid, pos = t.tids, t.columns["tid"], t.columns["pos"]
        starts, live = t.token_starts, t.columns["live"]
        return {
            (tids[tid[d]], int(pos[d])): (int(starts[d]), int(starts[d + 1]))
            for d in np.flatnonzero(live).tolist()
            if tids[tid[d]] not in self.changed
        }


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
    if kept is None or kept.tokens is None or words is None:
        return None
    return Previous(kept, words, changed)


def _word_fields(
    reader, size: int, tid: list[str], pos: np.ndarray, before: Previous | None = None
) -> tuple[dict[str, KeptField], np.ndarray, np.ndarray]:
    """``exact`` and ``text`` from each live document's stored text (they index the
    stored ``body``, see ``index.documents``), tokenized as their analyzers do: the same
    words in the same positions. One tokenizer pass in Python, each distinct word stemmed
    once, the rest numpy: Whoosh's analyzers and posting writer cost far more. An
    incremental build tokenizes only the documents it wrote (``before``)."""
    ids = _WordIds()
    parts: list = []  # per live document: new ids (a list) or previous ids (an array)
    reused = before.tokens_by_key() if before is not None else {}
    old_tokens = before.tables.tokens if before is not None else None
    lengths = np.zeros(size, dtype=np.int64)
    for leaf, base in reader.leaf_readers():
        deleted = leaf.is_deleted
        for d in range(leaf.doc_count_all()):
            if deleted(d):
                continue
            span = reused.get((tid[base + d], int(pos[base + d])))
            if span is not None:
                parts.append(np.asarray(old_tokens[span[0] : span[1]], dtype=np.int64))
                lengths[base + d] = span[1] - span[0]
            else:
                found = WORD_RE.findall(leaf.stored_fields(d).get("body") or "")
                parts.append(list(map(ids.__getitem__, found)))
                lengths[base + d] = len(found)
    if before is not None:  # previous ids -> ids of this build, through the words
        used = [p for p in parts if isinstance(p, np.ndarray)]
        old_ids = np.unique(np.concatenate(used)) if used else np.empty(0, np.int64)
        to_new = np.full(len(before.words), -1, dtype=np.int64)
        for i in old_ids.tolist():
            w = before.words[i]
            j = ids.folded.get(w)
            if j is None:
                j = ids.folded[w] = len(ids.folded)
            to_new[i] = j
        parts = [to_new[p] if isinstance(p, np.ndarray) else p for p in parts]
    count = int(lengths.sum())
    first_seen = np.fromiter(itertools.chain.from_iterable(parts), dtype=np.int64, count=count)
    words, renumber = _sorted_ids(list(ids.folded))
    tokens = renumber[first_seen] if count else first_seen
    token_starts = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(lengths, out=token_starts[1:])
    doc_of = np.repeat(np.arange(size, dtype=np.int64), lengths)
    stems = sorted({stem(w) for w in words})
    stem_id = {s: i for i, s in enumerate(stems)}
    stem_of = np.array([stem_id[stem(w)] for w in words], dtype=np.int64)
    exact = _kept_field(words, tokens, doc_of, size)
    kept = {EXACT: exact, TEXT: _derived_field(stems, stem_of, exact, size)}
    token_type = np.uint16 if len(words) < 2**16 else np.uint32
    return kept, tokens.astype(token_type), token_starts


def compute(reader, vocabulary: bool = True, before: Previous | None = None) -> Tables:
    """The tables of an open index, read from its postings and columns (a few seconds
    for the development corpus: done once per build, not once per process)."""
    size = reader.doc_count_all()
    live = np.zeros(size, dtype=bool)
    live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
    raw_ids = [_text(v) for v in reader.column_reader("tid")]
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
    lengths = {f: field_lengths(reader, f) for f in LENGTH_FIELDS if f in reader.schema}
    tokens = token_starts = None
    kept: dict[str, KeptField] = {}
    if needs_tokens(reader.schema):
        tid_of = [tids_array[t] for t in tid.tolist()]
        kept, tokens, token_starts = _word_fields(
            reader, size, tid_of, columns["pos"], before
        )
        # Exact counts, not Whoosh's one-byte guess; stemming keeps the count.
        lengths[EXACT] = lengths[TEXT] = np.diff(token_starts).astype(np.float32)
    elif vocabulary:
        kept[EXACT] = KeptField(*_vocabulary(reader, EXACT))
    return Tables(
        size=size,
        columns=columns,
        tids=tids_array.tolist(),
        values={name: _value_table(reader, field) for name, field in VALUE_FIELDS.items()},
        lengths=lengths,
        kept=kept,
        tokens=tokens,
        token_starts=token_starts,
    )


# -- on disk -------------------------------------------------------------------


def write(generation: Path, tables: Tables) -> None:
    """Write the tables into ``generation/tables`` (the generation is not live yet)."""
    folder = Path(generation) / FOLDER
    folder.mkdir(exist_ok=True)
    for name, array in tables.columns.items():
        np.save(folder / f"doc_{name}.npy", array)
    for name, table in tables.values.items():
        for part in ("docs", "vals", "starts"):
            np.save(folder / f"value_{name}_{part}.npy", getattr(table, part))
    for field, lengths in tables.lengths.items():
        np.save(folder / f"length_{field}.npy", lengths)
    for field, kept in tables.kept.items():
        (folder / f"{field}_words.txt").write_text("\n".join(kept.words or []), "utf-8")
        for part in KEPT_ARRAYS:
            if getattr(kept, part) is not None:
                np.save(folder / f"{field}_{part}.npy", getattr(kept, part))
    if tables.tokens is not None:
        np.save(folder / "exact_tokens.npy", tables.tokens)
        np.save(folder / "exact_token_starts.npy", tables.token_starts)
    info = {
        "format": FORMAT,
        "size": tables.size,
        "columns": list(tables.columns),
        "lengths": list(tables.lengths),
        "tids": tables.tids,
        "values": {name: t.values for name, t in tables.values.items()},
        "kept": {f: [p for p in KEPT_ARRAYS if getattr(k, p) is not None]
                 for f, k in tables.kept.items()},
        "tokens": tables.tokens is not None,
    }
    # Written last: a folder without it is incomplete and is recomputed at open.
    tmp = folder / (INFO + ".tmp")
    tmp.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / INFO)


def build(generation: Path, before: Previous | None = None) -> Tables:
    """Compute and write the tables of a committed generation folder (writer side);
    ``before``: the generation an incremental build started from, to reuse its words."""
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(str(generation), supports_mmap=False).open_index()
    with ix.reader() as reader:
        tables = compute(reader, before=before)
    ix.close()
    write(generation, tables)
    return tables


# numpy reads each .npy header with ast.literal_eval, and CPython 3.11 keeps one AST
# recursion counter per interpreter (gh-106905): two threads opening a generation at
# once can fail with "SystemError: AST constructor recursion depth mismatch". One lock
# around the header reads costs microseconds per open and rules that out.
_NPY_HEADER_LOCK = threading.Lock()


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
            with _NPY_HEADER_LOCK:
                return np.load(folder / f"{name}.npy", mmap_mode="r")

        return Tables(
            size=info["size"],
            columns={c: arr(f"doc_{c}") for c in info["columns"]},
            tids=info["tids"],
            values={
                name: ValueTable(
                    vals,
                    arr(f"value_{name}_docs"),
                    arr(f"value_{name}_vals"),
                    arr(f"value_{name}_starts"),
                )
                for name, vals in info["values"].items()
            },
            lengths={f: arr(f"length_{f}") for f in info["lengths"]},
            kept={
                field: KeptField(None, **{p: arr(f"{field}_{p}") for p in parts})
                for field, parts in info["kept"].items()
            },
            tokens=arr("exact_tokens") if info["tokens"] else None,
            token_starts=arr("exact_token_starts") if info["tokens"] else None,
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
