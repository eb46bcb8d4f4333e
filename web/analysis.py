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
    TRENDS_BY,
    FacetTrends,
    facet_size,
    is_embedded,
    request_notes,
    speaker_profile,
    speaker_ranking,
    trends,
    trends_by,
    with_value,
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
    GROUPS,
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
from transcripts.web.views import FACET_LABELS

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
    by: str  # speaker | party: whom the rows are


# Each option's value when the URL does not give it: links leave those out.
SPEAKER_DEFAULTS: dict[str, object] = {
    "min_words": DEFAULT_MIN_WORDS, "min_hits": DEFAULT_MIN_HITS,
    "min_transcripts": DEFAULT_MIN_TRANSCRIPTS, "limit": 100, "by": "speaker",
}


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


def trends_by_param(args: MultiDict[str, str], queries: list[str]) -> str | None:
    """``by``: draw one series per party (language, speaker) for one search, instead of
    one per search. Several searches at once with ``by`` would be a line per search and
    party: refused, saying which box to empty, rather than one of them dropped."""
    by = _choice(args, "by", ("query", *TRENDS_BY), None)
    if by in (None, "query"):
        return None
    searches = [q for q in queries if q]
    if len(searches) > 1:
        raise QueryError(f"by={by} draws one line per {by} for one search: give one search "
                         f"(got {len(searches)}), or leave by out to compare searches.")
    return by


def _trends(req: SearchRequest, queries: list[str], bucket: str | None, by: str | None
            ) -> Trends | FacetTrends:
    if by is None:
        return trends(current_index(), req, queries, bucket)
    return trends_by(current_index(), req, next((q for q in queries if q), ""), by, bucket)


def speakers_params(args: MultiDict[str, str]) -> tuple[SearchRequest, SpeakerOptions]:
    req = dataclasses.replace(_filters(args), q=query_text(args))
    options: SpeakerOptions = {
        "sort": _choice(args, "order", SORT_KEYS, "low"),
        "min_words": _count(args, "min_words", DEFAULT_MIN_WORDS),
        "min_hits": _count(args, "min_hits", DEFAULT_MIN_HITS),
        "min_transcripts": _count(args, "min_transcripts", DEFAULT_MIN_TRANSCRIPTS),
        "limit": _count(args, "limit", 100, 1000) or 100,
        "by": _choice(args, "by", GROUPS, "speaker"),
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
        by = trends_by_param(args, queries)
        found = _trends(req, queries, bucket, by)
    except QueryError as exc:
        queries = [q for q in request.args.getlist("q") if q.strip()][:MAX_QUERIES]
        return render_template("trends.html", error=str(exc), result=None, queries=queries,
                               inputs=_query_inputs(queries), mode="rate", req=SearchRequest(),
                               filter_pairs=[], links={}, by=None,
                               by_choices=_by_choices()), 400
    result = found.trends if isinstance(found, FacetTrends) else found
    values = found.values if isinstance(found, FacetTrends) else None
    pairs = _filter_pairs(req) + [("q", q) for q in result.queries if q]
    if bucket:
        pairs.append(("bucket", bucket))
    if by:
        pairs.append(("by", by))
    searched = [q for q in result.queries if q]
    if values is not None and by is not None:
        # One search, one line per value: read the passages of each value.
        query = searched[0] if searched else ""
        search_links = [(v, search_url(with_value(dataclasses.replace(req, q=query), by, v)))
                        for v in values]
    else:
        search_links = [(f"“{q}”", search_url(dataclasses.replace(req, q=q))) for q in searched]
    links = {
        "json": _url("analysis.trends_api", pairs),
        "csv": _url("analysis.trends_csv", pairs),
        "rate": _url("analysis.trends_page", pairs),
        "share": _url("analysis.trends_page", [*pairs, ("mode", "share")]),
        "year": _url("analysis.trends_page", [p for p in pairs if p[0] != "bucket"]
                     + [("bucket", "year")] + ([("mode", mode)] if mode != "rate" else [])),
        "month": _url("analysis.trends_page", [p for p in pairs if p[0] != "bucket"]
                      + [("bucket", "month")] + ([("mode", mode)] if mode != "rate" else [])),
        "search": search_links,
        "speakers": [(q, _url("analysis.speakers_page", [("q", q), *_filter_pairs(req)]
                              + ([("by", "party")] if by == "party" else [])))
                     for q in searched],
    }
    return render_template(
        "trends.html", error=None, result=result, queries=result.queries,
        value_notes=request_notes(current_index(), req),
        inputs=_query_inputs(searched), mode=mode, req=req,
        filter_pairs=_filter_pairs(req), links=links,
        chart=_trends_chart(result, mode, _series_names(result, values), by),
        names=_series_names(result, values), by=by, others=getattr(found, "others", 0),
        by_choices=_by_choices(), sparse_words=SPARSE_WORDS,
        feeds=[(f"“{q}”", feed_url(dataclasses.replace(req, q=q))) for q in searched]
        or [("these filters", feed_url(req))],
    )


def _by_choices() -> list[tuple[str, str]]:
    """What "Over time" can draw a line for, as (``by`` value, label): a party or a
    language only where the index has parties, or more than one language."""
    index = current_index()
    choices = [("", "each search")]
    if facet_size(index, "party"):
        choices.append(("party", "each party (the first search)"))
    if facet_size(index, "language") > 1:
        choices.append(("language", "each language (the first search)"))
    choices.append(("speaker", "each speaker (the first search)"))
    return choices


def _series_names(result: Trends, values: list[str] | None) -> list[str]:
    """What each line is called: its search in quotes, or the party (language ...) it
    is drawn for."""
    if values is not None:
        return list(values)
    return [f"“{s.query}”" for s in result.series]


def _query_inputs(queries: list[str]) -> list[str]:
    """Four query boxes: the ones given, then empty ones to add a comparison."""
    return (queries + [""] * MAX_QUERIES)[:MAX_QUERIES]


def _trends_chart(result: Trends, mode: str, names: list[str], by: str | None = None
                  ) -> Markup | None:
    series = result.series
    if not series or not series[0].buckets:
        return None
    labels = [b.label for b in series[0].buckets]
    counted = any(s.query for s in series)
    if not counted and by is None:
        values = [float(b.words) for b in series[0].buckets]
        return bar_chart("trends", "Words per " + result.bucket,
                         f"Bar chart of the words spoken per {result.bucket} that pass the "
                         "filters; the numbers are in the table below.", labels, values, "words")
    lines = []
    for s, name in zip(series, names, strict=True):
        if not counted:  # by party without a search: each party's words
            nothing: list[float | None] = [None] * len(s.buckets)
            lines.append(Line(name, [float(b.words) for b in s.buckets], nothing, nothing,
                              [b.sparse for b in s.buckets]))
        elif mode == "share":
            pct = [None if b.share is None else b.share * 100 for b in s.buckets]
            lows = [None if b.share_low is None else b.share_low * 100 for b in s.buckets]
            highs = [None if b.share_high is None else b.share_high * 100 for b in s.buckets]
            few = [b.all_transcripts < 10 for b in s.buckets]
            lines.append(Line(name, pct, lows, highs, few))
        else:
            lines.append(Line(name, [b.rate for b in s.buckets], [b.low for b in s.buckets],
                              [b.high for b in s.buckets], [b.sparse for b in s.buckets]))
    listed = ", ".join(names)
    span = f"per {result.bucket} from {labels[0]} to {labels[-1]}"
    if by is not None:
        return _trends_by_chart(result, mode, lines, labels, listed, span, by, counted)
    what, y_label = _measured(mode)
    desc = (f"Line chart, one line per query, of the {what} {listed} {span}, with 95 % "
            "intervals as whiskers; hollow points are buckets with little text. The numbers "
            "are in the table below.")
    return line_chart("trends", f"{what.capitalize()} {listed} over time", desc, labels, lines,
                      y_label)


def _measured(mode: str) -> tuple[str, str]:
    """What a trends chart measures, in its description and on its y axis."""
    if mode == "share":
        return "share of transcripts mentioning", "% of transcripts"
    return "hits per million words of", "hits per million words"


def _trends_by_chart(result: Trends, mode: str, lines: list[Line], labels: list[str],
                     listed: str, span: str, by: str, counted: bool) -> Markup:
    """One search, a line per party (language, speaker); without a search, each one's
    words."""
    if not counted:
        title = f"Words spoken per {result.bucket}, by {by}"
        desc = (f"Line chart, one line per {by} ({listed}), of the words spoken {span}; "
                "the numbers are in the tables below.")
        return line_chart("trends", title, desc, labels, lines, "words")
    query = f"“{result.series[0].query}”"
    what, y_label = _measured(mode)
    desc = (f"Line chart, one line per {by} ({listed}), of the {what} {query} {span}, with "
            "95 % intervals as whiskers; hollow points are buckets with little text. The "
            "numbers are in the tables below.")
    return line_chart("trends", f"{what.capitalize()} {query} over time, by {by}", desc,
                      labels, lines, y_label)


@bp.get("/api/trends")
def trends_api() -> ResponseReturnValue:
    req, queries, bucket, _ = trends_params(request.args)
    by = trends_by_param(request.args, queries)
    data = _trends(req, queries, bucket, by).to_dict()
    data["value_notes"] = value_notes_json(request_notes(current_index(), req))
    return jsonify(data)


TREND_COLUMNS = ("query", "bucket", "start", "end", "hits", "words", "rate_per_million",
                 "low", "high", "transcripts", "all_transcripts", "share", "share_low",
                 "share_high", "partial", "sparse")


@bp.get("/trends.csv")
def trends_csv() -> ResponseReturnValue:
    """The tables of /trends; by party (``by``), a column says whose line a row is."""
    req, queries, bucket, _ = trends_params(request.args)
    by = trends_by_param(request.args, queries)
    found = _trends(req, queries, bucket, by)
    result = found.trends if isinstance(found, FacetTrends) else found
    values: list[str | None] = (list(found.values) if isinstance(found, FacetTrends)
                                else [None] * len(result.series))
    rows = [
        (s.query, *([value] if by else []), b.label, b.start, b.end, b.hits, b.words, b.rate,
         b.low, b.high, b.transcripts, b.all_transcripts, b.share, b.share_low, b.share_high,
         int(b.partial), int(b.sparse))
        for s, value in zip(result.series, values, strict=True) for b in s.buckets
    ]
    columns = (TREND_COLUMNS[0], by, *TREND_COLUMNS[1:]) if by else TREND_COLUMNS
    return _csv("trends.csv", columns, rows,
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
                               options=None, links={}, sort_links=[], by="speaker",
                               by_links=[], row_urls={}, group_label="Speaker"), 400
    base = _filter_pairs(req) + ([("q", req.q)] if req.q else [])
    kept = [(k, str(v)) for k, v in options.items()
            if k != "sort" and v != SPEAKER_DEFAULTS[k]]
    pairs = base + kept + ([("order", ranking.sort)] if ranking.sort != "low" else [])
    sort_links = [(key, SORT_LABELS[key], _url("analysis.speakers_page", base + kept
                   + ([("order", key)] if key != "low" else []))) for key in SORT_KEYS]
    by = options["by"]
    # Speakers or their parties: offered only where the index knows a party.
    others = [(k, v) for k, v in kept if k != "by"]
    order = [("order", ranking.sort)] if ranking.sort != "low" else []
    by_links = [(group, label, _url("analysis.speakers_page", base + others + order
                                    + ([("by", group)] if group != "speaker" else [])))
                for group, label in (("speaker", "Speakers"), ("party", "Parties"))]
    links = {
        "json": _url("analysis.speakers_api", pairs),
        "csv": _url("analysis.speakers_csv", pairs),
        "search": search_url(req),
        "trends": _url("analysis.trends_page", base + ([("by", "party")] if by == "party"
                                                        else [])),
    }
    # Where a row leads: a speaker's page, or the search within a party.
    row_urls = {r.speaker: (search_url(dataclasses.replace(req, party=[r.speaker]))
                            if by == "party"
                            else url_for("analysis.speaker_page", name=r.speaker))
                for r in ranking.rows}
    return render_template("speakers.html", error=None, ranking=ranking, req=req,
                           value_notes=request_notes(current_index(), req),
                           options=options, links=links, sort_links=sort_links,
                           filter_pairs=_filter_pairs(req), by=by, row_urls=row_urls,
                           by_links=by_links if by == "party" or facet_size(
                               current_index(), "party") else [],
                           group_label=FACET_LABELS[by])


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
    columns = (SPEAKER_COLUMNS[0], ranking.by, *SPEAKER_COLUMNS[2:])  # "party" by party
    return _csv("speakers.csv", columns, rows,
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
