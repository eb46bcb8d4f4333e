"""Shared fixtures: where ../shared is, and one real index of the whole corpus per run.

Tests that need ../shared skip with a reason when it is absent, so the suite still runs
in a bare clone. Every Flask test client of the run checks each API answer against the
OpenAPI contract (``tests/contract.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask

from tests.contract import ContractClient

Flask.test_client_class = ContractClient

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Beside the project, or where TRANSCRIPTS_SHARED says (a git worktree sits elsewhere).
SHARED_DIR = Path(os.environ.get("TRANSCRIPTS_SHARED") or PROJECT_DIR.parent / "shared")
CORPUS_TEXT = SHARED_DIR / "corpus" / "text"
CORPUS_GOLD = SHARED_DIR / "corpus" / "gold"
CORPUS_HTML = SHARED_DIR / "corpus" / "html"
QUERIES = SHARED_DIR / "bench" / "queries.jsonl"
FORMATS = SHARED_DIR / "formats"  # real files of other formats, each with its licence
SEEDS = PROJECT_DIR / "seeds"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: these tests read the shared corpus beside the project")
    return path


@pytest.fixture(scope="session")
def corpus_text() -> Path:
    return need(CORPUS_TEXT)


@pytest.fixture(scope="session")
def corpus_transcripts(corpus_text):
    """Every corpus page parsed, speakers resolved across the corpus as the writer does:
    what the brute-force counts compare the index with (read once per run; read-only)."""
    from transcripts.index.readers import read_file
    from transcripts.index.speakers import learn_names, resolve_speakers

    transcripts = [t for path in sorted(corpus_text.glob("*.txt")) for t in read_file(path)]
    names: set[str] = set()
    for t in transcripts:
        names |= learn_names(t)
    for t in transcripts:
        resolve_speakers(t, names)
    return transcripts


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, corpus_text):
    """The whole 5,785-page corpus indexed once (about half a minute on two cores)."""
    from transcripts.index.writer import reindex
    from transcripts.search.engine import TranscriptIndex

    root = tmp_path_factory.mktemp("corpus-index")
    report = reindex([corpus_text], root, full=True, procs=2)
    assert report.transcripts_total == len(list(corpus_text.glob("*.txt")))
    return TranscriptIndex(root)


# -- OpenSearch: one real node for the session, started on first use ---------------------
# Reachable by the nodes' user; another folder for a second test run at the same time.
OPENSEARCH_BASE = Path(os.environ.get("TRANSCRIPTS_OPENSEARCH_TEST_DIR")
                       or PROJECT_DIR / "instance" / "opensearch-tests")


@pytest.fixture(scope="session")
def opensearch_node():
    """One OpenSearch node on loopback (the official distribution from Maven Central,
    run as an unprivileged user when the tests run as root): about 10-20 s to start."""
    from bench import opensearch_cluster as oc

    if oc.zip_path() is None:
        pytest.skip(f"the OpenSearch {oc.VERSION} zip is absent: {oc.MVN_GET}")
    if oc.java_home() is None:
        pytest.skip("no Java to run OpenSearch with")
    cluster = oc.start(nodes=1, base_dir=OPENSEARCH_BASE, heap_mb=512, name="session")
    try:
        yield cluster
    finally:
        cluster.stop()


def cluster_index(node, alias: str, paths: list[Path]):
    """``paths`` indexed into ``alias`` on the node (a full build), and its ClusterIndex."""
    from transcripts.index.opensearch.connection import ClusterSettings
    from transcripts.index.opensearch.writer import reindex
    from transcripts.search.opensearch_engine import ClusterIndex

    settings = ClusterSettings.from_env(node.url, alias, env={})
    report = reindex(paths, settings, full=True)
    assert not [s for s in report.skipped if "was not indexed" in s.reason]
    return ClusterIndex(settings)


@pytest.fixture(scope="session")
def seeds_cluster_index(opensearch_node):
    return cluster_index(opensearch_node, "seeds", [SEEDS])


@pytest.fixture(scope="session")
def corpus_cluster_index(opensearch_node, corpus_text):
    return cluster_index(opensearch_node, "corpus", [corpus_text])


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory):
    """The demo corpus in an embedded index (once per run; read-only)."""
    from transcripts.index.writer import reindex
    from transcripts.search.engine import TranscriptIndex

    root = tmp_path_factory.mktemp("seeds-index")
    reindex([SEEDS], root, full=True)
    return TranscriptIndex(root)
