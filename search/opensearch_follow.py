"""Following a search on OpenSearch: ``search.follow``'s answers from the cluster.

Every document carries ``first_seen`` (when its transcript was first indexed), so the
window and the order are the cluster's own range and sort. An update changes the live
index in place, so the window's upper end is the ``built_at`` of the generation document
as a *search* sees it: the writer makes the new documents searchable before it writes
that document, so a run that sees a build's time sees all of the build's passages, and
one that does not leaves them for the next run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from transcripts.index.documents import day_number
from transcripts.index.opensearch import mapping
from transcripts.index.opensearch.mapping import vocabulary_alias
from transcripts.search.follow import FEED_ENTRIES, Followed, passage
from transcripts.search.opensearch_engine import (
    SHOWN_FIELDS,
    ClusterIndex,
    call,
    counted_transcripts,
    metas,
    selection,
    transcript_count,
)
from transcripts.search.results import SearchRequest
from transcripts.search.snippets import WordMatcher

ORDER = [{"first_seen": {"order": "desc", "missing": "_last", "unmapped_type": "double"}},
         {"day": "desc"}, {"tid": "asc"}, {"pos": "asc"}, {"kind": "desc"}]


def generation_stamp(index: ClusterIndex) -> tuple[str, float]:
    """(index name, built_at) as a search sees them now (0.0: built before the times)."""
    gen = index.current()
    body = {"query": {"ids": {"values": [mapping.GENERATION_DOC]}}, "size": 1,
            "_source": ["first_seen.built_at"]}
    hits = call(index, lambda: gen.conn.search(index=vocabulary_alias(gen.name), body=body)
                )["hits"]["hits"]
    built = hits[0]["_source"].get("first_seen", {}).get("built_at", 0.0) if hits else 0.0
    return gen.name, float(built)


def new_passages(
    index: ClusterIndex,
    req: SearchRequest,
    after: float | None = None,
    limit: int = FEED_ENTRIES,
    dated_from: dt.date | None = None,
) -> Followed:
    gen, req, parsed, query = selection(index, req)
    name, built_at = generation_stamp(index)
    window: list[dict[str, Any]] = [{"range": {"first_seen": {"lte": built_at}}}]
    if after is not None:
        newer: dict[str, Any] = {"range": {"first_seen": {"gt": after}}}
        if dated_from is not None:
            dated = {"range": {"day": {"gte": day_number(dated_from)}}}
            newer = {"bool": {"should": [newer, dated], "minimum_should_match": 1}}
        window.append(newer)
    body = {
        "query": {"bool": {"must": [query], "filter": window}},
        "sort": ORDER,
        "size": limit,
        "track_total_hits": True,
        "_source": [*SHOWN_FIELDS, "first_seen"],
        "aggs": {"transcripts": {"filter": {"match_all": {}},
                                 "aggs": transcript_count(gen)}},
    }
    answer = call(index, lambda: gen.conn.search(index=gen.name, body=body,
                                                 filter_path="-aggregations.transcripts.tids"))
    hits = [h["_source"] for h in answer["hits"]["hits"]]
    meta = metas(index, gen, list(dict.fromkeys(h["tid"] for h in hits)))
    matcher = WordMatcher(parsed.stems, parsed.words)
    passages = [
        passage(src["tid"], int(src["pos"]), src, meta.get(src["tid"], {}), matcher,
                float(src.get("first_seen") or 0.0), src.get("role_shown") or "")
        for src in hits
    ]
    total = int(answer["hits"]["total"]["value"])
    transcripts = counted_transcripts(answer["aggregations"]["transcripts"]) if total else 0
    return Followed(name, built_at, total, transcripts, passages)
