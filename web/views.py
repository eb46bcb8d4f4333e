"""What templates may call, and the headers every response carries.

Only two things reach a template as markup: snippets (escaped and marked by
``search.snippets``) and ``paragraphs`` below, which is built from ``highlight`` and
therefore escaped the same way. Everything else is left to Jinja's autoescaping.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, Response
from markupsafe import Markup

from search.snippets import WordMatcher, highlight
from web import links

SOURCE_NAME = "President of Russia website (en.kremlin.ru)"
SOURCE_HOME = "http://en.kremlin.ru/"
LICENSE_NAME = "CC BY 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

FACET_LABELS = {
    "speaker": "Speaker",
    "person": "Person",
    "geography": "Geography",
    "topic": "Topic",
    "year": "Year",
}


def long_date(iso: str) -> str:
    """'2020-08-27' -> '27 August 2020': unambiguous for readers on either side of the Atlantic."""
    try:
        day = dt.date.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or ""
    return f"{day.day} {day:%B %Y}"


def paragraphs(text: str, matcher: WordMatcher | None = None) -> Markup:
    """The text as <p> paragraphs (one per line, as read) with the query's words marked."""
    marked = highlight(text, matcher or WordMatcher())
    paras = [line.strip() for line in marked.split("\n") if line.strip()]
    return Markup("".join(f"<p>{p}</p>" for p in paras))  # escaped by highlight


def marked(text: str, matcher: WordMatcher | None = None) -> Markup:
    """One line (a title) with the query's words marked."""
    return Markup(highlight(text, matcher or WordMatcher()))  # escaped by highlight


def web_url(url: str | None) -> str:
    """A transcript's own link only if it is http(s): a file can say ``javascript:``."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def install(app: Flask) -> None:
    app.after_request(_security_headers)
    app.add_template_filter(long_date)
    app.add_template_filter(paragraphs)
    app.add_template_filter(marked)
    app.add_template_filter(web_url)
    app.add_template_global(plural)
    app.add_template_global(links.transcript_url)
    app.add_template_global(FACET_LABELS, "facet_labels")
    app.jinja_env.globals.update(
        source_name=SOURCE_NAME,
        source_home=SOURCE_HOME,
        license_name=LICENSE_NAME,
        license_url=LICENSE_URL,
    )
