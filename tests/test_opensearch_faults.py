"""Faults on a real three-node OpenSearch cluster: a data node killed with SIGKILL in the
middle of a build while searches run, and a `transcripts reindex` killed in the middle of
its build.

The module starts its own three nodes (``bench.opensearch_cluster``, 384 MB of heap each)
under ``instance/opensearch-faults``: as root the nodes run as an unprivileged user, who
cannot enter pytest's ``tmp_path``. About 20 s to start on two cores; the node-loss test
takes two to three minutes, one of them the cluster's own wait for a lost primary before
it answers 503 (the case the writer must survive without losing documents), the
killed-reindex test about half a minute.

Nothing is timed to happen: the node is killed from the build's own progress callback
(between two bulk chunks, about a third of the way), kept down until the cluster has answered
a bulk request for its shard with 503 (seen in the tasks API) and until searches have
run without it; the killed reindex is provably stuck (its index's shards can go to no
node) when it is killed. Time limits are only there to fail instead of hanging.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, SEEDS

from bench import opensearch_cluster as oc
from transcripts.index.opensearch.connection import ClusterSettings, client
from transcripts.index.opensearch.writer import lock_index, reindex, vocabulary_alias
from transcripts.index.readers import read_file
from transcripts.search import engine, opensearch_engine
from transcripts.search.opensearch_engine import ClusterIndex
from transcripts.search.results import SearchRequest, SearchResult

BASE = PROJECT_DIR / "instance" / "opensearch-faults"  # reachable by the nodes' user
NAME = "faults"
KILL_AT = 200  # transcripts sent to the build (of 617) when the node is killed
REQUESTS = [
    SearchRequest(q="russia"),
    SearchRequest(q="oil prices"),
    SearchRequest(q="econ*"),
    SearchRequest(q=""),
    SearchRequest(q="gas", geography=["Germany"], sort="newest"),
]


@pytest.fixture(scope="module")
def cluster():
    if oc.zip_path() is None:
        pytest.skip(f"the OpenSearch {oc.VERSION} zip is absent: {oc.MVN_GET}")
    if oc.java_home() is None:
        pytest.skip("no Java to run OpenSearch with")
    oc.stop_all(BASE)  # nodes an interrupted run of this module left running
    c = oc.start(nodes=3, base_dir=BASE, heap_mb=384, name=NAME, timeout=240)
    try:
        yield c
    finally:
        c.stop()
        shutil.rmtree(BASE / NAME, ignore_errors=True)  # the data; dist/ is kept


@pytest.fixture(scope="module")
def expected(seeds_index):
    """What the embedded engine answers on the demo corpus: every search must agree."""
    return [summary(engine.search(seeds_index, r)) for r in REQUESTS]


def summary(result: SearchResult) -> tuple:
    """Totals and every facet's counts: a search that lost a shard copy shows in them."""
    facets = {k: [(v.value, v.count) for v in values] for k, values in result.facets.items()}
    return result.total, result.total_transcripts, facets


def source_documents(folder: Path) -> int:
    """Documents the files make, counted from the files: a page per transcript and one
    per utterance."""
    return sum(1 + len(t.utterances) for p in sorted(folder.glob("*.txt")) for t in read_file(p))


def admin_client(cluster, alias: str):
    """A client of the test's own over all three nodes (long timeout: health waits)."""
    return client(ClusterSettings.from_env(cluster.url, alias, env={}), timeout=300)


def wait_green(conn) -> dict:
    # In the path: the client reads a ``timeout`` parameter as its own request timeout.
    health = conn.transport.perform_request(
        "GET", "/_cluster/health?wait_for_status=green&wait_for_nodes=3&timeout=240s"
    )
    assert (health["status"], health["number_of_nodes"], health["timed_out"]) == (
        "green", 3, False), health
    return health


def alias_targets(conn, alias: str) -> list[str]:
    return sorted(conn.indices.get_alias(name=alias))


def our_indices(conn, alias: str) -> set[str]:
    return set(conn.indices.get(index=f"{alias}-g*", expand_wildcards="all"))


def check_searches(settings: ClusterSettings, expected: list) -> None:
    index = ClusterIndex(settings)
    for req, want in zip(REQUESTS, expected, strict=True):
        assert summary(opensearch_engine.search(index, req)) == want, req


class Searches:
    """Searches running in threads while the test breaks things, each thread with its own
    client over the three nodes (as separate site processes would have): every answer
    must come, and must be the embedded engine's."""

    def __init__(self, settings: ClusterSettings, expected: list, threads: int = 2):
        self.settings, self.expected = settings, expected
        self.failures: list[str] = []
        self.done = 0
        self.generations: list[set[str]] = [set() for _ in range(threads)]
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                         for i in range(threads)]
        self._started = time.monotonic()

    def __enter__(self) -> Searches:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in self._threads), "a search hangs"

    def _run(self, i: int) -> None:
        index = ClusterIndex(self.settings)
        while not self._stop.is_set():
            for req, want in zip(REQUESTS, self.expected, strict=True):
                failure = None
                try:
                    name = index.current().name
                    got = summary(opensearch_engine.search(index, req))
                    if got != want:
                        failure = f"{req.q!r} on {name}: {got[:2]}, not {want[:2]} (or facets)"
                except Exception as exc:
                    failure = f"{req.q!r}: {type(exc).__name__}: {exc}"
                with self._cond:
                    self.done += 1
                    if failure:
                        at = time.monotonic() - self._started
                        self.failures.append(f"at {at:.1f} s: {failure}")
                    else:
                        self.generations[i].add(name)
                    self._cond.notify_all()

    def wait(self, what: str, ready, timeout: float = 300) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: ready(self), timeout), f"no {what}"

    def wait_for_more(self, n: int) -> None:
        with self._cond:
            target = self.done + n
        self.wait(f"{n} more searches", lambda s: s.done >= target)


def wait_for_answer_unavailable(conn, index: str, node, timeout: float = 300) -> None:
    """Until the cluster has answered a bulk request for ``index`` with 503 for the shard
    whose only copy was on the killed ``node``: a shard bulk task seen waiting for that
    primary has ended while the node is still down. It can end no other way (the shard
    has no other copy to promote): the cluster's one-minute wait ran out."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while True:
        assert not node.alive()
        tasks = conn.tasks.list(actions="indices:data/write/bulk[s]", detailed=True)
        waiting = {
            tid
            for n in tasks["nodes"].values()
            for tid, t in n["tasks"].items()
            if f"index[{index}][" in t.get("description", "")
            and (t.get("status") or {}).get("phase") == "waiting_for_retry"
        }
        if seen - waiting:
            return
        seen |= waiting
        assert time.monotonic() < deadline, f"no bulk request for {index} ended in {timeout} s"
        time.sleep(0.5)


def test_a_data_node_killed_mid_build_loses_no_search_and_no_document(cluster, expected):
    """Three nodes, every live shard with a replica (two shard copies on each node): the
    elected cluster manager is killed with SIGKILL between two bulk chunks of a full
    rebuild (the new index has no replicas yet: one of its three primaries is gone) while
    two threads search. Every search answers, and answers right, before, during and
    after, across the alias move; the build waits for the node (its bulk answered 503
    after the cluster's one-minute wait, and sent again) and loses nothing; the cluster
    is green again with every copy of every shard holding the same documents."""
    alias = "nodeloss"
    settings = ClusterSettings.from_env(cluster.url, alias, env={})
    admin = admin_client(cluster, alias)
    first = reindex([SEEDS], settings, full=True, shards=3)
    wait_green(admin)
    check_searches(settings, expected)
    documents = source_documents(SEEDS)

    victim: list[int] = []
    building: list[str] = []
    killed = threading.Event()
    outcome: dict = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase != "index" or done != KILL_AT or victim:
            return
        live = set(alias_targets(admin, alias))
        building.extend(i for i in our_indices(admin, alias)
                        if i not in live and not i.endswith("-vocabulary"))
        manager = admin.cat.cluster_manager(format="json")[0]["node"]
        i = next(k for k, n in enumerate(cluster.nodes) if n.name == manager)
        cluster.kill_node(i)  # SIGKILL; returns once the process is gone
        victim.append(i)
        killed.set()

    def build() -> None:
        try:
            outcome["report"] = reindex([SEEDS], settings, full=True, shards=3,
                                        progress=progress)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            killed.set()  # a build that failed before the kill must not be waited for

    with Searches(settings, expected) as searches:
        searches.wait_for_more(len(REQUESTS))
        builder = threading.Thread(target=build, daemon=True)
        builder.start()
        assert killed.wait(timeout=300) and victim, outcome
        assert len(building) == 1, building
        searches.wait_for_more(20)  # answered without the node
        wait_for_answer_unavailable(admin, building[0], cluster.nodes[victim[0]])
        searches.wait_for_more(20)
        cluster.restart_node(victim[0], timeout=300)
        builder.join(timeout=900)
        assert not builder.is_alive(), "the build hangs"
        assert "error" not in outcome, outcome
        report = outcome["report"]
        # Every search thread has answered from the new generation after the move.
        searches.wait("search on the new index",
                      lambda s: all(report.generation in g for g in s.generations))
        searches.wait_for_more(10)

    assert not searches.failures, searches.failures[:20]
    assert not [s.reason for s in report.skipped if "not indexed" in s.reason]
    assert report.generation != first.generation
    assert alias_targets(admin, alias) == [report.generation]
    wait_green(admin)
    admin.indices.refresh(index=alias)
    assert admin.count(index=alias)["count"] == documents
    assert report.transcripts_indexed + report.utterances_indexed == documents
    copies = admin.cat.shards(index=report.generation, format="json", h="shard,prirep,state,docs")
    assert len(copies) == 6 and {c["state"] for c in copies} == {"STARTED"}, copies
    for shard in {c["shard"] for c in copies}:
        assert len({c["docs"] for c in copies if c["shard"] == shard}) == 1, copies
    assert sum(int(c["docs"]) for c in copies if c["prirep"] == "p") == documents
    check_searches(settings, expected)


def test_a_reindex_killed_mid_build_leaves_the_alias_and_the_next_one_takes_over(
    cluster, expected, tmp_path
):
    """`transcripts reindex --full` in a subprocess, stuck for certain before its alias
    move (an index template sends its new index's shards to a node that does not exist),
    killed with SIGKILL: the alias still names the old index and searches answer from it.
    The next reindex takes over the lock the dead one left, removes its unfinished
    indices and moves the alias."""
    alias = "killed"
    settings = ClusterSettings.from_env(cluster.url, alias, env={})
    admin = admin_client(cluster, alias)
    reindex([SEEDS], settings, full=True)
    old = alias_targets(admin, alias)
    before = our_indices(admin, alias)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSCRIPTS_")}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    command = [sys.executable, "-m", "transcripts", "reindex", "--backend", "opensearch",
               "--opensearch-url", cluster.url, "--opensearch-index", alias, str(SEEDS)]
    template = f"{alias}-stuck"
    admin.indices.put_index_template(name=template, body={
        "index_patterns": [f"{alias}-g*"],
        "priority": 1000,
        "template": {"settings": {"index.routing.allocation.require._name": "no-such-node"}},
    })
    try:
        log = tmp_path / "reindex.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([*command, "--full"], cwd=PROJECT_DIR, env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while not (new := our_indices(admin, alias) - before):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            stuck = min(new)  # its vocabulary index is named after it
            # Stuck for certain: its shards cannot go to any node, so the build can
            # neither write a document nor reach the yellow health the move waits for.
            health = admin.cluster.health(index=stuck)
            assert health["status"] == "red" and health["active_shards"] == 0, health
            assert proc.poll() is None, log.read_text()
            assert alias_targets(admin, alias) == old
            check_searches(settings, expected)
        finally:
            proc.kill()
            proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        assert alias_targets(admin, alias) == old
        check_searches(settings, expected)
        lock = lock_index(alias)
        meta = admin.indices.get_mapping(index=lock)[lock]["mappings"]["_meta"]
        assert meta["pid"] == proc.pid  # the dead build's lock is still there
    finally:
        admin.indices.delete_index_template(name=template)

    done = subprocess.run([*command, "--full"], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Full rebuild" in done.stdout
    [live] = alias_targets(admin, alias)
    assert live not in old and live != stuck
    assert alias_targets(admin, vocabulary_alias(alias)) == [vocabulary_alias(live)]
    # The unfinished indices are gone; the generation the alias left is kept (searches
    # may still read it) until the next build.
    assert our_indices(admin, alias) == {live, vocabulary_alias(live), *before}
    assert not admin.indices.exists(index=lock)
    assert admin.count(index=alias)["count"] == source_documents(SEEDS)
    check_searches(settings, expected)
    wait_green(admin)
