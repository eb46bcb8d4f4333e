"""Which engine answers: the embedded index (the default) or an OpenSearch cluster.

The site and the CLI hold an index object and call the functions here; they never ask
which engine is behind it. ``open_index`` picks it from options or the environment
(``TRANSCRIPTS_BACKEND``, ``TRANSCRIPTS_OPENSEARCH_URL`` ...).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from transcripts.index import location
from transcripts.index.opensearch.connection import ClusterSettings
from transcripts.search import engine, export
from transcripts.search.engine import TranscriptIndex
from transcripts.search.person_names import PersonNames
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest, SearchResult, ValueNote
from transcripts.search.snippets import WordMatcher

if TYPE_CHECKING:
    import datetime as dt

    from typing_extensions import TypeIs

    from transcripts.index.model import Transcript
    from transcripts.search.concordance import Concordance, OrderedHits
    from transcripts.search.export import ExportPlan
    from transcripts.search.follow import Followed
    from transcripts.search.opensearch_analysis import ClusterOrderedHits
    from transcripts.search.opensearch_engine import ClusterIndex
    from transcripts.search.opensearch_export import ClusterExportPlan
    from transcripts.search.speaker_profile import SpeakerProfile
    from transcripts.search.speaker_stats import SpeakerRanking
    from transcripts.search.trends import Trends

# The index the site and the CLI hold: either engine's (a string: ``ClusterIndex`` is only
# imported when OpenSearch is used).
Index: TypeAlias = "TranscriptIndex | ClusterIndex"

ENV_BACKEND = "TRANSCRIPTS_BACKEND"
EMBEDDED = "embedded"
OPENSEARCH = "opensearch"
BACKENDS = (EMBEDDED, OPENSEARCH)


def chosen(backend: str | None = None) -> str:
    name = (backend or os.environ.get(ENV_BACKEND) or EMBEDDED).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown backend '{name}': use {' or '.join(BACKENDS)}")
    return name


def open_index(
    backend: str | None = None,
    index_dir: str | Path | None = None,
    opensearch_url: str | None = None,
    opensearch_index: str | None = None,
) -> Index:
    """The index to search: a ``TranscriptIndex`` at ``index_dir`` (embedded) or a
    ``ClusterIndex`` behind an alias on OpenSearch."""
    if chosen(backend) == OPENSEARCH:
        from transcripts.search.opensearch_engine import ClusterIndex

        return ClusterIndex(ClusterSettings.from_env(opensearch_url, opensearch_index))
    return TranscriptIndex(location.index_root(index_dir))


def is_embedded(index: Index) -> TypeIs[TranscriptIndex]:
    return isinstance(index, TranscriptIndex)


def search(index: Index, req: SearchRequest) -> SearchResult:
    if is_embedded(index):
        return engine.search(index, req)
    from transcripts.search import opensearch_engine

    return opensearch_engine.search(index, req)


def get_transcript(index: Index, transcript_id: str) -> Transcript | None:
    if is_embedded(index):
        return engine.get_transcript(index, transcript_id)
    from transcripts.search import opensearch_engine

    return opensearch_engine.get_transcript(index, transcript_id)


def translations(index: Index, transcript_id: str) -> list[str]:
    """The ids of the transcripts that translate this one."""
    if is_embedded(index):
        return engine.translations(index, transcript_id)
    from transcripts.search import opensearch_engine

    return opensearch_engine.translations(index, [transcript_id]).get(transcript_id, [])


def matcher_for(index: Index, q: str) -> WordMatcher:
    if is_embedded(index):
        return engine.matcher_for(index, q)
    from transcripts.search import opensearch_engine

    return opensearch_engine.matcher_for(index, q)


def request_notes(index: Index, req: SearchRequest) -> list[ValueNote]:
    if is_embedded(index):
        return engine.request_notes(index, req)
    from transcripts.search import opensearch_engine

    return opensearch_engine.request_notes(index, req)


def plan_export(index: Index, req: SearchRequest, sort: str, limit: int
                ) -> ExportPlan | ClusterExportPlan:
    """Which documents an export sends, in order (``search.export``'s plan, or the
    cluster's, streamed through a point in time)."""
    if is_embedded(index):
        return export.plan_export(index, req, sort, limit)
    from transcripts.search import opensearch_export

    return opensearch_export.plan_export(index, req, sort, limit)


def trends(index: Index, req: SearchRequest, queries: list[str], bucket: str | None = None
           ) -> Trends:
    """Over time (``search.trends``): the same figures from either engine."""
    if is_embedded(index):
        from transcripts.search.trends import trends as embedded_trends

        return embedded_trends(index, req, queries, bucket)
    from transcripts.search.opensearch_analysis import trends as cluster_trends

    return cluster_trends(index, req, queries, bucket)


def speaker_ranking(index: Index, req: SearchRequest, **options: Any) -> SpeakerRanking:
    """Who said it most (``search.speaker_stats``): the same figures from either engine."""
    if is_embedded(index):
        from transcripts.search.speaker_stats import speaker_ranking as embedded_ranking

        return embedded_ranking(index, req, **options)
    from transcripts.search.opensearch_analysis import speaker_ranking as cluster_ranking

    return cluster_ranking(index, req, **options)


def speaker_profile(index: Index, name: str) -> SpeakerProfile | None:
    """A speaker's page (``search.speaker_profile``) from either engine."""
    if is_embedded(index):
        from transcripts.search.speaker_profile import speaker_profile as embedded_profile

        return embedded_profile(index, name)
    from transcripts.search.opensearch_analysis import speaker_profile as cluster_profile

    return cluster_profile(index, name)


def concordance(index: Index, req: SearchRequest, sort: str, page: int, per_page: int,
                width: int) -> Concordance:
    """One page of the concordance (``search.concordance``) from either engine."""
    if is_embedded(index):
        from transcripts.search import concordance as embedded

        return embedded.concordance(index, req, sort, page, per_page, width)
    from transcripts.search import opensearch_analysis

    return opensearch_analysis.concordance(index, req, sort, page, per_page, width)


def ordered_hits(index: Index, req: SearchRequest, sort: str, width: int
                 ) -> OrderedHits | ClusterOrderedHits:
    """Every line of the concordance, in order (for its CSV), from either engine."""
    if is_embedded(index):
        from transcripts.search import concordance as embedded

        return embedded.ordered_hits(index, req, sort, width)
    from transcripts.search import opensearch_analysis

    return opensearch_analysis.ordered_hits(index, req, sort, width)


def new_passages(index: Index, req: SearchRequest, after: float | None = None, limit: int = 50,
                 dated_from: dt.date | None = None) -> Followed:
    """Following a search (``search.follow``): the passages it matches, newest to the
    index first, from either engine."""
    if is_embedded(index):
        from transcripts.search import follow

        return follow.new_passages(index, req, after, limit, dated_from)
    from transcripts.search import opensearch_follow

    return opensearch_follow.new_passages(index, req, after, limit, dated_from)


def generation_stamp(index: Index) -> tuple[str, float]:
    """(name, built_at) of the generation answering now: a feed's ETag and Last-Modified."""
    if is_embedded(index):
        from transcripts.search import follow

        return follow.generation_stamp(index)
    from transcripts.search import opensearch_follow

    return opensearch_follow.generation_stamp(index)


def person_names_of(index: Index) -> PersonNames:
    return index.current().people


# -- languages, parties and translations (issue 19) -----------------------------------

TRENDS_BY = ("party", "language", "speaker")  # facets "Over time" can draw a series for
TRENDS_TOP = 8  # series at most: more lines than that no reader can tell apart


def facet_size(index: Index, facet: str) -> int:
    """How many values a facet has in the whole index (parties, languages): the site
    offers a view by party only where there is a party to show, by language only where
    there are two languages."""
    return len(index.current().facets[facet].values)


def transcript_metas(index: Index, transcript_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each transcript's metadata (title, date, language, source, translation_of ...)
    without its utterances, by id; ids the index does not have are left out. What a link
    to another transcript says (a translation's original, a concordance line's language)
    costs one stored record each, not a whole transcript."""
    ids = list(dict.fromkeys(transcript_ids))
    if not ids:
        return {}
    if is_embedded(index):
        gen = index.current()
        searcher = gen.searcher()
        out: dict[str, dict[str, Any]] = {}
        for tid in ids:
            t = gen.table.tid_ord.get(tid)
            if t is not None and gen.page_doc[t] >= 0:
                out[tid] = dict(gen.meta(searcher, t))
        return out
    from transcripts.search import opensearch_engine

    return opensearch_engine.metas(index, index.current(), ids)


@dataclass
class FacetTrends:
    """One query over time, one series per value of a facet (``trends_by``): the
    ``Trends`` of each value, drawn together."""

    facet: str
    values: list[str]  # trends.series[i] is values[i]'s
    trends: Trends
    others: int  # values the search matches that have no series of their own

    def to_dict(self) -> dict[str, Any]:
        """``Trends.to_dict`` with ``by``, each series' ``value`` and ``others``."""
        data = self.trends.to_dict()
        data["by"] = self.facet
        data["others"] = self.others
        for series, value in zip(data["series"], self.values, strict=True):
            series["value"] = value
        return data


def trends_by(index: Index, req: SearchRequest, query: str, facet: str,
              bucket: str | None = None, top: int = TRENDS_TOP) -> FacetTrends:
    """``query`` over time once per value of ``facet`` ("party"): the ``top`` values with
    the most passages matching the query and the filters (the search's own facet counts,
    so the choice is the results page's), or the values ticked in ``req`` if any; each
    series is ``trends`` with that value as its filter, so the figures are exactly those
    "Over time" shows for the search with that value ticked. The buckets are the same for
    every value (they depend on the dates asked for and the index's, not on the filter)."""
    if facet not in TRENDS_BY:
        raise QueryError(f"by must be one of {', '.join(TRENDS_BY)} (got '{facet[:40]}').")
    if not 1 <= top <= TRENDS_TOP:
        raise QueryError(f"top must be between 1 and {TRENDS_TOP}.")
    query = query.strip()
    found = search(index, dataclasses.replace(req, q=query, page=1))
    counted = sorted(found.facets.get(facet, []), key=lambda v: (-v.count, v.value.casefold()))
    ticked = list(getattr(req, facet))
    if ticked:
        counts = {v.value: v.count for v in counted}
        chosen = sorted(ticked, key=lambda v: -counts.get(v, 0))[:top]
    else:
        chosen = [v.value for v in counted if v.count > 0][:top]
    others = len([v for v in counted if v.count > 0 and v.value not in chosen])
    each = [trends(index, with_value(req, facet, value), [query], bucket) for value in chosen]
    if each:
        base = each[0]
        series = [t.series[0] for t in each]
        undated = sum(t.undated_words for t in each)
    else:
        base = trends(index, req, [query], bucket)
        series, undated = [], 0
    from transcripts.search.trends import Trends as TrendsResult

    combined = TrendsResult(req, base.queries, base.bucket, series, undated)
    return FacetTrends(facet, chosen, combined, others)


def with_value(req: SearchRequest, facet: str, value: str) -> SearchRequest:
    """The request with this one value ticked in a facet (and no other of it)."""
    fields: dict[str, Any] = {facet: [value], "page": 1}
    return dataclasses.replace(req, **fields)
