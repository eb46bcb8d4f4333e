"""The search site and its JSON API: server-rendered pages over ``search.backend``.

``create_app`` is the one entry point, for ``flask --app transcripts.web run`` in
development and for ``transcripts serve`` (waitress) in production. Each app holds one
index (embedded or on OpenSearch):
its generation is opened and searched once in the background at start and right after
each reindex's swap, so no visitor waits for it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from transcripts.index import location
from transcripts.search import backend

_INDEX_KEY = "transcripts.index"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """``BACKEND`` ("embedded", the default, or "opensearch"; else $TRANSCRIPTS_BACKEND),
    ``INDEX_DIR`` for the embedded index, ``OPENSEARCH_URL`` and ``OPENSEARCH_INDEX`` for
    a cluster (else their environment variables)."""
    app = Flask(__name__)
    app.config["INDEX_DIR"] = str(location.index_root())
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # names read as written
    index = backend.open_index(
        app.config.get("BACKEND"),
        location.index_root(app.config["INDEX_DIR"]),
        app.config.get("OPENSEARCH_URL"),
        app.config.get("OPENSEARCH_INDEX"),
    )
    app.extensions[_INDEX_KEY] = index
    if app.config.get("WARM_INDEX", True):
        index.watch()  # opened and searched once at start and after each swap

    from transcripts.web import analysis, api, errors, export, feed, kwic, pages, views

    views.install(app)
    errors.install(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(kwic.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(analysis.bp)
    app.register_blueprint(feed.bp)
    return app


def current_index() -> backend.Index:
    """The app's one index (``search.backend``), so every request shares its opened
    generation."""
    index: backend.Index = current_app.extensions[_INDEX_KEY]
    return index
