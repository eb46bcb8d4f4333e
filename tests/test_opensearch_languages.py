"""Transcripts in several languages answer alike on a real OpenSearch node and embedded:
each language's stems, the language facet, Cyrillic phrases and prefixes, the
concordance and who said it most."""

from __future__ import annotations

import pytest
from conftest import cluster_index

from tests.test_languages_search import SPEECHES, _jsonl
from tests.test_opensearch_parity import compare
from transcripts.index import language
from transcripts.search import concordance, opensearch_analysis
from transcripts.search.engine import TranscriptIndex
from transcripts.search.results import SearchRequest

QUERIES = [
    "", "Abstimmung", "Häusern", "died", "votes", "zakon", "zákon", "zákona", "президент",
    '"підписав закон"', "закон*", "war OR Krieg", "die", "language:german", "the -war",
]


@pytest.fixture(scope="module")
def both(tmp_path_factory, opensearch_node):
    from transcripts.index.writer import reindex

    root = tmp_path_factory.mktemp("languages-both")
    folder = _jsonl(root / "src", list(SPEECHES)).parent
    reindex([folder], root / "index", full=True)
    return TranscriptIndex(root / "index"), cluster_index(opensearch_node, "languages", [folder])


@pytest.mark.parametrize("q", QUERIES)
def test_a_search_in_several_languages_answers_alike(both, q):
    embedded, cluster = both
    compare(embedded, cluster, SearchRequest(q=q, sort="newest"))
    compare(embedded, cluster, SearchRequest(q=q, language=["German", "Czech"], sort="oldest"))


@pytest.mark.parametrize("q", ["Abstimmung", "закон*", "президент", "died"])
def test_the_concordance_in_several_languages_reads_alike(both, q):
    embedded, cluster = both
    a = concordance.concordance(embedded, SearchRequest(q=q))
    b = opensearch_analysis.concordance(cluster, SearchRequest(q=q))
    assert a.total == b.total
    assert [(x.transcript_id, x.match) for x in a.lines] == [
        (y.transcript_id, y.match) for y in b.lines]


@pytest.fixture(scope="module")
def parliaments_both(tmp_path_factory, opensearch_node):
    from conftest import SHARED_DIR, need

    from transcripts.index.writer import reindex

    folder = need(SHARED_DIR / "formats" / "parlamint-more")
    root = tmp_path_factory.mktemp("parliaments-both")
    reindex([folder], root, full=True)
    return TranscriptIndex(root), cluster_index(opensearch_node, "parliaments", [folder])


@pytest.mark.parametrize("req", [
    SearchRequest(q=""), SearchRequest(q="amendment"), SearchRequest(q="návrh"),
    SearchRequest(q="návrh OR amendment"), SearchRequest(q="", language=["English"]),
])
def test_each_speech_is_counted_once_alike(parliaments_both, req):
    from transcripts.search import opensearch_analysis as osa
    from transcripts.search.speaker_stats import speaker_ranking
    from transcripts.search.trends import trends

    embedded, cluster = parliaments_both
    options = {"min_words": 0, "min_hits": 0, "min_transcripts": 0, "limit": 1000}
    a = speaker_ranking(embedded, req, **options)
    b = osa.speaker_ranking(cluster, req, **options)
    assert a.to_dict() == b.to_dict()
    queries = [req.q, "debt"] if req.q else [""]
    assert trends(embedded, req, queries).to_dict() == osa.trends(cluster, req, queries).to_dict()


def test_an_update_in_place_of_several_languages_equals_a_fresh_build(opensearch_node,
                                                                     tmp_path):
    """A German sitting's words go from the cluster's vocabulary as German stems: after
    it is removed in place, the vocabulary equals a fresh build's of what is left."""
    from test_opensearch_cli import drop_alias, vocabulary

    from transcripts.index.opensearch.connection import ClusterSettings, client
    from transcripts.index.opensearch.writer import reindex

    folder = tmp_path / "src"
    _jsonl(folder / "all", list(SPEECHES))
    _jsonl(folder / "de", ["de"])  # another file: the German sitting once more
    (folder / "de" / "sittings.jsonl").write_text(
        (folder / "de" / "sittings.jsonl").read_text().replace("sitting-de", "sitting-de2"))
    updated, fresh = "languages-in-place", "languages-fresh"
    for alias in (updated, fresh):
        drop_alias(opensearch_node, alias)
    settings = ClusterSettings.from_env(opensearch_node.url, updated, env={})
    reindex([folder], settings)
    (folder / "de" / "sittings.jsonl").unlink()
    report = reindex([folder], settings)
    assert not report.full and report.files_removed == 1
    reindex([folder], ClusterSettings.from_env(opensearch_node.url, fresh, env={}), full=True)
    conn = client(settings)
    words = vocabulary(conn, updated)
    assert words == vocabulary(conn, fresh)
    assert words[("text", language.text_term("abstimmungen", "de"))]["df"] == 2  # 2 turns


@pytest.mark.parametrize("languages", [[], ["German"], ["Czech"], ["Czech", "German"]])
def test_did_you_mean_draws_on_the_languages_ticked_alike(both, languages):
    embedded, cluster = both
    compare(embedded, cluster, SearchRequest(q="abstimung", language=languages))


def test_distinctive_words_are_compared_within_a_language_alike(tmp_path, opensearch_node):
    from tests.test_languages_search import _debates
    from transcripts.index.writer import reindex
    from transcripts.search import opensearch_analysis as osa
    from transcripts.search.speaker_profile import speaker_profile

    for german_as in ("en", "de"):
        folder = _debates(tmp_path / german_as / "src", german_as)
        reindex([folder], tmp_path / german_as / "index", full=True)
        embedded = speaker_profile(TranscriptIndex(tmp_path / german_as / "index"), "Max Huber")
        cluster = osa.speaker_profile(
            cluster_index(opensearch_node, f"debates-{german_as}", [folder]), "Max Huber")
        assert embedded is not None and cluster is not None
        assert embedded.distinctive == cluster.distinctive
        assert ("krieg" in {d.word for d in cluster.distinctive}) == (german_as == "en")
