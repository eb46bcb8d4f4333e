"""Readers: one module per input format, each turning a file into ``Transcript`` records.

``read_file`` picks the reader by suffix. Every reader fills ``source``, numbers the
utterances 1..n and resolves speakers (``index.speakers``), so records look alike
whatever the format:

* ``.txt``: the "Text version" of an en.kremlin.ru event page (``kremlin_text``);
* ``.html`` / ``.htm``: the saved page itself, read from its markup (``kremlin_html``);
* ``.jsonl``: the generic JSON Lines format (``jsonl``, documented there).

A file that cannot be read raises ``ReadError`` with a one-line reason; a JSON Lines
file with some bad lines returns the good ones and reports the rest in ``problems``.
"""

from __future__ import annotations

from pathlib import Path

from index.model import Transcript
from index.readers import jsonl, kremlin_html, kremlin_text
from index.readers.base import ReadError, decode_bytes

__all__ = ["SUFFIXES", "ReadError", "decode_bytes", "read_file", "read_file_bytes"]

SUFFIXES = frozenset({".txt", ".html", ".htm", ".jsonl"})


def read_file(path: Path, problems: list[ReadError] | None = None) -> list[Transcript]:
    """The transcripts in one file.

    Raises ReadError when the file as a whole cannot be read. Problems confined to part
    of a file (a bad JSON line) are appended to ``problems`` (or logged when it is None)
    and the rest is returned.
    """
    return read_file_bytes(Path(path), None, problems)


def read_file_bytes(
    path: Path, data: bytes | None, problems: list[ReadError] | None = None
) -> list[Transcript]:
    """As ``read_file``, from bytes the caller has already loaded (to hash them, say)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return kremlin_text.read(path, data)
    if suffix in (".html", ".htm"):
        return kremlin_html.read(path, data)
    if suffix == ".jsonl":
        return jsonl.read(path, data, problems)
    expected = ", ".join(sorted(SUFFIXES))
    raise ReadError(f"unknown file type {suffix or '(no suffix)'!r}: expected one of {expected}")
