"""``python -m bench.ranking``: does the right transcript come first? Ours, FTS5 and tantivy.

Items are built from the gold records of ``../shared/corpus/gold``, as a new user would
search for a speaker's turn they half remember, deterministically (a fixed seed):

* ``vague`` (the tuned set): two moderately common words of one turn of 60+ words, each
  used at least twice in that turn, in lower case there, and found on 30–300 pages;
* ``phrase``: a quoted three-word phrase of the turn found on at most 3 pages;
* ``rare``: one word of the turn found on 3–10 pages.

Each item is searched in the three engines over the same parsed utterances (the peers
are fed by our readers, as in ``python -m bench``); success@k is the share of items
whose turn's transcript is among the first k transcripts shown, MRR@10 the mean of
1/rank within the first ten (0 beyond). The vague items are split by their order into
a ``tune`` half and a ``check`` half: parameters are chosen on the first, the second
shows whether they carry over.

The three indexes are built once into a cache folder (``instance/ranking-eval``) and
reused while the corpus and the indexing code are unchanged (``--rebuild`` forces it).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED = PROJECT_DIR.parent / "shared"
DEFAULT_GOLD = SHARED / "corpus" / "gold"
DEFAULT_TEXT = SHARED / "corpus" / "text"
DEFAULT_CACHE = PROJECT_DIR / "instance" / "ranking-eval"
SEED = 12
VAGUE_ITEMS, PHRASE_ITEMS, RARE_ITEMS = 300, 100, 100
MIN_TURN_WORDS, MIN_USES = 60, 2
COMMON_PAGES = (30, 300)  # a vague word is found on this many pages (of the whole corpus)
RARE_PAGES = (3, 10)
CORPUS_PAGES = 5_785  # the whole corpus: a sample scales the page counts above to its size
PHRASE_MAX_PAGES = 3
ENGINES = ("ours", "fts5", "tantivy", "opensearch")
DEFAULT_ENGINES = ("ours", "fts5", "tantivy")
_ALPHA = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Item:
    kind: str  # vague, phrase, rare
    q: str
    target: str  # the transcript id the turn belongs to
    half: str = ""  # tune / check (vague items)


@dataclass
class Turn:
    page: str
    words: list[str]  # as written, in order


def _tokens(text: str) -> list[str]:
    from transcripts.index.schema import WORD_RE

    return [m.group() for m in WORD_RE.finditer(text)]


@dataclass
class Gold:
    turns: list[Turn]  # speaker turns of 60+ words
    pages: Counter  # lower-cased word -> pages it is found on
    page_words: dict[str, list[str]]  # page -> its body's lower-cased words ("\n" between blocks)


def gold_files(gold: Path, limit: int | None = None) -> list[Path]:
    files = sorted(gold.glob("*.json"), key=lambda p: (len(p.stem), p.stem))
    return files[:limit] if limit else files


def read_gold(gold: Path, limit: int | None = None) -> Gold:
    from transcripts.index.schema import fold

    out = Gold([], Counter(), {})
    for path in gold_files(gold, limit):
        page = json.loads(path.read_text(encoding="utf-8"))
        texts = [page.get("title", ""), page.get("lead", "")]
        texts += [b["text"] for b in page.get("blocks", [])]
        out.pages.update({fold(w) for t in texts for w in _tokens(t)})
        body: list[str] = []
        for block in page.get("blocks", []):
            words = _tokens(block["text"])
            body += [fold(w) for w in words] + ["\n"]
            if block.get("speaker") and len(words) >= MIN_TURN_WORDS:
                out.turns.append(Turn(page["id"], words))
        out.page_words[page["id"]] = body
    return out


def build_items(gold: Gold, n_vague: int = VAGUE_ITEMS,
                n_phrase: int = PHRASE_ITEMS, n_rare: int = RARE_ITEMS,
                seed: int = SEED) -> list[Item]:
    """The same items every run: turns drawn in a seeded order, one item per page and kind."""
    turns, pages = gold.turns, gold.pages
    common, rare_pages = _scaled(COMMON_PAGES, len(gold.page_words)), _scaled(
        RARE_PAGES, len(gold.page_words))
    rng = random.Random(seed)
    order = list(range(len(turns)))
    rng.shuffle(order)
    items: list[Item] = []
    used: dict[str, set[str]] = {"vague": set(), "phrase": set(), "rare": set()}
    want = {"vague": n_vague, "phrase": n_phrase, "rare": n_rare}
    phrase_candidates: list[tuple[Turn, tuple[str, ...]]] = []
    for i in order:
        turn = turns[i]
        uses = Counter(turn.words)
        lower = sorted(w for w, c in uses.items() if _ALPHA.match(w))
        if len(used["vague"]) < want["vague"] and turn.page not in used["vague"]:
            words = [w for w in lower if uses[w] >= MIN_USES
                     and common[0] <= pages[w] <= common[1]]
            if len(words) >= 2:
                a, b = rng.sample(words, 2)
                half = "tune" if len(used["vague"]) % 2 == 0 else "check"
                items.append(Item("vague", f"{a} {b}", turn.page, half))
                used["vague"].add(turn.page)
        if len(used["rare"]) < want["rare"] and turn.page not in used["rare"]:
            rare = [w for w in lower if rare_pages[0] <= pages[w] <= rare_pages[1]]
            if rare:
                items.append(Item("rare", rng.choice(rare), turn.page))
                used["rare"].add(turn.page)
        if len(phrase_candidates) < 3 * want["phrase"]:
            windows = [tuple(turn.words[j : j + 3]) for j in range(len(turn.words) - 2)]
            windows = [w for w in windows if all(_ALPHA.match(x) for x in w)
                       and min(pages[x] for x in w) <= 300]
            if windows:
                phrase_candidates.append((turn, rng.choice(windows)))
    items.extend(_distinctive_phrases(gold, phrase_candidates, want["phrase"]))
    return items


def _scaled(bounds: tuple[int, int], pages: int) -> tuple[int, int]:
    """Page-count bounds for a corpus of ``pages`` pages (the whole corpus: as given)."""
    if pages >= CORPUS_PAGES:
        return bounds
    lo = max(1, round(bounds[0] * pages / CORPUS_PAGES))
    return lo, max(lo + 2, round(bounds[1] * pages / CORPUS_PAGES))


def _distinctive_phrases(gold: Gold, candidates, n: int) -> list[Item]:
    """Candidate phrases found on at most PHRASE_MAX_PAGES pages (counted over the corpus)."""
    found: dict[tuple[str, ...], set[str]] = {p: set() for _, p in candidates}
    for page, words in gold.page_words.items():
        for j in range(len(words) - 2):
            key = (words[j], words[j + 1], words[j + 2])
            if key in found:
                found[key].add(page)
    out: list[Item] = []
    seen: set[str] = set()
    for turn, phrase in candidates:
        if len(out) < n and len(found[phrase]) <= PHRASE_MAX_PAGES and turn.page not in seen:
            out.append(Item("phrase", '"' + " ".join(phrase) + '"', turn.page))
            seen.add(turn.page)
    return out


def load_items(gold: Path, limit: int | None = None, n_vague: int = VAGUE_ITEMS,
               n_phrase: int = PHRASE_ITEMS, n_rare: int = RARE_ITEMS) -> list[Item]:
    return build_items(read_gold(gold, limit), n_vague, n_phrase, n_rare)


# -- the engines ------------------------------------------------------------------------


def _stamp(text_dir: Path, files: list[Path]) -> str:
    """What the cached indexes were built from: the corpus files and the indexing code."""
    h = hashlib.sha256(str(text_dir.resolve()).encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    for folder in ("index", "bench"):
        for src in sorted((PROJECT_DIR / folder).rglob("*.py")):
            if folder == "bench" and src.name not in ("corpus.py", "fts5.py", "tantivy_peer.py"):
                continue
            h.update(src.read_bytes())
    return h.hexdigest()


def prepare(text_dir: Path, cache: Path, rebuild: bool, files_limit: int | None,
            say=print) -> dict[str, Path]:
    """Build (or reuse) our index, the FTS5 database and the tantivy index in ``cache``."""
    from bench import corpus as corpus_mod
    from bench import fts5, tantivy_peer
    from transcripts.index.writer import reindex

    files = corpus_mod.source_files(text_dir, files_limit)
    stamp = _stamp(text_dir, files)
    paths = {"ours": cache / "ours", "fts5": cache / "fts5.db", "tantivy": cache / "tantivy"}
    stamp_file = cache / "stamp"
    if not rebuild and stamp_file.exists() and stamp_file.read_text() == stamp:
        return paths
    shutil.rmtree(cache, ignore_errors=True)
    folder = cache / "corpus"
    corpus_mod.materialize(files, folder, 1)
    started = time.perf_counter()
    say(f"building the three indexes of {len(files)} files into {cache} (once) ...")
    reindex([folder], paths["ours"], full=True, procs=2)
    parsed = corpus_mod.read_corpus(folder)
    fts5.build(parsed, paths["fts5"])
    tantivy_peer.build(parsed, paths["tantivy"], threads=2)
    shutil.rmtree(folder)
    stamp_file.write_text(stamp)
    say(f"built in {time.perf_counter() - started:.0f} s")
    return paths


def open_engines(paths: dict[str, Path], names=DEFAULT_ENGINES, cluster_url: str = "",
                 text_dir: Path | None = None, say=print) -> dict:
    """The engines by name; ``opensearch`` is our OpenSearch backend on the cluster at
    ``cluster_url``, built from ``text_dir`` into an alias of its own (each run: the
    cluster is not part of the cache)."""
    from bench import fts5, ours, tantivy_peer

    makers = {"ours": lambda: ours.Ours(paths["ours"]),
              "fts5": lambda: fts5.Fts5(paths["fts5"]),
              "tantivy": lambda: tantivy_peer.Tantivy(paths["tantivy"])}
    engines = {name: makers[name]() for name in names if name != "opensearch"}
    if "opensearch" in names:
        from bench.opensearch_peer import OpenSearch, settings_for
        from transcripts.index.opensearch.writer import reindex

        settings = settings_for(cluster_url, "transcripts-ranking")
        say(f"indexing {text_dir} into OpenSearch at {cluster_url} ...")
        reindex([text_dir], settings, full=True)
        engines["opensearch"] = OpenSearch(settings)
    return engines


def ranks(engine, items: list[Item]) -> list[int]:
    """The 1-based place of each item's transcript on the first page of ten (0: not there)."""
    from bench.workload import WorkQuery

    out = []
    for item in items:
        top = engine.page(WorkQuery(q=item.q)).top
        out.append(top.index(item.target) + 1 if item.target in top else 0)
    return out


def figures(found: list[int]) -> dict:
    n = max(1, len(found))
    return {
        "items": len(found),
        "success@1": sum(1 for r in found if r == 1) / n,
        "success@10": sum(1 for r in found if r) / n,
        "mrr@10": sum(1 / r for r in found if r) / n,
    }


def evaluate(engines: dict, items: list[Item]) -> dict:
    """Figures per item set (vague: all / tune / check; phrase; rare) and engine."""
    sets = {
        "vague": [i for i in items if i.kind == "vague"],
        "vague tune half": [i for i in items if i.kind == "vague" and i.half == "tune"],
        "vague check half": [i for i in items if i.kind == "vague" and i.half == "check"],
        "phrase": [i for i in items if i.kind == "phrase"],
        "rare": [i for i in items if i.kind == "rare"],
    }
    out: dict = {}
    for name, engine in engines.items():
        found = dict(zip(items, ranks(engine, items), strict=True))
        out[name] = {s: figures([found[i] for i in members]) for s, members in sets.items()}
    return out


# -- tuning ----------------------------------------------------------------------------

# Parameters that work together are searched together (a product of their values).
GRID = (
    {"as_typed": (0.0, 0.25, 0.5, 1.0, 2.0)},
    {"k1": (0.4, 0.6, 0.9, 1.2), "b": (0.0, 0.1, 0.2, 0.35)},
    {"evidence": (0.0, 0.05, 0.1, 0.2), "tb": (0.5, 0.75, 0.9), "tk1": (0.6, 1.2)},
    {"page": (0.0, 1.0, 2.0, 4.0)},
    {"proximity": (0.0, 0.05, 0.1, 0.25, 0.5)},
)


def quick_ranks(index, items: list[Item]) -> list[int]:
    """Like ``ranks`` for ours, without facets and snippets: only what orders the page."""
    from transcripts.search import engine
    from transcripts.search.results import SearchRequest

    out = []
    for item in items:
        sel = engine.select(index, SearchRequest(q=item.q))
        docs = np.flatnonzero(sel.mask)
        tids = sel.gen.table.tid[docs]
        stored = engine._StoredFields(sel.gen.searcher())
        order = engine._rank_by_relevance(sel.gen, stored, sel.parsed, docs, tids,
                                          sel.scores)[0][:10]
        t = sel.gen.table.tid_ord.get(item.target)
        out.append(order.index(t) + 1 if t in order else 0)
    return out


def tune(root: Path, items: list[Item], rounds: int = 1, say=print) -> dict:
    """Coordinate ascent over GRID on the tune half (MRR@10 + success@10); both halves shown."""
    from transcripts.search import ranking
    from transcripts.search.engine import TranscriptIndex

    index = TranscriptIndex(root)
    tune_items = [i for i in items if i.kind == "vague" and i.half == "tune"]

    def objective() -> float:
        f = figures(quick_ranks(index, tune_items))
        return f["mrr@10"] + f["success@10"]

    best = objective()
    say(f"start {ranking.PARAMS} -> {best:.4f}")
    for _ in range(rounds):
        for group in GRID:
            start = ranking.PARAMS
            scores = {}
            for values in itertools.product(*group.values()):
                ranking.PARAMS = replace(start, **dict(zip(group, values, strict=True)))
                scores[values] = objective()
            now = tuple(getattr(start, name) for name in group)
            pick = max(scores, key=lambda v: (round(scores[v], 6), v == now))
            ranking.PARAMS = replace(start, **dict(zip(group, pick, strict=True)))
            best = scores[pick]
            top = sorted(scores, key=lambda v: -scores[v])[:5]
            say(f"{'/'.join(group)}: best " + ", ".join(f"{v}:{scores[v]:.3f}" for v in top)
                + f" (now {now}:{scores.get(now, float('nan')):.3f}) -> {pick}")
    say(f"chosen {ranking.PARAMS} -> {best:.4f}")
    return {half: figures(quick_ranks(index, [i for i in items if i.kind == "vague"
                                              and i.half == half])) for half in ("tune", "check")}


def print_table(results: dict, out=sys.stdout) -> None:
    names = list(results)
    sets = list(next(iter(results.values())))
    head = f"{'items':<18}{'n':>5} " + "".join(f"{n + ' s@1 / s@10 / MRR@10':>32}" for n in names)
    print(head, file=out)
    for s in sets:
        n = results[names[0]][s]["items"]
        cells = "".join(
            f"{r['success@1']:>12.1%} /{r['success@10']:>7.1%} / {r['mrr@10']:.3f}"
            for r in (results[e][s] for e in names)
        )
        print(f"{s:<18}{n:>5} {cells}", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ranking",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_TEXT)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                    help="where the three indexes are kept between runs")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached indexes")
    ap.add_argument("--files", type=int, default=None,
                    help="only the first N gold pages (and their text files): a quick sample")
    ap.add_argument("--items", type=int, default=VAGUE_ITEMS, help="vague items (300)")
    ap.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                    help="e.g. ours or ours,fts5; opensearch is our OpenSearch backend (a "
                    "node is started unless --opensearch-url names a cluster)")
    ap.add_argument("--opensearch-url", default="", help="a running cluster for opensearch")
    ap.add_argument("--tune", action="store_true",
                    help="choose the ranking parameters on the tune half (prints them)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    for what, path in (("gold records", args.gold), ("corpus", args.corpus)):
        if not path.is_dir():
            print(f"skipped: {what} not found at {path}")
            return 0
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    if bad := [n for n in names if n not in ENGINES]:
        ap.error(f"unknown engine {', '.join(bad)}: use {', '.join(ENGINES)}")
    items = load_items(args.gold, args.files, args.items)
    text_dir = args.corpus
    if args.files:
        # The sample: the text files of the same pages the items came from.
        ids = {p.stem for p in gold_files(args.gold, args.files)}
        cache = args.cache / f"sample-{args.files}"
        sample = cache / "files"
        sample.mkdir(parents=True, exist_ok=True)
        for f in text_dir.glob("*.txt"):
            if f.stem in ids and not (sample / f.name).exists():
                shutil.copyfile(f, sample / f.name)
        text_dir = sample
    else:
        cache = args.cache / "full"
    paths = prepare(text_dir, cache / "indexes", args.rebuild, None,
                    say=lambda s: print(s, file=sys.stderr))
    if args.tune:
        print(json.dumps(tune(paths["ours"], items, say=lambda s: print(s, flush=True))))
        return 0
    node = None
    url = args.opensearch_url
    if "opensearch" in names and not url:
        from bench.opensearch_peer import Node, unavailable

        why = unavailable()
        if why:
            print(f"opensearch skipped: {why}", file=sys.stderr)
            names.remove("opensearch")
        else:
            node = Node()
            url = node.url(say=lambda s: print(s, file=sys.stderr))
    try:
        engines = open_engines(paths, names, url, text_dir,
                               say=lambda s: print(s, file=sys.stderr))
        started = time.perf_counter()
        results = evaluate(engines, items)
    finally:
        if node is not None:
            node.close()
    kinds = Counter(i.kind for i in items)
    print(f"{len(items)} items ({kinds['vague']} vague, {kinds['phrase']} phrase, "
          f"{kinds['rare']} rare), seed {SEED}; searched in {time.perf_counter() - started:.1f} s")
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
