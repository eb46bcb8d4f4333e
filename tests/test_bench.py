"""The benchmark machinery, end to end on a tiny sample of the development corpus.

Runs ``python -m bench --quick`` on 40 files with 2 runs (about 20 s) and checks the
JSON it writes. Skipped where ``../shared`` (corpus and workload) is absent, or where
the benchmark extra (tantivy, psutil, matplotlib) is not installed. Where OpenSearch can
run, the run includes the OpenSearch peer on the session's node (``opensearch_node``,
passed as ``--opensearch-url``), whose totals must equal ours on every query.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
CORPUS = SHARED / "corpus" / "text"
QUERIES = SHARED / "bench" / "queries.jsonl"

# FTS5 stems with Porter, we with Snowball, and FTS5 folds diacritics: single words can
# legitimately match a little differently. On the whole corpus every one-word query of
# the workload agrees exactly, so a small allowance (2 documents or 5 %) still catches
# a broken translation or a lost filter, which are off by far more.
TOLERANCE_ABS, TOLERANCE_REL = 2, 0.05

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir() or not QUERIES.is_file(),
                       reason=f"no development corpus/workload at {SHARED} (../shared)"),
]


def _opensearch_args(request) -> list[str]:
    """The session's node for the OpenSearch peer, or the peer left out where none can run."""
    from bench import opensearch_peer

    if opensearch_peer.unavailable() is not None:
        return ["--no-opensearch"]
    node = request.getfixturevalue("opensearch_node")
    return ["--opensearch-url", node.url, "--opensearch-warmup", "1"]


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory, request) -> dict:
    for module in ("tantivy", "psutil", "matplotlib"):
        pytest.importorskip(module, reason=f"the benchmark extra is not installed ({module})")
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--files", "40", "--runs", "2",
         "--scales", "1", "--site-runs", "1", "--out", str(out), *_opensearch_args(request)],
        cwd=PROJECT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "latency_vs_size.png").stat().st_size > 0
    return json.loads((out / "bench.json").read_text())


def test_json_has_every_figure(bench_json):
    data = bench_json
    assert {"machine", "config", "scales", "legend", "paths"} <= data.keys()
    assert {"cpu", "cores", "ram_gb", "python"} <= data["machine"].keys()
    scale = data["scales"][0]
    assert scale["scale"] == 1 and scale["files"] == 40
    assert {"ours", "fts5", "tantivy"} <= scale["engines"].keys()
    ours = scale["engines"]["ours"]
    assert {"seconds", "utterances_per_s", "text_mb_per_s", "index_mb",
            "peak_tree_rss_mb"} <= ours["build"].keys()
    assert ours["incremental"]["files_read"] == 1
    assert ours["cold_ms"] > 0
    for name in ("ours", "fts5", "tantivy"):
        engine = scale["engines"][name]
        assert engine["overall"]["p50"] is not None
        assert len(engine["queries"]) == data["config"]["n_queries"]
        assert not [q for q in engine["queries"] if q["error"]], name
    assert scale["site"]["rss_mb"] > 0
    assert len(scale["agreement"]) == data["config"]["n_queries"]


def test_opensearch_peer_totals_equal_ours(bench_json):
    """Our OpenSearch backend, built by its writer and searched through its engine, finds
    exactly what ours finds: every total and transcript total of the workload."""
    scale = bench_json["scales"][0]
    if "opensearch" not in scale["engines"]:
        pytest.skip(f"OpenSearch not measured: {bench_json['config']['opensearch']}")
    engine = scale["engines"]["opensearch"]
    assert {"seconds", "read_seconds", "bulk_seconds", "index_bytes", "index_mb",
            "segments"} <= engine["build"].keys()
    assert engine["build"]["index_parts"]["main"] > 0
    assert engine["build"]["utterances_indexed"] == scale["utterances"]
    assert engine["cold_ms"] > 0 and engine["overall"]["p50"] > 0
    assert engine["forcemerged"]["index_bytes"] > 0
    assert engine["warmup"]["passes"] == 1 and engine["anatomy"]["requests_per_page"] >= 1
    assert not [q for q in engine["queries"] if q["error"]]
    differ = [r for r in scale["agreement"]
              if r["opensearch_diff"] != 0 or r["opensearch_transcripts"] != r["ours_transcripts"]]
    assert not differ


def test_one_word_totals_agree_with_fts5(bench_json):
    rows = [r for r in bench_json["scales"][0]["agreement"] if r["class"] == "term"]
    assert rows, "the workload has one-word queries"
    for r in rows:
        allowed = max(TOLERANCE_ABS, TOLERANCE_REL * r["ours"])
        assert abs(r["fts5_diff"]) <= allowed, r
        assert abs(r["tantivy_diff"]) <= allowed, r
