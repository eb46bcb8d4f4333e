"""``python -m bench.analysis``: timings of the analysis views for the most common word.

Over the whole corpus (built into a temporary folder, or ``--index-dir`` to reuse one):
the most common word of the stemmed field ("the") through every analysis view — the
computation (``search.trends`` / ``speaker_stats`` / ``speaker_profile``) and the whole
page or API response through Flask's test client — ``--runs`` times warm, reporting
p50/p95. Then the one-off cost of the per-generation tables on a freshly opened index.

The peer: SQLite given the same per-utterance numbers as rows (document, transcript,
speaker, year, words; the word's frequency per document from our postings), doing the
same group-bys in SQL — the work a hand-rolled "rate per year / per speaker" query does.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.machine import describe
from bench.stats import summary, time_ms

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT_DIR.parent / "shared" / "corpus" / "text"
DEFAULT_OUT = PROJECT_DIR / "bench" / "results"
BOUND_MS = 300.0  # every view for the most common word, p95 warm


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.analysis",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--index-dir", type=Path, default=None, help="reuse this built index")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    console = Console(highlight=False)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.index_dir
        if root is None:
            if not args.corpus.is_dir():
                console.print(f"no corpus at {args.corpus}: nothing to measure")
                return 0
            from transcripts.index.writer import reindex

            root = Path(tmp) / "index"
            console.print(f"building {args.corpus} …")
            reindex([args.corpus], root, full=True, procs=2)
        results = run(root, args.runs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "analysis.json").write_text(json.dumps(results, indent=1))
    print_results(console, results)
    return 0


def run(root: Path, runs: int) -> dict:
    from transcripts.search.distinctive import word_table
    from transcripts.search.engine import TranscriptIndex
    from transcripts.search.results import SearchRequest
    from transcripts.search.speaker_profile import speaker_profile, speaker_roles
    from transcripts.search.speaker_stats import speaker_ranking
    from transcripts.search.trends import trends
    from transcripts.web import create_app

    index = TranscriptIndex(root)
    first: dict[str, float] = {}
    first["open the index"], gen = time_ms(index.current)
    word = most_common_word(gen)
    speaker = top_speaker(gen)
    first["analysis tables (trends, speakers)"], _ = time_ms(
        lambda: trends(index, SearchRequest(), [word]))
    first["speaker roles"], _ = time_ms(lambda: speaker_roles(gen, speaker))
    first["word table (distinctive words)"], _ = time_ms(lambda: word_table(gen))
    first["speaker page after both"], _ = time_ms(lambda: speaker_profile(index, speaker))

    client = create_app({"INDEX_DIR": str(root), "TESTING": True}).test_client()
    quoted = word.replace(" ", "+")
    name = speaker.replace(" ", "%20")
    views = {
        "trends (computation)": lambda: trends(index, SearchRequest(), [word]),
        "trends, speaker filter": lambda: trends(index, SearchRequest(speaker=[speaker]), [word]),
        "speakers (computation)": lambda: speaker_ranking(index, SearchRequest(q=word)),
        "speaker profile (computation)": lambda: speaker_profile(index, speaker),
        "GET /trends (page)": lambda: _ok(client.get(f"/trends?q={quoted}")),
        "GET /api/trends": lambda: _ok(client.get(f"/api/trends?q={quoted}")),
        "GET /trends.csv": lambda: _ok(client.get(f"/trends.csv?q={quoted}")),
        "GET /speakers (page)": lambda: _ok(client.get(f"/speakers?q={quoted}")),
        "GET /api/speakers": lambda: _ok(client.get(f"/api/speakers?q={quoted}")),
        f"GET /speaker/{speaker} (page)": lambda: _ok(client.get(f"/speaker/{name}")),
        "GET /api/speaker/…": lambda: _ok(client.get(f"/api/speaker/{name}")),
    }
    ours = {label: _timed(fn, runs) for label, fn in views.items()}

    peer_db = sqlite_peer(gen, word)
    year_sql = (
        "SELECT d.year, SUM(h.tf), COUNT(DISTINCT h.tid) FROM hits h JOIN docs d ON d.id = h.doc "
        "GROUP BY d.year", "SELECT year, SUM(words), COUNT(DISTINCT tid) FROM docs GROUP BY year")
    speaker_sql = (
        "SELECT d.speaker, SUM(h.tf), COUNT(DISTINCT h.tid) FROM hits h JOIN docs d "
        "ON d.id = h.doc WHERE d.speaker IS NOT NULL GROUP BY d.speaker",
        "SELECT speaker, SUM(words), COUNT(DISTINCT tid) FROM docs WHERE speaker IS NOT NULL "
        "GROUP BY speaker")
    peer = {
        "trends (computation)": _timed(lambda: [peer_db.execute(q).fetchall() for q in year_sql],
                                       runs),
        "speakers (computation)": _timed(
            lambda: [peer_db.execute(q).fetchall() for q in speaker_sql], runs),
    }
    check = dict((y, h) for y, h, _ in peer_db.execute(year_sql[0]))
    series = trends(index, SearchRequest(), [word]).series[0]
    agree = all(check.get(int(b.label), 0) == b.hits for b in series.buckets)
    return {
        "machine": describe(),
        "word": word,
        "speaker": speaker,
        "documents": int(gen.table.live.sum()),
        "runs": runs,
        "first_use_ms": {k: round(v, 1) for k, v in first.items()},
        "ours": ours,
        "sqlite": peer,
        "sqlite_agrees": agree,
        "bound_ms": BOUND_MS,
    }


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response


def _timed(fn, runs: int) -> dict:
    fn()  # warm
    return summary([time_ms(fn)[0] for _ in range(runs)])


def most_common_word(gen) -> str:
    """The stem in the most utterances (from the kept vocabulary, ``index.tables``)."""
    import numpy as np

    vocabulary = gen.vocabularies["text"]
    return vocabulary.words[int(np.argmax(vocabulary.df))]


def top_speaker(gen) -> str:
    import numpy as np

    from transcripts.search.tables import analysis_tables

    speaker = analysis_tables(gen).speaker
    live = gen.table.live & (speaker >= 0)
    words = np.bincount(speaker[live], weights=gen.table.words[live])
    return gen.table.facets["speaker"].values[int(words.argmax())]


def sqlite_peer(gen, word: str) -> sqlite3.Connection:
    """The same per-utterance numbers as SQLite rows, indexed for the group-bys."""
    table = gen.table
    speakers = table.facets["speaker"]
    who: dict[int, str] = {}
    for value in speakers.values:
        for d in speakers.docs_with(value).tolist():
            who[d] = value
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, tid INTEGER, speaker TEXT, "
               "year INTEGER, words INTEGER)")
    db.execute("CREATE TABLE hits(doc INTEGER, tid INTEGER, tf INTEGER)")
    live = table.live.nonzero()[0].tolist()
    db.executemany("INSERT INTO docs VALUES (?,?,?,?,?)", (
        (d, int(table.tid[d]), who.get(d), int(table.year[d]), int(table.words[d]))
        for d in live if table.day[d] > 0))
    ids, tf = gen.scorer.term_postings(gen.searcher().reader(), "text", word)
    db.executemany("INSERT INTO hits VALUES (?,?,?)", (
        (int(d), int(table.tid[d]), int(f)) for d, f in zip(ids, tf, strict=True)
        if table.live[d] and table.day[d] > 0))
    db.execute("CREATE INDEX docs_year ON docs(year, tid)")
    db.execute("CREATE INDEX docs_speaker ON docs(speaker, tid)")
    db.execute("CREATE INDEX hits_doc ON hits(doc)")
    db.execute("ANALYZE")
    return db


def print_results(console: Console, r: dict) -> None:
    console.print(f"Most common word: “{r['word']}”; speaker page: {r['speaker']}; "
                  f"{r['documents']:,} documents; {r['runs']} warm runs each.")
    table = Table(title="Analysis views, ms", title_justify="left")
    for col in ("view", "ours p50", "ours p95", "SQLite p50", "SQLite p95"):
        table.add_column(col, justify="left" if col == "view" else "right")
    for label, s in r["ours"].items():
        peer = r["sqlite"].get(label, {})
        table.add_row(label, f"{s['p50']:.1f}", f"{s['p95']:.1f}",
                      f"{peer['p50']:.1f}" if peer else "", f"{peer['p95']:.1f}" if peer else "")
    console.print(table)
    worst = max(s["p95"] for s in r["ours"].values())
    console.print(f"Slowest p95: {worst:.1f} ms (bound {r['bound_ms']:.0f} ms): "
                  + ("within" if worst <= r["bound_ms"] else "[red]OVER[/red]"))
    console.print("First use after opening: " + ", ".join(
        f"{k} {v:,.0f} ms" for k, v in r["first_use_ms"].items()))
    console.print(f"SQLite's hits per year agree with ours: {r['sqlite_agrees']}")


if __name__ == "__main__":
    raise SystemExit(main())
