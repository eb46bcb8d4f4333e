"""The per-generation tables (index/tables.py): written beside each generation, memory-
mapped at open, equal to what the index itself says, and kept in step with a reindex."""

from __future__ import annotations

import itertools
import mmap
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from whoosh.filedb.filestore import FileStorage

from transcripts.index import location, tables
from transcripts.index.schema import EXACT, TEXT, WORD_RE, fold, stem
from transcripts.index.writer import reindex
from transcripts.search import scoring
from transcripts.search.engine import TranscriptIndex, open_generation, search
from transcripts.search.query import QueryError, Vocabulary
from transcripts.search.results import SearchRequest

PAGES = ("51279", "17116", "62866", "29282", "17113", "17180", "17400", "17404", "17519")


@pytest.fixture
def pages(tmp_path, corpus_text) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for page in PAGES:
        shutil.copy(corpus_text / f"{page}.txt", folder)
    return folder


@pytest.fixture
def root(tmp_path, pages) -> Path:
    root = tmp_path / "ix"
    reindex([pages], root)
    return root


def totals(index: TranscriptIndex, queries) -> list:
    out = []
    for q in queries:
        r = search(index, SearchRequest(q=q))
        out.append((r.total, r.total_transcripts, [t.id for t in r.transcripts]))
    return out


QUERIES = ["russia", '"trade and economic"', "econ*", "cooperation -oil", "", "speaker:putin"]


def test_a_build_writes_tables_that_open_memory_mapped(root):
    gen = location.live_generation(root)
    assert (gen / tables.FOLDER / tables.INFO).is_file()
    opened = open_generation(gen)
    # Plain views (searchers drop the memmap subclass: its slices cost), over the mapping.
    assert _mapped(opened.table.tid)
    assert _mapped(opened.vocabularies[EXACT].kept.docs)
    assert _mapped(opened.table.facets["speaker"].docs)
    assert not _mapped(np.array(opened.table.tid))


def _mapped(array) -> bool:
    """Whether the array's memory is a mapped file (not read into memory)."""
    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False


def test_the_word_postings_are_those_of_the_stored_text(root):
    """Independent of the tables' code: every live document's stored text tokenized
    and stemmed here, counted per word, against the kept postings."""
    gen = open_generation(location.live_generation(root))
    searcher = gen.searcher()
    exact_counts: dict[str, dict[int, int]] = {}
    stem_docs: dict[str, set[int]] = {}
    for d in np.flatnonzero(gen.table.live).tolist():
        for raw in WORD_RE.findall(searcher.stored_fields(d)["body"]):
            w = fold(raw)
            exact_counts.setdefault(w, {}).setdefault(d, 0)
            exact_counts[w][d] += 1
            stem_docs.setdefault(stem(w), set()).add(d)
    exact, text = gen.vocabularies[EXACT], gen.vocabularies[TEXT]
    assert exact.words == sorted(exact_counts)
    for w, counts in exact_counts.items():
        docs, tf = exact.postings(w)
        assert dict(zip(docs.tolist(), tf.tolist(), strict=True)) == counts, w
    for s, docs in stem_docs.items():
        assert set(text.postings(s)[0].tolist()) == docs, s
        assert text.doc_frequency(s) == len(docs)


def test_a_generation_without_tables_opens_and_answers_the_same(root):
    index = TranscriptIndex(root)
    before = totals(index, QUERIES)
    shutil.rmtree(location.live_generation(root) / tables.FOLDER)
    assert totals(TranscriptIndex(root), QUERIES) == before


def test_tables_of_an_older_layout_are_not_used(root):
    gen = location.live_generation(root)
    info = gen / tables.FOLDER / tables.INFO
    info.write_text(info.read_text().replace(f'"format": {tables.FORMAT}', '"format": 0'))
    ix = FileStorage(str(gen)).open_index()
    assert tables.load(gen, ix.doc_count_all()) is None
    assert search(TranscriptIndex(root), SearchRequest(q="russia")).total > 0


def test_an_incremental_reindex_rewrites_the_tables(root, pages):
    index = TranscriptIndex(root)
    before = search(index, SearchRequest(q="")).total_transcripts
    (pages / f"{PAGES[0]}.txt").unlink()
    report = reindex([pages], root)
    assert not report.full
    assert search(index, SearchRequest(q="")).total_transcripts == before - 1
    gen = open_generation(location.live_generation(root))
    live_ids = {gen.table.tids[t] for t in np.unique(gen.table.tid[gen.table.live]).tolist()}
    assert PAGES[0] not in live_ids and PAGES[1] in live_ids
    assert gen.vocabularies[EXACT].doc_frequency("the") == len(
        set(gen.vocabularies[EXACT].postings("the")[0].tolist())
        & set(np.flatnonzero(gen.table.live).tolist())
    )


def test_refusing_a_costly_query_reads_no_postings(root, monkeypatch):
    """The cost comes from document frequencies alone: reading a posting list fails here."""
    index = TranscriptIndex(root)
    index.current()

    def no_postings(*args, **kwargs):
        raise AssertionError("a posting list was read")

    monkeypatch.setattr(Vocabulary, "postings", no_postings)
    monkeypatch.setattr(scoring, "postings", no_postings)
    monkeypatch.setattr("transcripts.search.query.MAX_QUERY_COST", 10)
    monkeypatch.setattr("transcripts.search.query.MAX_COST_PER_DOCUMENT", 0)
    with pytest.raises(QueryError, match="too long"):
        search(index, SearchRequest(q="the OR and OR of"))


def test_the_site_opens_a_swapped_generation_before_anyone_searches(root, pages):
    index = TranscriptIndex(root)
    index.watch(interval=0.05)
    deadline = time.monotonic() + 60
    while index._warmed is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first = index._warmed
    assert first is not None
    reindex([pages], root, full=True)
    new = location.live_generation(root)
    while (index._warmed is first or index._warmed.path != new) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index._warmed.path == new


def _same_tables(a: tables.Tables, b: tables.Tables) -> None:
    """Every array and list of two tables equal (values and dtypes)."""

    def same(x, y, what):
        if x is None or y is None:
            assert x is None and y is None, what
            return
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype, what
        assert np.array_equal(x, y), what

    assert a.size == b.size and a.tids == b.tids
    for name in a.columns:
        same(a.columns[name], b.columns[name], name)
    assert set(a.values) == set(b.values)
    for name, v in a.values.items():
        w = b.values[name]
        assert v.values == w.values, name
        for part in ("docs", "vals", "starts"):
            same(getattr(v, part), getattr(w, part), f"{name} {part}")
    for field in a.lengths:
        same(a.lengths[field], b.lengths[field], field)
    assert set(a.kept) == set(b.kept)
    for field, k in a.kept.items():
        for part in tables.KEPT_ARRAYS:
            same(getattr(k, part), getattr(b.kept[field], part), f"{field} {part}")
    for part in tables.TOKEN_ARRAYS:
        same(getattr(a, part), getattr(b, part), part)


def _from_scratch(gen: Path) -> tables.Tables:
    ix = FileStorage(str(gen)).open_index()
    with ix.reader() as reader:
        computed = tables.compute(reader)
    ix.close()
    for field, k in computed.kept.items():
        k.words = tables.load_words(gen, field)  # compared through the lists on disk
    return computed


def test_incremental_tables_equal_tables_built_from_scratch(tmp_path, corpus_text):
    """Edit, add and remove files over several incremental runs (enough segments that
    Whoosh merges some): after each, the tables the writer updated from the previous
    generation equal the ones computed from scratch on the same index."""
    files = sorted(corpus_text.glob("*.txt"))[:40]
    folder = tmp_path / "pages"
    folder.mkdir()
    for f in files[:30]:
        shutil.copy(f, folder)
    root = tmp_path / "ix"
    reindex([folder], root, procs=2)
    steps = [
        lambda: (folder / files[0].name).write_text(
            (folder / files[0].name).read_text() + "\nA brand-new closing sentence, zyxwords.\n"
        ),
        lambda: shutil.copy(files[30], folder),
        lambda: (folder / files[1].name).unlink(),
        lambda: [shutil.copy(f, folder) for f in files[31:34]],
        lambda: (folder / files[2].name).write_text(
            (folder / files[2].name).read_text().replace("the", "thee")
        ),
        lambda: [(folder / f.name).unlink() for f in files[31:33]],
    ]
    segments = []
    for step in steps:
        step()
        report = reindex([folder], root)
        assert not report.full
        gen = location.live_generation(root)
        ix = FileStorage(str(gen)).open_index()
        written = tables.load(gen, ix.doc_count_all())
        segments.append(len(ix._segments()))
        ix.close()
        for field, k in written.kept.items():
            k.words = tables.load_words(gen, field)
        _same_tables(written, _from_scratch(gen))
    assert any(b < a for a, b in itertools.pairwise(segments)), segments  # a merge happened


def test_token_offsets_point_at_each_word_in_the_stored_text(root):
    gen = open_generation(location.live_generation(root))
    t = tables.load(gen.path, gen.table.size)
    words = tables.load_words(gen.path, EXACT)
    chars = tables.token_chars(t, words)
    searcher = gen.searcher()
    for d in np.flatnonzero(gen.table.live).tolist():
        body = searcher.stored_fields(d)["body"]
        found = list(WORD_RE.finditer(body))
        lo, hi = int(t.token_starts[d]), int(t.token_starts[d + 1])
        assert [m.start() for m in found] == chars[lo:hi].tolist()
        assert [fold(m.group()) for m in found] == [words[i] for i in t.tokens[lo:hi]]


def test_facet_counts_of_a_few_documents_equal_counting_every_pair(root):
    """A narrow selection is counted document by document (search.facets.Facet.count);
    it must give what testing every (document, value) pair against the mask gives."""
    gen = open_generation(location.live_generation(root))
    rng = np.random.default_rng(7)
    for facet in [*gen.table.facets.values(), gen.table.years]:
        for chosen in (0, 1, 3, 20, gen.table.size // 2):
            mask = np.zeros(gen.table.size, dtype=bool)
            mask[rng.choice(gen.table.size, chosen, replace=False)] = True
            expected = np.bincount(facet.vals[mask[facet.docs]], minlength=len(facet.values))
            assert facet.count(mask).tolist() == expected.tolist()


def test_facets_counted_together_equal_each_counted_alone(root):
    """With nothing ticked the search counts every facet in one pass
    (``DocTable.count_together``); each facet's counts must be its own count's."""
    from transcripts.index.schema import FACETS

    gen = open_generation(location.live_generation(root))
    rng = np.random.default_rng(11)
    for chosen in (0, 1, 5, gen.table.size // 3, gen.table.size):
        mask = np.zeros(gen.table.size, dtype=bool)
        mask[rng.choice(gen.table.size, chosen, replace=False)] = True
        together = gen.table.count_together(list(FACETS), mask)
        for name in FACETS:
            assert together[name].tolist() == gen.table.facets[name].count(mask).tolist()


def test_proximity_places_from_the_token_stream_are_the_words_places_in_the_text(root):
    """The ranking's word places come from the token stream (no text read): each is the
    place, counted in words, where the stored text has that word (or a word of that
    stem)."""
    from transcripts.search.engine import _places_in_stream

    gen = open_generation(location.live_generation(root))
    places_of = _places_in_stream(gen)
    searcher = gen.searcher()
    live = np.flatnonzero(gen.table.live)
    for words in ([(TEXT, "econom"), (TEXT, "cooper")], [(EXACT, "russia"), (TEXT, "the")]):
        found = places_of(words)(live)
        for k, d in enumerate(live.tolist()):
            body = [fold(m.group()) for m in WORD_RE.finditer(searcher.stored_fields(d)["body"])]
            for (field, word), (doc, place) in zip(words, found, strict=True):
                forms = body if field == EXACT else [stem(w) for w in body]
                assert place[doc == k].tolist() == [i for i, w in enumerate(forms) if w == word]


TRICKY = [
    "Security Council's decision; don't O'Neill rock'n'roll a's'b x's 's s' it's' ab''cd",
    "People’s gas, a’S b's end's 'tis — İstanbul ſtraße ǅemal Ⅻ ½ ٣ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301 _x_",
    "lone \ud800 surrogate, \u200b zero width, tab\tand\nnew lines, 123'456 0'S 9's",
]


def test_token_offsets_by_arrays_equal_the_regex(corpus_text):
    """Large chunks get their token offsets from array operations over code points
    (index.tables._word_starts); the regex ``WORD_PATTERN`` is the rule they must keep."""
    pages = sorted(corpus_text.glob("*.txt"))[:300]
    texts = TRICKY + [p.read_text(encoding="utf-8") for p in pages]
    for text in [*TRICKY, "\n".join(texts)]:
        starts, lengths = tables._word_starts(text)
        found = list(WORD_RE.finditer(text))
        assert starts.tolist() == [m.start() for m in found]
        assert lengths.tolist() == [len(m.group()) for m in found]
