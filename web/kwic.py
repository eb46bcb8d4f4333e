"""/kwic: the concordance of a search, a page of aligned lines at a time; /kwic.csv has
every line, /api/kwic a page as JSON.

Sorting is by plain links (server-side), so it works without JavaScript, and every
state is in the URL like the search page's.
"""

from __future__ import annotations

from dataclasses import asdict, astuple
from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from transcripts.search import backend, export
from transcripts.search import concordance as conc
from transcripts.search.backend import request_notes
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest
from transcripts.web import current_index
from transcripts.web.export import (
    choice_param,
    download,
    file_name,
    flag_param,
    int_param,
    search_pairs,
    search_part,
    site_root,
)
from transcripts.web.links import Links, value_notes_header, value_notes_json

bp = Blueprint("kwic", __name__)

MAX_PAGE = 100_000
CSV_COLUMNS = [
    "line", "transcript_id", "title", "date", "position", "kind", "speaker", "label", "role",
    "left", "match", "right", "permalink",
]


def kwic_args(args: MultiDict[str, str]) -> tuple[SearchRequest, str, int, int]:
    req = search_part(args)
    sort = choice_param(args, "sort", conc.SORTS, conc.SORTS[0])
    page = int_param(args, "page", 1, 1, MAX_PAGE)
    width = int_param(args, "width", conc.WIDTH, conc.MIN_WIDTH, conc.MAX_WIDTH)
    return req, sort, page, width


@bp.get("/kwic")
def page() -> ResponseReturnValue:
    """An empty query gets the form and a word on what a concordance is (200); a query
    that cannot be run, its message (400), like the search page."""
    req = SearchRequest(q=request.args.get("q", "").strip())
    sort, status, result, error, notes = conc.SORTS[0], 200, None, None, []
    try:
        req, sort, number, width = kwic_args(request.args)
        notes = request_notes(current_index(), req)
        if req.q:
            result = backend.concordance(current_index(), req, sort, number, conc.PER_PAGE, width)
    except QueryError as exc:
        status, error = 400, str(exc)
    examples = {
        "word": kwic_url(SearchRequest(q="negotiate")),
        "phrase": kwic_url(SearchRequest(q='"trade and economic"')),
    }
    # Each line's language (its transcript's), for the ``lang`` of its words.
    languages = {
        tid: str(meta.get("language") or "")
        for tid, meta in backend.transcript_metas(
            current_index(), [line.transcript_id for line in result.lines] if result else []
        ).items()
    }
    return render_template(
        "kwic.html",
        req=req,
        languages=languages,
        sort=sort,
        result=result,
        error=error,
        value_notes=notes,
        links=Links(req),
        sorts=conc.SORT_LABELS,
        examples=examples,
        page_links=page_links(result.page, result.pages) if result else [],
    ), status


def page_links(current: int, pages: int) -> list[int | None]:
    """The first, the last and two either side of the current page; None is a gap."""
    shown = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


@bp.get("/api/kwic")
def api() -> ResponseReturnValue:
    req, sort, number, width = kwic_args(request.args)
    per_page = int_param(request.args, "per_page", conc.PER_PAGE, 1, conc.MAX_PER_PAGE)
    result = backend.concordance(current_index(), req, sort, number, per_page, width)
    base = site_root()
    return jsonify(
        {
            "total": result.total,
            "utterances": result.utterances,
            "transcripts": result.transcripts,
            "matched": result.matched,
            "page": result.page,
            "pages": result.pages,
            "per_page": result.per_page,
            "sort": result.sort,
            "width": result.width,
            "notes": result.notes,
            "value_notes": value_notes_json(request_notes(current_index(), req)),
            "lines": [
                {**asdict(line), "permalink": base + permalink(line)} for line in result.lines
            ],
        }
    )


@bp.get("/kwic.csv")
def csv_file() -> ResponseReturnValue:
    """Every line of the concordance in the page's order, up to the export limit."""
    req, sort, _, width = kwic_args(request.args)
    limit = int_param(request.args, "limit", export.MAX_ROWS, 1, export.MAX_ROWS)
    bom = flag_param(request.args, "bom")
    ordered = backend.ordered_hits(current_index(), req, sort, width)
    base = site_root()
    rows = ((*astuple(line), base + permalink(line)) for line in ordered.iter_lines(0, limit))
    note = ""
    if ordered.total > limit:
        note = (
            f"TRUNCATED: this file holds the first {limit:,} of {ordered.total:,} lines "
            f"(limit {limit:,}). Narrow the search (filters, dates) to get the rest."
        )
    headers = {
        "X-Export-Rows": str(min(limit, ordered.total)),
        "X-Export-Total": str(ordered.total),
        "X-Export-Truncated": "true" if note else "false",
        **value_notes_header(request_notes(current_index(), req)),
    }
    chunks = export.csv_chunks(rows, CSV_COLUMNS, note, bom)
    return download(chunks, "csv", file_name("concordance", req, "csv"), headers)


def permalink(line: conc.ConcordanceLine) -> str:
    return export.permalink_path(line.transcript_id, line.position)


@bp.app_template_global()
def kwic_url(req: SearchRequest, sort: str | None = None, page: int = 1, fmt: str = "",
             bom: bool = False) -> str:
    """The concordance of a search; a search's own date order is carried over."""
    pairs = search_pairs(req)
    if sort is None and req.sort in ("newest", "oldest"):
        sort = req.sort
    if sort and sort != conc.SORTS[0]:
        pairs.append(("sort", sort))
    if page > 1:
        pairs.append(("page", str(page)))
    if bom:
        pairs.append(("bom", "1"))
    endpoint = "kwic.csv_file" if fmt == "csv" else "kwic.api" if fmt == "json" else "kwic.page"
    base = url_for(endpoint)
    return f"{base}?{urlencode(pairs)}" if pairs else base
