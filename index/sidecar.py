"""``NAME.meta.json`` beside a transcript file: what its format cannot say.

A caption file has no title, date or licence; a sidecar supplies them::

    {"title": "Episode 12: rookie mistakes", "date": "2021-03-04",
     "media": "https://example.org/ep12.mp3", "url": "https://example.org/ep12",
     "source": "Podcasting Q&A", "licence": "CC BY 4.0", "attribution": "Buzzsprout",
     "persons": ["Doe Jane"], "geography": [], "topics": ["Podcasting"], "sections": [],
     "language": "en", "translation_of": "ep12-de"}

Every key is optional; a value given wins over what the file says. ``speakers`` maps the
labels a file has only as placeholders to names: ``{"SPEAKER_00": "Jane Doe"}``
(diarisation tools number speakers per file, so SPEAKER_00 of two files is not one
person). ``language`` states the language the transcript is in (an ISO 639-1 code, a
tag such as "de-AT", a three-letter code or an English name; kept as the two-letter
code), so it is not detected from the text (``index.language_detection``); "" has it
detected after all. A value that names no language is reported and ignored, never
guessed at. ``translation_of`` is the id of the transcript this one translates.

For ``talk.vtt`` the sidecar is ``talk.vtt.meta.json`` or else ``talk.meta.json``.
Without a title the transcript is named after its file, and a ``YYYY-MM-DD`` in the file
name is its date.

A sidecar that cannot be used (bad JSON, a wrong type, an unknown key) is reported as a
``SidecarError`` and the transcript is indexed without it (or without the bad key).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from transcripts.index import language
from transcripts.index.model import Transcript
from transcripts.index.readers.base import ReadError
from transcripts.index.speakers import resolve_speakers

SUFFIX = ".meta.json"
STRING_KEYS = (
    "title", "lead", "date", "time", "place", "url", "media", "source", "licence", "attribution",
    "language", "translation_of",
)
LIST_KEYS = ("persons", "geography", "topics", "sections")
MAX_BYTES = 1 << 20
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")


class SidecarError(ReadError):
    """A sidecar that could not be used, in part or whole; the transcript is still read."""


def sidecar_path(path: Path) -> Path | None:
    """The sidecar of a transcript file, if there is one."""
    path = Path(path)
    for candidate in (path.with_name(path.name + SUFFIX), path.with_name(path.stem + SUFFIX)):
        if candidate.is_file():
            return candidate
    return None


def read_sidecar_bytes(path: Path) -> bytes | None:
    """The sidecar's bytes, None when there is none; SidecarError when it cannot be read."""
    side = sidecar_path(path)
    if side is None:
        return None
    try:
        if side.stat().st_size > MAX_BYTES:
            raise SidecarError(f"{side.name}: larger than 1 MB, ignored")
        return side.read_bytes()
    except OSError as exc:
        raise SidecarError(f"{side.name}: cannot be read ({exc.strerror or exc})") from None


def parse_sidecar(
    data: bytes, name: str = "sidecar"
) -> tuple[dict[str, Any], list[SidecarError]]:
    """The usable keys, and a SidecarError for each thing wrong with the rest."""
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, [SidecarError(f"{name}: not valid JSON ({exc}); ignored")]
    if not isinstance(obj, dict):
        return {}, [SidecarError(f"{name}: not a JSON object; ignored")]
    meta: dict[str, Any] = {}
    problems: list[SidecarError] = []
    for key, value in obj.items():
        if key in STRING_KEYS:
            if not isinstance(value, str):
                problems.append(SidecarError(f"{name}: {key!r} must be a string; ignored"))
            elif key == "date" and value and not _is_date(value):
                problems.append(SidecarError(f"{name}: date {value!r} is not YYYY-MM-DD; ignored"))
            elif key == "language" and value.strip() and not language.code(value):
                problems.append(
                    SidecarError(
                        f"{name}: language {value!r} is not a language code or English name"
                        " we know; ignored"
                    )
                )
            elif key == "language":
                meta[key] = language.code(value)
            else:
                meta[key] = value.strip()
        elif key == "speakers":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
            ):
                problems.append(
                    SidecarError(f"{name}: 'speakers' must map labels to names; ignored")
                )
            else:
                meta[key] = {k.strip(): v.strip() for k, v in value.items()}
        elif key in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(SidecarError(f"{name}: {key!r} must be a list of strings; ignored"))
            else:
                meta[key] = [v.strip() for v in value if v.strip()]
        else:
            problems.append(SidecarError(f"{name}: unknown key {key!r}; ignored"))
    return meta, problems


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def apply_sidecar(t: Transcript, meta: dict[str, Any]) -> None:
    for key, value in meta.items():
        if key == "speakers":
            _rename_speakers(t, value)
        else:
            setattr(t, key, list(value) if isinstance(value, list) else value)


def _rename_speakers(t: Transcript, names: dict[str, str]) -> None:
    """Labels the file only has as placeholders ("SPEAKER_00", "Speaker 2") get real names."""
    renamed = False
    for u in t.utterances:
        if u.label and u.label in names:
            u.label = names[u.label]
            renamed = True
    if renamed:
        resolve_speakers(t)


def apply_defaults(t: Transcript, path: Path) -> None:
    """A title and date from the file name where neither the file nor a sidecar gave one."""
    path = Path(path)
    if not t.title.strip():
        t.title = path.stem
    if not t.date and (m := _DATE_IN_NAME.search(path.stem)) and _is_date(m.group(1)):
        t.date = m.group(1)
