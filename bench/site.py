"""The "running site" memory figure: RSS of a server that has answered the workload.

The real thing is measured when it can be: ``transcripts serve`` in a subprocess on a
free loopback port, the workload sent to ``/api/search`` with urllib, then the
server's RSS read with psutil. Where the server cannot start (the web package failing
to import, say), the fallback is this module run as a child (``python -m bench.site``)
that opens the index and runs the workload through ``search()`` in-process: the same
engine memory without Flask, reported with ``mode`` so the two are never confused.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.stats import summary
from bench.workload import WorkQuery, load

PROJECT_DIR = Path(__file__).resolve().parents[1]
TARGET_MB = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_rss(pid: int) -> int:
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


def _memory(pid: int) -> dict:
    """RSS counts each mapping of the index files once per mapping; USS is what the
    process alone holds (private pages), so both are kept."""
    import psutil

    proc = psutil.Process(pid)
    full = proc.memory_full_info()
    return {"rss_mb": round(_tree_rss(pid) / 2**20, 1), "uss_mb": round(full.uss / 2**20, 1),
            "shared_mb": round(full.shared / 2**20, 1), "threads": proc.num_threads()}


def _get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def start_server(root: Path, port: int, threads: int | None = None,
                 wait: float = 60) -> subprocess.Popen:
    """``transcripts serve`` on 127.0.0.1, returned once it answers a search."""
    cmd = [sys.executable, "-m", "transcripts", "serve", "--index-dir", str(root),
           "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + wait
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): "
                               f"{proc.stderr.read().strip()[-800:]}")
        try:
            status, _ = _get(f"http://127.0.0.1:{port}/api/search?q=", timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                stop_server(proc)
                raise RuntimeError(
                    f"server did not answer on port {port} in {wait:.0f} s"
                ) from None
            time.sleep(0.2)
            continue
        if status != 200:
            stop_server(proc)
            raise RuntimeError(f"/api/search answered HTTP {status}")
        return proc


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure_server(root: Path, queries: list[WorkQuery], runs: int, wait: float = 60) -> dict:
    port = free_port()
    proc = start_server(root, port, wait=wait)  # the default thread count: what a user runs
    base = f"http://127.0.0.1:{port}"
    try:
        idle = _tree_rss(proc.pid)
        # The first search a visitor sends once the server answers (the generation is
        # opened and warmed in the background from the start).
        started = time.perf_counter()
        _get(base + "/api/search?" + urllib.parse.urlencode(queries[0].api_params()))
        first = (time.perf_counter() - started) * 1000
        samples, errors = [], []
        for _ in range(runs):
            for q in queries:
                url = base + "/api/search?" + urllib.parse.urlencode(q.api_params())
                started = time.perf_counter()
                status, body = _get(url)
                samples.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    errors.append(f"{q.label}: HTTP {status} {body[:120]!r}")
        return {
            "mode": "server", "command": " ".join(proc.args[1:]), **_memory(proc.pid),
            "rss_after_first_request_mb": round(idle / 2**20, 1), "target_mb": TARGET_MB,
            "first_search_http_ms": round(first, 1),
            "http_latency_ms": summary(samples), "requests": len(samples), "errors": errors[:5],
        }
    finally:
        stop_server(proc)


def measure_child(root: Path, queries_file: Path, runs: int) -> dict:
    cmd = [sys.executable, "-m", "bench.site", "--root", str(root), "--queries",
           str(queries_file), "--runs", str(runs)]
    out = subprocess.run(cmd, cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(root: Path, queries: list[WorkQuery], queries_file: Path, runs: int) -> dict:
    try:
        return measure_server(root, queries, runs)
    except Exception as exc:  # any failure to serve is reported; the fallback still measures
        figures = measure_child(root, queries_file, runs)
        figures["server_error"] = str(exc)
        return figures


def _child(argv: list[str] | None = None) -> None:
    import psutil

    from transcripts.search.engine import TranscriptIndex, search

    ap = argparse.ArgumentParser(prog="python -m bench.site")
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--queries", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args(argv)
    index = TranscriptIndex(args.root)
    queries = load(args.queries)
    for _ in range(args.runs):
        for q in queries:
            search(index, q.request())
    rss = psutil.Process().memory_info().rss
    print(json.dumps({"mode": "in-process child (no web server)",
                      "rss_mb": round(rss / 2**20, 1), "target_mb": TARGET_MB}))


if __name__ == "__main__":
    _child()
