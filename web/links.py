"""Links from one search state to the next: every state lives in the URL.

Ticking a value, removing a chip, changing page or sort are all plain links built
here from the current ``SearchRequest``, so the site works without JavaScript, every
page is bookmarkable and Back undoes a step. A change of filter or sort goes back to
page 1, since the old page number means nothing in the new result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from flask import request, url_for
from werkzeug.datastructures import MultiDict

from transcripts.index.schema import fold
from transcripts.search.results import SORTS, SearchRequest, ValueNote
from transcripts.web.params import FACET_PARAMS


def query_pairs(req: SearchRequest) -> list[tuple[str, str]]:
    """The request as URL parameters, leaving out defaults to keep links short."""
    pairs: list[tuple[str, str]] = []
    if req.q:
        pairs.append(("q", req.q))
    for name, values in req.filters().items():
        pairs.extend((name, v) for v in values)
    if req.date_from:
        pairs.append(("from", req.date_from.isoformat()))
    if req.date_to:
        pairs.append(("to", req.date_to.isoformat()))
    if req.sort != SORTS[0]:
        pairs.append(("sort", req.sort))
    if req.page > 1:
        pairs.append(("page", str(req.page)))
    return pairs


def search_url(req: SearchRequest) -> str:
    pairs = query_pairs(req)
    base = url_for("pages.search")
    return f"{base}?{urlencode(pairs)}" if pairs else base


def transcript_url(transcript_id: str, q: str = "", position: int | None = None) -> str:
    """The transcript, with the query to highlight and the turn to open at."""
    url = (url_for("pages.transcript", transcript_id=transcript_id, q=q) if q
           else url_for("pages.transcript", transcript_id=transcript_id))
    return url if position is None else f"{url}#u{position}"


def year_range(year: str) -> tuple[dt.date, dt.date]:
    y = int(year)
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


@dataclasses.dataclass(frozen=True)
class Links:
    """The links one results page offers, relative to its own request."""

    req: SearchRequest

    def _with(self, **changes: Any) -> str:
        changes.setdefault("page", 1)
        return search_url(dataclasses.replace(self.req, **changes))

    def current(self) -> str:
        return search_url(self.req)

    def page(self, number: int) -> str:
        return self._with(page=number)

    def sort(self, sort: str) -> str:
        return self._with(sort=sort)

    def query(self, q: str) -> str:
        return self._with(q=q)

    def toggle(self, facet: str, value: str) -> str:
        """Untick a selected value, else tick it. A value selected as typed without its
        accents ("Recep Tayyip Erdogan") is the value as written it selects."""
        values = list(getattr(self.req, facet))
        kept = [v for v in values if fold(v) != fold(value)]
        return self._with(**{facet: kept if len(kept) < len(values) else [*values, value]})

    def year(self, year: str) -> str:
        """A year sets the date range to that year; the year already set clears it."""
        if self.year_selected(year):
            return self._with(date_from=None, date_to=None)
        start, end = year_range(year)
        return self._with(date_from=start, date_to=end)

    def year_selected(self, year: str) -> bool:
        return (self.req.date_from, self.req.date_to) == year_range(year)

    def without_date(self, which: str) -> str:
        return self._with(**{f"date_{which}": None})

    def without_filter(self, field: str) -> str:
        """Every ticked value of a facet removed, or one date bound (``from``/``to``): the
        link an empty result offers for each filter whose removal brings results back."""
        if field in ("from", "to"):
            return self.without_date(field)
        return self._with(**{field: []})

    def clear_filters(self) -> str:
        """Keep what was typed and how it is sorted; drop every filter."""
        empty: dict[str, list[str]] = {name: [] for name in FACET_PARAMS}
        return self._with(**empty, date_from=None, date_to=None)

    def analysis_query(self) -> str:
        """The query and filters for the analysis views (no sort, no page)."""
        return urlencode(query_pairs(dataclasses.replace(self.req, sort=SORTS[0], page=1)))

    def has_filters(self) -> bool:
        return any(self.req.filters().values()) or bool(self.req.date_from or self.req.date_to)


def with_value_replaced(field: str, old: str, new: str) -> str:
    """This request's own URL (page or API) with one filter value replaced and everything
    else kept, back at page 1: the link a note about a value that does not exist offers."""
    args = MultiDict(
        [(k, new if (k, v) == (field, old) else v)
         for k, v in request.args.items(multi=True) if k != "page"]
    )
    pairs = list(dict.fromkeys(args.items(multi=True)))  # the new value may be ticked already
    return f"{request.path}?{urlencode(pairs)}" if pairs else request.path


def value_notes_json(notes: list[ValueNote]) -> list[dict[str, Any]]:
    """The notes for an API answer: each nearest value with the URL that asks for it."""
    def offered(n: ValueNote) -> list[dict[str, Any]]:
        return [{**dataclasses.asdict(c), "url": with_value_replaced(n.field, n.value, c.value)}
                for c in n.closest]

    return [{**dataclasses.asdict(n), "closest": offered(n)} for n in notes]


def value_notes_header(notes: list[ValueNote]) -> dict[str, str]:
    """For a download: the notes as a header (JSON, ASCII-escaped, as headers must be)."""
    if not notes:
        return {}
    return {"X-Value-Notes": json.dumps(value_notes_json(notes))}
