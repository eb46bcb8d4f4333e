"""Hits: how many times a query occurs in each utterance it matches.

The analysis views count occurrences, not utterances: a speech that says "sanctions" ten
times weighs ten times one that says it once. Precisely, for a selection
(``search.engine.select``), the hits of a document are

* 0 if the document does not match the query and every filter;
* otherwise the sum, over the query's *positive* parts (words and phrases not under a
  NOT), of their occurrences in the document:
  - a plain word: its term frequency in the stemmed ``text`` field (every form of the
    word: "sanction", "sanctions", "sanctioned" each count);
  - a word matched as written (a prefix's expansions, ``title:`` words): its term
    frequency in that field;
  - a quoted phrase: the number of places the words stand in that order (from the
    ``exact`` token stream of ``index.tables``; Whoosh positions for a title phrase or
    a generation written before the tables).

So ``gas`` counts every form of "gas"; ``gas OR oil`` counts both words; ``pension
reform`` counts both words in utterances that have both. Tag fields (``speaker:``,
``person:`` ...) select documents but occur nowhere in the text, so they add no hits.
With an empty query there are no hits; the views then report words and transcripts.

Frequencies are read from the postings with numpy through ``Scorer.term_postings`` (the
kept tables of ``index.tables`` for the word fields), so they are the counts the index
holds: the exactness tests recount them from the source files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq

from transcripts.index.schema import EXACT, TEXT
from transcripts.search.scoring import phrase_counts

if TYPE_CHECKING:
    from transcripts.search.engine import Selection

TEXT_FIELDS = (TEXT, EXACT, "title")


def positive_leaves(q: wq.Query | None) -> list[wq.Query]:
    """The words and phrases whose occurrences count (everything not under a NOT)."""
    if q is None:
        return []
    if isinstance(q, (wq.Term, wq.Phrase)):
        return [q] if q.fieldname in TEXT_FIELDS else []
    if isinstance(q, wq.AndNot):
        return positive_leaves(q.a)
    if isinstance(q, wq.Not):
        return []
    if isinstance(q, wq.AndMaybe):
        return positive_leaves(q.a) + positive_leaves(q.b)
    out: list[wq.Query] = []
    for child in q.children():
        out.extend(positive_leaves(child))
    return out


def hit_counts(selection: Selection) -> np.ndarray:
    """Occurrences of the query in each document of the selection (int64, 0 elsewhere)."""
    gen = selection.gen
    mask = selection.mask
    counts = np.zeros(gen.table.size, dtype=np.int64)
    query = selection.parsed.query
    if query is None or not mask.any():
        return counts
    reader = gen.searcher().reader()
    seen: set[tuple[object, ...]] = set()
    for leaf in positive_leaves(query):
        key = (type(leaf).__name__, leaf.fieldname, getattr(leaf, "text", None),
               tuple(getattr(leaf, "words", ()) or ()))
        if key in seen:  # "gas gas" counts each occurrence once, not twice
            continue
        seen.add(key)
        if isinstance(leaf, wq.Term):
            ids, tf = gen.scorer.term_postings(reader, leaf.fieldname, leaf.text)
            if len(ids):
                keep = mask[ids]
                np.add.at(counts, ids[keep], tf[keep].astype(np.int64))
        elif len(leaf.words) == 1:
            ids, tf = gen.scorer.term_postings(reader, leaf.fieldname, leaf.words[0])
            if len(ids):
                keep = mask[ids]
                np.add.at(counts, ids[keep], tf[keep].astype(np.int64))
        elif gen.scorer.forward is not None and leaf.fieldname == EXACT:
            docs, n = gen.scorer.forward.phrase_counts(list(leaf.words), np.flatnonzero(mask))
            counts[docs] += n
        else:  # a generation with the words in Whoosh, or a phrase in the title
            words = list(enumerate(leaf.words))
            for doc, times in phrase_counts(reader, leaf.fieldname, words,
                                            np.flatnonzero(mask)).items():
                counts[doc] += times
    return counts
