"""What templates may call, and the headers every response carries.

Only two things reach a template as markup: snippets (escaped and marked by
``search.snippets``) and ``paragraphs`` below, which is built from ``highlight`` and
therefore escaped the same way. Everything else is left to Jinja's autoescaping.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote

from flask import Flask, Response, url_for
from markupsafe import Markup

from transcripts.index import language
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

# The sidebar's facets, in this order; one with no values in the results is left out.
FACET_LABELS = {
    "speaker": "Speaker",
    "party": "Party",
    "person": "Person",
    "geography": "Geography",
    "topic": "Topic",
    "source": "Source",
    "language": "Language",
    "year": "Year",
}
# The language the site is written in (``<html lang>``): text in any other gets a
# ``lang`` attribute, so a screen reader reads it with the right voice, and a badge.
SITE_LANGUAGE = "en"

# Licences named by their usual short form, so a sidecar may give either the name or URL.
LICENCE_URLS = {
    "cc by 4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc by-sa 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc by 3.0": "https://creativecommons.org/licenses/by/3.0/",
    "cc0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc0 1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}
_FRAGMENT_SAFE = "!$&'()*+,;=:@/?-._~"  # what a URL fragment may hold as it is (RFC 3986)
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


def text_language(*codes: str) -> str:
    """The language a text is in: the first code given (the passage's own, then its
    transcript's), else the site's. Where a source says nothing, a text is taken to be
    in the site's language, as the index takes it (``index.language.DEFAULT``)."""
    return next((c for c in codes if c), language.DEFAULT)


def lang_attr(*codes: str) -> Markup:
    """`` lang="cs"`` for a text in another language than the site's, else nothing."""
    code = text_language(*codes)
    return Markup(' lang="{}"').format(code) if code != SITE_LANGUAGE else Markup("")


def language_name(code: str) -> str:
    """"cs" -> "Czech", as the language facet names it."""
    return language.name(code)


class Translatable(Protocol):
    translation_of: str
    source: str


def machine_translated(t: Translatable | Mapping[str, Any]) -> bool:
    """ParlaMint's "-en_" sittings are machine translations of the originals (their
    corpus says so), and their credit must say it: a reader quoting one should know.
    ``t``: a transcript or a hit, or a transcript's metadata (``transcript_metas``)."""
    if isinstance(t, Mapping):
        of, source = str(t.get("translation_of") or ""), str(t.get("source") or "")
    else:
        of, source = t.translation_of, t.source
    return bool(of) and source.startswith("ParlaMint")


def anchor_id(anchor: str) -> str:
    """The id an utterance's anchor gets on its transcript's page (``#a-<anchor>``): the
    same for an original's passage and its translation's twin, so a link can say "this
    passage, in the other language" without knowing the other's positions."""
    return "a-" + "_".join(anchor.split())


def anchor_url(transcript_id: str, anchor: str) -> str:
    """The passage with this anchor on a transcript's page."""
    return (url_for("pages.transcript", transcript_id=transcript_id)
            + "#" + quote(anchor_id(anchor), safe=_FRAGMENT_SAFE))


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
    app.add_template_global(lang_attr)
    app.add_template_global(text_language)
    app.add_template_global(language_name)
    app.add_template_global(machine_translated)
    app.add_template_global(anchor_id)
    app.add_template_global(anchor_url)
    app.jinja_env.globals.update(
        facet_labels=FACET_LABELS,
        site_language=SITE_LANGUAGE,
        source_name=SOURCE_NAME,
        source_home=SOURCE_HOME,
        license_name=LICENSE_NAME,
        license_url=LICENSE_URL,
    )
