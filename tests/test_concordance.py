"""Concordance and export counts are exact: checked against a brute-force count over the
parsed corpus (../shared/corpus/text read with the project's own reader), against the
search's totals, and against the highlighter's marks."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from transcripts.index.schema import WORD_RE, fold, stem
from transcripts.search.concordance import NoWordsToShow, concordance, ordered_hits
from transcripts.search.engine import search, select
from transcripts.search.export import export_rows, plan_export
from transcripts.search.results import SearchRequest
from transcripts.search.snippets import WordMatcher

pytestmark = pytest.mark.corpus


@dataclass
class Doc:
    """One search document as the brute force sees it: an utterance, or a page's header."""

    transcript: str
    position: int
    text: str
    speaker: str | None
    date: dt.date | None
    geography: list[str]
    topics: list[str]
    persons: list[str]


@pytest.fixture(scope="module")
def corpus_docs(corpus_transcripts) -> list[Doc]:
    docs = []
    for t in corpus_transcripts:
        tags = (t.geography, t.topics, t.persons)
        header = "\n".join(x for x in (t.title, t.lead) if x)
        docs.append(Doc(t.id, 0, header, None, t.effective_date, *tags))
        for u in t.utterances:
            speaker = (u.speaker or u.label) if u.label else None
            docs.append(Doc(t.id, u.position, u.text, speaker, t.effective_date, *tags))
    return docs


def words(text: str) -> list[str]:
    return [fold(w) for w in WORD_RE.findall(text)]


def occurrences(tokens: list[str], query: list[str], stemmed: bool) -> int:
    """Places where the query's words stand in a row (one word: its every use)."""
    if stemmed:
        tokens = [stem(t) for t in tokens]
        query = [stem(q) for q in query]
    n = len(query)
    return sum(1 for i in range(len(tokens) - n + 1) if tokens[i : i + n] == query)


def passes(doc: Doc, req: SearchRequest) -> bool:
    if req.speaker and doc.speaker not in req.speaker:
        return False
    for values, have in ((req.geography, doc.geography), (req.topic, doc.topics),
                         (req.person, doc.persons)):
        if values and not set(values) & set(have):
            return False
    if req.date_from and (doc.date is None or doc.date < req.date_from):
        return False
    return not (req.date_to and (doc.date is None or doc.date > req.date_to))


def brute_force(docs: list[Doc], req: SearchRequest, parts: list[tuple[list[str], bool]]):
    """(matching documents, hits): every part (words, stemmed?) must occur in a document."""
    matched = hits = 0
    for doc in docs:
        if not passes(doc, req):
            continue
        if not parts:
            matched += 1
            continue
        tokens = words(doc.text)
        counts = [occurrences(tokens, q, stemmed) for q, stemmed in parts]
        if all(counts):
            matched += 1
            hits += sum(counts)
    return matched, hits


PUTIN = "Vladimir Putin"
CASES = [
    # (request, the query's parts as (words, stemmed?))
    (SearchRequest(q="gas"), [(["gas"], True)]),
    (SearchRequest(q="negotiating"), [(["negotiating"], True)]),
    (SearchRequest(q="gas", geography=["Ukraine"]), [(["gas"], True)]),
    (
        SearchRequest(q="economy", speaker=[PUTIN], date_from=dt.date(2015, 1, 1),
                      date_to=dt.date(2017, 12, 31)),
        [(["economy"], True)],
    ),
    (SearchRequest(q='"trade and economic"'), [(["trade", "and", "economic"], False)]),
    (
        SearchRequest(q='"Security Council"', topic=["Foreign policy"]),
        [(["security", "council"], False)],
    ),
    (SearchRequest(q="oil gas"), [(["oil"], True), (["gas"], True)]),
    (SearchRequest(q="", topic=["Economy and finance"], speaker=[PUTIN]), []),
]
IDS = [f"{r.q or '(all)'}|{','.join(r.speaker + r.geography + r.topic)}" for r, _ in CASES]


@pytest.mark.parametrize(("req", "parts"), CASES, ids=IDS)
def test_export_rows_are_exactly_the_matching_utterances(corpus_index, corpus_docs, req, parts):
    expected, _ = brute_force(corpus_docs, req, parts)
    assert expected > 0  # each case must exercise something
    plan = plan_export(corpus_index, req)
    assert plan.total == plan.rows == expected
    assert search(corpus_index, req).total == expected
    rows = list(export_rows(plan))
    assert len(rows) == expected
    keys = [(r.date, r.transcript_id, r.position) for r in rows]
    assert keys == sorted(keys)  # by date, then place in the transcript


@pytest.mark.parametrize(("req", "parts"), [c for c in CASES if c[0].q], ids=IDS[:-1])
def test_concordance_hits_are_every_occurrence(corpus_index, corpus_docs, req, parts):
    matched, expected = brute_force(corpus_docs, req, parts)
    result = concordance(corpus_index, req, per_page=1)
    assert result.total == expected
    assert result.matched == matched


def test_a_phrase_is_one_hit_spanning_its_words(corpus_index, corpus_docs):
    req = SearchRequest(q='"Security Council"')
    _, phrase_hits = brute_force(corpus_docs, req, [(["security", "council"], False)])
    ordered = ordered_hits(corpus_index, req)
    assert ordered.total == phrase_hits
    assert set(ordered.hits.length.tolist()) == {2}
    lines = ordered.lines()
    assert {words(line.match) == ["security", "council"] for line in lines} == {True}
    # Word by word there would be far more hits: each word on its own counts.
    words_apart = concordance(corpus_index, SearchRequest(q="security council"), per_page=1)
    assert words_apart.total > phrase_hits


def test_hits_are_what_the_highlighter_marks(corpus_index):
    for q in ("negotiating", "gas -oil", "sanction*"):
        selection = select(corpus_index, SearchRequest(q=q))
        matcher = WordMatcher(selection.parsed.stems, selection.parsed.words)
        searcher = selection.gen.searcher()
        marked = [
            (int(d), span)
            for d in np.flatnonzero(selection.mask)
            for span in matcher.spans(searcher.stored_fields(int(d))["body"])
        ]
        ordered = ordered_hits(corpus_index, SearchRequest(q=q))
        assert ordered.total == len(marked) > 0, q
        table = selection.gen.table
        expected = Counter(
            (table.tids[table.tid[doc]], int(table.pos[doc]),
             searcher.stored_fields(doc)["body"][start:end])
            for doc, (start, end) in marked
        )
        shown = Counter((ln.transcript_id, ln.position, ln.match) for ln in ordered.lines())
        assert shown == expected, q


def test_each_line_is_the_utterance_text_around_the_match(corpus_index, corpus_docs):
    by_key = {(d.transcript, d.position): d.text for d in corpus_docs}
    result = concordance(corpus_index, SearchRequest(q='"trade and economic"'), per_page=50)
    for line in result.lines:
        flat = " ".join(by_key[(line.transcript_id, line.position)].split())
        assert f"{line.left}{line.match}{line.right}".strip() in flat


@pytest.mark.parametrize("sort", ["left1", "left2", "right1", "right2", "match"])
def test_context_sorts_order_lines_by_those_words(corpus_index, sort):
    result = concordance(corpus_index, SearchRequest(q="negotiating"), sort=sort, per_page=1000)
    assert result.total == len(result.lines) > 100

    def nth(text: str, n: int, from_end: bool) -> str:
        ws = words(text)
        if from_end:
            ws = ws[::-1]
        return ws[n] if len(ws) > n else ""

    key = {
        "left1": lambda ln: (nth(ln.left, 0, True), nth(ln.left, 1, True)),
        "left2": lambda ln: (nth(ln.left, 1, True), nth(ln.left, 0, True)),
        "right1": lambda ln: (nth(ln.right, 0, False), nth(ln.right, 1, False)),
        "right2": lambda ln: (nth(ln.right, 1, False), nth(ln.right, 0, False)),
        "match": lambda ln: (fold(ln.match), nth(ln.right, 0, False), nth(ln.right, 1, False)),
    }[sort]
    keys = [key(line) for line in result.lines]
    assert keys == sorted(keys)
    assert len(set(keys)) > 20  # a real order, not one key for all


def test_date_orders_and_paging(corpus_index):
    req = SearchRequest(q="gas")
    oldest = concordance(corpus_index, req, sort="oldest", per_page=1000).lines
    newest = concordance(corpus_index, req, sort="newest", per_page=1000).lines
    assert [ln.date for ln in oldest] == sorted(ln.date for ln in oldest)
    assert [ln.date for ln in newest] == sorted((ln.date for ln in newest), reverse=True)
    page2 = concordance(corpus_index, req, page=2, per_page=100)
    assert [ln.number for ln in page2.lines] == list(range(101, 201))
    assert [(ln.transcript_id, ln.position, ln.left) for ln in page2.lines] == [
        (ln.transcript_id, ln.position, ln.left) for ln in oldest[100:200]
    ]


def test_a_concordance_needs_words(corpus_index):
    with pytest.raises(NoWordsToShow, match="needs a query"):
        concordance(corpus_index, SearchRequest(q=""))
    with pytest.raises(NoWordsToShow, match="names no words"):
        concordance(corpus_index, SearchRequest(q="speaker:putin"))


def test_the_most_common_word_is_listed_quickly_once_the_table_is_built(corpus_index):
    """The bound is loose on purpose (a loaded CI machine); bench/ has the real figures."""
    req = SearchRequest(q="the")
    first = concordance(corpus_index, req, per_page=100)  # builds the word table
    assert first.total > 100_000
    started = time.perf_counter()
    result = concordance(corpus_index, req, sort="right1", per_page=100)
    assert time.perf_counter() - started < 3.0
    assert result.total == first.total and len(result.lines) == 100
    assert re.fullmatch(r"(?i)the", result.lines[0].match)
