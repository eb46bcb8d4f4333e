"""Transcripts in several languages answer alike on a real OpenSearch node and embedded:
each language's stems, the language facet, Cyrillic phrases and prefixes, the
concordance and who said it most."""

from __future__ import annotations

import pytest
from conftest import cluster_index

from tests.test_languages_search import SPEECHES, _jsonl
from tests.test_opensearch_parity import compare
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
