"""``transcripts fetch``: discover event pages, fetch what is new, keep the state.

The order of a run: take the lock; read robots.txt; fetch what earlier runs left
pending (or failed, once its wait is over); read the feed, newest first, following its
``rel="next"`` pages until an entry already held; then the listing pages the mode asks
for (``--since``, ``--pages``, ``--all``). Pages are fetched as their listing is read, so
the request budget is spent newest first and a run stopped anywhere keeps everything it
got. Each request goes through the throttle, robots.txt and the budget; 429/503 and
dropped connections are retried a few times (Retry-After honoured, capped; else
exponential backoff with jitter), then left for a later run.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transcripts.index.fetch import discovery
from transcripts.index.fetch.client import HttpClient, NetworkError, Response, retry_after_seconds
from transcripts.index.fetch.clock import Clock, iso
from transcripts.index.fetch.robots import RobotsRules
from transcripts.index.fetch.state import (
    CHANGED_AT,
    FAILED,
    FETCHED,
    GONE,
    PageRow,
    StateStore,
    corpus_lock,
    digest,
    page_file,
    remove_stale_temp_files,
    sync_folder,
    write_atomically,
)
from transcripts.index.fetch.throttle import Throttle
from transcripts.index.location import instance_dir

DEFAULT_BASE_URL = "http://en.kremlin.ru"
DEFAULT_CORPUS = instance_dir() / "kremlin"
FATAL_KINDS = {"dns", "tls", "refused", "proxy", "connect-timeout"}  # every request would fail
FAILURES_IN_A_ROW = 5  # pages given up in a row: the site is not well, stop for today
REFUSED_WAIT = 6 * 3600.0  # after a 403 mid-run: what to suggest before trying again
RETRY_LATER_BASE = 15 * 60.0  # a failed page waits 15 min, 30 min, 1 h ... up to a day
RETRY_LATER_MAX = 24 * 3600.0


@dataclass
class FetchOptions:
    corpus: Path = DEFAULT_CORPUS
    base_url: str = DEFAULT_BASE_URL
    since: dt.date | None = None  # history back to this date
    pages: int | None = None  # history: this many listing pages
    all_pages: bool = False  # history: every listing page
    delay: float = 2.0  # minimum seconds between requests (Crawl-delay may raise it)
    max_delay: float = 60.0
    jitter: float = 0.25  # up to this fraction of the delay added at random
    max_requests: int = 300  # the per-run budget, every request counted
    connect_timeout: float = 10.0
    read_timeout: float = 45.0
    tries: int = 4  # per URL per run, the first included
    max_retry_after: float = 300.0  # a longer Retry-After ends the run instead
    user_agent: str | None = None

    @property
    def mode(self) -> str:
        if self.all_pages:
            return "all"
        if self.since is not None:
            return "since"
        if self.pages is not None:
            return "pages"
        return "new"


@dataclass
class Failure:
    url: str
    reason: str


@dataclass
class FetchReport:
    new: list[str] = field(default_factory=list)  # page ids stored for the first time
    updated: list[str] = field(default_factory=list)  # stored again, content changed
    unchanged: list[str] = field(default_factory=list)  # asked again, same content (or 304)
    gone: list[str] = field(default_factory=list)  # 404/410
    failed: list[Failure] = field(default_factory=list)  # left for a later run
    disallowed: list[str] = field(default_factory=list)  # robots.txt forbids them
    discovered: int = 0  # event pages first seen in this run
    listing_pages: int = 0  # feed and listing pages read
    requests: int = 0
    waited: float = 0.0  # seconds slept between requests
    seconds: float = 0.0
    pending: int = 0  # known pages still to fetch (a later run)
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run ended early, if it did
    refused: bool = False  # the site answered 403/418
    budget_reached: bool = False
    interrupted: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)

    @property
    def ok(self) -> bool:
        return self.stopped is None or self.budget_reached


@dataclass
class FetchProgress:
    discovered: int
    done: int  # pages handled in this run
    pending: int  # still to fetch in this run, as far as known
    delay: float
    eta: float  # seconds, from the pending pages and the current delay


ProgressCallback = Callable[[FetchProgress], None]


class _Stop(Exception):
    """The run ends here; the state is kept. The message is for the user."""


class _Budget(Exception):
    pass


class _Interrupted(Exception):
    """The stop event was set (Ctrl-C, SIGTERM): end before the next request."""


class _GiveUp(Exception):
    def __init__(self, reason: str, status: int | None) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


class _Disallowed(Exception):
    pass


def run_fetch(
    options: FetchOptions,
    clock: Clock | None = None,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> FetchReport:
    """One fetch run into ``options.corpus``. Raises FetchLocked if another run holds it;
    everything else that can go wrong ends the run and is told in the report.

    ``stop`` is how Ctrl-C reaches a run: the CLI's signal handler only sets it, and the
    run looks at it before every request (the wait between requests wakes on it). An
    exception raised by a handler at an arbitrary bytecode could land in a finalizer or
    a library's cleanup, where Python swallows it, and the run went on to the end."""
    clock = clock or Clock()
    folder = Path(options.corpus)
    with corpus_lock(folder):
        run = _Run(options, clock, folder, progress, stop or threading.Event())
        try:
            run.main()
        finally:
            run.close()
        return run.report


class _Run:
    def __init__(
        self,
        opts: FetchOptions,
        clock: Clock,
        folder: Path,
        progress: ProgressCallback | None,
        stop: threading.Event,
    ) -> None:
        self.opts = opts
        self.stop = stop
        self.base = opts.base_url.rstrip("/")
        self.clock = clock
        self.folder = folder
        self.progress = progress
        self.report = FetchReport()
        self.started = clock.monotonic()
        remove_stale_temp_files(folder)
        self.store = StateStore(folder)
        agent: dict[str, Any] = {"user_agent": opts.user_agent} if opts.user_agent else {}
        self.client = HttpClient(
            clock,
            self.base,
            **agent,
            connect_timeout=opts.connect_timeout,
            read_timeout=opts.read_timeout,
        )
        self.throttle = Throttle(clock, opts.delay, max(opts.max_delay, opts.delay), opts.jitter)
        self.rules = RobotsRules.allow_all()
        self.successes = 0  # answers in this run that were not refusals or errors
        self.failures_in_a_row = 0
        self.queue: list[PageRow] = []  # known pages to fetch, for the progress and ETA
        self.held_before = bool(self.store.held_pages())
        self.feed_updated: dict[str, str] = {}  # url -> the feed's <updated>, this run

    def close(self) -> None:
        self.report.requests = self.client.requests_made
        self.report.waited = self.throttle.waited
        self.report.seconds = self.clock.monotonic() - self.started
        self.report.pending = self.store.outstanding()
        if self.report.changed:
            self.store.set_cursor(CHANGED_AT, f"{self.clock.wall():.6f}", self.clock.wall())
        self.client.close()
        self.store.close()
        sync_folder(self.folder)

    # -- the run ------------------------------------------------------------------------
    def main(self) -> None:
        try:
            refused_until = self.store.cursor("refused:retry-after")
            if refused_until and refused_until > iso(self.clock.wall()):
                self.report.notes.append(
                    f"the site refused an earlier run; it was suggested to wait until "
                    f"{refused_until}"
                )
            self.requeue_missing_files()
            self.load_robots()
            self.fetch_queue(self.store.due(self.clock.wall()))
            reached_held = self.read_feed()
            self.read_listings(reached_held)
            self.fetch_queue(self.store.due(self.clock.wall()))
        except _Budget:
            self.report.budget_reached = True
            self.report.stopped = (
                f"the request budget ({self.opts.max_requests}) is spent; "
                "run again to continue (--max-requests raises it)"
            )
        except _Stop as stop:
            self.report.stopped = str(stop)
        except (_Interrupted, KeyboardInterrupt):
            self.report.interrupted = True
            self.report.stopped = "interrupted; everything fetched so far is kept"

    def requeue_missing_files(self) -> None:
        """Pages the state holds whose file is gone from the folder are fetched again."""
        lost = [
            url
            for url, page_id in self.store.held_pages()
            if not page_file(self.folder, page_id).exists()
        ]
        for url in lost:
            self.store.requeue(url, forget_file=True)
        if lost:
            self.report.notes.append(
                f"{len(lost)} pages held before are missing from {self.folder}: fetched again"
            )

    def load_robots(self) -> None:
        url = self.base + "/robots.txt"
        try:
            resp = self.request(url, check_robots=False)
        except _GiveUp as g:
            raise _Stop(
                f"robots.txt could not be read ({g.reason}); not crawling without it"
            ) from None
        if resp.status == 200:
            self.rules = RobotsRules.from_text(resp.body.decode("utf-8", errors="replace"))
            delay = self.rules.crawl_delay()
            if delay > self.throttle.min_delay:
                self.throttle.raise_floor(delay)
                self.report.notes.append(f"robots.txt asks for {delay:g} s between requests")
        elif 400 <= resp.status < 500:
            self.rules = RobotsRules.allow_all()  # RFC 9309: no robots.txt, no rules
        else:
            raise _Stop(f"robots.txt answered HTTP {resp.status}; not crawling without it")

    # -- discovery ----------------------------------------------------------------------
    def read_feed(self) -> bool:
        """New pages from the feed; True when it reached an entry already held.

        Later feed pages are followed only to close a gap since an earlier run: on a first
        run, or with --since/--pages/--all, the listing pages give the history (a feed of
        a thousand pages is no way to walk back to a date)."""
        url: str | None = self.base + discovery.FEED
        seen: set[str] = set()
        while url and url not in seen:
            seen.add(url)
            what = "the feed" if len(seen) == 1 else f"feed page {len(seen)} ({url})"
            try:
                resp = self.listing_request(url, what)
            except _GiveUp as g:
                self.report.notes.append(f"the feed failed ({g.reason}); skipped")
                return False
            if resp is None:
                return False
            try:
                page = discovery.parse_feed(resp.body, self.base)
            except ValueError as exc:
                self.report.notes.append(f"{url}: {exc}; skipped")
                return False
            if self.take_entries(page.entries, stop_at_held=True):
                return True
            if self.opts.mode != "new" or not self.held_before:
                return False  # history comes from the listing pages, a first run stops here
            url = page.next_url  # catching up a gap since the last run
        return False

    def read_listings(self, feed_reached_held: bool) -> None:
        mode = self.opts.mode
        if mode == "new":
            if feed_reached_held or not self.held_before:
                if not self.held_before:
                    self.report.notes.append(
                        "first run: only the newest pages (the feed); add --since DATE, "
                        "--pages N or --all for older ones"
                    )
                return
            stop_at_held, first, last = True, 1, None  # a gap since the last run
        elif mode == "pages":
            stop_at_held, first, last = False, 1, self.opts.pages
        elif mode == "since":
            stop_at_held, first, last = False, 1, None
        else:
            resume = self.store.cursor("history:all:next-page")
            complete = self.store.cursor("history:all:complete")
            stop_at_held = bool(complete) and not resume
            first = max(1, int(resume) - 1) if resume else 1  # entries shift as pages appear
            last = None
            if resume:
                self.report.notes.append(f"--all resumes at listing page {first}")
        self.walk_listings(first, last, stop_at_held)

    def walk_listings(self, first: int, last: int | None, stop_at_held: bool) -> None:
        since = self.opts.since.isoformat() if self.opts.since else None
        missing_in_a_row = 0
        previous: tuple[str, ...] | None = None
        n = first
        while last is None or n <= last:
            url = self.base + discovery.listing_path(n)
            if self.opts.mode == "all":
                self.store.set_cursor("history:all:next-page", str(n), self.clock.wall())
            try:
                resp = self.listing_request(url, f"listing page {n}")
            except _GiveUp as g:
                self.report.notes.append(
                    f"listing page {n} failed ({g.reason}); the walk stops here for this run"
                )
                return
            if resp is None:
                missing_in_a_row += 1
                if missing_in_a_row >= 2:
                    self.report.notes.append(
                        "two listing pages in a row are missing: taken as the end of the listing"
                    )
                    break
                previous = None
                n += 1
                continue
            missing_in_a_row = 0
            entries = discovery.parse_listing(resp.body, self.base)
            if not entries:
                self.report.notes.append(f"listing page {n} holds no entries: the end")
                break
            ids = tuple(e.page_id for e in entries)
            if ids == previous:
                raise _Stop(
                    f"listing pages {n - 1} and {n} list the same entries: the site is not "
                    "paging as expected, so the walk stopped rather than loop"
                )
            previous = ids
            wanted = [e for e in entries if since is None or not e.date or e.date >= since]
            if self.take_entries(wanted, stop_at_held=stop_at_held):
                break
            if since and len(wanted) < len(entries):
                break  # the rest is older than --since
            n += 1
        if self.opts.mode == "all":
            self.store.clear_cursor("history:all:next-page")
            self.store.set_cursor("history:all:complete", iso(self.clock.wall()), self.clock.wall())

    def listing_request(self, url: str, what: str) -> Response | None:
        """A feed or listing page; None (with a note) when it is missing or disallowed.
        _GiveUp when the site kept failing: the caller decides what that ends."""
        try:
            resp = self.request(url)
        except _Disallowed:
            self.report.notes.append(f"{what} ({url}) is disallowed by robots.txt; skipped")
            return None
        self.report.listing_pages += 1
        if resp.status != 200:
            self.report.notes.append(f"{what} is missing (HTTP {resp.status}); skipped")
            return None
        return resp

    def take_entries(self, entries: list[discovery.Entry], stop_at_held: bool) -> bool:
        """Record entries, fetch the new ones; True when one was already held (and
        ``stop_at_held``): the run has caught up with what it holds."""
        now = self.clock.wall()
        reached = False
        todo: list[PageRow] = []
        for e in entries:
            url = self.base + e.path
            row = self.store.get(url)
            if row is None:
                row = self.store.discover(url, e.page_id, e.date, now)
                self.report.discovered += 1
            if e.updated:
                self.feed_updated[url] = e.updated
            if row.status in (FETCHED, GONE):
                reached = True
                if row.status == FETCHED and e.updated:
                    if row.feed_updated and _later(e.updated, row.feed_updated):
                        self.store.requeue(url)  # the feed says the page was edited
                        todo.append(self.store.get(url) or row)
                    elif not row.feed_updated:
                        self.store.set_feed_updated(url, e.updated)
                continue
            if row.status != FAILED or not row.next_retry or row.next_retry <= iso(now):
                todo.append(row)
        self.fetch_queue(todo)
        return reached and stop_at_held

    # -- pages --------------------------------------------------------------------------
    def fetch_queue(self, rows: list[PageRow]) -> None:
        self.queue = list(rows)
        while self.queue:
            row = self.queue.pop(0)
            self.show()
            self.fetch_page(row)
        self.show()

    def show(self) -> None:
        if not self.progress:
            return
        r = self.report
        done = len(r.new) + len(r.updated) + len(r.unchanged) + len(r.gone) + len(r.failed)
        per_page = self.throttle.delay * (1 + self.opts.jitter / 2) + 0.2
        self.progress(
            FetchProgress(
                discovered=r.discovered,
                done=done,
                pending=len(self.queue),
                delay=self.throttle.delay,
                eta=len(self.queue) * per_page,
            )
        )

    def fetch_page(self, row: PageRow) -> None:
        path = page_file(self.folder, row.page_id)
        held = row.sha256 is not None and path.exists()
        if row.sha256 is None and path.exists() and self.adopt(row, path):
            return
        if not self.rules.allowed(row.url):
            self.store.mark_disallowed(row.url)
            if row.page_id not in self.report.disallowed:
                self.report.disallowed.append(row.page_id)
            return
        try:
            resp = self.request(
                row.url,
                etag=row.etag if held else None,
                last_modified=row.last_modified if held else None,
            )
        except _GiveUp as g:
            self.fail(row, g.reason, g.status)
            return
        now = self.clock.wall()
        feed_updated = self.feed_updated.get(row.url)  # None: keep the stored one
        if resp.status == 304 and held:
            self.store.mark_fetched(
                row.url, row.sha256 or "", path.stat().st_size, None, None, 304, feed_updated, now
            )
            self.report.unchanged.append(row.page_id)
        elif resp.status == 200:
            problem = html_problem(resp)
            if problem:
                self.fail(row, problem, resp.status)
                return
            h = digest(resp.body)
            if held and h == row.sha256:
                self.report.unchanged.append(row.page_id)
            else:
                write_atomically(path, resp.body)
                (self.report.updated if held else self.report.new).append(row.page_id)
            self.store.mark_fetched(
                row.url,
                h,
                len(resp.body),
                resp.headers.get("etag"),
                resp.headers.get("last-modified"),
                200,
                feed_updated,
                now,
            )
        elif resp.status in (404, 410):
            self.store.mark_gone(row.url, resp.status, now)
            self.report.gone.append(row.page_id)
        else:
            self.fail(row, f"HTTP {resp.status}", resp.status)
            return
        self.failures_in_a_row = 0

    def adopt(self, row: PageRow, path: Path) -> bool:
        """A whole page file the state does not know (a run killed between the rename
        and the commit, or a file put there by hand): keep it rather than fetch it."""
        try:
            data = path.read_bytes()
        except OSError:
            return False
        if not looks_like_whole_html(data):
            return False
        self.store.mark_fetched(
            row.url, digest(data), len(data), None, None, 200, None, self.clock.wall()
        )
        self.report.new.append(row.page_id)
        return True

    def fail(self, row: PageRow, reason: str, status: int | None) -> None:
        wait = min(RETRY_LATER_MAX, RETRY_LATER_BASE * 2 ** min(row.attempts, 10))
        self.store.mark_failed(row.url, reason, status, self.clock.wall() + wait)
        self.report.failed.append(Failure(row.url, reason))
        self.failures_in_a_row += 1
        if self.failures_in_a_row >= FAILURES_IN_A_ROW:
            raise _Stop(
                f"{FAILURES_IN_A_ROW} pages in a row failed (last: {reason}); the site is not "
                "answering well, so the run stopped. The failed pages are tried again later."
            )

    # -- one request, with retries --------------------------------------------------------
    def request(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        check_robots: bool = True,
    ) -> Response:
        if check_robots and not self.rules.allowed(url):
            raise _Disallowed(url)
        reason, status = "", None
        for attempt in range(max(1, self.opts.tries)):
            if self.client.requests_made >= self.opts.max_requests:
                raise _Budget()
            if self.stop.is_set():
                raise _Interrupted()
            self.throttle.wait()
            if self.stop.is_set():
                raise _Interrupted()
            try:
                resp = self.client.get(url, etag=etag, last_modified=last_modified)
            except NetworkError as exc:
                self.throttle.record(False, 0.0)
                if exc.kind in FATAL_KINDS:
                    raise _Stop(str(exc)) from None
                reason, status = str(exc), None
                self.throttle.pause(self.backoff(attempt))
                continue
            if resp.status in (403, 418):
                self.throttle.record(False, resp.latency)
                self.refused(resp.status)
            if resp.status == 429 or resp.status >= 500:
                self.throttle.record(False, resp.latency)
                wait = retry_after_seconds(resp.headers.get("retry-after"), self.clock.wall())
                if wait is not None and wait > self.opts.max_retry_after:
                    again = iso(self.clock.wall() + wait)
                    raise _Stop(
                        f"the site answered HTTP {resp.status} and asked to wait {wait:.0f} s "
                        f"(more than --max-retry-after {self.opts.max_retry_after:g} s); "
                        f"state kept, try again after {again}"
                    )
                reason, status = f"HTTP {resp.status}", resp.status
                self.throttle.pause(wait if wait is not None else self.backoff(attempt))
                continue
            self.throttle.record(True, resp.latency)
            if check_robots:  # robots.txt alone does not show the site serves this network
                self.successes += 1
            return resp
        raise _GiveUp(f"{reason} ({self.opts.tries} tries)", status)

    def backoff(self, attempt: int) -> float:
        """Exponential with jitter: 2, 4, 8 ... s (from --delay when larger) times 1-1.5,
        capped at --max-retry-after. The throttle's own doubling comes on top."""
        base: float = max(self.opts.delay, 2.0) * 2**attempt
        return min(self.opts.max_retry_after, base * self.clock.rng.uniform(1.0, 1.5))

    def refused(self, status: int) -> None:
        if self.successes == 0:
            self.report.refused = True
            raise _Stop(
                f"the site refused this network (HTTP {status} before any page was served). "
                "en.kremlin.ru is known to block some networks, data-centre ones in "
                "particular. Try from another network, or through a proxy: HTTP_PROXY and "
                "HTTPS_PROXY are honoured."
            )
        again = self.clock.wall() + REFUSED_WAIT
        self.store.set_cursor("refused:retry-after", iso(again), self.clock.wall())
        self.report.refused = True
        raise _Stop(
            f"the site started refusing requests (HTTP {status}) after {self.successes} "
            f"answers: it limits how many requests a network may make. State kept; try "
            f"again after {iso(again)} (in {REFUSED_WAIT / 3600:.0f} hours), perhaps with a "
            "larger --delay or a smaller --max-requests."
        )


def html_problem(resp: Response) -> str | None:
    """Why a 200 answer is not a page to store, or None when it is one."""
    ctype = resp.content_type.split(";")[0].strip().lower()
    if ctype and "html" not in ctype:
        return f"not an HTML page (Content-Type: {ctype})"
    if not looks_like_whole_html(resp.body):
        head = resp.body[:1024].lower()
        if b"<html" not in head and b"<!doctype html" not in head:
            return "not an HTML page (no <html> at the start)"
        return "truncated: the page ends before </html>"
    return None


def looks_like_whole_html(data: bytes) -> bool:
    head, tail = data[:2048].lower(), data[-2048:].lower()
    return (b"<html" in head or b"<!doctype html" in head) and b"</html>" in tail


def _later(a: str, b: str) -> bool:
    """Whether feed time ``a`` is after ``b`` (ISO 8601 with offsets; as text if odd)."""
    try:
        return dt.datetime.fromisoformat(a) > dt.datetime.fromisoformat(b)
    except ValueError:
        return a > b
