"""Finding event pages: the Atom feed for what is new, the listing pages for history.

Only links to event pages (``/events/president/news/<digits>``) are taken, from the
entries of the feed or of a listing page, and always re-rooted on the base URL (the
site's own pages link to ``http://en.kremlin.ru`` whatever address it was reached by).
Nothing here makes a request or guesses an id: ids come only from the site's links.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

SECTION = "/events/president/news"
FEED = SECTION + "/feed"
EVENT_PATH = re.compile(r"^/events/president/news/(\d+)/?$")
SITE_HOSTS = {"en.kremlin.ru", "www.en.kremlin.ru"}
_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class Entry:
    page_id: str
    path: str  # /events/president/news/<id>
    date: str = ""  # YYYY-MM-DD the entry was published, when the page says
    updated: str = ""  # the feed's <updated>, to notice an edited page


@dataclass
class FeedPage:
    entries: list[Entry]
    next_url: str | None  # rel="next", re-rooted on the base URL


def listing_path(page: int) -> str:
    """Listing page N: page 1 is the section itself, as on the site."""
    return SECTION if page == 1 else f"{SECTION}/page/{page}"


def event_path(link: str, base_url: str) -> str | None:
    """The event page a link points to, as a path on the base URL; None for anything else."""
    parts = urlsplit(urljoin(base_url + "/", link.strip()))
    base_host = urlsplit(base_url).hostname
    if parts.hostname and parts.hostname not in SITE_HOSTS and parts.hostname != base_host:
        return None
    m = EVENT_PATH.match(parts.path)
    return f"{SECTION}/{m.group(1)}" if m else None


def parse_feed(data: bytes, base_url: str) -> FeedPage:
    """Entries (newest first) and the next page of an Atom feed; ValueError if not Atom."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"the feed is not well-formed XML ({exc})") from None
    if root.tag != _ATOM + "feed":
        raise ValueError("the feed is not an Atom feed")
    entries: list[Entry] = []
    seen: set[str] = set()
    for item in root.findall(_ATOM + "entry"):
        links = [
            link.get("href", "")
            for link in item.findall(_ATOM + "link")
            if link.get("rel", "alternate") == "alternate"
        ]
        links.append(item.findtext(_ATOM + "id") or "")
        for href in links:
            path = event_path(href, base_url)
            if path:
                break
        else:
            continue
        page_id = path.rsplit("/", 1)[1]
        if page_id in seen:
            continue
        seen.add(page_id)
        published = (item.findtext(_ATOM + "published") or "").strip()
        updated = (item.findtext(_ATOM + "updated") or "").strip()
        entries.append(Entry(page_id, path, (published or updated)[:10], updated))
    next_url = None
    for link in root.findall(_ATOM + "link"):
        if link.get("rel") == "next" and link.get("href"):
            parts = urlsplit(urljoin(base_url + "/", link.get("href", "")))
            if parts.path.startswith(FEED):
                next_url = base_url + parts.path + (f"?{parts.query}" if parts.query else "")
            break
    return FeedPage(entries, next_url)


def parse_listing(data: bytes, base_url: str) -> list[Entry]:
    """The entries of a listing page, in page order (newest first)."""
    parser = _ListingParser(base_url)
    parser.feed(data.decode("utf-8", errors="replace"))
    parser.close()
    return parser.entries


class _ListingParser(HTMLParser):
    """Entries are ``div.hentry`` blocks: a ``rel="bookmark"`` link and a ``<time>``."""

    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.entries: list[Entry] = []
        self._seen: set[str] = set()
        self._depth = 0  # > 0 inside an entry block
        self._path: str | None = None
        self._date = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._depth:
            if tag == "div":
                self._depth += 1
            elif tag == "a" and "bookmark" in a.get("rel", "").split() and self._path is None:
                self._path = event_path(a.get("href", ""), self.base_url)
            elif tag == "time" and not self._date:
                self._date = a.get("datetime", "")[:10]
        elif tag == "div" and "hentry" in a.get("class", "").split():
            self._depth, self._path, self._date = 1, None, ""

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "div":
            self._depth -= 1
            if self._depth == 0 and self._path:
                page_id = self._path.rsplit("/", 1)[1]
                if page_id not in self._seen:
                    self._seen.add(page_id)
                    self.entries.append(Entry(page_id, self._path, self._date))
