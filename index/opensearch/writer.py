"""Building the index on OpenSearch: a full build behind an alias, or an update in place.

A full build writes a new physical index (and its vocabulary index) with refresh off and
no replicas, then gives them their replicas, refreshes them and moves both aliases in
one ``_aliases`` call: searches see the old index or the new one, never a half-built
one. A build that is interrupted or killed leaves the aliases where they were; its
unfinished indices are removed by the next build. The generation the alias left is kept
until the next build (a search may still be reading it); older ones are removed after
the move.

An update (the default when a live index exists) reads only the files added, changed or
removed since the last build (the manifest is kept in the vocabulary index) and applies
them by stable document ids: deletes and index operations in bulk, the vocabulary's
frequencies adjusted, one refresh at the end. Every bulk item that fails is reported
with its reason and the rest is kept; 429 answers are retried with backoff, and so are
503s and connection errors (a node lost mid-build: its shards come back with it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transcripts.index import first_seen, person_names
from transcripts.index.documents import transcript_documents
from transcripts.index.files import Skipped
from transcripts.index.model import Transcript
from transcripts.index.opensearch import mapping
from transcripts.index.opensearch.connection import (
    ClusterSettings,
    ClusterUnavailable,
    client,
    unavailable,
)
from transcripts.index.opensearch.mapping import vocabulary_alias, word_id
from transcripts.index.schema import EXACT, SCHEMA_VERSION, composed
from transcripts.index.writer import (
    Progress,
    ReindexReport,
    outdated,
    read_changes,
    resolve_names,
)

if TYPE_CHECKING:
    from opensearchpy import OpenSearch

CHUNK = 500  # documents per bulk request
BULK_TIMEOUT = 120.0
MAX_429_RETRIES = 8  # per bulk chunk, with exponential backoff from 1 s
NODE_LOST_RETRY_SECONDS = 600.0  # a chunk whose shard lost its node, retried this long
LOCK_STALE_SECONDS = 6 * 3600  # a lock left by a build on another host, after this


class ReindexLocked(RuntimeError):
    """Another reindex into the same alias is running."""


def lock_index(alias: str) -> str:
    return f"{alias}-reindex-lock"


def default_shards(documents: int) -> int:
    """One shard holds tens of millions of short utterances well (a shard of 10-50 GB is
    OpenSearch's advice); more only when the corpus is that big."""
    return max(1, min(12, documents // 20_000_000 + 1))


def default_replicas(conn: OpenSearch) -> int:
    """One copy on another node when there is one: a node lost loses no search."""
    nodes = int(conn.cluster.health()["number_of_data_nodes"])
    return 1 if nodes > 1 else 0


def reindex(
    paths: Iterable[str | os.PathLike[str]],
    settings: ClusterSettings,
    full: bool = False,
    progress: Progress | None = None,
    shards: int | None = None,
    replicas: int | None = None,
) -> ReindexReport:
    """Bring the index behind ``settings.alias`` in line with the files under ``paths``."""
    from opensearchpy import exceptions as ox

    started = time.perf_counter()
    conn = client(settings, timeout=BULK_TIMEOUT)
    try:
        with _lock(conn, settings.alias):
            generation = _generation_doc(conn, settings.alias)
            previous = first_seen.from_dict((generation or {}).get("first_seen"))
            manifest = None if full else (generation or {}).get("manifest")
            because = outdated_mapping(manifest)
            if manifest is None or because:
                report = _full(conn, paths, settings, progress, shards, replicas, because,
                               previous)
            else:
                report = _update(conn, paths, settings, generation or {}, progress, previous)
    except ox.OpenSearchException as exc:
        raise unavailable(settings, exc) from None
    report.seconds = time.perf_counter() - started
    return report


def outdated_mapping(manifest: dict[str, Any] | None) -> str:
    """Why the index with this manifest must be rebuilt in full ("" when it need not):
    ``writer.outdated``'s reasons, and a mapping this version cannot update in place."""
    if manifest is None:
        return ""
    because = outdated(manifest)
    version = manifest.get("mapping", 1)
    if not because and version != mapping.MAPPING_VERSION:
        change = mapping.MAPPING_CHANGES.get(mapping.MAPPING_VERSION, "")
        because = (f"the OpenSearch index was built by an older version of transcripts "
                   f"(mapping {version}, now {mapping.MAPPING_VERSION}"
                   + (f": {change}" if change else "") + ")")
    return because


def cluster_has_index(settings: ClusterSettings) -> bool:
    """Whether the alias names an index on the cluster (``ClusterUnavailable`` if the
    cluster cannot say)."""
    from opensearchpy import exceptions as ox

    try:
        return bool(_alias_targets(client(settings), settings.alias))
    except ox.OpenSearchException as exc:
        raise unavailable(settings, exc) from None


# -- a full build ---------------------------------------------------------------------------
def _full(conn: OpenSearch, paths: Iterable[str | os.PathLike[str]],
          settings: ClusterSettings, progress: Progress | None, shards: int | None,
          replicas: int | None, because: str,
          previous: first_seen.FirstSeen | None) -> ReindexReport:
    alias = settings.alias
    report = ReindexReport(full=True, rebuilt_because=because)
    parsed, new_files, _, _ = read_changes(paths, {}, report, progress)
    seen = first_seen.assign(previous, new_files)
    names = resolve_names(parsed, set())
    documents = sum(len(t.utterances) + 1 for t in parsed)
    shards = shards or default_shards(documents)
    replicas = default_replicas(conn) if replicas is None else replicas

    name = _new_index_name(alias)
    vocabulary_name = vocabulary_alias(name)
    _remove_unfinished(conn, alias)
    conn.indices.create(index=name, body=mapping.index_body(shards, 0))
    conn.indices.create(index=vocabulary_name, body=mapping.vocabulary_body(1, 0))
    vocabulary: Counter[tuple[str, str]] = Counter()
    _bulk(conn, _index_actions(name, parsed, vocabulary, report, progress, seen), report)
    evidence = {t.id: e for t in parsed if (e := person_names.transcript_evidence(t))}
    speakers = names | {u.speaker for t in parsed for u in t.utterances if u.speaker}
    _bulk(conn, _vocabulary_actions(vocabulary_name, vocabulary), report)
    _put_generation(conn, vocabulary_name, new_files, names, evidence, speakers, seen)
    if progress:
        progress("commit", 0, 1)
    # Flushed first: a replica is then a copy of the segment files (seconds), not a replay
    # of every operation, and a node lost soon after recovers from disk (measured on the 8x
    # corpus: without it, 28-45 s to green after a build, and up to 3.5 min after a kill).
    conn.indices.flush(index=f"{name},{vocabulary_name}")
    for index in (name, vocabulary_name):
        conn.indices.put_settings(
            index=index,
            body={"index": {"refresh_interval": "1s", "number_of_replicas": replicas}},
        )
        conn.indices.refresh(index=index)
    # In the path: the client takes a ``timeout`` parameter for its own request timeout.
    conn.transport.perform_request(
        "GET", f"/_cluster/health/{name}?wait_for_status=yellow&timeout=100s"
    )
    left = _alias_targets(conn, alias)
    _move_aliases(conn, alias, name)
    _remove_old(conn, alias, keep=[name, *left])
    report.generation = name
    return report


def _new_index_name(alias: str) -> str:
    return f"{alias}-g{dt.datetime.now(dt.UTC).strftime('%Y%m%d%H%M%S%f')}"


def _index_actions(
    index: str, parsed: list[Transcript], vocabulary: Counter[tuple[str, str]],
    report: ReindexReport,
    progress: Progress | None, seen: first_seen.FirstSeen,
) -> Iterator[dict[str, Any]]:
    for i, t in enumerate(parsed):
        when = seen.times.get(t.id, seen.built_at)
        for doc in transcript_documents(t):
            yield {
                "_op_type": "index",
                "_index": index,
                "_id": mapping.doc_id(doc),
                "_source": {**mapping.source(doc, vocabulary), "first_seen": when},
                "_file": t.file,  # for the report, taken out before sending
            }
        report.transcripts_indexed += 1
        report.utterances_indexed += len(t.utterances)
        if progress:
            progress("index", i + 1, len(parsed))


def _vocabulary_actions(
    index: str, vocabulary: Counter[tuple[str, str]]
) -> Iterator[dict[str, Any]]:
    languages = _languages_counted(vocabulary)
    for (field, word), df in vocabulary.items():
        if not field.startswith(mapping.USES):
            yield {"_op_type": "index", "_index": index, "_id": word_id(field, word),
                   "_source": _word_doc(field, word, df, vocabulary[(mapping.USES, word)],
                                        mapping.by_language(vocabulary, word, languages))}


def _languages_counted(counts: Counter[tuple[str, str]]) -> set[str]:
    """The languages of the per-language counts (``mapping.uses_in`` keys)."""
    head = mapping.uses_in("")
    return {field[len(head):] for field, _ in counts if field.startswith(head)}


def _word_doc(field: str, word: str, df: int, uses: int,
              by_language: dict[str, int] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"field": field, "word": word, "df": df}
    if field == EXACT:
        doc["uses"] = uses
        doc["uses_by_language"] = by_language or {}
    return doc


def _put_generation(conn: OpenSearch, vocabulary_index: str,
                    files: dict[str, dict[str, Any]], names: set[str],
                    evidence: dict[str, person_names.Evidence], speakers: set[str],
                    seen: first_seen.FirstSeen) -> None:
    people = person_names.decide(evidence, speakers)
    conn.index(
        index=vocabulary_index,
        id=mapping.GENERATION_DOC,
        body={
            "field": "_generation",
            "manifest": {"schema": SCHEMA_VERSION, "mapping": mapping.MAPPING_VERSION,
                         "files": files, "names": sorted(names)},
            "people": people.names,
            "first_seen": first_seen.as_dict(seen),
            "evidence": evidence,
            "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )


def _generation_doc(conn: OpenSearch, alias: str) -> dict[str, Any] | None:
    from opensearchpy import exceptions as ox

    try:
        doc: dict[str, Any] = conn.get(index=vocabulary_alias(alias),
                                       id=mapping.GENERATION_DOC)["_source"]
        return doc
    except ox.NotFoundError:
        return None


def _move_aliases(conn: OpenSearch, alias: str, name: str) -> None:
    """Both aliases to the new indices in one call: atomic for every reader."""
    actions: list[dict[str, dict[str, str]]] = []
    for a, target in ((alias, name), (vocabulary_alias(alias), vocabulary_alias(name))):
        for old in _alias_targets(conn, a):
            actions.append({"remove": {"index": old, "alias": a}})
        actions.append({"add": {"index": target, "alias": a}})
    conn.indices.update_aliases(body={"actions": actions})


def _alias_targets(conn: OpenSearch, alias: str) -> list[str]:
    from opensearchpy import exceptions as ox

    try:
        return sorted(conn.indices.get_alias(name=alias))
    except ox.NotFoundError:
        return []


def _our_indices(conn: OpenSearch, alias: str) -> list[str]:
    return sorted(conn.indices.get(index=f"{alias}-g*", expand_wildcards="all",
                                   ignore_unavailable=True))


def _remove_unfinished(conn: OpenSearch, alias: str) -> None:
    """Indices of a build that was killed before its alias move (never searched), and
    the generation the last build kept (see ``_remove_old``)."""
    live = set(_alias_targets(conn, alias)) | set(_alias_targets(conn, vocabulary_alias(alias)))
    stale = [i for i in _our_indices(conn, alias) if i not in live]
    if stale:
        conn.indices.delete(index=",".join(stale))


def _remove_old(conn: OpenSearch, alias: str, keep: list[str]) -> None:
    """Every generation but the new one and the one the alias left: a search that read the
    alias just before the move (a searcher trusts it for a second) still reads that one,
    as the embedded engine keeps its previous generation. The next build removes it."""
    kept = set(keep) | {vocabulary_alias(k) for k in keep}
    old = [i for i in _our_indices(conn, alias) if i not in kept]
    if old:
        conn.indices.delete(index=",".join(old))


# -- an update in place ---------------------------------------------------------------------
def _update(conn: OpenSearch, paths: Iterable[str | os.PathLike[str]],
            settings: ClusterSettings, generation: dict[str, Any], progress: Progress | None,
            previous: first_seen.FirstSeen | None) -> ReindexReport:
    alias = settings.alias
    manifest = generation["manifest"]
    report = ReindexReport(full=False)
    old_files: dict[str, dict[str, Any]] = manifest.get("files", {})
    parsed, new_files, removed, changed_files = read_changes(paths, old_files, report, progress)
    [name] = _alias_targets(conn, alias) or [""]
    report.generation = name
    if not parsed and not removed and not changed_files:
        report.up_to_date = True
        return report
    names = resolve_names(parsed, set(manifest.get("names", [])))
    seen = first_seen.assign(previous, new_files)
    vocabulary_name = vocabulary_alias(name)
    conn.indices.put_settings(index=name, body={"index": {"refresh_interval": "-1"}})
    try:
        gone: Counter[tuple[str, str]] = Counter()
        dropped: set[str] = set()
        stale_ids: list[str] = []
        for key in removed + changed_files:
            dropped.update(old_files[key]["ids"])
        for hit in _documents_of(conn, name, sorted(dropped)):
            stale_ids.append(hit["_id"])
            mapping.source(_as_document(hit["_source"]), gone)
        _bulk(conn, ({"_op_type": "delete", "_index": name, "_id": i} for i in stale_ids),
              report)
        added: Counter[tuple[str, str]] = Counter()
        _bulk(conn, _index_actions(name, parsed, added, report, progress, seen), report)
        _adjust_vocabulary(conn, vocabulary_name, added, gone, report)
        evidence = {k: v for k, v in generation.get("evidence", {}).items() if k not in dropped}
        evidence.update({t.id: e for t in parsed if (e := person_names.transcript_evidence(t))})
        speakers = names | {u.speaker for t in parsed for u in t.utterances if u.speaker}
        if progress:
            progress("commit", 0, 1)
        # The new documents are searchable before the generation document says they
        # exist: an alert that sees this build's time sees all of its passages.
        conn.indices.refresh(index=name)
        _put_generation(conn, vocabulary_name, new_files, names, evidence, speakers, seen)
    finally:
        conn.indices.put_settings(index=name, body={"index": {"refresh_interval": "1s"}})
        conn.indices.refresh(index=f"{name},{vocabulary_name}")
        conn.indices.flush(index=f"{name},{vocabulary_name}")
    return report


def _documents_of(conn: OpenSearch, index: str, tids: list[str]) -> Iterator[dict[str, Any]]:
    """Every document of these transcripts, with what their words are made from."""
    from opensearchpy import helpers

    for start in range(0, len(tids), 1000):
        query = {"query": {"terms": {"tid": tids[start : start + 1000]}}}
        yield from helpers.scan(conn, index=index, query=query, size=1000,
                                _source_includes=["tid", "pos", "kind", "day", "body",
                                                  "role_shown", "meta.title", "lang",
                                                  "f_language"])


def _as_document(src: dict[str, Any]) -> dict[str, Any]:
    """Enough of an ``index.documents`` dict to count the words it held."""
    doc: dict[str, Any] = {
        "tid": src["tid"], "pos": src["pos"], "kind": src["kind"], "day": src.get("day", 0),
        "body": src.get("body") or "", "role": src.get("role_shown"),
        # Its language: its stems were made in it (``mapping.source``).
        "lang": src.get("lang") or "", "f_language": "\n".join(src.get("f_language") or []),
    }
    title = (src.get("meta") or {}).get("title")
    if title:
        doc["title"] = composed(title)
    return doc


def _adjust_vocabulary(conn: OpenSearch, index: str, added: Counter[tuple[str, str]],
                       gone: Counter[tuple[str, str]], report: ReindexReport) -> None:
    """Each touched word's document frequency, read, changed and written back."""
    touched = sorted(k for k in set(added) | set(gone) if not k[0].startswith(mapping.USES))
    current: dict[tuple[str, str], tuple[int, int, dict[str, int]]] = {}  # df, uses, per language
    for start in range(0, len(touched), 1000):
        chunk = touched[start : start + 1000]
        found = conn.mget(index=index, body={"ids": [word_id(f, w) for f, w in chunk]})
        for key, doc in zip(chunk, found["docs"], strict=True):
            src = doc.get("_source") or {}
            current[key] = (int(src.get("df", 0)), int(src.get("uses", 0)),
                            dict(src.get("uses_by_language") or {}))
    changed = _languages_counted(added) | _languages_counted(gone)

    def actions() -> Iterator[dict[str, Any]]:
        for key in touched:
            field, word = key
            df = current[key][0] + added[key] - gone[key]
            uses = current[key][1] + added[(mapping.USES, word)] - gone[(mapping.USES, word)]
            per = current[key][2]
            for code in changed | set(per):
                n = (per.get(code, 0) + added[(mapping.uses_in(code), word)]
                     - gone[(mapping.uses_in(code), word)])
                per = {**per, code: n}
            if df > 0:
                yield {"_op_type": "index", "_index": index, "_id": word_id(field, word),
                       "_source": _word_doc(field, word, df, uses,
                                            {c: n for c, n in per.items() if n > 0})}
            elif current[key][0]:
                yield {"_op_type": "delete", "_index": index, "_id": word_id(field, word)}

    _bulk(conn, actions(), report)


# -- bulk with per-item errors --------------------------------------------------------------
def _bulk(conn: OpenSearch, actions: Iterable[dict[str, Any]], report: ReindexReport) -> None:
    """Send in chunks of CHUNK; each item that still fails after the retries
    (``_send_chunk``) is reported against its file and the rest is kept."""
    files: dict[str, str] = {}

    def stripped() -> Iterator[dict[str, Any]]:
        for action in actions:
            file = action.pop("_file", None)
            if file is not None:
                files[action["_id"]] = file
            yield action

    for chunk in _chunks(stripped(), CHUNK):
        for result in _send_chunk(conn, chunk):
            doc_id = result.get("_id", "")
            error = result.get("error")
            reason = error.get("reason") if isinstance(error, dict) else str(error)
            report.skipped.append(Skipped(files.get(doc_id, doc_id),
                                          f"document {doc_id} was not indexed: {reason}"))


def _chunks(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _send_chunk(conn: OpenSearch, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One chunk, sent until each item is written or has failed for good; the failures.

    A node lost mid-build must lose no document: the chunk is sent again whole when no
    node could take it (a connection error after the client's own retries on every
    host), and its items answered 503 (their shard has no active primary: its node
    died and the cluster waited a minute for it) are sent again, for up to
    NODE_LOST_RETRY_SECONDS with backoff. Every action has its id, so an item sent twice
    is written once. 429s are retried by ``streaming_bulk`` (MAX_429_RETRIES).
    """
    from opensearchpy import exceptions as ox
    from opensearchpy import helpers

    deadline = time.monotonic() + NODE_LOST_RETRY_SECONDS
    backoff = 1.0
    pending = chunk
    while True:
        waiting: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for action in pending:
            waiting.setdefault((action["_op_type"], action["_id"]), []).append(action)
        retry: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []  # the cluster's answer for each item failed for good
        unavailable: list[dict[str, Any]] = []  # and for each item to send again
        try:
            for ok, item in helpers.streaming_bulk(
                conn, pending, chunk_size=len(pending), max_retries=MAX_429_RETRIES,
                initial_backoff=1, max_backoff=60, raise_on_error=False,
                raise_on_exception=True, request_timeout=BULK_TIMEOUT,
            ):
                if ok:
                    continue
                (op, result), = item.items()
                if op == "delete" and result.get("status") == 404:
                    continue  # already gone
                if result.get("status") == 503:
                    retry.append(waiting[(op, result.get("_id", ""))].pop(0))
                    unavailable.append(result)
                else:
                    failed.append(result)
        except ox.ConnectionError:  # timeouts too: ConnectionTimeout is one
            if time.monotonic() + backoff > deadline:
                raise
            retry, failed, unavailable = pending, [], []
        if not retry or time.monotonic() + backoff > deadline:
            return failed + unavailable
        time.sleep(backoff)
        backoff = min(backoff * 2, 30.0)
        pending = retry


# -- one reindex at a time ------------------------------------------------------------------
class _lock:
    """An index whose creation is atomic in the cluster: a second reindex into the same
    alias finds it and refuses. A lock left by a killed build on this host (its process
    gone), or older than LOCK_STALE_SECONDS, is taken over."""

    def __init__(self, conn: OpenSearch, alias: str) -> None:
        self.conn, self.index = conn, lock_index(alias)
        self.owner = {"host": socket.gethostname(), "pid": os.getpid(),
                      "since": time.time()}

    def __enter__(self) -> None:
        from opensearchpy import exceptions as ox

        for _ in range(2):
            try:
                self.conn.indices.create(index=self.index, body={
                    "settings": {"index": {"number_of_shards": 1, "number_of_replicas": 0}},
                    "mappings": {"_meta": self.owner, "dynamic": False},
                })
                return
            except ox.RequestError as exc:
                if "resource_already_exists" not in str(exc):
                    raise
            if not self._stale():
                raise ReindexLocked(
                    f"another reindex into '{self.index.removesuffix('-reindex-lock')}' is "
                    f"running; wait for it to end (or delete the index {self.index} if it "
                    "was stopped)"
                )
            self.conn.indices.delete(index=self.index, ignore_unavailable=True)
        raise ReindexLocked(f"could not take the reindex lock {self.index}")

    def _stale(self) -> bool:
        from opensearchpy import exceptions as ox

        try:
            meta = self.conn.indices.get_mapping(index=self.index)[self.index]["mappings"]
        except (ox.NotFoundError, KeyError):
            return True
        owner = meta.get("_meta", {})
        if time.time() - float(owner.get("since", 0)) > LOCK_STALE_SECONDS:
            return True
        if owner.get("host") == socket.gethostname():
            return not _alive(int(owner.get("pid", 0)))
        return False

    def __exit__(self, *exc: object) -> None:
        # The cluster gone away: the next run takes the lock over.
        with contextlib.suppress(Exception):
            self.conn.indices.delete(index=self.index, ignore_unavailable=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return Path(f"/proc/{pid}").exists()


__all__ = ["ClusterUnavailable", "ReindexLocked", "reindex"]
