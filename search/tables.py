"""Per-generation tables the analysis views share, and the one interval they all use.

Built from the document table on first use and kept on the ``Generation`` (see
``Generation.derived``), never per request: which month and year each document falls
in, who spoke it, and the span of dates the index covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from transcripts.search.engine import Generation

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


@dataclass
class AnalysisTables:
    month: np.ndarray  # per document: year * 12 + month - 1, -1 when undated
    speaker: np.ndarray  # per document: speaker value id (the speaker facet), -1 for none
    first_day: int  # the earliest and latest dated live document (days since 1970)
    last_day: int


def analysis_tables(gen: Generation) -> AnalysisTables:
    return gen.derived("analysis_tables", _build)


def _build(gen: Generation) -> AnalysisTables:
    table = gen.table
    days = table.day.astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64) + 1970 * 12  # months since year 0
    month = np.where(table.day > 0, months, -1).astype(np.int32)
    speaker = np.full(table.size, -1, dtype=np.int32)
    facet = table.facets["speaker"]
    speaker[facet.docs] = facet.vals
    dated = table.live & (table.day > 0)
    first = int(table.day[dated].min()) if dated.any() else 0
    last = int(table.day[dated].max()) if dated.any() else 0
    return AnalysisTables(month=month, speaker=speaker, first_day=first, last_day=last)


def value_of_doc(gen: Generation, facet: str) -> np.ndarray:
    """Per document: its value id in a one-value-a-document facet (speaker, party), -1
    for none; kept per generation."""
    if facet == "speaker":
        return analysis_tables(gen).speaker

    def build(g: Generation) -> np.ndarray:
        out = np.full(g.table.size, -1, dtype=np.int32)
        f = g.table.facets[facet]
        out[f.docs] = f.vals
        return out

    return gen.derived(f"value_of_doc:{facet}", build)


def wilson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of the proportion k / n (0..1); (0, 0) where n == 0.

    For a rate per words each word is a trial and a hit a success; for a share of
    transcripts each transcript is one. Wilson's interval stays inside 0..1 and is not
    zero-width at k == 0, which is what ranking by its lower bound needs.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    safe = np.where(n > 0, n, 1.0)
    p = np.clip(k / safe, 0.0, 1.0)
    z2 = Z95 * Z95
    denom = 1 + z2 / safe
    centre = (p + z2 / (2 * safe)) / denom
    half = Z95 * np.sqrt(p * (1 - p) / safe + z2 / (4 * safe * safe)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 0.0)
    low = np.where(k == 0, 0.0, low)  # exactly 0 when nothing was seen
    return low, high
