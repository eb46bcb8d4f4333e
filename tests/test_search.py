"""The read path over the real corpus: matching rules, filters, facets, sorting, snippets."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest
from whoosh import query as wq
from whoosh import sorting

from tests.conftest import QUERIES, need
from transcripts.index.schema import WORD_RE, fold
from transcripts.search.engine import get_transcript, search
from transcripts.search.query import QueryError, parse
from transcripts.search.results import SearchRequest


def run(index, q="", **kw):
    return search(index, SearchRequest(q=q, **kw))


def all_hits(index, q="", **kw):
    """Every utterance hit over all pages (the layer shows a few per transcript)."""
    result = run(index, q, **kw)
    return [u for t in result.transcripts for u in t.utterances], result


def test_plain_word_matches_other_forms_of_the_word(corpus_index):
    result = run(corpus_index, "negotiating")
    texts = " ".join(u.text for t in result.transcripts for u in t.utterances).lower()
    assert result.total > 100
    assert re.search(r"\bnegotiations\b", texts)


def test_snippet_marks_the_original_words_not_stems(corpus_index):
    result = run(corpus_index, "negotiating")
    marked = {
        m.lower()
        for t in result.transcripts
        for u in t.utterances
        for m in re.findall(r"<mark>(.*?)</mark>", u.snippet)
    }
    assert marked and all(m.startswith("negotia") for m in marked)
    assert marked - {"negotiating"}, "other forms of the word are marked as written"


def test_quoted_phrase_matches_those_words_in_that_order(corpus_index):
    result = run(corpus_index, '"trade and economic"')
    assert result.total > 50
    for t in result.transcripts:
        for u in t.utterances:
            assert re.search(r"\btrade and economic\b", u.text, re.I), u.text[:200]


def test_phrase_does_not_match_across_other_words(corpus_index):
    phrase = run(corpus_index, '"climate change"').total
    words = run(corpus_index, "climate change").total
    assert 0 < phrase < words


def test_words_all_must_match_and_or_widens(corpus_index):
    syria, iraq = run(corpus_index, "Syria").total, run(corpus_index, "Iraq").total
    both = run(corpus_index, "Syria Iraq").total
    either = run(corpus_index, "Syria OR Iraq").total
    assert both < min(syria, iraq)
    assert either == syria + iraq - both


def test_minus_and_not_exclude_words(corpus_index):
    gas, gas_oil = run(corpus_index, "gas").total, run(corpus_index, "gas oil").total
    assert run(corpus_index, "gas -oil").total == gas - gas_oil
    assert run(corpus_index, "gas NOT oil").total == gas - gas_oil


def test_prefix_expands_to_real_words(corpus_index):
    result = run(corpus_index, "sanction*")
    assert result.total >= run(corpus_index, "sanctions").total
    for t in result.transcripts:
        for u in t.utterances:
            assert re.search(r"\bsanction", u.text, re.I)


def test_speaker_field_syntax_matches_canonical_speaker(corpus_index):
    result = run(corpus_index, "speaker:putin economy")
    assert result.total > 100
    assert {u.speaker for t in result.transcripts for u in t.utterances} == {"Vladimir Putin"}


def test_speaker_filter_keeps_only_that_speaker(corpus_index):
    hits, result = all_hits(corpus_index, "economy", speaker=["Vladimir Putin"])
    assert result.total > 100
    assert {u.speaker for u in hits} == {"Vladimir Putin"}


def test_facet_counts_ignore_their_own_selection(corpus_index):
    unfiltered = run(corpus_index, "cooperation")
    turkey = run(corpus_index, "cooperation", geography=["Turkey"])
    geo = {v.value: v.count for v in unfiltered.facets["geography"]}
    geo_ticked = {v.value: v.count for v in turkey.facets["geography"]}
    assert geo_ticked == geo, "ticking Turkey leaves the Geography counts as they were"
    assert geo["Germany"] > 0
    both = run(corpus_index, "cooperation", geography=["Turkey", "Germany"])
    assert both.total == turkey.total + run(
        corpus_index, "cooperation", geography=["Germany"]
    ).total - (run(corpus_index, "cooperation geography:Turkey geography:Germany").total)
    topic_counts = {v.value: v.count for v in turkey.facets["topic"]}
    assert sum(topic_counts.values()) >= 1
    assert turkey.total == geo["Turkey"]


@pytest.mark.parametrize(
    "q,filters",
    [
        ("cooperation", {"topic": ["Foreign policy"]}),
        ("economy", {"speaker": ["Vladimir Putin"]}),
        ("", {"geography": ["Turkey", "Germany"]}),
        ("trade", {"person": ["Erdogan Recep Tayyip"]}),
    ],
)
def test_facet_counts_agree_with_whoosh_grouping(corpus_index, q, filters):
    """An independent count: Whoosh's own groupedby facets over the same matches."""
    result = run(corpus_index, q, **filters)
    gen = corpus_index.current()
    searcher = gen.searcher()
    parts = [wq.Or([wq.Term(f"f_{name}", v) for v in values]) for name, values in filters.items()]
    # The words are matched by our scorer (Whoosh no longer holds them); the filters and
    # the grouping are Whoosh's own.
    matched = None
    if q:
        parsed = parse(q, gen.parser, searcher.reader(), gen.values, gen.vocabularies)
        matched = set(np.flatnonzero(gen.scorer.evaluate(parsed.query, searcher).mask).tolist())
    own = searcher.search(
        wq.And(parts) if parts else wq.Every(),
        filter=matched,
        limit=None,
        groupedby={
            "speaker": sorting.FieldFacet("f_speaker", allow_overlap=True),
            "topic": sorting.FieldFacet("f_topic", allow_overlap=True),
        },
    )
    assert len(own) == result.total
    for name in ("speaker", "topic"):
        if name in filters:
            continue  # ours ignores the facet's own selection; Whoosh's cannot
        expected = {k: len(v) for k, v in own.groups(name).items() if k is not None}
        got = {v.value: v.count for v in result.facets[name]}
        assert got == expected


def test_date_range_keeps_hits_inside_it(corpus_index):
    result = run(
        corpus_index, "budget", date_from=dt.date(2019, 1, 1), date_to=dt.date(2020, 12, 31)
    )
    assert result.total > 0
    assert all("2019-01-01" <= t.date <= "2020-12-31" for t in result.transcripts)
    years = {v.value for v in result.facets["year"]}
    assert "2018" in years, "the Year facet ignores the date range, like the other facets"


def test_empty_query_with_filters_browses(corpus_index):
    result = run(corpus_index, "", topic=["Regions"])
    assert result.total > 0 and result.transcripts
    assert all(v.value == "Regions" or v.count for v in result.facets["topic"])


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date_orders_transcripts(corpus_index, sort):
    result = run(corpus_index, "Syria", sort=sort)
    dates = [t.date for t in result.transcripts]
    assert dates == sorted(dates, reverse=sort == "newest")


def test_pages_do_not_repeat_transcripts(corpus_index):
    first = {t.id for t in run(corpus_index, "economy").transcripts}
    second = {t.id for t in run(corpus_index, "economy", page=2).transcripts}
    assert len(first) == len(second) == 10 and not first & second


def test_hits_are_grouped_by_transcript_in_order(corpus_index):
    result = run(corpus_index, "economy")
    for t in result.transcripts:
        positions = [u.position for u in t.utterances]
        assert positions == sorted(positions) and t.matched >= len(positions)


def test_misspelled_word_gets_a_real_word_suggestion(corpus_index):
    assert run(corpus_index, "sanctoins").suggestion == "sanctions"
    assert run(corpus_index, "Erdgan").suggestion == "Erdogan"
    assert run(corpus_index, "sanctions").suggestion is None


@pytest.mark.parametrize(
    "q,message",
    [
        ('"trade and', "Unbalanced quote"),
        ("(gas OR oil", "Unbalanced brackets"),
        ("colour:red", "Unknown field"),
        ("x" * 5000, "limit"),
    ],
)
def test_bad_query_gets_a_clear_message(corpus_index, q, message):
    with pytest.raises(QueryError, match=message):
        run(corpus_index, q)


def test_html_in_text_is_escaped_in_snippets(corpus_index):
    result = run(corpus_index, '"<…>"')
    for t in result.transcripts:
        for u in t.utterances:
            assert "<…>" not in u.snippet


def test_transcript_comes_back_whole_and_in_order(corpus_index, corpus_text):
    from transcripts.index.readers import read_file

    path = corpus_text / "51279.txt"
    need(path)
    original = read_file(path)[0]
    stored = get_transcript(corpus_index, "51279")
    assert stored is not None
    assert [(u.label, u.text) for u in stored.utterances] == [
        (u.label, u.text) for u in original.utterances
    ]
    assert stored.title == original.title and stored.persons == original.persons


def test_every_benchmark_query_answers(corpus_index):
    for line in need(QUERIES).read_text().splitlines():
        spec = json.loads(line)
        f = spec.get("filters", {})
        result = run(
            corpus_index,
            spec["q"],
            speaker=f.get("speaker", []),
            person=f.get("person", []),
            geography=f.get("geography", []),
            topic=f.get("topic", []),
            date_from=dt.date.fromisoformat(f["from"]) if "from" in f else None,
            date_to=dt.date.fromisoformat(f["to"]) if "to" in f else None,
            sort=spec.get("sort", "relevance"),
        )
        if spec["q"] in ("sanctoins", "Erdgan"):
            assert result.total == 0 and result.suggestion
        else:
            assert result.total > 0, spec
            assert sum(v.count for v in result.facets["year"]) >= result.total


def test_every_benchmark_query_gives_the_same_answer_from_the_api(corpus_index):
    """The page and the API share the search layer: same totals and facet counts."""
    from markupsafe import escape

    from bench.workload import load as load_queries
    from transcripts.web import create_app

    client = create_app({"INDEX_DIR": str(corpus_index.root), "TESTING": True}).test_client()
    for query in load_queries(need(QUERIES)):
        data = client.get("/api/search", query_string=query.api_params()).get_json()
        direct = search(corpus_index, query.request()).to_dict()
        assert data["total"] == direct["total"], query
        assert data["facets"] == direct["facets"], query
        assert [t["id"] for t in data["transcripts"]] == [t["id"] for t in direct["transcripts"]]
        page = client.get("/", query_string=query.api_params())
        assert page.status_code == 200
        if direct["transcripts"]:
            title = str(escape(direct["transcripts"][0]["title"]))
            assert title in page.get_data(as_text=True), query


def test_minus_before_a_field_excludes_that_tag(corpus_index):
    all_hits = run(corpus_index, "cooperation").total
    turkey = run(corpus_index, "cooperation geography:turkey").total
    assert 0 < turkey < all_hits
    assert run(corpus_index, "cooperation -geography:turkey").total == all_hits - turkey
    assert run(corpus_index, "cooperation-geography:turkey").total == all_hits - turkey


@pytest.fixture(scope="module")
def stored_words(corpus_index):
    """Every live document's words as the exact field indexes them, read from the stored
    text: a reference that shares nothing with the token stream but the tokenizer."""
    gen = corpus_index.current()
    searcher = gen.searcher()
    return {
        d: [fold(w) for w in WORD_RE.findall(searcher.stored_fields(d)["body"])]
        for d in np.flatnonzero(gen.table.live).tolist()
    }


def _has_run(words: list[str], phrase: list[str], slop: int) -> bool:
    """The phrase's words in order, each at most ``slop`` words after the one before."""
    if phrase[0] not in words:
        return False
    ends = {i for i, w in enumerate(words) if w == phrase[0]}
    for word in phrase[1:]:
        ends = {
            i
            for i, w in enumerate(words)
            if w == word and any(i - k in ends for k in range(1, slop + 1))
        }
    return bool(ends)


@pytest.mark.parametrize(
    ("phrase", "slop"),
    [
        ("trade and economic", 1),
        ("security council", 1),
        ("the russian federation", 1),
        ("of the", 1),
        ("very very", 1),
        ("trade economic", 3),
        ("nagorno karabakh", 1),
    ],
)
def test_phrase_matches_are_the_documents_with_those_words_in_that_order(
    corpus_index, stored_words, phrase, slop
):
    """Phrases run on the token stream of index.tables; checked against the stored text,
    the first time and again once a common word's places are kept (``TokenStream``)."""
    gen = corpus_index.current()
    q = wq.Phrase("exact", phrase.split(), slop=slop)
    expected = {d for d, words in stored_words.items() if _has_run(words, phrase.split(), slop)}
    for _ in range(2):
        ours = set(np.flatnonzero(gen.scorer.evaluate(q, gen.searcher()).mask).tolist())
        assert ours == expected and ours


def test_kept_stored_fields_drop_the_least_recently_used_beyond_their_bound():
    from transcripts.search.engine import ShownCache

    kept = ShownCache(max_chars=10)
    kept.put(1, {"body": "aaaa"}, 4)
    kept.put(2, {"body": "bbbb"}, 4)
    assert kept.get(1) == {"body": "aaaa"}  # 1 is now the most recently used
    kept.put(3, {"body": "cccc"}, 4)  # 12 characters: 2 goes
    assert kept.get(2) is None and kept.get(1) and kept.get(3)
    assert kept.chars == 8
    kept.put(4, {"body": "x" * 11}, 11)  # larger than the bound: never kept
    assert kept.get(4) is None and kept.chars == 8


def test_plain_words_parse_as_whoosh_parses_them(corpus_index):
    """Plain words skip Whoosh's query parser (``search.query._parse``); what they
    become must be exactly what the parser makes of them: real words and made-up ones,
    capitals, several at once, and operator words left to the parser."""
    import random

    from transcripts.search.query import _PLAIN_WORDS, _parse

    gen = corpus_index.current()
    words = [w for w in gen.vocabularies["exact"].words if re.fullmatch("[a-z]+", w)]
    rng = random.Random(5)
    texts = ["oil prices", " Russia ", "investments  in\tinfrastructure", "and or not", "Zzxq"]
    for _ in range(2_000):
        picked = rng.sample(words, rng.randint(1, 4))
        texts.append(" ".join(w.capitalize() if rng.random() < 0.3 else w for w in picked))
    plain = [t for t in texts if _PLAIN_WORDS.fullmatch(t)]
    assert len(plain) == len(texts)
    for text in plain:
        assert _parse(text, gen.parser) == gen.parser.parse(text), text
    operators = ["Ukraine AND gas", "a AND b AND c", "a AND b c", "AND a", "a AND", "AND",
                 "a AND AND b", "Syria OR Iraq", "NATO NOT expansion", "OR AND b", "a ANDNOT b"]
    for text in [*operators, '"national projects"', "econ*", "speaker:putin", "Erdoğan"]:
        assert _parse(text, gen.parser) == gen.parser.parse(text), text


def test_the_turns_a_page_shows_are_each_transcripts_best_in_the_order_said(corpus_index):
    """``_shown_docs`` picks a whole page's turns at once; for every transcript it must
    pick what one transcript at a time gives: the best-scoring three (ties: the earlier
    document), or the first three by position for a date sort, in the order said."""
    from transcripts.search.engine import SHOWN_PER_TRANSCRIPT, _shown_docs

    table = corpus_index.current().table
    rng = np.random.default_rng(2)
    live = np.flatnonzero(table.live)
    for _ in range(50):
        docs = np.sort(rng.choice(live, rng.integers(1, 400), replace=False))
        tids = table.tid[docs]
        page = rng.permutation(np.unique(tids))[:10].tolist()
        scores = np.round(rng.random(table.size), 1)  # rounded: ties happen
        for s in (scores, None):
            matched, shown = _shown_docs(table, docs, tids, page, s)
            for t in page:
                mine = docs[tids == t]
                assert matched[t] == len(mine)
                if s is not None:
                    mine = mine[np.argsort(-s[mine], kind="stable")][:SHOWN_PER_TRANSCRIPT]
                mine = mine[np.argsort(table.pos[mine], kind="stable")][:SHOWN_PER_TRANSCRIPT]
                assert shown[t] == mine.tolist()
