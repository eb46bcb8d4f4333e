"""Following a search as an Atom feed, over real on-disk indexes of real pages.

A real feed client (feedparser) reads every feed the site serves and every feed its pages
advertise; entries are checked against the transcript pages they link to. The index is
rebuilt, updated and deleted for real (``index.writer.reindex`` into a temporary folder)
to check what a feed reader relies on: entry ids that never change, validators that
change with each generation (and a 304 while they do not), the passages of a newly
indexed transcript first, and first-seen times that survive every kind of reindex,
including an index folder deleted and built again from the same files. Hostile queries
are refused with a 400, and hostile transcripts reach the reader as text.

How fast a feed answers is measured by the benchmarks, not here.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import os
import re
import shutil
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.http import http_date

from tests.conftest import SEEDS
from transcripts.index import first_seen, location
from transcripts.index.writer import reindex
from transcripts.search.engine import TranscriptIndex
from transcripts.search.follow import describe, generation_stamp, new_passages
from transcripts.search.results import SearchRequest
from transcripts.web import create_app

ATOM = "application/atom+xml"
TAG = "tag:localhost,2026:"
QUERY = "coronavirus"
PUTIN = "Vladimir Putin"
KREMLIN_CREDIT = "President of Russia website (en.kremlin.ru), CC BY 4.0"

DAY = 86_400
T0 = 1_577_836_800  # 2020-01-01T00:00:00Z: the files below were "fetched" after it
# The site's pages (seed id -> days after T0 its file was written). Some share a day, so
# the order falls back on the printed date, then the transcript.
SITE = {
    "62094": 0,  # an accreditation notice: no coronavirus
    "62691": 10,
    "62705": 20,  # coronavirus in narrative only
    "62734": 10,
    "62888": 30,
    "62930": 40,
    "62964": 40,
    "63001": 50,
    "63021": 60,
    "63033": 60,
}
# A smaller index rebuilt and updated by the tests that change it.
OLD = {"62691": 10, "62705": 20, "62734": 30}
NEW = "63021"  # says "coronavirus" in Vladimir Putin's turns
MORE = ("62930", "63001", "63033", "62888", "62964")  # added one at a time when needed


# --- helpers ----------------------------------------------------------------------------


def parse(data: bytes, sanitize: bool = True) -> feedparser.FeedParserDict:
    return feedparser.parse(data, sanitize_html=sanitize)


def fetch(client: FlaskClient, url: str, headers: dict | None = None, status: int | None = 200):
    """A GET that must answer ``status`` (None: any)."""
    response = client.get(url, headers=headers or {})
    assert status is None or response.status_code == status, (
        url, response.status_code, response.data[:300])
    return response


def read_feed(client: FlaskClient, url: str, sanitize: bool = True):
    """The feed at ``url``, which must be well-formed Atom 1.0."""
    response = fetch(client, url)
    assert response.mimetype == ATOM, url
    parsed = parse(response.data, sanitize)
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    assert parsed.version == "atom10", url
    return parsed


def key(entry) -> tuple[str, int]:
    """(transcript id, position) from an entry's tag URI."""
    assert entry.id.startswith(TAG), entry.id
    tid, _, pos = entry.id[len(TAG):].rpartition("/")
    return unquote(tid), int(pos)


def keys(parsed) -> list[tuple[str, int]]:
    return [key(e) for e in parsed.entries]


def atom_time(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def copy_seed(seed: str, folder: Path, days: float | None = None) -> Path:
    """A seed page copied into ``folder``, written ``days`` after T0 (None: now)."""
    path = folder / f"{seed}.txt"
    shutil.copyfile(SEEDS / f"{seed}.txt", path)
    if days is not None:
        os.utime(path, (T0 + days * DAY, T0 + days * DAY))
    return path


def record(root: Path) -> first_seen.FirstSeen:
    rec = first_seen.load(location.live_generation(root))
    assert rec is not None, root
    return rec


def make_app(root: Path) -> Flask:
    return create_app({"INDEX_DIR": str(root), "WARM_INDEX": False, "TESTING": True})


class FeedLinks(HTMLParser):
    """The Atom feeds a page advertises in <head>, and its visible "Follow" links."""

    def __init__(self) -> None:
        super().__init__()
        self.in_head = False
        self.alternates: list[tuple[str, str]] = []  # (title, href)
        self.follow: list[list[str]] = []  # [href, text]
        self._in_follow = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "link" and a.get("rel") == "alternate" and a.get("type") == ATOM:
            assert self.in_head, "an alternate link outside <head>"
            self.alternates.append((a.get("title") or "", a["href"]))
        elif tag == "a" and "follow-link" in (a.get("class") or "").split():
            self.follow.append([a["href"], ""])
            self._in_follow = True

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False
        elif tag == "a":
            self._in_follow = False

    def handle_data(self, data):
        if self._in_follow:
            self.follow[-1][1] += data


def feed_links(client: FlaskClient, url: str) -> FeedLinks:
    links = FeedLinks()
    links.feed(fetch(client, url).get_data(as_text=True))
    return links


# --- the site: ten real pages, first indexed at known times -----------------------------


@dataclass
class Site:
    root: Path
    files: Path
    app: Flask
    index: TranscriptIndex


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    folder = tmp_path_factory.mktemp("feed-site")
    files = folder / "files"
    files.mkdir()
    for seed, days in SITE.items():
        copy_seed(seed, files, days)
    root = folder / "index"
    reindex([files], root, full=True)
    app = make_app(root)
    return Site(root, files, app, TranscriptIndex(root))


@pytest.fixture
def client(site: Site) -> FlaskClient:
    return site.app.test_client()


def transcript(client: FlaskClient, tid: str) -> dict:
    return fetch(client, f"/api/transcripts/{tid}").get_json()


# --- every feed parses ------------------------------------------------------------------

FEEDS = {
    "a word": f"/feed?q={QUERY}",
    "a speaker": "/feed?speaker=Vladimir+Putin",
    "a word by a speaker in a date range": (
        f"/feed?q={QUERY}&speaker=Vladimir+Putin&from=2020-03-01&to=2020-12-31"
    ),
    "a filter only": "/feed?topic=Healthcare",
    "a source only": "/feed?source=en.kremlin.ru",
    "a phrase": "/feed?q=%22coronavirus+infection%22",
    "an empty result": "/feed?q=zyzzyvaquux",
    "everything": "/feed",
    "everything, 500 long": "/feed?limit=500",
    "one entry": f"/feed?q={QUERY}&limit=1",
}


@pytest.mark.parametrize("url", FEEDS.values(), ids=FEEDS.keys())
def test_feedparser_reads_every_feed_without_errors(client, url):
    parsed = read_feed(client, url)
    assert parsed.feed.id.startswith(TAG + "feed/")
    assert parsed.feed.title.startswith("Transcripts: ")
    assert parsed.feed.updated_parsed is not None
    assert parsed.feed.author == "Transcripts"
    assert "CC BY 4.0" in parsed.feed.rights
    for entry in parsed.entries:
        assert entry.id and entry.link and entry.title and entry.author
        assert entry.updated_parsed is not None
        assert entry.content[0].type == "text/html"


def test_word_search_feed_has_every_passage_the_search_finds(client):
    total = fetch(client, f"/api/search?q={QUERY}").get_json()["total"]
    parsed = read_feed(client, f"/feed?q={QUERY}&limit=500")
    assert len(parsed.entries) == total > 10
    assert parsed.feed.subtitle.startswith(
        f"Passages matching this search, newest to the index first: {total} passages in "
    )
    assert len(set(keys(parsed))) == total  # one entry per passage, never twice


def test_speaker_feed_lists_only_that_speakers_turns(client):
    parsed = read_feed(client, "/feed?speaker=Vladimir+Putin&limit=500")
    assert len(parsed.entries) > 20
    assert {e.author for e in parsed.entries} == {PUTIN}
    assert parsed.feed.title == f"Transcripts: everything, speaker: {PUTIN}"


def test_filter_only_feed_lists_passages_of_the_tagged_transcripts(client):
    parsed = read_feed(client, "/feed?topic=Healthcare&limit=500")
    assert parsed.entries
    for tid in {key(e)[0] for e in parsed.entries}:
        assert "Healthcare" in transcript(client, tid)["topics"], tid
    assert parsed.feed.title == "Transcripts: everything, topic: Healthcare"


def test_date_range_feed_keeps_to_its_dates(client):
    parsed = read_feed(client, f"/feed?q={QUERY}&from=2020-03-01&to=2020-03-31&limit=500")
    assert parsed.entries
    assert all("2020-03-01" <= e.published[:10] <= "2020-03-31" for e in parsed.entries)
    assert parsed.feed.title == f"Transcripts: “{QUERY}”, from 2020-03-01, to 2020-03-31"


def test_empty_result_is_a_valid_empty_feed(client):
    parsed = read_feed(client, "/feed?q=zyzzyvaquux")
    assert parsed.entries == []
    assert parsed.feed.title == "Transcripts: “zyzzyvaquux”"
    assert "0 passages in 0 transcripts" in parsed.feed.subtitle


def test_feed_of_everything_is_the_newest_fifty_passages(client):
    parsed = read_feed(client, "/feed")
    assert len(parsed.entries) == 50
    assert parsed.feed.title == "Transcripts: everything"
    assert ", the newest 50 here." in parsed.feed.subtitle
    longer = read_feed(client, "/feed?limit=500")
    assert len(longer.entries) > 50
    assert keys(longer)[:50] == keys(parsed)


def test_limit_gives_the_newest_entries_of_the_longer_feed(client):
    full = read_feed(client, f"/feed?q={QUERY}&limit=500")
    three = read_feed(client, f"/feed?q={QUERY}&limit=3")
    assert keys(three) == keys(full)[:3]
    assert ", the newest 3 here." in three.feed.subtitle


def test_feed_links_to_itself_and_to_the_search_page(client):
    parsed = read_feed(client, f"/feed?q={QUERY}&speaker=Vladimir+Putin&limit=7")
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["self"] == f"http://localhost/feed?q={QUERY}&speaker=Vladimir+Putin&limit=7"
    search = urlsplit(links["alternate"])
    assert search.path == "/" and "sort=newest" in search.query
    page = fetch(client, f"{search.path}?{search.query}").get_data(as_text=True)
    assert "Meeting with public from Crimea and Sevastopol" in page
    # The self link is the same feed.
    again = read_feed(client, urlsplit(links["self"]).path + "?" + urlsplit(links["self"]).query)
    assert keys(again) == keys(parsed)


def test_feed_id_names_the_search_not_the_page_size(client):
    a = read_feed(client, f"/feed?q={QUERY}&speaker=Vladimir+Putin")
    b = read_feed(client, f"/feed?speaker=Vladimir+Putin&q={QUERY}&limit=5")
    assert a.feed.id == b.feed.id == f"{TAG}feed/?q={QUERY}&speaker=Vladimir+Putin"


PAGES = {
    "search": (f"/?q={QUERY}", [("this search", f"/feed?q={QUERY}")]),
    "filtered search": (
        f"/?q={QUERY}&speaker=Vladimir+Putin&from=2020-01-01",
        [("this search", f"/feed?q={QUERY}&speaker=Vladimir+Putin&from=2020-01-01")],
    ),
    "browse": ("/?topic=Healthcare", [("this search", "/feed?topic=Healthcare")]),
    "speaker": ("/speaker/Vladimir%20Putin", [(PUTIN, "/feed?speaker=Vladimir+Putin")]),
    "over time": (f"/trends?q={QUERY}", [(f"“{QUERY}”", f"/feed?q={QUERY}")]),
    "over time, two words": (
        f"/trends?q={QUERY}&q=vaccine",
        [(f"“{QUERY}”", f"/feed?q={QUERY}"), ("“vaccine”", "/feed?q=vaccine")],
    ),
}


@pytest.mark.parametrize("page,expected", PAGES.values(), ids=PAGES.keys())
def test_page_advertises_its_feed_and_the_feed_parses(client, page, expected):
    links = feed_links(client, page)
    assert links.alternates == [(f"Follow {title} (Atom)", href) for title, href in expected]
    assert [href for href, _ in links.follow] == [href for _, href in expected]
    assert [text for _, text in links.follow] == [f"Follow {title}" for title, _ in expected]
    for _, href in links.alternates:
        read_feed(client, href)


def test_advertised_feed_follows_exactly_the_search_on_the_page(client):
    (_, href), = feed_links(client, f"/?q={QUERY}&speaker=Vladimir+Putin").alternates
    parsed = read_feed(client, href + "&limit=500")
    total = fetch(client, f"/api/search?q={QUERY}&speaker=Vladimir+Putin").get_json()["total"]
    assert len(parsed.entries) == total > 0
    assert {e.author for e in parsed.entries} == {PUTIN}


# --- what an entry carries --------------------------------------------------------------


def test_entries_carry_permalink_author_title_times_snippet_and_credit(site, client):
    parsed = read_feed(client, f"/feed?q={QUERY}&limit=500", sanitize=False)
    times = record(site.root).times
    assert len(parsed.entries) > 10
    for entry in parsed.entries:
        tid, pos = key(entry)
        assert entry.id == f"{TAG}{tid}/{pos}"
        t = transcript(client, tid)
        # The permalink: the transcript page, at the passage.
        link = urlsplit(entry.link)
        assert (link.scheme, link.netloc, link.path, link.fragment) == (
            "http", "localhost", f"/t/{tid}", f"u{pos}")
        page = fetch(client, link.path).get_data(as_text=True)
        assert f'id="u{pos}"' in page
        # The speaker is the author, and leads the title.
        said = next((u for u in t["utterances"] if u["position"] == pos), None)
        who = (said["speaker"] or said["label"]) if said else ""
        assert entry.author == (who or t["attribution"] or t["source"])
        assert entry.title == (f"{who} — {t['title']}" if who else t["title"])
        # Updated: when the transcript was first indexed; published: its date.
        assert entry.updated == atom_time(times[tid])
        assert entry.published == f"{t['date']}T00:00:00Z"
        # The snippet, the matched word marked, then where it is from and whose it is.
        content = entry.content[0].value
        marked = re.findall(r"<mark>(.*?)</mark>", content)
        assert marked and all(m.casefold().startswith(QUERY) for m in marked), content
        assert set(re.findall(r"</?([a-z]+)", content)) == {"p", "mark"}
        if said:
            first = re.match(r"<p>(.*?)</p>", content, re.S).group(1)
            bare = html.unescape(first.replace("<mark>", "").replace("</mark>", ""))
            assert bare.strip("… \n") in said["text"]
        assert entry.rights == KREMLIN_CREDIT
        assert content.endswith(f"Source: {KREMLIN_CREDIT}.</p>")
        assert t["title"] in content


def test_a_sanitizing_reader_still_shows_the_matched_word(client):
    """feedparser, like many readers, drops <mark>: the words stay."""
    parsed = read_feed(client, f"/feed?q={QUERY}")
    for entry in parsed.entries:
        assert QUERY in entry.content[0].value.casefold()
        assert "<script" not in entry.content[0].value


def test_permalinks_resolve_for_a_speaker_feed(client):
    parsed = read_feed(client, "/feed?speaker=Vladimir+Putin&limit=20")
    for entry in parsed.entries:
        tid, pos = key(entry)
        assert entry.link == f"http://localhost/t/{tid}#u{pos}"
        assert f'id="u{pos}"' in fetch(client, f"/t/{tid}").get_data(as_text=True)


def test_describe_puts_a_search_in_a_line():
    req = SearchRequest(q="grain corridor", speaker=[PUTIN], date_from=dt.date(2024, 1, 1))
    assert describe(req) == "“grain corridor”, speaker: Vladimir Putin, from 2024-01-01"
    assert describe(SearchRequest()) == "everything"
    two_topics = SearchRequest(topic=["Healthcare", "Regions"], date_to=dt.date(2020, 5, 1))
    assert describe(two_topics) == "everything, topic: Healthcare or Regions, to 2020-05-01"


# --- newest to the index first ----------------------------------------------------------


def test_passages_are_ordered_by_first_seen_then_date_then_transcript_then_position(site):
    followed = new_passages(site.index, SearchRequest(q=QUERY), limit=500)
    passages = followed.passages
    assert len(passages) == followed.total > 10
    times = record(site.root).times
    for p in passages:
        assert p.first_seen == times[p.transcript_id] == T0 + SITE[p.transcript_id] * DAY
    ranks = [(-p.first_seen, [-ord(c) for c in p.date]) for p in passages]
    assert ranks == sorted(ranks)
    # One transcript's passages together, in the order of the transcript.
    runs = [p.transcript_id for i, p in enumerate(passages)
            if i == 0 or p.transcript_id != passages[i - 1].transcript_id]
    assert len(runs) == len(set(runs)) == followed.transcripts
    for a, b in itertools.pairwise(passages):
        if a.transcript_id == b.transcript_id:
            assert a.position < b.position
    # First seen on one day: the later printed date first (19 March before 18 March).
    assert SITE["63021"] == SITE["63033"]
    assert runs.index("63033") < runs.index("63021")
    assert runs[0] == "63033"


def test_feed_lists_passages_in_the_same_order_as_new_passages(site, client):
    followed = new_passages(site.index, SearchRequest(q=QUERY), limit=500)
    parsed = read_feed(client, f"/feed?q={QUERY}&limit=500")
    assert keys(parsed) == [(p.transcript_id, p.position) for p in followed.passages]


@dataclass
class Fresh:
    """A small index of its own, for a test that changes it."""

    root: Path
    files: Path
    app: Flask

    @property
    def client(self) -> FlaskClient:
        return self.app.test_client()

    def add(self, seed: str, days: float | None = None) -> Path:
        return copy_seed(seed, self.files, days)

    def reindex(self, full: bool = False):
        return reindex([self.files], self.root, full=full)


@pytest.fixture
def fresh(tmp_path) -> Fresh:
    files = tmp_path / "files"
    files.mkdir()
    for seed, days in OLD.items():
        copy_seed(seed, files, days)
    root = tmp_path / "index"
    reindex([files], root, full=True)
    return Fresh(root, files, make_app(root))


def test_passages_of_a_newly_indexed_transcript_come_first(fresh):
    before = read_feed(fresh.client, f"/feed?q={QUERY}&limit=500")
    assert NEW not in {tid for tid, _ in keys(before)}
    fresh.add(NEW)
    assert not fresh.reindex().full
    after = read_feed(fresh.client, f"/feed?q={QUERY}&limit=500")
    new = [k for k in keys(after) if k[0] == NEW]
    assert len(new) >= 2
    assert keys(after)[: len(new)] == sorted(new)  # first, in the order of the transcript
    assert keys(after)[len(new):] == keys(before)  # then the rest, as before
    assert {after.entries[i].author for i in range(len(new))} == {PUTIN}
    built_at = record(fresh.root).built_at
    assert after.entries[0].updated == atom_time(built_at)
    assert after.feed.updated == atom_time(built_at)


def test_new_transcript_is_first_seen_after_the_previous_generation_was_built(fresh):
    previous = record(fresh.root)
    fresh.add(NEW)
    fresh.reindex()
    current = record(fresh.root)
    assert current.built_at > previous.built_at
    assert previous.built_at < current.times[NEW] <= current.built_at
    assert all(t <= current.built_at for t in current.times.values())


def test_old_transcripts_keep_their_first_seen_through_incremental_and_full_reindex(fresh):
    expected = {tid: T0 + days * DAY for tid, days in OLD.items()}
    assert record(fresh.root).times == expected
    fresh.add(NEW)
    fresh.reindex()
    incremental = record(fresh.root)
    assert {tid: incremental.times[tid] for tid in OLD} == expected
    generation = location.live_generation(fresh.root)
    report = fresh.reindex(full=True)
    assert report.full and location.live_generation(fresh.root) != generation
    full = record(fresh.root)
    assert full.times == incremental.times  # the new one's time is kept too
    assert full.built_at > incremental.built_at


def test_alert_after_a_generation_gets_exactly_the_transcripts_indexed_since(fresh):
    """``new_passages(after=built_at)`` of the previous generation: nothing falls between."""
    previous = record(fresh.root)
    index = TranscriptIndex(fresh.root)
    assert new_passages(index, SearchRequest(q=QUERY), after=previous.built_at).total == 0
    fresh.add(NEW)
    fresh.reindex()
    since = new_passages(index, SearchRequest(q=QUERY), after=previous.built_at)
    assert since.passages and {p.transcript_id for p in since.passages} == {NEW}
    assert since.transcripts == 1 and since.total == len(since.passages)
    everything = new_passages(index, SearchRequest(q=QUERY))
    assert [(p.transcript_id, p.position) for p in since.passages] == [
        (p.transcript_id, p.position) for p in everything.passages if p.transcript_id == NEW]
    # Or dated on or after ``dated_from``, however long ago it was first indexed.
    cutoff = dt.date(2020, 2, 1)
    dated = new_passages(index, SearchRequest(q=QUERY), after=since.built_at, dated_from=cutoff)
    expected = [p for p in everything.passages if p.date >= cutoff.isoformat()]
    assert dated.passages and len(expected) < len(everything.passages)
    assert [(p.transcript_id, p.position) for p in dated.passages] == [
        (p.transcript_id, p.position) for p in expected]


# --- ids and validators -----------------------------------------------------------------


def test_entry_ids_survive_a_full_reindex_while_the_etag_changes(fresh):
    client = fresh.client
    url = f"/feed?q={QUERY}&limit=500"
    first = fetch(client, url)
    before = parse(first.data)
    fresh.reindex(full=True)
    second = fetch(client, url)
    after = parse(second.data)
    assert not after.bozo
    assert [e.id for e in after.entries] == [e.id for e in before.entries]
    assert [e.updated for e in after.entries] == [e.updated for e in before.entries]
    assert second.headers["ETag"] != first.headers["ETag"]
    # The old ETag is stale now: the reader gets the feed again.
    fetch(client, url, {"If-None-Match": first.headers["ETag"]}, 200)


def test_entry_ids_do_not_depend_on_which_passages_match(fresh):
    """One passage's id is the same in every feed that lists it."""
    client = fresh.client
    by_word = {e.id: e for e in read_feed(client, f"/feed?q={QUERY}&limit=500").entries}
    by_speaker = {e.id: e for e in read_feed(client, "/feed?speaker=Vladimir+Putin").entries}
    shared = by_word.keys() & by_speaker.keys()
    assert shared
    for entry_id in shared:
        assert by_word[entry_id].link == by_speaker[entry_id].link


def test_unchanged_index_answers_304_to_either_validator(fresh):
    client = fresh.client
    url = f"/feed?q={QUERY}"
    first = fetch(client, url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "no-cache"
    name, built_at = generation_stamp(TranscriptIndex(fresh.root))
    assert name == location.live_generation(fresh.root).name
    assert built_at == record(fresh.root).built_at
    assert parsedate_to_datetime(modified).timestamp() == int(built_at)
    assert parse(first.data).feed.updated == atom_time(built_at)
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified},
                    {"If-None-Match": etag, "If-Modified-Since": modified}):
        response = fetch(client, url, headers, 304)
        assert response.data == b""
        assert response.headers["ETag"] == etag
    # A reindex that finds nothing to do keeps the generation, so the 304 holds.
    assert fresh.reindex().up_to_date
    fetch(client, url, {"If-None-Match": etag}, 304)
    # Another search is another feed.
    other = fetch(client, "/feed?q=vaccine")
    assert other.headers["ETag"] != etag
    fetch(client, "/feed?q=vaccine", {"If-None-Match": etag}, 200)


def test_new_generation_answers_200_with_a_new_etag(fresh):
    client = fresh.client
    url = f"/feed?q={QUERY}"
    first = fetch(client, url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    fresh.add(NEW)
    fresh.reindex()
    for headers in ({"If-None-Match": etag},
                    {"If-None-Match": etag, "If-Modified-Since": modified}):
        response = fetch(client, url, headers, 200)
        assert response.headers["ETag"] != etag
        assert key(parse(response.data).entries[0])[0] == NEW
    # A reader whose copy is a day older than this generation gets it too.
    a_day_before = http_date(record(fresh.root).built_at - DAY)
    fetch(client, url, {"If-Modified-Since": a_day_before}, 200)
    fetch(client, url, {"If-Modified-Since": fetch(client, url).headers["Last-Modified"]}, 304)


def test_if_modified_since_alone_sees_a_generation_built_in_the_same_second(fresh):
    """A reader sending only If-Modified-Since must not get a 304 for a newer generation,
    even one built within the same second as the one it has: incremental builds of a few
    files take tens of milliseconds, so some of these land in one second."""
    client = fresh.client
    url = f"/feed?q={QUERY}"
    for seed in (NEW, *MORE):
        before = fetch(client, url)
        fresh.add(seed)
        fresh.reindex()
        after = fetch(client, url, {"If-Modified-Since": before.headers["Last-Modified"]}, None)
        assert after.status_code == 200, (
            seed, before.headers["Last-Modified"], after.headers.get("Last-Modified"))
        assert after.headers["ETag"] != before.headers["ETag"]


# --- first-seen times recovered from the files ------------------------------------------


def test_rebuilt_index_recovers_first_seen_from_file_times(fresh):
    client = fresh.client
    fresh.add(NEW, 45)  # written before the index was (re)built
    fresh.reindex()
    before = read_feed(client, f"/feed?q={QUERY}&limit=500")
    assert key(before.entries[0])[0] == NEW  # new to that index: its build time
    shutil.rmtree(fresh.root)
    fresh.reindex()
    times = record(fresh.root).times
    expected = {tid: float(T0 + days * DAY) for tid, days in {**OLD, NEW: 45}.items()}
    assert times == expected
    after = read_feed(make_app(fresh.root).test_client(), f"/feed?q={QUERY}&limit=500")
    assert [e.updated for e in after.entries] == sorted(
        (atom_time(expected[key(e)[0]]) for e in after.entries), reverse=True)
    assert sorted(e.id for e in after.entries) == sorted(e.id for e in before.entries)


def test_first_build_caps_a_future_file_time_at_the_build_time(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    path = copy_seed(NEW, files)
    future = dt.datetime.now(dt.UTC).timestamp() + 30 * DAY
    os.utime(path, (future, future))
    copy_seed("62691", files, 10)
    root = tmp_path / "index"
    reindex([files], root)
    rec = record(root)
    assert rec.times[NEW] == rec.built_at < future
    assert rec.times["62691"] == T0 + 10 * DAY


def test_file_with_an_old_time_added_to_an_index_gets_the_build_time(fresh):
    previous = record(fresh.root)
    path = fresh.add(NEW, -365)  # written long ago, indexed only now
    fresh.reindex()
    current = record(fresh.root)
    assert current.times[NEW] == current.built_at > previous.built_at
    assert current.times[NEW] != path.stat().st_mtime
    parsed = read_feed(fresh.client, f"/feed?q={QUERY}")
    assert key(parsed.entries[0])[0] == NEW


def test_transcript_removed_and_restored_is_not_news_twice(fresh):
    oldest = min(OLD, key=OLD.get)
    (fresh.files / f"{oldest}.txt").unlink()
    fresh.reindex()
    assert record(fresh.root).times[oldest] == T0 + OLD[oldest] * DAY
    assert oldest not in {tid for tid, _ in keys(read_feed(fresh.client, f"/feed?q={QUERY}"))}
    fresh.add(oldest)  # back, with a new file time
    fresh.reindex()
    assert record(fresh.root).times[oldest] == T0 + OLD[oldest] * DAY
    parsed = read_feed(fresh.client, f"/feed?q={QUERY}&limit=500")
    assert key(parsed.entries[-1])[0] == oldest  # still the oldest: last, not first


def test_generation_without_a_first_seen_record_still_serves_a_feed(fresh):
    """An index built before records were kept: every transcript is as old as the build."""
    generation = location.live_generation(fresh.root)
    (generation / first_seen.FILE).unlink()
    assert first_seen.load(generation) is None
    parsed = read_feed(make_app(fresh.root).test_client(), f"/feed?q={QUERY}")
    assert parsed.entries
    # The next build starts a record again, recovering times from the files.
    fresh.add(NEW, 45)
    fresh.reindex()
    assert record(fresh.root).times[NEW] == T0 + 45 * DAY


def test_unreadable_first_seen_record_loads_as_none(tmp_path):
    assert first_seen.load(None) is None
    assert first_seen.load(tmp_path) is None
    for text in ("not json", "[]", '{"built_at": 1}', '{"built_at": "x", "times": {}}',
                 '{"built_at": 1, "times": {"a": "b"}}'):
        (tmp_path / first_seen.FILE).write_text(text)
        assert first_seen.load(tmp_path) is None, text
    (tmp_path / first_seen.FILE).write_text('{"built_at": 2.5, "times": {"a": 1}}')
    assert first_seen.load(tmp_path) == first_seen.FirstSeen(2.5, {"a": 1.0})


# --- hostile input ----------------------------------------------------------------------

REFUSED = {
    "unbalanced quote": "q=%22",
    "unbalanced quote in a phrase": "q=%22trade+and+economic",
    "unbalanced bracket": "q=%28gas",
    "unknown field": "q=colour%3Ared",
    "10,000 characters": "q=" + "sanctions+" * 1000,
    "month 13": "from=2020-13-01",
    "not a date": "to=abc",
    "empty date range": "from=2021-01-01&to=2020-01-01",
    "limit 0": "limit=0",
    "limit 501": "limit=501",
    "limit -1": "limit=-1",
    "limit not a number": "limit=abc",
    "limit a fraction": "limit=1.5",
    "limit huge": "limit=" + "9" * 40,
}


@pytest.mark.parametrize("query", REFUSED.values(), ids=REFUSED.keys())
def test_refused_search_or_parameter_is_a_400(client, query):
    response = fetch(client, f"/feed?{query}", status=400)
    assert response.mimetype != ATOM


ODD = {
    "markup": "<script>alert(1)</script>",
    "ampersand": "AT&T & R&D",
    "cdata end": "]]>",
    "single quotes": "it's 'x' onmouseover='y'",
    "emoji": "😀 coronavirus 🇷🇺",
    "right-to-left override": "\u202ecoronavirus\u202c",
    "punctuation soup": "+-~^:*?\\/[]{}<>",
    "star alone": "*",
    "operators alone": "AND OR NOT",
    "arabic": "مرحبا بالعالم",
}


@pytest.mark.parametrize("q", ODD.values(), ids=ODD.keys())
def test_odd_query_gives_a_well_formed_feed_that_names_it(client, q):
    parsed = read_feed(client, "/feed?" + urlencode({"q": q}))
    assert parsed.feed.title == f"Transcripts: “{q}”"


@pytest.mark.parametrize("field", ["speaker", "person", "geography", "topic", "source"])
def test_markup_in_a_filter_value_is_text_in_the_feed(client, field):
    value = "<b>Nobody</b> & Co ]]>"
    parsed = read_feed(client, "/feed?" + urlencode({field: value}))
    assert parsed.entries == []
    assert parsed.feed.title == f"Transcripts: everything, {field}: {value}"


CONTROL = {
    "control characters in the query": {"q": "coronavirus\x01\x1b[31m"},
    "nul in the query": {"q": "\x00coronavirus"},
    "nul as a speaker": {"speaker": "\x00"},
    "escape in a topic": {"topic": "Healthcare\x1b"},
}


@pytest.mark.parametrize("params", CONTROL.values(), ids=CONTROL.keys())
def test_control_characters_in_the_search_cannot_break_the_xml(client, params):
    """XML 1.0 has no control characters but tab and line breaks: the feed must drop or
    refuse them, never write them into its title (a reader rejects the whole feed)."""
    response = client.get("/feed?" + urlencode(params))
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        parsed = parse(response.data)
        assert not parsed.bozo, parsed.get("bozo_exception")


EVIL = "<script>alert(1)</script>"
EVIL_TEXT = f"The summit {EVIL} & AT&T &amp; <b>bold</b> ]]> <![CDATA[ x ]]> end"
EVIL_JSONL = {
    "id": "evil-1",
    "title": f"Summit {EVIL} & co",
    "date": "2020-05-01",
    "licence": "CC0 <b>1.0</b> & more",
    "attribution": "Evil & Sons <i>",
    "url": "javascript:alert(3)",
    "utterances": [
        {"label": "Jane Doe", "text": EVIL_TEXT},
        {"label": 'Moderator <img src=x onerror="alert(2)">', "text": "Welcome to the summit."},
    ],
}
EVIL_PLAIN_TEXT = "The summit <script>alert(2)</script> & R&D ]]> here."
EVIL_PLAIN = f"JANE DOE: {EVIL_PLAIN_TEXT}\nJOHN ROE: Another summit line.\n"


@pytest.fixture(scope="module")
def evil(tmp_path_factory) -> FlaskClient:
    folder = tmp_path_factory.mktemp("feed-evil")
    files = folder / "files"
    files.mkdir()
    (files / "evil.jsonl").write_text(json.dumps(EVIL_JSONL) + "\n", encoding="utf-8")
    (files / "interview.txt").write_text(EVIL_PLAIN, encoding="utf-8")
    root = folder / "index"
    report = reindex([files], root, full=True)
    assert report.transcripts_indexed == 2 and not report.skipped
    return make_app(root).test_client()


def first_paragraph(content: str) -> str:
    """The snippet as text: the entry's first paragraph, marks dropped, unescaped."""
    first = re.match(r"<p>(.*?)</p>", content, re.S).group(1)
    return html.unescape(first.replace("<mark>", "").replace("</mark>", ""))


def test_markup_in_a_transcript_reaches_the_reader_as_text(evil):
    response = fetch(evil, "/feed?q=summit")
    assert b"<script" not in response.data and b"<img" not in response.data
    assert b"<b>" not in response.data and b"<i>" not in response.data
    parsed = parse(response.data, sanitize=False)
    assert not parsed.bozo, parsed.get("bozo_exception")
    entries = {key(e): e for e in parsed.entries}
    assert set(entries) >= {("evil-1", 0), ("evil-1", 1), ("evil-1", 2), ("interview", 1)}
    jane = entries["evil-1", 1]
    assert jane.author == "Jane Doe"
    assert jane.title == f"Jane Doe — Summit {EVIL} & co"  # text, decoded once
    assert jane.rights == "Evil & Sons <i>, CC0 <b>1.0</b> & more"
    content = jane.content[0].value
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z]+)", content)) == {"p", "mark"}  # only ours
    assert first_paragraph(content) == EVIL_TEXT
    assert html.unescape(re.sub(r"<[^>]+>", "", content)).endswith(
        "Source: Evil & Sons <i>, CC0 <b>1.0</b> & more.")
    moderator = entries["evil-1", 2]
    assert moderator.author == 'Moderator <img src=x onerror="alert(2)">'
    page = entries["evil-1", 0]
    assert page.author == "Evil & Sons <i>"
    assert page.link == "http://localhost/t/evil-1#u0"  # the site's page, never the url
    plain = entries["interview", 1]
    assert plain.author == "JANE DOE"
    assert first_paragraph(plain.content[0].value) == EVIL_PLAIN_TEXT
    assert plain.rights == "text (no licence given)"


def test_a_sanitizing_reader_shows_transcript_markup_as_text(evil):
    parsed = read_feed(evil, "/feed?q=summit")
    jane = next(e for e in parsed.entries if key(e) == ("evil-1", 1))
    content = jane.content[0].value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content  # shown, not run or dropped
    assert "<script" not in content


def test_hostile_transcript_feeds_parse_for_every_kind_of_search(evil):
    for url in ("/feed", "/feed?speaker=Jane+Doe", "/feed?q=script", "/feed?q=alert",
                "/feed?source=JSON+Lines", "/feed?q=%22summit+script%22"):
        read_feed(evil, url)
    for _, href in feed_links(evil, "/?q=summit").alternates:
        read_feed(evil, href)


def test_control_characters_in_a_transcript_cannot_break_the_xml(tmp_path):
    """A JSON Lines transcript may carry any character JSON can escape; a plain text file
    any byte. The feed must still be well-formed XML."""
    files = tmp_path / "files"
    files.mkdir()
    record_ = {"id": "ctl-1", "title": "Control\x07 summit", "date": "2020-05-01",
               "utterances": [{"label": "Jane Doe", "text": "The summit \x01\x1b[31m went on."}]}
    (files / "ctl.jsonl").write_text(json.dumps(record_) + "\n", encoding="utf-8")
    (files / "ctl.txt").write_bytes(b"JANE DOE: Another summit \x02 here.\n")
    root = tmp_path / "index"
    reindex([files], root, full=True)
    client = make_app(root).test_client()
    parsed = parse(fetch(client, "/feed?q=summit").data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) >= 2
