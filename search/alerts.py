"""Alerts: saved searches whose new passages are sent, once, to the operator's targets.

There are no accounts in this product, so whoever runs the instance sets alerts up
(``transcripts alerts add``); each names a search and one or more Apprise URLs
(``mailto://``, ``json://``, Slack, Matrix, ntfy ...), and ``transcripts alerts run``
(after each fetch) sends each target one digest of what is new since it last received
one. Alerts read the index like any search (``search.follow``) and keep their own state
in SQLite beside it (``alerts.sqlite`` next to the index folder); they never write the
index.

Exactly once, per target. A target's ``cursor`` is the ``built_at`` of the generation it
was last brought up to (``index.first_seen``): the next digest holds the passages whose
transcripts were first indexed after it, up to the generation searched now. The cursor
moves, in the same transaction that records the delivery, only after the target
accepted the digest, so

* a failed delivery changes nothing: the next run sends the same passages and more;
* a run killed at any moment loses nothing, and sends nothing twice except the digest
  that was in flight when it died (accepted, but not yet recorded);
* one target failing never holds back or repeats another;
* a second ``alerts run`` while one is running refuses (a lock beside the database).

Secrets never sit in the database: a URL names them as ``${NAME}``, filled in at
delivery from the environment or from a secrets file only its owner can read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

from transcripts.index import location
from transcripts.search.backend import generation_stamp, new_passages
from transcripts.search.follow import MAX_ENTRIES, Followed
from transcripts.search.results import SearchRequest

if TYPE_CHECKING:
    from transcripts.search.engine import TranscriptIndex
    from transcripts.search.opensearch_engine import ClusterIndex

DB_NAME = "alerts.sqlite"
LOCK_NAME = "alerts.lock"
SECRETS_NAME = "alerts.secrets"
ENV_DB = "TRANSCRIPTS_ALERTS_DB"
ENV_SECRETS = "TRANSCRIPTS_ALERTS_SECRETS"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Query parameters that carry a secret in Apprise URLs (a password, a token, a key).
_SECRET_PARAMS = {"pass", "password", "pwd", "token", "apikey", "api_key", "key", "secret"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    name TEXT PRIMARY KEY,
    request TEXT NOT NULL,          -- the search, as JSON (q, facets, from, to)
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS targets (
    alert TEXT NOT NULL REFERENCES alerts(name) ON DELETE CASCADE,
    url TEXT NOT NULL,              -- an Apprise URL; secrets only as ${NAME}
    cursor REAL NOT NULL,           -- delivered everything first indexed up to this time
    backfill_from TEXT,             -- --since: the first digest also holds passages dated
                                    -- on or after this day, whenever indexed
    failures INTEGER NOT NULL DEFAULT 0,  -- failed deliveries in a row
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (alert, url)
);
CREATE TABLE IF NOT EXISTS deliveries (
    alert TEXT NOT NULL,
    url TEXT NOT NULL,
    at REAL NOT NULL,
    generation TEXT NOT NULL,
    after REAL NOT NULL,            -- the window: first indexed after ``after``
    upto REAL NOT NULL,             -- and up to ``upto``
    passages INTEGER NOT NULL,
    transcripts INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT ''  -- '' when delivered
);
"""


class AlertError(ValueError):
    """A request the alert commands cannot carry out; the message says why."""


class AlertsLocked(RuntimeError):
    """Another ``alerts run`` holds the lock."""


@dataclass
class Target:
    url: str
    cursor: float
    backfill_from: str | None = None
    failures: int = 0
    last_error: str = ""


@dataclass
class Alert:
    name: str
    request: SearchRequest
    created: float
    targets: list[Target] = field(default_factory=list)


@dataclass
class Delivery:
    """What one run did for one target."""

    alert: str
    url: str  # masked: safe to print
    passages: int = 0
    transcripts: int = 0
    sent: bool = False
    error: str = ""


@dataclass
class RunReport:
    generation: str = ""
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.error]


# What sends one digest: (alert, target url with secrets filled in, the passages) ->
# None when the target accepted it, else the reason it did not.
Send = Callable[[Alert, str, Followed], "str | None"]


def db_path(index_root: Path, explicit: str | os.PathLike[str] | None = None) -> Path:
    """--alerts-db, else $TRANSCRIPTS_ALERTS_DB, else alerts.sqlite beside the index
    folder (instance/alerts.sqlite): deleting and rebuilding the index keeps the alerts."""
    chosen = explicit or os.environ.get(ENV_DB)
    return Path(chosen) if chosen else Path(index_root).parent / DB_NAME


@contextlib.contextmanager
def open_store(path: Path) -> Iterator[sqlite3.Connection]:
    """The database, created on first use, readable by its owner only (it names targets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(SCHEMA)
        yield conn
    finally:
        conn.close()


def request_to_json(req: SearchRequest) -> str:
    data = {k: v for k, v in asdict(req).items() if k not in ("sort", "page", "per_page")}
    for key in ("date_from", "date_to"):
        data[key] = data[key].isoformat() if data[key] else None
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def request_from_json(text: str) -> SearchRequest:
    data = json.loads(text)
    for key in ("date_from", "date_to"):
        data[key] = dt.date.fromisoformat(data[key]) if data.get(key) else None
    return SearchRequest(**data)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise AlertError(
            f"'{name[:40]}' cannot name an alert: use letters, digits, '.', '_' and '-' "
            "(up to 64, starting with a letter or digit)."
        )
    return name


def check_url(url: str) -> str:
    """An Apprise URL whose secrets are placeholders, never written out."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.scheme or "://" not in url:
        raise AlertError(f"'{mask(url)}' is not a notification URL (e.g. mailto://…, json://…).")
    written = [k for k, v in parse_qsl(parts.query)
               if k.lower() in _SECRET_PARAMS and not _PLACEHOLDER.fullmatch(v)]
    if written:
        raise AlertError(
            f"a password or token is written out in a --notify URL ({written[0]}=…): put it in "
            f"the environment or the secrets file and name it instead, e.g. "
            f"{written[0]}=${{SMTP_PASSWORD}} (alerts never store or print a secret)."
        )
    if parts.password and not _PLACEHOLDER.fullmatch(parts.password):
        raise AlertError(
            "a password is written out in a --notify URL: put it in the environment or the "
            f"secrets file and name it instead, e.g. {parts.scheme}://{parts.username}:"
            "${SMTP_PASSWORD}@… (alerts never store or print a secret)."
        )
    return url


def add_alert(conn: sqlite3.Connection, name: str, req: SearchRequest, urls: list[str],
              start: float, backfill_from: dt.date | None = None) -> Alert:
    """A new alert whose targets start at ``start`` (the live index's built_at: nothing
    already indexed is sent, unless dated ``backfill_from`` or later)."""
    check_name(name)
    if not urls:
        raise AlertError("an alert needs at least one --notify URL.")
    urls = list(dict.fromkeys(check_url(u) for u in urls))
    now = time.time()
    since = backfill_from.isoformat() if backfill_from else None
    try:
        with _transaction(conn):
            conn.execute("INSERT INTO alerts (name, request, created) VALUES (?, ?, ?)",
                         (name, request_to_json(req), now))
            conn.executemany(
                "INSERT INTO targets (alert, url, cursor, backfill_from) VALUES (?, ?, ?, ?)",
                [(name, u, start, since) for u in urls],
            )
    except sqlite3.IntegrityError:
        raise AlertError(f"there is already an alert called '{name}'.") from None
    return Alert(name, req, now, [Target(u, start, since) for u in urls])


def remove_alert(conn: sqlite3.Connection, name: str) -> None:
    with _transaction(conn):
        if conn.execute("DELETE FROM alerts WHERE name = ?", (name,)).rowcount == 0:
            raise AlertError(f"there is no alert called '{name}'.")
        conn.execute("DELETE FROM deliveries WHERE alert = ?", (name,))


def list_alerts(conn: sqlite3.Connection) -> list[Alert]:
    rows = conn.execute("SELECT name, request, created FROM alerts ORDER BY name").fetchall()
    return [_alert(conn, *row) for row in rows]


def get_alert(conn: sqlite3.Connection, name: str) -> Alert:
    row = conn.execute("SELECT name, request, created FROM alerts WHERE name = ?",
                       (name,)).fetchone()
    if row is None:
        raise AlertError(f"there is no alert called '{name}'.")
    return _alert(conn, *row)


def _alert(conn: sqlite3.Connection, name: str, request: str, created: float) -> Alert:
    targets = [
        Target(*row)
        for row in conn.execute(
            "SELECT url, cursor, backfill_from, failures, last_error FROM targets "
            "WHERE alert = ? ORDER BY rowid", (name,))
    ]
    return Alert(name, request_from_json(request), created, targets)


def recent_deliveries(
    conn: sqlite3.Connection, name: str, limit: int = 10
) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT url, at, passages, transcripts, error FROM deliveries WHERE alert = ? "
        "ORDER BY at DESC LIMIT ?", (name, limit)).fetchall()
    return [dict(zip(("url", "at", "passages", "transcripts", "error"), r, strict=True))
            for r in rows]


@contextlib.contextmanager
def run_lock(db: Path) -> Iterator[None]:
    """One ``alerts run`` at a time: two at once would send the same digest twice."""
    try:
        with location.pid_lock(db.with_name(LOCK_NAME)):
            yield
    except location.LockHeld as held:
        raise AlertsLocked(
            f"another `transcripts alerts run` is running (pid {held.holder}); "
            "this one sends nothing"
        ) from None


def run(conn: sqlite3.Connection, index: TranscriptIndex | ClusterIndex, send: Send,
        secrets: dict[str, str], names: list[str] | None = None) -> RunReport:
    """Send every target of every alert (or of ``names``) what is new for it; the caller
    holds ``run_lock``."""
    generation, built_at = generation_stamp(index)
    report = RunReport(generation)
    for alert in list_alerts(conn):
        if names and alert.name not in names:
            continue
        for target in alert.targets:
            report.deliveries.append(
                _deliver(conn, index, alert, target, built_at, send, secrets))
    return report


def _deliver(conn: sqlite3.Connection, index: TranscriptIndex | ClusterIndex, alert: Alert,
             target: Target, built_at: float, send: Send, secrets: dict[str, str]) -> Delivery:
    """One target's digest. A reindex may swap the generation during a run: the window
    closes at the generation the passages were read from (``followed``), never later."""
    done = Delivery(alert.name, mask(target.url))
    backfill = dt.date.fromisoformat(target.backfill_from) if target.backfill_from else None
    if built_at <= target.cursor and backfill is None:
        return done  # the index has not changed since this target's last digest
    followed = new_passages(index, alert.request, after=target.cursor, limit=MAX_ENTRIES,
                            dated_from=backfill)
    done.passages, done.transcripts = followed.total, followed.transcripts
    if followed.total:
        try:
            url = fill_secrets(target.url, secrets)
            reason = send(alert, url, followed)
        except AlertError as exc:
            reason = str(exc)
        if reason:
            done.error = reason
            with _transaction(conn):
                conn.execute(
                    "UPDATE targets SET failures = failures + 1, last_error = ? "
                    "WHERE alert = ? AND url = ?", (reason, alert.name, target.url))
                _record(conn, alert, target, followed, reason)
            return done
        done.sent = True
    with _transaction(conn):  # delivered (or nothing to deliver): the window is closed
        conn.execute(
            "UPDATE targets SET cursor = ?, backfill_from = NULL, failures = 0, "
            "last_error = '' WHERE alert = ? AND url = ?",
            (max(followed.built_at, target.cursor), alert.name, target.url))
        if done.sent:
            _record(conn, alert, target, followed, "")
    return done


def _record(conn: sqlite3.Connection, alert: Alert, target: Target, followed: Followed,
            error: str) -> None:
    conn.execute(
        "INSERT INTO deliveries (alert, url, at, generation, after, upto, passages, "
        "transcripts, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (alert.name, target.url, time.time(), followed.generation, target.cursor,
         followed.built_at, followed.total, followed.transcripts, error))


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def fill_secrets(url: str, secrets: dict[str, str]) -> str:
    """``${NAME}`` replaced from ``secrets`` (the secrets file, then the environment)."""
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        # Escaped: a password with ':', '@' or '/' must not change the URL (Apprise
        # decodes it again).
        if name in secrets:
            return quote(secrets[name], safe="")
        if name in os.environ:
            return quote(os.environ[name], safe="")
        raise AlertError(f"${{{name}}} in {mask(url)} is set neither in the environment "
                         "nor in the secrets file")

    return _PLACEHOLDER.sub(value, url)


def load_secrets(path: Path | None) -> dict[str, str]:
    """NAME=VALUE lines (``#`` comments) from a file only its owner may read; {} when
    there is none. A file others can read is refused, as ssh refuses such a key."""
    if path is None or not path.exists():
        return {}
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AlertError(f"{path} can be read by others (mode {stat.S_IMODE(mode):o}): "
                         f"run `chmod 600 {path}` first; its secrets were not used")
    secrets = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
            raise AlertError(f"{path}, line {n}: expected NAME=VALUE")
        secrets[name.strip()] = value.strip()
    return secrets


def secrets_path(db: Path, explicit: str | os.PathLike[str] | None = None) -> Path:
    chosen = explicit or os.environ.get(ENV_SECRETS)
    return Path(chosen) if chosen else db.with_name(SECRETS_NAME)


def mask(url: str) -> str:
    """A URL safe to print: the password, and every path part and query value that may
    be a token (Slack, Telegram and ntfy put them there), replaced by ****; placeholders
    are names, not secrets, and stay."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url.split("://", 1)[0] + "://****"

    def hide(value: str) -> str:
        return value if not value or _PLACEHOLDER.fullmatch(value) else "****"

    user = parts.username or ""
    userinfo = ""
    if user or parts.password:
        userinfo = user + (":" + hide(parts.password or "") if parts.password else "") + "@"
    netloc = userinfo + host + (f":{port}" if port else "")
    path = "/".join(
        seg if "@" in seg or len(seg) < 12 or _PLACEHOLDER.fullmatch(seg) else "****"
        for seg in parts.path.split("/")
    )
    query = "&".join(
        f"{k}={v if k in ('to', 'from', 'cc', 'bcc', 'mode', 'smtp', 'name') else hide(v)}"
        for k, _, v in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def apprise_send(url: str, subject: str, markdown: str) -> str | None:
    """One digest to one Apprise URL: None when it was accepted, else the reason (the
    last error Apprise logged). Markdown, so e-mail gets a plain-text part that keeps
    every link and an HTML part, and chat targets their own rendering."""
    import apprise

    notifier = apprise.Apprise()
    with apprise.LogCapture(  # type: ignore[no-untyped-call]  # Apprise: untyped
        level=apprise.logging.WARNING, fmt="%(message)s"
    ) as log:
        if not notifier.add(url):
            return f"Apprise does not understand the URL {mask(url)}"
        ok = notifier.notify(title=subject, body=markdown,
                             body_format=apprise.NotifyFormat.MARKDOWN)
        lines = [ln.strip() for ln in log.getvalue().splitlines() if ln.strip()]
    if ok:
        return None
    reason = lines[-1] if lines else "the target did not accept it"
    for secret in _secrets_in(url):
        reason = reason.replace(secret, "****")
    return reason


def _secrets_in(url: str) -> list[str]:
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    found += [seg for seg in parts.path.split("/") if len(seg) >= 12]
    return [s for s in found if s]
