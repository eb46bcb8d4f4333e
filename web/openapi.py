"""The JSON API as a contract: an OpenAPI 3.1 document, served at /api/openapi.json and
read as a page at /api.

Written by hand from the parsers' own limits (``web.params``, ``search.query``, the
analysis views' options), not generated from the code: a contract says what the code
must keep doing. Every object schema is closed (``additionalProperties: false``) and
lists every field as required, so a field added, renamed or dropped fails the API tests
that validate real answers against it (``tests/test_openapi.py``) until the document
says so too; Schemathesis checks the rest from the outside.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from transcripts import __version__
from transcripts.search import concordance as conc
from transcripts.search import export, follow
from transcripts.search.backend import TRENDS_BY, TRENDS_TOP
from transcripts.search.query import MAX_QUERY_CHARS
from transcripts.search.results import MAX_PAGE, SORTS
from transcripts.search.speaker_stats import (
    DEFAULT_MIN_HITS,
    DEFAULT_MIN_TRANSCRIPTS,
    DEFAULT_MIN_WORDS,
    GROUPS,
    SORT_KEYS,
)
from transcripts.search.trends import BUCKETS, MAX_QUERIES
from transcripts.web.kwic import MAX_PAGE as KWIC_MAX_PAGE
from transcripts.web.params import FACET_PARAMS, MAX_VALUE_CHARS, MAX_VALUES

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
DATE: Schema = {"type": "string", "format": "date"}
BLANK_OR_DATE: Schema = {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def closed(description: str = "", /, **properties: Schema) -> Schema:
    """An object with exactly these properties, all present."""
    schema: Schema = {"type": "object", "properties": properties,
                      "required": list(properties), "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def with_optional(schema: Schema, **properties: Schema) -> Schema:
    """A closed object that may also hold these properties (present only in some
    answers: /api/trends with ``by``)."""
    return {**schema, "properties": {**schema["properties"], **properties}}


FILTERS = closed(
    "The filters the answer was computed with, as stored (persons by their tag).",
    **{name: array(STRING) for name in FACET_PARAMS},
    **{"from": nullable(DATE), "to": nullable(DATE)},
)

SCHEMAS: dict[str, Schema] = {
    "Error": closed("Why the request was refused (400), what was not found (404) or why "
                    "the index cannot answer (503).", error=STRING),
    "FacetValue": closed(value=STRING, count=INTEGER, selected=BOOLEAN, label=STRING),
    "ValueNote": closed(
        "A ticked value no transcript has anywhere in the index, with the nearest ones.",
        field=STRING, value=STRING, message=STRING,
        closest=array(closed(value=STRING, label=STRING, url=STRING)),
    ),
    "Utterance": closed(
        "One passage of a result: a speaker turn, narrative, or the page's title and "
        "summary (position 0).",
        position=INTEGER, kind={"type": "string", "enum": ["page", "turn", "narrative",
                                                          "anonymous"]},
        speaker=nullable(STRING), label=nullable(STRING), role=STRING, note=STRING,
        text=STRING, snippet={"type": "string", "description": "HTML: the text escaped, "
                              "with <mark> around the words that matched"},
        start=nullable(NUMBER), end=nullable(NUMBER),
        party={"type": "string", "description": "the speaker's party or group that day, "
               "where the source says (ParlaMint); empty otherwise"},
        language={"type": "string", "description": "the passage's ISO 639-1 language "
                  "code where it is not its transcript's; empty otherwise"},
        anchor={"type": "string", "description": "the utterance's id in its source: the "
                "twin in a translation has the same one"},
    ),
    "TranscriptHit": closed(
        id=STRING, title=STRING, date=STRING, time=STRING, place=STRING, url=STRING,
        matched=INTEGER, utterances=array(ref("Utterance")), source=STRING, media=STRING,
        language={"type": "string", "description": "ISO 639-1 code"},
        translation_of={"type": "string", "description": "the id of the transcript this "
                        "one translates; empty when it is an original"},
        translations=array(STRING),
    ),
    "SearchResult": closed(
        request=closed(q=STRING, **{name: array(STRING) for name in FACET_PARAMS},
                       date_from=nullable(DATE), date_to=nullable(DATE),
                       sort={"enum": list(SORTS)}, page=INTEGER, per_page=INTEGER),
        total={"type": "integer", "description": "matching passages"},
        total_transcripts=INTEGER,
        pages=INTEGER,
        transcripts=array(ref("TranscriptHit")),
        facets=closed(**{name: array(ref("FacetValue"))
                         for name in (*FACET_PARAMS, "year")}),
        suggestion=nullable(STRING),
        notes=array(STRING),
        value_notes=array(ref("ValueNote")),
        took_ms=NUMBER,
        relax=array(closed(field=STRING, values=array(STRING), total=INTEGER,
                           total_transcripts=INTEGER, url=STRING, api_url=STRING)),
        total_without_filters=nullable(INTEGER),
    ),
    "Transcript": closed(
        id=STRING, title=STRING, lead=STRING, date=STRING, time=STRING, place=STRING,
        geography=array(STRING), topics=array(STRING), persons=array(STRING),
        person_names=array(STRING), sections=array(STRING), published=STRING, url=STRING,
        media=STRING, source=STRING, licence=STRING, attribution=STRING,
        language={"type": "string", "description": "ISO 639-1 code"},
        language_detected={"type": "boolean", "description": "true when the language was "
                           "detected from the text, false when the source states it"},
        translation_of=STRING,
        translations=array(STRING),
        utterances=array(closed(
            position=INTEGER, text=STRING, label=nullable(STRING), speaker=nullable(STRING),
            role=STRING, source_role=STRING, note=STRING, start=nullable(NUMBER),
            end=nullable(NUMBER), speaker_id=STRING, party=STRING, sex=STRING,
            anchor=STRING, language=STRING,
        )),
    ),
    "Trends": with_optional(closed(
        queries=array(STRING), filters=FILTERS, bucket={"enum": list(BUCKETS)},
        rate_unit=STRING, interval=STRING, undated_words=INTEGER,
        value_notes=array(ref("ValueNote")),
        series=array(with_optional(closed(
            query=STRING, hits=INTEGER, words=INTEGER, transcripts=INTEGER,
            all_transcripts=INTEGER, rate=nullable(NUMBER), notes=array(STRING),
            buckets=array(closed(
                label=STRING, start=DATE, end=DATE, hits=INTEGER, words=INTEGER,
                transcripts=INTEGER, all_transcripts=INTEGER, rate=nullable(NUMBER),
                low=nullable(NUMBER), high=nullable(NUMBER), share=nullable(NUMBER),
                share_low=nullable(NUMBER), share_high=nullable(NUMBER), partial=BOOLEAN,
                sparse=BOOLEAN,
            )),
        ), value={"type": "string", "description": "with `by`: the party (language, "
                  "speaker) this series is drawn for"})),
    ), by={"enum": list(TRENDS_BY), "description": "present when asked for: one series per "
           "value of this facet, for the one search"},
       others={"type": "integer", "description": "with `by`: values the search matches "
               f"that have no series (past the {TRENDS_TOP} with most passages)"}),
    "SpeakerRanking": closed(
        query=STRING, filters=FILTERS, sort={"enum": list(SORT_KEYS)}, min_words=INTEGER,
        min_hits=INTEGER, min_transcripts=INTEGER, total_hits=INTEGER,
        speakers_with_hits=INTEGER, ranked=INTEGER, rate_unit=STRING, interval=STRING,
        value_notes=array(ref("ValueNote")),
        by={"enum": list(GROUPS), "description": "what the rows are: speakers, or parties "
            "(each row's `speaker` is then the party)"},
        rows=array(closed(
            speaker=STRING, hits=INTEGER, words=INTEGER, transcripts=INTEGER,
            spoke_in=INTEGER, rate=nullable(NUMBER), low=nullable(NUMBER),
            high=nullable(NUMBER),
        )),
    ),
    "Turn": closed(transcript_id=STRING, title=STRING, date=STRING, position=INTEGER,
                   speaker=STRING, text=STRING),
    "SpeakerProfile": closed(
        name=STRING, is_speaker=BOOLEAN, person_tag=nullable(STRING), turns=INTEGER,
        words=INTEGER, transcripts=INTEGER, first=nullable(STRING), last=nullable(STRING),
        roles=array(closed(role=STRING, turns=INTEGER, first=STRING, last=STRING)),
        words_by_year=array(closed(year=INTEGER, words=INTEGER)),
        distinctive=array(closed(
            word=STRING, uses=INTEGER, transcripts=INTEGER, per_10k=NUMBER,
            rest_uses=INTEGER, rest_per_10k=NUMBER, log_ratio=NUMBER, g2=NUMBER,
        )),
        tags=closed(**{name: array(closed(value=STRING, transcripts=INTEGER, label=STRING))
                       for name in ("geography", "topic", "person")}),
        latest=array(ref("Turn")), tagged_pages=INTEGER, tagged_latest=array(ref("Turn")),
        mentions=INTEGER, mentions_latest=array(ref("Turn")), notes=array(STRING),
    ),
    "Concordance": closed(
        total={"type": "integer", "description": "hits"}, utterances=INTEGER,
        transcripts=INTEGER, matched=INTEGER, page=INTEGER, pages=INTEGER,
        per_page=INTEGER, sort={"enum": list(conc.SORTS)}, width=INTEGER,
        notes=array(STRING), value_notes=array(ref("ValueNote")),
        lines=array(closed(
            number=INTEGER, transcript_id=STRING, title=STRING, date=STRING,
            position=INTEGER, kind=STRING, speaker=STRING, label=STRING, role=STRING,
            left=STRING, match=STRING, right=STRING, permalink=STRING,
        )),
    ),
}


def choice(values: Iterable[str], default: str | None = None) -> Schema:
    """One of ``values``, or empty (as a blank form field sends it) for the default."""
    schema: Schema = {"type": "string", "enum": ["", *values]}
    if default is not None:
        schema["default"] = default
    return schema


def whole(low: int, high: int, default: int | None = None) -> Schema:
    """A whole number in a range, or empty (as a blank form field sends it) for the
    default."""
    number: Schema = {"type": "integer", "minimum": low, "maximum": high}
    if default is not None:
        number["default"] = default
    return {"anyOf": [number, {"type": "string", "maxLength": 0}]}


def _query(name: str, schema: Schema, description: str, **extra: Any) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, **extra}


Q = _query("q", {"type": "string", "maxLength": MAX_QUERY_CHARS},
           'What was said: words (all must match), "a phrase", OR, -word, prefix*, '
           "speaker:, person:, geography:, topic:, title:. Empty: everything.")
# What a filter's values are, where its name alone does not say.
FILTER_VALUES = {
    "language": "Only passages in this language, named in English as the language facet "
                "names it (Czech, German) or by its ISO 639 code (cs, deu)",
    "party": "Only turns of speakers of this party or group that day, as the source "
             "abbreviates it (ODS, ÖVP); known for ParlaMint sittings",
}
FILTER_PARAMS = [
    *(_query(name, {"type": "array", "maxItems": MAX_VALUES,
                    "items": {"type": "string", "maxLength": MAX_VALUE_CHARS}},
             FILTER_VALUES.get(name, f"Only {name} values like this")
             + " (repeat the parameter for several: any of them).", style="form",
             explode=True)
      for name in FACET_PARAMS),
    _query("from", BLANK_OR_DATE, "From this date (YYYY-MM-DD), inclusive; empty: no bound."),
    _query("to", BLANK_OR_DATE, "Up to this date (YYYY-MM-DD), inclusive; empty: no bound."),
]
SEARCH_PARAMS = [
    Q, *FILTER_PARAMS,
    _query("sort", choice(SORTS, SORTS[0]), "The order of transcripts."),
    _query("page", whole(1, MAX_PAGE, 1), "Ten transcripts a page."),
]


def _json(schema_name: str, description: str) -> Schema:
    return {"description": description,
            "content": {"application/json": {"schema": ref(schema_name)}}}


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "503": {"$ref": "#/components/responses/Unavailable"},
}


def _operation(operation_id: str, summary: str, parameters: list[Schema],
               ok: Schema, *, not_found: bool = False) -> Schema:
    responses: dict[str, Schema] = {"200": ok, **ERRORS}
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    return {"get": {"operationId": operation_id, "summary": summary,
                    "parameters": parameters, "responses": responses}}


def _path_name(name: str, description: str, max_length: int) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": max_length}}


@cache
def document() -> Schema:
    """The whole OpenAPI 3.1 document, built once (read-only: every request shares it)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "transcripts",
            "version": __version__,
            "summary": "Who said what, when, about whom and where: full-text search over "
                       "speech transcripts.",
            "description": (
                "The site's searches as JSON. Every parameter is the search page's: a URL "
                "of the site works here with /api/search in front. Texts of "
                "en.kremlin.ru are CC BY 4.0; every transcript names its own source and "
                "licence (`/api/transcripts/{id}`)."),
        },
        "paths": {
            "/api/search": _operation(
                "search", "Search: matching passages grouped by transcript, with facets",
                SEARCH_PARAMS, _json("SearchResult", "One page of results.")),
            "/api/transcripts/{transcript_id}": _operation(
                "transcript", "A whole transcript, every utterance, its source and licence",
                [_path_name("transcript_id", "The transcript's id.", 255)],
                _json("Transcript", "The transcript."), not_found=True),
            "/api/trends": _operation(
                "trends", "Over time: hits per million words per year or month, per "
                "search or per party",
                [_query("q", {"type": "array", "maxItems": MAX_QUERIES,
                              "items": {"type": "string", "maxLength": MAX_QUERY_CHARS}},
                        f"Up to {MAX_QUERIES} searches to compare (repeat the parameter).",
                        style="form", explode=True),
                 *FILTER_PARAMS,
                 _query("bucket", choice(BUCKETS),
                        "Year or month (default: month for three years or less)."),
                 _query("mode", choice(["rate", "share"], "rate"),
                        "What the page charts; the JSON has both."),
                 _query("by", choice(["query", *TRENDS_BY], "query"),
                        "query (default): one series per search. party, language or "
                        f"speaker: one series per value, for one search (the {TRENDS_TOP} "
                        "values with the most matching passages, or the values ticked); "
                        "each series then has `value`, and the answer `by` and `others`. "
                        "More than one search with these is a 400.")],
                _json("Trends", "One series per search.")),
            "/api/speakers": _operation(
                "speakers", "Who said it most: speakers (or parties) by hits per 10,000 of "
                "their words",
                [Q, *FILTER_PARAMS,
                 _query("order", choice(SORT_KEYS, "low"),
                        "Rank by: the rate's lower 95 % bound (default), rate, hits, "
                        "words, transcripts or name."),
                 _count("min_words", DEFAULT_MIN_WORDS, "Speakers with at least this many "
                        "words within the filters."),
                 _count("min_hits", DEFAULT_MIN_HITS, "... and at least this many hits."),
                 _count("min_transcripts", DEFAULT_MIN_TRANSCRIPTS,
                        "... in at least this many transcripts."),
                 _count("limit", 100, "Rows (0: the default, 100).", 1000),
                 _query("by", choice(GROUPS, "speaker"),
                        "speaker (default): a row per speaker. party: a row per party, "
                        "its members' turns taken together (where the source says which "
                        "party a speaker belonged to that day).")],
                _json("SpeakerRanking", "The ranking.")),
            "/api/speaker/{name}": _operation(
                "speaker", "A speaker's page: turns, words, roles, distinctive words, tags",
                [_path_name("name", "The speaker's name as the index has it.", 200)],
                _json("SpeakerProfile", "The speaker."), not_found=True),
            "/api/kwic": _operation(
                "concordance", "Concordance: every hit with the words around it",
                [Q, *FILTER_PARAMS,
                 _query("sort", choice(conc.SORTS, conc.SORTS[0]),
                        "Line order: by date, relevance, or the words left or right of "
                        "the hit."),
                 _query("page", whole(1, KWIC_MAX_PAGE, 1), "Page of lines."),
                 _query("per_page", whole(1, conc.MAX_PER_PAGE, conc.PER_PAGE),
                        "Lines a page."),
                 _query("width", whole(conc.MIN_WIDTH, conc.MAX_WIDTH, conc.WIDTH),
                        "Characters of context on each side.")],
                _json("Concordance", "One page of lines.")),
            "/export": _operation(
                "export", "Every matching passage as CSV (RFC 4180) or JSON Lines",
                [Q, *FILTER_PARAMS,
                 _query("format", choice(export.FORMATS, "csv"),
                        "The file's format."),
                 _query("sort", choice(export.SORTS, export.SORTS[0]),
                        "Row order."),
                 _query("limit", whole(1, export.MAX_ROWS, export.MAX_ROWS),
                        "Rows at most; past it the file says so in a last row."),
                 _query("bom", choice(["0", "1", "true", "false", "yes", "no"]),
                        "Begin the CSV with a UTF-8 byte-order mark (Excel).")],
                {"description": "The file, streamed; X-Export-Rows, X-Export-Total and "
                                "X-Export-Truncated say how much of it there is.",
                 "content": {"text/csv": {"schema": STRING},
                             "application/x-ndjson": {"schema": STRING}}}),
            "/feed": _operation(
                "feed", "Follow a search: an Atom feed of its passages, newest to the "
                        "index first",
                [Q, *FILTER_PARAMS,
                 _query("limit", whole(1, follow.MAX_ENTRIES, follow.FEED_ENTRIES),
                        "Entries.")],
                {"description": "Atom 1.0 (RFC 4287); 304 to a conditional request when "
                                "the index has not changed.",
                 "content": {"application/atom+xml": {"schema": STRING}}}),
            "/api/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {"application/json": {
                                          "schema": {"type": "object"}}}}}}},
        },
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                "BadRequest": _error("A parameter or the query cannot be used; the message "
                                     "names it (HTML for /export and /feed)."),
                "NotFound": _error("Nothing by that id or name."),
                "Unavailable": _error("No index yet, or the cluster cannot answer."),
            },
        },
    }


def _count(name: str, default: int, description: str, top: int = 10**9) -> Schema:
    return _query(name, whole(0, top, default), description)


def _error(description: str) -> Schema:
    return {"description": description,
            "content": {"application/json": {"schema": ref("Error")},
                        "text/html": {"schema": STRING}}}
