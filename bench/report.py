"""Showing the figures: terminal tables (rich), the JSON file and the latency chart."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.workload import CLASS_LABELS, CLASSES

ENGINES = ("ours", "fts5", "tantivy", "opensearch")
PEERS = ENGINES[1:]

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
     "ours also computes a spelling suggestion when fewer than 5 utterances match; FTS5 and "
     "tantivy do not (no suggester); OpenSearch does, as ours (our backend's own)."),
    ("opensearch",
     "OpenSearch runs this project's OpenSearch backend (index.opensearch.writer, "
     "search.opensearch_engine): words analysed in Python as ours, the same query parser, "
     "so its totals must equal ours exactly (any difference is a bug). It ranks by BM25 of "
     "each transcript's best passage, so page 1 of a relevance sort can differ. Transcript "
     "totals come from a cardinality aggregation, exact up to 40,000 transcripts."),
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
            f"whoosh {m['whoosh']}, OpenSearch {m.get('opensearch', '-')} (opensearch-py "
            f"{m.get('opensearch_py', '-')})")
    cfg = data["config"]
    load = data.get("load_average")
    if load:
        c.print(f"load average (1 min) at start {load['start']}, end {load['end']}: figures "
                "taken on a busy machine are slower than the machine can do")
    c.print(f"corpus: {cfg['corpus']} ({cfg['files']} files), queries: {cfg['queries']} "
            f"({cfg['n_queries']}), runs: {cfg['runs']}, scales: {cfg['scales']}")
    _print_opensearch_config(c, cfg.get("opensearch"))
    if not data["scales"]:
        return
    first = data["scales"][0]
    _print_build(c, first)
    _print_queries(c, first)
    _print_classes(c, first)
    _print_ahead(c, first)
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


def _print_opensearch_config(c: Console, cfg: dict | None) -> None:
    if not cfg:
        return
    if cfg.get("skipped") is not None:
        c.print(f"OpenSearch: skipped: {cfg['skipped']}")
        return
    where = (f"one node started by the run (heap {cfg['heap_mb']} MB, up in "
             f"{cfg.get('start_seconds', '-')} s)" if cfg.get("started_by_bench")
             else f"the cluster at {cfg.get('url')}")
    c.print(f"OpenSearch: {where}, on the same machine; measured at scales {cfg.get('scales')}")


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
        if b.get("node_rss_mb"):
            rss = f"{b['node_rss_mb']} (node after build)"
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
    _print_opensearch_build(c, s)
    inc = s["engines"]["ours"].get("incremental")
    if inc:
        c.print(f"incremental reindex after editing {inc['edited_file']}: {inc['seconds']:.2f} s "
                f"({inc['files_read']} file read, {inc['transcripts_indexed']} transcript "
                f"rewritten; child wall {inc['process_wall_seconds']} s)")


def _print_opensearch_build(c: Console, s: dict) -> None:
    e = s["engines"].get("opensearch")
    if not e:
        if s.get("opensearch_skipped"):
            c.print(f"opensearch: skipped at x{s['scale']}: {s['opensearch_skipped']}")
        return
    b = e["build"]
    parts = b.get("index_parts", {})
    segs = b.get("segments", {})
    c.print(f"opensearch: reindex {b['seconds']:.1f} s = read {b['read_seconds']:.1f} s + analyse "
            f"in Python and bulk {b['bulk_seconds']:.1f} s + refresh and alias "
            f"{b['refresh_seconds']:.1f} s (merges settled {b['merge_wait_seconds']} s later); "
            f"store (primaries, no forcemerge) main {parts.get('main', 0) / 2**20:.1f} MB in "
            f"{segs.get('main', '-')} segments + vocabulary "
            f"{parts.get('vocabulary', 0) / 2**20:.1f} MB")
    w = e.get("warmup")
    if w:
        c.print(f"opensearch: warmed with {w['passes']} untimed workload passes ({w['seconds']} s;"
                f" ms per pass {', '.join(f'{x:.0f}' for x in w['pass_ms'])})")
    a = e.get("anatomy")
    if a:
        c.print(f"opensearch: a page sends {a['requests_per_page']} requests on average (at most "
                f"{a['requests_max']}: " + ", ".join(f"{k} {v}" for k, v in sorted(
                    a["endpoints"].items(), key=lambda kv: -kv[1])) + f" over the workload); "
                f"the node's own time (took) p50 {_ms(a['node_took_ms']['p50'])} ms of a page's "
                f"{_ms(a['wall_ms']['p50'])} ms (one pass after the timed runs)")
    fm = e.get("forcemerged")
    if fm:
        c.print(f"opensearch: after _forcemerge to one segment (after the searches; "
                f"{fm['seconds']} s) {fm['index_bytes'] / 2**20:.1f} MB "
                f"({fm['index_bytes'] / s['text_bytes']:.2f}x text); node RSS after the "
                f"searches {e.get('node_rss_mb_after_search') or '-'} MB")


def _print_queries(c: Console, s: dict) -> None:
    engines = s["engines"]
    names = [n for n in PEERS if n in engines]
    t = Table("query", "class", "ours p50", "p95", "max", *(f"{n} p50" for n in names),
              title=f"Per query, ms (a whole results page; {s['runs']} warm runs each)")
    for i, row in enumerate(engines["ours"]["queries"]):
        peers = [engines[n]["queries"][i] for n in names]
        t.add_row(row["q"][:60], row["class"], _ms(row["p50"]), _ms(row["p95"]), _ms(row["max"]),
                  *(_ms(p["p50"]) if not p["error"] else "[red]err[/red]" for p in peers))
    c.print(t)


def _print_classes(c: Console, s: dict) -> None:
    engines = s["engines"]
    names = [n for n in ENGINES if n in engines]
    # Ours over each embedded peer; OpenSearch gets a table of its own (_print_ahead).
    rated = [n for n in names[1:] if n != "opensearch"]
    t = Table("class", "n", *(f"{n} p50/p95" for n in names),
              *(f"ours/{n} p50" for n in rated), title="Per class, ms")
    counts: dict[str, int] = {}
    for row in engines["ours"]["queries"]:
        counts[row["class"]] = counts.get(row["class"], 0) + 1
    for cls in [*CLASSES, "overall"]:
        stats = [engines[n]["overall"] if cls == "overall" else engines[n]["classes"].get(cls)
                 for n in names]
        if stats[0] is None:
            continue
        cells = [f"{_ms(x['p50'])} / {_ms(x['p95'])}" if x else "-" for x in stats]
        ratios = [_ratio(stats[0]["p50"], x["p50"] if x else None)
                  for n, x in zip(names, stats, strict=True) if n in rated]
        label = "[bold]overall[/bold]" if cls == "overall" else CLASS_LABELS[cls]
        n = sum(counts.values()) if cls == "overall" else counts.get(cls, 0)
        t.add_row(label, str(n), *cells, *ratios)
    t.add_row("cold first query", "1",
              *(f"{_ms(engines[n]['cold_ms'])}" for n in names), *("" for _ in rated))
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


def _print_ahead(c: Console, s: dict) -> None:
    """How far ahead ours is of OpenSearch, per class: OpenSearch's time over ours."""
    engines = s["engines"]
    os_, o = engines.get("opensearch"), engines["ours"]
    if not os_ or "classes" not in os_:
        return
    t = Table("class", "opensearch ÷ ours p50", "p95",
              title="Ours ahead of OpenSearch (one node, same machine): times slower")
    for cls in [*CLASSES, "overall"]:
        a = o["overall"] if cls == "overall" else o["classes"].get(cls)
        b = os_["overall"] if cls == "overall" else os_["classes"].get(cls)
        if not a or not b:
            continue
        label = "[bold]overall[/bold]" if cls == "overall" else CLASS_LABELS[cls]
        t.add_row(label, _ratio(b["p50"], a["p50"]), _ratio(b["p95"], a["p95"]))
    t.add_row("cold first query", _ratio(os_["cold_ms"], o["cold_ms"]), "")
    c.print(t)


def _print_agreement(c: Console, s: dict) -> None:
    rows = s["agreement"]
    names = [n for n in PEERS if n in rows[0]] if rows else []
    differ = [r for r in rows if any(r.get(f"{n}_diff") for n in names)]
    c.print(f"\n[bold]Hit totals[/bold]: {len(rows) - len(differ)} of {len(rows)} queries "
            f"agree exactly across ours, {', '.join(names) or 'no peer'}.")
    if "opensearch" in names:
        os_differ = [r for r in rows if r.get("opensearch_diff") != 0
                     or r.get("opensearch_transcripts") != r["ours_transcripts"]]
        c.print("OpenSearch (our backend, which must equal ours): " + (
            "every total and transcript total equal" if not os_differ else
            f"[red]{len(os_differ)} queries differ[/red]: "
            + "; ".join(r["q"][:40] for r in os_differ[:5])))
    t = Table("query", "ours", *(x for n in names for x in (n, f"Δ {n}")),
              f"top-10 shared {'/'.join(n[0] for n in names)}",
              title="Totals (matching documents) per query")
    for r in rows:
        def d(v):
            return "-" if v is None else ("0" if v == 0 else f"[yellow]{v:+d}[/yellow]")
        t.add_row(r["q"][:55], str(r["ours"]),
                  *(x for n in names for x in (str(r.get(n, "-")), d(r.get(f"{n}_diff")))),
                  "/".join(str(r.get(f"{n}_top_overlap", "-")) for n in names))
    c.print(t)
    check = s.get("corpus_check")
    if check and not check["agree"]:
        c.print(f"[red]speaker values differ between our index and the peers' input:[/red] "
                f"{check['differing']}")
    c.print("[bold]Why totals can differ[/bold]:")
    for key, text in LEGEND:
        c.print(f"  [cyan]{key}[/cyan]: {text}")


def _print_growth(c: Console, scales: list[dict]) -> None:
    names = [n for n in ENGINES if any(n in s["engines"] for s in scales)]
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
                    if "overall" in e.get(n, {}) else "-" for n in names),
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
    colors = {"ours": "tab:blue", "fts5": "tab:orange", "tantivy": "tab:green",
              "opensearch": "tab:red"}
    xs = [s["documents"] for s in scales]
    for name in ENGINES:  # an engine measured at some scales only is drawn at those
        at = [s for s in scales if "overall" in s["engines"].get(name, {})]
        if not at:
            continue
        for key, style in (("p50", "-o"), ("p95", "--s")):
            ys = [s["engines"][name]["overall"][key] for s in at]
            ax.plot([s["documents"] for s in at], ys, style, color=colors[name],
                    label=f"{name} {key}")
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
