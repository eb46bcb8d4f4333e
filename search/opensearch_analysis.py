"""The analysis views on OpenSearch, counted as the embedded engine counts them.

Words, transcripts and dates come from aggregations (sums of each document's ``words``,
a bucket per transcript counted exactly). Hits — a query's occurrences — are term
frequencies, which OpenSearch can match on but not add up without scripts (the core
distribution has none): the matching documents are read through a point in time and
their words counted here, with the analyzers that made the index (``search.hits``'s
rules on the text itself). So the figures are the embedded engine's, at the cost of
reading the text of the documents a query matches.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from whoosh import query as wq

from index.opensearch.mapping import exact_words
from index.schema import EXACT, TEXT, stem
from search.hits import positive_leaves
from search.opensearch_engine import (
    ClusterGeneration,
    ClusterIndex,
    call,
    counted_transcripts,
    scan,
    selection,
    transcript_count,
)
from search.query import ParsedQuery, QueryError
from search.results import SearchRequest
from search.speaker_stats import (
    DEFAULT_MIN_HITS,
    DEFAULT_MIN_TRANSCRIPTS,
    DEFAULT_MIN_WORDS,
    SpeakerRanking,
    check_ranking,
    ranked,
)
from search.trends import (
    BUCKETS,
    MONTHS_UP_TO_DAYS,
    Trends,
    check_queries,
    date_of,
    day_of,
    series,
    spans_of,
)


# -- hits ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Leaf:
    field: str
    words: tuple[str, ...]


def counted_leaves(q: wq.Query | None) -> list[_Leaf]:
    """The query's positive words and phrases, each once ("gas gas" counts gas once)."""
    leaves: dict[_Leaf, None] = {}
    for leaf in positive_leaves(q):
        words = (leaf.text,) if isinstance(leaf, wq.Term) else tuple(leaf.words)
        leaves[_Leaf(leaf.fieldname, words)] = None
    return list(leaves)


def occurrences(src: dict, leaves: list[_Leaf]) -> int:
    """How often the leaves occur in one document (``search.hits.hit_counts``'s rules):
    a word's frequency in its field, a phrase's places with its words side by side."""
    if not leaves:
        return 0
    exact = exact_words(src.get("body") or "")
    streams: dict[str, list[str]] = {EXACT: exact}
    total = 0
    for leaf in leaves:
        tokens = streams.get(leaf.field)
        if tokens is None:
            if leaf.field == TEXT:
                tokens = streams[TEXT] = [stem(w) for w in exact]
            elif leaf.field == "title":
                title = (src.get("meta") or {}).get("title") or ""
                tokens = streams["title"] = [stem(w) for w in exact_words(title)]
            else:
                continue
        words = list(leaf.words)
        if len(words) == 1:
            total += tokens.count(words[0])
        else:
            n = len(words)
            total += sum(1 for i in range(len(tokens) - n + 1) if tokens[i : i + n] == words)
    return total


def _hits(index: ClusterIndex, gen: ClusterGeneration, query: dict, parsed: ParsedQuery,
          key_of) -> dict[int, int]:
    """Occurrences of the query per key (``key_of(source)``) over the matching documents."""
    leaves = counted_leaves(parsed.query)
    out: dict[int, int] = {}
    if not leaves:
        return out
    for hit in scan(index, gen, query, ["_doc"], ["body", "kind", "meta.title", "month",
                                                   "f_speaker"]):
        src = hit["_source"]
        n = occurrences(src, leaves)
        if n:
            key = key_of(src)
            out[key] = out.get(key, 0) + n
    return out


# -- over time -----------------------------------------------------------------------------
def _days(gen: ClusterGeneration) -> tuple[int, int]:
    """The earliest and latest dated document of the generation (kept: it never changes)."""

    def build(g: ClusterGeneration) -> tuple[int, int]:
        answer = g.conn.search(index=g.name, body={
            "size": 0, "query": {"range": {"day": {"gt": 0}}},
            "aggs": {"lo": {"min": {"field": "day"}}, "hi": {"max": {"field": "day"}}}})
        lo, hi = answer["aggregations"]["lo"]["value"], answer["aggregations"]["hi"]["value"]
        return (int(lo), int(hi)) if lo is not None else (0, 0)

    return gen.derived("days", build)


def _per_month(index: ClusterIndex, gen: ClusterGeneration, query: dict, months: int
               ) -> dict[int, tuple[int, int]]:
    """(words, transcripts) of the documents of ``query`` per month."""
    body = {"size": 0, "query": query, "aggs": {"m": {
        "terms": {"field": "month", "size": max(1, months)},
        "aggs": {"words": {"sum": {"field": "words"}}, **transcript_count(gen)},
    }}}
    answer = call(index, lambda: gen.conn.search(index=gen.name, body=body,
                                                 filter_path="-aggregations.m.buckets.tids"))
    return {
        int(b["key"]): (int(b["words"]["value"]), counted_transcripts(b))
        for b in answer.get("aggregations", {}).get("m", {}).get("buckets", [])
    }


def trends(index: ClusterIndex, req: SearchRequest, queries: list[str],
           bucket: str | None = None) -> Trends:
    """``search.trends.trends`` on the cluster: the same buckets and figures."""
    queries = check_queries(queries)
    if bucket is not None and bucket not in BUCKETS:
        raise QueryError(f"bucket must be one of {', '.join(BUCKETS)} (got '{bucket}').")
    selections = [selection(index, dataclasses.replace(req, q=q)) for q in queries]
    gen = selections[0][0]
    filters = selections[0][3]["bool"]["filter"]
    first_day, last_day = _days(gen)
    lo_day = max(first_day, day_of(req.date_from))
    hi_day = min(last_day, day_of(req.date_to) or last_day)
    if bucket is None:
        bucket = "month" if hi_day - lo_day <= MONTHS_UP_TO_DAYS else "year"
    if hi_day < lo_day or not first_day:
        spans: list = []
    else:
        spans = spans_of(date_of(lo_day), date_of(hi_day), bucket)
    n = len(spans)
    per_year = bucket == "year"
    first_key = spans[0][0] if spans else 0
    if spans:
        lo_month = first_key * 12 if per_year else first_key
        hi_month = spans[-1][0] * 12 + 11 if per_year else spans[-1][0]
    else:
        lo_month, hi_month = 0, -1
    in_range = {"range": {"month": {"gte": lo_month, "lte": hi_month}}}
    months = hi_month - lo_month + 1

    def slot(month: int) -> int:
        return (month // 12 if per_year else month) - first_key

    undated = call(index, lambda: gen.conn.search(index=gen.name, body={
        "size": 0, "query": {"bool": {"filter": [*filters, {"range": {"day": {"lte": 0}}}]}},
        "aggs": {"w": {"sum": {"field": "words"}}}}))
    undated_words = int(undated["aggregations"]["w"]["value"])
    words = np.zeros(n)
    all_tr = np.zeros(n, dtype=np.int64)
    if n:
        for month, (w, t) in _per_month(index, gen, {"bool": {"filter": [*filters, in_range]}},
                                        months).items():
            words[slot(month)] += w
            all_tr[slot(month)] += t
    out = []
    for q, (_, _, parsed, query) in zip(queries, selections, strict=True):
        hits = np.zeros(n)
        tr = np.zeros(n, dtype=np.int64)
        if n:
            matched = {"bool": {"must": [query], "filter": [in_range]}}
            for month, (_, t) in _per_month(index, gen, matched, months).items():
                tr[slot(month)] += t
            for month, k in _hits(index, gen, matched, parsed,
                                  lambda src: int(src["month"])).items():
                hits[slot(month)] += k
        out.append(series(q, spans, hits, words, tr, all_tr, lo_day, hi_day, parsed))
    return Trends(req, queries, bucket, out, undated_words)


# -- who said it most ----------------------------------------------------------------------
def speaker_ranking(
    index: ClusterIndex,
    req: SearchRequest,
    sort: str = "low",
    min_words: int = DEFAULT_MIN_WORDS,
    min_hits: int = DEFAULT_MIN_HITS,
    min_transcripts: int = DEFAULT_MIN_TRANSCRIPTS,
    limit: int = 100,
) -> SpeakerRanking:
    """``search.speaker_stats.speaker_ranking`` on the cluster: the same figures."""
    check_ranking(sort, min_words, min_hits, min_transcripts, limit)
    gen, _, parsed, query = selection(index, dataclasses.replace(req, page=1))
    facet = gen.facets["speaker"]
    n = len(facet.values)
    spoken = [*query["bool"]["filter"], {"exists": {"field": "f_speaker"}}]
    body = {"size": 0, "query": {"bool": {"filter": spoken}}, "aggs": {"s": {
        "terms": {"field": "f_speaker", "size": max(1, n)},
        "aggs": {"words": {"sum": {"field": "words"}}, **transcript_count(gen)},
    }}}
    answer = call(index, lambda: gen.conn.search(index=gen.name, body=body,
                                                 filter_path="-aggregations.s.buckets.tids"))
    words = np.zeros(n)
    spoke_in = np.zeros(n, dtype=np.int64)
    for b in answer.get("aggregations", {}).get("s", {}).get("buckets", []):
        i = facet.ids.get(b["key"])
        if i is not None:
            words[i], spoke_in[i] = b["words"]["value"], counted_transcripts(b)
    has_query = parsed.query is not None
    hits = np.zeros(n)
    transcripts = np.zeros(n, dtype=np.int64)
    leaves = counted_leaves(parsed.query)
    if has_query and leaves:
        said: set[tuple[int, str]] = set()
        matched = {"bool": {"must": [query], "filter": [{"exists": {"field": "f_speaker"}}]}}
        for hit in scan(index, gen, matched, ["_doc"], ["body", "kind", "meta.title",
                                                        "f_speaker", "tid"]):
            src = hit["_source"]
            k = occurrences(src, leaves)
            i = facet.ids.get(src["f_speaker"][0])
            if k and i is not None:
                hits[i] += k
                said.add((i, src["tid"]))
        for i, _ in said:
            transcripts[i] += 1
    return ranked(req, facet.values, words, spoke_in, hits, transcripts, has_query, sort,
                  min_words, min_hits, min_transcripts, limit)
