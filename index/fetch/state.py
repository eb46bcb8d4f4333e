"""What the fetcher keeps between runs: the corpus folder and the state database in it.

Layout of a corpus folder (``instance/kremlin`` by default)::

    63911.html              an event page, the bytes as served (gzip undone); id = file name
    .fetch-state.sqlite     the state: one row per event URL, plus discovery cursors
    .fetch.lock             held (flock) by the one fetch running
    .63911.html.<pid>.tmp   a page being written (renamed into place when complete)

Hidden names keep the state out of ``transcripts reindex``. A page is written to a
temporary file, flushed to disk and renamed, and only then marked fetched in the
database, so after kill -9 a page file is either whole or absent. A whole file the
database does not know yet is adopted on the next run instead of being fetched again.

The database is plain SQLite (``sqlite3 .fetch-state.sqlite 'select * from pages'``);
times are ISO 8601 UTC text.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from transcripts.index.fetch.clock import iso
from transcripts.index.location import LockHeld, pid_lock

STATE_FILE = ".fetch-state.sqlite"
LOCK_FILE = ".fetch.lock"

PENDING, FETCHED, GONE, FAILED = "pending", "fetched", "gone", "failed"
DISALLOWED = "disallowed"  # robots.txt forbids it (checked again whenever it is listed)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url          TEXT PRIMARY KEY,  -- the event page, on the base URL
    page_id      TEXT NOT NULL,     -- the site's id: the file is <page_id>.html
    status       TEXT NOT NULL,     -- pending | fetched | gone | failed | disallowed
    attempts     INTEGER NOT NULL DEFAULT 0,  -- failed tries since the last answer
    next_retry   TEXT,              -- a failed page is not tried before this time
    http_status  INTEGER,           -- the last HTTP status (NULL: no answer)
    reason       TEXT,              -- why it failed or is gone
    etag         TEXT,              -- validators as sent, for conditional requests
    last_modified TEXT,
    sha256       TEXT,              -- of the stored file
    bytes        INTEGER,
    fetched_at   TEXT,              -- when the stored file was last confirmed current
    listed_date  TEXT,              -- the date the feed or listing gives the entry
    feed_updated TEXT,              -- the feed's <updated> when the page was fetched
    discovered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pages_status ON pages (status);
CREATE TABLE IF NOT EXISTS cursors (
    name       TEXT PRIMARY KEY,    -- e.g. history:all = the last listing page walked
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


class FetchLocked(RuntimeError):
    """Another fetch holds the corpus folder."""


@dataclass
class PageRow:
    url: str
    page_id: str
    status: str
    attempts: int
    next_retry: str | None
    etag: str | None
    last_modified: str | None
    sha256: str | None
    feed_updated: str | None
    listed_date: str | None


@contextlib.contextmanager
def corpus_lock(folder: Path) -> Iterator[None]:
    """One fetch per corpus folder (the same pid lock as a reindex's)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with pid_lock(folder / LOCK_FILE):
            yield
    except LockHeld as held:
        raise FetchLocked(
            f"another fetch is running into {folder} (pid {held.holder}); "
            "wait for it to finish, or stop it, and try again"
        ) from None


class StateStore:
    """The state database; every change is committed at once (a killed run loses nothing)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = sqlite3.connect(folder / STATE_FILE, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- pages ------------------------------------------------------------------------
    def get(self, url: str) -> PageRow | None:
        row = self.db.execute(
            "SELECT url, page_id, status, attempts, next_retry, etag, last_modified, sha256,"
            " feed_updated, listed_date FROM pages WHERE url = ?",
            (url,),
        ).fetchone()
        return PageRow(*row) if row else None

    def discover(self, url: str, page_id: str, listed_date: str, now: float) -> PageRow:
        """Record an entry seen in the feed or a listing (a no-op for a known URL)."""
        self.db.execute(
            "INSERT INTO pages (url, page_id, status, listed_date, discovered_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET"
            " listed_date = coalesce(pages.listed_date, excluded.listed_date)",
            (url, page_id, PENDING, listed_date or None, iso(now)),
        )
        row = self.get(url)
        assert row is not None
        return row

    def due(self, now: float) -> list[PageRow]:
        """Pages to fetch now: pending ones and failed ones whose wait is over, newest first."""
        rows = self.db.execute(
            "SELECT url, page_id, status, attempts, next_retry, etag, last_modified, sha256,"
            " feed_updated, listed_date FROM pages WHERE status = ?"
            " OR (status = ? AND (next_retry IS NULL OR next_retry <= ?))"
            " ORDER BY listed_date DESC, CAST(page_id AS INTEGER) DESC",
            (PENDING, FAILED, iso(now)),
        ).fetchall()
        return [PageRow(*r) for r in rows]

    def outstanding(self) -> int:
        """Pages known but not held yet: pending, or failed and waiting for a later run."""
        count: int = self.db.execute(
            "SELECT count(*) FROM pages WHERE status IN (?, ?)", (PENDING, FAILED)
        ).fetchone()[0]
        return count

    def mark_fetched(
        self,
        url: str,
        sha256: str,
        size: int,
        etag: str | None,
        last_modified: str | None,
        http_status: int,
        feed_updated: str | None,
        now: float,
    ) -> None:
        self.db.execute(
            "UPDATE pages SET status = ?, attempts = 0, next_retry = NULL, http_status = ?,"
            " reason = NULL, etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),"
            " sha256 = ?, bytes = ?, fetched_at = ?, feed_updated = coalesce(?, feed_updated)"
            " WHERE url = ?",
            (FETCHED, http_status, etag, last_modified, sha256, size, iso(now), feed_updated, url),
        )

    def mark_gone(self, url: str, http_status: int, now: float) -> None:
        self.db.execute(
            "UPDATE pages SET status = ?, attempts = 0, next_retry = NULL, http_status = ?,"
            " reason = ?, fetched_at = ? WHERE url = ?",
            (GONE, http_status, f"HTTP {http_status}: the site no longer has it", iso(now), url),
        )

    def mark_failed(self, url: str, reason: str, http_status: int | None, retry_at: float) -> None:
        """A failed page keeps its file and validators, if any; it is tried again later."""
        self.db.execute(
            "UPDATE pages SET status = CASE WHEN sha256 IS NULL THEN ? ELSE ? END,"
            " attempts = attempts + 1, next_retry = ?, http_status = ?, reason = ? WHERE url = ?",
            (FAILED, FETCHED, iso(retry_at), http_status, reason, url),
        )

    def mark_disallowed(self, url: str) -> None:
        self.db.execute(
            "UPDATE pages SET status = ?, reason = ? WHERE url = ?",
            (DISALLOWED, "robots.txt disallows it", url),
        )

    def set_feed_updated(self, url: str, updated: str) -> None:
        self.db.execute("UPDATE pages SET feed_updated = ? WHERE url = ?", (updated, url))

    def requeue(self, url: str, forget_file: bool = False) -> None:
        """A held page to fetch again: the feed says it was edited (a conditional request
        with its validators), or its file was removed (``forget_file``: a plain request)."""
        if forget_file:
            self.db.execute(
                "UPDATE pages SET status = ?, sha256 = NULL, etag = NULL, last_modified = NULL"
                " WHERE url = ?",
                (PENDING, url),
            )
        else:
            self.db.execute("UPDATE pages SET status = ? WHERE url = ?", (PENDING, url))

    def held_pages(self) -> list[tuple[str, str]]:
        """(url, page id) of every page with a stored file."""
        return self.db.execute(
            "SELECT url, page_id FROM pages WHERE status = ?", (FETCHED,)
        ).fetchall()

    # -- cursors ----------------------------------------------------------------------
    def cursor(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, name: str, value: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (name, value, iso(now)),
        )

    def clear_cursor(self, name: str) -> None:
        self.db.execute("DELETE FROM cursors WHERE name = ?", (name,))


def page_file(folder: Path, page_id: str) -> Path:
    return folder / f"{page_id}.html"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder, flushed to disk, renamed: whole or not there.

    The folder itself is synced once at the end of a run (``sync_folder``), not per
    page: a rename lost to a power cut only means that page is fetched again.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(folder: Path) -> int:
    """Temp files left by a killed run (only called under the lock)."""
    removed = 0
    for tmp in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed


CHANGED_AT = "corpus:changed-at"  # when a run last added or changed a page


def _indexed_cursor(target: Path | str) -> str:
    """The cursor that says which changes an index holds: a folder (the embedded index's
    root), or a name for an index elsewhere (``opensearch:HOSTS/ALIAS``)."""
    where = target if isinstance(target, str) else os.path.realpath(target)
    return f"index:{where}:holds-changes-of"


def index_is_behind(folder: Path, root: Path | str) -> bool:
    """Whether pages were added or changed since the index at ``root`` was last updated
    from this folder (a run with --no-reindex, or a reindex that failed or was stopped)."""
    if not (folder / STATE_FILE).exists():
        return False
    store = StateStore(folder)
    try:
        changed = store.cursor(CHANGED_AT)
        return changed is not None and store.cursor(_indexed_cursor(root)) != changed
    finally:
        store.close()


def mark_indexed(folder: Path, root: Path | str) -> None:
    store = StateStore(folder)
    try:
        changed = store.cursor(CHANGED_AT)
        if changed is not None:
            store.set_cursor(_indexed_cursor(root), changed, time.time())
    finally:
        store.close()
