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

from transcripts.search.query import QueryError
from transcripts.search.results import MAX_PAGE, SORTS, SearchRequest

FACET_PARAMS = ("speaker", "person", "geography", "topic", "source")
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
        q=args.get("q", "").strip(),
        **filters,
        date_from=_date(args, "from"),
        date_to=_date(args, "to"),
        sort=_sort(args),
        page=_page(args),
    )


def _values(args: MultiDict[str, str], name: str) -> list[str]:
    """Distinct non-empty values, in the order given (empty ones come from blank inputs)."""
    values = list(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
    if len(values) > MAX_VALUES:
        raise QueryError(f"{name} may be given at most {MAX_VALUES} times.")
    for value in values:
        if len(value) > MAX_VALUE_CHARS:
            raise QueryError(f"A {name} value is too long (at most {MAX_VALUE_CHARS} characters).")
    return values


def _date(args: MultiDict[str, str], name: str) -> dt.date | None:
    """Strictly YYYY-MM-DD: fromisoformat alone would also take week dates and 20200101."""
    text = args.get(name, "").strip()
    if not text:
        return None
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise QueryError(f"{name} must be a date as YYYY-MM-DD (got '{_short(text)}').")


def _sort(args: MultiDict[str, str]) -> str:
    sort = args.get("sort", "").strip() or SORTS[0]
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)} (got '{_short(sort)}').")
    return sort


def _page(args: MultiDict[str, str]) -> int:
    text = args.get("page", "").strip()
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
