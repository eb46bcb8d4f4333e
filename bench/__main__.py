"""``python -m bench``: build and search benchmark of our engine against FTS5, tantivy and
OpenSearch.

Defaults follow the project layout: the corpus and the workload live beside the project
in ``../shared`` and may be absent (then the run is skipped, exit status 0). The
process re-executes itself once with ``PYTHONHASHSEED=0`` so that its own reading of
the corpus (for the peers) and the reindex child resolve speaker names identically:
our speaker resolution currently depends on set iteration order (see the report).

OpenSearch is this project's own OpenSearch backend on one node that the run starts
(``bench.opensearch_peer``) and stops at the end, also on an error, Ctrl-C or SIGTERM. It
is skipped, with the reason printed, where the node cannot run (no OpenSearch zip, no
Java, no client) or with ``--no-opensearch``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED = PROJECT_DIR.parent / "shared"
DEFAULT_CORPUS = SHARED / "corpus" / "text"
DEFAULT_QUERIES = SHARED / "bench" / "queries.jsonl"
DEFAULT_OUT = PROJECT_DIR / "bench" / "results"
QUICK_FILES, QUICK_RUNS = 300, 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of transcripts")
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES, help="workload (JSON lines)")
    ap.add_argument("--runs", type=int, default=None, help="timed runs per query (default 20)")
    ap.add_argument("--scales", default=None, help="corpus multiples, e.g. 1,2,4 (default)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where bench.json and the "
                    "chart go")
    ap.add_argument("--files", type=int, default=None, help="use only this many corpus files")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke run: {QUICK_FILES} files, {QUICK_RUNS} runs, scale 1")
    ap.add_argument("--no-peers", action="store_true", help="our engine only")
    ap.add_argument("--no-opensearch", action="store_true",
                    help="leave OpenSearch out (FTS5 and tantivy only)")
    ap.add_argument("--opensearch-url", default=None,
                    help="use this running cluster instead of starting a node")
    ap.add_argument("--opensearch-heap", type=int, default=None,
                    help="heap of the node the run starts, MB (default 1024)")
    ap.add_argument("--opensearch-warmup", type=int, default=None,
                    help="untimed workload passes to warm the node's JVM (default 10)")
    ap.add_argument("--opensearch-scales", default=None,
                    help="the scales OpenSearch is measured at, e.g. 1 (default: all)")
    ap.add_argument("--site-runs", type=int, default=None,
                    help="workload passes against the running site (0: skip; default 3)")
    ap.add_argument("--procs", type=int, default=2, help="writer processes/threads (2)")
    args = ap.parse_args(argv)
    if args.quick:
        args.files = args.files or QUICK_FILES
        args.runs = args.runs or QUICK_RUNS
        args.scales = args.scales or "1"
        args.site_runs = 1 if args.site_runs is None else args.site_runs
    args.runs = args.runs or 20
    args.site_runs = 3 if args.site_runs is None else args.site_runs
    args.scales = [int(x) for x in (args.scales or "1,2,4").split(",") if x.strip()]
    if not args.scales or min(args.scales) < 1:
        ap.error("--scales takes positive whole numbers, e.g. 1,2,4")
    if args.opensearch_scales is None:
        args.opensearch_scales = list(args.scales)
    else:
        args.opensearch_scales = [int(x) for x in args.opensearch_scales.split(",") if x.strip()]
    return args


def opensearch_peer_node(args: argparse.Namespace, console: Console):
    """The node the OpenSearch peer runs on (not started yet), or None with the reason
    printed."""
    from bench import opensearch_peer

    if args.no_peers or args.no_opensearch:
        return None, "left out (--no-peers or --no-opensearch)"
    if not set(args.opensearch_scales) & set(args.scales):
        return None, "left out (--opensearch-scales names none of --scales)"
    reason = opensearch_peer.unavailable(need_node=not args.opensearch_url)
    if reason:
        console.print(f"OpenSearch peer skipped: {reason}")
        return None, reason
    heap = args.opensearch_heap or opensearch_peer.DEFAULT_HEAP_MB
    warm = opensearch_peer.WARM_PASSES if args.opensearch_warmup is None else \
        args.opensearch_warmup
    return opensearch_peer.Node(args.opensearch_url, heap_mb=heap, warm_passes=warm), ""


def runs_at(scale: int, runs: int) -> int:
    """Fewer runs on bigger copies keeps a full run near 15 minutes; never fewer than 3."""
    return runs if scale == 1 else max(3, runs // scale)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Piped output gets a wide page: the tables are unreadable wrapped at 80 columns.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    err = Console(stderr=True, highlight=False)
    for what, path in (("corpus", args.corpus), ("queries", args.queries)):
        if not path.exists():
            console.print(f"skipped: {what} not found at {path}")
            return 0

    from bench import corpus, growth, machine, report, workload

    # SIGTERM ends the run as Ctrl-C does: through the finally that stops the node.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))

    files = corpus.source_files(args.corpus, args.files)
    if not files:
        console.print(f"skipped: no transcript files under {args.corpus}")
        return 0
    queries = workload.load(args.queries)
    node, os_skipped = opensearch_peer_node(args, console)
    data: dict = {
        "machine": machine.describe(),
        "config": {
            "corpus": str(args.corpus), "queries": str(args.queries), "files": len(files),
            "n_queries": len(queries), "runs": args.runs, "scales": args.scales,
            "procs": args.procs, "peers": not args.no_peers, "quick": args.quick,
            "hash_seed": os.environ.get("PYTHONHASHSEED"),
            "opensearch": {"skipped": os_skipped} if node is None else {
                **node.describe(), "scales": [x for x in args.scales
                                              if x in args.opensearch_scales]},
        },
        "scales": [],
        "legend": dict(report.LEGEND),
    }
    started = time.perf_counter()
    load_start = round(os.getloadavg()[0], 2)

    def say(text: str) -> None:
        err.print(f"[dim]{time.perf_counter() - started:6.0f}s[/dim] {text}", overflow="ellipsis",
                  no_wrap=True)

    with tempfile.TemporaryDirectory(prefix="transcripts-bench-") as tmp, \
            contextlib.ExitStack() as stack:
        if node is not None:
            stack.enter_context(node)  # stopped on the way out, whatever the way
        for i, scale in enumerate(args.scales):
            result, queries = growth.run_scale(
                scale, files, queries, runs_at(scale, args.runs), Path(tmp), first=i == 0,
                peers=not args.no_peers,
                site_runs=args.site_runs if i == 0 else min(1, args.site_runs),
                queries_file=args.queries, procs=args.procs, say=say,
                opensearch=node if scale in args.opensearch_scales else None)
            data["scales"].append(result)
        if node is not None:
            data["config"]["opensearch"].update(node.describe())
    data["seconds"] = round(time.perf_counter() - started, 1)
    data["load_average"] = {"start": load_start, "end": round(os.getloadavg()[0], 2)}
    data["paths"] = {"json": str(args.out / "bench.json")}
    try:
        data["paths"]["chart"] = str(report.chart(data["scales"], args.out / "latency_vs_size.png"))
    except ImportError as exc:
        data["paths"]["chart"] = f"not drawn: {exc}"
    report.write_json(data, args.out / "bench.json")
    report.print_report(data, console)
    console.print(f"total benchmark time {data['seconds']} s")
    return 0


def _entry() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, "-m", "bench", *sys.argv[1:]], env)
    sys.exit(main())


if __name__ == "__main__":
    _entry()
