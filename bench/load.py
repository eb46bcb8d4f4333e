"""A bounded load test on loopback: the workload against ``transcripts serve``.

Run as ``python -m bench.load [--index-dir DIR] [--requests 2000] [--concurrency 8]``:
it starts the real server on a free 127.0.0.1 port (or uses ``--url``), sends the
workload's searches round-robin to ``/api/search`` from a thread pool, and prints
throughput, latency percentiles and the error count. Every loop is bounded by the
request count and a deadline, and it only ever talks to the loopback address.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.site import free_port, start_server, stop_server
from bench.workload import load

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_QUERIES = PROJECT_DIR.parent / "shared" / "bench" / "queries.jsonl"


def run_load(
    base_url: str,
    queries_file: Path,
    requests: int = 2000,
    concurrency: int = 8,
    deadline_s: float = 600,
) -> dict:
    """Send ``requests`` searches with ``concurrency`` workers; never more, never longer."""
    if not base_url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise ValueError("the load test only targets this machine's loopback address")
    urls = [
        f"{base_url}/api/search?{urllib.parse.urlencode(q.api_params())}"
        for q in load(queries_file)
    ]
    stop_at = time.monotonic() + deadline_s

    def one(i: int) -> tuple[float, int]:
        if time.monotonic() > stop_at:
            return 0.0, -1
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(urls[i % len(urls)], timeout=60) as resp:
                resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        return time.perf_counter() - started, status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    latencies = sorted(t for t, s in results if s == 200)
    errors = [s for _, s in results if s != 200]

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1)

    return {
        "requests": requests,
        "concurrency": concurrency,
        "ok": len(latencies),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
        "seconds": round(wall, 2),
        "throughput_rps": round(len(results) / wall, 1),
        "p50_ms": pct(0.50) if latencies else None,
        "p95_ms": pct(0.95) if latencies else None,
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--index-dir", type=Path, default=PROJECT_DIR / "instance" / "index")
    parser.add_argument("--url", help="an already running server on 127.0.0.1")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    if not args.queries.exists():
        print(f"skipped: {args.queries} not found")
        return
    proc = None
    url = args.url
    if not url:
        port = free_port()
        proc = start_server(args.index_dir, port, threads=8, wait=120)
        url = f"http://127.0.0.1:{port}"
    try:
        print(json.dumps(run_load(url, args.queries, args.requests, args.concurrency), indent=2))
    finally:
        if proc:
            stop_server(proc)


if __name__ == "__main__":
    main()
