"""/feed: any search as an Atom 1.0 feed (RFC 4287), newest to the index first.

The feed takes exactly the search page's parameters (q, the facets, from, to) and reads
them with the search page's parser, so "Follow this search" on any page follows exactly
that search. One entry per matching passage, not per transcript: a passage is what a
reader quotes and links, it has one speaker (the entry's author) and one permalink, and
its id -- a tag URI from the transcript id and the passage's position -- never changes
when other passages of the transcript start or stop matching, or when the index is
rebuilt, so a feed reader never shows an entry twice. The alert digests group the same
passages by transcript.

"Newest" is first indexed (``index.first_seen``), not the printed date. The feed is as
fresh as the index generation, so the generation gives the ETag and Last-Modified: a
reader polling an unchanged index gets a 304 without a search being run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from html import escape
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from transcripts.search import follow
from transcripts.search.backend import generation_stamp, new_passages
from transcripts.search.export import permalink_path
from transcripts.search.results import SearchRequest
from transcripts.web import current_index
from transcripts.web.export import int_param, search_pairs, search_part, site_root
from transcripts.web.views import long_date

bp = Blueprint("feed", __name__)

ATOM = "application/atom+xml"
FEED_FORMAT = "1"  # in the ETag: a change to the feed's layout must reach every reader
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
TAG_DATE = "2026"  # the tag URI's date (RFC 4151): when this naming began; never changes
ENV_AUTHORITY = "TRANSCRIPTS_FEED_AUTHORITY"


@bp.get("/feed")
def feed() -> ResponseReturnValue:
    args = request.args
    req = search_part(args)
    limit = int_param(args, "limit", follow.FEED_ENTRIES, 1, follow.MAX_ENTRIES)
    index = current_index()
    generation, built_at = generation_stamp(index)
    validator = hashlib.sha256(
        "\n".join((FEED_FORMAT, generation, repr(built_at), site_root(),
                   request.query_string.decode()))
        .encode()
    ).hexdigest()[:32]
    modified = dt.datetime.fromtimestamp(int(built_at), dt.UTC)
    response = Response(mimetype=ATOM)
    response.set_etag(validator)
    response.last_modified = modified
    response.cache_control.no_cache = True  # may be kept, but asked again each time
    if response.make_conditional(request).status_code == 304:
        return response  # nothing changed: no search run
    followed = new_passages(index, req, limit=limit)
    response.set_data(xml_safe(render_template(
        "feed.xml",
        feed_id=tag_uri("feed", "?" + urlencode(sorted(search_pairs(req)))),
        title=feed_title(req),
        updated=atom_time(built_at),
        self_url=site_root() + feed_path(req, limit),
        search_url=site_root() + url_for("pages.search") + "?" + urlencode(
            [*search_pairs(req), ("sort", "newest")]),
        followed=followed,
        entries=[entry(p) for p in followed.passages],
    )))
    return response


def xml_safe(text: str) -> str:
    """Without the characters XML 1.0 forbids (a control character in a query or a
    transcript would make the whole feed unreadable; escaping cannot express them)."""
    return _NOT_XML.sub("", text)


def entry(p: follow.Passage) -> dict[str, str]:
    """What the template writes for one passage."""
    who = p.speaker or p.label
    return {
        "id": tag_uri(quote(p.transcript_id, safe=""), str(p.position)),
        "title": f"{who} — {p.title}" if who else p.title,
        "link": site_root() + permalink_path(p.transcript_id, p.position),
        "updated": atom_time(p.first_seen),
        "published": f"{p.date}T00:00:00Z" if p.date else "",
        "author": who or p.attribution or p.source or "unknown",
        "role": p.role,
        "category": p.source,
        "rights": p.credit,
        "content": content_html(p, who),
    }


def content_html(p: follow.Passage, who: str) -> str:
    """The entry's HTML (the template escapes it once more, as type="html" requires):
    the snippet, already escaped and marked, then where it is from, escaped here."""
    said = f"{who}, {p.role}" if who and p.role else who
    where = ", ".join(x for x in (p.title, long_date(p.date), said) if x)
    return f"<p>{p.snippet}</p><p>{escape(where)}. Source: {escape(p.credit)}.</p>"


def tag_uri(*parts: str) -> str:
    """tag:AUTHORITY,DATE:PARTS (RFC 4151). The authority is the site's host name
    (``FEED_AUTHORITY`` or $TRANSCRIPTS_FEED_AUTHORITY overrides it), so ids stay the
    same as long as the address does."""
    authority = (current_app.config.get("FEED_AUTHORITY") or os.environ.get(ENV_AUTHORITY)
                 or request.host.rsplit(":", 1)[0])
    authority = authority.strip("[]") or "localhost"
    return f"tag:{authority},{TAG_DATE}:" + "/".join(parts)


def atom_time(timestamp: float) -> str:
    """RFC 3339, in UTC, to the second."""
    return dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_title(req: SearchRequest) -> str:
    return f"Transcripts: {follow.describe(req)}"


def feed_path(req: SearchRequest, limit: int = follow.FEED_ENTRIES) -> str:
    pairs = search_pairs(req)
    if limit != follow.FEED_ENTRIES:
        pairs.append(("limit", str(limit)))
    return url_for("feed.feed") + ("?" + urlencode(pairs) if pairs else "")


@bp.app_template_global()
def feed_url(req: SearchRequest) -> str:
    """The feed of a search, as a link on the page that shows it."""
    return feed_path(req)
