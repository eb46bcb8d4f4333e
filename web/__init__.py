"""The search site and its JSON API: server-rendered pages over ``search.engine``.

``create_app`` is the one entry point, for ``flask --app web run`` in development and for
``transcripts serve`` (waitress) in production. Each app holds one ``TranscriptIndex``:
its generation is opened and searched once in the background at start and right after
each reindex's swap, so no visitor waits for it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from index import location
from search.engine import TranscriptIndex

_INDEX_KEY = "transcripts.index"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config["INDEX_DIR"] = str(location.index_root())
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # names read as written
    index = TranscriptIndex(location.index_root(app.config["INDEX_DIR"]))
    app.extensions[_INDEX_KEY] = index
    if app.config.get("WARM_INDEX", True):
        index.watch()  # opened and searched once at start and after each swap

    from web import analysis, api, errors, export, kwic, pages, views

    views.install(app)
    errors.install(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(kwic.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(analysis.bp)
    return app


def current_index() -> TranscriptIndex:
    """The app's one index, so every request shares its opened generation."""
    return current_app.extensions[_INDEX_KEY]
