"""The analysis views count exactly: trends, speaker rates and distinctive words against a
brute-force count over the parsed corpus.

The corpus is read again with the project's reader, speakers resolved as the writer
resolves them, and every utterance tokenized with ``index.schema``'s analyzers; then the
hits, words and transcripts are counted in plain Python, bucket by bucket and speaker by
speaker, and must equal what the views report from the index.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest

from transcripts.index.documents import transcript_documents
from transcripts.index.schema import exact_analyzer, stemming_analyzer
from transcripts.search.distinctive import G2_MIN, distinctive_words
from transcripts.search.engine import TranscriptIndex
from transcripts.search.results import SearchRequest
from transcripts.search.speaker_stats import speaker_ranking
from transcripts.search.trends import trends

pytestmark = pytest.mark.corpus

STEM = stemming_analyzer()
EXACT = exact_analyzer()


@dataclass
class Doc:
    tid: str
    day: dt.date | None
    speaker: str | None
    geography: list[str]
    topics: list[str]
    stems: list[str]
    words: list[str]


@pytest.fixture(scope="module")
def docs(corpus_transcripts) -> list[Doc]:
    out = []
    for t in corpus_transcripts:
        for d in transcript_documents(t):
            out.append(Doc(
                tid=t.id,
                day=t.effective_date,
                speaker=d.get("f_speaker"),
                geography=list(t.geography),
                topics=list(t.topics),
                stems=[tok.text for tok in STEM(d["body"])],
                words=[tok.text for tok in EXACT(d["body"])],
            ))
    return out


def count_words(doc: Doc, stems: list[str]) -> int:
    """Occurrences of every query word in a document that has them all (an AND query)."""
    counts = Counter(doc.stems)
    if not all(counts[s] for s in stems):
        return 0
    return sum(counts[s] for s in set(stems))


def count_phrase(doc: Doc, phrase: list[str]) -> int:
    n = len(phrase)
    return sum(1 for i in range(len(doc.words) - n + 1) if doc.words[i:i + n] == phrase)


def stems_of(text: str) -> list[str]:
    return [tok.text for tok in STEM(text)]


QUERIES = {
    "russia": lambda d: count_words(d, stems_of("russia")),
    "sanctions": lambda d: count_words(d, stems_of("sanctions")),
    "pension reform": lambda d: count_words(d, stems_of("pension reform")),
    '"trade and economic"': lambda d: count_phrase(d, ["trade", "and", "economic"]),
    "the": lambda d: count_words(d, ["the"]),
}

FILTERS = {
    "everything": (SearchRequest(), lambda d: True),
    "putin": (SearchRequest(speaker=["Vladimir Putin"]), lambda d: d.speaker == "Vladimir Putin"),
    "economy 2018-2020": (
        SearchRequest(topic=["Economy and finance"], date_from=dt.date(2018, 3, 1),
                      date_to=dt.date(2020, 6, 30)),
        lambda d: "Economy and finance" in d.topics and d.day is not None
        and dt.date(2018, 3, 1) <= d.day <= dt.date(2020, 6, 30),
    ),
    "foreign policy, Turkey or Germany": (
        SearchRequest(topic=["Foreign policy"], geography=["Turkey", "Germany"]),
        lambda d: "Foreign policy" in d.topics
        and bool({"Turkey", "Germany"} & set(d.geography)),
    ),
}


def brute_series(docs, counter, keep, bucket: str):
    hits, words, mentioning, all_tr = Counter(), Counter(), defaultdict(set), defaultdict(set)
    for d in docs:
        if d.day is None or not keep(d):
            continue
        key = str(d.day.year) if bucket == "year" else f"{d.day:%Y-%m}"
        n = counter(d)
        hits[key] += n
        words[key] += len(d.words)
        all_tr[key].add(d.tid)
        if n:
            mentioning[key].add(d.tid)
    return hits, words, mentioning, all_tr


@pytest.mark.parametrize("query", list(QUERIES))
@pytest.mark.parametrize("filters", list(FILTERS))
def test_trends_count_every_hit_word_and_transcript_exactly(corpus_index: TranscriptIndex, docs,
                                                            query, filters):
    req, keep = FILTERS[filters]
    result = trends(corpus_index, req, [query])
    hits, words, mentioning, all_tr = brute_series(docs, QUERIES[query], keep, result.bucket)
    series = result.series[0]
    assert series.hits == sum(hits.values())
    assert series.hits > 0 or query == "pension reform"
    assert series.words == sum(words.values())
    for b in series.buckets:
        assert (b.label, b.hits, b.words, b.transcripts, b.all_transcripts) == (
            b.label, hits[b.label], words[b.label], len(mentioning[b.label]),
            len(all_tr[b.label]))
        if b.words:
            assert b.rate == pytest.approx(hits[b.label] / words[b.label] * 1e6, abs=1e-3)
            assert b.low <= b.rate <= b.high
    # Every bucket with text is in the series.
    assert {b.label for b in series.buckets if b.words} == {k for k, v in words.items() if v}


def test_trends_buckets_by_month_for_a_short_range(corpus_index, docs):
    req, _ = FILTERS["economy 2018-2020"]
    result = trends(corpus_index, req, ["russia"])
    assert result.bucket == "month"
    labels = [b.label for b in result.series[0].buckets]
    assert labels[0] == "2018-03" and labels[-1] == "2020-06" and len(labels) == 28
    assert not any(b.partial for b in result.series[0].buckets)
    by_year = trends(corpus_index, req, ["russia"], bucket="year").series[0]
    assert [b.label for b in by_year.buckets] == ["2018", "2019", "2020"]
    assert by_year.buckets[0].partial and by_year.buckets[-1].partial
    assert not by_year.buckets[1].partial


@pytest.mark.parametrize("query", ["russia", "sanctions", '"trade and economic"'])
@pytest.mark.parametrize("filters", ["everything", "economy 2018-2020"])
def test_speaker_rates_are_exact(corpus_index, docs, query, filters):
    req, keep = FILTERS[filters]
    counter = QUERIES[query]
    hits, words, with_hits, spoke = Counter(), Counter(), defaultdict(set), defaultdict(set)
    for d in docs:
        if d.speaker is None or not keep(d):
            continue
        n = counter(d)
        hits[d.speaker] += n
        words[d.speaker] += len(d.words)
        spoke[d.speaker].add(d.tid)
        if n:
            with_hits[d.speaker].add(d.tid)
    req = SearchRequest(**{**req.__dict__, "q": query})
    ranking = speaker_ranking(corpus_index, req, sort="hits", min_words=1, min_hits=0,
                              min_transcripts=0, limit=1000)
    got = {r.speaker: r for r in ranking.rows}
    expected = {s for s, w in words.items() if w > 0}
    assert ranking.ranked == len(expected)  # every speaker who spoke within the filters ...
    assert set(got) <= expected and len(got) == min(len(expected), 1000)  # ... limit shown
    top = sorted(hits.values(), reverse=True)[: len(got)]
    assert sorted((r.hits for r in got.values()), reverse=True) == top  # sorted by hits
    for name, r in got.items():
        assert (r.hits, r.words, r.transcripts, r.spoke_in) == (
            hits[name], words[name], len(with_hits[name]), len(spoke[name])), name
        assert r.rate == pytest.approx(hits[name] / words[name] * 1e4, abs=1e-3)
    assert ranking.total_hits == sum(hits.values())


def test_speaker_ranking_defaults_keep_only_speakers_meeting_the_minimums(corpus_index):
    ranking = speaker_ranking(corpus_index, SearchRequest(q="russia"))
    assert ranking.rows
    for r in ranking.rows:
        assert r.words >= 10_000 and r.hits >= 3 and r.transcripts >= 2
    lows = [r.low for r in ranking.rows]
    assert lows == sorted(lows, reverse=True)


def test_distinctive_words_counts_match_the_corpus(corpus_index, docs):
    gen = corpus_index.current()
    name = "Vladimir Putin"
    result = distinctive_words(gen, name, shown=10_000)
    assert result
    mine, rest, where = Counter(), Counter(), defaultdict(set)
    for d in docs:
        if d.speaker == name:
            mine.update(d.words)
            for w in set(d.words):
                where[w].add(d.tid)
        else:
            rest.update(d.words)
    c, total = sum(mine.values()), sum(mine.values()) + sum(rest.values())
    for w in result[:25] + result[-5:]:
        assert (w.uses, w.rest_uses, w.transcripts) == (mine[w.word], rest[w.word],
                                                        len(where[w.word]))
        assert w.uses >= 5 and w.transcripts >= 3 and w.g2 >= G2_MIN
        assert w.per_10k == pytest.approx(mine[w.word] / c * 1e4, abs=1e-3)
        assert w.rest_per_10k == pytest.approx(rest[w.word] / (total - c) * 1e4, abs=1e-3)
    ratios = [w.log_ratio for w in result]
    assert ratios == sorted(ratios, reverse=True)
