"""Running a search on the live index: the one query path for the CLI, site and API.

Whoosh parses and stores; matching and BM25 scoring (``scoring``), filtering, facet
counting and grouping are numpy over the tables of the open index generation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, SupportsInt, TypeVar, cast

import numpy as np
import numpy.ma  # np.unique imports it on first use: at start, not in a search
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from transcripts.index import language, location, tables
from transcripts.index.documents import day_number
from transcripts.index.model import Transcript, Utterance
from transcripts.index.schema import EXACT, FACETS, TEXT, open_whoosh
from transcripts.search import person_names, ranking
from transcripts.search.facets import DocTable, Facet, NearestValues, doc_table
from transcripts.search.person_names import PersonNames
from transcripts.search.query import (
    ParsedQuery,
    QueryError,
    ValueLookup,
    Vocabulary,
    make_parser,
    parse,
)
from transcripts.search.results import (
    MAX_PAGE,
    SORTS,
    Alternative,
    FacetValue,
    Relaxation,
    SearchRequest,
    SearchResult,
    TranscriptHit,
    UtteranceHit,
    ValueNote,
)
from transcripts.search.scoring import Scorer, TokenStream
from transcripts.search.snippets import WordMatcher, snippet
from transcripts.search.suggest import suggest

if TYPE_CHECKING:
    from whoosh.searching import Searcher

log = logging.getLogger(__name__)
T = TypeVar("T")

SHOWN_PER_TRANSCRIPT = 3  # matching utterances shown under each transcript in a list
META_CACHE = 10_000  # transcripts whose metadata stay in memory (a few MB)
# Run on a newly opened generation before any user: the browse page and a common word
# (its posting list is kept decoded, and every searched path is touched once).
WARM_QUERIES = ("", "the")
WATCH_SECONDS = 1.0  # how often the site looks for a swapped generation
SHOWN_CACHE_CHARS = 8_000_000  # text of recently shown utterances kept (~10-30 MB)


class IndexMissing(RuntimeError):
    """No index has been built at the given place yet."""


@dataclass
class Generation:
    """One opened, immutable index folder with its in-memory tables."""

    path: Path
    ix: whoosh_index.Index
    table: DocTable
    page_doc: np.ndarray  # transcript ordinal -> document number of its page document
    parser: object
    values: ValueLookup
    scorer: Scorer
    transcript_words: ranking.TranscriptLengths
    vocabularies: dict[str, Vocabulary]  # word fields kept by index.tables
    people: PersonNames = field(default_factory=PersonNames)  # Persons tags as shown
    _local: threading.local = field(default_factory=threading.local)
    _meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    _shown: ShownCache = field(default_factory=lambda: ShownCache(SHOWN_CACHE_CHARS))
    _derived: dict[str, object] = field(default_factory=dict)
    _derived_lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def facets(self) -> dict[str, Facet]:
        """Each facet's values (``canonical_request`` and ``value_notes`` read them; the
        OpenSearch backend's generation has the same)."""
        return self.table.facets

    def derived(self, name: str, build: Callable[[Generation], T]) -> T:
        """A table computed from this generation once, on first use (``build(gen)``).

        The analysis views keep their per-generation tables here: a generation never
        changes, so they are never stale, and they go when the generation is replaced.
        """
        value = self._derived.get(name)
        if value is None:
            with self._derived_lock:
                value = self._derived.get(name)
                if value is None:
                    value = self._derived[name] = build(self)
        return cast(T, value)  # what ``build`` made for this name

    def meta(self, searcher: Searcher, t: int) -> dict[str, Any]:
        """A transcript's metadata (read-only): every hit list shows it, so it is kept."""
        meta = self._meta.get(t)
        if meta is None:
            doc = int(self.page_doc[t])
            meta = searcher.stored_fields(doc)["meta"] if doc >= 0 else {}
            if "file" not in meta and "source" in meta:
                # Built before sources existed, when ``source`` held the file's path: that
                # is no collection name, and a path on the server is never shown.
                meta = {**meta, "file": meta["source"], "source": ""}
            if len(self._meta) > META_CACHE:
                self._meta.clear()
            self._meta[t] = meta
        return meta

    def stored(self, searcher: Searcher, doc: int) -> dict[str, Any]:
        """An utterance's stored fields (read-only). Results pages keep showing the same
        leading turns (the next page, the same search again, the ranking's proximity), and
        reading one costs a seek, a zlib inflate and an unpickle: the recent ones are kept."""
        fields = self._shown.get(doc)
        if fields is None:
            fields = searcher.stored_fields(doc)
            self._shown.put(doc, fields, len(fields.get("body") or ""))
        return fields

    def searcher(self) -> Searcher:
        """One Whoosh searcher per thread: a searcher seeks in its own file handles."""
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = self._local.searcher = self.ix.searcher()
        return s


def open_generation(path: Path) -> Generation:
    """Open a generation: its tables are memory-mapped (``index.tables``), so this costs
    milliseconds; a generation written before the tables existed has them computed in
    memory instead (about a second), and works the same."""
    # Without mmap: Whoosh copies each mmap'd segment into a private BytesIO per searcher
    # (the whole index again for every thread); plain files cost no speed here.
    ix = open_whoosh(FileStorage(str(path), supports_mmap=False, readonly=True).open_index)
    kept = tables.load(path, ix.doc_count_all())
    if kept is None or (kept.tokens is None and tables.needs_tokens(ix.schema)):
        with ix.reader() as reader:
            kept = tables.compute(reader, vocabulary=False)
    table = doc_table(kept)
    vocabularies: dict[str, Vocabulary] = {}
    for name in sorted(kept.kept, key=lambda f: kept.kept[f].members is not None):
        k = kept.kept[name]  # sources (exact) first, derived fields (text) after
        vocabularies[name] = Vocabulary(
            _words_loader(path, name, k.words), k, vocabularies.get(EXACT),
            kept.languages, kept.columns.get("lang"),
        )
    forward = None
    if kept.tokens is not None and kept.token_starts is not None and EXACT in vocabularies:
        forward = TokenStream(kept.tokens, kept.token_starts, vocabularies[EXACT], kept)
    scorer = Scorer(kept.lengths, table.live, vocabularies, forward)
    page_doc = np.full(len(table.tids), -1, dtype=np.int64)
    pages = np.flatnonzero(table.is_page & table.live)
    page_doc[table.tid[pages]] = pages
    values = ValueLookup({name: f.values for name, f in table.facets.items()})
    transcript_words = ranking.TranscriptLengths.build(
        table.tid, table.is_page, table.live, table.words, len(table.tids)
    )
    return Generation(
        path,
        ix,
        table,
        page_doc,
        make_parser(ix.schema),
        values,
        scorer,
        transcript_words,
        vocabularies,
        person_names.load(path, table.facets["person"].values),
    )


def _words_loader(
    path: Path, field: str, words: list[str] | None
) -> Callable[[], list[str] | None]:
    """The vocabulary's words: already in memory, or read from the tables when needed."""
    if words is not None:
        return lambda: words
    return lambda: tables.load_words(path, field)


class TranscriptIndex:
    """The live index at a root folder; follows a reindex's swap without a restart."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._gen: Generation | None = None
        self._lock = threading.Lock()
        self._warmed: Generation | None = None

    def warm(self) -> Generation | None:
        """Open the live generation and run a search on it, once per generation, so the
        first user after a start or a swap finds it ready (None: no index yet)."""
        try:
            gen = self.current()
        except IndexMissing:
            return None
        if gen is not self._warmed:
            for q in WARM_QUERIES:
                search(self, SearchRequest(q=q))
            for vocabulary in gen.vocabularies.values():
                vocabulary.words  # noqa: B018  # read now, not on the first prefix
            self._warmed = gen
        return gen

    def watch(self, interval: float = WATCH_SECONDS) -> threading.Thread:
        """Warm the index now and after every swap, from a daemon thread that ends with
        this index object (so an app dropped in tests does not keep a poller alive)."""
        ref = weakref.ref(self)

        def loop() -> None:
            reported = ""
            while (index := ref()) is not None:
                try:
                    index.warm()
                except Exception as exc:  # a request will show it; say it once here
                    if str(exc) != reported:
                        reported = str(exc)
                        log.warning("could not open the index at %s: %s", index.root, exc)
                del index
                time.sleep(interval)

        thread = threading.Thread(target=loop, name="index-warmer", daemon=True)
        thread.start()
        return thread

    def current(self) -> Generation:
        path = location.live_generation(self.root)
        if path is None:
            raise IndexMissing(f"no index at {self.root}: run `transcripts reindex` first")
        gen = self._gen
        if gen is None or gen.path != path:
            with self._lock:
                if self._gen is None or self._gen.path != path:
                    self._gen = open_generation(path)
                gen = self._gen
        return gen


def check_request(req: SearchRequest) -> None:
    if req.sort not in SORTS:
        raise QueryError(f"Unknown sort '{req.sort}': use one of {', '.join(SORTS)}.")
    if not 1 <= req.page <= MAX_PAGE:
        raise QueryError(f"Page must be between 1 and {MAX_PAGE}.")
    if not 1 <= req.per_page <= 100:
        raise QueryError("Results per page must be between 1 and 100.")
    if req.date_from and req.date_to and req.date_from > req.date_to:
        raise QueryError(
            f"The date range is empty: from {req.date_from} is after to {req.date_to}."
        )


@dataclass
class Selection:
    """Every document a request matches (query and all filters), not only one page of it.

    The analysis views (trends, speakers, concordance, export) count or list the whole
    selection; they share this one path with the search so their numbers always agree.
    """

    gen: Generation
    parsed: ParsedQuery
    mask: np.ndarray  # bool per document: matches the query and every filter, live
    scores: np.ndarray  # BM25 per document (empty when the query is empty)
    filtered: np.ndarray  # bool per document: passes every filter, whatever the query


class Faceted(Protocol):
    """Either backend's generation, as the filter values are checked against it: each
    facet's values, the Persons tags as shown, and what is made from it once."""

    @property
    def facets(self) -> dict[str, Facet]: ...

    @property
    def people(self) -> PersonNames: ...

    def derived(self, name: str, build: Callable[[Any], T]) -> T: ...


# How a facet's values are named in a note about one that does not exist.
VALUE_NAMES = {"speaker": "speaker", "person": "person tag", "geography": "geography tag",
               "topic": "topic", "source": "source", "language": "language",
               "party": "party"}


def canonical_request(gen: Faceted, req: SearchRequest) -> SearchRequest:
    """The request with each filter value as the index stores it, the one place a typed
    value is matched to the stored ones: a person named as shown (``person=Angela
    Merkel`` is the tag "Merkel Angela"), a value written with other accents or capitals
    (``speaker=Recep Tayyip Erdogan`` is "Recep Tayyip Erdoğan"). A value that stands for
    none is kept as typed, for ``value_notes`` to say so."""
    changed: dict[str, Any] = {}  # field -> its new value, for dataclasses.replace
    for name, values in req.filters().items():
        facet = gen.facets[name]
        if name == "person":
            values = [gen.people.stored(v, facet.ids) for v in values]
        stored = list(dict.fromkeys(r for v in values for r in (facet.resolve(v) or [v])))
        if stored != req.filters()[name]:
            changed[name] = stored
    return dataclasses.replace(req, **changed) if changed else req


def value_notes(gen: Faceted, req: SearchRequest) -> list[ValueNote]:
    """A note for each ticked value that no document of the index has (whatever the
    query and the other filters), with the facet's nearest values to offer instead.
    ``req`` as ``canonical_request`` gives it."""
    notes = []
    for name, values in req.filters().items():
        facet = gen.facets[name]
        labels = gen.people.shown if name == "person" else {}
        for value in values:
            if value in facet.ids:
                continue

            def nearest_of(g: object, f: Facet = facet, ls: dict[str, str] = labels
                           ) -> NearestValues:  # made once per generation and facet
                return NearestValues.of(f.values, ls)

            nearest = gen.derived(f"nearest-{name}", nearest_of)
            closest = nearest.closest(value)
            what = VALUE_NAMES.get(name, name)
            message = (f"There is no {what} “{value}” in the index, so this filter matches "
                       "nothing.")
            if not closest:
                message += f" No {what} is spelled like it."
            notes.append(ValueNote(name, value, message,
                                   [Alternative(c, labels.get(c, c)) for c in closest]))
    return notes


def request_notes(index: TranscriptIndex, req: SearchRequest) -> list[ValueNote]:
    """``value_notes`` for a request as given (for the views that do not call ``search``)."""
    gen = index.current()
    return value_notes(gen, canonical_request(gen, req))


def person_names_of(index: TranscriptIndex) -> PersonNames:
    """How the live generation shows its Persons tags."""
    return index.current().people


def select(index: TranscriptIndex, req: SearchRequest) -> Selection:
    check_request(req)
    gen = index.current()
    req = canonical_request(gen, req)
    table = gen.table
    searcher = gen.searcher()
    parsed = parse(req.q, gen.parser, searcher.reader(), gen.values, gen.vocabularies)
    filtered = table.live.copy()
    in_dates = _date_mask(table, req.date_from, req.date_to)
    if in_dates is not None:
        filtered &= in_dates
    for name, values in req.filters().items():
        if values:
            filtered &= _values_mask(table, name, values)
    if parsed.query is None:
        return Selection(gen, parsed, filtered.copy(), np.zeros(0), filtered)
    match = gen.scorer.evaluate(parsed.query, searcher)
    return Selection(gen, parsed, match.mask & filtered, match.scores, filtered)


def select_counted(index: TranscriptIndex, req: SearchRequest) -> Selection:
    """``select`` for the views that count words and hits (over time, who said it most):
    each speech counted once (``counted_once``)."""
    sel = select(index, req)
    keep = counted_once(sel.gen, req, [sel])
    if keep is None:
        return sel
    return dataclasses.replace(sel, mask=sel.mask & keep, filtered=sel.filtered & keep)


def counted_once(gen: Generation, req: SearchRequest, selections: list[Selection]
                 ) -> np.ndarray | None:
    """Per document: whether it is counted, so that each speech is counted once (None:
    every document is). Of a transcript and its translation, both in the index, the one
    counted is the one the queries match in (the translation when only it matches, as an
    English word in a Czech sitting's English translation), else the original. A ticked
    language already says which of the two is counted."""
    pairs = _translation_pairs(gen)
    if req.language or not len(pairs):
        return None
    table = gen.table
    has_hits = np.zeros(len(table.tids), dtype=bool)
    for sel in selections:
        if sel.parsed.query is not None:
            has_hits[np.unique(table.tid[sel.mask])] = True
    original, translation = pairs[:, 0], pairs[:, 1]
    use_translation = has_hits[translation] & ~has_hits[original]
    skip_tid = np.zeros(len(table.tids), dtype=bool)
    skip_tid[original[use_translation]] = True
    skip_tid[translation[~use_translation]] = True
    keep: np.ndarray = ~skip_tid[table.tid]
    return keep


def _translation_pairs(gen: Generation) -> np.ndarray:
    """(original, translation) transcript ordinals of every translation whose original
    is in the index, as an array of two columns (kept per generation)."""

    def build(g: Generation) -> np.ndarray:
        table, facet = g.table, g.table.facets["translation_of"]
        pairs = set()
        for v in facet.values:
            o = table.tid_ord.get(v)
            if o is None or g.page_doc[o] < 0:
                continue
            docs = facet.docs_with(v)
            for t in np.unique(table.tid[docs[table.live[docs]]]).tolist():
                pairs.add((o, t))
        return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)

    return gen.derived("translation_pairs", build)


def search(index: TranscriptIndex, req: SearchRequest) -> SearchResult:
    started = time.perf_counter()
    check_request(req)
    gen = index.current()
    req = canonical_request(gen, req)
    table = gen.table
    searcher = gen.searcher()
    parsed = parse(req.q, gen.parser, searcher.reader(), gen.values, gen.vocabularies)

    scores = np.zeros(0)
    if parsed.query is None:
        matched = table.live.copy()
    else:
        match = gen.scorer.evaluate(parsed.query, searcher)
        matched, scores = match.mask, match.scores

    in_dates = _date_mask(table, req.date_from, req.date_to)
    selections = {name: values for name, values in req.filters().items() if values}
    masks = {name: _values_mask(table, name, values) for name, values in selections.items()}

    base = matched & in_dates if in_dates is not None else matched
    results = _narrowed(base, masks.values())

    # A facet the index has no value of (no party in the Kremlin's pages) is not counted.
    counted = [name for name in FACETS if table.facets[name].values]
    # Each facet counts the results without its own selection (ticking Turkey leaves
    # Germany's count); the year facet likewise ignores the date range. Without any
    # selection every facet counts the results: in one pass.
    hit_docs = np.flatnonzero(results)
    if masks:
        counts = {
            name: table.facets[name].count(
                _narrowed(base, (m for o, m in masks.items() if o != name))
            )
            for name in counted
        }
    else:
        counts = table.count_together(counted, results, hit_docs)
    facets = {
        name: facet_values(
            table.facets[name].values, counts[name], selections.get(name, []),
            gen.people.shown if name == "person" else None,
        ) if name in counts else facet_values([], np.zeros(0), selections.get(name, []))
        for name in FACETS
    }
    if in_dates is None:  # the results are the year facet's scope
        years = table.years.count(results, hit_docs)
    else:
        years = table.years.count(_narrowed(matched, masks.values()))
    facets["year"] = facet_values(table.years.values, years, [])

    hit_tids = table.tid[hit_docs]
    unique_tids = np.unique(hit_tids)
    per_page = req.per_page
    pages = max(1, -(-len(unique_tids) // per_page))
    want = req.page * per_page

    ranked = parsed.query is not None and req.sort == "relevance"
    stored = _StoredFields(searcher, gen)
    if not len(hit_docs):
        order: list[int] = []
    elif ranked:
        order, scores = _rank_by_relevance(gen, stored, parsed, hit_docs, hit_tids, scores)
    else:
        order = _rank_by_date(gen, unique_tids, newest=req.sort != "oldest")
    page_tids = order[(req.page - 1) * per_page : want]

    matcher = _word_matcher(gen, parsed)
    turns, shown = _shown_docs(table, hit_docs, hit_tids, page_tids, scores if ranked else None)
    spans = _page_spans(gen, parsed, [d for t in page_tids for d in shown[t]])
    transcripts = [
        _transcript_hit(gen, stored, t, turns[t], shown[t], matcher, spans) for t in page_tids
    ]
    suggestion = None
    if parsed.plain_words and len(hit_docs) < 5:
        suggestion = suggest(
            searcher.reader(), req.q, parsed.plain_words, gen.vocabularies.get(EXACT),
            _words_of_languages(gen, req.language),
        )
    relax, total_without_filters = [], None
    if not len(hit_docs) and (masks or in_dates is not None):
        relax = _relaxations(table, req, matched, in_dates, masks)
        total_without_filters = int(matched.sum())
    return SearchResult(
        request=req,
        relax=relax,
        total_without_filters=total_without_filters,
        total=len(hit_docs),
        total_transcripts=len(unique_tids),
        pages=pages,
        transcripts=transcripts,
        facets=facets,
        suggestion=suggestion,
        notes=parsed.notes,
        value_notes=value_notes(gen, req),
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _relaxations(
    table: DocTable, req: SearchRequest, matched: np.ndarray, in_dates: np.ndarray | None,
    masks: dict[str, np.ndarray],
) -> list[Relaxation]:
    """For an empty result: each filter whose removal alone brings results back.

    A facet's ticked values are removed together (they widen each other, so removing
    one of several cannot help); its total is the scope its own facet counts use. A date
    bound is removed on its own, the other kept.
    """
    dated = matched & in_dates if in_dates is not None else matched
    found: list[Relaxation] = []

    def add(name: str, values: list[str], scope: np.ndarray) -> None:
        docs = np.flatnonzero(scope)
        if len(docs):
            found.append(Relaxation(name, values, len(docs), len(np.unique(table.tid[docs]))))

    for name, values in req.filters().items():
        if name in masks:
            add(name, list(values), _narrowed(dated, (m for o, m in masks.items() if o != name)))
    for which, start, end in (("from", None, req.date_to), ("to", req.date_from, None)):
        bound = req.date_from if which == "from" else req.date_to
        if bound:
            kept = _date_mask(table, start, end)
            scope = matched & kept if kept is not None else matched
            add(which, [bound.isoformat()], _narrowed(scope, masks.values()))
    found.sort(key=lambda r: -r.total)
    return found


def _narrowed(mask: np.ndarray, others: Iterable[np.ndarray]) -> np.ndarray:
    out = mask.copy()
    for m in others:
        out &= m
    return out


def _date_mask(table: DocTable, start: dt.date | None, end: dt.date | None) -> np.ndarray | None:
    if not start and not end:
        return None
    lo = day_number(start) if start else 1
    hi = day_number(end) if end else np.iinfo(np.int32).max
    return (table.day >= lo) & (table.day <= hi)


def _values_mask(table: DocTable, name: str, values: list[str]) -> np.ndarray:
    """Documents with any of the values: several ticks in one facet widen the search."""
    mask = np.zeros(table.size, dtype=bool)
    facet = table.facets[name]
    for value in values:  # as stored: ``canonical_request`` resolved them
        mask[facet.docs_with(value)] = True
    return mask


def facet_values(
    values: list[str], counts: np.ndarray, selected: list[str],
    labels: dict[str, str] | None = None,
) -> list[FacetValue]:
    """Most frequent first; ties in value order (the lexicon's order, so a stable sort).
    ``labels``: how a value is shown where that differs (Persons tags)."""
    labels = labels or {}
    nonzero = np.flatnonzero(counts)
    ordered = nonzero[np.argsort(-counts[nonzero], kind="stable")].tolist()
    chosen = set(selected)
    counted = counts.tolist()
    out = [
        FacetValue(values[i], counted[i], values[i] in chosen, labels.get(values[i], ""))
        for i in ordered
    ]
    shown = {fv.value for fv in out} if chosen else set()
    # A ticked value stays visible (with 0) so it can be unticked.
    out.extend(FacetValue(v, 0, True, labels.get(v, "")) for v in selected if v not in shown)
    return out


class ShownCache:
    """Least recently used stored fields, bounded by the characters of their text."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self._items: OrderedDict[int, tuple[dict[str, Any], int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, doc: int) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(doc)
            if item is None:
                return None
            self._items.move_to_end(doc)
            return item[0]

    def put(self, doc: int, fields: dict[str, Any], chars: int) -> None:
        if chars > self.max_chars:
            return
        with self._lock:
            if doc in self._items:
                return
            self._items[doc] = (fields, chars)
            self.chars += chars
            while self.chars > self.max_chars:
                _, (_, dropped) = self._items.popitem(last=False)
                self.chars -= dropped


class _StoredFields:
    """A document's stored fields for one request: ranking reads the texts of the leading
    utterances (proximity), and the results page shows the same ones (``gen.stored``
    keeps them across requests too)."""

    def __init__(self, searcher: Searcher, gen: Generation | None = None) -> None:
        self.searcher = searcher
        self.gen = gen
        self._read: dict[int, dict[str, Any]] = {}

    def __call__(self, doc: int) -> dict[str, Any]:
        fields = self._read.get(doc)
        if fields is None:
            if self.gen is not None:
                fields = self.gen.stored(self.searcher, doc)
            else:
                fields = self.searcher.stored_fields(doc)
            self._read[doc] = fields
        return fields


def _rank_by_relevance(
    gen: Generation, stored: _StoredFields, parsed: ParsedQuery, docs: np.ndarray,
    tids: np.ndarray, scores: np.ndarray,
) -> tuple[list[int], np.ndarray]:
    """Transcripts by their best utterance and the query's words across them (``ranking``),
    and the utterance scores that ranking used (a page shows each transcript's best)."""
    table = gen.table
    reader = stored.searcher.reader()
    terms = ranking.positive_terms(parsed.query)

    def postings_of(field: str, word: str) -> tuple[np.ndarray, np.ndarray]:
        return gen.scorer.term_postings(reader, field, word)

    if ranking.PARAMS.as_typed:
        typed = ranking.as_typed_terms(terms, parsed.plain_words)
        if typed:
            scorer = gen.scorer
            scores = scores + ranking.PARAMS.as_typed * ranking.as_typed_scores(
                typed, postings_of, table.size, scorer.n, scorer.lengths.get(EXACT),
                scorer.avg.get(EXACT, 1.0),
            )
    best = ranking.best_per_transcript(docs, tids, scores, len(table.tids))
    evidence = ranking.transcript_evidence(
        terms, postings_of, table.tid, table.is_page, table.live, gen.transcript_words
    )
    score = ranking.transcript_scores(best, evidence)
    score = ranking.add_proximity(
        best, score, docs, tids, scores, parsed.query, terms, postings_of, gen.scorer.n,
        lambda d: stored(d)["body"], _places_in_stream(gen),
    )
    return ranking.rank_transcripts(score, evidence, np.unique(tids), table.tid_day), scores


def _places_in_stream(gen: Generation) -> ranking.PlacesOf | None:
    """Where the ranking's words stand in documents, from the token stream
    (``ranking.add_proximity``); None for an index without one."""
    forward = gen.scorer.forward
    if forward is None:
        return None

    def places_of(
        words: list[tuple[str, str]],
    ) -> Callable[[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
        groups = [_word_group(gen, [word]) for word in words]
        return lambda docs: forward.places_of_many(docs, groups)

    return places_of


def _word_group(gen: Generation, words: list[tuple[str, str]]) -> np.ndarray:
    """The exact word ids (a bool per id) the query's (field, word)s stand for."""
    forward = gen.scorer.forward
    assert forward is not None  # asked only of a generation with a token stream
    group = np.zeros(len(forward.vocabulary.df), dtype=bool)
    for name, word in words:
        group[_word_ids(gen, name, word)] = True
    return group


def _word_ids(gen: Generation, field: str, word: str) -> np.ndarray:
    """The exact word ids a (field, word) of the query stands for: itself, or a stem's
    words."""
    vocabulary = gen.vocabularies.get(field)
    w = vocabulary.id(word) if vocabulary is not None else -1
    if vocabulary is None or w < 0:
        return np.empty(0, dtype=np.int64)
    k = vocabulary.kept
    if k.members is None:
        return np.array([w], dtype=np.int64)
    assert k.member_starts is not None  # kept with the members (index.tables)
    return np.asarray(k.members[int(k.member_starts[w]) : int(k.member_starts[w + 1])])


def _page_spans(
    gen: Generation, parsed: ParsedQuery, docs: list[int]
) -> dict[int, list[tuple[int, int]]] | None:
    """What each shown turn's snippet marks, (start, end) in its stored text, read for
    the whole page at once from the token stream and its offsets (no text scanned): the
    words of the query's stems and its words as typed. None for tables without offsets
    (``snippets.WordMatcher`` scans each turn then, to the same marks)."""
    forward = gen.scorer.forward
    text = gen.vocabularies.get(TEXT)
    if forward is None or not forward.has_offsets() or text is None or text.kept.members is None:
        return None
    words = [(TEXT, s) for s in parsed.stems] + [(EXACT, w) for w in parsed.words]
    marked = _word_group(gen, words)
    if not docs or not marked.any():
        return {d: [] for d in docs}
    owner, starts, lengths = forward.hits_of_many(np.array(docs), [marked])[0]
    pairs = list(zip(starts.tolist(), (starts + lengths).tolist(), strict=True))
    cuts = np.searchsorted(owner, np.arange(len(docs) + 1)).tolist()  # owner ascends
    return {d: pairs[cuts[k] : cuts[k + 1]] for k, d in enumerate(docs)}


def _rank_by_date(gen: Generation, tids: np.ndarray, newest: bool) -> list[int]:
    if not len(tids):
        return []
    keys = np.lexsort((tids, gen.table.tid_day[tids]))
    ordered = tids[keys]
    ranked: list[int] = (ordered[::-1] if newest else ordered).tolist()
    return ranked


def _shown_docs(
    table: DocTable, docs: np.ndarray, tids: np.ndarray, page: list[int],
    scores: np.ndarray | None,
) -> tuple[dict[int, int], dict[int, list[int]]]:
    """For each transcript of the page: how many of its turns matched, and those it shows
    in a list: its best-scoring few (or its first few, by date), in the order they were
    said. The whole page's at once (``docs`` ascending, ``tids`` their transcripts)."""
    on_page = np.zeros(len(table.tids), dtype=bool)
    on_page[page] = True
    keep = on_page[tids]
    docs, tids = docs[keep], tids[keep]
    best_first = table.pos[docs] if scores is None else -scores[docs]  # ties: earlier doc
    docs, tids, found, counts = ranking.leading_per_transcript(
        docs, tids, best_first, SHOWN_PER_TRANSCRIPT
    )
    matched = dict(zip(found.tolist(), counts.tolist(), strict=True))
    said = np.lexsort((table.pos[docs], tids))  # stable: ties keep the order above
    shown: dict[int, list[int]] = {t: [] for t in page}
    for d, t in zip(docs[said].tolist(), tids[said].tolist(), strict=True):
        shown[t].append(d)
    return matched, shown


def _transcript_hit(
    gen: Generation, stored: _StoredFields, t: int, matched: int, shown: list[int],
    matcher: WordMatcher, spans: dict[int, list[tuple[int, int]]] | None,
) -> TranscriptHit:
    table = gen.table
    meta = gen.meta(stored.searcher, t)
    return TranscriptHit(
        id=table.tids[t],
        title=meta.get("title", ""),
        date=meta.get("effective_date", ""),
        time=meta.get("time", ""),
        place=meta.get("place", ""),
        url=meta.get("url", ""),
        matched=matched,
        utterances=[
            _utterance_hit(stored(d), table.pos[d], matcher, None if spans is None else spans[d])
            for d in shown
        ],
        source=meta.get("source", ""),
        media=meta.get("media", ""),
        language=meta.get("language", ""),
        translation_of=meta.get("translation_of", ""),
        translations=translations_in(gen, table.tids[t]),
    )


def translations_in(gen: Generation, transcript_id: str) -> list[str]:
    """The ids of the transcripts that translate this one (ParlaMint's "-en_" sittings,
    a sidecar's ``translation_of``), from the pages that name it."""
    table = gen.table
    facet = table.facets["translation_of"]
    if transcript_id not in facet.ids:  # nearly always: no transcript translates it
        return []
    docs = facet.docs_with(transcript_id)
    docs = docs[table.is_page[docs] & table.live[docs]]
    return sorted(table.tids[int(t)] for t in set(table.tid[docs].tolist()))


def _words_of_languages(gen: Generation, names: list[str]) -> Callable[[str], bool] | None:
    """Whether a word is written in one of the languages named (as the language facet
    names them), for "did you mean" in a search limited to them; None: any word."""
    text, exact = gen.vocabularies.get(TEXT), gen.vocabularies.get(EXACT)
    codes = {language.code_of_name(n) for n in names}
    if not codes or text is None or exact is None or len(text.languages) < 2:
        return None
    members, starts = text.kept.members, text.kept.member_starts
    if members is None or starts is None:
        return None

    def build(_: Generation) -> np.ndarray:
        ok = np.zeros(len(exact.df), dtype=bool)
        for i, stem in enumerate(text.words):
            if language.term_language(stem) in codes:
                ok[np.asarray(members[int(starts[i]) : int(starts[i + 1])])] = True
        return ok

    ok = gen.derived(f"words:{','.join(sorted(codes))}", build)
    return lambda word: bool(ok[exact.id(word)]) if exact.id(word) >= 0 else False


def translations(index: TranscriptIndex, transcript_id: str) -> list[str]:
    return translations_in(index.current(), transcript_id)


def _utterance_hit(
    stored: dict[str, Any], pos: SupportsInt, matcher: WordMatcher,
    spans: list[tuple[int, int]] | None = None,
) -> UtteranceHit:
    text = stored["body"]
    return UtteranceHit(
        position=int(pos),
        kind=stored.get("kind", ""),
        speaker=stored.get("speaker"),
        label=stored.get("label"),
        role=stored.get("role", ""),
        note=stored.get("note", ""),
        text=text,
        snippet=snippet(text, matcher, spans=spans),
        start=stored.get("start"),
        end=stored.get("end"),
        party=stored.get("party", ""),
        language=stored.get("lang", ""),
        anchor=stored.get("anchor", ""),
    )


def get_transcript(index: TranscriptIndex, transcript_id: str) -> Transcript | None:
    """A whole transcript, rebuilt from the index (the source file may have moved)."""
    gen = index.current()
    table = gen.table
    t = table.tid_ord.get(transcript_id)
    if t is None or gen.page_doc[t] < 0:
        return None
    searcher = gen.searcher()
    meta = dict(gen.meta(searcher, t))
    meta.pop("effective_date", None)
    docs = np.flatnonzero((table.tid == t) & table.live & ~table.is_page)
    docs = docs[np.argsort(table.pos[docs], kind="stable")]
    utterances = []
    for d in docs.tolist():
        stored = searcher.stored_fields(d)
        utterances.append(
            Utterance(
                position=int(table.pos[d]),
                text=stored["body"],
                label=stored.get("label"),
                speaker=stored.get("speaker"),
                role=stored.get("role", ""),
                note=stored.get("note", ""),
                start=stored.get("start"),
                end=stored.get("end"),
                speaker_id=stored.get("speaker_id", ""),
                party=stored.get("party", ""),
                sex=stored.get("sex", ""),
                anchor=stored.get("anchor", ""),
                language=stored.get("lang", ""),
            )
        )
    return Transcript(**meta, utterances=utterances)


def matcher_for(index: TranscriptIndex, q: str) -> WordMatcher:
    """What to mark when a transcript is opened from a search for ``q`` (nothing if invalid)."""
    gen = index.current()
    try:
        parsed = parse(q, gen.parser, gen.searcher().reader(), gen.values, gen.vocabularies)
    except QueryError:
        return WordMatcher()
    return _word_matcher(gen, parsed)


def _word_matcher(gen: Generation, parsed: ParsedQuery) -> WordMatcher:
    """What to mark: with the words of each stem when the kept vocabulary knows them."""
    text, exact = gen.vocabularies.get(TEXT), gen.vocabularies.get(EXACT)
    heads: set[str] | None = None
    if text is not None and exact is not None and text.kept.members is not None:
        starts = text.kept.member_starts
        assert starts is not None  # kept with the members (index.tables)
        heads = set()
        for s in parsed.stems:
            i = text.id(s)
            if i >= 0:
                lo, hi = int(starts[i]), int(starts[i + 1])
                heads.update(exact.words[m] for m in text.kept.members[lo:hi].tolist())
    return WordMatcher(parsed.stems, parsed.words, heads)
