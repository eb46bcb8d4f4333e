"""Running a search on an OpenSearch cluster: the embedded engine's answers, from a cluster.

What a user typed is parsed by the same code as on the embedded index (``search.query``),
with the cluster's vocabulary index standing in for the generation's word tables, and
the parsed tree is sent as DSL (``search.opensearch_query``). Filters are a
``post_filter`` and each facet is counted under every filter but its own (an aggregation
per facet), so ticking a value leaves its siblings' counts, as on the embedded engine.
Hits are collapsed on the transcript: one result per transcript, with its matching turns
as inner hits. Snippets are marked by ``search.snippets`` on the stored text, so they
read the same on both backends.

Ranking is each transcript's best passage, scored with the embedded engine's tuned BM25
(an index setting) plus its bonus for words as typed; the embedded engine's proximity and
whole-transcript tie-break are not here. Totals, counts and the set of results agree; the
order of a relevance sort may differ a little.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from transcripts.index import language
from transcripts.index.documents import day_number
from transcripts.index.model import Transcript, Utterance
from transcripts.index.opensearch import mapping
from transcripts.index.opensearch.connection import (
    ClusterSettings,
    ClusterUnavailable,
    client,
    unavailable,
)
from transcripts.index.opensearch.mapping import vocabulary_alias, word_id
from transcripts.index.schema import EXACT, FACETS, VALUE_FIELDS, make_schema
from transcripts.search import person_names, ranking
from transcripts.search.engine import (
    SHOWN_PER_TRANSCRIPT,
    IndexMissing,
    canonical_request,
    check_request,
    facet_values,
    value_notes,
)
from transcripts.search.facets import Facet
from transcripts.search.opensearch_query import to_dsl
from transcripts.search.person_names import PersonNames
from transcripts.search.query import (
    MAX_EXPANSION,
    ParsedQuery,
    QueryError,
    ValueLookup,
    make_parser,
    parse,
)
from transcripts.search.results import (
    Relaxation,
    SearchRequest,
    SearchResult,
    TranscriptHit,
    UtteranceHit,
    ValueNote,
)
from transcripts.search.snippets import WordMatcher, snippet
from transcripts.search.suggest import suggest

if TYPE_CHECKING:
    from opensearchpy import OpenSearch, TransportError

T = TypeVar("T")

# Transcripts counted exactly, a bucket each, up to this many in the index: OpenSearch's
# search.max_buckets is 65,535 (the 8x corpus has 46,280 transcripts).
EXACT_TRANSCRIPTS = 60_000
PARTIAL_TRIES = 4  # an answer missing shards is asked again this many times in all ...
PARTIAL_PAUSE = 0.5  # ... after 0.5, 1, 1.5 s (a lost node's replicas are promoted in ~1 s)
SCAN_BATCH = 1000  # documents per request of a scan
SCAN_KEEP_ALIVE = "5m"  # a point in time lives this long between two requests
WATCH_SECONDS = 1.0  # how long the alias's target is trusted before it is asked again
VALUES_PAGE = 10_000  # facet values read per request when a generation is opened
SHOWN_FIELDS = ["tid", "pos", "kind", "body", "label", "note", "speaker", "role_shown", "start",
                "end", "lang", "party", "sex", "speaker_id", "anchor"]


@dataclass
class ClusterGeneration:
    """One physical index behind the alias, with what every search needs from it."""

    name: str
    settings: ClusterSettings
    conn: OpenSearch
    doc_count: int
    transcripts: int  # page documents: one a transcript
    facets: dict[str, Facet]  # values only: the documents are in the cluster
    value_counts: dict[str, dict[str, int]]  # f_* field -> value -> documents
    years: list[str]  # every year the index has, newest first
    people: PersonNames
    values: ValueLookup
    parser: object
    # Codes of the languages the index holds: a plain word is stemmed in each.
    languages: list[str] = field(default_factory=lambda: [language.DEFAULT])
    _derived: dict[str, object] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _df: dict[tuple[str, str], int] = field(default_factory=dict)

    def derived(self, name: str, build: Callable[[ClusterGeneration], T]) -> T:
        value = self._derived.get(name)
        if value is None:
            with self._lock:
                value = self._derived.get(name)
                if value is None:
                    value = self._derived[name] = build(self)
        return cast(T, value)  # what ``build`` made for this name

    # -- the vocabulary, as the query parser and "did you mean" ask for it ------------------
    def doc_count_all(self) -> int:
        return self.doc_count

    def doc_frequency(self, fieldname: str, text: str) -> int:
        if fieldname in self.value_counts:
            return self.value_counts[fieldname].get(text, 0)
        key = (fieldname, text)
        if key not in self._df:
            self.frequencies([key])
        return self._df.get(key, 0)

    def frequencies(self, keys: list[tuple[str, str]]) -> None:
        """Document frequencies of several words in one request (kept: a generation never
        changes)."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self._df]
        if not wanted:
            return
        found = whole(self.settings, self.conn.mget(
            index=vocabulary_alias(self.name), body={"ids": [word_id(f, w) for f, w in wanted]}))
        for key, doc in zip(wanted, found["docs"], strict=True):
            self._df[key] = int(doc["_source"]["df"]) if doc.get("found") else 0
        if len(self._df) > 100_000:
            self._df.clear()

    def uses(self, words: list[str], in_language: str | None = None) -> dict[str, int]:
        """Occurrences of ``exact`` words in the whole index, or in the documents of one
        language (for distinctive words, "did you mean" within the languages ticked)."""
        out: dict[str, int] = {}
        for start in range(0, len(words), 1000):
            chunk = words[start : start + 1000]
            found = whole(self.settings, self.conn.mget(
                index=vocabulary_alias(self.name),
                body={"ids": [word_id(EXACT, w) for w in chunk]},
                _source_includes=["uses", "uses_by_language"]))
            for word, doc in zip(chunk, found["docs"], strict=True):
                if doc.get("found"):
                    src = doc["_source"]
                    n = (src.get("uses", 0) if in_language is None
                         else (src.get("uses_by_language") or {}).get(in_language, 0))
                    out[word] = int(n)
        return out

    def expand_prefix(self, fieldname: str, head: str) -> list[str]:
        return self.pattern_words(fieldname, head + "*", head)[1]

    def pattern_words(self, fieldname: str, pattern: str, head: str
                      ) -> tuple[int, list[str], npt.NDArray[np.int64]]:
        """How many words of the field match the pattern, and the MAX_EXPANSION most
        common (ties in word order), in word order (``search.query.PatternWords``)."""
        if head == pattern.rstrip("*") and "?" not in pattern and pattern.count("*") == 1:
            match: dict[str, Any] = {"prefix": {"word": head}}
        else:
            match = {"wildcard": {"word": {"value": pattern}}}
        body = {
            "query": {"bool": {"filter": [{"term": {"field": fieldname}}, match]}},
            "sort": [{"df": "desc"}, {"word": "asc"}],
            "size": MAX_EXPANSION,
            "track_total_hits": True,
            "_source": ["word", "df"],
        }
        answer = whole(self.settings, self.conn.search(index=vocabulary_alias(self.name),
                                                       body=body))
        hits = sorted((h["_source"]["word"], int(h["_source"]["df"]))
                      for h in answer["hits"]["hits"])
        for word, df in hits:
            self._df[(fieldname, word)] = df
        total = int(answer["hits"]["total"]["value"])
        return total, [w for w, _ in hits], np.array([df for _, df in hits], dtype=np.int64)

    def within(self, word: str, maxdist: int, prefix: int) -> list[str]:
        """Words of ``exact`` within ``maxdist`` edits sharing the first ``prefix`` letters
        (Lucene's fuzzy terms with transpositions: the same distance as ``suggest``'s)."""
        body = {
            "query": {"bool": {"filter": [
                {"term": {"field": EXACT}},
                {"fuzzy": {"word": {"value": word, "fuzziness": maxdist,
                                    "prefix_length": prefix, "transpositions": True,
                                    "max_expansions": 1000}}},
            ]}},
            "size": 1000,
            "_source": ["word", "df"],
        }
        answer = whole(self.settings, self.conn.search(index=vocabulary_alias(self.name),
                                                       body=body))
        words = []
        for h in answer["hits"]["hits"]:
            w, df = h["_source"]["word"], int(h["_source"]["df"])
            self._df[(EXACT, w)] = df
            words.append(w)
        return words


class _ExactWords:
    """The vocabulary as ``search.suggest`` reads it, from the cluster."""

    def __init__(self, gen: ClusterGeneration):
        self.gen = gen

    def doc_frequency(self, word: str) -> int:
        return self.gen.doc_frequency(EXACT, word)

    def within(self, word: str, maxdist: int, prefix: int) -> list[str]:
        return self.gen.within(word, maxdist, prefix)


def _in_languages(gen: ClusterGeneration, req: SearchRequest) -> Callable[[str], bool] | None:
    """Whether a word is written in one of the languages ticked, for "did you mean"
    (``engine._words_of_languages``'s rule); None: any word."""
    codes = {language.code_of_name(n) for n in req.language}
    if not codes or len(gen.languages) < 2:
        return None

    @functools.lru_cache(maxsize=256)  # a word is asked about once a suggestion
    def keep(word: str) -> bool:
        return any(gen.uses([word], code).get(word, 0) for code in codes)

    return keep


class ClusterIndex:
    """The index behind an alias on an OpenSearch cluster; follows a reindex's alias move."""

    backend = "opensearch"

    def __init__(self, settings: ClusterSettings):
        self.settings = settings
        self.conn = client(settings)
        self._gen: ClusterGeneration | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._warmed: ClusterGeneration | None = None

    def describe(self) -> str:
        return f"OpenSearch index '{self.settings.alias}' at {self.settings.describe()}"

    def current(self) -> ClusterGeneration:
        now = time.monotonic()
        gen = self._gen
        if gen is not None and now - self._checked < WATCH_SECONDS:
            return gen
        with self._lock:
            name = self._target()
            if self._gen is None or self._gen.name != name:
                self._gen = self._open(name)
            self._checked = time.monotonic()
            return self._gen

    def warm(self) -> ClusterGeneration | None:
        """Open the generation behind the alias and run a search on it (None: no index
        yet, or no cluster to ask)."""
        try:
            gen = self.current()
            if gen is not self._warmed:
                search(self, SearchRequest(q=""))
                self._warmed = gen
            return gen
        except (IndexMissing, ClusterUnavailable):
            return None

    def watch(self, interval: float = 5.0) -> threading.Thread:
        """Warm now and after each alias move, from a daemon thread that ends with this
        object (as ``TranscriptIndex.watch``)."""
        ref = weakref.ref(self)

        def loop() -> None:
            while (index := ref()) is not None:
                index.warm()
                del index
                time.sleep(interval)

        thread = threading.Thread(target=loop, name="cluster-warmer", daemon=True)
        thread.start()
        return thread

    def _target(self) -> str:
        from opensearchpy import exceptions as ox

        try:
            targets: list[str] = sorted(self.conn.indices.get_alias(name=self.settings.alias))
        except ox.NotFoundError:
            raise IndexMissing(
                f"no index '{self.settings.alias}' on OpenSearch at "
                f"{self.settings.describe()}: run `transcripts reindex --backend opensearch`"
            ) from None
        except ox.OpenSearchException as exc:
            raise unavailable(self.settings, exc) from None
        return targets[-1]

    def _open(self, name: str) -> ClusterGeneration:
        from opensearchpy import exceptions as ox

        try:
            doc_count = int(whole(self.settings, self.conn.count(index=name))["count"])
            transcripts = int(whole(self.settings, self.conn.count(
                index=name, body={"query": {"term": {"kind": "page"}}}))["count"])
            value_counts = {f: _all_values(self.settings, self.conn, name, f)
                            for f in VALUE_FIELDS.values()}
            years = _all_values(self.settings, self.conn, name, "year")
            generation = self.conn.get(index=vocabulary_alias(name), id=mapping.GENERATION_DOC,
                                       _source_includes=["people"])["_source"]
        except ox.OpenSearchException as exc:
            raise unavailable(self.settings, exc) from None
        facets = {}
        for name_, fieldname in VALUE_FIELDS.items():
            values = sorted(value_counts[fieldname])
            facets[name_] = Facet(values, {v: i for i, v in enumerate(values)},
                                  np.empty(0, np.int32), np.empty(0, np.int32),
                                  np.zeros(len(values) + 1, np.int64))
        people = person_names.from_names(generation.get("people") or {},
                                         facets["person"].values)
        return ClusterGeneration(
            name=name,
            settings=self.settings,
            conn=self.conn,
            doc_count=doc_count,
            transcripts=transcripts,
            facets=facets,
            value_counts=value_counts,
            years=sorted((y for y in years if y != "0"), key=int, reverse=True),
            people=people,
            values=ValueLookup({n: f.values for n, f in facets.items()}),
            parser=make_parser(make_schema()),
            languages=sorted({language.code_of_name(v) or language.DEFAULT
                              for v in facets["language"].values}) or [language.DEFAULT],
        )


def _all_values(settings: ClusterSettings, conn: OpenSearch, index: str, fieldname: str
                ) -> dict[str, int]:
    """Every value of a keyword field with its document count (a composite aggregation,
    page after page: exact whatever the number of values)."""
    out: dict[str, int] = {}
    after = None
    while True:
        source = {"composite": {"size": VALUES_PAGE,
                                "sources": [{"v": {"terms": {"field": fieldname}}}]}}
        if after:
            source["composite"]["after"] = after
        answer = whole(settings, conn.search(index=index,
                                             body={"size": 0, "aggs": {"values": source}}))
        agg = answer["aggregations"]["values"]
        for bucket in agg["buckets"]:
            out[str(bucket["key"]["v"])] = int(bucket["doc_count"])
        after = agg.get("after_key")
        if not agg["buckets"] or not after:
            return out


# -- the search ---------------------------------------------------------------------------
def parse_request(gen: ClusterGeneration, q: str) -> ParsedQuery:
    return parse(q, gen.parser, gen, gen.values, None, gen.pattern_words, gen.languages)


def _filters(gen: ClusterGeneration, req: SearchRequest
             ) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The date filter and each ticked facet's filter (values as stored)."""
    dates = None
    if req.date_from or req.date_to:
        lo = day_number(req.date_from) if req.date_from else 1
        rng: dict[str, int] = {"gte": lo}
        if req.date_to:
            rng["lte"] = day_number(req.date_to)
        dates = {"range": {"day": rng}}
    facets = {
        name: {"terms": {VALUE_FIELDS[name]: values}}
        for name, values in req.filters().items()
        if values
    }
    return dates, facets


def selection(index: ClusterIndex, req: SearchRequest
              ) -> tuple[ClusterGeneration, SearchRequest, ParsedQuery, dict[str, Any]]:
    """What the analysis views count or list: every document matching the query and every
    filter, as one query (``engine.select`` on the embedded index)."""
    check_request(req)
    gen = index.current()
    req = canonical_request(gen, req)
    parsed = parse_request(gen, req.q)
    dates, selections = _filters(gen, req)
    filters = [f for f in (dates, *selections.values()) if f]
    return gen, req, parsed, {"bool": {"must": [to_dsl(parsed.query)], "filter": filters}}


def selection_counted(index: ClusterIndex, req: SearchRequest
                      ) -> tuple[ClusterGeneration, SearchRequest, ParsedQuery, dict[str, Any]]:
    """``selection`` for the views that count (``engine.select_counted``): each speech
    counted once."""
    gen, req, parsed, query = selection(index, req)
    once = counted_once(index, gen, req, [(parsed, query)])
    if once is not None:
        query = {"bool": {**query["bool"], "filter": [*query["bool"]["filter"], once]}}
    return gen, req, parsed, query


def counted_once(index: ClusterIndex, gen: ClusterGeneration, req: SearchRequest,
                 selections: list[tuple[ParsedQuery, dict[str, Any]]]
                 ) -> dict[str, Any] | None:
    """A filter that counts each speech once (``engine.counted_once``'s rule: of a
    transcript and its translation, the one the queries match in, else the original),
    None when every document counts. A filter, so the words counted beside the hits
    leave the other text out too."""
    if req.language or not gen.facets["translation_of"].values:
        return None
    pairs = gen.derived("translation_pairs", lambda g: _translation_pairs(index, g))
    if not pairs:
        return None
    both = sorted({t for pair in pairs for t in pair})
    has_hits: set[str] = set()
    for parsed, query in selections:
        if parsed.query is None:
            continue
        answer = call(index, lambda q=query: gen.conn.search(index=gen.name, body={
            "size": 0, "query": {"bool": {**q["bool"], "filter": [
                *q["bool"]["filter"], {"terms": {"tid": both}}]}},
            "aggs": {"t": {"terms": {"field": "tid", "size": len(both)}}}}))
        has_hits |= {b["key"] for b in answer["aggregations"]["t"]["buckets"]}
    skip = []
    for original, translation in pairs:
        use_translation = translation in has_hits and original not in has_hits
        skip.append(original if use_translation else translation)
    return {"bool": {"must_not": [{"terms": {"tid": sorted(set(skip))}}]}}


def _translation_pairs(index: ClusterIndex, gen: ClusterGeneration) -> list[tuple[str, str]]:
    """(original, translation) ids of every translation whose original is in the index."""
    originals = sorted(metas(index, gen, list(gen.facets["translation_of"].values)))
    if not originals:
        return []
    answer = call(index, lambda: gen.conn.search(index=gen.name, body={
        "size": 10_000, "_source": ["tid", "f_translation_of"],
        "query": {"bool": {"filter": [{"term": {"kind": "page"}},
                                      {"terms": {"f_translation_of": originals}}]}}}))
    return sorted({(o, h["_source"]["tid"]) for h in answer["hits"]["hits"]
                   for o in h["_source"].get("f_translation_of") or [] if o in originals})


def transcript_count(gen: ClusterGeneration) -> dict[str, Any]:
    """Aggregations that count the distinct transcripts of the documents they see, exactly:
    a bucket per transcript (as many as the index has, so none is cut) and the number of
    buckets. ``cardinality`` is cheaper but an estimate: on the development corpus it
    said 3,306 transcripts mention "russia" where 3,307 do. The buckets themselves are
    left out of the answer (``filter_path``). An index of more transcripts than a search
    may make buckets (``EXACT_TRANSCRIPTS``) is counted by ``cardinality``: exact up to
    about 40,000 but for a rare clash of hashes, within a few per cent beyond."""
    if gen.transcripts > EXACT_TRANSCRIPTS:
        return {"n": {"cardinality": {"field": "tid", "precision_threshold": 40_000}}}
    return {
        "tids": {"terms": {"field": "tid", "size": max(1, gen.transcripts)}},
        "n": {"stats_bucket": {"buckets_path": "tids>_count"}},
    }


def counted_transcripts(aggregations: dict[str, Any]) -> int:
    n = aggregations["n"]
    return int(n["count"] if "count" in n else n["value"])


# A results page's answer without the per-transcript buckets (only counted, above).
FILTER_PATH = "-aggregations.transcripts.tids"


def _all_of(filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


def search(index: ClusterIndex, req: SearchRequest) -> SearchResult:
    started = time.perf_counter()
    check_request(req)
    gen = index.current()
    req = canonical_request(gen, req)
    parsed = parse_request(gen, req.q)
    dates, selections = _filters(gen, req)
    query = to_dsl(parsed.query)
    if parsed.query is not None and req.sort == "relevance":
        query = _with_words_as_typed(query, parsed)
    everything = [f for f in (dates, *selections.values()) if f]
    ranked = parsed.query is not None and req.sort == "relevance"

    aggs: dict[str, Any] = {
        "transcripts": {"filter": _all_of(everything), "aggs": transcript_count(gen)},
    }
    for name in FACETS:
        others = [f for f in (dates, *(v for k, v in selections.items() if k != name)) if f]
        size = max(1, len(gen.facets[name].values))
        aggs[name] = {"filter": _all_of(others),
                      "aggs": {"v": {"terms": {"field": VALUE_FIELDS[name], "size": size}}}}
    aggs["year"] = {"filter": _all_of(list(selections.values())),
                    "aggs": {"v": {"terms": {"field": "year", "size": max(1, len(gen.years) + 1)}}}}
    if ranked:
        sort: list[str | dict[str, Any]] = ["_score", {"tid": "asc"}]
        shown_sort: list[str | dict[str, Any]] = ["_score", {"pos": "asc"}]
    else:
        order = "asc" if req.sort == "oldest" else "desc"
        sort = [{"day": order}, {"tid": order}]
        shown_sort = [{"pos": "asc"}]
    body = {
        "query": query,
        "post_filter": _all_of(everything),
        "collapse": {"field": "tid"},
        "sort": sort,
        "from": (req.page - 1) * req.per_page,
        "size": req.per_page,
        "track_total_hits": True,
        "_source": ["tid"],
        "aggs": aggs,
    }
    answer = call(index, lambda: gen.conn.search(index=gen.name, body=body,
                                                 filter_path=FILTER_PATH))
    total = int(answer["hits"]["total"]["value"])
    total_transcripts = counted_transcripts(answer["aggregations"]["transcripts"])
    facets = {}
    for name in FACETS:
        facet = gen.facets[name]
        counts = np.zeros(len(facet.values), dtype=np.int64)
        for bucket in answer["aggregations"][name]["v"]["buckets"]:
            i = facet.ids.get(bucket["key"])
            if i is not None:
                counts[i] = bucket["doc_count"]
        facets[name] = facet_values(facet.values, counts, req.filters()[name],
                                     gen.people.shown if name == "person" else None)
    year_ids = {y: i for i, y in enumerate(gen.years)}
    years = np.zeros(len(gen.years), dtype=np.int64)
    for bucket in answer["aggregations"]["year"]["v"]["buckets"]:
        i = year_ids.get(str(bucket["key"]))
        if i is not None:
            years[i] = bucket["doc_count"]
    facets["year"] = facet_values(gen.years, years, [])

    page_tids = [h["_source"]["tid"] for h in answer["hits"]["hits"]]
    shown, found = _shown_turns(index, gen, query, everything, page_tids, shown_sort)
    matcher = WordMatcher(parsed.stems, parsed.words)
    twins = translations(index, page_tids)
    transcripts = [_transcript_hit(t, shown[t], found.get(t, {}), matcher, twins)
                   for t in page_tids]

    suggestion = None
    if parsed.plain_words and total < 5:
        suggestion = call(index, lambda: suggest(gen, req.q, parsed.plain_words,
                                                  _ExactWords(gen), _in_languages(gen, req)))
    relax: list[Relaxation] = []
    total_without_filters: int | None = None
    if not total and everything:
        relax, total_without_filters = _relaxations(index, gen, req, query, dates, selections)
    return SearchResult(
        request=req,
        relax=relax,
        total_without_filters=total_without_filters,
        total=total,
        total_transcripts=total_transcripts,
        pages=max(1, -(-total_transcripts // req.per_page)),
        transcripts=transcripts,
        facets=facets,
        suggestion=suggestion,
        notes=parsed.notes,
        value_notes=value_notes(gen, req),
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _with_words_as_typed(query: dict[str, Any], parsed: ParsedQuery) -> dict[str, Any]:
    """The embedded ranking's "as typed" (``search.ranking.as_typed_terms``): a plain word
    also scores, twice over, in the form it was typed ("accounts" before "accounting").
    Optional clauses: what matches does not change."""
    typed = ranking.as_typed_terms(ranking.positive_terms(parsed.query), parsed.plain_words)
    if not typed or not ranking.PARAMS.as_typed:
        return query
    should = [{"term": {field: {"value": word, "boost": boost * ranking.PARAMS.as_typed}}}
              for field, word, boost in typed]
    return {"bool": {"must": [query], "should": should}}


def call(index: ClusterIndex, fn: Callable[..., T]) -> T:
    """A request to the cluster; its failure as ``ClusterUnavailable`` (one line).

    An answer from only some of the shards (a node lost a moment ago, its replicas not yet
    promoted) would be a wrong count given as a right one: it is asked again, after a
    pause, and if the cluster still cannot answer whole, that is said (503), not shown."""
    from opensearchpy import exceptions as ox

    for attempt in range(PARTIAL_TRIES):
        last = attempt == PARTIAL_TRIES - 1
        try:
            answer = fn()
        except ox.RequestError as exc:
            raise QueryError(f"OpenSearch could not run this query: {exc.error}") from None
        except ox.TransportError as exc:
            # Every copy of a shard failed this time (a node lost, its replica not yet
            # promoted): HTTP 500 "search_phase_execution_exception", asked again too.
            if last or not _shards_lost(exc):
                raise unavailable(index.settings, exc) from None
        except ox.OpenSearchException as exc:
            raise unavailable(index.settings, exc) from None
        else:
            if not _partial(answer):
                return answer
        time.sleep(PARTIAL_PAUSE * (attempt + 1))
    raise ClusterUnavailable(
        f"OpenSearch at {index.settings.describe()} answered from only part of the index "
        "(a node is being replaced); try again in a moment"
    )


def whole(settings: ClusterSettings, answer: dict[str, Any]) -> dict[str, Any]:
    """The answer, if every shard gave its part (else ``ClusterUnavailable``): for what is
    kept for a generation's life, and the vocabulary a query is parsed with."""
    if _partial(answer):
        raise ClusterUnavailable(
            f"OpenSearch at {settings.describe()} answered from only part of the index "
            "(a node is being replaced); try again in a moment"
        )
    return answer


def _shards_lost(exc: TransportError) -> bool:
    return exc.status_code in (500, 503) and "search_phase_execution_exception" in str(
        exc.error)


def _partial(answer: object) -> bool:
    """Shards that did not answer a search or count, or documents an mget could not read."""
    if not isinstance(answer, dict):
        return False
    parts = [answer, *(answer.get("responses") or [])]
    if any(isinstance(p, dict) and (p.get("_shards") or {}).get("failed") for p in parts):
        return True
    return any(isinstance(d, dict) and "error" in d for d in answer.get("docs") or [])


def scan(index: ClusterIndex, gen: ClusterGeneration, query: dict[str, Any],
         sort: Sequence[str | dict[str, Any]], fields: list[str], limit: int | None = None
         ) -> Iterator[dict[str, Any]]:
    """The ``_source`` (``fields``) and ``sort`` values of every matching document, in
    order, a batch at a time through a point in time: the index as it was when the scan
    began, whatever a reindex does meanwhile, and no result window to stop at."""
    conn = gen.conn
    pit = call(index, lambda: conn.create_pit(index=gen.name,
                                              params={"keep_alive": SCAN_KEEP_ALIVE}))["pit_id"]
    try:
        after = None
        sent = 0
        while limit is None or sent < limit:
            body: dict[str, Any] = {
                "query": query,
                "sort": sort,
                "size": SCAN_BATCH if limit is None else min(SCAN_BATCH, limit - sent),
                "_source": fields,
                "pit": {"id": pit, "keep_alive": SCAN_KEEP_ALIVE},
                "track_total_hits": False,
            }
            if after is not None:
                body["search_after"] = after
            hits = call(index, lambda b=body: conn.search(body=b))["hits"]["hits"]
            if not hits:
                return
            yield from hits
            sent += len(hits)
            after = hits[-1]["sort"]
    finally:
        with contextlib.suppress(Exception):  # it expires on its own
            conn.delete_pit(body={"pit_id": [pit]})



def translations(index: ClusterIndex, tids: list[str]) -> dict[str, list[str]]:
    """The ids of the transcripts that translate each of ``tids`` (their pages name it)."""
    if not tids or not index.current().facets["translation_of"].values:
        return {}
    gen = index.current()
    answer = call(index, lambda: gen.conn.search(index=gen.name, body={
        "size": 1000, "_source": ["tid", "f_translation_of"],
        "query": {"bool": {"filter": [{"term": {"kind": "page"}},
                                      {"terms": {"f_translation_of": tids}}]}}}))
    out: dict[str, list[str]] = {}
    for hit in answer["hits"]["hits"]:
        for original in hit["_source"].get("f_translation_of") or []:
            out.setdefault(original, []).append(hit["_source"]["tid"])
    return {t: sorted(ids) for t, ids in out.items()}


def metas(index: ClusterIndex, gen: ClusterGeneration, tids: list[str]
          ) -> dict[str, dict[str, Any]]:
    if not tids:
        return {}
    found = call(index, lambda: gen.conn.mget(
        index=gen.name, body={"ids": [f"{t}/page" for t in tids]}, _source_includes=["meta"]))
    return {
        d["_id"].removesuffix("/page"): d["_source"].get("meta") or {}
        for d in found["docs"] if d.get("found")
    }


def _shown_turns(
    index: ClusterIndex, gen: ClusterGeneration, query: dict[str, Any],
    filters: list[dict[str, Any]], tids: list[str], sort: Sequence[str | dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """For the page's transcripts, in one round trip: each one's matching turns (how many,
    and its best few) and its page document's metadata. One aggregation over the page's
    transcripts instead of collapse's inner hits, which cost a search per transcript."""
    if not tids:
        return {}, {}
    turns = {"size": 0, "query": {"bool": {"must": [query],
                                           "filter": [*filters, {"terms": {"tid": tids}}]}},
             "aggs": {"t": {"terms": {"field": "tid", "size": len(tids)}, "aggs": {
                 "top": {"top_hits": {"size": SHOWN_PER_TRANSCRIPT, "sort": sort,
                                      "_source": SHOWN_FIELDS}}}}}}
    pages = {"size": len(tids), "query": {"ids": {"values": [f"{t}/page" for t in tids]}},
             "_source": ["tid", "meta"]}
    answers = call(index, lambda: gen.conn.msearch(
        body=[{"index": gen.name}, turns, {"index": gen.name}, pages]))["responses"]
    for a in answers:
        if "error" in a:
            raise QueryError(f"OpenSearch could not run this query: {a['error']}")
    shown = {b["key"]: b for b in answers[0]["aggregations"]["t"]["buckets"]}
    found = {h["_source"]["tid"]: h["_source"].get("meta") or {}
             for h in answers[1]["hits"]["hits"]}
    return {t: shown.get(t, {"doc_count": 0, "top": {"hits": {"hits": []}}}) for t in tids}, found


def _transcript_hit(tid: str, bucket: dict[str, Any], meta: dict[str, Any],
                    matcher: WordMatcher, translations_of: dict[str, list[str]]
                    ) -> TranscriptHit:
    docs = sorted((h["_source"] for h in bucket["top"]["hits"]["hits"]),
                  key=lambda s: s["pos"])
    return TranscriptHit(
        id=tid,
        title=meta.get("title", ""),
        date=meta.get("effective_date", ""),
        time=meta.get("time", ""),
        place=meta.get("place", ""),
        url=meta.get("url", ""),
        matched=int(bucket["doc_count"]),
        utterances=[_utterance_hit(s, matcher) for s in docs],
        source=meta.get("source", ""),
        media=meta.get("media", ""),
        language=meta.get("language", ""),
        translation_of=meta.get("translation_of", ""),
        translations=translations_of.get(tid, []),
    )


def _utterance_hit(src: dict[str, Any], matcher: WordMatcher) -> UtteranceHit:
    text = src.get("body") or ""
    return UtteranceHit(
        position=int(src["pos"]),
        kind=src.get("kind", ""),
        speaker=src.get("speaker"),
        label=src.get("label"),
        role=src.get("role_shown", ""),
        note=src.get("note", "") or "",
        text=text,
        snippet=snippet(text, matcher),
        start=src.get("start"),
        end=src.get("end"),
        party=src.get("party", ""),
        language=src.get("lang", ""),
        anchor=src.get("anchor", ""),
    )


def _relaxations(
    index: ClusterIndex, gen: ClusterGeneration, req: SearchRequest, query: dict[str, Any],
    dates: dict[str, Any] | None, selections: dict[str, dict[str, Any]],
) -> tuple[list[Relaxation], int]:
    """For an empty result: what removing each filter alone would give (one multi-search),
    as ``search.engine._relaxations`` counts it."""
    scopes: list[tuple[str, list[str], list[dict[str, Any]]]] = []
    for name, values in req.filters().items():
        if name in selections:
            kept = [f for f in (dates, *(v for k, v in selections.items() if k != name)) if f]
            scopes.append((name, list(values), kept))
    for which in ("from", "to"):
        bound = req.date_from if which == "from" else req.date_to
        if bound:
            other = (dataclasses.replace(req, date_from=None) if which == "from"
                     else dataclasses.replace(req, date_to=None))
            kept_dates, _ = _filters(gen, other)
            scopes.append((which, [bound.isoformat()],
                           [f for f in (kept_dates, *selections.values()) if f]))
    scopes.append(("", [], []))  # no filter at all
    lines: list[dict[str, Any]] = []
    for _, _, filters in scopes:
        lines.append({"index": gen.name})
        lines.append({"size": 0, "track_total_hits": True,
                      "query": {"bool": {"must": [query], "filter": filters}},
                      "aggs": transcript_count(gen)})
    answers = call(index, lambda: gen.conn.msearch(
        body=lines, filter_path="-responses.aggregations.tids"))["responses"]
    found = []
    for (name, values, _), a in zip(scopes[:-1], answers[:-1], strict=True):
        total = int(a["hits"]["total"]["value"])
        if total:
            found.append(Relaxation(name, values, total, counted_transcripts(a["aggregations"])))
    found.sort(key=lambda r: -r.total)
    return found, int(answers[-1]["hits"]["total"]["value"])


def get_transcript(index: ClusterIndex, transcript_id: str) -> Transcript | None:
    """A whole transcript, from its documents in the cluster."""
    from opensearchpy import helpers

    gen = index.current()
    page = metas(index, gen, [transcript_id]).get(transcript_id)
    if page is None:
        return None
    meta = dict(page)
    meta.pop("effective_date", None)
    docs = call(index, lambda: list(helpers.scan(
        gen.conn, index=gen.name, size=1000, _source_includes=SHOWN_FIELDS,
        query={"query": {"bool": {"filter": [{"term": {"tid": transcript_id}}],
                                  "must_not": [{"term": {"kind": "page"}}]}}})))
    rows = sorted((d["_source"] for d in docs), key=lambda s: s["pos"])
    utterances = [
        Utterance(position=int(s["pos"]), text=s.get("body") or "", label=s.get("label"),
                  speaker=s.get("speaker"), role=s.get("role_shown", ""),
                  note=s.get("note", "") or "", start=s.get("start"), end=s.get("end"),
                  speaker_id=s.get("speaker_id", ""), party=s.get("party", ""),
                  sex=s.get("sex", ""), anchor=s.get("anchor", ""),
                  language=s.get("lang", ""))
        for s in rows
    ]
    return Transcript(**meta, utterances=utterances)


def matcher_for(index: ClusterIndex, q: str) -> WordMatcher:
    gen = index.current()
    try:
        parsed = parse_request(gen, q)
    except QueryError:
        return WordMatcher()
    return WordMatcher(parsed.stems, parsed.words)


def request_notes(index: ClusterIndex, req: SearchRequest) -> list[ValueNote]:
    gen = index.current()
    return value_notes(gen, canonical_request(gen, req))


__all__ = ["ClusterIndex", "get_transcript", "matcher_for", "request_notes", "search"]
