"""The JSON API: the same searches as the site, for scripts and notebooks.

Parameters are read by the same function as the page's, so a site URL works here with
``/api/search`` in front. Errors are JSON too (see ``errors``).
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from transcripts.search.backend import get_transcript, person_names_of, translations
from transcripts.search.backend import search as run_search
from transcripts.web import current_index, openapi
from transcripts.web.links import Links, value_notes_json
from transcripts.web.pages import MAX_ID_CHARS
from transcripts.web.params import search_request

bp = Blueprint("api", __name__)


@bp.get("/search")
def search() -> ResponseReturnValue:
    req = search_request(request.args)
    result = run_search(current_index(), req)
    data = result.to_dict()
    links = Links(req)
    for relax in data["relax"]:  # the page and the API call without that filter
        url = links.without_filter(relax["field"])
        relax["url"] = url
        relax["api_url"] = url_for("api.search") + url.partition(url_for("pages.search"))[2]
    data["value_notes"] = value_notes_json(result.value_notes)
    return jsonify(data)


@bp.get("/transcripts/<transcript_id>")
def transcript(transcript_id: str) -> ResponseReturnValue:
    if len(transcript_id) > MAX_ID_CHARS:
        abort(404)
    t = get_transcript(current_index(), transcript_id)
    if t is None:
        abort(404, description=f"There is no transcript with the id '{transcript_id}'.")
    data = t.to_dict()
    data.pop("file", None)  # a path on the server's disk: of no use to a client
    # The tags as stored (what filters take), and each as a person reads it, in order.
    people = person_names_of(current_index())
    data["person_names"] = [people.show(p) for p in t.persons]
    data["translations"] = translations(current_index(), t.id)
    return jsonify(data)


@bp.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    """The contract (``web.openapi``): what every JSON answer holds, and every refusal."""
    return jsonify(openapi.document())


@bp.get("")
def docs() -> ResponseReturnValue:
    """The same document as a page, drawn by the site itself (no script, no CDN)."""
    return render_template("api.html", doc=openapi.document())
