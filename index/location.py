"""Where the index lives on disk, and how a new build replaces the old one at once.

Layout of the index folder (``instance/index`` by default)::

    current -> gen-20261127T101500-1234   the live index (a symlink, swapped atomically)
    gen-...                               complete builds: the live one and the previous one
    build-...                             a build in progress (or left by a killed reindex)
    reindex.lock                          held (flock) by the one reindex running

Readers resolve ``current`` and open that folder; a build writes a new folder and then
replaces the symlink with ``os.replace``, so a search sees the whole old index or the
whole new one. Folders are never changed after the swap (incremental builds hard-link
the live folder's files into a new one first), so an open searcher is never disturbed.
This module only names and swaps folders; ``search`` uses the read-only part.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def instance_dir() -> Path:
    """Where runtime data lives: ``instance/`` in a checkout (git-ignored), else the
    user's data folder (``~/.local/share/transcripts`` on Linux), so an installed
    ``transcripts serve`` works from any folder and never writes into site-packages."""
    package = Path(__file__).resolve().parents[1]  # the repository root in a checkout
    if (package / "pyproject.toml").is_file():
        return package / "instance"
    from platformdirs import user_data_path

    return user_data_path("transcripts", appauthor=False)


DEFAULT_INDEX_DIR = instance_dir() / "index"
ENV_VAR = "TRANSCRIPTS_INDEX"
CURRENT = "current"
MANIFEST = "manifest.json"


class IndexLocked(RuntimeError):
    """Another reindex holds the lock."""


# Lock descriptors this process holds, and its pid while it holds one.
_held_locks: set[int] = set()
_holder_pid: int | None = None
_PR_SET_PDEATHSIG = 1
_prctl = getattr(ctypes.CDLL(None), "prctl", None) if sys.platform.startswith("linux") else None


def _after_fork_in_child() -> None:
    """A child forked under the lock is a Whoosh writer process of the reindex.

    flock belongs to the open file, which fork shares: a worker left behind by a killed
    reindex (they wait forever for work) would hold the lock and block every later
    reindex. So the child drops its copy of the lock and is killed with its parent.
    """
    global _holder_pid
    if _holder_pid is None:
        return
    for fd in _held_locks:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held_locks.clear()
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != _holder_pid:  # the parent died before prctl took effect
            os._exit(1)
    _holder_pid = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def index_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--index-dir, else $TRANSCRIPTS_INDEX, else instance/index."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(ENV_VAR) or DEFAULT_INDEX_DIR)


def live_generation(root: Path) -> Path | None:
    """The folder of the live index, or None when no build has completed yet."""
    try:
        target = os.readlink(root / CURRENT)
    except OSError:
        return None
    path = root / target
    return path if path.is_dir() else None


class LockHeld(RuntimeError):
    """Another process holds the lock; ``holder`` is the pid it wrote into the file."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


@contextmanager
def pid_lock(path: Path) -> Iterator[int]:
    """An exclusive flock on ``path`` with our pid written in it (for the message another
    process gets); the kernel drops it even after kill -9. Yields the file descriptor."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise LockHeld(holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield fd
    finally:
        os.close(fd)


@contextmanager
def reindex_lock(root: Path) -> Iterator[None]:
    """One reindex at a time."""
    global _holder_pid
    root.mkdir(parents=True, exist_ok=True)
    try:
        with pid_lock(root / "reindex.lock") as fd:
            _held_locks.add(fd)
            _holder_pid = os.getpid()
            try:
                yield
            finally:
                _held_locks.discard(fd)
                if not _held_locks:
                    _holder_pid = None
    except LockHeld as held:
        raise IndexLocked(
            f"another reindex is running on {root} (pid {held.holder}); "
            "wait for it to finish and try again"
        ) from None


def new_build_dir(root: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 10**9:09d}"
    path = root / f"build-{stamp}"
    path.mkdir(parents=True)
    return path


def clone_generation(source: Path, target: Path) -> None:
    """Hard-link every file: Whoosh never rewrites a segment file, so sharing them is safe."""
    for entry in source.iterdir():
        if entry.is_file() and not entry.name.endswith(".lock"):
            os.link(entry, target / entry.name)


def publish(root: Path, build: Path) -> Path:
    """Rename the finished build to a generation and point ``current`` at it atomically."""
    gen = build.with_name("gen-" + build.name.removeprefix("build-"))
    _fsync_dir(build)
    os.rename(build, gen)
    tmp_link = root / f".current-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(gen.name, tmp_link)
    os.replace(tmp_link, root / CURRENT)
    _fsync_dir(root)
    return gen


def clean_stale(root: Path, keep_previous: int = 1) -> list[str]:
    """Remove unfinished builds and all but the newest older generations.

    Called under the reindex lock, so a ``build-*`` folder here was left by a reindex
    that died, and so was a ``gen-*`` newer than the live one (killed between the rename
    and the swap): it was never live, and keeping it in place of the previous generation
    would delete the one a search process may still be answering from.
    """
    removed = []
    live = live_generation(root)
    gens = sorted(root.glob("gen-*"))
    never_live = [p for p in gens if live is None or p.name > live.name]
    for path in sorted(root.glob("build-*")) + never_live:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    for path in sorted(root.glob(".current-*")):
        path.unlink(missing_ok=True)
    older = [p for p in gens if live is not None and p.name < live.name]
    for path in older[: max(0, len(older) - keep_previous)]:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
