"""The query workload: one search per line of ``queries.jsonl``, each put in a class.

Classes let a reader see which kind of query is slow, and compare engines per kind:
a single p50 over everything would hide that phrases cost ten times what terms do.
The file does not label misspellings; a query is counted as one when it is made of
plain words and our engine finds nothing (it then offers "did you mean").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from transcripts.search.results import SearchRequest

CLASSES = (
    "term", "and", "phrase", "boolean", "prefix", "filtered", "browse", "sorted", "misspelled",
)
CLASS_LABELS = {
    "term": "term",
    "and": "multi-word AND",
    "phrase": "phrase",
    "boolean": "boolean OR/NOT",
    "prefix": "prefix*",
    "filtered": "filtered/faceted",
    "browse": "browse (empty q)",
    "sorted": "sorted by date",
    "misspelled": "misspelled",
}
FACET_KEYS = ("speaker", "person", "geography", "topic")


@dataclass(frozen=True)
class WorkQuery:
    q: str
    filters: dict = field(default_factory=dict, hash=False, compare=False)
    sort: str = "relevance"
    cls: str = "term"

    @property
    def label(self) -> str:
        """A short printable form: the query text, its filters and sort."""
        parts = [f"{self.q!r}" if self.q else "(all)"]
        for key in FACET_KEYS:
            if self.filters.get(key):
                parts.append(f"{key}={'|'.join(self.filters[key])}")
        if self.filters.get("from") or self.filters.get("to"):
            parts.append(f"{self.filters.get('from', '')}..{self.filters.get('to', '')}")
        if self.sort != "relevance":
            parts.append(f"sort={self.sort}")
        return " ".join(parts)

    def selections(self) -> dict[str, list[str]]:
        return {k: list(self.filters[k]) for k in FACET_KEYS if self.filters.get(k)}

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        def day(key: str) -> dt.date | None:
            value = self.filters.get(key)
            return dt.date.fromisoformat(value) if value else None

        return day("from"), day("to")

    def request(self) -> SearchRequest:
        start, end = self.dates()
        sel = self.selections()
        return SearchRequest(
            q=self.q, speaker=sel.get("speaker", []), person=sel.get("person", []),
            geography=sel.get("geography", []), topic=sel.get("topic", []),
            date_from=start, date_to=end, sort=self.sort,
        )

    def api_params(self) -> list[tuple[str, str]]:
        """The same search as query-string pairs for /api/search (the CLI's option names)."""
        params = [("q", self.q)]
        for key in FACET_KEYS:
            params.extend((key, v) for v in self.filters.get(key, []))
        for key in ("from", "to"):
            if self.filters.get(key):
                params.append((key, self.filters[key]))
        if self.sort != "relevance":
            params.append(("sort", self.sort))
        return params


def classify(q: str, filters: dict, sort: str) -> str:
    """By what the engine must do: sorting and filtering outrank the text's shape."""
    if sort != "relevance":
        return "sorted"
    if not q.strip():
        return "browse"
    if any(filters.get(k) for k in (*FACET_KEYS, "from", "to")):
        return "filtered"
    if '"' in q:
        return "phrase"
    words = q.split()
    if any(w in ("OR", "NOT") or w.startswith("-") for w in words):
        return "boolean"
    if any(w.endswith("*") for w in words):
        return "prefix"
    words = [w for w in words if w != "AND"]
    return "term" if len(words) == 1 else "and"


def refine(query: WorkQuery, our_total: int) -> WorkQuery:
    """A plain-word query our engine finds nothing for is a misspelling (see module doc)."""
    if query.cls in ("term", "and") and our_total == 0:
        return replace(query, cls="misspelled")
    return query


def load(path: Path) -> list[WorkQuery]:
    queries = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not JSON: {exc}") from None
        q = data.get("q", "")
        filters = data.get("filters") or {}
        sort = data.get("sort") or "relevance"
        queries.append(WorkQuery(q, filters, sort, classify(q, filters, sort)))
    return queries
