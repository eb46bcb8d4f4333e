"""JSON Lines: the generic input format, for transcripts from any source.

One transcript per line, a JSON object with the fields of ``index.model.Transcript``::

    {"id": "talk-1", "title": "Press conference", "date": "2016-02-08",
     "utterances": [{"label": "Moderator", "text": "Welcome."},
                    {"label": "Jane Doe", "note": "translated", "text": "Thank you.\\nHello."},
                    {"text": "The speakers left the stage."}]}

* ``id`` and ``title`` (strings) are required; ``id`` must be unique within the index.
* Optional strings: ``lead``, ``date`` (``YYYY-MM-DD``), ``time`` (``HH:MM``), ``place``,
  ``published`` (as printed, e.g. "February 8, 2016, 14:15"), ``url``, ``media`` (the
  recording), ``source`` (the collection, a facet; default "JSON Lines"), ``licence``,
  ``attribution``, ``translation_of`` (the id of the transcript this one translates).
* ``language``: the language it is in, as an ISO 639-1 code ("de"), a longer tag or
  three-letter code ("de-AT", "deu") or an English name ("German"); kept as its
  two-letter code. Left out (or ""), it is detected from the text
  (``index.language_detection``) and marked as detected.
* Optional lists of strings: ``geography``, ``topics``, ``persons`` (as "Surname Given",
  used to recognise speakers' names), ``sections``.
* ``utterances`` (or ``blocks``): the body in order. Each item has ``text`` and, for a
  speaker turn, ``label`` (or ``speaker``): the speaker as printed, e.g. "President of
  Russia Vladimir Putin"; the canonical name and role are worked out from it. ``note``
  is an optional remark on the turn ("retranslated"); ``start`` and ``end`` are optional
  times in seconds from the start of the recording; ``language`` is the item's own
  language where it differs from the transcript's (a quotation, an interpreter's turn).
  Items without a label are narrative. Paragraphs within an item are separated by
  newlines.
* Blank lines are skipped. The file is UTF-8.

A bad line (not JSON, not an object, a missing or mistyped field, a bad date, a
``language`` that names no language) does not lose the rest of the file: it is reported
as a ``ReadError`` naming the line and the other lines are read. ``parse_jsonl`` returns
the problems beside the transcripts; the file readers pass them to the caller's
``problems`` list, or log them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any, cast

from transcripts.index import language
from transcripts.index.model import Transcript, Utterance
from transcripts.index.readers.base import ReadError, decode_bytes, finish

log = logging.getLogger(__name__)

SOURCE = "JSON Lines"
_STRING_FIELDS = (
    "lead", "date", "time", "place", "published", "url", "media", "source", "licence",
    "attribution", "translation_of",
)
_LIST_FIELDS = ("geography", "topics", "persons", "sections")
_TIME = re.compile(r"\d{1,2}:\d{2}")


def _string(obj: dict[str, Any], key: str, required: bool = False) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise ValueError(f"missing {key!r}")
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{key!r} must be a string")
    if required and not value.strip():
        raise ValueError(f"empty {key!r}")
    return value


def _strings(obj: dict[str, Any], key: str) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{key!r} must be a list of strings")
    return list(value)


def _language(obj: dict[str, Any], where: str = "") -> str:
    """A ``language`` value as its ISO 639-1 code; "" when absent or empty."""
    value = obj.get("language")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{where}'language' must be a string")
    if not value.strip():
        return ""
    found = language.code(value)
    if not found:
        raise ValueError(
            f"{where}language {value!r} is not a language code or English name we know"
        )
    return found


def _utterance(item: object, n: int) -> Utterance:
    if not isinstance(item, dict):
        raise TypeError(f"utterance {n} is not an object")
    text = _string(item, "text")
    label = item.get("label", item.get("speaker"))
    if label is not None and not isinstance(label, str):
        raise TypeError(f"utterance {n}: label must be a string or null")
    label = label.strip() if label else ""
    times = {key: _seconds(item, key, n) for key in ("start", "end")}
    return Utterance(
        position=n,
        text=text,
        label=label or None,
        note=_string(item, "note"),
        start=times["start"],
        end=times["end"],
        language=_language(item, f"utterance {n}: "),
    )


def _seconds(item: dict[str, Any], key: str, n: int) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e7:
        raise TypeError(f"utterance {n}: {key!r} must be seconds (a number >= 0)")
    return float(value)


def transcript_from_object(obj: object, source: str = "") -> Transcript:
    """One decoded JSON value -> a Transcript; TypeError/ValueError say what is wrong."""
    if not isinstance(obj, dict):
        raise TypeError("not a JSON object")
    fields: dict[str, Any] = {key: _string(obj, key) for key in _STRING_FIELDS}
    fields["language"] = _language(obj)
    if fields["date"]:
        try:
            dt.date.fromisoformat(fields["date"])
        except ValueError:
            raise ValueError(f"date {fields['date']!r} is not YYYY-MM-DD") from None
    if fields["time"] and not _TIME.fullmatch(fields["time"]):
        raise ValueError(f"time {fields['time']!r} is not HH:MM")
    items = obj.get("utterances", obj.get("blocks", []))
    if not isinstance(items, list):
        raise TypeError("'utterances' must be a list")
    t = Transcript(
        id=_string(obj, "id", required=True),
        title=_string(obj, "title", required=True),
        utterances=[_utterance(item, n) for n, item in enumerate(items, start=1)],
        **fields,
        **cast("dict[str, Any]", {key: _strings(obj, key) for key in _LIST_FIELDS}),
    )
    return finish(t, source)


def parse_jsonl(text: str, source: str = "") -> tuple[list[Transcript], list[ReadError]]:
    """All good lines as transcripts, and one ReadError per bad line."""
    transcripts: list[Transcript] = []
    problems: list[ReadError] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            transcripts.append(transcript_from_object(json.loads(line), source))
        except json.JSONDecodeError as e:
            problems.append(ReadError(f"{source}: line {n}: invalid JSON: {e.msg}"))
        except (TypeError, ValueError) as e:
            problems.append(ReadError(f"{source}: line {n}: {e}"))
    return transcripts, problems


def read(
    path: Path, data: bytes | None = None, problems: list[ReadError] | None = None
) -> list[Transcript]:
    """The good transcripts of a file; bad lines go to ``problems`` (or the log).

    Raises ReadError only when nothing in the file could be read.
    """
    path = Path(path)
    text = decode_bytes(path.read_bytes() if data is None else data)
    transcripts, bad = parse_jsonl(text, source=str(path))
    if bad and not transcripts:
        raise ReadError(f"no readable transcript ({len(bad)} bad lines); first: {bad[0]}")
    if problems is not None:
        problems.extend(bad)
    else:
        for problem in bad:
            log.warning("%s", problem)
    return transcripts
