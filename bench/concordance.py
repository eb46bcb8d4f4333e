"""``python -m bench.concordance``: how fast the concordance and the export answer for
the most common word of the corpus ("the", in about every passage).

Every request goes through the Flask app (its test client: the whole view, template and
all, without a socket), on an index of ``../shared/corpus/text`` built for the run (or
the one given with ``--index-dir``). It reports the word table's one-off build (the first
concordance of an index generation), then for each view the warm p50/p95 over ``--runs``
requests, beside the search results page for the same word measured in the same run
(the machine is shared, so the ratio is the steadier figure), and for the streamed
exports the time to the first chunk, the total time and rows a second. Results go to
``bench/results/concordance.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench.machine import describe
from transcripts.index.location import live_generation
from transcripts.index.writer import reindex

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT_DIR.parent / "shared" / "corpus" / "text"
DEFAULT_OUT = PROJECT_DIR / "bench" / "results"


def most_common_word(app) -> str:
    import numpy as np

    from transcripts.web import current_index

    with app.app_context():
        vocabulary = current_index().current().vocabularies["exact"]
        return vocabulary.words[int(np.argmax(vocabulary.df))]


def timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    response.get_data()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed * 1000


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "runs": len(ordered)}


def streamed(client, url: str) -> dict:
    """Time to the first chunk, total time, and rows (lines, less the header) a second."""
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    chunks = iter(response.response)
    first = next(chunks)
    first_ms = (time.perf_counter() - started) * 1000
    size, lines = len(first), first.count(b"\n") if isinstance(first, bytes) else first.count("\n")
    for chunk in chunks:
        size += len(chunk)
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    total = time.perf_counter() - started
    response.close()
    rows = int(response.headers["X-Export-Rows"])
    return {
        "first_chunk_ms": round(first_ms, 1),
        "total_s": round(total, 2),
        "rows": rows,
        "rows_per_s": round(rows / total),
        "megabytes": round(size / 1e6, 1),
    }


def run(index_dir: Path, runs: int) -> dict:
    from transcripts.web import create_app

    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True})
    client = app.test_client()
    word = most_common_word(app)
    q = quote(word)
    phrase = quote(f'"of {word}"')
    timed(client, f"/?q={q}")  # opens the index generation
    started = time.perf_counter()
    timed(client, f"/api/kwic?q={q}&per_page=1")
    build_ms = (time.perf_counter() - started) * 1000
    views = {
        "search page (reference)": f"/?q={q}",
        "kwic page 1, by date": f"/kwic?q={q}",
        "kwic page 1, 1st word right": f"/kwic?q={q}&sort=right1",
        "kwic page 1, 2nd word left": f"/kwic?q={q}&sort=left2",
        "kwic page 50, by match": f"/kwic?q={q}&sort=match&page=50",
        "api/kwic 100 lines, newest": f"/api/kwic?q={q}&sort=newest",
        "search page, phrase \"of the\" (reference)": f"/?q={phrase}",
        "kwic page 1, phrase \"of the\"": f"/kwic?q={phrase}",
    }
    figures = {}
    for name, url in views.items():
        timed(client, url)  # warm
        figures[name] = percentiles([timed(client, url) for _ in range(runs)])
    reference = figures["search page (reference)"]["p50"]
    for fig in figures.values():
        fig["x_search_p50"] = round(fig["p50"] / reference, 1) if reference else None
    exports = {
        "export csv": streamed(client, f"/export?q={q}&format=csv"),
        "export jsonl": streamed(client, f"/export?q={q}&format=jsonl"),
        "export csv, everything (empty query)": streamed(client, "/export?format=csv"),
        "kwic.csv, every line (to the 100,000 limit)": streamed(client, f"/kwic.csv?q={q}"),
    }
    return {
        "word": word,
        "word_table_build_ms": round(build_ms),
        "views_ms": figures,
        "exports": exports,
        "machine": describe(),
    }


def print_report(data: dict) -> None:
    print(f"most common word: {data['word']!r}; word table built in "
          f"{data['word_table_build_ms']:,} ms (first concordance of the index generation)")
    print(f"{'view (warm, ms)':44} {'p50':>8} {'p95':>8} {'÷ search p50':>13}")
    for name, fig in data["views_ms"].items():
        print(f"{name:44} {fig['p50']:>8.1f} {fig['p95']:>8.1f} {fig['x_search_p50']:>13}")
    print(f"{'streamed download':44} {'1st chunk':>10} {'total':>8} {'rows':>8} {'rows/s':>8}")
    for name, fig in data["exports"].items():
        print(f"{name:44} {fig['first_chunk_ms']:>8.1f}ms {fig['total_s']:>7.2f}s "
              f"{fig['rows']:>8,} {fig['rows_per_s']:>8,}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.concordance",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", type=Path, help="an existing index (default: build one)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-kwic-") as tmp:
        index_dir = args.index_dir
        if index_dir is None or live_generation(index_dir) is None:
            if not args.corpus.is_dir():
                print(f"no corpus at {args.corpus}: nothing to measure")
                return 0
            index_dir = Path(tmp) / "index"
            started = time.perf_counter()
            reindex([args.corpus], index_dir, full=True, procs=2)
            print(f"indexed {args.corpus} in {time.perf_counter() - started:.0f} s")
        data = run(index_dir, args.runs)
    print_report(data)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "concordance.json").write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
