"""Building the index: full rebuilds and incremental updates, published atomically.

Every run writes a new generation folder (see ``location``): a full run from scratch, an
incremental run from hard links to the live one, touching only the files added, changed
(by content hash) or removed since the last run. The manifest of which file gave which
transcripts, with its hash, is written beside the index in the same folder, so the two
can never disagree. It also keeps each file's size and modification time (and its
companions'): a file whose stat is as recorded is not read again, so an update of one
file does not hash thousands; a changed stat still goes by the hash.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from transcripts.index import first_seen, location, person_names, tables
from transcripts.index.documents import transcript_documents
from transcripts.index.files import Skipped, discover_keyed, file_digest, os_reason, read_bytes
from transcripts.index.model import Transcript
from transcripts.index.readers import ReadError, SidecarError, companion_files, read_file_bytes
from transcripts.index.schema import KIND_PAGE, SCHEMA_VERSION, make_schema, open_whoosh
from transcripts.index.sidecar import sidecar_path
from transcripts.index.speakers import learn_names, resolve_speakers

MAX_FILE_BYTES = 20 * 2**20  # the largest real page is well under 1 MB

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class NothingIndexed(RuntimeError):
    """No file could be read, so the live index was left as it was."""


@dataclass
class ReindexReport:
    full: bool
    files_seen: int = 0
    files_read: int = 0  # parsed in this run (added or changed)
    files_unchanged: int = 0
    files_removed: int = 0
    transcripts_indexed: int = 0  # written in this run
    utterances_indexed: int = 0
    transcripts_total: int = 0  # in the index after the run
    skipped: list[Skipped] = field(default_factory=list)
    # Read, but not all of it used: a bad sidecar (the transcript is indexed without it).
    warnings: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    generation: str = ""
    up_to_date: bool = False
    # Why a run asked to update rebuilt everything instead (an index of an older version).
    rebuilt_because: str = ""
    # Files hashed because their size or time changed, and found unchanged.
    stats_refreshed: int = 0


def reindex(
    paths: Iterable[str | os.PathLike[str]],
    root: Path,
    full: bool = False,
    progress: Progress | None = None,
    procs: int = 1,
) -> ReindexReport:
    """Bring the index at ``root`` in line with the transcript files under ``paths``."""
    started = time.perf_counter()
    with location.reindex_lock(root):
        location.clean_stale(root)
        live = location.live_generation(root)
        manifest = None if full or live is None else _load_manifest(live)
        because = outdated(manifest)
        if because:
            manifest = None  # built by an older version: rebuild in full
        report = ReindexReport(full=manifest is None, rebuilt_because=because)
        old_files: dict[str, dict[str, Any]] = (manifest or {}).get("files", {})
        parsed, new_files, removed, changed_files = read_changes(
            paths, old_files, report, progress
        )
        if manifest is not None and not parsed and not removed and not changed_files:
            if report.stats_refreshed:
                assert live is not None  # a manifest is only loaded from a live generation
                _refresh_stats(live, manifest)  # hashed alike: skip them next time
            report.up_to_date = True
            report.generation = live.name if live else ""
            report.seconds = time.perf_counter() - started
            return report

        names = resolve_names(parsed, set((manifest or {}).get("names", [])))

        build = location.new_build_dir(root)
        if manifest is None:
            ix = whoosh_index.create_in(build, make_schema())
            writer = ix.writer(procs=procs, multisegment=procs > 1, limitmb=256)
        else:
            assert live is not None  # a manifest is only loaded from a live generation
            location.clone_generation(live, build)
            ix = open_whoosh(lambda: whoosh_index.open_dir(build))
            writer = ix.writer(limitmb=256)
            for key in removed + changed_files:
                writer.delete_by_term("file", key)
        bodies: dict[tuple[str, int, bool], str | None] = {}  # for the tables: not read back
        for i, t in enumerate(parsed):
            for doc in transcript_documents(t):
                writer.add_document(**doc)
                doc_key = (doc["tid"], doc["pos"], doc["kind"] == KIND_PAGE)
                # Two documents with one key (a transcript id in two files): read back.
                bodies[doc_key] = doc["body"] if doc_key not in bodies else None
            report.transcripts_indexed += 1
            report.utterances_indexed += len(t.utterances)
            if progress:
                progress("index", i + 1, len(parsed))
        if progress:
            progress("commit", 0, 1)
        writer.commit()
        ix.close()
        # What every searcher needs, so opening costs milliseconds; an incremental build
        # takes the words of the transcripts it did not touch from the live generation.
        changed = {t.id for t in parsed}
        for key in removed + changed_files:
            changed.update(old_files[key]["ids"])
        before = tables.previous(live, changed) if manifest is not None else None
        tables.build(build, before, bodies)
        person_names.build(
            build,
            parsed,
            names | {u.speaker for t in parsed for u in t.utterances if u.speaker},
            person_names.load(live) if manifest is not None else None,
            changed,
            (tid for entry in new_files.values() for tid in entry["ids"]),
            live if manifest is not None else None,
        )
        # Cloned as a hard link to the live one: replaced, not written through.
        (build / first_seen.FILE).unlink(missing_ok=True)
        first_seen.build(build, first_seen.load(live), new_files)
        (build / location.MANIFEST).unlink(missing_ok=True)
        (build / location.MANIFEST).write_text(
            json.dumps(
                {"schema": SCHEMA_VERSION, "files": new_files, "names": sorted(names)},
                ensure_ascii=False,
            )
        )
        gen = location.publish(root, build)
        location.clean_stale(root)
        report.generation = gen.name
        report.seconds = time.perf_counter() - started
        return report


def read_files(
    paths: Iterable[str | os.PathLike[str]],
    old_files: dict[str, dict[str, Any]],
    report: ReindexReport,
    progress: Progress | None = None,
) -> tuple[list[Transcript], dict[str, dict[str, Any]]]:
    """The transcripts of the files under ``paths`` that are new or changed since
    ``old_files`` (a manifest's; empty: all of them), each file's manifest entry, and in
    ``report`` what was seen, read and skipped. Both backends' writers read through here."""
    files, report.skipped = discover_keyed(paths)
    report.files_seen = len(files)
    new_files: dict[str, dict[str, Any]] = {}
    parsed: list[Transcript] = []  # read in this run; ``file`` is the file key
    for i, (path, key) in enumerate(files):
        try:
            _read_one(path, key, old_files, new_files, parsed, report)
        finally:  # skipped files count too, or the progress bar never reaches its end
            if progress:
                progress("read", i + 1, len(files))
    return _drop_duplicate_ids(parsed, new_files, old_files, report), new_files


def read_changes(
    paths: Iterable[str | os.PathLike[str]],
    old_files: dict[str, dict[str, Any]],
    report: ReindexReport,
    progress: Progress | None = None,
) -> tuple[list[Transcript], dict[str, dict[str, Any]], list[str], list[str]]:
    """``read_files``, and the manifest keys of the files removed and changed since
    ``old_files``; NothingIndexed when no transcript is left to index."""
    parsed, new_files = read_files(paths, old_files, report, progress)
    removed = [k for k in old_files if k not in new_files]
    changed = [k for k in new_files if k in old_files and new_files[k] is not old_files[k]]
    report.files_removed = len(removed)
    report.transcripts_total = sum(len(f["ids"]) for f in new_files.values())
    if report.transcripts_total == 0:
        raise NothingIndexed(
            "nothing could be indexed: no readable transcript under "
            + ", ".join(str(p) for p in paths)
        )
    return parsed, new_files, removed, changed


def resolve_names(parsed: list[Transcript], names: set[str]) -> set[str]:
    """The speaker names known so far plus those the new transcripts teach, each
    transcript's speakers resolved against them all."""
    for t in parsed:
        names |= learn_names(t)
    for t in parsed:
        resolve_speakers(t, names)
    return names


def _read_one(
    path: Path,
    key: str,
    old_files: dict[str, dict[str, Any]],
    new_files: dict[str, dict[str, Any]],
    parsed: list[Transcript],
    report: ReindexReport,
) -> None:
    """Read one file into ``parsed`` and ``new_files``, or report why it was skipped
    (``key``: its ``file_key``)."""
    stamp = _stamp(path)
    old = old_files.get(key)
    if old is not None and stamp is not None and old.get("stat") == stamp:
        new_files[key] = old  # as it was when last read: not read again
        report.files_unchanged += 1
        return
    try:
        data = read_bytes(path, MAX_FILE_BYTES)
    except OSError as exc:
        _keep_old(key, old_files, new_files, report, path, os_reason(exc))
        return
    digest = file_digest(data)
    companions, sidecar, problems = _companions(path)
    if (
        key in old_files
        and old_files[key]["sha256"] == digest
        and old_files[key].get("companions", "") == companions
    ):
        old_files[key]["stat"] = stamp  # the same entry, so not counted as changed
        report.stats_refreshed += 1
        new_files[key] = old_files[key]
        report.files_unchanged += 1
        return
    try:
        transcripts = read_file_bytes(path, data, problems, sidecar)
    except ReadError as exc:
        _keep_old(key, old_files, new_files, report, path, str(exc))
        return
    for p in problems:
        kind = report.warnings if isinstance(p, SidecarError) else report.skipped
        kind.append(Skipped(str(path), str(p)))
    for t in transcripts:
        t.file = key
    parsed.extend(transcripts)
    new_files[key] = {"sha256": digest, "companions": companions, "stat": stamp, "ids": []}
    report.files_read += 1


# A file changed again within this long of its last write could keep its size and a
# modification time the clock has not moved past: such a stat is not recorded, so the
# next run hashes the file (git's "racily clean" entries, the same way).
_SETTLED_NS = 2 * 10**9


def _stamp(path: Path) -> str | None:
    """Size and modification time of the file and of its companions, or None when one
    cannot be taken or is too recent to vouch for the content."""
    try:
        parts = []
        for file in [path, *companion_files(path)]:
            st = os.stat(file)
            if time.time_ns() - st.st_mtime_ns < _SETTLED_NS:
                return None
            parts.append(f"{file.name}:{st.st_size}:{st.st_mtime_ns}")
    except OSError:
        return None
    return ";".join(parts)


def _refresh_stats(live: Path, manifest: dict[str, Any]) -> None:
    """Rewrite the live manifest with the times of files found unchanged by their hash
    (only the writer reads it, under the reindex lock; replaced, never written over, as
    a later generation's hard link to it must keep its own)."""
    tmp = live / (location.MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False))
    os.replace(tmp, live / location.MANIFEST)


def _companions(path: Path) -> tuple[str, bytes | None, list[ReadError]]:
    """One digest over the files beside ``path`` that change its reading (its sidecar,
    a TEI person list), so editing one alone re-reads the file; and the sidecar's bytes.
    """
    problems: list[ReadError] = []
    side = sidecar_path(path)
    sidecar: bytes | None = None
    parts: list[str] = []
    for companion in companion_files(path, side):
        try:
            if companion != side:  # a corpus-wide list: shared by thousands of sittings
                info = companion.stat()
                digest = _shared_digest(str(companion), info.st_size, info.st_mtime_ns)
                parts.append(f"{companion.name}:{digest}")
                continue
            data = read_bytes(companion, MAX_FILE_BYTES)
        except OSError as exc:
            if companion == side:
                problems.append(SidecarError(f"{companion.name}: {os_reason(exc)}; ignored"))
            continue
        sidecar = data
        parts.append(f"{companion.name}:{file_digest(data)}")
    return ";".join(parts), sidecar, problems


@functools.lru_cache(maxsize=64)
def _shared_digest(path: str, size: int, mtime_ns: int) -> str:
    """A companion list's digest, computed once while its size and time stay the same:
    a ParlaMint corpus's person list (MBs) is a companion of every sitting."""
    return file_digest(read_bytes(Path(path), MAX_FILE_BYTES))


def _keep_old(
    key: str,
    old_files: dict[str, dict[str, Any]],
    new_files: dict[str, dict[str, Any]],
    report: ReindexReport,
    path: Path,
    reason: str,
) -> None:
    """A file that cannot be read now keeps what an earlier run indexed from it."""
    if key in old_files:
        new_files[key] = old_files[key]
        reason += " (kept the version indexed before)"
    report.skipped.append(Skipped(str(path), reason))


def _drop_duplicate_ids(
    parsed: list[Transcript],
    new_files: dict[str, dict[str, Any]],
    old_files: dict[str, dict[str, Any]],
    report: ReindexReport,
) -> list[Transcript]:
    """A transcript id belongs to the first file that gave it; later copies are reported."""
    owner: dict[str, str] = {}
    for key, entry in new_files.items():
        if key in old_files and entry is old_files[key]:
            for tid in entry["ids"]:
                owner[tid] = key
    kept: list[Transcript] = []
    for t in parsed:
        if t.id in owner:
            report.skipped.append(
                Skipped(
                    t.file, f"duplicate transcript id {t.id} (already read from {owner[t.id]})"
                )
            )
            continue
        owner[t.id] = t.file
        new_files[t.file]["ids"].append(t.id)
        kept.append(t)
    return kept


# What changed in each schema version, for the message that explains a full rebuild.
SCHEMA_CHANGES = {
    4: "words are now found with or without accents, cafe and café alike",
    5: "words are now stemmed in their own language, with language and party facets",
}


def outdated(manifest: dict[str, Any] | None) -> str:
    """Why an index with this manifest must be rebuilt in full ("" when it need not)."""
    if manifest is None or manifest.get("schema") == SCHEMA_VERSION:
        return ""
    old = manifest.get("schema")
    since = range(old + 1, SCHEMA_VERSION + 1) if isinstance(old, int) else [SCHEMA_VERSION]
    change = "; ".join(SCHEMA_CHANGES[v] for v in since if v in SCHEMA_CHANGES)
    return (
        f"the index was built by an older version of transcripts (index format "
        f"{manifest.get('schema')}, now {SCHEMA_VERSION}"
        + (f": {change}" if change else "")
        + ")"
    )


def live_outdated(root: Path) -> str:
    """``outdated`` for the live generation at ``root`` (for a warning before serving)."""
    live = location.live_generation(root)
    return outdated(_load_manifest(live)) if live is not None else ""


def _load_manifest(gen: Path) -> dict[str, Any] | None:
    try:
        manifest: dict[str, Any] = json.loads((gen / location.MANIFEST).read_text())
        return manifest
    except (OSError, ValueError):
        return None  # an unreadable manifest means a full rebuild, never a wrong one
