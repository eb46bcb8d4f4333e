"""Alerts as the operator runs them: `transcripts alerts …` in a subprocess, real indexes
built from real pages, and real servers on loopback receiving the digests: aiosmtpd for
e-mail, an HTTP server for a JSON webhook, the site itself (waitress) answering every
link a digest holds, and the replay of en.kremlin.ru for fetch-then-alert.

Nothing is mocked: Apprise delivers over sockets. Where a test needs a moment to hold (a
run killed while its digest is in flight), the webhook holds the request on an Event;
no test sleeps to let something happen.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import urllib.request
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from alert_servers import WAIT, SmtpSink, Webhook
from conftest import PROJECT_DIR, SEEDS
from fetch_fixtures import (  # noqa: F401  # no_proxy is an autouse fixture
    NEWS,
    FakeClock,
    need_site,
    no_proxy,
    options,
)

from transcripts.index.fetch import run_fetch
from transcripts.index.readers import read_file
from transcripts.index.writer import reindex
from transcripts.search import alerts
from transcripts.search.engine import TranscriptIndex
from transcripts.search.follow import describe, new_passages
from transcripts.search.results import SearchRequest
from transcripts.web import digest

# Kremlin pages from seeds/, named by their page id: the first BASE are indexed before any
# alert exists; LATER ones are copied in afterwards, as a fetch would add them.
KREMLIN_SEEDS = sorted(p for p in SEEDS.glob("*.txt") if p.stem.isdigit())
BASE = KREMLIN_SEEDS[:40]
LATER = KREMLIN_SEEDS[40:46]
SITE = "http://127.0.0.1:8000"  # where digests say the site is, when no test follows a link
TRANSCRIPTS = Path(sys.executable).with_name("transcripts")  # the console script
SECRET = "Tr0ub4dor-horse-battery"  # an SMTP password the tests hand over, never print
PERMALINK = re.compile(r"<(https?://[^>\s]+/t/[^>\s?#]+(?:\?[^>\s#]*)?#u\d+)>")


# -- the command -------------------------------------------------------------------------
def command() -> list[str]:
    """`transcripts` as installed (the console script beside this interpreter)."""
    if TRANSCRIPTS.exists():
        return [str(TRANSCRIPTS)]
    return [sys.executable, "-c", "import sys, cli; sys.exit(cli.main())"]


def environment(env: dict[str, str | None] | None = None) -> dict[str, str]:
    """This environment without anything that would steer the alerts elsewhere (a
    proxy, another database, a secret set by the developer), plus ``env`` (None
    removes)."""
    base = {k: v for k, v in os.environ.items()
            if k not in (alerts.ENV_DB, alerts.ENV_SECRETS, "SMTP_PASS", "TRANSCRIPTS_SITE_URL")
            and not k.lower().endswith("_proxy")}
    base.update({"NO_PROXY": "127.0.0.1,localhost", "COLUMNS": "250",
                 "PYTHONUNBUFFERED": "1"})
    for k, v in (env or {}).items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return base


def run_cli(*args: str, env: dict[str, str | None] | None = None
            ) -> subprocess.CompletedProcess:
    return subprocess.run([*command(), *args], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=600, env=environment(env))


def said(done: subprocess.CompletedProcess) -> str:
    return done.stdout + done.stderr


@dataclass
class Library:
    """A folder of transcript files, its index, and the alerts' database beside it."""

    files: Path
    root: Path
    db: Path

    def index(self, *paths: Path) -> None:
        for p in paths:
            shutil.copy(p, self.files)
        report = reindex([self.files], self.root)
        assert report.transcripts_total, report

    def alerts(self, *args: str, env: dict[str, str | None] | None = None
               ) -> subprocess.CompletedProcess:
        return run_cli("alerts", *args, "--index-dir", str(self.root),
                       "--alerts-db", str(self.db), env=env)

    def run(self, *args: str, site: str = SITE, env: dict[str, str | None] | None = None
            ) -> subprocess.CompletedProcess:
        return self.alerts("run", *args, "--site-url", site, env=env)

    def deliveries(self) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.db)) as conn:
            return conn.execute(
                "SELECT alert, url, passages, transcripts, error FROM deliveries ORDER BY at"
            ).fetchall()

    def cursors(self) -> dict[tuple[str, str], float]:
        with contextlib.closing(sqlite3.connect(self.db)) as conn:
            return {(a, u): c for a, u, c in conn.execute("SELECT alert, url, cursor FROM targets")}


@pytest.fixture
def lib(tmp_path) -> Library:
    library = Library(tmp_path / "files", tmp_path / "instance" / "index",
                      tmp_path / "instance" / "alerts.sqlite")
    library.files.mkdir()
    library.index(*BASE)
    return library


def transcript_ids(paths) -> set[str]:
    return {t.id for p in paths for t in read_file(Path(p))}


def matching(root: Path, req: SearchRequest, among: set[str]) -> set[tuple[str, int]]:
    """Every passage ``req`` matches in the live index, in the transcripts ``among``:
    (transcript id, position), whenever they were indexed."""
    everything = new_passages(TranscriptIndex(root), req, after=None, limit=1_000_000)
    assert everything.total == len(everything.passages)
    return {(p.transcript_id, p.position) for p in everything.passages
            if p.transcript_id in among}


def permalinks(markdown: str) -> list[tuple[str, int]]:
    """(transcript id, position) of every passage's permalink in a digest, in order."""
    return [passage_of(url) for url in PERMALINK.findall(markdown)]


def passage_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.path.startswith("/t/") and parts.fragment.startswith("u"), url
    return unquote(parts.path[len("/t/"):]), int(parts.fragment[1:])


# -- the site, served for real -------------------------------------------------------------
@contextlib.contextmanager
def running_site(root: Path) -> Iterator[str]:
    """The search site over the index at ``root``, served by waitress as `transcripts
    serve` serves it, on a free loopback port: its base URL."""
    from transcripts.cli import bind_server, server_address
    from transcripts.web import create_app

    app = create_app({"INDEX_DIR": str(root), "BACKEND": "embedded", "WARM_INDEX": False})
    server = bind_server(app, "127.0.0.1", 0, 4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://{server_address(server)}"
    finally:
        server.close()


def get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=WAIT) as response:
        return response.status, response.read().decode("utf-8")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def hrefs(html_text: str) -> list[str]:
    parser = Links()
    parser.feed(html_text)
    return parser.hrefs


# -- 1. e-mail ----------------------------------------------------------------------------
def test_an_email_digest_whose_every_link_answers_on_the_running_site(lib):
    with SmtpSink() as smtp:
        added = lib.alerts("add", "desk-putin", "Putin", "--notify", smtp.url())
        assert added.returncode == 0, said(added)
        lib.index(*LATER[:3])
        new = transcript_ids(LATER[:3])
        expected = matching(lib.root, SearchRequest(q="Putin"), new)
        assert expected, "the later pages should mention Putin"
        with running_site(lib.root) as site:
            done = lib.run(site=site)
            assert done.returncode == 0, said(done)
            found_in = len({tid for tid, _ in expected})
            assert f"sent {len(expected)} passages in {found_in} transcripts" in done.stdout
            [message] = smtp.wait_for(1)

            assert "desk-putin" in message["Subject"]
            assert describe(SearchRequest(q="Putin")) in message["Subject"]  # “Putin”
            assert f"{len(expected)} new passages" in message["Subject"]
            assert message["From"].addresses[0].addr_spec == "alerts@example.org"
            assert [a.addr_spec for a in message["To"].addresses] == ["desk@example.org"]
            assert smtp.envelopes == [("alerts@example.org", ["desk@example.org"])]
            assert message.get_content_type() == "multipart/alternative"
            parts = {p.get_content_type(): p.get_content() for p in message.iter_parts()}
            assert set(parts) == {"text/plain", "text/html"}

            links = hrefs(parts["text/html"])
            on_site = [h for h in links if h.startswith(site + "/")]
            elsewhere = set(links) - set(on_site)
            originals = {p.url for p in new_passages(TranscriptIndex(lib.root),
                                                     SearchRequest(q="Putin"), after=None,
                                                     limit=1_000_000).passages
                         if p.transcript_id in new}
            assert elsewhere <= originals  # the only links off the site: the pages' own
            permalinks_html = [h for h in on_site if re.search(r"#u\d+$", h)]
            assert sorted(passage_of(h) for h in permalinks_html) == sorted(expected)
            assert any("/feed?" in h for h in on_site) and any("/?" in h for h in on_site)
            pages: dict[str, str] = {}
            for link in on_site:
                page = link.split("#", 1)[0]
                if page not in pages:
                    status, pages[page] = get(page)
                    assert status == 200, link
                if "#" in link:
                    anchor = link.split("#", 1)[1]
                    assert f'id="{anchor}"' in pages[page], link

            for link in permalinks_html:  # the plain-text part shows every permalink
                assert link in parts["text/plain"], link


# -- 2. a target that fails, then accepts ---------------------------------------------------
def test_a_failed_delivery_is_sent_again_once_and_then_never(lib):
    with Webhook(statuses=deque([500])) as hook:
        assert lib.alerts("add", "watch", "Putin", "--notify", hook.url()).returncode == 0
        start = lib.cursors()
        lib.index(*LATER[:2])

        first = lib.run()
        assert first.returncode == 1, said(first)
        assert "failed" in first.stdout and "500" in first.stdout, said(first)
        assert "kept for the next run" in first.stdout
        assert len(hook.posts) == 1
        assert lib.cursors() == start  # nothing recorded as delivered
        assert [bool(error) for *_, error in lib.deliveries()] == [True]  # one failure
        shown = lib.alerts("show", "watch")
        assert "1 failed deliveries in a row" in shown.stdout, said(shown)

        second = lib.run()
        assert second.returncode == 0, said(second)
        assert "sent" in second.stdout
        assert len(hook.posts) == 2
        assert hook.posts[1].payload == hook.posts[0].payload  # the same digest, again
        assert lib.cursors() != start
        assert len([d for d in lib.deliveries() if not d[4]]) == 1

        third = lib.run()
        assert third.returncode == 0 and "nothing new" in third.stdout, said(third)
        assert len(hook.posts) == 2
        expected = matching(lib.root, SearchRequest(q="Putin"), transcript_ids(LATER[:2]))
        assert sorted(permalinks(hook.posts[1].payload["message"])) == sorted(expected)


# -- 3. kill -9 while the digest is in flight ------------------------------------------------
def test_a_run_killed_in_flight_sends_that_digest_once_more_and_nothing_else(lib, tmp_path):
    with Webhook(gated=True) as hook:
        assert lib.alerts("add", "watch", "Putin", "--notify", hook.url()).returncode == 0
        start = lib.cursors()
        lib.index(*LATER[:2])
        log = tmp_path / "killed.log"
        with open(log, "wb") as out:
            killed = subprocess.Popen(
                [*command(), "alerts", "run", "--site-url", SITE, "--index-dir", str(lib.root),
                 "--alerts-db", str(lib.db)],
                cwd=PROJECT_DIR, stdout=out, stderr=subprocess.STDOUT, env=environment())
        try:
            assert hook.received.wait(WAIT), log.read_text()  # its digest has arrived
            assert killed.poll() is None  # ... and it waits for the answer

            meanwhile = lib.run()  # a second run while the first holds the lock
            assert meanwhile.returncode != 0, said(meanwhile)
            assert "another `transcripts alerts run` is running" in meanwhile.stderr
            assert f"pid {killed.pid}" in meanwhile.stderr
            assert "Traceback" not in said(meanwhile)
            assert len(hook.posts) == 1

            killed.send_signal(signal.SIGKILL)
            assert killed.wait(WAIT) == -signal.SIGKILL
        finally:
            if killed.poll() is None:
                killed.kill()
                killed.wait()
            hook.gate.set()
        assert hook.answered.wait(WAIT)
        assert lib.cursors() == start and lib.deliveries() == []  # nothing recorded

        again = lib.run()
        assert again.returncode == 0, said(again)
        assert len(hook.posts) == 2
        assert hook.posts[1].payload == hook.posts[0].payload  # the one in flight, again
        expected = matching(lib.root, SearchRequest(q="Putin"), transcript_ids(LATER[:2]))
        assert sorted(permalinks(hook.posts[1].payload["message"])) == sorted(expected)

        after = lib.run()
        assert after.returncode == 0 and "nothing new" in after.stdout, said(after)
        assert len(hook.posts) == 2


# -- 4. a new alert starts from now; --since reaches back --------------------------------
def test_a_new_alert_starts_from_now_and_since_sends_the_dated_backlog_once(lib):
    req = SearchRequest(q="Putin")
    already = new_passages(TranscriptIndex(lib.root), req, after=None, limit=1_000_000)
    days = sorted({p.date for p in already.passages})
    assert len(days) > 2, days
    since = days[len(days) // 2]  # some matches before it, some on it and after
    backlog = {(p.transcript_id, p.position) for p in already.passages if p.date >= since}
    assert 0 < len(backlog) < already.total

    with Webhook() as hook:
        assert lib.alerts("add", "now", "Putin", "--notify", hook.url("now")).returncode == 0
        added = lib.alerts("add", "back", "Putin", "--since", since,
                           "--notify", hook.url("back"))
        assert added.returncode == 0, said(added)
        assert f"passages dated from {since} on" in added.stdout

        first = lib.run()
        assert first.returncode == 0, said(first)
        assert re.search(r"now → \S+: nothing new", first.stdout), first.stdout
        posts = {p.path: p.payload["message"] for p in hook.posts}
        assert list(posts) == ["/back"]  # the new alert sent nothing
        got = permalinks(posts["/back"])
        assert len(got) == len(set(got)) and set(got) == backlog

        second = lib.run()
        assert second.returncode == 0, said(second)
        assert len(hook.posts) == 1  # the backlog went once

        lib.index(LATER[0])  # later, one page: both send it, and only it
        third = lib.run()
        assert third.returncode == 0, said(third)
        expected = matching(lib.root, req, transcript_ids([LATER[0]]))
        assert expected
        assert sorted(p.path for p in hook.posts[1:]) == ["/back", "/now"]
        for post in hook.posts[1:]:
            assert sorted(permalinks(post.payload["message"])) == sorted(expected)


# -- 5. secrets ---------------------------------------------------------------------------
@pytest.mark.parametrize("written_out", [
    "mailto://desk:{pw}@127.0.0.1:2525?from=alerts@example.org&to=desk@example.org",
    # Apprise takes the password from the query as well (pass=, an alias of password=)
    "mailto://127.0.0.1:2525?user=desk&pass={pw}&from=alerts@example.org&to=desk@example.org",
])
def test_a_password_written_out_in_a_url_is_refused(lib, written_out):
    done = lib.alerts("add", "leaky", "Putin", "--notify", written_out.format(pw=SECRET))
    assert done.returncode == 2, said(done)
    assert "password" in done.stderr and "${" in done.stderr, said(done)
    assert SECRET not in said(done)
    assert "No alerts" in lib.alerts("list").stdout
    assert SECRET.encode() not in lib.db.read_bytes()


def test_secrets_come_from_the_environment_or_an_owner_only_file_and_are_never_shown(lib):
    with SmtpSink(credentials=("desk", SECRET)) as smtp:
        url = smtp.url("desk:${SMTP_PASS}")
        for name in ("by-env", "by-file"):
            added = lib.alerts("add", name, "Putin", "--notify", url,
                               env={"SMTP_PASS": SECRET})
            assert added.returncode == 0, said(added)
            assert SECRET not in said(added) and "${SMTP_PASS}" in added.stdout
        lib.index(LATER[0])
        no_file = str(lib.db.with_name("absent.secrets"))

        unset = lib.run("--secrets", no_file)
        assert unset.returncode == 1, said(unset)
        assert unset.stdout.count("SMTP_PASS") >= 2 and "set neither" in unset.stdout
        assert smtp.messages == [] and smtp.logins == []
        listed = lib.alerts("list")
        assert listed.stdout.count("failing (1×)") == 2, said(listed)

        by_env = lib.run("by-env", "--secrets", no_file, env={"SMTP_PASS": SECRET})
        assert by_env.returncode == 0, said(by_env)
        assert len(smtp.wait_for(1)) == 1 and smtp.logins == [("desk", SECRET)]
        assert "by-env" in smtp.messages[0]["Subject"]

        secrets = lib.db.with_name(alerts.SECRETS_NAME)  # the default place, beside the db
        secrets.write_text(f"# the mail relay\nSMTP_PASS={SECRET}\n", encoding="utf-8")
        secrets.chmod(0o644)
        refused = lib.run("by-file")
        assert refused.returncode == 1, said(refused)
        assert "can be read by others" in refused.stderr and "chmod 600" in refused.stderr
        assert len(smtp.messages) == 1 and len(smtp.logins) == 1

        secrets.chmod(0o600)
        by_file = lib.run("by-file")
        assert by_file.returncode == 0, said(by_file)
        assert len(smtp.wait_for(2)) == 2 and smtp.logins[-1] == ("desk", SECRET)
        assert "by-file" in smtp.messages[1]["Subject"]

        everything = lib.run(env={"SMTP_PASS": SECRET})
        assert everything.returncode == 0 and everything.stdout.count("nothing new") == 2
        assert len(smtp.messages) == 2

        for shown in (lib.alerts("list", env={"SMTP_PASS": SECRET}),
                      lib.alerts("show", "by-env", env={"SMTP_PASS": SECRET}),
                      lib.alerts("show", "by-file", env={"SMTP_PASS": SECRET}),
                      unset, by_env, refused, by_file, everything):
            assert SECRET not in said(shown)
        assert "${SMTP_PASS}" in lib.alerts("show", "by-file").stdout
        assert SECRET.encode() not in lib.db.read_bytes()
        assert stat.S_IMODE(lib.db.stat().st_mode) == 0o600


def test_a_secret_with_url_characters_is_delivered_and_no_part_of_it_shown(lib):
    """Real passwords hold ':' and '%' (and '@', '/', '#', '?': left out here, as they
    would send the digest to another host): filled into the URL as they are, they
    change what the URL says."""
    secret = "correct:horse%2Fbattery"
    with SmtpSink(credentials=("desk", secret)) as smtp:
        assert lib.alerts("add", "odd", "Putin", "--notify",
                          smtp.url("desk:${SMTP_PASS}")).returncode == 0
        lib.index(LATER[0])
        done = lib.run(env={"SMTP_PASS": secret})
        for piece in ("horse", "battery"):
            assert piece not in said(done), said(done)
            assert piece not in lib.alerts("list").stdout
        assert done.returncode == 0, said(done)
        assert smtp.logins == [("desk", secret)] and len(smtp.wait_for(1)) == 1


# -- 6. fetch, index, alert: the replay of en.kremlin.ru ----------------------------------
def feed_without_newest(feed: bytes, k: int) -> tuple[bytes, list[str]]:
    """The feed with its first ``k`` entries taken out, and the page ids they named."""
    entries = list(re.finditer(rb"<entry>.*?</entry>", feed, re.S))
    assert len(entries) > k
    ids = [re.search(rb"<id>[^<]*/(\d+)</id>", m.group()).group(1).decode()
           for m in entries[:k]]
    return feed[:entries[0].start()] + feed[entries[k].start():], ids


def peek(site, ids: list[str], folder: Path):
    """The pages ``ids`` as the replay holds them, read as transcripts (before any fetch)."""
    folder.mkdir()
    pages = site.event_pages()
    found = []
    for i in ids:
        (folder / f"{i}.html").write_bytes(pages[i])
        found += read_file(folder / f"{i}.html")
    return found


def choose_alerts(hidden, old_root: Path) -> dict[str, SearchRequest]:
    """Searches that match the hidden pages, chosen from their text, preferring what
    also matches pages already indexed (so that "nothing old" is tested)."""
    old = TranscriptIndex(old_root)

    def matches_old(req: SearchRequest) -> bool:
        return new_passages(old, req, after=None, limit=1).total > 0

    words = [w for t in hidden for w in re.findall(r"[A-Za-z]{5,}", t.title)]
    word = next((w for w in words if matches_old(SearchRequest(q=w))), words[0])
    speakers = Counter(u.speaker for t in hidden for u in t.utterances if u.speaker)
    speaker = next(s for s, _ in speakers.most_common()
                   if matches_old(SearchRequest(speaker=[s])))
    topics = Counter(x for t in hidden for x in t.topics)
    topic = next((x for x, _ in topics.most_common() if matches_old(SearchRequest(topic=[x]))),
                 topics.most_common(1)[0][0])
    return {"word": SearchRequest(q=word), "speaker": SearchRequest(speaker=[speaker]),
            "topic": SearchRequest(topic=[topic])}


def as_options(req: SearchRequest) -> list[str]:
    args = [req.q] if req.q else []
    for name, values in req.filters().items():
        for v in values:
            args += [f"--{name}", v]
    return args


@dataclass
class Replay:
    """The loopback replay of en.kremlin.ru fetched and indexed once, with its feed's
    newest entries hidden (``hidden``) until ``reveal()``; a webhook; an alert library."""

    site: Any
    hook: Webhook
    lib: Library
    corpus: Path
    hidden: list[str]
    first: Any  # the first fetch's report
    fake: FakeClock
    feed_path: str

    def reveal(self) -> None:
        del self.site.faults.override[self.feed_path]


@contextlib.contextmanager
def replay_with_newest_hidden(tmp_path: Path, count: int) -> Iterator[Replay]:
    site_dir = need_site()
    from bench.replay_site import ReplaySite

    feed_path = NEWS + "/feed"
    hidden_feed, hidden = feed_without_newest(
        (site_dir / feed_path.lstrip("/")).read_bytes(), count)
    corpus = tmp_path / "corpus"
    lib = Library(corpus, tmp_path / "instance" / "index", tmp_path / "instance" / "alerts.db")
    fake = FakeClock()
    with ReplaySite(site_dir, clock=fake.monotonic) as site, Webhook() as hook:
        site.faults.override[feed_path] = hidden_feed
        first = run_fetch(options(corpus, site.url), fake.clock())
        reindex([corpus], lib.root)
        yield Replay(site, hook, lib, corpus, hidden, first, fake, feed_path)


def test_fetch_then_alerts_over_the_replay_send_exactly_the_new_passages(tmp_path):
    with replay_with_newest_hidden(tmp_path, 5) as replay:
        site, hook, lib, corpus, hidden, first, fake = (
            replay.site, replay.hook, replay.lib, replay.corpus, replay.hidden, replay.first,
            replay.fake)
        assert first.new and not first.failed and not set(first.new) & set(hidden)
        old = transcript_ids(corpus.glob("*.html"))

        searches = choose_alerts(peek(site, hidden, tmp_path / "peek"), lib.root)
        # and one that matches only pages already indexed: it must stay silent
        old_only = Counter(g for p in corpus.glob("*.html") for t in read_file(p)
                           for g in t.geography)
        hidden_places = {g for p in (tmp_path / "peek").glob("*.html")
                         for t in read_file(p) for g in t.geography}
        place = next(g for g, _ in old_only.most_common() if g not in hidden_places)
        searches["elsewhere"] = SearchRequest(geography=[place])
        for name, req in searches.items():
            added = lib.alerts("add", name, *as_options(req), "--notify", hook.url(name))
            assert added.returncode == 0, said(added)

        replay.reveal()
        second = run_fetch(options(corpus, site.url), fake.clock())
        assert sorted(second.new) == sorted(hidden) and not second.failed
        reindex([corpus], lib.root)

        done = lib.run()
        assert done.returncode == 0, said(done)
        received: dict[str, list[tuple[str, int]]] = {}
        for post in hook.posts:
            received.setdefault(post.path.strip("/"), []).extend(
                permalinks(post.payload["message"]))
        assert Counter(p.path for p in hook.posts) == Counter(
            f"/{name}" for name in searches if name != "elsewhere")  # one digest each
        for name, req in searches.items():
            new = matching(lib.root, req, set(hidden))
            got = received.get(name, [])
            assert len(got) == len(set(got)), name  # nothing twice
            assert set(got) == new, (name, req)  # exactly the new passages
            assert not {tid for tid, _ in got} & old  # nothing old
            if name != "elsewhere":
                assert new, (name, req)
        # the word, the speaker and the topic match older pages too: those were not sent
        assert matching(lib.root, searches["word"], old)
        assert matching(lib.root, searches["speaker"], old)

        again = lib.run()
        assert again.returncode == 0 and again.stdout.count("nothing new") == len(searches)
        assert len(hook.posts) == len(searches) - 1


def test_fetch_with_alerts_sends_what_the_fetch_brought(tmp_path):
    with replay_with_newest_hidden(tmp_path, 2) as replay:
        site, hook, lib, corpus, hidden = (
            replay.site, replay.hook, replay.lib, replay.corpus, replay.hidden)
        assert lib.alerts("add", "all", "--notify", hook.url()).returncode == 0  # everything
        replay.reveal()

        fetched = run_cli("fetch", "--to", str(corpus), "--base-url", site.url,
                          "--delay", "0", "--alerts", "--site-url", SITE,
                          "--index-dir", str(lib.root), "--alerts-db", str(lib.db))
        assert fetched.returncode == 0, said(fetched)
        assert "2 new" in fetched.stdout and "all → " in fetched.stdout
        [post] = hook.posts
        expected = matching(lib.root, SearchRequest(), set(hidden))
        assert sorted(permalinks(post.payload["message"])) == sorted(expected)
        assert {tid for tid, _ in expected} == set(hidden)

        quiet = run_cli("fetch", "--to", str(corpus), "--base-url", site.url,
                        "--delay", "0", "--alerts", "--site-url", SITE,
                        "--index-dir", str(lib.root), "--alerts-db", str(lib.db))
        assert quiet.returncode == 0 and "nothing new" in quiet.stdout, said(quiet)
        assert len(hook.posts) == 1


# -- 7. remove, show, test ----------------------------------------------------------------
def test_remove_removes_and_an_unknown_name_is_one_line(lib):
    with Webhook() as hook:
        for name in ("keep", "drop"):
            assert lib.alerts("add", name, "Putin", "--notify", hook.url(name)).returncode == 0
        removed = lib.alerts("remove", "drop")
        assert removed.returncode == 0 and "Removed the alert drop" in removed.stdout
        listed = lib.alerts("list").stdout
        assert "keep" in listed and "drop" not in listed

        for args in (("show", "drop"), ("remove", "drop"), ("show", "nobody")):
            done = lib.alerts(*args)
            assert done.returncode == 2, (args, said(done))
            assert done.stdout == "" and "Traceback" not in done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
            assert done.stderr.startswith("error: there is no alert called"), done.stderr

        lib.index(LATER[0])
        assert lib.run().returncode == 0
        assert [p.path for p in hook.posts] == ["/keep"]
        unknown = lib.run("drop")
        assert unknown.returncode != 0 and "no alert called 'drop'" in unknown.stderr
        assert len(hook.posts) == 1


def test_alerts_test_sends_a_marked_digest_and_marks_nothing_sent(lib):
    with Webhook() as hook:
        assert lib.alerts("add", "watch", "Putin", "--notify", hook.url()).returncode == 0
        start = lib.cursors()
        tried = lib.alerts("test", "watch", "--limit", "3", "--site-url", SITE)
        assert tried.returncode == 0, said(tried)
        [post] = hook.posts
        assert post.payload["title"].startswith("[test] ")
        assert len(permalinks(post.payload["message"])) == 3
        assert lib.cursors() == start and lib.deliveries() == []

        assert "nothing new" in lib.run().stdout and len(hook.posts) == 1
        lib.index(LATER[0])
        assert lib.run().returncode == 0 and len(hook.posts) == 2
        assert not hook.posts[1].payload["title"].startswith("[test]")


# -- exactly once while the index changes under a run ---------------------------------
def test_a_reindex_during_a_run_sends_nothing_twice(lib):
    """`transcripts fetch` (reindexing) and `alerts run` from two cron jobs can overlap:
    a generation swapped in while a run is sending must not make a later run repeat
    what this one sent."""
    with Webhook() as hook:
        added = lib.alerts("add", "watch", "Putin", "--notify", hook.url("one"),
                           "--notify", hook.url("two"))
        assert added.returncode == 0, said(added)
        lib.index(LATER[0])
        swapped = threading.Event()

        def send(alert, url, followed):
            reason = digest.send(url, alert, followed, SITE)
            if not swapped.is_set():  # a fetch's reindex lands while the run sends
                lib.index(LATER[1])
                swapped.set()
            return reason

        with alerts.run_lock(lib.db), alerts.open_store(lib.db) as conn:
            report = alerts.run(conn, TranscriptIndex(lib.root), send, {})
        assert swapped.is_set() and not report.failed
        assert lib.run().returncode == 0
        assert lib.run().returncode == 0

        expected = matching(lib.root, SearchRequest(q="Putin"), transcript_ids(LATER[:2]))
        for target in ("/one", "/two"):
            got = [x for p in hook.posts if p.path == target
                   for x in permalinks(p.payload["message"])]
            assert sorted(got) == sorted(expected), target


def test_python_dash_m_transcripts_knows_the_alerts_commands():
    """`python -m transcripts …` is how the other tests (and bench/) run the command."""
    done = subprocess.run([sys.executable, "-m", "transcripts",
                           "alerts", "--help"], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=600, env=environment())
    assert done.returncode == 0, said(done)
    assert "run" in done.stdout
