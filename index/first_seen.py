"""When each transcript was first indexed: what "new" means for feeds and alerts.

A page's printed date says when something was said, not when this index learnt of it
(the site sometimes publishes old material, and a reindex rebuilds everything), so every
generation carries a record, ``first-seen.json``: the time each transcript id was first
indexed, and the time the generation was built (``built_at``). Every transcript of a
generation was first seen at or before its ``built_at``, and every transcript new to a
later generation after it: an alert that has delivered everything up to one generation's
``built_at`` asks the next one for what came after, and nothing falls between.

Each build copies the live generation's record (a full rebuild too, so ids keep their
times) and adds the ids it has not seen at the build's time. Ids removed from the corpus
stay in the record: a file that goes and comes back is not news twice.

When there is no record to copy (the first build, or an index folder deleted and built
again from the same files) a transcript's time is recovered from its file's modification
time, never later than the build: the fetcher writes each page once, when it fetches it,
so a rebuilt index gets back the times it had, and alerts do not send old passages again.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE = "first-seen.json"


@dataclass
class FirstSeen:
    built_at: float  # unix time; every transcript of the generation was first seen by then
    times: dict[str, float]  # transcript id -> unix time it was first indexed


def load(generation: Path | None) -> FirstSeen | None:
    """The record of a generation; None when it has none (built before records were
    kept) or it cannot be read."""
    if generation is None:
        return None
    try:
        return from_dict(json.loads((generation / FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def build(
    generation: Path, previous: FirstSeen | None, files: dict[str, dict[str, Any]]
) -> FirstSeen:
    """Write the record of a new generation whose manifest is ``files`` (file key -> entry
    with the transcript ``ids`` it gave), carrying ``previous`` (the live generation's)."""
    record = assign(previous, files)
    tmp = generation / (FILE + ".tmp")
    tmp.write_text(json.dumps(as_dict(record)), encoding="utf-8")
    os.replace(tmp, generation / FILE)
    return record


def assign(previous: FirstSeen | None, files: dict[str, dict[str, Any]]) -> FirstSeen:
    """The record of a build of ``files``: ``previous``'s times, and a time for each id
    it lacks (the OpenSearch writer keeps it in its generation document)."""
    now = time.time()
    if previous is not None:
        # Later than the previous build, by a whole second: a clock set back never
        # reorders builds, and two builds never share a Last-Modified (whole seconds).
        now = max(now, math.floor(previous.built_at) + 1)
    times = dict(previous.times) if previous is not None else {}
    for key, entry in files.items():
        missing = [tid for tid in entry["ids"] if tid not in times]
        if not missing:
            continue
        when = now if previous is not None else min(now, _modified(key) or now)
        for tid in missing:
            times[tid] = when
    return FirstSeen(now, times)


def as_dict(record: FirstSeen) -> dict[str, Any]:
    return {"built_at": record.built_at, "times": record.times}


def from_dict(data: dict[str, Any] | None) -> FirstSeen | None:
    try:
        return FirstSeen(float(data["built_at"]),  # type: ignore[index]
                         {k: float(v) for k, v in data["times"].items()})  # type: ignore[index]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _modified(file_key: str) -> float | None:
    """The modification time of the file a manifest key names (its resolved path)."""
    try:
        return os.stat(file_key).st_mtime
    except OSError:
        return None
