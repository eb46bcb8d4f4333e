"""``python -m bench.fetch``: what the fetcher itself costs, against the loopback replay.

The replay server runs in a child process (``python -m bench.replay_site``), so the
CPU time measured here is the fetcher's own. Figures, all with ``--delay 0`` (no
politeness waits; against the real site the 2 s floor dominates everything):

1. a full ``--all`` fetch of the replay (686 event pages, 734 requests): pages/s, wall
   and CPU ms per page; and, as the peer measured in the same run, plain ``requests``
   GETs of the same 686 pages over one connection, with no parsing, checking or storing;
2. fetch + incremental reindex of 50 new pages: the corpus and its index hold all but
   the 50 newest pages, then one ``transcripts fetch`` run (the feed and the listing
   pages until what it holds) fetches those 50 and the index is updated.

Writes ``bench/results/fetch.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.replay_site import SITE_DIR
from transcripts.index.fetch import FetchOptions, run_fetch
from transcripts.index.fetch.state import STATE_FILE
from transcripts.index.writer import reindex

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_DIR / "bench" / "results"
NEW_PAGES = 50


def start_server(root: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.replay_site", "--root", str(root)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if " at http://127.0.0.1:" not in line:
        proc.kill()
        raise SystemExit(f"the replay server did not start: {line!r}")
    return proc, line.split(" at ", 1)[1].split()[0]


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fetch", description=__doc__.split("\n")[0])
    ap.add_argument("--site", type=Path, default=SITE_DIR, help="the replay's en.kremlin.ru")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    if not (args.site / "robots.txt").is_file():
        print(f"{args.site} is absent: nothing to measure (the replay lives in ../shared/site)")
        return 0
    proc, url = start_server(args.site)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            figures = measure(url, args.site, Path(tmp))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fetch.json").write_text(json.dumps(figures, indent=2))
    show(figures)
    return 0


def measure(url: str, site: Path, tmp: Path) -> dict:
    ids = sorted(p.name for p in (site / "events/president/news").iterdir() if p.name.isdigit())
    corpus = tmp / "corpus"

    def fetch_all():
        return run_fetch(
            FetchOptions(
                corpus=corpus, base_url=url, all_pages=True, delay=0, jitter=0, max_requests=10_000
            )
        )

    fsync_seconds = [0.0]
    real_fsync = os.fsync

    def timed_fsync(fd: int) -> None:  # how much of the wall time is the disk's
        t = time.perf_counter()
        real_fsync(fd)
        fsync_seconds[0] += time.perf_counter() - t

    os.fsync = timed_fsync
    try:
        report, wall, cpu = timed(fetch_all)
    finally:
        os.fsync = real_fsync
    assert len(report.new) == len(ids) and not report.failed, report

    def plain_gets():
        with requests.Session() as s:
            s.trust_env = False
            for i in ids:
                r = s.get(f"{url}/events/president/news/{i}", timeout=(10, 45))
                r.raise_for_status()

    _, peer_wall, peer_cpu = timed(plain_gets)

    # 50 new pages: forget the 50 newest (files and state rows), index the rest.
    db = sqlite3.connect(corpus / STATE_FILE)
    newest = [
        r[0] for r in db.execute("SELECT page_id FROM pages ORDER BY rowid LIMIT ?", (NEW_PAGES,))
    ]
    with db:
        db.executemany("DELETE FROM pages WHERE page_id = ?", [(i,) for i in newest])
    db.close()
    for i in newest:
        (corpus / f"{i}.html").unlink()
    index = tmp / "index"
    reindex([corpus], index, full=True, procs=1)

    def fetch_new():
        return run_fetch(FetchOptions(corpus=corpus, base_url=url, delay=0, jitter=0))

    new_report, fetch50_wall, fetch50_cpu = timed(fetch_new)
    assert sorted(new_report.new) == sorted(newest), new_report
    ix_report, reindex_wall, _ = timed(lambda: reindex([corpus], index, procs=1))
    assert ix_report.files_read == NEW_PAGES and not ix_report.full
    return {
        "pages": len(ids),
        "requests": report.requests,
        "full_fetch_s": round(wall, 2),
        "pages_per_s": round(len(ids) / wall, 1),
        "ms_per_page_wall": round(1000 * wall / len(ids), 2),
        "ms_per_page_cpu": round(1000 * cpu / len(ids), 2),
        "ms_per_page_fsync": round(1000 * fsync_seconds[0] / len(ids), 2),
        "peer_plain_gets_s": round(peer_wall, 2),
        "peer_pages_per_s": round(len(ids) / peer_wall, 1),
        "peer_ms_per_page_cpu": round(1000 * peer_cpu / len(ids), 2),
        "ours_over_peer_wall": round(wall / peer_wall, 2),
        "new_pages": NEW_PAGES,
        "fetch_new_requests": new_report.requests,
        "fetch_new_s": round(fetch50_wall, 2),
        "fetch_new_cpu_s": round(fetch50_cpu, 2),
        "reindex_new_s": round(reindex_wall, 2),
        "fetch_and_reindex_new_s": round(fetch50_wall + reindex_wall, 2),
        "politeness_floor_new_s": round(2.0 * (new_report.requests - 1), 1),
    }


def show(f: dict) -> None:
    print(
        f"Full fetch of the replay, --delay 0: {f['pages']} pages, {f['requests']} requests "
        f"in {f['full_fetch_s']} s = {f['pages_per_s']} pages/s "
        f"({f['ms_per_page_wall']} ms wall per page: {f['ms_per_page_cpu']} ms CPU, "
        f"{f['ms_per_page_fsync']} ms waiting for fsync)"
    )
    print(
        f"  peer, plain requests GETs of the same pages: {f['peer_pages_per_s']} pages/s "
        f"({f['peer_ms_per_page_cpu']} ms CPU per page); ours / peer wall time: "
        f"{f['ours_over_peer_wall']}x"
    )
    print(
        f"{f['new_pages']} new pages: fetch {f['fetch_new_s']} s ({f['fetch_new_requests']} "
        f"requests) + incremental reindex {f['reindex_new_s']} s = "
        f"{f['fetch_and_reindex_new_s']} s (at the default 2 s delay the waits alone would "
        f"be >= {f['politeness_floor_new_s']} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
