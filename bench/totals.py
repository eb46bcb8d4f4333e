"""The benchmark workload's answers on the development corpus, to check a change against.

Every query of ``../shared/bench/queries.jsonl`` run on an index of ``../shared/corpus``:
its total passages and transcripts, its first page of transcript ids, the top speakers
with their counts and the "did you mean" suggestion. Written once by a version of the
project (``python -m bench.totals --write FILE``), they are what a later version must
give again where it claims to change nothing: ``tests/test_languages_search.py`` checks
that telling languages apart left the English corpus's answers exactly as they were
(``tests/data/workload_answers.json``, written by version 0.2.0 before languages).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.workload import load
from transcripts.index.writer import reindex
from transcripts.search.engine import TranscriptIndex, search
from transcripts.search.results import SearchRequest

SHARED = Path(__file__).resolve().parents[2] / "shared"


def request_of(q: str, filters: dict[str, Any], sort: str) -> SearchRequest:
    return SearchRequest(
        q=q,
        speaker=list(filters.get("speaker", [])),
        person=list(filters.get("person", [])),
        geography=list(filters.get("geography", [])),
        topic=list(filters.get("topic", [])),
        date_from=dt.date.fromisoformat(filters["from"]) if "from" in filters else None,
        date_to=dt.date.fromisoformat(filters["to"]) if "to" in filters else None,
        sort=sort,
    )


def answers(index: TranscriptIndex, queries: Path) -> list[dict[str, Any]]:
    """Each workload query's answer, as compared from one version to the next."""
    out = []
    for wq in load(queries):
        result = search(index, request_of(wq.q, wq.filters, wq.sort))
        out.append({
            "q": wq.q,
            "filters": wq.filters,
            "sort": wq.sort,
            "total": result.total,
            "total_transcripts": result.total_transcripts,
            "first_page": [t.id for t in result.transcripts],
            "speakers": [[v.value, v.count] for v in result.facets["speaker"][:10]],
            "suggestion": result.suggestion,
        })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, required=True, help="where to write the answers")
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        reindex([args.shared / "corpus" / "text"], Path(tmp), full=True, procs=2)
        found = answers(TranscriptIndex(Path(tmp)), args.shared / "bench" / "queries.jsonl")
    args.write.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"{len(found)} answers written to {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
