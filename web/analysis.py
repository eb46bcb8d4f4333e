"""The analysis views: over time (/trends), who said it most (/speakers), speaker pages.

Presentation only: the numbers come from ``search.trends``, ``search.speaker_stats`` and
``search.speaker_profile``. Every view takes the search's own parameters (``web.params``)
so "Over time" from a results page keeps the query and every filter; each has its data
as JSON (under /api/) and CSV. Charts are server-drawn SVG (``web.charts``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import threading
from collections.abc import Iterable
from typing import TypedDict, TypeVar
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from transcripts.search.backend import (
    is_embedded,
    request_notes,
    speaker_profile,
    speaker_ranking,
    trends,
)
from transcripts.search.distinctive import word_table
from transcripts.search.engine import Generation, IndexMissing
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest
from transcripts.search.speaker_profile import SpeakerProfile, speaker_roles
from transcripts.search.speaker_stats import (
    DEFAULT_MIN_HITS,
    DEFAULT_MIN_TRANSCRIPTS,
    DEFAULT_MIN_WORDS,
    SORT_KEYS,
    SpeakerRanking,
)
from transcripts.search.tables import analysis_tables
from transcripts.search.trends import BUCKETS, MAX_QUERIES, SPARSE_WORDS, Trends
from transcripts.web import current_index
from transcripts.web.charts import Line, bar_chart, line_chart
from transcripts.web.feed import feed_url
from transcripts.web.links import query_pairs, search_url, value_notes_header, value_notes_json
from transcripts.web.params import query_text, search_request, single

bp = Blueprint("analysis", __name__)

MODES = ("rate", "share")
MAX_NAME_CHARS = 200
_INTEGER = re.compile(r"\d{1,9}")
SORT_LABELS = {
    "low": "Rate (lower bound)", "rate": "Rate", "hits": "Hits", "words": "Words",
    "transcripts": "Transcripts", "name": "Name",
}

_Default = TypeVar("_Default", bound=str | None)


class SpeakerOptions(TypedDict):
    """The ranking's options as /speakers reads them (``speaker_ranking``'s keywords)."""

    sort: str
    min_words: int
    min_hits: int
    min_transcripts: int
    limit: int


# -- parameters ------------------------------------------------------------------

def _filters(args: MultiDict[str, str]) -> SearchRequest:
    """The search's filters, read and checked by the search's own parser (no q, no sort)."""
    plain = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in ("q", "sort")])
    return search_request(plain)


def _choice(args: MultiDict[str, str], name: str, allowed: tuple[str, ...],
            default: _Default) -> str | _Default:
    value = single(args, name).strip()
    if not value:
        return default
    if value not in allowed:
        raise QueryError(f"{name} must be one of {', '.join(allowed)} (got '{value[:40]}').")
    return value


def _count(args: MultiDict[str, str], name: str, default: int, top: int = 10**9) -> int:
    value = single(args, name).strip().replace(",", "")
    if not value:
        return default
    if not _INTEGER.fullmatch(value) or int(value) > top:
        raise QueryError(f"{name} must be a whole number from 0 to {top:,} (got '{value[:40]}').")
    return int(value)


def trends_params(args: MultiDict[str, str]) -> tuple[SearchRequest, list[str], str | None, str]:
    req = _filters(args)
    given = args.getlist("q")
    if len(given) > MAX_QUERIES:  # the form's four boxes, blank or not
        raise QueryError(f"At most {MAX_QUERIES} queries can be compared at once.")
    for q in given:
        query_text(MultiDict([("q", q)]))  # each as long as one search may be
    queries = [q.strip() for q in given]
    bucket = _choice(args, "bucket", BUCKETS, None)
    return req, queries, bucket, _choice(args, "mode", MODES, "rate")


def speakers_params(args: MultiDict[str, str]) -> tuple[SearchRequest, SpeakerOptions]:
    req = dataclasses.replace(_filters(args), q=query_text(args))
    options: SpeakerOptions = {
        "sort": _choice(args, "order", SORT_KEYS, "low"),
        "min_words": _count(args, "min_words", DEFAULT_MIN_WORDS),
        "min_hits": _count(args, "min_hits", DEFAULT_MIN_HITS),
        "min_transcripts": _count(args, "min_transcripts", DEFAULT_MIN_TRANSCRIPTS),
        "limit": _count(args, "limit", 100, 1000) or 100,
    }
    return req, options


def _url(endpoint: str, pairs: list[tuple[str, str]]) -> str:
    base = url_for(endpoint)
    return f"{base}?{urlencode(pairs)}" if pairs else base


def _filter_pairs(req: SearchRequest) -> list[tuple[str, str]]:
    return [(k, v) for k, v in query_pairs(dataclasses.replace(req, q="", page=1))]


# -- over time -------------------------------------------------------------------

@bp.get("/trends")
def trends_page() -> ResponseReturnValue:
    args = request.args
    try:
        req, queries, bucket, mode = trends_params(args)
        result = trends(current_index(), req, queries, bucket)
    except QueryError as exc:
        queries = [q for q in request.args.getlist("q") if q.strip()][:MAX_QUERIES]
        return render_template("trends.html", error=str(exc), result=None, queries=queries,
                               inputs=_query_inputs(queries), mode="rate", req=SearchRequest(),
                               filter_pairs=[], links={}), 400
    pairs = _filter_pairs(req) + [("q", q) for q in result.queries if q]
    if bucket:
        pairs.append(("bucket", bucket))
    links = {
        "json": _url("analysis.trends_api", pairs),
        "csv": _url("analysis.trends_csv", pairs),
        "rate": _url("analysis.trends_page", pairs),
        "share": _url("analysis.trends_page", [*pairs, ("mode", "share")]),
        "year": _url("analysis.trends_page", [p for p in pairs if p[0] != "bucket"]
                     + [("bucket", "year")] + ([("mode", mode)] if mode != "rate" else [])),
        "month": _url("analysis.trends_page", [p for p in pairs if p[0] != "bucket"]
                      + [("bucket", "month")] + ([("mode", mode)] if mode != "rate" else [])),
        "search": [(q, search_url(dataclasses.replace(req, q=q))) for q in result.queries if q],
        "speakers": [(q, _url("analysis.speakers_page", [("q", q), *_filter_pairs(req)]))
                     for q in result.queries if q],
    }
    return render_template(
        "trends.html", error=None, result=result, queries=result.queries,
        value_notes=request_notes(current_index(), req),
        inputs=_query_inputs([q for q in result.queries if q]), mode=mode, req=req,
        filter_pairs=_filter_pairs(req), links=links, chart=_trends_chart(result, mode),
        sparse_words=SPARSE_WORDS,
        feeds=[(f"“{q}”", feed_url(dataclasses.replace(req, q=q))) for q in result.queries if q]
        or [("these filters", feed_url(req))],
    )


def _query_inputs(queries: list[str]) -> list[str]:
    """Four query boxes: the ones given, then empty ones to add a comparison."""
    return (queries + [""] * MAX_QUERIES)[:MAX_QUERIES]


def _trends_chart(result: Trends, mode: str) -> Markup | None:
    series = result.series
    if not series or not series[0].buckets:
        return None
    labels = [b.label for b in series[0].buckets]
    if not any(s.query for s in series):
        values = [float(b.words) for b in series[0].buckets]
        return bar_chart("trends", "Words per " + result.bucket,
                         f"Bar chart of the words spoken per {result.bucket} that pass the "
                         "filters; the numbers are in the table below.", labels, values, "words")
    lines = []
    for s in series:
        if mode == "share":
            pct = [None if b.share is None else b.share * 100 for b in s.buckets]
            lows = [None if b.share_low is None else b.share_low * 100 for b in s.buckets]
            highs = [None if b.share_high is None else b.share_high * 100 for b in s.buckets]
            few = [b.all_transcripts < 10 for b in s.buckets]
            lines.append(Line(s.query, pct, lows, highs, few))
        else:
            lines.append(Line(s.query, [b.rate for b in s.buckets], [b.low for b in s.buckets],
                              [b.high for b in s.buckets], [b.sparse for b in s.buckets]))
    what = ("share of transcripts mentioning" if mode == "share"
            else "hits per million words of")
    names = ", ".join(f"“{s.query}”" for s in series)
    desc = (f"Line chart, one line per query, of the {what} {names} per {result.bucket} "
            f"from {labels[0]} to {labels[-1]}, with 95 % intervals as whiskers; hollow points "
            "are buckets with little text. The numbers are in the table below.")
    y_label = "% of transcripts" if mode == "share" else "hits per million words"
    return line_chart("trends", f"{what.capitalize()} {names} over time", desc, labels, lines,
                      y_label)


@bp.get("/api/trends")
def trends_api() -> ResponseReturnValue:
    req, queries, bucket, _ = trends_params(request.args)
    data = trends(current_index(), req, queries, bucket).to_dict()
    data["value_notes"] = value_notes_json(request_notes(current_index(), req))
    return jsonify(data)


TREND_COLUMNS = ("query", "bucket", "start", "end", "hits", "words", "rate_per_million",
                 "low", "high", "transcripts", "all_transcripts", "share", "share_low",
                 "share_high", "partial", "sparse")


@bp.get("/trends.csv")
def trends_csv() -> ResponseReturnValue:
    req, queries, bucket, _ = trends_params(request.args)
    result = trends(current_index(), req, queries, bucket)
    rows = [
        (s.query, b.label, b.start, b.end, b.hits, b.words, b.rate, b.low, b.high,
         b.transcripts, b.all_transcripts, b.share, b.share_low, b.share_high,
         int(b.partial), int(b.sparse))
        for s in result.series for b in s.buckets
    ]
    return _csv("trends.csv", TREND_COLUMNS, rows,
                value_notes_header(request_notes(current_index(), req)))


# -- who said it most ------------------------------------------------------------

@bp.get("/speakers")
def speakers_page() -> ResponseReturnValue:
    try:
        req, options = speakers_params(request.args)
        ranking = speaker_ranking(current_index(), req, **options)
    except QueryError as exc:
        return render_template("speakers.html", error=str(exc), ranking=None,
                               req=SearchRequest(q=request.args.get("q", "").strip()),
                               options=None, links={}, sort_links=[]), 400
    base = _filter_pairs(req) + ([("q", req.q)] if req.q else [])
    kept = [(k, str(v)) for k, v in options.items()
            if k != "sort" and v != {"min_words": DEFAULT_MIN_WORDS, "min_hits": DEFAULT_MIN_HITS,
                                     "min_transcripts": DEFAULT_MIN_TRANSCRIPTS,
                                     "limit": 100}[k]]
    pairs = base + kept + ([("order", ranking.sort)] if ranking.sort != "low" else [])
    sort_links = [(key, SORT_LABELS[key], _url("analysis.speakers_page", base + kept
                   + ([("order", key)] if key != "low" else []))) for key in SORT_KEYS]
    links = {
        "json": _url("analysis.speakers_api", pairs),
        "csv": _url("analysis.speakers_csv", pairs),
        "search": search_url(req),
        "trends": _url("analysis.trends_page", base),
    }
    return render_template("speakers.html", error=None, ranking=ranking, req=req,
                           value_notes=request_notes(current_index(), req),
                           options=options, links=links, sort_links=sort_links,
                           filter_pairs=_filter_pairs(req))


@bp.get("/api/speakers")
def speakers_api() -> ResponseReturnValue:
    req, options = speakers_params(request.args)
    data = speaker_ranking(current_index(), req, **options).to_dict()
    data["value_notes"] = value_notes_json(request_notes(current_index(), req))
    return jsonify(data)


SPEAKER_COLUMNS = ("rank", "speaker", "hits", "words", "rate_per_10000", "low", "high",
                   "transcripts", "spoke_in")


@bp.get("/speakers.csv")
def speakers_csv() -> ResponseReturnValue:
    req, options = speakers_params(request.args)
    ranking: SpeakerRanking = speaker_ranking(current_index(), req, **options)
    rows = [(i, r.speaker, r.hits, r.words, r.rate, r.low, r.high, r.transcripts, r.spoke_in)
            for i, r in enumerate(ranking.rows, 1)]
    return _csv("speakers.csv", SPEAKER_COLUMNS, rows,
                value_notes_header(request_notes(current_index(), req)))


# -- one speaker -----------------------------------------------------------------

def _profile(name: str) -> SpeakerProfile:
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        abort(404)
    profile = speaker_profile(current_index(), name)
    if profile is None:
        abort(404, description=f"No one called '{name[:80]}' speaks in or is tagged on "
                               "any transcript.")
    return profile


@bp.get("/speaker/<path:name>")
def speaker_page(name: str) -> ResponseReturnValue:
    profile = _profile(name)
    years = profile.words_by_year
    chart = None
    if years:
        chart = bar_chart("words-per-year", f"Words spoken by {profile.name} per year",
                          f"Bar chart of the words {profile.name} spoke each year from "
                          f"{years[0][0]} to {years[-1][0]}; the numbers are in the table "
                          "beside it.", [str(y) for y, _ in years], [w for _, w in years],
                          "words")
    links = {
        "search": search_url(SearchRequest(speaker=[profile.name])) if profile.is_speaker else None,
        "tagged": search_url(SearchRequest(person=[profile.person_tag]))
        if profile.person_tag else None,
        "json": url_for("analysis.speaker_api", name=profile.name),
        "csv": url_for("analysis.speaker_csv", name=profile.name),
        "trends": _url("analysis.trends_page", [("speaker", profile.name)]),
    }
    if profile.is_speaker:
        feed_req = SearchRequest(speaker=[profile.name])
    else:
        assert profile.person_tag is not None  # not a speaker: found by its Persons tag
        feed_req = SearchRequest(person=[profile.person_tag])
    return render_template("speaker.html", p=profile, chart=chart, links=links,
                           feeds=[(f"{profile.name}", feed_url(feed_req))],
                           tag_facets=(("geography", "Geography"), ("topic", "Topics"),
                                       ("person", "Persons")))


@bp.get("/api/speaker/<path:name>")
def speaker_api(name: str) -> ResponseReturnValue:
    return jsonify(_profile(name).to_dict())


DISTINCTIVE_COLUMNS = ("word", "uses", "transcripts", "per_10000", "rest_uses",
                       "rest_per_10000", "log_ratio", "g2")


@bp.get("/speaker-words/<path:name>.csv")
def speaker_csv(name: str) -> ResponseReturnValue:
    profile = _profile(name)
    rows = [(w.word, w.uses, w.transcripts, w.per_10k, w.rest_uses, w.rest_per_10k,
             w.log_ratio, w.g2) for w in profile.distinctive]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", profile.name).strip("-") or "speaker"
    return _csv(f"distinctive-words-{slug}.csv", DISTINCTIVE_COLUMNS, rows)


# -- CSV -------------------------------------------------------------------------

def _csv(filename: str, header: tuple[str, ...], rows: Iterable[tuple[object, ...]],
         headers: dict[str, str] | None = None) -> Response:
    """RFC 4180 with a header row; a cell that a spreadsheet would run as a formula is
    prefixed with an apostrophe (a query or a name can start with = + - @)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             **(headers or {})})


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# -- warming ---------------------------------------------------------------------

_warmed: set[str] = set()
_warm_lock = threading.Lock()


@bp.before_app_request
def _warm_tables() -> None:
    """With ``WARM_ANALYSIS`` (set by ``transcripts serve``), build a new generation's
    analysis tables in the background on its first request, so the first speaker page
    does not wait seconds for the word table. Off in tests and ``flask run``."""
    if not current_app.config.get("WARM_ANALYSIS"):
        return
    index = current_index()
    if not is_embedded(index):
        return
    try:
        gen = index.current()
    except IndexMissing:
        return
    key = str(gen.path)
    with _warm_lock:
        if key in _warmed:
            return
        _warmed.add(key)
    threading.Thread(target=warm, args=(gen,), name="warm-analysis", daemon=True).start()


def warm(gen: Generation) -> None:
    analysis_tables(gen)
    speaker_roles(gen, "")
    word_table(gen)
