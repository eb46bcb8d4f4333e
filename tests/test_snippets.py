"""Snippets and highlighting: the words as written, escaped, around the best matches."""

from __future__ import annotations

from collections import defaultdict

from index.readers import read_file
from index.schema import WORD_RE, fold, stem
from search.snippets import WordMatcher, highlight, snippet
from tests.conftest import SEEDS


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
    from index.schema import exact_analyzer

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
    from search.suggest import edit_distance

    assert edit_distance("sanctoins", "sanctions") == 1
    assert edit_distance("erdgan", "erdogan") == 1
    assert edit_distance("kitten", "sitting") == 3
