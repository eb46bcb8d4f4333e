""" "Did you mean": real words from the unstemmed vocabulary, closest and most common first."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from rapidfuzz import process
from rapidfuzz.distance import OSA

from transcripts.index.schema import EXACT, fold

if TYPE_CHECKING:
    from transcripts.search.query import Vocabulary


class WordSource(Protocol):
    # A vocabulary of its own (the OpenSearch backend's): frequencies and near words.
    def doc_frequency(self, word: str) -> int: ...

    def within(self, word: str, maxdist: int, prefix: int) -> Iterable[str]: ...


Frequency = Callable[[str], int]
Within = Callable[[str, int, int], Iterable[str]]


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swap of two letters is one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _lexicon(reader: Any, vocabulary: Vocabulary | WordSource | None
             ) -> tuple[Frequency, Within]:
    """(document frequency, words within an edit distance) of the exact vocabulary: the
    generation's tables when it has them, a source of its own (the OpenSearch backend's
    vocabulary index), else Whoosh's term index (older generations)."""
    if vocabulary is not None and hasattr(vocabulary, "within"):
        return vocabulary.doc_frequency, vocabulary.within
    if vocabulary is not None:

        def within(w: str, maxdist: int, prefix: int) -> list[str]:
            lo, hi = vocabulary.span(w[:prefix])
            found = process.extract(
                w, vocabulary.words[lo:hi], scorer=OSA.distance, score_cutoff=maxdist,
                limit=None,
            )
            return [cand for cand, _, _ in found]

        return vocabulary.doc_frequency, within

    def frequency(w: str) -> int:
        found: int = reader.doc_frequency(EXACT, w)
        return found

    def whoosh_within(w: str, maxdist: int, prefix: int) -> Iterator[str]:
        for raw in reader.terms_within(EXACT, w, maxdist, prefix=prefix):
            yield raw.decode("utf-8") if isinstance(raw, bytes) else raw

    return frequency, whoosh_within


def correct_word(
    reader: Any, word: str, vocabulary: Vocabulary | WordSource | None = None,
    keep: Callable[[str], bool] | None = None,
) -> str | None:
    """The best real word for an unknown one, or None when the word is known or hopeless.

    ``keep``: which words may be suggested (the words of the languages searched, when
    the search is limited to some): a German word is no correction of a French typo."""
    frequency, within = _lexicon(reader, vocabulary)
    w = fold(word)
    if len(w) < 3 or frequency(w):
        return None
    best: tuple[int, int, str] | None = None
    # Sharing the first two letters makes the lexicon walk ~8x cheaper, and most typos
    # come later in a word; only when that finds nothing is the second letter let go.
    for maxdist, prefix in ((1, 2), (2, 2), (1, 1)):
        if maxdist == 2 and len(w) <= 4:
            continue
        for cand in within(w, maxdist, prefix):
            if keep is not None and not keep(cand):
                continue
            key = (edit_distance(w, cand), -frequency(cand), cand)
            if best is None or key < best:
                best = key
        if best:
            return best[2]
    return None


def suggest(
    reader: Any, text: str, words: list[str], vocabulary: Vocabulary | WordSource | None = None,
    keep: Callable[[str], bool] | None = None,
) -> str | None:
    """The query with each unknown word replaced by its correction, keeping capitals."""
    out, changed = text, False
    for word in dict.fromkeys(words):
        fix = correct_word(reader, word, vocabulary, keep)
        if fix:
            if word[:1].isupper():
                fix = fix[:1].upper() + fix[1:]
            out = re.sub(rf"(?<![\w']){re.escape(word)}(?![\w'])", fix, out)
            changed = True
    return out if changed else None
