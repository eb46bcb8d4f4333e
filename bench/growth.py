"""One corpus size end to end: copy, build every engine, run the workload, check totals.

``python -m bench`` runs this at each scale (1x, 2x, 4x ...). The first scale also
times an incremental reindex and, when asked, the running site's memory, so the
detailed figures and the growth curve come from the very same builds.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench import corpus as corpus_mod
from bench import fts5, opensearch_peer, ours, site, tantivy_peer
from bench.runner import measure
from bench.workload import WorkQuery, refine

Say = Callable[[str], None]
PEERS = ("fts5", "tantivy", "opensearch")


def _rate(n: float, seconds: float) -> float:
    return round(n / seconds, 1) if seconds else 0.0


def _build_rates(fig: dict, utterances: int, documents: int, text_bytes: int) -> dict:
    s = fig["seconds"]
    fig.update(
        utterances_per_s=_rate(utterances, s),
        documents_per_s=_rate(documents, s),
        text_mb_per_s=round(text_bytes / 2**20 / s, 2) if s else 0.0,
        index_mb=round(fig["index_bytes"] / 2**20, 1),
        index_to_text=round(fig["index_bytes"] / text_bytes, 2) if text_bytes else None,
    )
    return fig


def _speaker_check(engine: ours.Ours, corpus: corpus_mod.Corpus) -> dict:
    """Do the peers get the speakers our index holds? (The canonical spelling of a name
    has depended on hash order before; see the report.)"""
    table = engine.index.current().table
    facet = table.facets["speaker"]
    ours_counts = {v: int(facet.starts[i + 1] - facet.starts[i])
                   for i, v in enumerate(facet.values)}
    peer_counts = Counter(d.speaker for d in corpus.docs if d.speaker)
    differing = sorted(v for v in set(ours_counts) | set(peer_counts)
                       if ours_counts.get(v, 0) != peer_counts.get(v, 0))
    return {"speaker_values_ours": len(ours_counts), "speaker_values_peers": len(peer_counts),
            "differing": differing[:10], "agree": not differing}


def run_scale(scale: int, files: list[Path], queries: list[WorkQuery], runs: int, tmp: Path,
              *, first: bool, peers: bool, site_runs: int, queries_file: Path, procs: int,
              say: Say, opensearch: opensearch_peer.Node | None = None,
              ) -> tuple[dict, list[WorkQuery]]:
    """``opensearch``: the node to build and search on as a fourth engine (None: not at
    this scale; a node that cannot start is reported in ``opensearch_skipped``)."""
    # Other work on the machine skews timings; the load average is kept to show it.
    out: dict = {"scale": scale, "runs": runs, "load_average_start": round(os.getloadavg()[0], 2)}
    folder = tmp / f"corpus-x{scale}"
    say(f"x{scale}: writing {len(files) * scale:,} files")
    text_bytes = corpus_mod.materialize(files, folder, scale)
    out.update(files=len(files) * scale, text_bytes=text_bytes,
               text_mb=round(text_bytes / 2**20, 1))

    root = tmp / f"ours-x{scale}"
    say(f"x{scale}: full reindex (ours, procs={procs})")
    build = ours.build(folder, root, full=True, procs=procs)
    out.update(transcripts=build["transcripts_total"], utterances=build["utterances_indexed"],
               documents=build["utterances_indexed"] + build["transcripts_indexed"])
    engines: dict[str, dict] = {"ours": {"build": _build_rates(
        build, out["utterances"], out["documents"], text_bytes)}}
    if first:
        say(f"x{scale}: incremental reindex after editing one file")
        edited = ours.edit_one_file(folder)
        inc = ours.build(folder, root, full=False, procs=procs)
        inc["edited_file"] = edited.name
        engines["ours"]["incremental"] = inc

    say(f"x{scale}: reading the corpus for the peers")
    started = time.perf_counter()
    corpus = corpus_mod.read_corpus(folder)
    out["peer_read_seconds"] = round(time.perf_counter() - started, 2)

    engine = ours.Ours(root)
    queries = [refine(q, engine.page(q).total) for q in queries]
    if first:
        out["corpus_check"] = _speaker_check(engine, corpus)
    engines["ours"]["cold_ms"] = round(ours.Ours(root).cold(queries[0]), 2)
    searched = [engine]
    if peers:
        db = tmp / f"fts5-x{scale}.db"
        say(f"x{scale}: building SQLite FTS5")
        engines["fts5"] = {"build": _build_rates(
            fts5.build(corpus, db), out["utterances"], out["documents"], text_bytes)}
        engines["fts5"]["cold_ms"] = round(fts5.Fts5.cold(db, queries[0]), 2)
        tv = tmp / f"tantivy-x{scale}"
        say(f"x{scale}: building tantivy")
        engines["tantivy"] = {"build": _build_rates(
            tantivy_peer.build(corpus, tv, threads=procs), out["utterances"], out["documents"],
            text_bytes)}
        engines["tantivy"]["cold_ms"] = round(tantivy_peer.Tantivy.cold(tv, queries[0]), 2)
        searched += [fts5.Fts5(db), tantivy_peer.Tantivy(tv)]
    os_built = _build_opensearch(opensearch, scale, folder, queries[0], engines, out,
                                 text_bytes, say) if peers and opensearch else None
    if os_built:
        searched.append(opensearch_peer.OpenSearch(os_built[0]))
        say(f"x{scale}: warming OpenSearch ({opensearch.warm_passes} untimed workload passes)")
        engines["opensearch"]["warmup"] = opensearch_peer.warm(searched[-1], queries,
                                                               opensearch.warm_passes)
    say(f"x{scale}: searching ({', '.join(e.name for e in searched)} in turn, {runs} runs)")
    try:
        for name, figures in measure(searched, queries, runs, say).items():
            engines[name].update(figures)
        if os_built:
            engines["opensearch"]["anatomy"] = opensearch_peer.anatomy(searched[-1], queries)
            searched[-1].close()
            settings, url = os_built
            generation = engines["opensearch"]["build"]["generation"]
            engines["opensearch"]["node_rss_mb_after_search"] = opensearch.rss_mb()
            say(f"x{scale}: OpenSearch _forcemerge to one segment (size for reference)")
            engines["opensearch"]["forcemerged"] = opensearch_peer.forcemerged(
                url, settings.alias, generation)
    finally:
        if os_built:
            opensearch_peer.drop(os_built[1], os_built[0].alias,
                                 engines["opensearch"]["build"]["generation"])
    engines["ours"]["refusal_ms"] = engine.refusal_ms()
    out["engines"] = engines
    out["agreement"] = agreement(engines)

    if site_runs:  # every scale: the site's memory and first search as the corpus grows
        say(f"x{scale}: running-site memory (serve + /api/search x{site_runs})")
        out["site"] = site.measure(root, queries, queries_file, site_runs)

    out["load_average_end"] = round(os.getloadavg()[0], 2)
    del engine, corpus
    for path in (folder, root, tmp / f"tantivy-x{scale}"):
        shutil.rmtree(path, ignore_errors=True)
    (tmp / f"fts5-x{scale}.db").unlink(missing_ok=True)
    return out, queries


def _build_opensearch(node: opensearch_peer.Node, scale: int, folder: Path, first_query,
                      engines: dict, out: dict, text_bytes: int, say: Say):
    """Our OpenSearch backend's build and first search at this scale: (settings, url),
    or None when the node cannot start (the reason kept in ``out``)."""
    from bench.opensearch_cluster import ClusterError

    try:
        url = node.url(say)
    except ClusterError as exc:
        out["opensearch_skipped"] = f"the node did not start: {exc.summary}"
        say(f"x{scale}: OpenSearch skipped: {out['opensearch_skipped']}")
        return None
    alias = f"transcripts-bench-x{scale}"
    say(f"x{scale}: building OpenSearch (our backend's reindex into '{alias}')")
    build = opensearch_peer.build(folder, url, alias)
    build["node_rss_mb"] = node.rss_mb()
    engines["opensearch"] = {"build": _build_rates(
        build, out["utterances"], out["documents"], text_bytes)}
    settings = opensearch_peer.settings_for(url, alias)
    engines["opensearch"]["cold_ms"] = round(
        opensearch_peer.OpenSearch.cold(settings, first_query), 2)
    return settings, url


def agreement(engines: dict[str, dict]) -> list[dict]:
    """Per query: each engine's total and its difference from ours (peers - ours)."""
    rows = []
    for i, row in enumerate(engines["ours"]["queries"]):
        entry = {"q": row["q"], "class": row["class"], "ours": row["total"],
                 "ours_transcripts": row["total_transcripts"]}
        for name in PEERS:
            if name in engines and "queries" in engines[name]:
                peer = engines[name]["queries"][i]
                entry[name] = peer["total"]
                entry[f"{name}_transcripts"] = peer["total_transcripts"]
                entry[f"{name}_diff"] = None if peer["error"] else peer["total"] - row["total"]
                entry[f"{name}_top_overlap"] = len(set(peer["top"]) & set(row["top"]))
        rows.append(entry)
    return rows
