"""Running the workload against any engine the same way, so the figures compare.

Each query is run once untimed by every engine (it warms caches and gives the totals
that are checked across engines), then ``runs`` times timed, the engines taking turns;
every run does a whole results page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bench.stats import summary
from bench.workload import CLASSES, WorkQuery
from transcripts.search.results import SearchResult


@dataclass
class Page:
    """What a results page found: enough to check that engines agree."""

    total: int  # matching documents (utterances + page documents)
    total_transcripts: int
    top: list[str] = field(default_factory=list)  # transcript ids shown, in order
    facet_values: int = 0  # facet values counted, all five facets
    error: str = ""


def results_page(result: SearchResult) -> Page:
    """What our engine's page found (embedded or on OpenSearch: the same record)."""
    return Page(
        total=result.total,
        total_transcripts=result.total_transcripts,
        top=[t.id for t in result.transcripts],
        facet_values=sum(len(v) for v in result.facets.values()),
    )


class Engine(Protocol):
    name: str

    def page(self, query: WorkQuery) -> Page: ...


def measure(engines: list[Engine], queries: list[WorkQuery], runs: int,
            progress: Callable[[str], None] | None = None) -> dict[str, dict]:
    """Per engine: per-query and per-class latency summaries, plus each query's totals.

    The engines take turns, run by run, on each query: a shared machine's speed drifts
    (this one's halved and recovered within minutes), and engines measured one after
    the other would each get a different machine.
    """
    rows: dict[str, list[dict]] = {e.name: [] for e in engines}
    by_class: dict[str, dict[str, list[float]]] = {e.name: {} for e in engines}
    every: dict[str, list[float]] = {e.name: [] for e in engines}
    for i, query in enumerate(queries):
        firsts, samples = {}, {e.name: [] for e in engines}
        for engine in engines:
            try:
                firsts[engine.name] = engine.page(query)
            except Exception as exc:  # a peer that cannot run a query is reported, not fatal
                firsts[engine.name] = Page(-1, -1, error=f"{type(exc).__name__}: {exc}")
        running = [e for e in engines if not firsts[e.name].error]
        for _ in range(runs):
            for engine in running:
                started = time.perf_counter()
                engine.page(query)
                samples[engine.name].append((time.perf_counter() - started) * 1000)
        for engine in engines:
            first = firsts[engine.name]
            rows[engine.name].append({
                "q": query.label, "class": query.cls, "total": first.total,
                "total_transcripts": first.total_transcripts, "top": first.top,
                "facet_values": first.facet_values, "error": first.error,
                **summary(samples[engine.name]),
            })
            by_class[engine.name].setdefault(query.cls, []).extend(samples[engine.name])
            every[engine.name].extend(samples[engine.name])
        if progress:
            progress(f"{'/'.join(e.name for e in engines)}: {i + 1}/{len(queries)} {query.label}")
    return {
        e.name: {
            "queries": rows[e.name],
            "classes": {c: summary(v) for c in CLASSES if (v := by_class[e.name].get(c))},
            "overall": summary(every[e.name]),
            "runs": runs,
        }
        for e in engines
    }
