"""The same answers from both backends, over a real OpenSearch node.

For every query of the benchmark workload, the query syntax, filters, facet-only and
empty searches: total passages, total transcripts, every facet's counts (each facet
under every filter but its own), "did you mean", notes about capped prefixes, value
notes and the empty-state chips are equal on the embedded index and on OpenSearch.
With a date sort the pages are equal too, transcript for transcript: the same matched
counts, the same turns shown, the same snippets marked. A relevance sort may order the
transcripts differently (the embedded engine ranks with evidence across a transcript
and proximity, OpenSearch with BM25 of the best passage): there the rule checked is that
both find the same set of transcripts, page after page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
from conftest import QUERIES, need

from transcripts.search import (
    concordance,
    engine,
    export,
    opensearch_analysis,
    opensearch_engine,
    opensearch_export,
)
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest, SearchResult
from transcripts.search.speaker_profile import speaker_profile
from transcripts.search.speaker_stats import speaker_ranking
from transcripts.search.trends import trends

SYNTAX = [
    "", "*", "russia", "Russia's", "oil prices", '"trade and economic"', '"oil prices"~3',
    '"economic cooperation"~2', "econ*", "econ?my", "ukrain*", "a*", "sanction* -russia",
    "gas OR oil", "(gas OR oil) AND europe", "NOT russia", "russia -ukraine -gas",
    "speaker:putin", "speaker:\"vladimir putin\"", "who:lavrov", "title:economy",
    "role:president", "person:merkel", "geography:germany", "topic:economy",
    "source:kremlin", "Erdogan", "Erdoğan", "café", "sancions", "Erdgan", "putn russa",
    "zzzqqq", "the", "2020", "covid-19", "O'Neill",
    "un* OR re* OR de* OR co* OR pr* OR in*",  # 1,200 words: past OpenSearch's 1,024 clauses
    "speaker:a* OR speaker:s*", '"the the the"', "((russia))", "russia AND NOT (gas OR oil)",
]
ERRORS = ['"unbalanced', "(open", "nosuchfield:word", "a* b* c* d* e* f* g* h* i*"]


def requests_for(queries: list[str]) -> list[SearchRequest]:
    reqs = [SearchRequest(q=q) for q in queries]
    reqs += [SearchRequest(q=q, sort="newest") for q in queries[:12]]
    return reqs


FILTERED = [
    SearchRequest(q="russia", speaker=["Vladimir Putin"]),
    SearchRequest(q="", geography=["Germany"], sort="newest"),
    SearchRequest(q="economy", date_from=dt.date(2020, 1, 1)),
    SearchRequest(q="economy", date_to=dt.date(2019, 12, 31), sort="oldest"),
    SearchRequest(q="", date_from=dt.date(2020, 3, 1), date_to=dt.date(2020, 3, 31)),
    SearchRequest(q="", speaker=["Vladimir Putin", "Dmitry Peskov"]),
    SearchRequest(q="gas", geography=["Germany", "Turkey"], topic=["Foreign policy"]),
    SearchRequest(q="", person=["Angela Merkel"]),  # as shown: the stored tag is reversed
    SearchRequest(q="", speaker=["vladimir putin"]),  # other capitals
    SearchRequest(q="", speaker=["Putin"]),  # a value nobody has: a note with the nearest
    SearchRequest(q="sanctions", speaker=["Nobody At All"]),
    SearchRequest(q="oil", speaker=["Dmitry Peskov"], date_from=dt.date(2030, 1, 1)),
    SearchRequest(q="coronavirus", topic=["Sport"]),
    SearchRequest(q="", page=2, sort="newest"),
    SearchRequest(q="russia", page=3, sort="oldest"),
    SearchRequest(q="", per_page=100, sort="oldest"),
]


def facets(result: SearchResult) -> dict:
    return {k: [(f.value, f.count, f.selected, f.label) for f in v]
            for k, v in result.facets.items()}


def answers(index, module, req: SearchRequest):
    try:
        return module.search(index, req)
    except QueryError as exc:
        return exc


def compare(embedded_index, cluster_index, req: SearchRequest) -> None:
    a = answers(embedded_index, engine, req)
    b = answers(cluster_index, opensearch_engine, req)
    what = f"{req}"
    if isinstance(a, QueryError) or isinstance(b, QueryError):
        assert str(a) == str(b), what
        return
    assert (a.total, a.total_transcripts, a.pages) == (b.total, b.total_transcripts, b.pages), what
    assert facets(a) == facets(b), what
    assert a.suggestion == b.suggestion, what
    assert a.notes == b.notes, what
    assert a.value_notes == b.value_notes, what
    assert a.relax == b.relax and a.total_without_filters == b.total_without_filters, what
    assert a.request == b.request, what
    if req.sort != "relevance" or not req.q.strip("* "):
        assert [dataclasses.asdict(t) for t in a.transcripts] == [
            dataclasses.asdict(t) for t in b.transcripts
        ], what
    else:
        assert len(a.transcripts) == len(b.transcripts), what


def all_transcripts(index, module, req: SearchRequest) -> set[str]:
    found: set[str] = set()
    for page in range(1, 1000):
        result = module.search(index, dataclasses.replace(req, page=page, per_page=100))
        found |= {t.id for t in result.transcripts}
        if page >= result.pages:
            return found
    raise AssertionError("too many pages")


# -- the demo corpus ------------------------------------------------------------------------
@pytest.mark.parametrize("req", requests_for(SYNTAX) + FILTERED, ids=repr)
def test_demo_corpus_answers_alike(seeds_index, seeds_cluster_index, req):
    compare(seeds_index, seeds_cluster_index, req)


@pytest.mark.parametrize("q", ERRORS)
def test_a_query_refused_is_refused_alike(seeds_index, seeds_cluster_index, q):
    with pytest.raises(QueryError) as embedded:
        engine.search(seeds_index, SearchRequest(q=q))
    with pytest.raises(QueryError) as cluster:
        opensearch_engine.search(seeds_cluster_index, SearchRequest(q=q))
    assert str(embedded.value) == str(cluster.value)


@pytest.mark.parametrize("q", ["russia", "oil prices", "econ*", '"national projects"'])
def test_a_relevance_sort_finds_the_same_transcripts_page_after_page(
    seeds_index, seeds_cluster_index, q
):
    req = SearchRequest(q=q)
    assert all_transcripts(seeds_index, engine, req) == all_transcripts(
        seeds_cluster_index, opensearch_engine, req
    )


def test_a_prefix_past_the_cap_is_capped_to_the_same_words(seeds_index, seeds_cluster_index):
    """The embedded engine searches the 200 most common words of a long prefix; the
    cluster's vocabulary index gives the same 200, so the same documents match."""
    a = engine.search(seeds_index, SearchRequest(q="a*"))
    b = opensearch_engine.search(seeds_cluster_index, SearchRequest(q="a*"))
    assert a.notes and "searched for the 200 most common" in a.notes[0]
    assert (a.total, a.notes) == (b.total, b.notes)


def test_a_whole_transcript_reads_back_alike(seeds_index, seeds_cluster_index):
    some = engine.search(seeds_index, SearchRequest(q="", sort="newest", per_page=5))
    for hit in some.transcripts:
        a = engine.get_transcript(seeds_index, hit.id)
        b = opensearch_engine.get_transcript(seeds_cluster_index, hit.id)
        assert a == b
    assert opensearch_engine.get_transcript(seeds_cluster_index, "no-such-id") is None


# -- the development corpus and the benchmark workload --------------------------------------
def workload() -> list[SearchRequest]:
    from bench.workload import load

    return [w.request() for w in load(need(QUERIES))]


@pytest.mark.corpus
def test_development_corpus_answers_alike_for_the_whole_workload(
    corpus_index, corpus_cluster_index
):
    reqs = workload()
    reqs += [dataclasses.replace(r, sort="newest") for r in reqs if r.sort == "relevance"]
    reqs += [SearchRequest(q=q) for q in SYNTAX]
    for req in reqs:
        compare(corpus_index, corpus_cluster_index, req)


def test_workload_queries_are_read_from_the_shared_file():
    lines = need(QUERIES).read_text().splitlines()
    assert len(workload()) == len(lines) == len([json.loads(x) for x in lines])


@pytest.mark.parametrize("req,sort,limit", [
    (SearchRequest(q="russia"), "oldest", 100_000),
    (SearchRequest(q=""), "newest", 100_000),
    (SearchRequest(q="oil", speaker=["Vladimir Putin"]), "oldest", 5),
    (SearchRequest(q='"national projects"', date_from=dt.date(2020, 1, 1)), "newest", 50),
], ids=repr)
def test_an_export_is_the_same_file(seeds_index, seeds_cluster_index, req, sort, limit):
    """Streamed from the cluster through a point in time, batch after batch: the same
    rows in the same order, the same note when the limit cuts it."""
    a = export.plan_export(seeds_index, req, sort, limit)
    b = opensearch_export.plan_export(seeds_cluster_index, req, sort, limit)
    assert (a.total, a.rows, a.truncated) == (b.total, b.rows, b.truncated)
    for fmt in export.FORMATS:
        assert "".join(export.export_chunks(a, fmt)) == "".join(export.export_chunks(b, fmt))


def test_an_export_in_relevance_order_has_the_same_rows(seeds_index, seeds_cluster_index):
    req = SearchRequest(q="gas OR oil")
    a = export.plan_export(seeds_index, req, "relevance", 100_000)
    b = opensearch_export.plan_export(seeds_cluster_index, req, "relevance", 100_000)
    rows = sorted(a.export_rows(), key=lambda r: (r.transcript_id, r.position))
    assert rows == sorted(b.export_rows(), key=lambda r: (r.transcript_id, r.position))


TRENDS = [
    (SearchRequest(), ["russia", "oil prices", '"national projects"', "econ*"], None),
    (SearchRequest(speaker=["Vladimir Putin"]), ["sanctions", "gas OR oil"], "year"),
    (SearchRequest(date_from=dt.date(2020, 3, 1), date_to=dt.date(2020, 6, 30)),
     ["coronavirus", '"oil prices"~3'], None),
    (SearchRequest(), [""], "month"),
    (SearchRequest(geography=["Germany"]), ["speaker:putin", "title:economy", "gas -oil"], None),
    (SearchRequest(date_from=dt.date(2031, 1, 1)), ["russia"], None),
]


@pytest.mark.parametrize("req,queries,bucket", TRENDS, ids=repr)
def test_over_time_counts_alike(seeds_index, seeds_cluster_index, req, queries, bucket):
    """Words and transcripts from aggregations, hits counted from the matching texts:
    every bucket's figures are the embedded engine's."""
    a = trends(seeds_index, req, queries, bucket)
    b = opensearch_analysis.trends(seeds_cluster_index, req, queries, bucket)
    assert a.to_dict() == b.to_dict()


@pytest.mark.corpus
def test_over_time_counts_alike_on_the_development_corpus(corpus_index, corpus_cluster_index):
    for req, queries, bucket in TRENDS[:3]:
        a = trends(corpus_index, req, queries, bucket)
        b = opensearch_analysis.trends(corpus_cluster_index, req, queries, bucket)
        assert a.to_dict() == b.to_dict()


RANKINGS = [
    (SearchRequest(q="russia"), {}),
    (SearchRequest(q=""), {}),
    (SearchRequest(q="oil OR gas"), dict(sort="hits", min_words=0, min_hits=0,
                                         min_transcripts=0, limit=1000)),
    (SearchRequest(q="sanctions", geography=["Germany"]), dict(min_words=100)),
    (SearchRequest(q='"national projects"'), dict(sort="name", min_words=0)),
    (SearchRequest(q="speaker:putin"), dict(min_words=0)),
]


@pytest.mark.parametrize("req,options", RANKINGS, ids=repr)
def test_who_said_it_most_ranks_alike(seeds_index, seeds_cluster_index, req, options):
    a = speaker_ranking(seeds_index, req, **options)
    b = opensearch_analysis.speaker_ranking(seeds_cluster_index, req, **options)
    assert a.to_dict() == b.to_dict()


@pytest.mark.corpus
def test_who_said_it_most_ranks_alike_on_the_development_corpus(corpus_index,
                                                                corpus_cluster_index):
    for req, options in RANKINGS[:4]:
        a = speaker_ranking(corpus_index, req, **options)
        b = opensearch_analysis.speaker_ranking(corpus_cluster_index, req, **options)
        assert a.to_dict() == b.to_dict()


SPEAKERS = ["Vladimir Putin", "Dmitry Peskov", "Merkel Angela", "Angela Merkel",
            "Sergei Lavrov", "Nobody At All"]


@pytest.mark.parametrize("name", SPEAKERS)
def test_a_speakers_page_reads_alike(seeds_index, seeds_cluster_index, name):
    """Turns, words, dates, roles, words by year, distinctive words (their own counts from
    their turns, everyone else's from the vocabulary index), tags, mentions."""
    a = speaker_profile(seeds_index, name)
    b = opensearch_analysis.speaker_profile(seeds_cluster_index, name)
    assert (a and a.to_dict()) == (b and b.to_dict())


@pytest.mark.corpus
def test_speakers_pages_read_alike_on_the_development_corpus(corpus_index,
                                                            corpus_cluster_index):
    for name in SPEAKERS[:3]:
        a = speaker_profile(corpus_index, name).to_dict()
        b = opensearch_analysis.speaker_profile(corpus_cluster_index, name).to_dict()
        assert a == b


KWIC = [("russia", "oldest"), ("oil prices", "newest"), ('"Security Council"', "left1"),
        ("econ*", "right1"), ('council OR "security council"', "match"), ("gas -oil", "right2"),
        ('"oil prices"~3', "left2"), ("zzzq*", "oldest"), ("speaker:putin", "oldest"),
        ("", "oldest")]


@pytest.mark.parametrize("q,sort", KWIC)
def test_the_concordance_reads_alike(seeds_index, seeds_cluster_index, q, sort):
    """Every hit found in the texts with the embedded rules: the same lines, in the same
    order (by date or by the words around them), the same totals and refusals."""
    req = SearchRequest(q=q)
    try:
        a = concordance.concordance(seeds_index, req, sort, 1, 1000, 40)
    except QueryError as exc:
        with pytest.raises(QueryError, match=re.escape(str(exc))):
            opensearch_analysis.concordance(seeds_cluster_index, req, sort, 1, 1000, 40)
        return
    b = opensearch_analysis.concordance(seeds_cluster_index, req, sort, 1, 1000, 40)
    assert dataclasses.asdict(a) == dataclasses.asdict(b)


@pytest.mark.corpus
def test_the_concordance_reads_alike_on_the_development_corpus(corpus_index,
                                                               corpus_cluster_index):
    for q, sort in KWIC[:4]:
        req = SearchRequest(q=q)
        a = concordance.concordance(corpus_index, req, sort, 2, 100, 60)
        b = opensearch_analysis.concordance(corpus_cluster_index, req, sort, 2, 100, 60)
        assert dataclasses.asdict(a) == dataclasses.asdict(b)


@pytest.mark.corpus
def test_hostile_requests_get_the_same_answer(corpus_index, corpus_cluster_index):
    """Every request of tests/test_hostile_queries.py: the same result or the same message."""
    from test_hostile_queries import HOSTILE

    for fields, _ in HOSTILE.values():
        compare(corpus_index, corpus_cluster_index, SearchRequest(**fields))


def test_transcripts_are_counted_exactly_up_to_what_a_search_may_bucket():
    from types import SimpleNamespace

    small = opensearch_engine.transcript_count(SimpleNamespace(transcripts=46_280))
    big = opensearch_engine.transcript_count(
        SimpleNamespace(transcripts=opensearch_engine.EXACT_TRANSCRIPTS + 1))
    assert small["tids"]["terms"]["size"] == 46_280 and "stats_bucket" in small["n"]
    assert "cardinality" in big["n"]
    assert opensearch_engine.counted_transcripts({"n": {"count": 3307}}) == 3307
    assert opensearch_engine.counted_transcripts({"n": {"value": 3306}}) == 3306


def test_the_cluster_scores_utterances_with_the_embedded_bm25():
    from transcripts.index.opensearch.mapping import BM25
    from transcripts.search.ranking import PARAMS

    assert {"k1": PARAMS.k1, "b": PARAMS.b} == BM25
