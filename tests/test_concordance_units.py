"""The concordance's rules on a small index built from JSON Lines written here: what a
hit is (phrases, possessives, negated words, utterance bounds), how contexts are cut,
how empty contexts sort, and that a reindex is seen at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transcripts.index.writer import reindex
from transcripts.search.concordance import concordance
from transcripts.search.engine import TranscriptIndex
from transcripts.search.results import SearchRequest
from transcripts.web.kwic import page_links

TRANSCRIPTS = [
    {
        "id": "t1", "title": "Talks on energy", "date": "2020-01-10",
        "utterances": [
            {"label": "Anna Petrova", "text": "The Security Council's decision on gas.\n"
                                              "We discussed   gas and oil, then the Security"},
            {"label": "Boris Ivanov", "text": "Council met again. People’s gas prices rose."},
            {"text": "Gas"},
        ],
    },
    {
        "id": "t2", "title": "Later talks", "date": "2021-05-02",
        "utterances": [
            {"label": "Anna Petrova", "text": "Oil only here, and the security council once."},
            {"label": "Boris Ivanov", "text": "gas, gassed, gases: all forms of gas count."},
        ],
    },
]


def build(folder: Path, transcripts: list[dict], root: Path) -> TranscriptIndex:
    folder.mkdir(exist_ok=True)
    (folder / "talks.jsonl").write_text("\n".join(json.dumps(t) for t in transcripts))
    reindex([folder], root, full=False)
    return TranscriptIndex(root)


@pytest.fixture
def index(tmp_path) -> TranscriptIndex:
    return build(tmp_path / "in", TRANSCRIPTS, tmp_path / "ix")


def lines(index, q: str, sort: str = "oldest", width: int = 60):
    return concordance(index, SearchRequest(q=q), sort=sort, per_page=1000, width=width).lines


def test_a_phrase_stays_inside_one_utterance_and_matches_a_possessive(index):
    found = lines(index, '"security council"')
    assert [(ln.transcript_id, ln.position, ln.match) for ln in found] == [
        ("t1", 1, "Security Council"),  # "Security Council's": the 's is a word of its own
        ("t2", 1, "security council"),
    ]  # "... the Security" | "Council met" is two utterances: no hit


def test_plain_words_find_every_form_and_negated_words_are_no_hits(index):
    everything = lines(index, "gas")  # Snowball: "gases" is "gase", "gassed" is "gass"
    assert [ln.match for ln in everything] == ["gas", "gas", "gas", "Gas", "gas", "gas"]
    found = lines(index, "gas -council")  # two passages of t1 say "council": left out
    assert [(ln.transcript_id, ln.match) for ln in found] == [
        ("t1", "Gas"), ("t2", "gas"), ("t2", "gas")]


def test_a_phrase_hit_takes_in_its_own_words(index):
    found = lines(index, '"security council" OR council')
    assert [(ln.position, ln.match) for ln in found] == [
        (1, "Security Council"), (2, "Council"), (1, "security council")]


def test_contexts_are_cut_at_whole_words_with_whitespace_collapsed(index):
    found = lines(index, "oil", width=12)
    first = found[0]
    assert (first.left, first.match, first.right) == ("gas and ", "oil", ", then the")
    lone = lines(index, "gas")[3]
    assert (lone.left, lone.match, lone.right, lone.kind) == ("", "Gas", "", "narrative")
    assert lines(index, "prices", width=15)[0].left == "People’s gas "


def test_an_utterance_edge_sorts_before_any_word(index):
    by_right = lines(index, "gas", sort="right1")
    assert by_right[0].right == ""  # the lone "Gas": nothing after it
    rights = [ln.right.strip(" ,.:").split(" ")[0].lower() for ln in by_right]
    assert rights == sorted(rights)
    by_left = lines(index, "gas", sort="left1")
    assert by_left[0].left == ""


def test_a_reindex_is_seen_by_the_next_concordance(index, tmp_path):
    assert len(lines(index, "pipeline")) == 0
    changed = [*TRANSCRIPTS[:1], {**TRANSCRIPTS[1], "utterances": [
        {"label": "Anna Petrova", "text": "A pipeline, another pipeline."}]}]
    build(tmp_path / "in", changed, tmp_path / "ix")
    assert [ln.match for ln in lines(index, "pipeline")] == ["pipeline", "pipeline"]
    assert len(lines(index, "gases")) == 0  # the old text is gone


def test_page_numbers_show_the_ends_and_the_neighbourhood():
    assert page_links(1, 1) == [1]
    assert page_links(1, 9) == [1, 2, 3, None, 9]
    assert page_links(5, 9) == [1, None, 3, 4, 5, 6, 7, None, 9]
    assert page_links(8, 9) == [1, None, 6, 7, 8, 9]
