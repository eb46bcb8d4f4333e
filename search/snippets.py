"""Highlighting the words that matched, in the words as they were written.

The index holds stems, but a reader wants to see "negotiations" marked when they searched
for "negotiating": each word of the stored text is folded (lower case, no accents) and
stemmed the way the index did it, and marked as written when its stem (or, for quoted
phrases and prefixes, the word itself) is one the query matched: "Erdoğan" for the query
``erdogan``, "Erdogan" for ``erdoğan``. Everything else is HTML-escaped.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from html import escape

import numpy as np

from transcripts.index import language
from transcripts.index.schema import fold, fold_text

_SENTENCE_START = re.compile(r"(?<=[.!?…])\s+(?=\S)")
# The last of them in a text: the greedy .* leaves the regex engine to find it from the end.
_LAST_SENTENCE_START = re.compile(r".*" + _SENTENCE_START.pattern, re.DOTALL)


@dataclass
class WordMatcher:
    stems: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    # Every word as indexed whose stem is one of ``stems``, when the index knows them
    # (search.engine gives them from the kept vocabulary): tokens are then looked for by
    # these whole words, not by a stem's first letters ("in" no longer wakes every "i").
    heads: set[str] | None = None
    _finder: _Finder | None = field(default=None, init=False, repr=False, compare=False)
    _seen: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)
    _languages: set[str] | None = field(default=None, init=False, repr=False, compare=False)

    def _spoken(self) -> set[str]:
        """The languages of the query's stems (English's are bare, others carry a code),
        worked out once a matcher."""
        if self._languages is None:
            self._languages = {language.term_language(s) for s in self.stems}
        return self._languages

    def __bool__(self) -> bool:
        return bool(self.stems or self.words)


    def matches(self, word: str) -> bool:
        seen = self._seen.get(word)
        if seen is None:
            w = fold(word)
            seen = w in self.words or (
                w in self.heads if self.heads is not None
                else any(language.text_term(w, lang) in self.stems for lang in self._spoken())
            )
            if len(self._seen) < 10_000:  # a page's candidate words: a few hundred
                self._seen[word] = seen
        return seen

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Only words that start like a query word are stemmed: long speeches have
        thousands of words and a handful of matches."""
        if not self:
            return []
        if self._finder is None:
            self._finder = _Finder.build(self.stems, self.words, self.heads)
        matches = self.matches
        return [span for span, word in self._finder.candidates(text) if matches(word)]


@dataclass(frozen=True)
class _Finder:
    """Finds the candidate words of a text: the tokens ``exact`` matches.

    The words are looked for in the text folded as the index folds words
    (``schema.fold_text``: lower case, no accents, character for character), so a query
    for "erdogan" finds "Erdoğan" and one for "café" finds "Cafe", and a span found there
    is the word's span in the text as written. The pattern is case-sensitive, with the
    word boundary checked behind each head once the head has matched, so Python's regex
    engine skips at C speed to the next place a head begins.
    """

    pattern: re.Pattern[str] | None

    @classmethod
    def build(cls, stems: set[str], words: set[str], known: set[str] | None = None) -> _Finder:
        heads = _heads(stems, words, known)
        if not heads:  # no word of the index has the query's stems
            return cls(None)
        return cls(_folded_regex({fold(h) for h in heads}))

    def candidates(self, text: str) -> list[tuple[tuple[int, int], str]]:
        """(span, word as written) of every token that starts with a head."""
        if self.pattern is None:
            return []
        found = self.pattern.finditer(fold_text(text))
        return [(m.span(), text[m.start() : m.end()]) for m in found]


def _heads(stems: set[str], words: set[str], known: set[str] | None = None) -> set[str]:
    """A query word, or a word known to have a query stem (``known``, from the index's
    vocabulary), else a stem less its last letters: a candidate starts with one.

    Snowball rewrites at most the last couple of letters of a stem ("economy" ->
    "economi"), so a word with that stem starts with the stem minus two letters.
    """
    if known is not None:
        return set(known) | set(words)
    bare = {s.rpartition(language.SEPARATOR)[2] for s in stems}  # "de:abstimm" -> "abstimm"
    return {s[:1] if len(s) <= 3 else s[:-2] for s in bare} | set(words)


_WORD = re.compile(r"\w")
_TAIL = r"\w*(?:['’](?![sS]\b)\w+)*"


def _folded_regex(heads: set[str]) -> re.Pattern[str]:
    """Whole tokens of a folded text that begin with a head: not after a letter, nor after
    a letter and an apostrophe unless it is a possessive "s". Each boundary is checked
    behind the whole head (a lookbehind as wide as the head), so the pattern begins with
    the heads' letters and the engine looks for those first."""
    return re.compile(
        "(?:"
        + "|".join(
            _escaped(h) + _boundary_behind(h) for h in sorted(heads, key=len, reverse=True)
        )
        + f"){_TAIL}"
    )


def _boundary_behind(head: str) -> str:
    """``(?<!\\w)(?:(?<!\\w['’])|(?=[sS]\\b))`` before the head, checked after it."""
    n = len(head)
    not_after_letter = rf"(?<!\w[\s\S]{{{n}}})"
    not_after_apostrophe = rf"(?<!\w['’][\s\S]{{{n}}})"
    if head[0] != "s":
        return not_after_letter + not_after_apostrophe
    if n == 1:  # a possessive "s" stands alone: the word ends after it
        return not_after_letter + rf"(?:{not_after_apostrophe}|(?!\w))"
    if _WORD.match(head[1]):
        return not_after_letter + not_after_apostrophe
    return not_after_letter  # "s" and then no letter: a word ends after the "s"


def _escaped(head: str) -> str:
    return re.escape(head).replace("'", "['’ʼ]")  # as written: ʼ is a letter to WORD_RE


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """Escaped ``text[start:end]`` with <mark> around each span."""
    end = len(text) if end is None else end
    # Marked with two control characters first and escaped once: a page of snippets
    # made hundreds of escape() calls otherwise. A text that has them is escaped piece
    # by piece (spans are words: only what lies between them can hold one).
    whole = text.find(_OPEN, start, end) < 0 and text.find(_CLOSE, start, end) < 0
    out: list[str] = []
    at = start
    first = max(0, bisect_left(spans, (start,)) - 1)  # spans ascend; one may straddle start
    for s, e in spans[first:]:
        if s >= end:
            break
        if e <= start:
            continue
        if whole:
            out += (text[at:s], _OPEN, text[s:e], _CLOSE)
        else:
            out += (escape(text[at:s]), "<mark>", escape(text[s:e]), "</mark>")
        at = e
    if not whole:
        return "".join(out) + escape(text[at:end])
    out.append(text[at:end])
    return escape("".join(out)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


_OPEN, _CLOSE = "\x02", "\x03"  # start and end of text: never in a transcript's words


def snippet(
    text: str, matcher: WordMatcher, width: int = 260, spans: list[tuple[int, int]] | None = None
) -> str:
    """The window of about ``width`` characters holding the most matches, as HTML.
    ``spans``: the matches when the caller knows them (from the index's token stream),
    else the text is scanned for them."""
    if spans is None:
        spans = matcher.spans(text)
    if len(text) <= width:
        return mark(text, spans)
    if not spans:
        start, end = 0, _cut_end(text, width)
    else:
        start = _best_window(spans, width)
        start = _back_to_boundary(text, start, spans[0][0])
        end = _cut_end(text, start + width)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + mark(text, spans, start, end).strip() + suffix


def _best_window(spans: list[tuple[int, int]], width: int) -> int:
    """Start of the window that covers the most match starts, a fifth of it before the
    first of them."""
    # A long list ("the" in a long speech) with arrays; a short one by walking it.
    first = _densest_by_arrays(spans, width) if len(spans) > 32 else _densest(spans, width)
    return max(0, first - width // 5)


def _densest(spans: list[tuple[int, int]], width: int) -> int:
    """The first match start of the run of starts within two thirds of ``width`` that
    has the most of them, the earliest such run on a tie (two pointers)."""
    best, best_count, j = spans[0][0], 0, 0
    for i, (s, _) in enumerate(spans):
        while spans[j][0] < s - width * 2 // 3:
            j += 1
        if i - j + 1 > best_count:
            best_count, best = i - j + 1, spans[j][0]
    return best


def _densest_by_arrays(spans: list[tuple[int, int]], width: int) -> int:
    """``_densest`` with arrays: for each start, how many starts lie within two thirds of
    ``width`` before it."""
    starts = np.array([s for s, _ in spans])
    counts = np.arange(1, len(starts) + 1) - np.searchsorted(starts, starts - width * 2 // 3)
    return int(starts[np.searchsorted(starts, starts[np.argmax(counts)] - width * 2 // 3)])


def _back_to_boundary(text: str, start: int, first_match: int) -> int:
    """Begin at a sentence start when one is near, else at a word start."""
    window = text[max(0, start - 80) : start + 1]
    sentence = _LAST_SENTENCE_START.match(window)
    if sentence:
        return max(0, start - 80) + sentence.end()
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return start


def _cut_end(text: str, end: int) -> int:
    """``end``, or past the word it falls in."""
    if end >= len(text):
        return len(text)
    found = _TO_SPACE.match(text, end)
    assert found is not None  # \S* matches, if only the empty string, anywhere
    return found.end()


_TO_SPACE = re.compile(r"\S*")


def highlight(text: str, matcher: WordMatcher) -> str:
    """The whole text as HTML with every matching word marked (the transcript page)."""
    return mark(text, matcher.spans(text))
