"""The HTML views: the search page and the transcript page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from transcripts.search.backend import (
    get_transcript,
    matcher_for,
    person_names_of,
    transcript_metas,
)
from transcripts.search.backend import search as run_search
from transcripts.search.query import QueryError
from transcripts.search.results import SORTS, SearchRequest
from transcripts.search.snippets import WordMatcher
from transcripts.web import current_index
from transcripts.web.feed import feed_url
from transcripts.web.links import Links, search_url
from transcripts.web.parallel import parallel_of
from transcripts.web.params import search_request
from transcripts.web.sidebar import facet_views
from transcripts.web.views import FACET_LABELS

bp = Blueprint("pages", __name__)

MAX_ID_CHARS = 255  # ids are page numbers or file names, and a file name is at most 255

# What a transcript's tag lists filter on when clicked.
TAG_FACETS = (("geography", "geography", "Geography"), ("topics", "topic", "Topics"),
              ("persons", "person", "Persons"))


@bp.get("/")
def search() -> ResponseReturnValue:
    """A query that cannot run is shown on the search page itself, so it can be fixed there."""
    try:
        req = search_request(request.args)
        result = run_search(current_index(), req)
    except QueryError as exc:
        typed = SearchRequest(q=request.args.get("q", "").strip())
        return render_template("search.html", req=typed, links=Links(typed), result=None,
                               error=str(exc), facets=[], sorts=SORTS), 400
    req = result.request  # persons named as stored, however the URL named them
    links = Links(req)
    # The originals and translations the results name: their titles and languages.
    related = transcript_metas(current_index(), [
        i for t in result.transcripts for i in (t.translation_of, *t.translations) if i])
    return render_template(
        "search.html",
        req=req,
        result=result,
        related=related,
        links=links,
        error=None,
        facets=facet_views(result.facets, FACET_LABELS, links),
        sorts=SORTS,
        browsing=not req.q,
        feeds=[("this search", feed_url(req))],
    )


@bp.get("/t/<transcript_id>")
def transcript(transcript_id: str) -> ResponseReturnValue:
    """The id is only ever a key into the index, never part of a path."""
    if len(transcript_id) > MAX_ID_CHARS:
        abort(404)
    index = current_index()
    t = get_transcript(index, transcript_id)
    if t is None:
        abort(404, description=f"There is no transcript with the id '{transcript_id}'.")
    q = request.args.get("q", "").strip()
    matcher = matcher_for(index, q) if q else WordMatcher()
    matched = [u.position for u in t.utterances if matcher and matcher.spans(u.text)]
    people = person_names_of(index)
    tags = [
        (label, [(people.show(value) if facet == "person" else value,
                  search_url(_tag_search(facet, value))) for value in values])
        for attr, facet, label in TAG_FACETS
        if (values := getattr(t, attr))
    ]
    return render_template(
        "transcript.html",
        t=t,
        parallel=parallel_of(index, t),
        source_url=search_url(SearchRequest(source=[t.source])) if t.source else None,
        q=q,
        matcher=matcher,
        matched=matched,
        matched_set=set(matched),
        tags=tags,
        back_url=search_url(SearchRequest(q=q)) if q else None,
    )


def _tag_search(facet: str, value: str) -> SearchRequest:
    """The search for one tag value (``facet`` names one of SearchRequest's list fields)."""
    fields: dict[str, Any] = {facet: [value]}
    return SearchRequest(**fields)
