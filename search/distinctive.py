"""Distinctive words: what a speaker says markedly more often than everyone else.

A speaker's words (the ``exact`` field: words as written, lower-cased) are compared with
the rest of the corpus — every other document, narrative and page text included; in a
corpus of several languages, the rest in the speaker's language (the one most of their
words are in), and only their words in it: a Czech deputy's words are not "distinctive"
for being Czech among English speeches:

* **log ratio** (Hardie 2014): log2 of (their relative frequency ÷ the rest's), with 0.5
  put in place of a zero count in the rest; 1 means twice as often. Words are ranked by it.
* **G²** (log-likelihood, Rayson & Garside 2000) tells whether the difference can be
  chance; a word is kept when G² ≥ 15.13 (p < 0.0001, one degree of freedom), the speaker
  used it at least 5 times in at least 3 transcripts, and they use it more than the rest.

The counts come from one table per index generation: every (word, document, frequency)
of the ``exact`` field, ordered by the document's speaker, so a speaker's words are one
slice of it and their counts one ``bincount``.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from transcripts.index.schema import EXACT, TEXT, WORD_RE, fold
from transcripts.search.tables import analysis_tables

if TYPE_CHECKING:
    from transcripts.search.engine import Generation

G2_MIN = 15.13
MIN_USES = 5
MIN_TRANSCRIPTS = 3
SHOWN = 40
CACHED_SPEAKERS = 256


@dataclass
class WordTable:
    vocab: list[str]  # term id -> word
    term: np.ndarray  # per posting, ordered by the document's speaker (-1 first)
    doc: np.ndarray
    tf: np.ndarray
    starts: dict[int, tuple[int, int]]  # speaker id -> slice of the postings
    totals: np.ndarray  # per term: occurrences in every live document
    total_words: int  # occurrences of every term in every live document
    cache: dict[str, list[DistinctiveWord]]
    lock: threading.Lock
    # Per language number (``index.tables`` ``lang``): its totals and total words.
    by_language: dict[int, tuple[np.ndarray, int]] = dataclasses.field(default_factory=dict)


@dataclass
class DistinctiveWord:
    word: str
    uses: int  # by the speaker
    transcripts: int  # where the speaker used it
    per_10k: float  # the speaker's relative frequency, per 10,000 of their words
    rest_uses: int
    rest_per_10k: float  # everyone else's
    log_ratio: float
    g2: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def word_table(gen: Generation) -> WordTable:
    return gen.derived("word_table", _build)


def _build(gen: Generation) -> WordTable:
    """Every live document's word counts, grouped by speaker, once per generation."""
    speaker = analysis_tables(gen).speaker
    kept = _from_tables(gen)
    vocab, term, doc, tf = kept if kept is not None else _from_text(gen)
    who = speaker[doc]
    order = np.argsort(who, kind="stable")
    term, doc, tf, who = term[order], doc[order], tf[order], who[order]
    bounds = np.flatnonzero(np.diff(who)) + 1
    edges = np.concatenate([[0], bounds, [len(who)]])
    starts = {int(who[a]): (int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a}
    totals = np.bincount(term, weights=tf, minlength=len(vocab)).astype(np.int64)
    return WordTable(vocab, term, doc, tf, starts, totals, int(totals.sum()), {},
                     threading.Lock())


Postings = tuple[list[str], np.ndarray, np.ndarray, np.ndarray]  # words, term, doc, tf


def _from_tables(gen: Generation) -> Postings | None:
    """The ``exact`` postings the generation keeps (``index.tables``): folded words and
    exact counts, already per document; None for a generation without them."""
    vocabulary = gen.vocabularies.get(EXACT)
    if vocabulary is None or vocabulary.kept.docs is None or not vocabulary.usable():
        return None
    k = vocabulary.kept
    doc = np.asarray(k.docs, dtype=np.int32)
    tf = np.asarray(k.tf, dtype=np.int32)
    if k.tf_over_at is not None and len(k.tf_over_at):
        assert k.tf_over is not None  # kept with tf_over_at (index.tables)
        tf[np.asarray(k.tf_over_at)] = k.tf_over  # counts of 255 and more, kept apart
    term = np.repeat(np.arange(len(k.df), dtype=np.int32), np.diff(np.asarray(k.starts)))
    live = gen.table.live[doc]
    return vocabulary.words, term[live], doc[live], tf[live]


def _from_text(gen: Generation) -> Postings:
    """A generation written before the tables kept words: the stored text tokenized
    exactly as the ``exact`` field was (``schema.WORD_RE``, then ``schema.fold``)."""
    table = gen.table
    searcher = gen.searcher()
    live = np.flatnonzero(table.live)
    # One pass over all the text: a word never spans a newline, and the document table's
    # ``words`` is this very count per document, so it places each word in its document.
    bodies = [searcher.stored_fields(d).get("body") or "" for d in live.tolist()]
    words = WORD_RE.findall("\n".join(bodies))
    per_doc = table.words[live].astype(np.int64)
    if len(words) != int(per_doc.sum()):  # an index from before the words column
        per_doc = np.array([len(WORD_RE.findall(b)) for b in bodies], dtype=np.int64)
    # Fold each distinct spelling once (folding 2.5 M tokens one by one is the slow part).
    raw_ids = {w: i for i, w in enumerate(dict.fromkeys(words))}
    ids_of: dict[str, int] = {}
    folded = np.array([ids_of.setdefault(fold(w), len(ids_of)) for w in raw_ids], dtype=np.int64)
    vocab = list(ids_of)
    if words:
        raw = np.fromiter((raw_ids[w] for w in words), dtype=np.int64, count=len(words))
        docs = np.repeat(live.astype(np.int64), per_doc)
        keys, tf = np.unique(docs * len(vocab) + folded[raw], return_counts=True)
    else:
        keys, tf = np.empty(0, np.int64), np.empty(0, np.int64)
    doc = (keys // max(len(vocab), 1)).astype(np.int32)
    term = (keys % max(len(vocab), 1)).astype(np.int32)
    return vocab, term, doc, tf.astype(np.int32)


def distinctive_words(
    gen: Generation, speaker_name: str, shown: int = SHOWN
) -> list[DistinctiveWord]:
    """The speaker's distinctive words, most distinctive first (cached per generation)."""
    wt = word_table(gen)
    cached = wt.cache.get(speaker_name)
    if cached is not None:
        return cached[:shown]
    result = _compute(gen, wt, speaker_name)
    with wt.lock:
        if len(wt.cache) >= CACHED_SPEAKERS:
            wt.cache.clear()
        wt.cache[speaker_name] = result
    return result[:shown]


def _compute(gen: Generation, wt: WordTable, speaker_name: str) -> list[DistinctiveWord]:
    sid = gen.table.facets["speaker"].ids.get(speaker_name)
    if sid is None or sid not in wt.starts:
        return []
    a_, b_ = wt.starts[sid]
    term, tf, docs = wt.term[a_:b_], wt.tf[a_:b_], wt.doc[a_:b_]
    totals, total_words = wt.totals, wt.total_words
    text = gen.vocabularies.get(TEXT)
    doc_lang = text.doc_lang if text is not None else None
    if doc_lang is not None and len(term):  # several languages: compare within one
        langs = doc_lang[docs]
        main = int(np.bincount(langs, weights=tf).argmax())
        keep = langs == main
        term, tf, docs = term[keep], tf[keep], docs[keep]
        totals, total_words = _language_totals(wt, doc_lang, main)
    n_vocab = len(wt.vocab)
    mine = np.bincount(term, weights=tf, minlength=n_vocab)
    c = float(mine.sum())  # the speaker's words
    d = float(total_words) - c  # everyone else's
    if c <= 0 or d <= 0:
        return []
    rest = totals - mine
    candidates = np.flatnonzero(mine >= MIN_USES)
    a = mine[candidates]
    b = rest[candidates].astype(float)
    g2 = g2_of(a, b, c, d)
    over = (a / c) > (b / d)
    keep = (g2 >= G2_MIN) & over
    candidates, a, b, g2 = candidates[keep], a[keep], b[keep], g2[keep]
    # Transcripts per candidate word, from the speaker's postings of those words only.
    in_cand = np.isin(term, candidates)
    tids = gen.table.tid[docs[in_cand]]
    width = int(gen.table.tid.max()) + 1
    pairs = np.unique(term[in_cand].astype(np.int64) * width + tids)
    per_term = np.bincount(pairs // width, minlength=n_vocab)[candidates]
    ok = per_term >= MIN_TRANSCRIPTS
    candidates, a, b, g2, per_term = candidates[ok], a[ok], b[ok], g2[ok], per_term[ok]
    log_ratio = np.log2((a / c) / (np.where(b > 0, b, 0.5) / d))
    order = np.lexsort((-g2, -log_ratio))
    return [
        DistinctiveWord(
            word=wt.vocab[candidates[i]],
            uses=int(a[i]),
            transcripts=int(per_term[i]),
            per_10k=round(float(a[i]) / c * 10_000, 3),
            rest_uses=int(b[i]),
            rest_per_10k=round(float(b[i]) / d * 10_000, 3),
            log_ratio=round(float(log_ratio[i]), 3),
            g2=round(float(g2[i]), 2),
        )
        for i in order.tolist()
    ]


def _language_totals(wt: WordTable, doc_lang: np.ndarray, number: int) -> tuple[np.ndarray, int]:
    """Every word's occurrences in the documents of one language, and their sum."""
    found = wt.by_language.get(number)
    if found is None:
        keep = doc_lang[wt.doc] == number
        totals = np.bincount(wt.term[keep], weights=wt.tf[keep],
                             minlength=len(wt.vocab)).astype(np.int64)
        found = wt.by_language[number] = (totals, int(totals.sum()))
    return found


def g2_of(a: np.ndarray, b: np.ndarray, c: float, d: float) -> np.ndarray:
    """Log-likelihood G² of a 2×2 table (uses a of c words against b of d), 0·ln 0 = 0."""
    total = c + d
    e1 = c * (a + b) / total
    e2 = d * (a + b) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        t2 = np.where(b > 0, b * np.log(b / e2), 0.0)
    return 2 * (t1 + t2)

