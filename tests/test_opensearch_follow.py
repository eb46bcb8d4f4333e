"""Feeds and alerts over a real OpenSearch node: the embedded engine's answers, and
first-indexed times that survive updates and full rebuilds on the cluster."""

from __future__ import annotations

import shutil

import feedparser
import pytest
from conftest import SEEDS, cluster_index

from transcripts.index.opensearch.connection import ClusterSettings
from transcripts.index.opensearch.writer import reindex as cluster_reindex
from transcripts.search import alerts
from transcripts.search.backend import generation_stamp, new_passages
from transcripts.search.results import SearchRequest
from transcripts.web import create_app

REQUESTS = [
    SearchRequest(q="sanctions"),
    SearchRequest(q='"oil prices"'),
    SearchRequest(speaker=["Vladimir Putin"]),
    SearchRequest(q="econ*", topic=["Economics and finance"]),
    SearchRequest(),
    SearchRequest(q="zzzqqqxx"),
]


def key(followed) -> tuple:
    return (followed.total, followed.transcripts,
            [(p.transcript_id, p.position, p.first_seen, p.speaker, p.title, p.date, p.kind)
             for p in followed.passages])


@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: r.q or str(r.filters()))
def test_a_feed_lists_the_same_passages_in_the_same_order_on_both_engines(
        seeds_index, seeds_cluster_index, req):
    embedded = new_passages(seeds_index, req, limit=40)
    cluster = new_passages(seeds_cluster_index, req, limit=40)
    assert key(embedded) == key(cluster)


def test_the_feed_over_the_cluster_parses_and_answers_304_when_unchanged(seeds_cluster_index):
    settings = seeds_cluster_index.settings
    client = create_app({"TESTING": True, "WARM_INDEX": False, "BACKEND": "opensearch",
                         "OPENSEARCH_URL": ",".join(settings.hosts),
                         "OPENSEARCH_INDEX": settings.alias}).test_client()
    first = client.get("/feed?q=sanctions")
    assert first.status_code == 200
    parsed = feedparser.parse(first.data)
    assert not parsed.bozo and parsed.entries
    assert all(e.id.startswith("tag:") for e in parsed.entries)
    again = client.get("/feed?q=sanctions", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data


@pytest.fixture
def growing_cluster(opensearch_node, tmp_path):
    """Most of the demo corpus on the cluster, and two held-back pages to add later."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    held = sorted(corpus.glob("6*.txt"))[-2:]
    aside = tmp_path / "aside"
    aside.mkdir()
    for f in held:
        shutil.move(f, aside / f.name)
    index = cluster_index(opensearch_node, f"follow-{tmp_path.name.lower()[-12:]}", [corpus])
    return index, corpus, aside, [f.stem for f in held]


def test_an_update_adds_only_the_new_transcripts_to_the_window_and_keeps_old_times(
        growing_cluster):
    index, corpus, aside, new_ids = growing_cluster
    settings: ClusterSettings = index.settings
    _, before = generation_stamp(index)
    old = new_passages(index, SearchRequest(), limit=5000)
    old_times = {p.transcript_id: p.first_seen for p in old.passages}
    for f in aside.iterdir():
        shutil.copy(f, corpus / f.name)
    cluster_reindex([corpus], settings)  # an update in place
    _, after = generation_stamp(index)
    assert after > before
    window = new_passages(index, SearchRequest(), after=before, limit=5000)
    assert {p.transcript_id for p in window.passages} == set(new_ids)
    assert all(before < p.first_seen <= after for p in window.passages)
    assert window.total == len(window.passages)
    again = new_passages(index, SearchRequest(), limit=5000)
    assert {p.transcript_id: p.first_seen for p in again.passages
            if p.transcript_id in old_times} == old_times
    # A full rebuild keeps every time it had.
    cluster_reindex([corpus], settings, full=True)
    rebuilt = new_passages(index, SearchRequest(), limit=5000)
    assert {p.transcript_id: p.first_seen for p in rebuilt.passages} == {
        p.transcript_id: p.first_seen for p in again.passages}
    assert new_passages(index, SearchRequest(), after=after, limit=10).total == 0


def test_an_alert_on_the_cluster_sends_each_new_passage_once(growing_cluster, tmp_path):
    index, corpus, aside, new_ids = growing_cluster
    sent: list[list[tuple[str, int]]] = []

    def send(alert, url, followed):
        sent.append([(p.transcript_id, p.position) for p in followed.passages])
        return None

    db = tmp_path / "alerts.sqlite"
    with alerts.open_store(db) as conn:
        alerts.add_alert(conn, "all", SearchRequest(), ["json://127.0.0.1:9/hook"],
                         generation_stamp(index)[1])
        assert alerts.run(conn, index, send, {}).deliveries[0].passages == 0
        for f in aside.iterdir():
            shutil.copy(f, corpus / f.name)
        cluster_reindex([corpus], index.settings)
        report = alerts.run(conn, index, send, {})
        assert report.deliveries[0].sent and not report.failed
        assert {tid for tid, _ in sent[0]} == set(new_ids)
        assert len(sent[0]) == len(set(sent[0]))
        assert not alerts.run(conn, index, send, {}).deliveries[0].sent
        assert len(sent) == 1
        rows = conn.execute("SELECT passages FROM deliveries").fetchall()
    assert rows == [(len(sent[0]),)]
