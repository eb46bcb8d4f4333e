"""``python -m bench.follow``: feeds and alerts, measured.

1. **Feeds** on the development corpus: ``/feed`` for every workload query through
   Flask's test client (the whole Atom response), warm, in turns with the same query's
   results page sorted by date (``/?…&sort=newest``) as the in-run reference, and with
   SQLite FTS5 answering the same query (its results page, ``bench.fts5``).
2. **An alert run** over the N-times corpus (``--scale``, default 8): all of it but a
   held-back slice indexed, one alert per workload query (a word, a speaker, a filter
   …) with a JSON webhook on loopback as its target, the slice added by an incremental
   reindex, then ``alerts run`` through real Apprise deliveries. The webhook answers 500
   to the first run, so every delivery fails and nothing moves; the second run
   delivers; the third has nothing to send. Every passage that arrives is checked
   against the search (what is new and matches), and none may arrive twice.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

from rich.console import Console

from bench.corpus import materialize, read_corpus, source_files
from bench.machine import describe
from bench.stats import summary
from bench.workload import load

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT_DIR.parent / "shared" / "corpus" / "text"
DEFAULT_QUERIES = PROJECT_DIR.parent / "shared" / "bench" / "queries.jsonl"
DEFAULT_OUT = PROJECT_DIR / "bench" / "results"
HELD_BACK = 0.01  # the share of files that arrive "new" in the alert run
_LINK = re.compile(r"/t/([^?#>\s)]+)(?:\?[^#>\s)]*)?#u(\d+)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.follow", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--scale", type=int, default=8)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    console = Console(highlight=False)
    if not args.corpus.is_dir() or not args.queries.is_file():
        console.print(f"no corpus at {args.corpus} or no workload at {args.queries}")
        return 0
    queries = load(args.queries)
    results = {"machine": describe()}
    with tempfile.TemporaryDirectory(dir=PROJECT_DIR / "instance") as tmp:
        results["feeds"] = feeds(Path(tmp), args.corpus, queries, args.runs, console)
        results["alerts"] = alert_run(Path(tmp), args.corpus, queries, args.scale, console)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "follow.json").write_text(json.dumps(results, indent=1))
    console.print_json(json.dumps({k: v for k, v in results.items() if k != "machine"}))
    return 0


def feeds(tmp: Path, corpus: Path, queries, runs: int, console: Console) -> dict:
    from bench.fts5 import Fts5, build
    from transcripts.index.writer import reindex
    from transcripts.web import create_app

    root = tmp / "dev-index"
    console.print(f"building {corpus} …")
    reindex([corpus], root, full=True, procs=2)
    fts_path = tmp / "fts5.sqlite"
    build(read_corpus(corpus), fts_path)
    fts = Fts5(fts_path)
    client = create_app({"INDEX_DIR": str(root), "WARM_INDEX": False}).test_client()
    feed_ms: list[float] = []
    page_ms: list[float] = []
    fts_ms: list[float] = []
    entries = []
    for q in queries:
        params = [(k, v) for k, v in q.api_params() if k != "sort"]
        feed_url = "/feed?" + urlencode(params)
        page_url = "/?" + urlencode([*params, ("sort", "newest")])
        first = client.get(feed_url)  # warm-up, and its size
        assert first.status_code == 200, (feed_url, first.status_code)
        entries.append(first.data.count(b"<entry>"))
        client.get(page_url)
        fts.page(q)
        for _ in range(runs):
            for url, into in ((feed_url, feed_ms), (page_url, page_ms)):
                started = time.perf_counter()
                response = client.get(url)
                into.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            started = time.perf_counter()
            fts.page(q)
            fts_ms.append((time.perf_counter() - started) * 1000)
    return {"queries": len(queries), "runs": runs, "feed_ms": summary(feed_ms),
            "results_page_ms": summary(page_ms), "fts5_page_ms": summary(fts_ms),
            "entries_per_feed": summary(entries)}


class Webhook:
    """A JSON webhook on loopback: answers 500 while ``failing``, else 200, and keeps
    every body it accepted."""

    def __init__(self) -> None:
        self.failing = True
        self.accepted: list[dict] = []
        self.refused = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if hook.failing:
                    hook.refused += 1
                    self.send_response(500)
                else:
                    hook.accepted.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_port}/hook"


def alert_run(tmp: Path, corpus: Path, queries, scale: int, console: Console) -> dict:
    from transcripts.index.writer import reindex
    from transcripts.search import alerts
    from transcripts.search.backend import generation_stamp, new_passages
    from transcripts.search.engine import TranscriptIndex
    from transcripts.web import digest

    folder = tmp / f"x{scale}"
    materialize(source_files(corpus), folder, scale)
    files = sorted(folder.iterdir())
    held = files[:: int(1 / HELD_BACK)]
    aside = tmp / "held"
    aside.mkdir()
    for f in held:
        f.rename(aside / f.name)
    root = tmp / f"x{scale}-index"
    console.print(f"building the {scale}x corpus ({len(files) - len(held):,} files) …")
    started = time.perf_counter()
    reindex([folder], root, full=True, procs=2)
    build_s = time.perf_counter() - started
    index = TranscriptIndex(root)
    hook = Webhook()
    db = tmp / "alerts.sqlite"
    wanted = {}
    with alerts.open_store(db) as conn:
        start = generation_stamp(index)[1]
        for n, q in enumerate(queries):
            req = q.request()
            req.sort = "relevance"
            alerts.add_alert(conn, f"q{n}", req, [hook.url], start)
    for f in held:
        (aside / f.name).rename(folder / f.name)
    started = time.perf_counter()
    reindex([folder], root)
    update_s = time.perf_counter() - started
    for n, q in enumerate(queries):
        req = q.request()
        req.sort = "relevance"
        found = new_passages(index, req, after=start, limit=alerts.MAX_ENTRIES)
        wanted[f"q{n}"] = (found.total, {(p.transcript_id, int(p.position))
                                         for p in found.passages})

    def send(alert, url, followed):
        return digest.send(url, alert, followed, "http://127.0.0.1:8000")

    runs = []
    with alerts.open_store(db) as conn:
        for label, failing in (("failing target", True), ("delivering", False),
                               ("nothing new", False)):
            hook.failing = failing
            before = len(hook.accepted)
            started = time.perf_counter()
            report = alerts.run(conn, index, send, {})
            runs.append({"run": label, "seconds": round(time.perf_counter() - started, 3),
                         "alerts": len(report.deliveries),
                         "failed": len(report.failed),
                         "sent": sum(d.sent for d in report.deliveries),
                         "passages": sum(d.passages for d in report.deliveries if d.sent),
                         "messages": len(hook.accepted) - before})
    got: dict[str, list[tuple[str, int]]] = {}
    for body in hook.accepted:
        name = re.search(r"“(q\d+)”", body["title"]).group(1)  # type: ignore[union-attr]
        got.setdefault(name, []).extend(
            (m.group(1), int(m.group(2))) for m in _LINK.finditer(body["message"]))
    wrong = [n for n, (total, shown) in wanted.items()
             if set(got.get(n, [])) != shown or len(got.get(n, [])) != len(shown)]
    return {"scale": scale, "files": len(files), "held_back": len(held),
            "build_s": round(build_s, 1), "update_s": round(update_s, 1),
            "alerts": len(queries), "refused_posts": hook.refused, "runs": runs,
            "new_passages": sum(t for t, _ in wanted.values()),
            "alerts_with_news": sum(1 for t, _ in wanted.values() if t),
            "mismatched_alerts": wrong}


if __name__ == "__main__":
    raise SystemExit(main())
