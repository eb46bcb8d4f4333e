"""Highlighting the words that matched, in the words as they were written.

The index holds stems, but a reader wants to see "negotiations" marked when they searched
for "negotiating": each word of the stored text is folded and stemmed the way the index
did it, and marked when its stem (or, for quoted phrases and prefixes, the word itself)
is one the query matched. Everything else is HTML-escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from index.schema import fold, stem

try:  # which letters a case-insensitive pattern letter also matches ("i": "ı")
    from re._casefix import _EXTRA_CASES
except ImportError:  # another Python: scan with the case-insensitive regex alone
    _EXTRA_CASES = None

_SENTENCE_START = re.compile(r"(?<=[.!?…])\s+(?=\S)")


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

    def __bool__(self) -> bool:
        return bool(self.stems or self.words)

    def matches(self, word: str) -> bool:
        seen = self._seen.get(word)
        if seen is None:
            w = fold(word)
            seen = w in self.words or (bool(self.stems) and stem(w) in self.stems)
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

    ``exact`` is the definition: a case-insensitive regex that checks the word boundary
    before each place it tries, so Python's regex engine tries it at every character of a
    long turn. ``lowered`` finds the same tokens in the lower-cased text: case-sensitive,
    with the boundary checked behind each head once the head has matched, so the engine
    skips at C speed to the next place a head begins. The two agree whenever the
    lower-cased text lines up with the text and case-insensitive matching finds nothing
    lower-casing does not: ``unsafe`` are the letters a case-insensitive "s" or a head's
    letter also matches ("ſ"; "ı" for an "i"); a text holding one, or a head that
    lower-cases to more letters ("İ"), is scanned by ``exact``.
    """

    exact: re.Pattern
    lowered: re.Pattern | None
    unsafe: tuple[str, ...]

    @classmethod
    def build(cls, stems: set[str], words: set[str], known: set[str] | None = None) -> _Finder:
        heads = _heads(stems, words, known)
        if not heads:  # no word of the index has the query's stems
            return cls(re.compile(r"(?!)"), None, ())
        exact = _candidate_regex(heads)
        if _EXTRA_CASES is None or any(not h or len(h.lower()) != len(h) for h in heads):
            return cls(exact, None, ())
        lowered = {h.lower() for h in heads}
        letters = {c for h in lowered for c in h} | {"s"}
        unsafe = {chr(o) for c in letters for o in _EXTRA_CASES.get(ord(c), ())}
        return cls(exact, _lowered_regex(lowered), tuple(sorted(unsafe)))

    def candidates(self, text: str) -> list[tuple[tuple[int, int], str]]:
        """(span, word as written) of every candidate, as ``exact.finditer`` gives them."""
        if self.lowered is not None:
            lowered = text.lower()
            if len(lowered) == len(text) and not any(c in lowered for c in self.unsafe):
                found = self.lowered.finditer(lowered)
                return [(m.span(), text[m.start() : m.end()]) for m in found]
        return [(m.span(), m.group()) for m in self.exact.finditer(text)]


def _heads(stems: set[str], words: set[str], known: set[str] | None = None) -> set[str]:
    """A query word, or a word known to have a query stem (``known``, from the index's
    vocabulary), else a stem less its last letters: a candidate starts with one.

    Snowball rewrites at most the last couple of letters of a stem ("economy" ->
    "economi"), so a word with that stem starts with the stem minus two letters.
    """
    if known is not None:
        return set(known) | set(words)
    return {s[:1] if len(s) <= 3 else s[:-2] for s in stems} | set(words)


_WORD = re.compile(r"\w")
_TAIL = r"\w*(?:['’](?![sS]\b)\w+)*"


def _candidate_regex(heads: set[str]) -> re.Pattern:
    """Whole tokens that begin with a head: not after a letter, nor after a letter and an
    apostrophe unless it is a possessive "s"."""
    alternatives = "|".join(_escaped(h) for h in sorted(heads, key=len, reverse=True))
    return re.compile(
        rf"(?<!\w)(?:(?<!\w['’])|(?=[sS]\b))(?:{alternatives}){_TAIL}", re.IGNORECASE
    )


def _lowered_regex(heads: set[str]) -> re.Pattern:
    """``_candidate_regex`` for lower-cased text, each boundary checked behind the whole
    head (a lookbehind as wide as the head), so the pattern begins with the heads' letters
    and the engine looks for those first."""
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
    return re.escape(head).replace("'", "['’]")


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """Escaped ``text[start:end]`` with <mark> around each span."""
    end = len(text) if end is None else end
    out, at = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        out.append(escape(text[at:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        at = e
    out.append(escape(text[at:end]))
    return "".join(out)


def snippet(text: str, matcher: WordMatcher, width: int = 260) -> str:
    """The window of about ``width`` characters holding the most matches, as HTML."""
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
    """Start of the window that covers the most match starts (two pointers)."""
    best, best_count, j = spans[0][0], 0, 0
    for i, (s, _) in enumerate(spans):
        while spans[j][0] < s - width * 2 // 3:
            j += 1
        if i - j + 1 > best_count:
            best_count, best = i - j + 1, spans[j][0]
    return max(0, best - width // 5)


def _back_to_boundary(text: str, start: int, first_match: int) -> int:
    """Begin at a sentence start when one is near, else at a word start."""
    window = text[max(0, start - 80) : start + 1]
    sentence = list(_SENTENCE_START.finditer(window))
    if sentence:
        return max(0, start - 80) + sentence[-1].end()
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return start


def _cut_end(text: str, end: int) -> int:
    if end >= len(text):
        return len(text)
    while end < len(text) and not text[end].isspace():
        end += 1
    return end


def highlight(text: str, matcher: WordMatcher) -> str:
    """The whole text as HTML with every matching word marked (the transcript page)."""
    return mark(text, matcher.spans(text))
