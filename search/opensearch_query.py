"""A parsed query (``search.query``'s Whoosh tree) as OpenSearch query DSL.

The tree is the one the embedded engine runs: words already analysed (folded, stemmed),
prefixes already expanded to real words with the same caps, ``speaker:`` already turned
into whole facet values. So each leaf is a ``term`` (or a phrase of analysed tokens)
and OpenSearch analyses nothing: both backends match the same documents.

Phrases: ``"a b"`` is words next to each other, ``match_phrase`` with the ``whitespace``
analyzer over the analysed tokens. ``"a b c"~N`` lets each word stand up to N positions
after the one before it (the embedded engine's rule, per gap); Lucene's slop counts the
gaps together, so each gap is a ``span_near`` of its own, nested left to right.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq

from transcripts.index.opensearch.mapping import ANALYZER
from transcripts.search.query import QueryError

MAX_SCORED_TERMS = 32  # an OR of more words of one field is one ``terms`` query


def to_dsl(q: wq.Query | None) -> dict[str, Any]:
    """The DSL for a parsed query; None is everything (an empty query)."""
    if q is None:
        return {"match_all": {}}
    return _node(q)


def _node(q: wq.Query) -> dict[str, Any]:
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return {"match_none": {}}
    if isinstance(q, wq.Every):
        return {"match_all": {}}
    if isinstance(q, wq.Term):
        return {"term": {q.fieldname: {"value": q.text, "boost": q.boost}}}
    if isinstance(q, wq.Phrase):
        return _phrase(q)
    if isinstance(q, wq.And):
        return {"bool": {"must": [_node(s) for s in q.subqueries]}}
    if isinstance(q, wq.Or):
        return {"bool": {"should": _any_of(q.subqueries), "minimum_should_match": 1}}
    if isinstance(q, wq.AndNot):
        return {"bool": {"must": [_node(q.a)], "must_not": [_node(q.b)]}}
    if isinstance(q, wq.AndMaybe):
        return {"bool": {"must": [_node(q.a)], "should": [_node(q.b)]}}
    if isinstance(q, wq.Require):
        return {"bool": {"must": [_node(q.a)], "filter": [_node(q.b)]}}
    if isinstance(q, wq.Not):
        return {"bool": {"must": [{"match_all": {}}], "must_not": [_node(q.query)]}}
    raise QueryError(f"This kind of query ({type(q).__name__}) cannot be run on OpenSearch.")


def _any_of(subqueries: list[wq.Query]) -> list[dict[str, Any]]:
    """OR's clauses. Many words of one field (a prefix's 200) become one ``terms`` query:
    a query may hold at most 1,024 clauses in all (``indices.query.bool.max_clause_count``),
    and eight prefixes would pass it. Such words then match alike (a constant score):
    only the relevance order can tell."""
    by_field: dict[str, list[wq.Term]] = {}
    for sub in subqueries:
        if isinstance(sub, wq.Term):
            by_field.setdefault(sub.fieldname, []).append(sub)
    out = []
    for sub in subqueries:
        if not isinstance(sub, wq.Term) or len(by_field[sub.fieldname]) <= MAX_SCORED_TERMS:
            out.append(_node(sub))
    for field, terms in by_field.items():
        if len(terms) > MAX_SCORED_TERMS:
            out.append({"terms": {field: sorted({t.text for t in terms})}})
    return out


def _phrase(q: wq.Phrase) -> dict[str, Any]:
    words = list(q.words)
    if len(words) == 1:
        return {"term": {q.fieldname: {"value": words[0], "boost": q.boost}}}
    if q.slop <= 1:
        return {"match_phrase": {q.fieldname: {"query": " ".join(words), "analyzer": ANALYZER,
                                               "boost": q.boost}}}
    gap = q.slop - 1  # words allowed between one word and the next
    span: dict[str, Any] = {"span_term": {q.fieldname: words[0]}}
    for word in words[1:]:
        span = {"span_near": {"clauses": [span, {"span_term": {q.fieldname: word}}],
                              "slop": gap, "in_order": True}}
    return span
