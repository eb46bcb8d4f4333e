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

_SENTENCE_START = re.compile(r"(?<=[.!?…])\s+(?=\S)")


@dataclass
class WordMatcher:
    stems: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    # Every word as indexed whose stem is one of ``stems``, when the index knows them
    # (search.engine gives them from the kept vocabulary): tokens are then looked for by
    # these whole words, not by a stem's first letters ("in" no longer wakes every "i").
    heads: set[str] | None = None
    _candidates: re.Pattern | None = field(default=None, init=False, repr=False)
    _seen: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    def __bool__(self) -> bool:
        return bool(self.stems or self.words)

    def matches(self, word: str) -> bool:
        known = self._seen.get(word)
        if known is None:
            w = fold(word)
            known = w in self.words or (bool(self.stems) and stem(w) in self.stems)
            if len(self._seen) < 10_000:
                self._seen[word] = known
        return known

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Only words that start like a query word are stemmed: long speeches have
        thousands of words and a handful of matches."""
        if not self:
            return []
        if self._candidates is None:
            self._candidates = _candidate_regex(self.stems, self.words, self.heads)
        return [m.span() for m in self._candidates.finditer(text) if self.matches(m.group())]


def _candidate_regex(stems: set[str], words: set[str], known: set[str] | None) -> re.Pattern:
    """Whole tokens that begin with a query word, or with a stem less its last letters
    (or with a word known to have the stem).

    Snowball rewrites at most the last couple of letters of a stem ("economy" ->
    "economi"), so a word with that stem starts with the stem minus two letters.
    """
    if known is not None:
        heads = set(known) | set(words)
    else:
        heads = {s[:1] if len(s) <= 3 else s[:-2] for s in stems} | set(words)
    if not heads:
        return re.compile(r"(?!)")
    alternatives = "|".join(
        re.escape(h).replace("'", "['’]") for h in sorted(heads, key=len, reverse=True)
    )
    return re.compile(
        rf"(?<!\w)(?:(?<!\w['’])|(?=[sS]\b))(?:{alternatives})\w*(?:['’](?![sS]\b)\w+)*",
        re.IGNORECASE,
    )


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
