"""Readers: one module per input format, each turning a file into ``Transcript`` records.

``read_file`` picks the reader by suffix and, where a suffix is shared, by content:

* ``.txt``: ParlaMint's text form (``parlamint_text``) when its ``-meta.tsv`` is beside it
  or it opens with a ParlaMint utterance id and a tab; the "Text version" of an
  en.kremlin.ru event page (``kremlin_text``) when it opens with "Events"; Zoom's text
  export (``[Name] hh:mm:ss``) or "LABEL: text" turns otherwise (``plaintext``);
* ``.html`` / ``.htm``: a page of the US Congressional Record (``congressional_record``)
  when it is one, else a saved en.kremlin.ru page (``kremlin_html``);
* ``.vtt``: WebVTT captions (``webvtt``); ``.srt``: SubRip (``srt``);
* ``.xml``: a ParlaMint TEI sitting, plain or ``.ana.xml`` (``parlamint``);
* ``.jsonl``: the generic JSON Lines format (``jsonl``, documented there).

Every reader fills ``file``, numbers the utterances 1..n and resolves speakers
(``index.speakers``); here each transcript also gets its ``source`` (the collection, a
facet) and credit where the reader left them empty, then what a ``NAME.meta.json``
sidecar says (``index.sidecar``), then a title and date from the file name if still
missing, then its language: as stated, else detected (``index.language_detection``).

A file that cannot be read raises ``ReadError`` with a one-line reason; a JSON Lines
file with some bad lines returns the good ones and reports the rest in ``problems``,
and so does a bad sidecar (as a ``SidecarError``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from transcripts.index.language_detection import assign_language
from transcripts.index.model import Transcript
from transcripts.index.readers import (
    congressional_record,
    jsonl,
    kremlin_html,
    kremlin_text,
    parlamint,
    parlamint_text,
    plaintext,
    srt,
    webvtt,
)
from transcripts.index.readers.base import ReadError, decode_bytes
from transcripts.index.sidecar import (
    SidecarError,
    apply_defaults,
    apply_sidecar,
    parse_sidecar,
    read_sidecar_bytes,
    sidecar_path,
)

__all__ = [
    "SUFFIXES",
    "ReadError",
    "SidecarError",
    "companion_files",
    "decode_bytes",
    "read_file",
    "read_file_bytes",
]

log = logging.getLogger(__name__)

SUFFIXES = frozenset({".txt", ".html", ".htm", ".jsonl", ".vtt", ".srt", ".xml"})

KREMLIN = {
    "source": "en.kremlin.ru",
    "licence": "CC BY 4.0",
    "attribution": "President of Russia website (en.kremlin.ru)",
    "language": "en",  # the English site: never detected
}
_NO_SIDECAR = object()


def companion_files(path: Path, sidecar: Path | object | None = _NO_SIDECAR) -> list[Path]:
    """Files beside ``path`` that change what it reads as: its sidecar, a TEI person list.

    An incremental reindex hashes them with the file, so editing one re-reads it.
    ``sidecar``: ``sidecar_path(path)`` when the caller has looked already.
    """
    path = Path(path)
    side = sidecar_path(path) if sidecar is _NO_SIDECAR else sidecar
    # A Path or None: what sidecar_path gives and what callers pass.
    found = [side] if isinstance(side, Path) else []
    if path.suffix.lower() == ".xml":
        found += parlamint.companions(path)
    elif path.suffix.lower() == ".txt":
        found += parlamint_text.companions(path)  # its -meta.tsv tables
    return found


def read_file(path: Path, problems: list[ReadError] | None = None) -> list[Transcript]:
    """The transcripts in one file, with its sidecar applied.

    Raises ReadError when the file as a whole cannot be read. Problems confined to part
    of a file (a bad JSON line, a bad sidecar) are appended to ``problems`` (or logged
    when it is None) and the rest is returned.
    """
    return read_file_bytes(Path(path), None, problems)


def read_file_bytes(
    path: Path,
    data: bytes | None,
    problems: list[ReadError] | None = None,
    sidecar: bytes | object | None = _NO_SIDECAR,
) -> list[Transcript]:
    """As ``read_file``, from bytes the caller has already loaded (to hash them, say).

    ``sidecar``: the sidecar's bytes as the caller read them (None: there is none); left
    out, it is looked up beside ``path``.
    """
    path = Path(path)
    found: list[ReadError] = []
    if data is None:
        data = path.read_bytes()
    transcripts = _read_format(path, data, found)
    if sidecar is _NO_SIDECAR:
        try:
            sidecar = read_sidecar_bytes(path)
        except SidecarError as exc:
            found.append(exc)
            sidecar = None
    meta: dict[str, Any] = {}
    if isinstance(sidecar, bytes):
        side = sidecar_path(path)
        meta, bad = parse_sidecar(sidecar, side.name if side else path.stem + ".meta.json")
        found.extend(bad)
    for t in transcripts:
        apply_sidecar(t, meta)
        apply_defaults(t, path)
        assign_language(t)
    if problems is not None:
        problems.extend(found)
    else:
        for problem in found:
            log.warning("%s: %s", path, problem)
    return transcripts


def _read_format(path: Path, data: bytes, problems: list[ReadError]) -> list[Transcript]:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        text = decode_bytes(data)
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if parlamint_text.is_parlamint_text(path, first):
            return parlamint_text.read(path, text, problems)
        if first.lstrip("\ufeff") == kremlin_text.CATEGORY:
            return _credit(kremlin_text.read(path, data), KREMLIN)
        return [plaintext.parse(text, file=str(path), id=path.stem)]
    if suffix in (".html", ".htm"):
        text = decode_bytes(data)
        if congressional_record.is_congressional_record(text):
            return [congressional_record.parse_record(text, file=str(path), id=path.stem)]
        return _credit(kremlin_html.read(path, data), KREMLIN)
    if suffix == ".vtt":
        return _credit(webvtt.read(path, data), {"source": webvtt.SOURCE})
    if suffix == ".srt":
        return _credit(srt.read(path, data), {"source": srt.SOURCE})
    if suffix == ".xml":
        return parlamint.read(path, data, problems)
    if suffix == ".jsonl":
        return _credit(jsonl.read(path, data, problems), {"source": jsonl.SOURCE})
    expected = ", ".join(sorted(SUFFIXES))
    raise ReadError(f"unknown file type {suffix or '(no suffix)'!r}: expected one of {expected}")


def _credit(transcripts: list[Transcript], defaults: dict[str, str]) -> list[Transcript]:
    for t in transcripts:
        for key, value in defaults.items():
            if not getattr(t, key):
                setattr(t, key, value)
    return transcripts
