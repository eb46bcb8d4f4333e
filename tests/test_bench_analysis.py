"""``python -m bench.analysis`` measures every view and agrees with its SQLite peer."""

from __future__ import annotations

from pathlib import Path

from web_fixtures import web_index_dir  # noqa: F401  # the shared session fixture

from bench.analysis import run


def test_bench_analysis_times_every_view_and_the_peer_agrees(web_index_dir: Path):  # noqa: F811
    result = run(web_index_dir, runs=2)
    assert result["word"] == "the"
    assert result["sqlite_agrees"] is True
    assert len(result["ours"]) == 11 and set(result["sqlite"]) <= set(result["ours"])
    for timing in result["ours"].values():
        assert timing["n"] == 2 and 0 < timing["p50"] <= timing["max"]
