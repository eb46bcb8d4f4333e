"""The OpenSearch peer of ``python -m bench`` is optional: left out on request, skipped
with its reason where it cannot run. (Its figures and totals: tests/test_bench.py.)"""

from __future__ import annotations

import io

from rich.console import Console

from bench import __main__ as bench_main
from bench import opensearch_cluster, opensearch_peer


def _node(argv: list[str]):
    out = io.StringIO()
    node, reason = bench_main.opensearch_peer_node(bench_main.parse_args(argv),
                                                   Console(file=out, width=200))
    return node, reason, out.getvalue()


def test_left_out_on_request():
    for flag in ("--no-opensearch", "--no-peers"):
        node, reason, _ = _node([flag])
        assert node is None and "left out" in reason


def test_skipped_with_its_reason_without_the_zip(monkeypatch):
    monkeypatch.setattr(opensearch_cluster, "zip_path", lambda: None)
    node, reason, printed = _node(["--quick"])
    assert node is None
    assert "zip is absent" in reason and opensearch_cluster.MVN_GET in reason
    assert "OpenSearch peer skipped" in printed


def test_skipped_with_its_reason_without_java(monkeypatch, tmp_path):
    monkeypatch.setattr(opensearch_cluster, "zip_path", lambda: tmp_path / "os.zip")
    monkeypatch.setattr(opensearch_cluster, "java_home", lambda: None)
    node, reason, printed = _node([])
    assert node is None and "no Java" in reason and "OpenSearch peer skipped" in printed


def test_a_given_cluster_needs_neither_zip_nor_java(monkeypatch):
    monkeypatch.setattr(opensearch_cluster, "zip_path", lambda: None)
    monkeypatch.setattr(opensearch_cluster, "java_home", lambda: None)
    node, reason, _ = _node(["--opensearch-url", "http://127.0.0.1:1", "--opensearch-warmup",
                             "2", "--scales", "1,2", "--opensearch-scales", "1"])
    if opensearch_peer.unavailable(need_node=False):  # no client installed
        assert node is None
        return
    assert reason == "" and node.url() == "http://127.0.0.1:1"  # never started
    assert node.warm_passes == 2 and node.cluster is None
    node.close()  # nothing to stop


def test_opensearch_scales_must_meet_the_scales():
    node, reason, _ = _node(["--scales", "1", "--opensearch-scales", "2"])
    assert node is None and "names none of --scales" in reason
