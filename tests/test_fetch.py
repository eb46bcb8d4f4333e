"""``transcripts fetch`` against a real loopback replay of en.kremlin.ru, with faults.

Every request goes over a real socket to ``bench.replay_site``; only the clock is fake
(the fetcher's sleeps advance it), so the 2-second politeness gaps, backoffs and
Retry-After pauses are real waits in the fetcher's terms yet cost the tests nothing.
The server logs each request at the fake time it arrived.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import threading
from collections import Counter

import pytest
from fetch_fixtures import (  # noqa: F401  # no_proxy is an autouse fixture
    NEWS,
    FakeClock,
    event_requests,
    is_event_page,
    need_site,
    no_proxy,
    options,
    stored,
)

from bench.replay_site import ReplaySite
from transcripts.index.fetch import run_fetch
from transcripts.index.fetch.discovery import parse_listing
from transcripts.index.fetch.state import LOCK_FILE, STATE_FILE

DELAY = 2.0


@pytest.fixture
def fake():
    return FakeClock()


@pytest.fixture
def site(fake):
    with ReplaySite(need_site(), clock=fake.monotonic) as s:
        yield s


def gaps(site) -> list[float]:
    times = [e.at for e in site.log]
    return [b - a for a, b in itertools.pairwise(times)]


# -- the whole replay, once ----------------------------------------------------------------
@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """One --all run over the whole replay (gzip and ETags on), then a plain second run."""
    fake = FakeClock()
    corpus = tmp_path_factory.mktemp("fetched")
    with ReplaySite(need_site(), clock=fake.monotonic) as site:
        site.faults.gzip = site.faults.etags = True
        report = run_fetch(options(corpus, site.url, all_pages=True), fake.clock())
        first_log = list(site.log)
        second = run_fetch(options(corpus, site.url), fake.clock())
        second_log = site.log[len(first_log):]
        third = run_fetch(options(corpus, site.url, all_pages=True), fake.clock())
        third_log = site.log[len(first_log) + len(second_log):]
        pages = site.event_pages()
    return dict(corpus=corpus, report=report, log=first_log, second=second,
                second_log=second_log, third=third, third_log=third_log, pages=pages)


def test_every_served_page_is_stored_byte_identical(full):
    assert len(full["pages"]) == 686
    assert stored(full["corpus"]) == full["pages"]  # gzip undone: the bytes as served
    r = full["report"]
    assert len(r.new) == 686 and not r.failed and not r.updated and r.stopped is None


def test_no_page_is_requested_twice_in_one_run(full):
    counts = Counter(e.path for e in full["log"])
    assert max(counts.values()) == 1
    assert full["report"].requests == len(full["log"])


def test_no_two_requests_closer_than_the_delay(full):
    times = [e.at for e in full["log"]]
    assert all(b - a >= DELAY for a, b in itertools.pairwise(times))
    assert full["report"].waited >= DELAY * (len(times) - 1)


def test_requests_name_the_project_and_accept_gzip(full):
    for e in full["log"]:
        assert e.headers["User-Agent"].startswith("transcripts/")
        assert "gzip" in e.headers["Accept-Encoding"]


def test_only_robots_feed_listings_and_event_pages_are_asked_for(full):
    """No id ranges probed, nothing robots.txt disallows, no links off the section."""
    listed = {f"{NEWS}/{i}" for i in full["pages"]}
    for e in full["log"]:
        p = e.path
        assert (p == "/robots.txt" or p.startswith(NEWS + "/feed") or p == NEWS
                or p.startswith(NEWS + "/page/") or p in listed), p
        assert "/copy" not in p and not p.startswith("/search")


def test_missing_listing_pages_are_noted_and_passed(full):
    notes = " | ".join(full["report"].notes)
    assert "listing page 1 is missing (HTTP 404)" in notes
    assert "listing page 45 holds no entries" in notes


def test_a_second_run_fetches_nothing_new(full):
    second = full["second"]
    assert not second.new and not second.updated and not second.failed
    assert [e.path for e in full["second_log"]] == ["/robots.txt", NEWS + "/feed"]


def test_all_again_stops_at_what_it_holds(full):
    third = full["third"]
    assert not third.new and third.requests <= 5
    assert not [e.path for e in full["third_log"] if is_event_page(e.path)]


def test_state_database_is_plain_and_complete(full):
    db = sqlite3.connect(full["corpus"] / STATE_FILE)
    rows = db.execute("SELECT status, count(*) FROM pages GROUP BY status").fetchall()
    assert rows == [("fetched", 686)]
    etag, sha, fetched = db.execute(
        "SELECT etag, sha256, fetched_at FROM pages WHERE page_id = '63911'").fetchone()
    assert etag.startswith('"') and len(sha) == 64 and fetched.endswith("Z")
    assert not list(full["corpus"].glob(".*.tmp"))
    assert (full["corpus"] / LOCK_FILE).exists()


def test_searching_the_fetched_corpus_equals_indexing_the_replay(site, fake, tmp_path):
    """Fetch part of the history (eight listing pages, to keep two builds quick), then
    index it and the same pages copied straight from the replay: every search agrees."""
    from transcripts.index.writer import reindex
    from transcripts.search.engine import TranscriptIndex, search
    from transcripts.search.results import SearchRequest

    fetched, direct = tmp_path / "fetched", tmp_path / "direct"
    report = run_fetch(options(fetched, site.url, pages=8), fake.clock())
    assert len(report.new) > 100 and not report.failed
    direct.mkdir()
    pages = site.event_pages()
    for page_id in report.new:
        (direct / f"{page_id}.html").write_bytes(pages[page_id])
    a, b = tmp_path / "ix-fetched", tmp_path / "ix-direct"
    ra = reindex([fetched], a, full=True, procs=1)
    rb = reindex([direct], b, full=True, procs=1)
    assert ra.transcripts_total == rb.transcripts_total == len(report.new) and not ra.skipped
    ia, ib = TranscriptIndex(a), TranscriptIndex(b)
    requests = [
        SearchRequest(q="Russia"),
        SearchRequest(q='"Vladimir Putin"', sort="newest"),
        SearchRequest(q="speaker:putin", page=2),
        SearchRequest(q="", geography=["Belarus"]),
        SearchRequest(q="constitution OR amendments", sort="oldest"),
    ]
    for req in requests:
        x, y = search(ia, req).to_dict(), search(ib, req).to_dict()
        x.pop("took_ms"), y.pop("took_ms")
        assert x == y
        assert x["total"] > 0


# -- faults ------------------------------------------------------------------------------
def first_listing_ids(site, page: int = 2) -> list[str]:
    data = (site.root / "events/president/news/page" / str(page)).read_bytes()
    return [e.page_id for e in parse_listing(data, site.url)]


def test_retry_after_is_honoured_over_the_socket(site, fake, tmp_path):
    target = f"{NEWS}/{first_listing_ids(site)[3]}"
    site.faults.retry_after[target] = (2, 30)
    report = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    hits = [i for i, e in enumerate(site.log) if e.path == target]
    assert [site.log[i].status for i in hits] == [429, 429, 200]
    for i in hits[1:]:
        assert site.log[i].at - site.log[i - 1].at >= 30  # nothing sent in between
    assert target.rsplit("/", 1)[1] in report.new and not report.failed


def test_a_retry_after_beyond_the_cap_ends_the_run_keeping_state(site, fake, tmp_path):
    target = f"{NEWS}/{first_listing_ids(site)[2]}"
    site.faults.retry_after[target] = (1, 3600)
    report = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    assert "asked to wait 3600 s" in report.stopped and "try again after" in report.stopped
    assert len(report.new) == 2 + 17 and report.pending > 0  # the feed, then 2 of page 2
    again = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    assert again.stopped is None and target.rsplit("/", 1)[1] in again.new


def test_a_burst_of_503_backs_off_exponentially_then_succeeds(site, fake, tmp_path):
    target = f"{NEWS}/{first_listing_ids(site)[0]}"
    site.faults.unavailable[target] = 3
    report = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    hits = [i for i, e in enumerate(site.log) if e.path == target]
    assert [site.log[i].status for i in hits] == [503, 503, 503, 200]
    waits = [site.log[i].at - site.log[i - 1].at for i in hits[1:]]
    assert waits[0] >= 2 * DELAY and waits[1] > waits[0] and waits[2] > waits[1]
    after = site.log[hits[-1] + 1].at - site.log[hits[-1]].at
    assert after >= 2 * DELAY  # never faster right after errors
    assert not report.failed


def test_a_page_failing_every_try_waits_for_a_later_run(site, fake, tmp_path):
    target = f"{NEWS}/{first_listing_ids(site)[0]}"
    site.faults.unavailable[target] = 4
    report = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    assert [f.reason for f in report.failed] == ["HTTP 503 (4 tries)"]
    assert report.pending == 1 and not (tmp_path / f"{target.rsplit('/', 1)[1]}.html").exists()
    db = sqlite3.connect(tmp_path / STATE_FILE)
    status, attempts, retry = db.execute(
        "SELECT status, attempts, next_retry FROM pages WHERE url LIKE ?", ("%" + target,)
    ).fetchone()
    assert (status, attempts) == ("failed", 1) and retry
    before = len(site.log)
    soon = run_fetch(options(tmp_path, site.url), fake.clock())  # its wait is not over
    assert target not in [e.path for e in site.log[before:]] and not soon.new
    fake.t += 3600
    later = run_fetch(options(tmp_path, site.url), fake.clock())
    assert later.new == [target.rsplit("/", 1)[1]]


def test_a_reset_connection_is_retried(site, fake, tmp_path):
    target = f"{NEWS}/{first_listing_ids(site)[1]}"
    site.faults.reset[target] = 2
    report = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    assert not report.failed and target.rsplit("/", 1)[1] in report.new
    assert [e.status for e in site.log if e.path == target] == [0, 0, 200]


def test_a_response_slower_than_the_read_timeout_is_retried_then_left(site, fake, tmp_path):
    ids = first_listing_ids(site)
    # A read timeout well above a loaded machine's loopback answer; the slow ones far over it.
    site.faults.slow[f"{NEWS}/{ids[0]}"] = (1, 4.0)
    site.faults.slow[f"{NEWS}/{ids[1]}"] = (2, 4.0)
    report = run_fetch(options(tmp_path, site.url, pages=2, read_timeout=1.5, tries=2),
                       fake.clock())
    assert ids[0] in report.new
    assert [(f.url.rsplit("/", 1)[1], f.reason) for f in report.failed] == [
        (ids[1], "127.0.0.1 sent nothing for 1.5 s (2 tries)")
    ]


def test_a_truncated_body_is_never_stored(site, fake, tmp_path):
    ids = first_listing_ids(site)
    site.faults.truncate[f"{NEWS}/{ids[0]}"] = 1
    site.faults.truncate[f"{NEWS}/{ids[1]}"] = 9
    report = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    assert (tmp_path / f"{ids[0]}.html").read_bytes() == site.event_pages()[ids[0]]
    assert not (tmp_path / f"{ids[1]}.html").exists()
    assert [f.url.rsplit("/", 1)[1] for f in report.failed] == [ids[1]]
    assert "truncated" in report.failed[0].reason


def test_a_non_html_answer_is_never_stored(site, fake, tmp_path):
    page_id = first_listing_ids(site)[0]
    site.faults.content_type[f"{NEWS}/{page_id}"] = "application/pdf"
    report = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    assert report.failed[0].reason == "not an HTML page (Content-Type: application/pdf)"
    assert not (tmp_path / f"{page_id}.html").exists()


def test_robots_txt_disallow_and_crawl_delay_are_obeyed(site, fake, tmp_path):
    site.faults.override["/robots.txt"] = (
        b"User-agent: *\nDisallow: /events/president/news/639\nCrawl-delay: 5\n"
    )
    report = run_fetch(options(tmp_path, site.url, pages=3), fake.clock())
    assert not [p for p in site.paths() if p.startswith(NEWS + "/639")]
    assert report.disallowed and all(i.startswith("639") for i in report.disallowed)
    assert report.new and not any(i.startswith("639") for i in report.new)
    assert min(gaps(site)) >= 5


def test_feed_edit_gives_a_conditional_request_then_an_update(site, fake, tmp_path):
    site.faults.etags = True
    feed_path = NEWS + "/feed"
    run_fetch(options(tmp_path, site.url), fake.clock())  # first run: the feed's 17 pages
    feed = (site.root / feed_path.lstrip("/")).read_bytes()
    page_id = "63953"
    old = b"<id>http://en.kremlin.ru/events/president/news/63953</id><updated>2020-08-27T20:09:44"
    assert old in feed
    site.faults.override[feed_path] = feed.replace(old, old.replace(b"20:09:44", b"21:00:00"))
    start = len(site.log)
    r2 = run_fetch(options(tmp_path, site.url), fake.clock())
    hit = [e for e in site.log[start:] if e.path == f"{NEWS}/{page_id}"]
    assert [e.status for e in hit] == [304] and hit[0].headers["If-None-Match"]
    assert r2.unchanged == [page_id] and not r2.new
    edited = site.event_pages()[page_id].replace(b"Taurida", b"Tavrida")
    site.faults.override[f"{NEWS}/{page_id}"] = edited
    site.faults.override[feed_path] = feed.replace(old, old.replace(b"20:09:44", b"22:00:00"))
    r3 = run_fetch(options(tmp_path, site.url), fake.clock())
    assert r3.updated == [page_id] and (tmp_path / f"{page_id}.html").read_bytes() == edited


@pytest.mark.parametrize("status", [403, 418])
@pytest.mark.parametrize("after", [0, 1])  # robots.txt alone served is not a success
def test_a_refusal_before_any_page_says_the_network_is_refused(site, fake, tmp_path, status,
                                                               after):
    site.faults.forbid_after, site.faults.forbid_status = after, status
    report = run_fetch(options(tmp_path, site.url), fake.clock())
    assert report.refused and len(site.log) == after + 1
    assert f"refused this network (HTTP {status}" in report.stopped
    assert "HTTP_PROXY" in report.stopped and "known to block some networks" in report.stopped


def test_403_after_successes_stops_keeps_state_and_resumes(site, fake, tmp_path):
    site.faults.forbid_after = 12
    report = run_fetch(options(tmp_path, site.url, pages=3), fake.clock())
    assert report.refused and "try again after" in report.stopped
    assert len(site.log) == 13 and len(report.new) == 10
    held = stored(tmp_path)
    pages = site.event_pages()
    assert all(pages[i] == data for i, data in held.items())
    site.faults.forbid_after = None
    again = run_fetch(options(tmp_path, site.url, pages=3), fake.clock())
    assert again.stopped is None and not set(again.new) & set(held)
    assert "the site refused an earlier run" in " ".join(again.notes)
    listed = {i for p in (2, 3) for i in first_listing_ids(site, p)}
    assert set(stored(tmp_path)) >= listed


def test_the_same_listing_page_twice_is_an_error_not_a_loop(site, fake, tmp_path):
    page3 = (site.root / "events/president/news/page/3").read_bytes()
    site.faults.override[NEWS + "/page/4"] = page3
    report = run_fetch(options(tmp_path, site.url, all_pages=True), fake.clock())
    assert "listing pages 3 and 4 list the same entries" in report.stopped
    assert not [p for p in site.paths(NEWS + "/page/") if p.endswith(("/5", "/6"))]


def test_one_missing_listing_page_is_skipped_two_end_the_walk(site, fake, tmp_path):
    site.faults.missing = {NEWS + "/page/5"}
    report = run_fetch(options(tmp_path, site.url, pages=7), fake.clock())
    assert "listing page 5 is missing (HTTP 404); skipped" in report.notes
    assert NEWS + "/page/7" in site.paths()
    site.faults.missing = {NEWS + "/page/9", NEWS + "/page/10"}
    run_fetch(options(tmp_path, site.url, all_pages=True), fake.clock())
    assert NEWS + "/page/11" not in site.paths()


def test_a_gap_since_the_last_run_is_closed_through_feed_and_listings(site, fake, tmp_path):
    """The feed's later page is missing, so the run goes on in the listing pages until it
    reaches what it holds, and stops there."""
    site.faults.missing = {NEWS + "/feed"}
    run_fetch(options(tmp_path, site.url, pages=4), fake.clock())
    site.faults.missing = set()
    start = len(site.log)
    report = run_fetch(options(tmp_path, site.url), fake.clock())
    assert len(report.new) == 17  # the feed's entries: newer than listing page 2
    assert "feed page 2" in " ".join(report.notes)
    asked = [p for p in site.paths()[start:] if not is_event_page(p)]
    assert asked == ["/robots.txt", NEWS + "/feed", NEWS + "/feed/page/2", NEWS, NEWS + "/page/2"]


def test_since_takes_the_pages_back_to_that_date(site, fake, tmp_path):
    import datetime as dt

    report = run_fetch(options(tmp_path, site.url, since=dt.date(2020, 8, 1)), fake.clock())
    db = sqlite3.connect(tmp_path / STATE_FILE)
    dates = [d for (d,) in db.execute("SELECT listed_date FROM pages")]
    assert dates and min(dates) >= "2020-08-01"
    assert len(report.new) == len(dates) and NEWS + "/page/6" not in site.paths()


def test_the_request_budget_ends_a_run_and_the_next_run_goes_on(site, fake, tmp_path):
    runs = 0
    while True:
        runs += 1
        report = run_fetch(options(tmp_path, site.url, all_pages=True, max_requests=120),
                           fake.clock())
        assert report.requests <= 120
        if not report.budget_reached:
            break
        assert "budget (120) is spent" in report.stopped and report.ok
        assert runs < 12
    assert runs >= 6
    assert stored(tmp_path) == site.event_pages()
    counts = Counter(event_requests(site))
    assert max(counts.values()) == 1  # held pages are never asked for again


def test_a_page_file_removed_by_hand_is_fetched_again(site, fake, tmp_path):
    run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    page_id = first_listing_ids(site)[4]
    (tmp_path / f"{page_id}.html").unlink()
    report = run_fetch(options(tmp_path, site.url), fake.clock())
    assert report.new == [page_id] and "1 pages held before are missing" in report.notes[0]
    assert (tmp_path / f"{page_id}.html").read_bytes() == site.event_pages()[page_id]


def test_an_interrupted_write_leaves_no_half_file_and_is_adopted(site, fake, tmp_path):
    """A page renamed into place whose state row was not yet committed is kept as is."""
    run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    page_id = first_listing_ids(site)[0]
    db = sqlite3.connect(tmp_path / STATE_FILE)
    with db:
        db.execute("UPDATE pages SET status = 'pending', sha256 = NULL WHERE page_id = ?",
                   (page_id,))
    (tmp_path / ".12345.html.999.tmp").write_bytes(b"<html>half")
    start = len(site.log)
    report = run_fetch(options(tmp_path, site.url, pages=2), fake.clock())
    assert report.new == [page_id] and f"{NEWS}/{page_id}" not in site.paths()[start:]
    assert not list(tmp_path.glob(".*.tmp"))
    shutil.rmtree(tmp_path)


def test_a_stop_request_ends_the_run_before_the_next_request(site, fake, tmp_path):
    """What Ctrl-C does, without a signal: the event set mid-run is seen before the next
    request, the report says interrupted, and a later run goes on from there."""
    stop = threading.Event()
    handled: list[int] = []

    def progress(p) -> None:
        handled.append(p.done)
        if p.done == 25:
            stop.set()

    report = run_fetch(options(tmp_path, site.url, all_pages=True), fake.clock(),
                       progress=progress, stop=stop)
    assert report.interrupted and "interrupted" in report.stopped
    assert len(stored(tmp_path)) == 25
    assert len(event_requests(site)) == 25  # nothing asked for after the stop
    again = run_fetch(options(tmp_path, site.url, all_pages=True), fake.clock())
    assert not again.interrupted and stored(tmp_path) == site.event_pages()
