"""Showing the figures: terminal tables (rich), the JSON file and the latency chart."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.workload import CLASS_LABELS, CLASSES

ENGINES = ("ours", "fts5", "tantivy")

LEGEND = [
    ("apostrophes",
     "ours keeps an inner apostrophe inside a word (\"don't\" is one word) but splits off a "
     "possessive 's, as FTS5 (unicode61) and tantivy split at every apostrophe: a phrase "
     "with a contraction can differ, \"Security Council\" matches \"Security Council's\" in "
     "all three."),
    ("ranking",
     "ours ranks with BM25 computed over whole posting lists (numpy), FTS5 with bm25(), "
     "tantivy with its BM25: normalisations differ, so the ten transcripts on page 1 can "
     "differ for relevance sorts; only totals are compared. Date sorts agree up to ties on "
     "the same day."),
    ("stemming",
     "ours and tantivy stem with Snowball English (Porter2), FTS5 with the original Porter "
     "stemmer: a few words get different stems and so different matches."),
    ("prefixes",
     "ours expands prefix* to at most 200 words (the most frequent); FTS5 and tantivy "
     "expand without a cap. All three expand over words as written, not stems."),
    ("diacritics",
     "all three fold diacritics (Erdoğan = Erdogan): ours letter for letter, FTS5 with "
     "unicode61's remove_diacritics 2, tantivy with its ASCII folding filter. They differ "
     "on a few letters (FTS5 keeps ø and ł; tantivy folds ß to ss, æ to ae; ours keeps ß "
     "and æ); no workload query meets them."),
    ("prefix ranking",
     "tantivy scores regex (prefix*) matches with a constant, so its page 1 for prefix* "
     "is in index order: few transcripts shared with ours there."),
    ("extra work",
     "ours also computes a spelling suggestion when fewer than 5 utterances match; the peers "
     "do not (FTS5 and tantivy have no suggester)."),
]


def _ms(value) -> str:
    return "-" if value is None else (f"{value:.2f}" if value < 10 else f"{value:.1f}")


def _ratio(a, b) -> str:
    return "-" if not a or not b else f"{a / b:.1f}x"


def print_report(data: dict, console: Console | None = None) -> None:
    c = console or Console()
    m = data["machine"]
    c.rule("[bold]transcripts search benchmark")
    c.print(f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python "
            f"{m['python']}, SQLite {m['sqlite']}, tantivy {m['tantivy']}, "
            f"whoosh {m['whoosh']}")
    cfg = data["config"]
    load = data.get("load_average")
    if load:
        c.print(f"load average (1 min) at start {load['start']}, end {load['end']}: figures "
                "taken on a busy machine are slower than the machine can do")
    c.print(f"corpus: {cfg['corpus']} ({cfg['files']} files), queries: {cfg['queries']} "
            f"({cfg['n_queries']}), runs: {cfg['runs']}, scales: {cfg['scales']}")
    if not data["scales"]:
        return
    first = data["scales"][0]
    _print_build(c, first)
    _print_queries(c, first)
    _print_classes(c, first)
    _print_agreement(c, first)
    _print_targets(c, first)
    if first.get("site"):
        s = first["site"]
        verdict = "within" if s["rss_mb"] <= s["target_mb"] else "OVER"
        c.print(f"\nrunning site ({s['mode']}): RSS {s['rss_mb']} MB after the workload "
                f"({verdict} the {s['target_mb']} MB target)"
                + (f"; USS {s['uss_mb']} MB, shared {s['shared_mb']} MB, {s['threads']} threads"
                   if "uss_mb" in s else "")
                + (f"; after the first request {s['rss_after_first_request_mb']} MB; HTTP "
                   f"p50 {_ms(s['http_latency_ms']['p50'])} ms, p95 "
                   f"{_ms(s['http_latency_ms']['p95'])} ms over {s['requests']} requests"
                   if s["mode"] == "server" else f"; server failed: {s.get('server_error')}"))
        for e in s.get("errors", []):
            c.print(f"  [red]error[/red] {e}")
    if len(data["scales"]) > 1:
        _print_growth(c, data["scales"])
    c.print(f"\nJSON: {data['paths']['json']}   chart: {data['paths'].get('chart', '-')}")


def _print_build(c: Console, s: dict) -> None:
    c.print(f"\n[bold]Build[/bold] at x{s['scale']}: {s['files']} files, {s['text_mb']} MB of "
            f"text, {s['transcripts']} transcripts, {s['utterances']} utterances "
            f"(+1 page document each: {s['documents']} documents)")
    t = Table("engine", "build s", "utt/s", "docs/s", "text MB/s", "index MB", "index/text",
              "peak RSS MB")
    for name in ENGINES:
        e = s["engines"].get(name)
        if not e:
            continue
        b = e["build"]
        rss = f"{b['peak_tree_rss_mb']} (sum of processes)" if "peak_tree_rss_mb" in b else "-"
        t.add_row(name, f"{b['seconds']:.1f}", f"{b['utterances_per_s']:,.0f}",
                  f"{b['documents_per_s']:,.0f}", f"{b['text_mb_per_s']:.2f}",
                  f"{b['index_mb']}", f"{b['index_to_text']}", rss)
    c.print(t)
    o = s["engines"]["ours"]["build"]
    c.print(f"ours: writer {o['writer_seconds']} s, child process wall "
            f"{o['process_wall_seconds']} s (imports {o['import_seconds']} s); max RSS of the "
            f"build process {o['maxrss_self_mb']} MB, largest writer subprocess "
            f"{o['maxrss_largest_child_mb']} MB")
    parts = o.get("index_parts")
    if parts:
        c.print("ours, index by part: " + ", ".join(
            f"{name} {n / 2**20:.1f} MB ({n / s['text_bytes']:.2f}x text)"
            for name, n in sorted(parts.items(), key=lambda kv: -kv[1])))
    inc = s["engines"]["ours"].get("incremental")
    if inc:
        c.print(f"incremental reindex after editing {inc['edited_file']}: {inc['seconds']:.2f} s "
                f"({inc['files_read']} file read, {inc['transcripts_indexed']} transcript "
                f"rewritten; child wall {inc['process_wall_seconds']} s)")


def _print_queries(c: Console, s: dict) -> None:
    t = Table("query", "class", "ours p50", "p95", "max", "fts5 p50", "tantivy p50",
              title=f"Per query, ms (a whole results page; {s['runs']} warm runs each)")
    engines = s["engines"]
    for i, row in enumerate(engines["ours"]["queries"]):
        peers = [engines[n]["queries"][i] for n in ("fts5", "tantivy") if n in engines]
        t.add_row(row["q"][:60], row["class"], _ms(row["p50"]), _ms(row["p95"]), _ms(row["max"]),
                  *(_ms(p["p50"]) if not p["error"] else "[red]err[/red]" for p in peers))
    c.print(t)


def _print_classes(c: Console, s: dict) -> None:
    engines = s["engines"]
    names = [n for n in ENGINES if n in engines]
    t = Table("class", "n", *(f"{n} p50/p95" for n in names),
              *(f"ours/{n} p50" for n in names[1:]), title="Per class, ms")
    counts: dict[str, int] = {}
    for row in engines["ours"]["queries"]:
        counts[row["class"]] = counts.get(row["class"], 0) + 1
    for cls in [*CLASSES, "overall"]:
        stats = [engines[n]["overall"] if cls == "overall" else engines[n]["classes"].get(cls)
                 for n in names]
        if stats[0] is None:
            continue
        cells = [f"{_ms(x['p50'])} / {_ms(x['p95'])}" if x else "-" for x in stats]
        ratios = [_ratio(stats[0]["p50"], x["p50"] if x else None) for x in stats[1:]]
        label = "[bold]overall[/bold]" if cls == "overall" else CLASS_LABELS[cls]
        n = sum(counts.values()) if cls == "overall" else counts.get(cls, 0)
        t.add_row(label, str(n), *cells, *ratios)
    t.add_row("cold first query", "1",
              *(f"{_ms(engines[n]['cold_ms'])}" for n in names), *("" for _ in names[1:]))
    c.print(t)


def targets(s: dict) -> list[tuple[str, str, str, bool | None]]:
    """Issue 11's targets at one scale: (what, ours, the bound and the peers, met?)."""
    e = s["engines"]
    o = e["ours"]
    fts = e.get("fts5")
    tv = e.get("tantivy")
    rows: list[tuple[str, str, str, bool | None]] = []
    if fts:
        ratios = {cls: o["classes"][cls]["p50"] / fts["classes"][cls]["p50"]
                  for cls in o["classes"] if cls in fts["classes"] and fts["classes"][cls]["p50"]}
        worst = max(ratios, key=ratios.get) if ratios else None
        if worst:
            rows.append(("every class p50 <= 1.0x FTS5", f"worst {CLASS_LABELS[worst]} "
                         f"{ratios[worst]:.2f}x", "<= 1.0x", ratios[worst] <= 1.0))
        rows.append(("p95 of all <= FTS5's p95", f"{_ms(o['overall']['p95'])} ms",
                     f"FTS5 {_ms(fts['overall']['p95'])} ms, tantivy "
                     f"{_ms(tv['overall']['p95']) if tv else '-'} ms",
                     o["overall"]["p95"] <= fts["overall"]["p95"]))
    rows.append(("first search in-process (open + search)", f"{_ms(o['cold_ms'])} ms",
                 f"<= 50 ms (FTS5 {_ms(fts['cold_ms']) if fts else '-'}, tantivy "
                 f"{_ms(tv['cold_ms']) if tv else '-'})", o["cold_ms"] <= 50))
    site = s.get("site") or {}
    if "first_search_http_ms" in site:
        rows.append(("first search over HTTP after start", f"{site['first_search_http_ms']} ms",
                     "<= 150 ms", site["first_search_http_ms"] <= 150))
    b = o["build"]
    rows.append(("index size / text", f"{b['index_to_text']}x",
                 f"<= 2.0x (FTS5 {fts['build']['index_to_text'] if fts else '-'}x, tantivy "
                 f"{tv['build']['index_to_text'] if tv else '-'}x)", b["index_to_text"] <= 2.0))
    rows.append(("full reindex, 2 processes", f"{b['seconds']:.1f} s",
                 f"<= 12 s (FTS5 {fts['build']['seconds'] if fts else '-'} s)",
                 b["seconds"] <= 12))
    if o.get("refusal_ms") is not None:
        rows.append(("refusing a too-costly query", f"{_ms(o['refusal_ms'])} ms", "<= 50 ms",
                     o["refusal_ms"] <= 50))
    if "rss_mb" in site:
        rows.append(("running site RSS after the workload", f"{site['rss_mb']} MB",
                     "<= 500 MB", site["rss_mb"] <= 500))
    return rows


def _print_targets(c: Console, s: dict) -> None:
    t = Table("target", "ours", "bound (peers)", "met", title=f"Issue 11 targets at x{s['scale']}"
              " (load average " + f"{s.get('load_average_start', '-')}→"
              f"{s.get('load_average_end', '-')})")
    for what, ours_value, bound, met in targets(s):
        t.add_row(what, ours_value, bound, "-" if met is None else ("yes" if met else
                                                                   "[red]no[/red]"))
    c.print(t)


def _print_agreement(c: Console, s: dict) -> None:
    rows = s["agreement"]
    differ = [r for r in rows if r.get("fts5_diff") or r.get("tantivy_diff")]
    c.print(f"\n[bold]Hit totals[/bold]: {len(rows) - len(differ)} of {len(rows)} queries "
            "agree exactly across ours, FTS5 and tantivy.")
    t = Table("query", "ours", "fts5", "Δ fts5", "tantivy", "Δ tantivy", "top-10 shared f/t",
              title="Totals (matching documents) per query")
    for r in rows:
        def d(v):
            return "-" if v is None else ("0" if v == 0 else f"[yellow]{v:+d}[/yellow]")
        t.add_row(r["q"][:55], str(r["ours"]), str(r.get("fts5", "-")), d(r.get("fts5_diff")),
                  str(r.get("tantivy", "-")), d(r.get("tantivy_diff")),
                  f"{r.get('fts5_top_overlap', '-')}/{r.get('tantivy_top_overlap', '-')}")
    c.print(t)
    check = s.get("corpus_check")
    if check and not check["agree"]:
        c.print(f"[red]speaker values differ between our index and the peers' input:[/red] "
                f"{check['differing']}")
    c.print("[bold]Why totals can differ[/bold]:")
    for key, text in LEGEND:
        c.print(f"  [cyan]{key}[/cyan]: {text}")


def _print_growth(c: Console, scales: list[dict]) -> None:
    names = [n for n in ENGINES if n in scales[0]["engines"]]
    t = Table("scale", "transcripts", "documents", "text MB", "ours build s", "ours index MB",
              *(f"{n} p50/p95" for n in names), "ours cold ms", "site RSS MB",
              "first HTTP ms", "load avg",
              title="Growth: cost against corpus size (ms per page unless noted)")
    for s in scales:
        e = s["engines"]
        t.add_row(f"x{s['scale']} ({s['runs']} runs)", f"{s['transcripts']:,}",
                  f"{s['documents']:,}", str(s["text_mb"]), f"{e['ours']['build']['seconds']:.1f}",
                  str(e["ours"]["build"]["index_mb"]),
                  *(f"{_ms(e[n]['overall']['p50'])} / {_ms(e[n]['overall']['p95'])}"
                    if n in e else "-" for n in names),
                  _ms(e["ours"]["cold_ms"]),
                  str((s.get("site") or {}).get("rss_mb", "-")),
                  str((s.get("site") or {}).get("first_search_http_ms", "-")),
                  f"{s.get('load_average_start', '-')}→{s.get('load_average_end', '-')}")
    c.print(t)


def write_json(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False))


def chart(scales: list[dict], path: Path) -> Path:
    """p50 (solid) and p95 (dashed) per engine against documents indexed, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    colors = {"ours": "tab:blue", "fts5": "tab:orange", "tantivy": "tab:green"}
    xs = [s["documents"] for s in scales]
    for name in ENGINES:
        if not all(name in s["engines"] for s in scales):
            continue
        for key, style in (("p50", "-o"), ("p95", "--s")):
            ys = [s["engines"][name]["overall"][key] for s in scales]
            ax.plot(xs, ys, style, color=colors[name], label=f"{name} {key}")
    ax.set_yscale("log")
    ax.set_xlabel("documents indexed (utterances + one page document per transcript)")
    ax.set_ylabel("ms per results page (log scale)")
    ax.set_title("Search latency vs corpus size (whole workload)")
    ax.set_xticks(xs, [f"{x:,}\n(x{s['scale']})" for x, s in zip(xs, scales, strict=True)])
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
