"""``python -m bench.opensearch_scale``: the N-times corpus on a local N-node OpenSearch cluster.

A scale run of this project's OpenSearch backend, for the capacity plan in docs/opensearch.md:

1. the corpus copied ``--scale`` times (``bench.corpus.materialize``, what
   ``bench.growth.run_scale`` uses: copies with distinct ids and dates moved by whole
   years) into a temporary folder under ``instance/``;
2. a local cluster of ``--nodes`` nodes (``bench.opensearch_cluster``, under
   ``instance/opensearch-scale``), the copy built into it by ``index.opensearch.writer.
   reindex`` with ``--shards`` primaries and ``--replicas`` replicas: wall time with its
   phases (reading; analysis in Python and the bulk requests, apart; replicas), documents/s,
   CPU seconds of this process against the nodes', the index's size (primaries and with
   replicas, main and vocabulary index, each shard), each node's memory;
3. ``--warm-passes`` untimed passes of the workload, then for each of ``--clients``
   concurrent clients (threads, each with its own ``ClusterIndex``: its own connection
   pool and generation, as separate site processes would have) every results page
   (``search.opensearch_engine.search``) for ``--seconds``, the workload's queries
   round-robin, each client starting at another query: p50/p95/p99, pages/s, the time the
   nodes report (``took``) against the wall time, CPU per page, and where the curve bends;
4. an anatomy of the main search request at this size: its ``took`` as sent, with the
   transcripts counted by ``cardinality`` instead of a bucket each, without that count,
   and without any aggregation;
5. a failover pass for each ``--kill`` target: ``--failover-clients`` clients searching,
   one node killed with SIGKILL, restarted after ``--outage-seconds``, green again; every
   failed search (any exception), every answer with shard failures, every total that
   differs from the healthy cluster's, the latency before, during and after; the document
   counts checked against the source afterwards.

Everything goes to ``--out``/opensearch_scale_x<scale>.json and a summary is printed.
The nodes are stopped at the end, also on an error, Ctrl-C or SIGTERM (if this process is
killed outright: ``python -m bench.opensearch_cluster stop --dir instance/opensearch-scale``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

PROJECT_DIR = Path(__file__).resolve().parents[1]
INSTANCE = PROJECT_DIR / "instance"  # git-ignored; reachable by the nodes' user
BASE_DIR = INSTANCE / "opensearch-scale"
CLUSTER_NAME = "scale"
ALIAS = "transcripts-scale"
SHARED = PROJECT_DIR.parent / "shared"
DEFAULT_CORPUS = SHARED / "corpus" / "text"
DEFAULT_QUERIES = SHARED / "bench" / "queries.jsonl"
DEFAULT_OUT = PROJECT_DIR / "bench" / "results"
# The curve bends before the first step whose throughput gain is under this share of its
# gain in clients (doubling the clients for less than 1.5x the pages/s).
BEND_EFFICIENCY = 0.5
BEST_SHARE = 0.9  # and the fewest clients that reach this share of the best throughput
MB = 2**20

Say = Callable[[str], None]


# -- figures --------------------------------------------------------------------------------
def percentiles(samples_ms) -> dict:
    """p50/p95/p99/max/mean in ms (None when there is no sample)."""
    a = np.asarray(list(samples_ms), dtype=float)
    if not a.size:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    return {
        "n": int(a.size),
        "p50": round(float(np.percentile(a, 50)), 2),
        "p95": round(float(np.percentile(a, 95)), 2),
        "p99": round(float(np.percentile(a, 99)), 2),
        "max": round(float(a.max()), 2),
        "mean": round(float(a.mean()), 2),
    }


def bend(levels: list[dict]) -> dict:
    """Where the throughput curve bends: the last level before the first step that gains
    less than BEND_EFFICIENCY of its gain in clients (from there on, more clients mostly
    wait longer); each step's gains; the fewest clients reaching BEST_SHARE of the best
    throughput; from how many clients every core of the machine was busy."""
    levels = sorted(levels, key=lambda r: r["clients"])
    if not levels:
        return {}
    best = max(r["pages_per_s"] for r in levels)
    near_best = next(r["clients"] for r in levels if r["pages_per_s"] >= BEST_SHARE * best)
    steps = []
    at = levels[-1]["clients"]
    for a, b in itertools.pairwise(levels):
        gain = b["pages_per_s"] / a["pages_per_s"] if a["pages_per_s"] else None
        clients_x = b["clients"] / a["clients"]
        efficiency = (gain - 1) / (clients_x - 1) if gain else None
        if efficiency is not None and efficiency < BEND_EFFICIENCY and at == levels[-1]["clients"]:
            at = a["clients"]
        steps.append({
            "from": a["clients"], "to": b["clients"],
            "throughput_x": round(gain, 2) if gain else None,
            "clients_x": round(clients_x, 2),
            "efficiency": round(efficiency, 2) if efficiency is not None else None,
            "p50_x": _ratio(b["latency"]["p50"], a["latency"]["p50"]),
            "p95_x": _ratio(b["latency"]["p95"], a["latency"]["p95"]),
        })
    cores = os.cpu_count() or 1
    busy = [r for r in levels if (r.get("cpu") or {}).get("machine_busy_cores", 0)
            >= 0.95 * cores]
    return {"bends_at_clients": at, "best_pages_per_s": best,
            "near_best_at_clients": near_best, "steps": steps,
            # From here on every core was busy (with this run or with other jobs).
            "machine_saturated_at_clients": busy[0]["clients"] if busy else None,
            "nodes_cpu_ms_per_page": {r["clients"]: r.get("cpu_ms_per_page", {}).get("nodes")
                                      for r in levels}}


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def phase_of(t: float, marks: list[tuple[str, float]]) -> str:
    """The phase a sample started in: the last mark at or before ``t`` (marks in order)."""
    name = marks[0][0]
    for label, at in marks:
        if t >= at:
            name = label
    return name


# -- the machine and the nodes --------------------------------------------------------------
def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _tree(pid: int | None):
    import psutil

    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _proc_status(pid: int | None) -> dict:
    """The java process's resident memory by kind (Linux): anonymous (heap, metaspace,
    direct buffers, threads) and file-backed (memory-mapped index files it has touched)."""
    out = {}
    with contextlib.suppress(OSError, TypeError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "RssShmem", "VmHWM"):
                out[f"{key.lower()}_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


def node_memory(cluster, conn) -> dict[str, dict]:
    """Per node: RSS of its process tree (psutil) with its kinds, and from ``_nodes/stats``
    the heap, GC counts and the caches that live in it."""
    import psutil

    stats: dict[str, dict] = {}
    with contextlib.suppress(Exception):  # a node down answers nothing: RSS only
        answer = conn.nodes.stats(metric="jvm,indices", request_timeout=10)
        stats = {n["name"]: n for n in answer["nodes"].values()}
    out = {}
    for node in cluster.nodes:
        entry: dict = {"pid": node.pid, "alive": node.alive()}
        rss = 0
        for p in _tree(node.pid):
            with contextlib.suppress(psutil.Error):
                rss += p.memory_info().rss
        entry["rss_mb"] = round(rss / MB, 1) if rss else None
        entry.update(_proc_status(node.pid))
        s = stats.get(node.name)
        if s:
            jvm, ind = s["jvm"], s["indices"]
            gc = jvm["gc"]["collectors"]
            entry.update(
                heap_used_mb=round(jvm["mem"]["heap_used_in_bytes"] / MB, 1),
                heap_max_mb=round(jvm["mem"]["heap_max_in_bytes"] / MB, 1),
                non_heap_mb=round(jvm["mem"]["non_heap_used_in_bytes"] / MB, 1),
                gc_young=gc.get("young", {}).get("collection_count"),
                gc_young_ms=gc.get("young", {}).get("collection_time_in_millis"),
                gc_old=gc.get("old", {}).get("collection_count"),
                gc_old_ms=gc.get("old", {}).get("collection_time_in_millis"),
                store_mb=round(ind["store"]["size_in_bytes"] / MB, 1),
                docs=ind["docs"]["count"],
                segments=ind["segments"]["count"],
                fielddata_mb=round(ind["fielddata"]["memory_size_in_bytes"] / MB, 2),
                query_cache_mb=round(ind["query_cache"]["memory_size_in_bytes"] / MB, 2),
                request_cache_mb=round(ind["request_cache"]["memory_size_in_bytes"] / MB, 2),
            )
        out[node.name] = entry
    return out


def cpu_snapshot(cluster) -> dict:
    """CPU seconds so far: this process (all its threads), each node's process tree, and
    the whole machine (busy, and stolen by the hypervisor)."""
    import psutil

    nodes = {}
    for node in cluster.nodes:
        total = 0.0
        for p in _tree(node.pid):
            with contextlib.suppress(psutil.Error):
                c = p.cpu_times()
                total += c.user + c.system
        nodes[node.name] = (node.pid, total)
    m = psutil.cpu_times()
    busy = m.user + m.nice + m.system + getattr(m, "irq", 0) + getattr(m, "softirq", 0)
    t = os.times()
    return {"t": time.monotonic(), "self": t.user + t.system, "nodes": nodes, "busy": busy,
            "steal": getattr(m, "steal", 0.0)}


def cpu_delta(a: dict, b: dict) -> dict:
    """CPU used between two snapshots, in cores (CPU seconds per second); a node restarted
    in between (another pid) has no figure."""
    wall = b["t"] - a["t"]
    if wall <= 0:
        return {}
    nodes = {}
    for name, (pid, cpu) in b["nodes"].items():
        before = a["nodes"].get(name)
        nodes[name] = round((cpu - before[1]) / wall, 2) if before and before[0] == pid else None
    ours = (b["self"] - a["self"]) / wall
    busy = (b["busy"] - a["busy"]) / wall
    known = [v for v in nodes.values() if v is not None]
    return {
        "seconds": round(wall, 1),
        "bench_process_cores": round(ours, 2),
        "nodes_cores": round(sum(known), 2) if len(known) == len(nodes) else None,
        "per_node_cores": nodes,
        "machine_busy_cores": round(busy, 2),
        "other_jobs_cores": round(busy - ours - sum(known), 2)
        if len(known) == len(nodes) else None,
        "steal_cores": round((b["steal"] - a["steal"]) / wall, 2),
        "load_average": round(os.getloadavg()[0], 2),
    }


# -- the index ------------------------------------------------------------------------------
def wait_green(conn, index: str, timeout: float = 600) -> float:
    started = time.perf_counter()
    conn.cluster.health(index=index, wait_for_status="green", timeout=f"{int(timeout)}s",
                        request_timeout=timeout + 30)
    return round(time.perf_counter() - started, 2)


def index_size(conn, generation: str) -> dict:
    """Primaries and all copies of the main and vocabulary indices, each shard, segments."""
    from transcripts.index.opensearch.writer import vocabulary_alias

    vocabulary = vocabulary_alias(generation)
    rows = conn.cat.indices(index=f"{generation},{vocabulary}", format="json", bytes="b",
                            h="index,health,pri,rep,docs.count,pri.store.size,store.size")
    parts = {}
    for r in rows:
        label = "vocabulary" if r["index"] == vocabulary else "main"
        parts[label] = {"shards": int(r["pri"]), "replicas": int(r["rep"]),
                        "docs": int(r["docs.count"]), "primaries_bytes": int(r["pri.store.size"]),
                        "total_bytes": int(r["store.size"]), "health": r["health"]}
    shards = conn.cat.shards(index=generation, format="json", bytes="b",
                             h="shard,prirep,state,docs,store,node")
    stats = conn.indices.stats(index=f"{generation},{vocabulary}",
                               metric="segments,indexing")["indices"]
    for label, name in (("main", generation), ("vocabulary", vocabulary)):
        prim = stats[name]["primaries"]
        parts[label]["segments_primaries"] = prim["segments"]["count"]
        parts[label]["indexing_ms_primaries"] = prim["indexing"]["index_time_in_millis"]
        parts[label]["indexing_ms_all_copies"] = stats[name]["total"]["indexing"][
            "index_time_in_millis"]
    # How each replica was made: files copied, or operations replayed from the primary's
    # translog (then the copy re-indexes every document).
    recoveries = [r for r in conn.cat.recovery(
        index=generation, format="json", bytes="b",
        h="shard,time,type,stage,source_node,target_node,files,bytes,translog_ops")
        if r["type"] == "peer"]
    translog = conn.indices.stats(index=generation, metric="translog")["_all"]["primaries"][
        "translog"]
    return {
        "replica_recoveries": recoveries,
        "translog_uncommitted_operations_primaries": translog.get("uncommitted_operations"),
        "primaries_bytes": sum(p["primaries_bytes"] for p in parts.values()),
        "total_bytes": sum(p["total_bytes"] for p in parts.values()),
        "parts": parts,
        "shards": sorted(({"shard": int(s["shard"]), "copy": s["prirep"], "state": s["state"],
                           "docs": int(s["docs"] or 0), "bytes": int(s["store"] or 0),
                           "node": s["node"]} for s in shards),
                         key=lambda s: (s["shard"], s["copy"])),
    }


def build(cluster, conn, settings, folder: Path, shards: int, replicas: int, say: Say) -> dict:
    """The writer's full build, timed by phase; the bulk requests timed apart from the
    Python that makes their documents (``_send_chunk`` wrapped for the build's length)."""
    from transcripts.index.opensearch import writer

    marks: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        marks.setdefault(phase, time.perf_counter())
        if phase == "index" and done % 5000 == 0:
            say(f"build: {done:,}/{total:,} transcripts sent")

    bulk = {"main_s": 0.0, "main_chunks": 0, "vocabulary_s": 0.0, "vocabulary_chunks": 0}
    plain = writer._send_chunk

    def timed(conn_, chunk):
        started = time.perf_counter()
        try:
            return plain(conn_, chunk)
        finally:
            kind = "vocabulary" if chunk and str(chunk[0].get("_index", "")).endswith(
                "-vocabulary") else "main"
            bulk[f"{kind}_s"] += time.perf_counter() - started
            bulk[f"{kind}_chunks"] += 1

    cpu0 = cpu_snapshot(cluster)
    started = time.perf_counter()
    writer._send_chunk = timed
    try:
        report = writer.reindex([folder], settings, full=True, progress=progress,
                                shards=shards, replicas=replicas)
    finally:
        writer._send_chunk = plain
    ended = time.perf_counter()
    cpu_build = cpu_delta(cpu0, cpu_snapshot(cluster))
    failed = [s.reason for s in report.skipped if "was not indexed" in s.reason]
    if failed:
        raise RuntimeError(f"{len(failed)} documents were not indexed, e.g. {failed[0]}")
    say("build: waiting for every replica (green)")
    green_s = wait_green(conn, report.generation)
    from bench import opensearch_cluster as oc

    merge_s = oc.settle(conn, report.generation + "," + writer.vocabulary_alias(report.generation))
    documents = report.utterances_indexed + report.transcripts_indexed
    read_at, index_at = marks.get("read", started), marks.get("index", started)
    commit_at = marks.get("commit", ended)
    index_s = commit_at - index_at
    seconds = ended - started
    return {
        "generation": report.generation,
        "shards": shards,
        "replicas": replicas,
        "transcripts": report.transcripts_indexed,
        "utterances": report.utterances_indexed,
        "documents": documents,
        "skipped": len(report.skipped),
        "seconds": round(seconds, 1),
        "documents_per_s": round(documents / seconds, 1),
        "utterances_per_s": round(report.utterances_indexed / seconds, 1),
        "ms_per_utterance": round(seconds * 1000 / report.utterances_indexed, 3),
        "phases_s": {
            "before_reading": round(read_at - started, 1),
            # The files read and parsed, speakers' names resolved, the indices created.
            "read_and_parse": round(index_at - read_at, 1),
            "analyse_and_bulk": round(index_s, 1),
            "of_which_bulk_requests": round(bulk["main_s"], 1),
            "of_which_python_analysis": round(index_s - bulk["main_s"] - bulk["vocabulary_s"],
                                              1),
            "of_which_vocabulary_bulk": round(bulk["vocabulary_s"], 1),
            "replicas_refresh_alias": round(ended - commit_at, 1),
        },
        "bulk_chunks": bulk["main_chunks"] + bulk["vocabulary_chunks"],
        "bulk_documents_per_s": round(documents / bulk["main_s"], 1) if bulk["main_s"] else None,
        "green_after_s": green_s,
        "merges_settled_after_s": merge_s,
        "cpu": cpu_build,
    }


# -- clients --------------------------------------------------------------------------------
@dataclass
class Sample:
    t: float  # seconds since the run began, when the page was asked for
    ms: float
    q: int  # the query's place in the workload
    ok: bool
    error: str = ""
    took_ms: float = 0.0  # the nodes' own time, summed over the page's requests
    requests: int = 0
    shard_failures: int = 0  # failed shards the answers admitted (partial results)
    wrong: bool = False  # totals or transcripts shown differ from the healthy cluster's
    total: int = -1
    total_transcripts: int = -1
    shown: int = -1  # transcripts on the page
    endpoints: dict | None = None  # endpoint -> [requests, took ms, failed shards]
    shard_failure_reasons: list | None = None


def _error_detail(exc: BaseException) -> str:
    """What the cluster said, under our one-line message (``unavailable`` raises ``from
    None``; the client's error, with the answer's body, is still its context)."""
    inner = exc.__cause__ or exc.__context__
    info = getattr(inner, "info", None)
    if not isinstance(info, dict) or not isinstance(info.get("error"), dict):
        return ""
    err = info["error"]
    causes = [f"{c.get('type')}: {c.get('reason')}" for c in err.get("root_cause") or []]
    for shard in err.get("failed_shards") or []:
        reason = shard.get("reason") or {}
        causes.append(f"shard {shard.get('shard')} on {shard.get('node')}: "
                      f"{reason.get('type')}: {reason.get('reason')}")
    return (f" [status {getattr(inner, 'status_code', '?')}; {err.get('phase', '')}; "
            + "; ".join(dict.fromkeys(causes)) + "]")[:900]


def _endpoint(url: str) -> str:
    parts = url.split("?", 1)[0].split("/")
    name = next((p for p in reversed(parts) if p.startswith("_")), url)
    return f"vocabulary {name}" if "-vocabulary" in url else name


class Client:
    """One search client: its own ``ClusterIndex`` (connection pool, generation), whose
    transport is wrapped to add up the nodes' ``took`` and failed shards per page."""

    def __init__(self, settings, capture: bool = False):
        from transcripts.search.opensearch_engine import ClusterIndex

        self.index = ClusterIndex(settings)
        self.capture = capture
        self.calls: list[tuple[str, float, int, str, dict | None]] = []
        self.reasons: list[str] = []
        transport = self.index.conn.transport
        plain = transport.perform_request

        def counted(method, url, *args, **kwargs):
            answer = plain(method, url, *args, **kwargs)
            took, failed = 0.0, 0
            if isinstance(answer, dict):
                for part in answer.get("responses") or [answer]:
                    if isinstance(part, dict):
                        took += float(part.get("took", 0) or 0)
                        shards = part.get("_shards") or {}
                        if shards.get("failed"):
                            failed += int(shards["failed"])
                            self.reasons.append(f"{_endpoint(url)}: {json.dumps(shards)}"[:600])
            body = kwargs.get("body") if capture else None
            self.calls.append((_endpoint(url), took, failed, url, body))
            return answer

        transport.perform_request = counted

    def page(self, query, qi: int, t0: float, baseline: dict | None = None) -> Sample:
        from transcripts.search.opensearch_engine import search

        self.calls.clear()
        self.reasons = []
        started = time.perf_counter()
        try:
            result = search(self.index, query.request())
            ok, error = True, ""
        except Exception as exc:  # any failure counts; the message says which
            result, ok = None, False
            error = f"{type(exc).__name__}: {exc}"[:300] + _error_detail(exc)
        ms = (time.perf_counter() - started) * 1000
        endpoints: dict[str, list[float]] = {}
        for name, took, failed, *_ in self.calls:
            e = endpoints.setdefault(name, [0, 0.0, 0])
            e[0] += 1
            e[1] += took
            e[2] += failed
        wrong = bool(ok and baseline and qi in baseline and (
            result.total, result.total_transcripts, len(result.transcripts)) != baseline[qi])
        return Sample(round(started - t0, 4), round(ms, 3), qi, ok, error,
                      sum(c[1] for c in self.calls), len(self.calls),
                      sum(c[2] for c in self.calls), wrong,
                      result.total if ok else -1, result.total_transcripts if ok else -1,
                      len(result.transcripts) if ok else -1, endpoints, self.reasons or None)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.index.conn.close()


def run_clients(clients: list[Client], queries: list, baseline: dict, stop: threading.Event,
                orchestrate: Callable[[float], None]) -> tuple[list[Sample], float, float]:
    """Each client runs the queries round-robin from its own starting place until ``stop``;
    ``orchestrate(t0)`` runs in this thread meanwhile and sets ``stop`` when done.
    The samples, t0 (perf_counter) and the seconds the clients ran."""
    n = len(queries)
    barrier = threading.Barrier(len(clients) + 1)
    results: list[list[Sample]] = [[] for _ in clients]
    t0_box: list[float] = []

    def loop(k: int, client: Client) -> None:
        barrier.wait()
        t0 = t0_box[0]
        i = k * n // len(clients)
        while not stop.is_set():
            qi = i % n
            results[k].append(client.page(queries[qi], qi, t0, baseline))
            i += 1

    threads = [threading.Thread(target=loop, args=(k, c), daemon=True, name=f"client-{k}")
               for k, c in enumerate(clients)]
    for th in threads:
        th.start()
    t0_box.append(time.perf_counter())
    barrier.wait()
    try:
        orchestrate(t0_box[0])
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=120)
    samples = sorted((s for r in results for s in r), key=lambda s: s.t)
    ended = max((s.t + s.ms / 1000 for s in samples), default=0.0)
    return samples, t0_box[0], ended


def summarise(samples: list[Sample], seconds: float, queries: list | None = None) -> dict:
    ok = [s for s in samples if s.ok]
    errors = Counter(s.error for s in samples if not s.ok)
    out = {
        "pages": len(samples),
        "failed": len(samples) - len(ok),
        "partial": sum(1 for s in samples if s.shard_failures),
        "wrong_totals": sum(1 for s in samples if s.wrong),
        "seconds": round(seconds, 1),
        "pages_per_s": round(len(ok) / seconds, 2) if seconds else None,
        "latency": percentiles(s.ms for s in ok),
        "node_took_ms": percentiles(s.took_ms for s in ok),
        "client_side_ms": percentiles(s.ms - s.took_ms for s in ok),
        "requests_per_page": round(sum(s.requests for s in ok) / len(ok), 2) if ok else None,
        "errors": dict(errors.most_common(10)),
    }
    per: dict[str, list[float]] = {}
    for s in ok:
        for name, (count, took, *_) in (s.endpoints or {}).items():
            e = per.setdefault(name, [0, 0.0])
            e[0] += count
            e[1] += took
    if ok:
        out["per_page_by_endpoint"] = {
            name: {"requests": round(c / len(ok), 2), "took_ms": round(t / len(ok), 2)}
            for name, (c, t) in sorted(per.items(), key=lambda kv: -kv[1][1])}
    if queries is not None:
        by_class: dict[str, list[float]] = {}
        for s in ok:
            by_class.setdefault(queries[s.q].cls, []).append(s.ms)
        out["classes"] = {c: percentiles(v) for c, v in sorted(by_class.items())}
    return out


# -- warm-up and the curve ------------------------------------------------------------------
def warm(settings, queries: list, passes: int, say: Say) -> tuple[dict, dict, list[str]]:
    """Untimed passes with one client; the healthy cluster's totals per query (the last
    pass) and the queries that fail every time (left out of the timed runs)."""
    client = Client(settings)
    pass_ms, baseline, failing = [], {}, {}
    try:
        for p in range(passes):
            started = time.perf_counter()
            for qi, q in enumerate(queries):
                s = client.page(q, qi, started)
                if s.ok:
                    baseline[qi] = (s.total, s.total_transcripts, s.shown)
                    failing.pop(qi, None)
                else:
                    failing[qi] = s.error
            pass_ms.append(round((time.perf_counter() - started) * 1000))
            say(f"warm-up pass {p + 1}/{passes}: {pass_ms[-1] / 1000:.1f} s")
    finally:
        client.close()
    notes = [f"{queries[qi].label}: {e}" for qi, e in failing.items()]
    return {"passes": passes, "pass_ms": pass_ms}, baseline, notes


def curve(cluster, settings, queries: list, baseline: dict, levels: list[int], seconds: float,
          say: Say) -> list[dict]:
    out = []
    for n in levels:
        clients = [Client(settings) for _ in range(n)]
        for c in clients:
            c.index.current()  # the generation opened before the clock starts
        stop = threading.Event()
        cpu0 = cpu_snapshot(cluster)
        load0 = os.getloadavg()[0]
        samples, _, ran = run_clients(clients, queries, baseline, stop,
                                      lambda t0, stop=stop: stop.wait(seconds))
        cpu = cpu_delta(cpu0, cpu_snapshot(cluster))
        for c in clients:
            c.close()
        row = {"clients": n, **summarise(samples, ran, queries), "cpu": cpu,
               "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)]}
        ok = row["pages"] - row["failed"]
        if ok and cpu:
            row["cpu_ms_per_page"] = {
                "bench_process": round(cpu["bench_process_cores"] * ran * 1000 / ok, 1),
                "nodes": round((cpu["nodes_cores"] or 0) * ran * 1000 / ok, 1),
            }
        lat = row["latency"]
        say(f"{n} client(s): {row['pages']} pages, {row['pages_per_s']} pages/s, "
            f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, failed {row['failed']}; "
            f"CPU: nodes {cpu.get('nodes_cores')}, us {cpu.get('bench_process_cores')}, "
            f"others {cpu.get('other_jobs_cores')} cores")
        out.append(row)
    return out


# -- what the main search costs ------------------------------------------------------------
def anatomy(settings, queries: list, runs: int, say: Say) -> dict:
    """The page's main search request as sent, then again with its parts taken out, each
    ``runs`` times interleaved: the nodes' ``took`` of each variant, and how far
    ``cardinality`` would be from the exact transcript count at this size."""
    from transcripts.search.opensearch_engine import FILTER_PATH

    client = Client(settings, capture=True)
    conn = client.index.conn
    variants = ("as_sent", "count_by_cardinality", "no_transcript_count", "no_aggregations")
    took: dict[str, list[float]] = {v: [] for v in variants}
    per_class: dict[str, dict[str, list[float]]] = {}
    shares: list[float] = []
    cardinality_off: list[dict] = []
    try:
        for qi, q in enumerate(queries):
            client.page(q, qi, time.perf_counter())
            main = next((c for c in client.calls if c[0] == "_search" and c[4]
                         and "transcripts" in (c[4].get("aggs") or {})), None)
            if main is None:
                continue
            page_took = sum(c[1] for c in client.calls)
            shares.append(main[1] / page_took if page_took else 0.0)
            index = main[3].split("?", 1)[0].strip("/").split("/")[0]
            body = main[4]
            bodies = {"as_sent": body}
            card = json.loads(json.dumps(body))
            card["aggs"]["transcripts"]["aggs"] = {
                "n": {"cardinality": {"field": "tid", "precision_threshold": 40_000}}}
            bodies["count_by_cardinality"] = card
            none = json.loads(json.dumps(body))
            del none["aggs"]["transcripts"]
            bodies["no_transcript_count"] = none
            bare = json.loads(json.dumps(body))
            del bare["aggs"]
            bodies["no_aggregations"] = bare
            seen: dict[str, list[float]] = {v: [] for v in variants}
            exact = estimate = None
            for _ in range(runs):
                for v in variants:
                    answer = conn.search(index=index, body=bodies[v], filter_path=FILTER_PATH)
                    seen[v].append(float(answer["took"]))
                    n = (answer.get("aggregations") or {}).get("transcripts", {}).get("n", {})
                    if v == "as_sent":
                        exact = n.get("count")
                    elif v == "count_by_cardinality":
                        estimate = n.get("value")
            for v in variants:
                took[v].append(float(np.median(seen[v])))
                per_class.setdefault(q.cls, {}).setdefault(v, []).append(float(np.median(seen[v])))
            if exact is not None and estimate is not None and exact != estimate:
                cardinality_off.append({"q": q.label, "exact": exact, "cardinality": estimate})
        say(f"anatomy: {len(took['as_sent'])} queries x {len(variants)} variants x {runs} runs")
    finally:
        client.close()
    return {
        "runs": runs,
        "queries": len(took["as_sent"]),
        "main_search_share_of_page_took": round(float(np.mean(shares)), 2) if shares else None,
        "took_ms_median_of_query_medians": {v: round(float(np.median(t)), 1)
                                            for v, t in took.items() if t},
        "took_ms_mean_of_query_medians": {v: round(float(np.mean(t)), 1)
                                          for v, t in took.items() if t},
        "classes_mean_took_ms": {c: {v: round(float(np.mean(t)), 1) for v, t in d.items()}
                                 for c, d in sorted(per_class.items())},
        "cardinality_differs": cardinality_off,
    }


# -- failover -------------------------------------------------------------------------------
class _LogCount(logging.Handler):
    """The client's own log of failed attempts (each retried on another node), counted
    rather than printed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.times: list[float] = []
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.times.append(time.perf_counter())
        if len(self.first) < 5:
            self.first.append(record.getMessage()[:200])


def pick_node(conn, cluster, generation: str, target: str) -> tuple[int, dict]:
    """The node to kill: ``manager`` (the elected cluster manager), ``data`` (the node
    holding most primaries of the main index among the others) or ``node<i>``."""
    manager = conn.cat.cluster_manager(format="json")[0]["node"]
    primaries = Counter(s["node"] for s in conn.cat.shards(index=generation, format="json",
                                                           h="prirep,node")
                        if s["prirep"] == "p")
    names = [n.name for n in cluster.nodes]
    if target == "manager":
        name = manager
    elif target == "data":
        others = [n for n in names if n != manager] or names
        name = max(others, key=lambda n: (primaries.get(n, 0), n))
    elif target in names:
        name = target
    else:
        raise ValueError(f"--kill {target!r}: manager, data or one of {', '.join(names)}")
    return names.index(name), {"node": name, "was_manager": name == manager,
                               "manager_before": manager, "primaries_on_it": primaries.get(name, 0)}


def failover(cluster, conn, settings, queries: list, baseline: dict, target: str,
             n_clients: int, before_s: float, outage_s: float, after_s: float,
             expected: dict, say: Say) -> dict:
    generation = expected["generation"]
    i, chosen = pick_node(conn, cluster, generation, target)
    node = cluster.nodes[i]
    memory_before = node_memory(cluster, conn)
    clients = [Client(settings) for _ in range(n_clients)]
    for c in clients:
        c.index.current()
    stop = threading.Event()
    marks: list[tuple[str, float]] = [("before", 0.0)]
    health: list[dict] = []
    restart: dict = {}
    log = _LogCount()
    oslog = logging.getLogger("opensearch")
    propagate = oslog.propagate
    oslog.addHandler(log)
    oslog.propagate = False

    def watch(t0: float, done: threading.Event) -> None:
        last = None
        while not done.is_set():
            with contextlib.suppress(Exception):
                h = cluster.health(timeout=2)
                row = (h["status"], h["number_of_nodes"], h["active_shards"],
                       h["unassigned_shards"], h["initializing_shards"], h["relocating_shards"])
                if row != last:
                    health.append({"t": round(time.perf_counter() - t0, 2), "status": row[0],
                                   "nodes": row[1], "active_shards": row[2],
                                   "unassigned": row[3], "initializing": row[4],
                                   "relocating": row[5]})
                    last = row
            done.wait(0.5)

    def orchestrate(t0: float) -> None:
        done = threading.Event()
        watcher = threading.Thread(target=watch, args=(t0, done), daemon=True)
        watcher.start()
        try:
            stop.wait(before_s)
            say(f"failover: kill -9 {node.name} (pid {node.pid}; "
                f"{'the' if chosen['was_manager'] else 'not the'} cluster manager, "
                f"{chosen['primaries_on_it']} primaries) with {n_clients} clients searching")
            marks.append(("outage", time.perf_counter() - t0))
            cluster.kill_node(i)
            stop.wait(outage_s)
            say(f"failover: restarting {node.name}")
            marks.append(("recovery", time.perf_counter() - t0))
            started = time.perf_counter()
            cluster.restart_node(i, timeout=900, status="green")
            restart["seconds_to_green"] = round(time.perf_counter() - started, 1)
            marks.append(("after", time.perf_counter() - t0))
            say(f"failover: {node.name} back, green after {restart['seconds_to_green']} s")
            stop.wait(after_s)
        finally:
            done.set()
            watcher.join(timeout=10)

    try:
        samples, t0, ran = run_clients(clients, queries, baseline, stop, orchestrate)
    finally:
        oslog.removeHandler(log)
        oslog.propagate = propagate
        for c in clients:
            c.close()
    bounds = [m[1] for m in marks] + [ran]
    phases = {}
    for k, (label, start) in enumerate(marks):
        part = [s for s in samples if phase_of(s.t, marks) == label]
        phases[label] = {"from_s": round(start, 1), "to_s": round(bounds[k + 1], 1),
                         **summarise(part, bounds[k + 1] - start)}
    all_ = summarise(samples, ran)
    failures = [asdict(s) for s in samples if not s.ok or s.shard_failures or s.wrong][:20]
    for f in failures:
        f["query"] = queries[f["q"]].label
        f["phase"] = phase_of(f["t"], marks)
    retried = [t - t0 for t in log.times]
    recoveries = []
    with contextlib.suppress(Exception):
        for r in conn.cat.recovery(index=generation, format="json", bytes="b",
                                   h="shard,time,type,stage,source_node,target_node,files,"
                                     "bytes,bytes_recovered,translog_ops"):
            if r["target_node"] == node.name:
                recoveries.append(r)
    check = after_recovery(cluster, conn, settings, queries, baseline, expected)
    return {
        "target": target,
        **chosen,
        "clients": n_clients,
        "outage_s": outage_s,
        **restart,
        "marks_s": {label: round(at, 1) for label, at in marks},
        "pages": all_["pages"],
        "failed": all_["failed"],
        "partial": all_["partial"],
        "wrong_totals": all_["wrong_totals"],
        "errors": all_["errors"],
        "phases": phases,
        "failures_first": failures,
        "client_retries_logged": {
            label: sum(1 for t in retried if phase_of(t, marks) == label) for label, _ in marks},
        "client_log_first": log.first,
        "health_timeline": health,
        "recoveries_onto_restarted_node": recoveries,
        "memory_before": memory_before,
        "memory_after": node_memory(cluster, conn),
        "check_after": check,
    }


def after_recovery(cluster, conn, settings, queries: list, baseline: dict,
                   expected: dict) -> dict:
    """Document counts against the source, every shard copy started, and one pass of the
    workload with the healthy cluster's totals."""
    from transcripts.index.opensearch.writer import vocabulary_alias

    wait_green(conn, expected["generation"], timeout=300)
    main = int(conn.count(index=ALIAS)["count"])
    vocabulary = int(conn.count(index=vocabulary_alias(ALIAS))["count"])
    states = Counter(s["state"] for s in conn.cat.shards(
        index=f"{expected['generation']},{vocabulary_alias(expected['generation'])}",
        format="json", h="state"))
    client = Client(settings)
    t0 = time.perf_counter()
    samples = [client.page(q, qi, t0, baseline) for qi, q in enumerate(queries)]
    client.close()
    return {
        "documents": main,
        "documents_expected": expected["documents"],
        "documents_equal": main == expected["documents"],
        "vocabulary_documents": vocabulary,
        "vocabulary_expected": expected["vocabulary_documents"],
        "vocabulary_equal": vocabulary == expected["vocabulary_documents"],
        "shard_states": dict(states),
        "workload_pass_failed": sum(1 for s in samples if not s.ok),
        "workload_pass_wrong_totals": sum(1 for s in samples if s.wrong),
    }


# -- the run --------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.opensearch_scale",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=8, help="corpus multiple (8: the 8x corpus)")
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--heap-mb", type=int, default=1024, help="heap per node (MB)")
    ap.add_argument("--shards", type=int, default=3, help="primaries of the main index")
    ap.add_argument("--replicas", type=int, default=1)
    ap.add_argument("--clients", default="1,4,8", help="concurrent clients, e.g. 1,2,4,8")
    ap.add_argument("--seconds", type=float, default=30, help="per concurrency level")
    ap.add_argument("--warm-passes", type=int, default=3, help="untimed workload passes")
    ap.add_argument("--anatomy-runs", type=int, default=5, help="0: no anatomy")
    ap.add_argument("--kill", default="data",
                    help="failover passes, comma-separated: data, manager or node<i>; "
                         "'none' for none")
    ap.add_argument("--failover-clients", type=int, default=4)
    ap.add_argument("--before-seconds", type=float, default=10)
    ap.add_argument("--outage-seconds", type=float, default=30,
                    help="how long the node stays down (under a minute: the cluster "
                         "has not yet copied its shards elsewhere)")
    ap.add_argument("--after-seconds", type=float, default=15)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--files", type=int, default=None, help="only this many corpus files")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--keep-data", action="store_true",
                    help="keep the nodes' data folders after the run")
    args = ap.parse_args(argv)
    args.clients = [int(x) for x in args.clients.split(",") if x.strip()]
    args.kill = [] if args.kill.strip() == "none" else [
        x.strip() for x in args.kill.split(",") if x.strip()]
    if args.scale < 1 or args.nodes < 1 or not args.clients or min(args.clients) < 1:
        ap.error("--scale, --nodes and --clients take positive whole numbers")
    if args.kill and args.nodes < 2:
        ap.error("a failover pass needs two nodes or more (or --kill none)")
    return args


def run(args: argparse.Namespace, say: Say) -> dict:
    from bench import corpus, machine, workload
    from bench import opensearch_cluster as oc
    from transcripts.index.opensearch.connection import ClusterSettings, client
    from transcripts.index.opensearch.writer import vocabulary_alias

    data: dict = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine.describe(),
        "uptime_before": uptime(),
        "clients_model": "threads in this process, each with its own ClusterIndex (its own "
                         "client, connection pool and generation), like separate site "
                         "processes; the GIL and this process's CPU are shared",
    }
    files = corpus.source_files(args.corpus, args.files)
    queries = workload.load(args.queries)
    INSTANCE.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="scale-corpus-", dir=INSTANCE))
    cluster = None
    try:
        folder = tmp / f"corpus-x{args.scale}"
        say(f"copying {len(files):,} files x{args.scale} into {folder}")
        started = time.perf_counter()
        text_bytes = corpus.materialize(files, folder, args.scale)
        data["corpus"] = {"scale": args.scale, "files": len(files) * args.scale,
                          "text_bytes": text_bytes,
                          "copy_seconds": round(time.perf_counter() - started, 1)}

        if oc.stop_all(BASE_DIR):
            say(f"stopped the nodes a previous run left in {BASE_DIR}")
        say(f"starting {args.nodes} nodes (heap {args.heap_mb} MB each)")
        started = time.perf_counter()
        cluster = oc.start(nodes=args.nodes, base_dir=BASE_DIR, heap_mb=args.heap_mb,
                           name=CLUSTER_NAME, timeout=300)
        settings = ClusterSettings.from_env(cluster.url, ALIAS, env={})
        conn = client(settings, timeout=120)
        data["cluster"] = {"nodes": args.nodes, "heap_mb": args.heap_mb, "version": oc.VERSION,
                           "start_seconds": round(time.perf_counter() - started, 1),
                           "urls": cluster.urls}
        memory = {"after_start": node_memory(cluster, conn)}

        say(f"building: {args.shards} shards, {args.replicas} replica(s)")
        b = build(cluster, conn, settings, folder, args.shards, args.replicas, say)
        data["build"] = b
        data["corpus"]["text_mb_per_s"] = round(text_bytes / MB / b["seconds"], 2)
        size = index_size(conn, b["generation"])
        data["index"] = size
        utt = b["utterances"]
        data["index"]["bytes_per_utterance"] = {
            "primaries": round(size["primaries_bytes"] / utt, 1),
            "with_replicas": round(size["total_bytes"] / utt, 1),
        }
        data["index"]["to_text"] = round(size["parts"]["main"]["primaries_bytes"] / text_bytes, 2)
        memory["after_build"] = node_memory(cluster, conn)
        say(f"built {b['documents']:,} documents in {b['seconds']} s "
            f"({b['documents_per_s']:,} documents/s); index {size['primaries_bytes'] / MB:.0f} MB "
            f"primaries, {size['total_bytes'] / MB:.0f} MB with replicas")

        data["warmup"], baseline, failing = warm(settings, queries, args.warm_passes, say)
        data["queries_failing_when_healthy"] = failing
        # A plain-word query that finds nothing is a misspelling (bench.workload.refine).
        queries = [workload.refine(q, baseline[qi][0]) if qi in baseline else q
                   for qi, q in enumerate(queries)]
        timed = [qi for qi in range(len(queries)) if qi in baseline]
        tq = [queries[qi] for qi in timed]
        tbase = {k: baseline[qi] for k, qi in enumerate(timed)}
        data["baseline"] = [{"q": q.label, "class": q.cls, "total": tbase[k][0],
                             "total_transcripts": tbase[k][1], "shown": tbase[k][2]}
                            for k, q in enumerate(tq)]

        data["curve"] = curve(cluster, settings, tq, tbase, args.clients, args.seconds, say)
        data["bend"] = bend(data["curve"])
        memory["after_curve"] = node_memory(cluster, conn)
        if args.anatomy_runs:
            data["anatomy"] = anatomy(settings, tq, args.anatomy_runs, say)

        expected = {"generation": b["generation"], "documents": b["documents"],
                    "vocabulary_documents": int(conn.count(index=vocabulary_alias(ALIAS))[
                        "count"])}
        data["failover"] = []
        for target in args.kill:
            data["failover"].append(failover(
                cluster, conn, settings, tq, tbase, target, args.failover_clients,
                args.before_seconds, args.outage_seconds, args.after_seconds, expected, say))
        memory["after_failover"] = node_memory(cluster, conn)
        data["memory"] = memory
        one = next((r for r in data["curve"] if r["clients"] == 1), None)
        data["targets"] = {
            "one_client_p95_ms": one["latency"]["p95"] if one else None,
            "one_client_p95_at_most_100_ms": bool(one and one["latency"]["p95"] is not None
                                                 and one["latency"]["p95"] <= 100),
            "failover_failed_searches": [f["failed"] for f in data["failover"]],
            "failover_zero_failed": all(f["failed"] == 0 for f in data["failover"]),
            "failover_wrong_or_partial": [f["wrong_totals"] + f["partial"]
                                          for f in data["failover"]],
        }
    finally:
        if cluster is not None:
            say("stopping the nodes")
            cluster.stop()
            if not args.keep_data:
                shutil.rmtree(cluster.dir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    data["uptime_after"] = uptime()
    return data


def _mb(b) -> str:
    return f"{b / MB:,.1f}"


def print_summary(data: dict) -> None:
    b, ix = data["build"], data["index"]
    p = print
    p(f"\nOpenSearch {data['cluster']['version']}, {data['cluster']['nodes']} nodes, heap "
      f"{data['cluster']['heap_mb']} MB each; corpus x{data['corpus']['scale']}: "
      f"{b['transcripts']:,} transcripts, {b['utterances']:,} utterances, "
      f"{b['documents']:,} documents, {_mb(data['corpus']['text_bytes'])} MB of text")
    p(f"uptime before: {data['uptime_before']}")
    p(f"uptime after:  {data['uptime_after']}")
    ph = b["phases_s"]
    p(f"\nbuild: {b['seconds']} s, {b['documents_per_s']:,} documents/s, "
      f"{b['ms_per_utterance']} ms/utterance; read+parse {ph['read_and_parse']} s, "
      f"analysis (Python) {ph['of_which_python_analysis']} s, bulk requests "
      f"{ph['of_which_bulk_requests']} s, replicas+refresh+alias "
      f"{ph['replicas_refresh_alias']} s; green +{b['green_after_s']} s; CPU: this process "
      f"{b['cpu'].get('bench_process_cores')} cores, nodes {b['cpu'].get('nodes_cores')}, "
      f"others {b['cpu'].get('other_jobs_cores')}")
    p(f"index: primaries {_mb(ix['primaries_bytes'])} MB, with replicas "
      f"{_mb(ix['total_bytes'])} MB ({ix['bytes_per_utterance']['primaries']} / "
      f"{ix['bytes_per_utterance']['with_replicas']} bytes per utterance; main "
      f"{_mb(ix['parts']['main']['primaries_bytes'])} MB, vocabulary "
      f"{_mb(ix['parts']['vocabulary']['primaries_bytes'])} MB primaries)")
    for s in ix["shards"]:
        p(f"  shard {s['shard']} {s['copy']} {s['state']:8} {s['docs']:>9,} docs "
          f"{_mb(s['bytes']):>8} MB on {s['node']}")
    p("\nclients | pages/s | p50 ms | p95 ms | p99 ms | node took p50 | failed | "
      "CPU nodes/us/others")
    for r in data["curve"]:
        lat, c = r["latency"], r["cpu"]
        p(f"{r['clients']:>7} | {r['pages_per_s']:>7} | {lat['p50']:>6} | {lat['p95']:>6} | "
          f"{lat['p99']:>6} | {r['node_took_ms']['p50']:>13} | {r['failed']:>6} | "
          f"{c.get('nodes_cores')}/{c.get('bench_process_cores')}/{c.get('other_jobs_cores')}")
    bd = data.get("bend") or {}
    p(f"curve bends at {bd.get('bends_at_clients')} client(s) (the next step gains under "
      f"{BEND_EFFICIENCY:.0%} of its clients' gain; best {bd.get('best_pages_per_s')} pages/s, "
      f"{BEST_SHARE:.0%} of it from {bd.get('near_best_at_clients')}); every core busy "
      f"from {bd.get('machine_saturated_at_clients')} client(s); the nodes' CPU ms per page "
      f"{bd.get('nodes_cpu_ms_per_page')}")
    if data.get("anatomy"):
        a = data["anatomy"]
        p(f"main search took (median of per-query medians, ms): "
          f"{a['took_ms_median_of_query_medians']}; mean: {a['took_ms_mean_of_query_medians']}")
    for f in data["failover"]:
        p(f"\nfailover ({f['target']}): killed {f['node']} "
          f"({'cluster manager' if f['was_manager'] else 'not the cluster manager'}, "
          f"{f['primaries_on_it']} primaries); {f['pages']} pages, failed {f['failed']}, "
          f"partial {f['partial']}, wrong totals {f['wrong_totals']}; green "
          f"{f.get('seconds_to_green')} s after restart")
        for label, ph_ in f["phases"].items():
            lat = ph_["latency"]
            p(f"  {label:9} {ph_['from_s']:>6}-{ph_['to_s']:<6} s: {ph_['pages']:>5} pages, "
              f"{ph_['pages_per_s']} pages/s, p50 {lat['p50']} p95 {lat['p95']} max "
              f"{lat['max']} ms, failed {ph_['failed']}")
        ch = f["check_after"]
        p(f"  after: documents {ch['documents']:,} (source {ch['documents_expected']:,}), "
          f"vocabulary {ch['vocabulary_documents']:,} ({ch['vocabulary_expected']:,}), "
          f"shards {ch['shard_states']}, workload pass failed {ch['workload_pass_failed']}, "
          f"wrong {ch['workload_pass_wrong_totals']}")
    p("\nmemory per node (RSS MB / heap used MB):")
    for when, nodes in data["memory"].items():
        p(f"  {when:15} " + "  ".join(
            f"{name}: {m.get('rss_mb')} / {m.get('heap_used_mb')}" for name, m in nodes.items()))
    t = data["targets"]
    p(f"\ntargets: one-client p95 {t['one_client_p95_ms']} ms (<= 100: "
      f"{t['one_client_p95_at_most_100_ms']}); failover failed searches "
      f"{t['failover_failed_searches']} (zero: {t['failover_zero_failed']})")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for what, path in (("corpus", args.corpus), ("queries", args.queries)):
        if not path.exists():
            print(f"skipped: {what} not found at {path}")
            return 0
    from bench import opensearch_peer

    reason = opensearch_peer.unavailable()
    if reason:
        print(f"skipped: {reason}")
        return 0
    # SIGTERM ends the run as Ctrl-C does: through the finally that stops the nodes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"{time.perf_counter() - started:6.0f}s {text}", file=sys.stderr, flush=True)

    try:
        data = run(args, say)
    except KeyboardInterrupt:
        print("interrupted (the nodes were stopped)", file=sys.stderr)
        return 130
    data["seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"opensearch_scale_x{args.scale}_{args.shards}shards.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    print_summary(data)
    print(f"\nall figures: {path} (run took {data['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
