"""Finding the transcript files under the paths a user gives, safely.

A reindex must not die on one odd path: a symlink loop, a file that vanishes or an
unreadable folder is reported as a skipped path with its reason, and the walk goes on.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from transcripts.index.readers import SUFFIXES


@dataclass
class Skipped:
    path: str
    reason: str


def discover(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Skipped]]:
    """Every file with a transcript suffix under ``paths``, sorted, and what was skipped."""
    found, skipped = discover_keyed(paths)
    return [path for path, _ in found], skipped


def discover_keyed(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[tuple[Path, str]], list[Skipped]]:
    """``discover``, each file with its ``file_key``."""
    found: dict[str, Path] = {}
    skipped: list[Skipped] = []
    for raw in paths:
        path = Path(raw)
        try:
            path.stat()  # a missing path or a symlink loop is reported, not raised
        except OSError as exc:
            skipped.append(Skipped(str(path), os_reason(exc)))
            continue
        if path.is_dir():
            for file, key in _walk(path, skipped):
                found.setdefault(key, file)
        elif path.suffix.lower() in SUFFIXES:
            found.setdefault(file_key(path), path)
        else:
            skipped.append(
                Skipped(str(path), f"unsupported file type '{path.suffix or path.name}'")
            )
    return sorted(((p, k) for k, p in found.items()), key=lambda pk: pk[0]), skipped


def _walk(top: Path, skipped: list[Skipped]) -> Iterator[tuple[Path, str]]:
    """Files under ``top`` with their keys: a file that is no symlink is its folder's
    real path and its name (the folder resolved once, not each file's every part)."""
    def on_error(exc: OSError) -> None:
        skipped.append(Skipped(str(exc.filename), os_reason(exc)))

    # followlinks=False: a linked folder could loop back on itself.
    for folder, dirs, files in os.walk(top, onerror=on_error):
        real_folder = os.path.realpath(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in dirs:
            if os.path.islink(os.path.join(folder, name)):
                skipped.append(
                    Skipped(
                        os.path.join(folder, name),
                        "linked folder not followed (it could loop); give its target to index it",
                    )
                )
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            key = os.path.join(real_folder, name)
            if path.is_symlink():
                try:
                    path.stat()
                except OSError as exc:
                    reason = os_reason(exc)
                    if exc.errno == errno.ENOENT:
                        reason = "broken symlink (its target does not exist)"
                    skipped.append(Skipped(str(path), reason))
                    continue
                key = file_key(path)
            if path.suffix.lower() in SUFFIXES:
                yield path, key


def file_key(path: Path) -> str:
    """The real path, naming a file once however it was reached.

    ``os.path.realpath`` rather than ``Path.resolve``: on Python 3.11 the latter raises
    RuntimeError for a symlink loop, which would stop the whole reindex.
    """
    return os.path.realpath(path)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; OSError with a readable reason for anything else.

    Opened without blocking and checked to be a regular file: a fifo named ``x.txt``
    would otherwise hang the reindex waiting for a writer, and a device never ends.
    A file over the limit is refused by its size, before any of it is read.
    """
    too_big = OSError(errno.EFBIG, f"file larger than {max_bytes // 2**20} MB")
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a pipe, socket or device)")
        if st.st_size > max_bytes:
            raise too_big
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew while being read
        raise too_big
    return data


def os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "no such file (it may have been removed during the run)"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)
