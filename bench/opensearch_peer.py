"""OpenSearch (one node on this machine) as a peer: this project's own OpenSearch backend.

Unlike FTS5 and tantivy, which the benchmark feeds from its own reading of the corpus,
this peer is the real thing a user would run. The build is
``index.opensearch.writer.reindex`` into a fresh alias (read and analyse in Python, bulk
through the Python client, refresh, alias move), and every timed run is
``search.opensearch_engine.search``: the same results page as ours (totals, five facets
each under the other filters, ten transcripts collapsed with three turns each, snippets,
"did you mean"), so its totals must equal ours exactly.

The node is started by the benchmark on first use (``bench.opensearch_cluster``, one
node on loopback under ``instance/opensearch-bench``) and stopped at the end, or a
running cluster is used (``--opensearch-url``; the benchmark's indices are deleted
after each scale). Index size is the store of both indices (main and vocabulary,
primaries) once the merges the build set off have finished: no ``_forcemerge``, as ours
and tantivy are not merged down to one segment either (FTS5's ``optimize`` is the
exception). The size after ``_forcemerge`` to one segment is taken as well, after the
searches, for reference. Before the timed runs the node is warmed with ``WARM_PASSES``
untimed passes over the workload (the JVM's just-in-time compiler; the other engines are
native code or Python and get only the runner's one untimed run per query).
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from pathlib import Path

from bench.runner import Page, results_page
from bench.workload import WorkQuery

PROJECT_DIR = Path(__file__).resolve().parents[1]
BASE_DIR = PROJECT_DIR / "instance" / "opensearch-bench"  # git-ignored, reachable by its user
CLUSTER_NAME = "bench"
DEFAULT_HEAP_MB = 1024
MERGE_WAIT_SECONDS = 120.0
# Untimed passes over the workload before the timed runs: the JVM compiles its hot paths
# after some hundreds of searches (on this machine the first pass took 2-4x the fifth),
# and a node that serves a site has long been warm.
WARM_PASSES = 10


def unavailable(need_node: bool = True) -> str | None:
    """Why the peer cannot run here (None: it can): no client, or, when a node is to be
    started, no OpenSearch zip or no Java."""
    from bench import opensearch_cluster as oc

    if importlib.util.find_spec("opensearchpy") is None:
        return "the opensearch-py client is not installed (pip install -e '.[opensearch]')"
    if not need_node:
        return None
    if oc.zip_path() is None:
        return f"the OpenSearch {oc.VERSION} zip is absent ({oc.MVN_GET})"
    if oc.java_home() is None:
        return "no Java to run OpenSearch with (set OPENSEARCH_JAVA_HOME or JAVA_HOME)"
    return None


class Node:
    """The cluster the peer runs on: a node this process starts on first use (and stops
    in ``close``), or a cluster at a given URL (left running)."""

    def __init__(self, url: str | None = None, heap_mb: int = DEFAULT_HEAP_MB,
                 base_dir: Path = BASE_DIR, warm_passes: int = WARM_PASSES):
        self.given_url = url
        self.heap_mb = heap_mb
        self.warm_passes = warm_passes
        self.base_dir = base_dir
        self.cluster = None
        self.start_seconds: float | None = None
        self.failed: str = ""  # why the node could not be started: the peer is then skipped

    def url(self, say=None) -> str:
        """The cluster's URL, starting the node first if needed (``ClusterError`` if it
        cannot start; ``failed`` keeps the reason so that later scales do not retry)."""
        from bench import opensearch_cluster as oc

        if self.given_url:
            return self.given_url
        if self.failed:
            raise oc.ClusterError(self.failed)
        if self.cluster is None:
            if say:
                say(f"starting one OpenSearch {oc.VERSION} node (heap {self.heap_mb} MB)")
            started = time.perf_counter()
            try:
                self.cluster = oc.start(nodes=1, base_dir=self.base_dir, heap_mb=self.heap_mb,
                                        name=CLUSTER_NAME)
            except oc.ClusterError as exc:
                self.failed = exc.summary
                raise
            self.start_seconds = round(time.perf_counter() - started, 1)
        return self.cluster.url

    def rss_mb(self) -> float | None:
        """The node's resident memory (its process tree), when this process started it."""
        if self.cluster is None:
            return None
        try:
            import psutil

            proc = psutil.Process(self.cluster.nodes[0].pid)
            rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
        except Exception:  # psutil absent or the node gone: no figure, not a failure
            return None
        return round(rss / 2**20, 1)

    def describe(self) -> dict:
        return {"url": self.given_url or (self.cluster.url if self.cluster else None),
                "started_by_bench": self.given_url is None, "heap_mb": self.heap_mb
                if self.given_url is None else None, "start_seconds": self.start_seconds,
                "warm_passes": self.warm_passes}

    def close(self) -> None:
        if self.cluster is not None:
            cluster, self.cluster = self.cluster, None
            cluster.stop()

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def settings_for(url: str, alias: str):
    from transcripts.index.opensearch.connection import ClusterSettings

    return ClusterSettings.from_env(url, alias, env={})


def _indices(settings, generation: str) -> list[str]:
    from transcripts.index.opensearch.writer import vocabulary_alias

    return [generation, vocabulary_alias(generation)]


def store(settings, generation: str) -> dict:
    """Bytes on disk (primaries' store) and segments of the main and vocabulary indices."""
    from transcripts.index.opensearch.connection import client

    conn = client(settings)
    names = _indices(settings, generation)
    stats = conn.indices.stats(index=",".join(names), metric="store,segments,docs")["indices"]
    parts = {label: stats[name]["primaries"] for label, name in zip(("main", "vocabulary"),
                                                                    names, strict=True)}
    return {
        "index_bytes": sum(p["store"]["size_in_bytes"] for p in parts.values()),
        "index_parts": {k: p["store"]["size_in_bytes"] for k, p in parts.items()},
        "segments": {k: p["segments"]["count"] for k, p in parts.items()},
        "docs": {k: p["docs"]["count"] for k, p in parts.items()},
    }


def _merges_done(settings, generation: str) -> float:
    from bench import opensearch_cluster as oc
    from transcripts.index.opensearch.connection import client

    return oc.settle(client(settings), ",".join(_indices(settings, generation)),
                     MERGE_WAIT_SECONDS)


def _version(settings) -> str:
    from transcripts.index.opensearch.connection import client

    with contextlib.suppress(Exception):
        return str(client(settings).info()["version"]["number"])
    return "?"


def build(folder: Path, url: str, alias: str) -> dict:
    """Our OpenSearch writer's full build of ``folder`` into ``alias``: seconds (with its
    phases), bytes on disk and what it indexed."""
    from transcripts.index.opensearch.writer import reindex

    settings = settings_for(url, alias)
    marks: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        marks.setdefault(phase, time.perf_counter())

    started = time.perf_counter()
    report = reindex([folder], settings, full=True, progress=progress)
    ended = time.perf_counter()
    failed = [s for s in report.skipped if "was not indexed" in s.reason]
    if failed:
        raise RuntimeError(f"{len(failed)} documents were not indexed, e.g. {failed[0].reason}")
    index_at = marks.get("index", started)
    commit_at = marks.get("commit", ended)
    figures = {
        "seconds": round(ended - started, 3),
        # Reading and parsing the files, speakers resolved (as ours does, in one process).
        "read_seconds": round(index_at - started, 3),
        # Analysing every document in Python and sending it in bulk (the node indexes as
        # it receives), the vocabulary index after it.
        "bulk_seconds": round(commit_at - index_at, 3),
        # Replicas, refresh, health, the alias move.
        "refresh_seconds": round(ended - commit_at, 3),
        "generation": report.generation,
        "transcripts_indexed": report.transcripts_indexed,
        "utterances_indexed": report.utterances_indexed,
        "skipped": len(report.skipped),
        "merge_wait_seconds": _merges_done(settings, report.generation),
        "version": _version(settings),
    }
    figures.update(store(settings, report.generation))
    return figures


def forcemerged(url: str, alias: str, generation: str) -> dict:
    """Size after ``_forcemerge`` to one segment (changes the index: run after the searches)."""
    from transcripts.index.opensearch.connection import client

    settings = settings_for(url, alias)
    conn = client(settings, timeout=600)
    started = time.perf_counter()
    conn.indices.forcemerge(index=",".join(_indices(settings, generation)), max_num_segments=1,
                            request_timeout=600)
    seconds = round(time.perf_counter() - started, 2)
    sizes = store(settings, generation)
    return {"seconds": seconds, "index_bytes": sizes["index_bytes"],
            "index_parts": sizes["index_parts"]}


def drop(url: str, alias: str, generation: str) -> None:
    """Remove the benchmark's indices (their aliases go with them)."""
    from transcripts.index.opensearch.connection import client

    settings = settings_for(url, alias)
    with contextlib.suppress(Exception):  # a node already gone has nothing left to remove
        client(settings).indices.delete(index=",".join(_indices(settings, generation)),
                                        ignore_unavailable=True)


def warm(engine, queries: list[WorkQuery], passes: int = WARM_PASSES) -> dict:
    """Run the workload ``passes`` times untimed (errors left to the timed runs to report);
    each pass's ms, to show the warming."""
    pass_ms = []
    for _ in range(passes):
        started = time.perf_counter()
        for query in queries:
            with contextlib.suppress(Exception):
                engine.page(query)
        pass_ms.append(round((time.perf_counter() - started) * 1000, 1))
    return {"passes": passes, "pass_ms": pass_ms, "seconds": round(sum(pass_ms) / 1000, 1)}


def _endpoint(url: str) -> str:
    """"_search", "_mget", "_alias" ...; "vocabulary _search" on the vocabulary index."""
    parts = url.split("?", 1)[0].split("/")
    name = next((p for p in reversed(parts) if p.startswith("_")), url)
    return f"vocabulary {name}" if "-vocabulary" in url else name


def anatomy(engine: OpenSearch, queries: list[WorkQuery]) -> dict:
    """One untimed-for-the-tables pass that looks inside each page: how many requests it
    sends, and how much of its time the node reports spending (``took`` of each search)
    against the page's wall time in this process (the rest is HTTP, JSON, the client and
    our Python around it)."""
    from bench.stats import summary

    transport = engine.index.conn.transport
    plain = transport.perform_request
    seen: list[tuple[str, float]] = []

    def counted(method, url, *args, **kwargs):
        answer = plain(method, url, *args, **kwargs)
        took = answer.get("took", 0) if isinstance(answer, dict) else 0
        if isinstance(answer, dict) and "responses" in answer:  # _msearch
            took = sum(r.get("took", 0) for r in answer["responses"])
        seen.append((_endpoint(url), float(took)))
        return answer

    transport.perform_request = counted
    walls, tooks, requests, endpoints = [], [], [], {}
    try:
        for query in queries:
            seen.clear()
            started = time.perf_counter()
            with contextlib.suppress(Exception):
                engine.page(query)
            walls.append((time.perf_counter() - started) * 1000)
            tooks.append(sum(t for _, t in seen))
            requests.append(len(seen))
            for name, _ in seen:
                endpoints[name] = endpoints.get(name, 0) + 1
    finally:
        transport.perform_request = plain
    return {"requests_per_page": round(sum(requests) / max(1, len(requests)), 2),
            "requests_max": max(requests, default=0), "endpoints": endpoints,
            "wall_ms": summary(walls), "node_took_ms": summary(tooks)}


class OpenSearch:
    name = "opensearch"

    def __init__(self, settings):
        from transcripts.search.opensearch_engine import ClusterIndex

        self.index = ClusterIndex(settings)

    def page(self, query: WorkQuery) -> Page:
        from transcripts.search.opensearch_engine import search

        result = search(self.index, query.request())
        return results_page(result)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.index.conn.close()

    @staticmethod
    def cold(settings, query: WorkQuery) -> float:
        """ms for a new ClusterIndex's first search: a new client, the alias looked up, the
        generation opened (document count, every facet's values, the generation document),
        then the search."""
        started = time.perf_counter()
        engine = OpenSearch(settings)
        engine.page(query)
        ms = (time.perf_counter() - started) * 1000
        engine.close()
        return ms
