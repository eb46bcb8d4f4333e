"""Snippets and highlighting: the words as written, escaped, around the best matches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tests.conftest import QUERIES, SEEDS, need
from transcripts.index.readers import read_file
from transcripts.index.schema import WORD_RE, fold, stem
from transcripts.search.snippets import WordMatcher, highlight, mark, snippet


def test_every_form_of_a_stem_is_found_by_the_fast_path():
    """The candidate regex (stem less two letters) must miss no word with that stem."""
    t = read_file(SEEDS / "000_91ae9584c00e0a1f.txt")[0]
    text = " ".join(u.text for u in t.utterances)
    extra = "dying lying skies agreed generously economies Council's O'Neill's don't s"
    text = f"{text} {extra}"
    by_stem: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in WORD_RE.finditer(text):
        by_stem[stem(fold(m.group()))].append(m.span())
    assert len(by_stem) > 300
    for s, spans in by_stem.items():
        assert WordMatcher({s}).spans(text) == spans, s


def test_highlight_marks_words_as_written_and_escapes_the_rest():
    html = highlight("Negotiations <b>resumed</b>; we negotiate.", WordMatcher({"negoti"}))
    assert html == (
        "<mark>Negotiations</mark> &lt;b&gt;resumed&lt;/b&gt;; we <mark>negotiate</mark>."
    )


def test_exact_words_match_only_as_written():
    m = WordMatcher(words={"trade", "economic"})
    assert m.spans("Trade and economic ties; trades economy") == [(0, 5), (10, 18)]


def test_apostrophes_of_either_kind_join_a_word():
    m = WordMatcher(words={"don't"})
    assert m.spans("I don’t know, I don't") == [(2, 7), (16, 21)]


def test_possessive_s_is_a_word_of_its_own():
    from transcripts.index.schema import exact_analyzer

    words = [t.text for t in exact_analyzer()("The Security Council’s decision, O'Neill's")]
    assert words == ["the", "security", "council", "s", "decision", "o'neill", "s"]


def test_snippet_is_a_window_around_the_densest_matches():
    filler = "Nothing to see here. " * 40
    text = filler + "The sanctions hurt. Sanctions again and sanctions once more. " + filler
    out = snippet(text, WordMatcher({"sanction"}), width=120)
    assert out.startswith("… ") and out.endswith(" …")
    assert out.count("<mark>") == 3
    assert len(out.replace("<mark>", "").replace("</mark>", "")) < 160


def test_snippet_of_a_short_text_is_the_whole_text():
    assert snippet("Gas & oil", WordMatcher({"oil"})) == "Gas &amp; <mark>oil</mark>"


def test_edit_distance_counts_a_swap_of_two_letters_as_one():
    from transcripts.search.suggest import edit_distance

    assert edit_distance("sanctoins", "sanctions") == 1
    assert edit_distance("erdgan", "erdogan") == 1
    assert edit_distance("kitten", "sitting") == 3


# The definition the fast scan must meet: every token as the index reads it
# (``WORD_RE``), folded and stemmed as the index did, marked when the query matched it.
# Every span the fast scan gives must be one of these, and none missing.
@dataclass
class ReferenceMatcher:
    stems: set[str]
    words: set[str]

    def __bool__(self) -> bool:
        return bool(self.stems or self.words)

    def spans(self, text: str) -> list[tuple[int, int]]:
        if not self:
            return []
        return [m.span() for m in WORD_RE.finditer(text) if self._matches(m.group())]

    def _matches(self, word: str) -> bool:
        w = fold(word)
        return w in self.words or (bool(self.stems) and stem(w) in self.stems)


def _letters_case_or_accents_matter_for() -> list[str]:
    """Every character with another case, those a case-insensitive letter also matches
    ("ı", "ſ", "K"), those lower-casing lengthens ("İ"), every letter with an accent
    below U+2000 and the combining accents, and some that are no letters."""
    from re._casefix import _EXTRA_CASES

    chars = {
        chr(i) for i in range(0x30000)
        if not 0xD800 <= i < 0xE000 and (chr(i).lower() != chr(i) or chr(i).upper() != chr(i))
    }
    chars |= {chr(k) for k in _EXTRA_CASES} | {chr(o) for v in _EXTRA_CASES.values() for o in v}
    chars |= {chr(i) for i in range(0x80, 0x2000) if fold(chr(i)) != chr(i).lower()}
    chars |= {chr(i) for i in range(0x300, 0x370)}
    return sorted(chars | set("'’_-0 .\u00a0"))


def test_fast_scan_finds_every_token_the_index_would_match_whatever_the_letters():
    matchers = [
        ({"russia"}, set()), ({"war"}, set()), ({stem("is")}, set()), ({"s"}, set()),
        (set(), {"i", "s", "o'neill", "don't"}), ({"sanction", "econom"}, {"the", "k"}),
    ]
    checked = 0
    for c in _letters_case_or_accents_matter_for():
        if c == "ʼ":
            # A letter to WORD_RE that folds to an apostrophe, which the stemmer drops at
            # a word's start: "ʼrussia" has the stem "russia" but does not start like it,
            # and is not marked (nor was it before folding).
            continue
        u = c.upper() if len(c.upper()) == 1 else c
        text = (
            f"{c}russia r{c}ssia RUSSI{c} {c}'s s{c} {c}s is{c} I{c} {c}i x{c}war WAR{c}S "
            f"S’{c} O'{c}s {c} {u}{c}x {c}{u}X k{c} {c}K don'{c} econ{c}my {c}{c}"
        )
        # Query words are words of the index: a token as WORD_RE reads one.
        own = {w for w in (fold(c) + "x", fold(c) * 2) if WORD_RE.fullmatch(w)}
        for stems, words in [*matchers, (set(), own), ({fold(c) + "ar"}, set())]:
            new, old = WordMatcher(stems, words), ReferenceMatcher(stems, words)
            if not old:
                continue
            assert new.spans(text) == old.spans(text), (hex(ord(c)), stems, words)
            checked += 1
    assert checked > 20_000


def test_snippets_and_transcript_highlights_are_those_of_the_reference_scan(corpus_index):
    """Every workload search: each shown snippet (its marks read from the index's token
    stream and offsets), and every turn of the two leading transcripts as the transcript
    page highlights them (scanned), marks exactly the same words as the reference scan
    and the fast scan."""
    from bench.workload import load
    from transcripts.search.engine import _page_spans, get_transcript, matcher_for, search
    from transcripts.search.query import parse

    gen = corpus_index.current()
    oil = parse("oil prices", gen.parser, gen.searcher().reader(), gen.values, gen.vocabularies)
    assert _page_spans(gen, oil, [0]) is not None  # the stream path is the one tested
    compared = 0
    for query in load(need(QUERIES)):
        result = search(corpus_index, query.request())
        matcher = matcher_for(corpus_index, query.q)
        reference = ReferenceMatcher(matcher.stems, matcher.words)
        for hit in result.transcripts:
            for u in hit.utterances:
                assert u.snippet == snippet(u.text, reference), (query.label, hit.id)
                assert u.snippet == snippet(u.text, matcher), (query.label, hit.id)
                compared += 1
        for hit in result.transcripts[:2]:
            for u in get_transcript(corpus_index, hit.id).utterances:
                assert highlight(u.text, matcher) == mark(u.text, reference.spans(u.text))
                compared += 1
        # A second search reads the shown turns from the kept stored fields: the same page.
        assert search(corpus_index, query.request()).transcripts == result.transcripts
    assert compared > 2_000


def test_marking_escapes_the_text_once_and_keeps_control_characters_as_text():
    """``mark`` escapes a snippet in one go, its marks held by two control characters
    meanwhile; a text that has those characters itself keeps them, unmarked."""
    assert mark("a <b> & c", [(0, 1), (4, 5)]) == "<mark>a</mark> &lt;b<mark>&gt;</mark> &amp; c"
    odd = "x \x02y\x03 <z>"
    assert mark(odd, [(3, 4), (7, 8)]) == "x \x02<mark>y</mark>\x03 &lt;<mark>z</mark>&gt;"
    assert mark("one two three", [(4, 7)], 2, 9) == "e <mark>two</mark> t"


def test_the_densest_window_of_a_long_match_list_is_the_two_pointer_walks():
    """Past 32 matches (a common word in a long speech) the snippet's window is found
    with arrays; it must be the window the two-pointer walk finds, ties to the first."""
    import random

    from transcripts.search import snippets

    rng = random.Random(3)
    for _ in range(300):
        starts = sorted(rng.sample(range(20_000), rng.randint(33, 400)))
        spans = [(s, s + 3) for s in starts]
        width = rng.choice([80, 260, 1000])
        assert snippets._densest_by_arrays(spans, width) == snippets._densest(spans, width)


def test_the_last_sentence_start_is_the_last_of_all_sentence_starts():
    """A snippet begins at the last sentence start before its first match
    (``_LAST_SENTENCE_START``, one match from the end); it must be the last of the ones
    ``_SENTENCE_START`` finds, whatever the mix of stops and spaces."""
    import random

    from transcripts.search.snippets import _LAST_SENTENCE_START, _SENTENCE_START

    rng = random.Random(1)
    for _ in range(20_000):
        text = "".join(rng.choice("ab .!?…\n\t ") for _ in range(rng.randint(0, 30)))
        every = list(_SENTENCE_START.finditer(text))
        last = _LAST_SENTENCE_START.match(text)
        assert (last.end() if last else None) == (every[-1].end() if every else None), text
