"""Our engine under test: builds in a child process, searches through ``search.engine``.

The build runs as ``bench.build_child`` so its peak memory (with the writer's forked
subprocesses) is its own and not the benchmark's; searching runs in this process,
through the same ``search()`` the site and CLI call, so every timed run does the
whole page: match, five facet counts, totals, ten grouped hits with snippets and the
spelling suggestion.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.runner import Page, results_page
from bench.stats import TreeRssSampler
from bench.workload import WorkQuery
from transcripts.search.engine import TranscriptIndex, search
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest

PROJECT_DIR = Path(__file__).resolve().parents[1]
TOO_COSTLY = "a* OR t* OR s* OR c* OR b* OR m* OR p* OR d*"


def build(corpus: Path, root: Path, full: bool, procs: int = 2) -> dict:
    """Reindex ``corpus`` into ``root`` in a child; its report, wall time and peak RSS."""
    cmd = [sys.executable, "-m", "bench.build_child", "--root", str(root),
           "--procs", str(procs), str(corpus)]
    if full:
        cmd.append("--full")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with TreeRssSampler(proc.pid) as sampler:
        out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"build child failed ({proc.returncode}): {err.strip()[-2000:]}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["process_wall_seconds"] = round(wall, 3)
    figures["peak_tree_rss_mb"] = round(sampler.peak / 2**20, 1)
    return figures


def edit_one_file(folder: Path) -> Path:
    """Change one transcript's text (a sentence added to its lead), as an editor would."""
    path = sorted(p for p in folder.iterdir() if p.suffix == ".txt")[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2] = lines[2].rstrip() + " The benchmark edited this lead."
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class Ours:
    name = "ours"

    def __init__(self, root: Path):
        self.root = root
        self.index = TranscriptIndex(root)

    def page(self, query: WorkQuery) -> Page:
        result = search(self.index, query.request())
        return results_page(result)

    def refusal_ms(self, runs: int = 5) -> float | None:
        """Median ms to refuse a query that would cost too much (eight one-letter
        prefixes ORed: hundreds of thousands of postings), message included; None when a
        small corpus makes it cheap enough to run."""
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            try:
                search(self.index, SearchRequest(q=TOO_COSTLY))
            except QueryError:
                times.append((time.perf_counter() - started) * 1000)
            else:
                return None
        return round(sorted(times)[len(times) // 2], 2)

    def cold(self, query: WorkQuery) -> float:
        """ms for a fresh TranscriptIndex's first search: opening the generation included."""
        started = time.perf_counter()
        search(TranscriptIndex(self.root), query.request())
        return (time.perf_counter() - started) * 1000
