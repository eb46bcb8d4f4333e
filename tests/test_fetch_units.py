"""The fetcher's small parts on their own: throttle, Retry-After, robots, parsing, errors."""

from __future__ import annotations

import itertools
import socket
import ssl

import pytest
import requests
from fetch_fixtures import FakeClock

from transcripts.index.fetch.client import HttpClient, Response, _explain, default_user_agent
from transcripts.index.fetch.client import retry_after_seconds as ra
from transcripts.index.fetch.discovery import event_path, listing_path, parse_feed, parse_listing
from transcripts.index.fetch.robots import RobotsRules
from transcripts.index.fetch.run import html_problem
from transcripts.index.fetch.throttle import Throttle

BASE = "http://127.0.0.1:8999"


def test_throttle_keeps_the_delay_with_jitter_between_requests():
    fake = FakeClock()
    t = Throttle(fake.clock(), min_delay=2.0, jitter=0.25)
    starts = []
    for _ in range(50):
        t.wait()
        starts.append(fake.t)
        t.record(True, 0.1)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 2.0 and max(gaps) <= 2.5 and len(set(gaps)) > 10


def test_throttle_slows_after_errors_and_recovers_only_gradually():
    fake = FakeClock()
    t = Throttle(fake.clock(), min_delay=2.0, max_delay=60.0)
    t.record(False, 0.1)
    t.record(False, 0.1)
    assert t.delay == 8.0
    t.record(True, 0.1)
    assert t.delay == 5.0  # halfway back, not straight to the minimum
    for _ in range(20):
        t.record(True, 0.1)
    assert t.delay == pytest.approx(2.0, abs=0.01) and t.delay >= 2.0
    for _ in range(10):
        t.record(False, 0.1)
    assert t.delay == 60.0


def test_a_slow_answer_stretches_the_delay_and_crawl_delay_raises_the_floor():
    fake = FakeClock()
    t = Throttle(fake.clock(), min_delay=2.0)
    t.record(True, 7.0)
    assert t.delay == 7.0
    t.raise_floor(10)
    assert t.delay == 10 and t.min_delay == 10


def test_a_pause_is_a_hard_not_before():
    fake = FakeClock()
    t = Throttle(fake.clock(), min_delay=0.0)
    t.record(True, 0.0)
    t.pause(30)
    assert t.wait() == 30 and t.waited == 30


def test_retry_after_as_seconds_or_http_date():
    assert ra("120", 0) == 120
    assert ra("Thu, 01 Jan 1970 00:02:00 GMT", 60.0) == 60.0
    assert ra("soon", 0) is None and ra(None, 0) is None and ra("", 0) is None


def test_robots_uses_longest_match_and_wildcards():
    rules = RobotsRules.from_text(
        "User-agent: *\nDisallow: /events/\nAllow: /events/president/news/\n"
        "Disallow: /*/copy$\nCrawl-delay: 3\n"
    )
    assert rules.allowed(BASE + "/events/president/news/63911")
    assert not rules.allowed(BASE + "/events/state-council/1")
    assert not rules.allowed(BASE + "/acts/copy")
    assert rules.crawl_delay() == 3.0
    assert RobotsRules.allow_all().allowed(BASE + "/search")


def test_event_links_are_re_rooted_and_nothing_else_is_taken():
    assert event_path("http://en.kremlin.ru/events/president/news/63911", BASE) == (
        "/events/president/news/63911")
    assert event_path("/events/president/news/63911/", BASE) == "/events/president/news/63911"
    for link in ("http://example.org/events/president/news/1", "/events/president/news/page/3",
                 "/events/president/news/63911/photos", "/events/president/news/copy/63911"):
        assert event_path(link, BASE) is None
    assert listing_path(1) == "/events/president/news"
    assert listing_path(7) == "/events/president/news/page/7"


def test_feed_entries_and_next_page():
    feed = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
    <link href="http://en.kremlin.ru/events/president/news/feed/page/2" rel="next"/>
    <entry><id>http://en.kremlin.ru/events/president/news/2</id>
      <updated>2020-08-27T20:09:44+04:00</updated><published>2020-08-27T15:20:00+04:00</published>
      <link href="http://en.kremlin.ru/events/president/news/2" rel="alternate"/></entry>
    <entry><id>http://example.org/x</id></entry>
    <entry><id>http://en.kremlin.ru/events/president/news/1</id></entry></feed>"""
    page = parse_feed(feed, BASE)
    assert [(e.page_id, e.date) for e in page.entries] == [("2", "2020-08-27"), ("1", "")]
    assert page.entries[0].updated == "2020-08-27T20:09:44+04:00"
    assert page.next_url == BASE + "/events/president/news/feed/page/2"
    with pytest.raises(ValueError, match="not well-formed"):
        parse_feed(b"<html>", BASE)


def test_listing_entries_in_page_order():
    html = b"""<div class="hentry h-entry" data-id="5"><h3><a href="/events/president/news/5"
      rel="bookmark">T</a><time datetime="2020-08-19">x</time></h3><div>more</div></div>
      <a href="/events/president/news/9">not an entry</a>
      <div class="hentry"><a rel="bookmark" href="/events/president/news/4">U</a></div>"""
    assert [(e.page_id, e.date) for e in parse_listing(html, BASE)] == [
        ("5", "2020-08-19"), ("4", "")]


def _resp(body: bytes, ctype: str = "text/html") -> Response:
    return Response(BASE, 200, {"content-type": ctype}, body, 0.0)


def test_only_whole_html_pages_are_stored():
    assert html_problem(_resp(b"<!doctype html><html><body>x</body></html>")) is None
    assert "truncated" in html_problem(_resp(b"<!doctype html><html><body>x"))
    assert "Content-Type: application/json" in html_problem(_resp(b"{}", "application/json"))
    assert "no <html>" in html_problem(_resp(b"plain words"))


def test_network_failures_read_as_one_line():
    client = HttpClient(FakeClock().clock(), BASE)
    url = "http://en.kremlin.ru/robots.txt"
    dns = requests.exceptions.ConnectionError(socket.gaierror(-2, "Name or service not known"))
    tls = requests.exceptions.SSLError(ssl.SSLError(1, "CERTIFICATE_VERIFY_FAILED"))
    timeout = requests.exceptions.ConnectTimeout("timed out")
    refused = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused"))
    reset = requests.exceptions.ConnectionError(ConnectionResetError(104, "reset"))
    msgs = {e.kind: str(e) for e in (_explain(x, url, client)
                                      for x in (dns, tls, timeout, refused, reset))}
    assert msgs["dns"].startswith("cannot resolve en.kremlin.ru")
    assert msgs["tls"].startswith("TLS handshake with en.kremlin.ru failed")
    assert msgs["connect-timeout"] == "no connection to en.kremlin.ru within 10 s"
    assert msgs["refused"].startswith("en.kremlin.ru refused the connection")
    assert msgs["reset"] == "en.kremlin.ru closed or reset the connection"
    assert all("\n" not in m for m in msgs.values())


def test_the_user_agent_names_project_version_and_home_page():
    ua = default_user_agent()
    assert ua.startswith("transcripts/") and "(+http" in ua
