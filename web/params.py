"""Request parameters -> ``SearchRequest``: one parser for the page and the API alike.

Both must accept and refuse exactly the same URLs, or a link copied from the site would
behave differently against the API. Every refusal is a ``QueryError`` whose message
names the parameter, so it can be shown to the user as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from transcripts.index import language
from transcripts.search.query import MAX_QUERY_CHARS, QueryError
from transcripts.search.results import MAX_PAGE, SORTS, SearchRequest

FACET_PARAMS = ("speaker", "person", "geography", "topic", "source", "language", "party")
MAX_VALUES = 50  # ticked values per facet: far more than a person ticks, bounded for the engine
MAX_VALUE_CHARS = 300
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?\d+")


def search_request(args: MultiDict[str, str] | Mapping[str, str]) -> SearchRequest:
    """Read q, the facet lists, from, to, sort and page; raise QueryError if one is bad."""
    if not isinstance(args, MultiDict):
        args = MultiDict(args)
    filters = {name: _values(args, name) for name in FACET_PARAMS}
    return SearchRequest(
        q=query_text(args),
        speaker=filters["speaker"],
        person=filters["person"],
        geography=filters["geography"],
        topic=filters["topic"],
        source=filters["source"],
        language=language_names(filters["language"]),
        party=filters["party"],
        date_from=_date(args, "from"),
        date_to=_date(args, "to"),
        sort=_sort(args),
        page=_page(args),
    )


def language_names(values: list[str]) -> list[str]:
    """Languages as the facet names them, however the URL names them: "cs", "ces",
    "czech" and "Czech" are all "Czech" (the command line's ``--language`` reads alike).
    A value that names no language is kept as given, for the note that says so."""
    names = []
    for value in values:
        code = language.code_of_name(value)
        names.append(language.name(code) if code else value)
    return list(dict.fromkeys(names))


def query_text(args: MultiDict[str, str]) -> str:
    """``q``, given at most once and at most MAX_QUERY_CHARS long as given (the parser
    sees it only once it is stripped)."""
    q = single(args, "q")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is {len(q):,} characters long; the limit is "
                         f"{MAX_QUERY_CHARS:,}.")
    return q.strip()


def single(args: MultiDict[str, str], name: str) -> str:
    """A parameter given once, or "" when absent; given twice, which one was meant is
    unknown, so it is refused rather than guessed."""
    values = args.getlist(name)
    if len(values) > 1:
        raise QueryError(f"{name} may be given only once (got it {len(values)} times).")
    return values[0] if values else ""


def _values(args: MultiDict[str, str], name: str) -> list[str]:
    """Distinct non-empty values, in the order given (empty ones come from blank inputs)."""
    given = args.getlist(name)
    values = list(dict.fromkeys(v.strip() for v in given if v.strip()))
    if len(given) > MAX_VALUES:
        raise QueryError(f"{name} may be given at most {MAX_VALUES} times.")
    for value in given:  # as given: spaces count, as the contract says
        if len(value) > MAX_VALUE_CHARS:
            raise QueryError(f"A {name} value is too long (at most {MAX_VALUE_CHARS} characters).")
    return values


def _date(args: MultiDict[str, str], name: str) -> dt.date | None:
    """Strictly YYYY-MM-DD (or empty, as a blank form field sends it): fromisoformat
    alone would also take week dates and 20200101."""
    text = single(args, name)
    if not text:
        return None
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise QueryError(f"{name} must be a date as YYYY-MM-DD (got '{_short(text)}').")


def _sort(args: MultiDict[str, str]) -> str:
    sort = single(args, "sort").strip() or SORTS[0]
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)} (got '{_short(sort)}').")
    return sort


def _page(args: MultiDict[str, str]) -> int:
    text = single(args, "page").strip()
    if not text:
        return 1
    if not _INTEGER.fullmatch(text):
        raise QueryError(f"page must be a whole number (got '{_short(text)}').")
    if len(text) > 7 or not 1 <= int(text) <= MAX_PAGE:  # length first: int() of 10k digits
        raise QueryError(f"page must be between 1 and {MAX_PAGE}.")
    return int(text)


def _short(text: str, width: int = 40) -> str:
    """Echo a bad value back, but never a whole pasted essay."""
    return text if len(text) <= width else text[: width - 1] + "…"
