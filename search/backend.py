"""Which engine answers: the embedded index (the default) or an OpenSearch cluster.

The site and the CLI hold an index object and call the functions here; they never ask
which engine is behind it. ``open_index`` picks it from options or the environment
(``TRANSCRIPTS_BACKEND``, ``TRANSCRIPTS_OPENSEARCH_URL`` ...).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from transcripts.index import location
from transcripts.index.opensearch.connection import ClusterSettings
from transcripts.search import engine, export
from transcripts.search.engine import TranscriptIndex
from transcripts.search.person_names import PersonNames
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
