"""bench/opensearch_cluster.py really starts and stops a node (about 10 s on two cores).

Skipped without the distribution zip (``.ci/run`` fetches it with Maven) or without Java.
The nodes' folders sit under the project's ``instance/`` rather than pytest's ``tmp_path``:
when the suite runs as root the node runs as an unprivileged user, who cannot enter
``tmp_path`` (mode 0700, root's).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request

import pytest

from bench import opensearch_cluster as oc

BASE = oc.PROJECT_DIR / "instance" / "opensearch-cluster-test"  # not the session node's
NAME = "transcripts-test"


def _need_zip_and_java() -> None:
    if oc.zip_path() is None:
        pytest.skip(f"the OpenSearch {oc.VERSION} zip is absent: fetch it with {oc.MVN_GET}")
    if oc.java_home() is None:
        pytest.skip("java is missing: OpenSearch needs a JDK (17 or 21)")


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


@pytest.fixture(scope="module")
def cluster():
    _need_zip_and_java()
    c = oc.start(nodes=1, base_dir=BASE, name=NAME)
    try:
        yield c
    finally:
        c.stop()
        shutil.rmtree(BASE / NAME, ignore_errors=True)  # the data; dist/ is kept for next time


def test_single_node_is_green(cluster):
    health = _get(cluster.url + "/_cluster/health")
    assert (health["status"], health["number_of_nodes"]) == ("green", 1)
    assert health["cluster_name"] == NAME


def test_reports_the_pinned_version(cluster):
    assert _get(cluster.urls[0] + "/")["version"]["number"] == oc.VERSION


def test_stop_ends_the_process(cluster):
    # Last in the module: it stops the module's node (the fixture's stop is then a no-op).
    node = cluster.nodes[0]
    assert node.alive()
    cluster.stop()
    assert not node.alive() and node.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(node.pid, 0)  # nothing is left in its process group
    with pytest.raises(urllib.error.URLError):
        _get(cluster.url + "/")
    assert oc.load(BASE) is None  # the record is gone: a later start need not stop anything


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the nodes to another user")
def test_unreachable_base_dir_is_refused(tmp_path):
    _need_zip_and_java()
    with pytest.raises(oc.ClusterError, match="cannot be traversed"):
        oc.start(base_dir=tmp_path / "os", timeout=5)
