"""/export: every utterance a search matches, as a CSV or JSON Lines download.

The search part of the URL (q, the facets, from, to) is read by the search page's own
parser, so "Export" on any results page exports exactly those results. The file is
streamed: the server holds one batch of rows at a time, whatever the size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection, Iterable
from urllib.parse import urlencode

from flask import Blueprint, Response, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from transcripts.search import export
from transcripts.search.backend import plan_export, request_notes
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest
from transcripts.web import current_index
from transcripts.web.links import query_pairs, value_notes_header
from transcripts.web.params import _short, search_request, single

bp = Blueprint("export", __name__)

MIMETYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
_INTEGER = re.compile(r"\d{1,7}")
_SLUG = re.compile(r"[^A-Za-z0-9]+")


@bp.get("/export")
def export_file() -> ResponseReturnValue:
    args = request.args
    fmt = choice_param(args, "format", export.FORMATS, export.FORMATS[0])
    bom = flag_param(args, "bom")
    limit = int_param(args, "limit", export.MAX_ROWS, 1, export.MAX_ROWS)
    sort = choice_param(args, "sort", export.SORTS, export.SORTS[0])
    req = search_part(args)
    plan = plan_export(current_index(), req, sort, limit)
    base = site_root()
    chunks = export.export_chunks(
        plan, fmt, bom, lambda tid, pos: base + export.permalink_path(tid, pos)
    )
    headers = {
        "X-Export-Rows": str(plan.rows),
        "X-Export-Total": str(plan.total),
        "X-Export-Truncated": "true" if plan.truncated else "false",
        **value_notes_header(request_notes(current_index(), req)),
    }
    return download(chunks, fmt, file_name("transcripts", req, fmt), headers)


def download(chunks: Iterable[str], fmt: str, name: str, headers: dict[str, str]) -> Response:
    """A streamed attachment: Flask sends each chunk as it is made."""
    response = Response(chunks, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers)
    return response


def file_name(kind: str, req: SearchRequest, fmt: str) -> str:
    """transcripts-gas-pipeline-2026-11-27.csv: what it is, from when (ASCII only)."""
    slug = _SLUG.sub("-", req.q).strip("-").lower()[:40].strip("-")
    return "-".join(p for p in (kind, slug, dt.date.today().isoformat()) if p) + f".{fmt}"


def site_root() -> str:
    """http://host[:port][/prefix]: permalinks in a downloaded file must be absolute."""
    return request.host_url.rstrip("/") + request.script_root


def search_part(args: MultiDict[str, str]) -> SearchRequest:
    """The search the URL describes (q, facets, dates); the caller reads its own sort."""
    rest = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in ("sort", "page")])
    return search_request(rest)


def choice_param(args: MultiDict[str, str], name: str, choices: Collection[str],
                 default: str) -> str:
    value = single(args, name).strip() or default
    if value not in choices:
        raise QueryError(f"{name} must be one of {', '.join(choices)} (got '{_short(value)}').")
    return value


def flag_param(args: MultiDict[str, str], name: str) -> bool:
    value = single(args, name).strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise QueryError(f"{name} must be 1 or 0 (got '{_short(value)}').")


def int_param(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = single(args, name).strip()
    if not text:
        return default
    if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise QueryError(f"{name} must be a whole number from {low:,} to {high:,}.")
    return int(text)


def search_pairs(req: SearchRequest) -> list[tuple[str, str]]:
    """The search part of ``req`` as URL parameters (no sort, no page)."""
    return query_pairs(dataclasses.replace(req, sort="relevance", page=1))


@bp.app_template_global()
def export_url(req: SearchRequest, fmt: str, bom: bool = False) -> str:
    """The export of a results page. A relevance order is the search page's default and
    says little about a spreadsheet, so only a date order is carried over."""
    pairs = [*search_pairs(req), ("format", fmt)]
    if req.sort in ("newest", "oldest"):
        pairs.append(("sort", req.sort))
    if bom:
        pairs.append(("bom", "1"))
    return f"{url_for('export.export_file')}?{urlencode(pairs)}"
