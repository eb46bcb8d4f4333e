"""Relevance: which transcripts a reader would want first, and how each is scored.

Matching (``search.scoring``) says which documents a query finds; this module says how
much each counts and orders the transcripts. The figures were tuned on the items of
``python -m bench.ranking`` (half of them; the other half checks that they carry over):

* **Utterance score**: BM25 per query word (term frequency saturating with ``k1``,
  length normalised with ``b``), plus BM25 of the words **as typed** (the ``exact``
  field: "accounts", not every form of "account"), plus a **proximity** bonus when the
  query's words stand close together in the utterance.
* **Transcript score**: its best utterance plus ``evidence`` × a transcript-level BM25 of
  the query words over the whole transcript (every utterance, with or without all the
  words, and the page's title and lead counted ``page`` times). Tuned, a weight above 0
  measured no gain, so the evidence orders ties: of two transcripts with equal best
  utterances, the one that keeps coming back to the subject comes first.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from whoosh import query as wq

from transcripts.index import language
from transcripts.index.schema import EXACT, TEXT, fold, fold_text
from transcripts.index.tables import ranges

CHARS_PER_WORD = 6.0  # an English word and its space, on average (this corpus: 6.1)
PROXIMITY_WINDOW = 8  # words apart at most to count as near
PROXIMITY_TRANSCRIPTS = 10  # leading transcripts whose utterances are read for proximity
PROXIMITY_UTTERANCES = 1  # best utterances of each (those a results page shows first)
# Query words beyond which (a prefix's expansions) neither proximity (pairs grow as the
# square) nor the whole-transcript evidence (a posting list each) is worked out.
MAX_WORDS = 8
COUNTED_MAX = 1_000_000  # transcripts of the words whose evidence counts are kept (16 MB)


@dataclass(frozen=True)
class Params:
    # Chosen by `python -m bench.ranking --tune` on the tune half (were k1 1.2, b 0.75, and
    # nothing else); proximity re-checked after it moved to character offsets.
    k1: float = 0.4  # utterance BM25: term-frequency saturation ...
    b: float = 0.1  # ... and length normalisation
    as_typed: float = 2.0  # weight of BM25 over the words exactly as typed ("accounts")
    proximity: float = 0.25  # weight of the words standing close together in an utterance
    evidence: float = 0.0  # weight of the whole-transcript score (0: it breaks ties only)
    tk1: float = 1.2  # transcript BM25: saturation ...
    tb: float = 0.75  # ... and length normalisation over transcript lengths
    page: float = 1.0  # the title and lead count this many times in the transcript's words


PARAMS = Params()

Term = tuple[str, str, float]  # (field, word, boost)
# (field, word) -> the documents with the word and its frequency in each.
PostingsOf = Callable[[str, str], tuple[np.ndarray, np.ndarray]]
# (field, word)s -> documents -> each word's (which of the documents, place in words).
PlacesOf = Callable[
    [list[tuple[str, str]]], Callable[[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]
]


def idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def term_scores(
    tf: np.ndarray, df: int, n: int, lengths: np.ndarray | None, avg: float, boost: float = 1.0
) -> np.ndarray:
    """BM25 of one word in the documents that have it (``lengths`` of those documents)."""
    p = PARAMS
    norm = p.k1 if lengths is None else p.k1 * (1 - p.b + p.b * lengths / avg)
    return boost * idf(df, n) * tf * (p.k1 + 1) / (tf + norm)


@dataclass
class TranscriptLengths:
    """Per transcript: words said (all utterances) and words of its title and lead.

    Built once per index generation; the two are weighted together per query, so the
    ``page`` weight can change without rebuilding anything.
    """

    said: np.ndarray
    page: np.ndarray
    # (parameters, norms, transcripts with words): ``norms``
    _norms: tuple[tuple[float, float, float], np.ndarray, int] | None = None
    # A word's (transcripts, weighted count in each) for ``transcript_evidence``: the
    # ranking of the next search with that word, or the next page, reads it again.
    counted: dict[tuple[str, str, float], tuple[np.ndarray, np.ndarray]] = dataclasses.field(
        default_factory=dict
    )
    _counted: int = 0  # transcripts held in ``counted``

    def keep(
        self, key: tuple[str, str, float], counted: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Keep a word's counts, up to COUNTED_MAX transcripts in all (then start over:
        a dict store and clear are atomic across threads)."""
        if self._counted + len(counted[0]) > COUNTED_MAX:
            self.counted.clear()
            self._counted = 0
        self.counted[key] = counted
        self._counted += len(counted[0])
        return counted

    @staticmethod
    def build(tid: np.ndarray, is_page: np.ndarray, live: np.ndarray, words: np.ndarray,
              n_transcripts: int) -> TranscriptLengths:
        def total(which: np.ndarray) -> np.ndarray:
            return np.bincount(tid[which], weights=words[which], minlength=n_transcripts)

        return TranscriptLengths(total(live & ~is_page), total(live & is_page))

    def weighted(self) -> tuple[np.ndarray, float]:
        """Each transcript's words with the title and lead weighted, and their average."""
        words = self.said + PARAMS.page * self.page
        present = words > 0
        return words, float(words[present].mean()) if present.any() else 1.0

    def norms(self) -> tuple[np.ndarray, int]:
        """BM25's length normalisation of each transcript (``transcript_evidence``) and
        how many transcripts have words: the same for every query, so worked out once
        per generation and parameters (``bench.ranking`` tunes them)."""
        p = PARAMS
        key = (p.page, p.tk1, p.tb)
        if self._norms is None or self._norms[0] != key:
            words, avg = self.weighted()
            norm = p.tk1 * (1 - p.tb + p.tb * words / avg)
            self._norms = (key, norm, int((words > 0).sum()) or 1)
        return self._norms[1], self._norms[2]


def positive_terms(
    q: wq.Query | None, required: bool = False
) -> list[tuple[str, str, float]]:
    """(field, word, boost) of every word the query wants, not those it excludes; with
    ``required``, only the single words it must have (not alternatives under an OR, such
    as a prefix's expansions, nor the words of a phrase): what proximity looks at."""
    out: list[tuple[str, str, float]] = []

    def walk(node: wq.Query | None, negated: bool) -> None:
        if node is None or negated or (required and isinstance(node, wq.Or)):
            return
        if isinstance(node, wq.Term):
            if node.fieldname in (TEXT, EXACT):
                out.append((node.fieldname, node.text, node.boost))
        elif isinstance(node, wq.Phrase):
            if not required:  # a phrase's words are side by side already
                out.extend((node.fieldname, w, node.boost) for w in node.words)
        elif isinstance(node, wq.AndNot):
            walk(node.a, False)
        elif isinstance(node, wq.Not):
            return
        else:
            for child in node.children():
                walk(child, False)

    walk(q, False)
    first: dict[tuple[str, str], tuple[str, str, float]] = {}
    for t in out:  # each (field, word) once, where it first came
        first.setdefault((t[0], t[1]), t)
    return list(first.values())


def as_typed_terms(terms: list[Term], typed: list[str]) -> list[tuple[str, str, float]]:
    """The typed forms of the query's stemmed words: ``accounts`` for the stem ``account``.

    A plain word matches every form of it; a reader who typed "accounts" still expects
    the utterances that say "accounts" before those that only say "accounting".
    """
    forms: dict[str, str] = {}
    for _, term, _ in terms:  # a stem of any language: the typed word stemmed in it
        lang = language.term_language(term)
        for word in typed:
            w = fold(word)
            forms.setdefault(language.text_term(w, lang), w)
    return [(EXACT, forms[w], boost) for f, w, boost in terms if f == TEXT and w in forms]


def as_typed_scores(
    typed: list[Term], postings_of: PostingsOf, size: int, n: int, lengths: np.ndarray | None,
    avg: float,
) -> np.ndarray:
    """BM25 of the typed forms in the ``exact`` field, per document."""
    out = np.zeros(size)
    for field, word, boost in typed:
        ids, tf = postings_of(field, word)
        if len(ids):
            out[ids] += term_scores(
                tf, len(ids), n, None if lengths is None else lengths[ids], avg, boost
            )
    return out


def transcript_evidence(
    terms: list[Term], postings_of: PostingsOf, tid: np.ndarray, is_page: np.ndarray,
    live: np.ndarray, lengths: TranscriptLengths,
) -> np.ndarray:
    """BM25 of the query words over each whole transcript (0 where none is found).

    ``postings_of(field, word)`` gives (documents, frequencies) of a word; each word's
    frequencies are summed per transcript, title and lead weighted by ``page``.
    """
    p = PARAMS
    norm, present = lengths.norms()
    n_transcripts = len(norm)
    score = np.zeros(n_transcripts)
    if len(terms) > MAX_WORDS:
        return score
    for field, word, boost in terms:
        key = (field, word, p.page)
        counted = lengths.counted.get(key)
        if counted is None:
            ids, tf = postings_of(field, word)
            weight = np.where(is_page[ids], p.page, 1.0) * live[ids]
            ttf = np.bincount(tid[ids], weights=tf * weight, minlength=n_transcripts)
            has = np.flatnonzero(ttf)
            counted = lengths.keep(key, (has, ttf[has]))
        has, ttf = counted
        if len(has):
            score[has] += boost * idf(len(has), present) * ttf * (p.tk1 + 1) / (ttf + norm[has])
    return score


def transcript_scores(best: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """Best utterance plus the weighted whole-transcript evidence."""
    return best + PARAMS.evidence * evidence if PARAMS.evidence else best


def rank_transcripts(
    score: np.ndarray, evidence: np.ndarray, found: np.ndarray, day: np.ndarray
) -> list[int]:
    """Transcripts ``found`` by score; ties: more evidence, then newest, then the later id."""
    keys = np.lexsort((-found, -day[found], -evidence[found], -score[found]))
    ranked: list[int] = found[keys].tolist()
    return ranked


def word_positions(text: str, terms: list[tuple[str, str]]) -> list[list[float]]:
    """About where each (field, word) of the query stands in ``text``, counted in words.

    Tokenizing and stemming every word of a long turn costs milliseconds; a regular
    expression finds the few words that start like a query word instead, and each is
    checked (stem or folded form). Its place is its character offset over
    CHARS_PER_WORD: close enough to tell "side by side" from "a sentence apart".
    """
    out: list[list[float]] = [[] for _ in terms]
    # Folded once as the index folds words (lower case, no accents, character for
    # character), so the pattern can be case-sensitive and start with the words' own
    # letters (see ``_candidates``), and "erdogan" finds "Erdoğan".
    for m in _candidates(tuple(terms)).finditer(fold_text(text)):
        word = fold(m.group())
        for i, (field, want) in enumerate(terms):
            if field == EXACT:
                found = word == want
            else:
                found = language.text_term(word, language.term_language(want)) == want
            if found:
                out[i].append(m.start() / CHARS_PER_WORD)
    return out


@lru_cache(maxsize=1024)
def _candidates(terms: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """Words that may be one of ``terms``: as written, or starting like the stem."""
    bare = [(f, w.rpartition(language.SEPARATOR)[2]) for f, w in terms]  # "de:haus" -> "haus"
    heads = sorted({re.escape(w if f == EXACT else w[: max(1, len(w) - 1)]) for f, w in bare})
    tail = r"\w*(?:['’](?![sS]\b)\w+)*"  # the rest of the word, as ``WORD_PATTERN`` reads it
    # Each head first, its word boundary checked behind it: a pattern that starts with
    # letters lets the regex engine skip ahead, where a leading lookbehind is tried at
    # every character of a long turn.
    starts = "|".join(f"{h}(?<!\\w{h})" for h in heads)
    return re.compile("(?:" + starts + ")" + tail)


def proximities(
    places: list[tuple[np.ndarray, np.ndarray]], weights: list[float], documents: int
) -> np.ndarray:
    """How close the query's words stand in each of ``documents`` texts at once.
    ``places[i]``: word i's occurrences as (document, place in words), ordered by
    document then place. For each pair of words, every pair of their occurrences within
    PROXIMITY_WINDOW words of each other adds 1/distance², saturating, times the rarer
    word's weight (BM25TP-like)."""
    total = np.zeros(documents)
    for i in range(len(places)):
        for j in range(i + 1, len(places)):
            (doc_a, a), (doc_b, b) = places[i], places[j]
            if not len(a) or not len(b):
                continue
            doc, d = _near_pairs(doc_a, a, doc_b, b)
            if len(d):
                near = np.bincount(doc, weights=1.0 / np.maximum(d, 1.0) ** 2, minlength=documents)
                total += min(weights[i], weights[j]) * 2 * near / (1.0 + near)
    return total


def _near_pairs(
    doc_a: np.ndarray, a: np.ndarray, doc_b: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """|a_i - b_j| for every pair in the same document within PROXIMITY_WINDOW (and
    apart), with that document, a row of ``a`` at a time as the full outer difference
    would list them. Documents are laid end to end, far apart, so each row is a slice
    of ``b`` (a common word's every pair is never made)."""
    span = float(max(a.max(), b.max())) + 2 * PROXIMITY_WINDOW + 2
    key_a, key_b = doc_a * span + a, doc_b * span + b
    lo = np.searchsorted(key_b, key_a - (PROXIMITY_WINDOW + 1))
    n = np.searchsorted(key_b, key_a + (PROXIMITY_WINDOW + 1), side="right") - lo
    at = ranges(lo, n)
    row = np.repeat(np.arange(len(a)), n)
    d = np.abs(a[row] - b[at])
    near = (d > 0) & (d <= PROXIMITY_WINDOW) & (doc_a[row] == doc_b[at])
    return doc_a[row[near]], d[near]


def add_proximity(
    best: np.ndarray, score: np.ndarray, docs: np.ndarray, tids: np.ndarray,
    scores: np.ndarray, query: wq.Query | None, terms: list[Term], postings_of: PostingsOf,
    n: int, text_of: Callable[[int], str], places_of: PlacesOf | None = None,
) -> np.ndarray:
    """Transcript scores with the proximity bonus of the utterances that could lead.

    Only the leading transcripts (PROXIMITY_TRANSCRIPTS by score) are looked at, each
    through its best PROXIMITY_UTTERANCES utterances; the bonus is added to an
    utterance's BM25 and the transcript's best utterance taken again. ``places_of(words)``,
    where the index keeps its token stream, gives a function from documents to their
    words' (document's index, place in words): all of them at once, no text read; else
    ``text_of(d)`` is scanned (``word_positions``: places estimated from character
    offsets), a document at a time.
    """
    required = set(positive_terms(query, required=True))
    terms = [t for t in terms if t in required]
    words = [(field, word) for field, word, _ in terms]
    if not PARAMS.proximity or not 2 <= len(words) <= MAX_WORDS:
        return score
    weights = [boost * idf(len(postings_of(f, w)[0]), n) for f, w, boost in terms]
    found = np.unique(tids)
    lead = found[np.argsort(-score[found], kind="stable")][:PROXIMITY_TRANSCRIPTS]
    leading = np.zeros(len(best), dtype=bool)
    leading[lead] = True
    in_lead = leading[tids]
    cand_docs, cand_tids, _, _ = leading_per_transcript(
        docs[in_lead], tids[in_lead], -scores[docs[in_lead]], PROXIMITY_UTTERANCES
    )
    if places_of is not None:
        places = [(doc, place.astype(float)) for doc, place in places_of(words)(cand_docs)]
    else:
        scanned = [word_positions(text_of(d), words) for d in cand_docs.tolist()]
        places = [
            (np.repeat(np.arange(len(scanned)), [len(p[i]) for p in scanned]),
             np.array([x for p in scanned for x in p[i]], dtype=float))
            for i in range(len(words))
        ]
    bonus = proximities(places, weights, len(cand_docs))
    new_best = best.copy()
    np.maximum.at(new_best, cand_tids, scores[cand_docs] + PARAMS.proximity * bonus)
    with_bonus: np.ndarray = score + (new_best - best)
    return with_bonus


def leading_per_transcript(
    docs: np.ndarray, tids: np.ndarray, key: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each transcript's ``k`` documents of lowest ``key`` (ties: in the order given), as
    (documents, their transcripts) grouped by transcript; and the transcripts found with
    how many documents each had."""
    order = np.lexsort((key, tids))
    docs, tids = docs[order], tids[order]
    starts = np.flatnonzero(np.r_[True, tids[1:] != tids[:-1]]) if len(tids) else tids
    counts = np.diff(np.r_[starts, len(tids)])
    few = np.arange(len(tids)) - np.repeat(starts, counts) < k
    return docs[few], tids[few], tids[starts], counts


def best_per_transcript(docs: np.ndarray, tids: np.ndarray, scores: np.ndarray,
                        n_transcripts: int) -> np.ndarray:
    """Each transcript's best utterance score (-1 where none matched)."""
    best = np.full(n_transcripts, -1.0)
    if len(docs):
        order = np.argsort(tids, kind="stable")
        grouped = tids[order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        best[grouped[starts]] = np.maximum.reduceat(scores[docs][order], starts)
    return best
