"""Running the workload against any engine the same way, so the figures compare.

Each query is run once untimed (it warms caches and gives the totals that are checked
across engines), then ``runs`` times timed; every run does a whole results page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bench.stats import summary
from bench.workload import CLASSES, WorkQuery


@dataclass
class Page:
    """What a results page found: enough to check that engines agree."""

    total: int  # matching documents (utterances + page documents)
    total_transcripts: int
    top: list[str] = field(default_factory=list)  # transcript ids shown, in order
    facet_values: int = 0  # facet values counted, all five facets
    error: str = ""


class Engine(Protocol):
    name: str

    def page(self, query: WorkQuery) -> Page: ...


def measure(engine: Engine, queries: list[WorkQuery], runs: int,
            progress: Callable[[str], None] | None = None) -> dict:
    """Per-query and per-class latency summaries, plus each query's totals."""
    rows = []
    by_class: dict[str, list[float]] = {}
    every: list[float] = []
    for i, query in enumerate(queries):
        try:
            first = engine.page(query)
        except Exception as exc:  # a peer that cannot run a query is reported, not fatal
            first = Page(-1, -1, error=f"{type(exc).__name__}: {exc}")
        samples: list[float] = []
        if not first.error:
            for _ in range(runs):
                started = time.perf_counter()
                engine.page(query)
                samples.append((time.perf_counter() - started) * 1000)
        rows.append({
            "q": query.label, "class": query.cls, "total": first.total,
            "total_transcripts": first.total_transcripts, "top": first.top,
            "facet_values": first.facet_values, "error": first.error, **summary(samples),
        })
        by_class.setdefault(query.cls, []).extend(samples)
        every.extend(samples)
        if progress:
            progress(f"{engine.name}: {i + 1}/{len(queries)} {query.label}")
    classes = {c: summary(by_class[c]) for c in CLASSES if by_class.get(c)}
    return {"queries": rows, "classes": classes, "overall": summary(every), "runs": runs}
