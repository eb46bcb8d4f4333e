"""The write path: full and incremental builds, atomic publication, bad files, locking."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from tests.conftest import SEEDS
from transcripts.index import location, writer
from transcripts.index.files import read_bytes
from transcripts.index.writer import NothingIndexed, reindex
from transcripts.search.engine import TranscriptIndex, get_transcript, search
from transcripts.search.results import SearchRequest

SEED_ID = "000_91ae9584c00e0a1f"


@pytest.fixture
def sample(tmp_path, corpus_text):
    """A folder with a handful of real pages (copies: tests change them)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("51279.txt", "17116.txt", "62866.txt", "29282.txt"):
        shutil.copy(corpus_text / name, folder / name)
    shutil.copy(SEEDS / f"{SEED_ID}.txt", folder)
    return folder


def total(root, q=""):
    return search(TranscriptIndex(root), SearchRequest(q=q)).total_transcripts


def test_seed_page_indexes_and_is_searchable(tmp_path):
    root = tmp_path / "ix"
    report = reindex([SEEDS / f"{SEED_ID}.txt"], root)
    assert report.full and report.transcripts_total == 1 and report.utterances_indexed >= 3
    result = search(TranscriptIndex(root), SearchRequest(q="Azerbaijan schools"))
    assert result.transcripts[0].id == SEED_ID
    assert result.transcripts[0].title == "Talks with President of Azerbaijan Ilham Aliyev"


def test_second_run_with_nothing_changed_is_up_to_date(tmp_path, sample):
    root = tmp_path / "ix"
    first = reindex([sample], root)
    second = reindex([sample], root)
    assert second.up_to_date and second.files_read == 0
    assert second.generation == first.generation


def test_incremental_run_reads_only_the_changed_file(tmp_path, sample):
    root = tmp_path / "ix"
    reindex([sample], root)
    seed = sample / f"{SEED_ID}.txt"
    seed.write_text(seed.read_text().replace("It is a pleasure", "It is a zanzibarian pleasure"))
    report = reindex([sample], root)
    assert not report.full and report.files_read == 1 and report.files_unchanged == 4
    assert total(root, "zanzibarian") == 1
    assert total(root) == 5


def test_incremental_run_drops_removed_files(tmp_path, sample):
    root = tmp_path / "ix"
    reindex([sample], root)
    (sample / f"{SEED_ID}.txt").unlink()
    report = reindex([sample], root)
    assert report.files_removed == 1 and total(root) == 4
    assert get_transcript(TranscriptIndex(root), SEED_ID) is None


def test_new_build_replaces_the_live_folder_and_keeps_one_previous(tmp_path, sample):
    root = tmp_path / "ix"
    gens = [reindex([sample], root, full=True).generation for _ in range(3)]
    assert len(set(gens)) == 3
    assert location.live_generation(root).name == gens[-1]
    assert sorted(p.name for p in root.glob("gen-*")) == sorted(gens[1:])


def test_broken_files_are_reported_and_the_rest_indexed(tmp_path, sample):
    (sample / "empty.txt").write_bytes(b"")
    (sample / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (sample / "notes.pdf").write_bytes(b"%PDF")
    root = tmp_path / "ix"
    report = reindex([sample, tmp_path / "missing-folder"], root)
    reasons = {os.path.basename(s.path): s.reason for s in report.skipped}
    assert set(reasons) >= {"empty.txt", "binary.txt", "missing-folder"}
    assert all(reasons[k] for k in reasons)
    assert report.transcripts_total == 5


def test_a_file_broken_after_indexing_keeps_its_indexed_version(tmp_path, sample):
    root = tmp_path / "ix"
    reindex([sample], root)
    (sample / f"{SEED_ID}.txt").write_bytes(b"\x00\x01binary now")
    report = reindex([sample], root)
    assert any("kept the version indexed before" in s.reason for s in report.skipped)
    assert get_transcript(TranscriptIndex(root), SEED_ID) is not None


def test_same_transcript_id_twice_keeps_the_first(tmp_path, sample):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(sample / "51279.txt", other / "51279.txt")
    report = reindex([sample, other], tmp_path / "ix")
    assert any("duplicate transcript id 51279" in s.reason for s in report.skipped)
    assert report.transcripts_total == 5


def test_nothing_readable_fails_and_leaves_the_old_index(tmp_path, sample):
    root = tmp_path / "ix"
    reindex([sample], root)
    live = location.live_generation(root)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.txt").write_bytes(b"")
    with pytest.raises(NothingIndexed):
        reindex([junk], root, full=True)
    assert location.live_generation(root) == live and total(root) == 5


def test_second_reindex_while_one_runs_stops_with_a_clear_message(tmp_path, sample):
    root = tmp_path / "ix"
    with location.reindex_lock(root), pytest.raises(location.IndexLocked, match="another reindex"):
        reindex([sample], root)


def test_leftovers_of_a_killed_build_are_cleaned(tmp_path, sample):
    root = tmp_path / "ix"
    reindex([sample], root)
    stale = location.new_build_dir(root)
    (stale / "junk.seg").write_bytes(b"half written")
    reindex([sample], root, full=True)
    assert not stale.exists()


def test_open_index_follows_a_reindex_without_reopening(tmp_path, sample):
    root = tmp_path / "ix"
    reindex([sample], root)
    index = TranscriptIndex(root)
    assert search(index, SearchRequest()).total_transcripts == 5
    (sample / "51279.txt").unlink()
    reindex([sample], root)
    assert search(index, SearchRequest()).total_transcripts == 4


def _settle(folder, seconds_ago=3600):
    """Modification times well in the past, as files that were not just written."""
    when = time.time() - seconds_ago
    for path in folder.iterdir():
        os.utime(path, (when, when))


@pytest.fixture
def reads(monkeypatch):
    """The names of the files the reindex reads, in order."""
    names: list[str] = []

    def counting(path, max_bytes):
        names.append(os.path.basename(path))
        return read_bytes(path, max_bytes)

    monkeypatch.setattr(writer, "read_bytes", counting)
    return names


def test_a_file_with_its_recorded_size_and_time_is_not_read_again(tmp_path, sample, reads):
    _settle(sample)
    root = tmp_path / "ix"
    reindex([sample], root)
    assert len(reads) == 5
    reads.clear()
    before = location.live_generation(root) / location.MANIFEST
    recorded = before.read_text()
    seed = sample / f"{SEED_ID}.txt"
    seed.write_text(seed.read_text().replace("It is a pleasure", "It is a zanzibarian pleasure"))
    report = reindex([sample], root)
    assert reads == [seed.name]
    assert before.read_text() == recorded  # the previous generation keeps its manifest
    assert report.files_read == 1 and report.files_unchanged == 4
    assert total(root, "zanzibarian") == 1 and total(root) == 5


def test_a_file_rewritten_with_the_same_size_is_hashed_and_a_change_found(
    tmp_path, sample, reads
):
    _settle(sample)
    root = tmp_path / "ix"
    reindex([sample], root)
    seed = sample / f"{SEED_ID}.txt"
    same = seed.read_bytes()
    seed.write_bytes(same)  # same bytes, new time: hashed, found unchanged
    _settle(sample, seconds_ago=60)
    reads.clear()
    report = reindex([sample], root)
    assert set(reads) == {p.name for p in sample.iterdir()}  # every time moved
    assert report.up_to_date and report.files_read == 0
    edited = same.replace(b"It is a pleasure", b"It is a plXasure")
    assert len(edited) == len(same)
    seed.write_bytes(edited)  # same size, other bytes, a time of its own
    os.utime(seed, (time.time() - 30, time.time() - 30))
    reads.clear()
    report = reindex([sample], root)
    assert reads == [seed.name] and report.files_read == 1
    assert total(root, "plxasure") == 1


def test_a_manifest_without_file_times_falls_back_to_hashing(tmp_path, sample, reads):
    _settle(sample)
    root = tmp_path / "ix"
    reindex([sample], root)
    manifest = location.live_generation(root) / location.MANIFEST
    old = json.loads(manifest.read_text())
    for entry in old["files"].values():
        del entry["stat"]
    manifest.write_text(json.dumps(old))
    reads.clear()
    report = reindex([sample], root)
    assert len(reads) == 5 and report.up_to_date and report.files_read == 0


def test_a_new_sidecar_beside_an_unchanged_file_is_read(tmp_path, sample, reads):
    _settle(sample)
    root = tmp_path / "ix"
    reindex([sample], root)
    side = sample / f"{SEED_ID}.txt.meta.json"
    side.write_text('{"place": "Zanzibar"}')
    os.utime(side, (time.time() - 600, time.time() - 600))  # old enough to be trusted
    reads.clear()
    reindex([sample], root)
    assert f"{SEED_ID}.txt" in reads
