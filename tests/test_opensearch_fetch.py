"""``transcripts fetch --backend opensearch``: the fetched pages go into the cluster.

A real subprocess fetches part of the loopback replay of the site and updates the
OpenSearch index; the searches then agree with an embedded index of the same folder,
and a second fetch with nothing new leaves the index as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fetch_fixtures import need_site, no_proxy  # noqa: F401  # no_proxy is an autouse fixture

from bench.replay_site import ReplaySite
from transcripts.index.writer import reindex
from transcripts.search import engine, opensearch_engine
from transcripts.search.engine import TranscriptIndex
from transcripts.search.results import SearchRequest

PROJECT = Path(__file__).resolve().parents[1]


def cli(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(PYTHONPATH=str(PROJECT), COLUMNS="200", TRANSCRIPTS_BACKEND="opensearch",
               TRANSCRIPTS_OPENSEARCH_URL=url, TRANSCRIPTS_OPENSEARCH_INDEX="fetched")
    return subprocess.run([sys.executable, "-m", "transcripts", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_fetch_updates_the_opensearch_index(opensearch_node, tmp_path):
    corpus = tmp_path / "corpus"
    with ReplaySite(need_site()) as site:
        first = cli("fetch", "--base-url", site.url, "--to", str(corpus), "--pages", "2",
                    "--delay", "0", url=opensearch_node.url)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Full rebuild of OpenSearch index 'fetched'" in first.stdout
        again = cli("fetch", "--base-url", site.url, "--to", str(corpus), "--delay", "0",
                    url=opensearch_node.url)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "OpenSearch index" not in again.stdout  # nothing new: no reindex
    assert "Traceback" not in first.stderr + again.stderr
    embedded = TranscriptIndex(tmp_path / "ix")
    reindex([corpus], embedded.root, full=True)
    from transcripts.index.opensearch.connection import ClusterSettings

    cluster = opensearch_engine.ClusterIndex(
        ClusterSettings.from_env(opensearch_node.url, "fetched", env={}))
    for q in ["", "russia", "president", '"the russian federation"']:
        a = engine.search(embedded, SearchRequest(q=q))
        b = opensearch_engine.search(cluster, SearchRequest(q=q))
        assert (a.total, a.total_transcripts) == (b.total, b.total_transcripts) and a.total
    found = cli("search", "--json", "president", url=opensearch_node.url)
    assert json.loads(found.stdout)["total"] == engine.search(
        embedded, SearchRequest(q="president")).total
