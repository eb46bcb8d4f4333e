"""Charts as plain SVG drawn on the server: no script, nothing to load, works under the CSP.

Each chart is drawn twice, wide for desktops and narrow for phones (the stylesheet shows
one), so its text stays readable at either width instead of being scaled down. Colours
and dash patterns come from the stylesheet via classes (``series-0`` ...), so a series
is told apart without colour too; the numbers are always in a table beside the chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

SIZES = {"wide": (760, 300), "narrow": (360, 300)}
MARGIN = {"left": 64, "right": 14, "top": 16, "bottom": 50}


@dataclass
class Line:
    name: str
    values: list[float | None]  # one per x label; None: no data (a gap)
    lows: list[float | None]
    highs: list[float | None]
    faint: list[bool]  # drawn hollow (a sparse bucket)


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.1f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def _frame(
    size: str, title: str, desc: str, chart_id: str, labels: list[str], ticks: list[float],
    y_label: str,
) -> tuple[list[str], Callable[[int], float], Callable[[float], float], float]:
    width, height = SIZES[size]
    left, right, top, bottom = MARGIN["left"], MARGIN["right"], MARGIN["top"], MARGIN["bottom"]
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    step = plot_w / n
    y_max = ticks[-1] or 1.0

    def x(i: int) -> float:
        return left + step * (i + 0.5)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    uid = f"{chart_id}-{size}"
    parts = [
        f'<svg class="chart chart-{size}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
    ]
    for t in ticks:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" '
                     f'y1="{y(t):.1f}" y2="{y(t):.1f}"/>')
        parts.append(f'<text class="tick tick-y" x="{left - 6}" y="{y(t) + 4:.1f}" '
                     f'text-anchor="end">{_fmt(t)}</text>')
    parts.append(f'<text class="axis-label" x="12" y="{top + plot_h / 2:.1f}" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.1f})" '
                 f'text-anchor="middle">{escape(y_label)}</text>')
    every = max(1, math.ceil(n / (12 if size == "wide" else 5)))
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(f'<text class="tick tick-x" x="{x(i):.1f}" y="{top + plot_h + 18}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{width - right}" '
                 f'y1="{top + plot_h}" y2="{top + plot_h}"/>')
    return parts, x, y, step


def line_chart(chart_id: str, title: str, desc: str, labels: list[str], lines: list[Line],
               y_label: str) -> Markup:
    """Lines with a point per bucket and a whisker for its 95 % interval."""
    # The scale follows the values and the intervals of buckets with enough text; the
    # very wide interval of a nearly empty bucket is cut at the top instead.
    tops = [v for ln in lines for v in ln.values if v is not None]
    tops += [h for ln in lines for h, f in zip(ln.highs, ln.faint, strict=True)
             if h is not None and not f]
    ticks = nice_ticks(max(tops or [0]))
    ceiling = ticks[-1]
    out = []
    for size in SIZES:
        parts, x, y, _ = _frame(size, title, desc, chart_id, labels, ticks, y_label)
        for k, ln in enumerate(lines):
            cls = f"series series-{k}"
            run: list[str] = []
            for i, v in enumerate(ln.values):
                if v is None:
                    if len(run) > 1:
                        parts.append(f'<polyline class="{cls} line" points="{" ".join(run)}"/>')
                    run = []
                    continue
                run.append(f"{x(i):.1f},{y(v):.1f}")
            if len(run) > 1:
                parts.append(f'<polyline class="{cls} line" points="{" ".join(run)}"/>')
            for i, v in enumerate(ln.values):
                if v is None:
                    continue
                lo, hi = ln.lows[i], ln.highs[i]
                if lo is not None and hi is not None and hi > lo:
                    hi = min(hi, ceiling)
                    parts.append(f'<line class="{cls} whisker" x1="{x(i):.1f}" x2="{x(i):.1f}" '
                                 f'y1="{y(lo):.1f}" y2="{y(hi):.1f}"/>')
                hollow = " hollow" if ln.faint[i] else ""
                parts.append(f'<circle class="{cls} point{hollow}" cx="{x(i):.1f}" '
                             f'cy="{y(v):.1f}" r="3.5"/>')
        parts.append("</svg>")
        out.append("".join(parts))
    return Markup("".join(out))  # every text above is escaped


def bar_chart(chart_id: str, title: str, desc: str, labels: list[str], values: list[float],
              y_label: str) -> Markup:
    ticks = nice_ticks(max(values or [0]))
    out = []
    for size in SIZES:
        parts, x, y, step = _frame(size, title, desc, chart_id, labels, ticks, y_label)
        bar = max(2.0, step * 0.7)
        for i, v in enumerate(values):
            if v > 0:
                parts.append(f'<rect class="bar" x="{x(i) - bar / 2:.1f}" y="{y(v):.1f}" '
                             f'width="{bar:.1f}" height="{y(0) - y(v):.1f}"/>')
        parts.append("</svg>")
        out.append("".join(parts))
    return Markup("".join(out))
