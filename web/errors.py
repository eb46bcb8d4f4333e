"""Every failure ends as a short message, never a traceback: HTML for pages, JSON for /api/.

A bad query is the user's to fix (400, their message); a missing index is the
operator's (503); anything else is logged here with its traceback and shown as a
plain 500.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from transcripts.index.opensearch.connection import ClusterUnavailable
from transcripts.search.engine import IndexMissing
from transcripts.search.query import QueryError

_log = logging.getLogger(__name__)

INDEX_MISSING_MESSAGE = (
    "The search index is not available yet. Build it with `transcripts reindex`, "
    "then try again."
)


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, title: str, message: str) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, title=title, message=message), status


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    if status == 405:  # the methods the address takes, as RFC 9110 asks
        allowed = dict(exc.get_headers()).get("Allow", "")
        body, code = error_response(405, exc.name, exc.description or exc.name)
        return body, code, {"Allow": allowed}
    custom = exc.description and exc.description != type(exc).description
    if status == 404 and not custom:
        message = "There is no page at this address. It may have been mistyped or removed."
        return error_response(404, "Not found", message)
    return error_response(status, exc.name, exc.description or exc.name)


def _query_error(exc: QueryError) -> ResponseReturnValue:
    return error_response(400, "Bad request", str(exc))


def _index_missing(exc: IndexMissing) -> ResponseReturnValue:
    return error_response(503, "Index not available", INDEX_MISSING_MESSAGE)


def _cluster_unavailable(exc: ClusterUnavailable) -> ResponseReturnValue:
    _log.warning("search cluster unavailable on %s: %s", request.path, exc)
    return error_response(
        503, "Search is unavailable",
        "The search cluster cannot answer right now. Please try again in a minute.",
    )


def _unexpected(exc: Exception) -> ResponseReturnValue:
    _log.exception("unhandled error on %s", request.path)
    return error_response(
        500, "Something went wrong", "The server could not answer this request. Please try again."
    )


def install(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(IndexMissing, _index_missing)
    app.register_error_handler(ClusterUnavailable, _cluster_unavailable)
    app.register_error_handler(Exception, _unexpected)
