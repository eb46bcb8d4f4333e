"""Export on OpenSearch: every document a search matches, streamed from the cluster.

The plan counts the matches and fixes the order; the rows come a batch at a time through
a point in time (the index as it was when the export began, even if a reindex moves
the alias meanwhile) and ``search_after``, so the server never holds more than a batch
and no result window limits the size. The rows and files are the embedded export's
(``search.export``): the same columns, the same CSV and JSON Lines, the same note
when the limit cuts the file. In date order the rows are in the same order too; in
relevance order they follow OpenSearch's scores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from transcripts.search.export import (
    ExportRow,
    check_export,
    export_row,
    permalink_path,
    truncation_note,
)
from transcripts.search.opensearch_engine import (
    SCAN_BATCH,
    ClusterGeneration,
    ClusterIndex,
    call,
    metas,
    scan,
    selection,
    translations,
)
from transcripts.search.results import SearchRequest

FIELDS = ["tid", "pos", "kind", "body", "label", "note", "speaker", "role_shown", "lang",
          "party", "anchor"]
# The embedded export's order: by the transcript's date, then transcript, then place.
ORDERS: dict[str, list[str | dict[str, str]]] = {
    "oldest": [{"day": "asc"}, {"tid": "asc"}, {"pos": "asc"}, {"kind": "desc"}],
    "newest": [{"day": "desc"}, {"tid": "asc"}, {"pos": "asc"}, {"kind": "desc"}],
    "relevance": ["_score", {"day": "asc"}, {"tid": "asc"}, {"pos": "asc"}, {"kind": "desc"}],
}


@dataclass
class ClusterExportPlan:
    index: ClusterIndex
    gen: ClusterGeneration
    query: dict[str, Any]
    sort: str
    total: int
    rows: int
    limit: int

    @property
    def truncated(self) -> bool:
        return self.total > self.rows

    def note(self) -> str:
        return truncation_note(self.rows, self.total, self.limit)

    def export_rows(self, permalink: Callable[[str, int], str] = permalink_path
                    ) -> Iterator[ExportRow]:
        meta: dict[str, dict[str, Any]] = {}
        translated: dict[str, list[str]] = {}
        batch: list[dict[str, Any]] = []
        hits = scan(self.index, self.gen, self.query, ORDERS[self.sort], FIELDS, self.rows)
        for hit in hits:
            batch.append(hit["_source"])
            if len(batch) == SCAN_BATCH:
                yield from self._rows(batch, meta, translated, permalink)
                batch = []
        yield from self._rows(batch, meta, translated, permalink)

    def _rows(self, batch: list[dict[str, Any]], meta: dict[str, dict[str, Any]],
              translated: dict[str, list[str]], permalink: Callable[[str, int], str]
              ) -> Iterator[ExportRow]:
        """A batch's rows, with the titles of its transcripts read in one request and
        their translations in another."""
        new = list(dict.fromkeys(s["tid"] for s in batch if s["tid"] not in meta))
        if new:
            if len(meta) > 10_000:
                meta.clear()
                translated.clear()
            meta.update(metas(self.index, self.gen, new))
            found = translations(self.index, new)
            translated.update({tid: found.get(tid, []) for tid in new})
        for src in batch:
            yield export_row(src["tid"], int(src["pos"]), src, meta.get(src["tid"], {}),
                             permalink, translated.get(src["tid"], []))


def plan_export(index: ClusterIndex, req: SearchRequest, sort: str = "oldest",
                limit: int = 100_000) -> ClusterExportPlan:
    check_export(sort, limit)
    gen, req, _, query = selection(index, req)
    total = int(call(index, lambda: gen.conn.count(index=gen.name, body={"query": query}))
                ["count"])
    return ClusterExportPlan(index, gen, query, sort, total, min(total, limit), limit)
