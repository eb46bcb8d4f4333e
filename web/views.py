"""What templates may call, and the headers every response carries.

Only two things reach a template as markup: snippets (escaped and marked by
``search.snippets``) and ``paragraphs`` below, which is built from ``highlight`` and
therefore escaped the same way. Everything else is left to Jinja's autoescaping.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask, Response
from markupsafe import Markup

from transcripts.index.model import clock
from transcripts.search.backend import person_names_of
from transcripts.search.snippets import WordMatcher, highlight
from transcripts.web import current_index, links

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
    "source": "Source",
    "year": "Year",
}

# Licences named by their usual short form, so a sidecar may give either the name or URL.
LICENCE_URLS = {
    "cc by 4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc by-sa 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc by 3.0": "https://creativecommons.org/licenses/by/3.0/",
    "cc0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc0 1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}
_CC_URL = re.compile(r"https?://creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/([\d.]+)/?")


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


def licence_link(licence: str) -> tuple[str, str]:
    """(name to show, URL or "") for a licence given as a name or as a URL."""
    licence = (licence or "").strip()
    if m := _CC_URL.fullmatch(licence):
        _, code, version = m.groups()
        name = "CC0" if code == "zero" else f"CC {code.upper()}"
        return f"{name} {version}", licence
    if web_url(licence):
        return licence, licence
    return licence, LICENCE_URLS.get(licence.casefold(), "")


def media_at(media: str | None, seconds: float | None) -> str:
    """The recording at a moment (a media fragment, ``#t=SECONDS``); "" if it is not http(s)."""
    url = web_url(media)
    if not url or seconds is None:
        return url
    return f"{url.split('#')[0]}#t={int(seconds)}"


def person_name(tag: str) -> str:
    """A Persons tag as a person reads it ("Merkel Angela" -> "Angela Merkel")."""
    return person_names_of(current_index()).show(tag)


def facet_value_label(facet: str, value: str) -> str:
    """A filter value as shown: persons as a person reads them, the rest as stored."""
    return person_name(value) if facet == "person" else value


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
    app.add_template_filter(clock)
    app.add_template_global(media_at)
    app.add_template_global(licence_link)
    app.add_template_global(plural)
    app.add_template_global(links.transcript_url)
    app.add_template_global(links.with_value_replaced, "replace_value_url")
    app.add_template_global(person_name)
    app.add_template_filter(person_name)
    app.add_template_global(facet_value_label)
    app.jinja_env.globals.update(
        facet_labels=FACET_LABELS,
        source_name=SOURCE_NAME,
        source_home=SOURCE_HOME,
        license_name=LICENSE_NAME,
        license_url=LICENSE_URL,
    )
