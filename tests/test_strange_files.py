"""Odd files in a transcript folder: each is skipped with a one-line reason or read right,
the rest is indexed, and nothing indexed before is lost.

The odd files are made from real corpus pages (re-encoded, cut, corrupted) and from the
file system's own oddities (symlink loops, a fifo, a file removed mid-run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from tests.conftest import CORPUS_HTML, PROJECT_DIR, need
from transcripts.index.readers import read_file
from transcripts.index.writer import MAX_FILE_BYTES, reindex
from transcripts.search.engine import TranscriptIndex, get_transcript, search
from transcripts.search.results import SearchRequest

GOOD = ("51279.txt", "17116.txt", "62866.txt")
BASE = "17113.txt"  # "Meeting with President of Uganda Yoweri Museveni": ASCII, curly quotes
BASE_TITLE = "Meeting with President of Uganda Yoweri Museveni"
TRAILER = ("Geography", "Topics", "Persons", "Publication status")


def base_text(corpus_text: Path) -> str:
    return (corpus_text / BASE).read_text(encoding="utf-8")


def reasons(report) -> dict[str, str]:
    return {os.path.basename(s.path): s.reason for s in report.skipped}


def ids(root: Path, q: str = "") -> set[str]:
    result = search(TranscriptIndex(root), SearchRequest(q=q, per_page=100))
    return {t.id for t in result.transcripts}


@pytest.fixture(scope="module")
def strange(tmp_path_factory, corpus_text):
    """One folder with every kind of odd file beside good pages, indexed once."""
    tmp = tmp_path_factory.mktemp("strange")
    folder = tmp / "docs"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(corpus_text / name, folder / name)
    text = base_text(corpus_text)

    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    (folder / "bom.txt").write_bytes(b"\xff\xfe\x00\xd8 odd")  # a UTF-16 mark, then junk
    cyrillic = text.replace("Uganda", "Уганда").replace("Museveni", "Мусевени")
    (folder / "900001.txt").write_bytes(cyrillic.encode("cp1251"))
    western = text.translate(str.maketrans({"’": "'", "“": '"', "”": '"', "—": "-", "–": "-"}))
    western = western.replace("…", "...").replace("Uganda", "Ugandé")
    western = western.replace("Museveni", "Müseveni")
    (folder / "900002.txt").write_bytes(western.encode("latin-1"))
    corrupt = text.encode("utf-8").replace(b"colleagues", b"colle\xffagues", 1)
    (folder / "900003.txt").write_bytes(corrupt.replace(b"Uganda", b"Ug\xc3anda", 1))
    cut = min(text.index(h) for h in TRAILER if h in text)
    (folder / "900004.txt").write_text(text[:cut], encoding="utf-8")
    html = need(CORPUS_HTML / "17116.html").read_bytes()
    (folder / "17116-cut.html").write_bytes(html[: len(html) // 2])
    (folder / "dup").mkdir()
    shutil.copy(corpus_text / GOOD[0], folder / "dup" / GOOD[0])
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    (folder / "dangling.txt").symlink_to("no-such-page.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")

    progress: list[tuple[str, int, int]] = []
    root = tmp / "ix"
    report = reindex([folder], root, progress=lambda *a: progress.append(a))
    return folder, root, report, progress


def test_every_skip_has_a_one_line_reason(strange):
    _, _, report, _ = strange
    assert report.skipped
    for s in report.skipped:
        assert s.reason.strip() and "\n" not in s.reason, s


def test_good_and_readable_odd_files_are_all_indexed(strange, corpus_text):
    _, root, report, _ = strange
    expected = {"51279", "17116", "62866", "900001", "900002", "900003", "900004"}
    assert ids(root) == expected
    assert report.transcripts_total == len(expected)


def test_empty_and_binary_files_are_skipped(strange):
    why = reasons(strange[2])
    assert "no 'Events' heading" in why["empty.txt"]
    assert "binary file" in why["image.txt"]
    assert "bom.txt" in why  # a bogus UTF-16 mark is a skipped file, not a crashed run


def test_cp1251_page_is_indexed_with_its_russian_words(strange):
    root = strange[1]
    t = get_transcript(TranscriptIndex(root), "900001")
    assert t.title == "Meeting with President of Уганда Yoweri Мусевени"
    assert "900001" in ids(root, "Мусевени")
    assert "900001" in ids(root, '"President of Уганда"')


def test_latin1_page_is_indexed_with_its_accented_words(strange):
    root = strange[1]
    t = get_transcript(TranscriptIndex(root), "900002")
    assert t.title == "Meeting with President of Ugandé Yoweri Müseveni"
    assert "900002" in ids(root, '"Müseveni"')


def test_stray_invalid_bytes_replace_only_themselves(strange, corpus_text):
    t = get_transcript(TranscriptIndex(strange[1]), "900003")
    original = base_text(corpus_text)
    assert t.title == BASE_TITLE.replace("Uganda", "Ug\ufffdanda")
    lines = [line for u in t.utterances for line in u.text.split("\n")]
    assert any("colle\ufffdagues" in line for line in lines)
    for line in lines:
        assert line.replace("colle\ufffdagues", "colleagues") in original
    assert "900003" in ids(strange[1], "Museveni")


def test_page_without_its_tag_trailer_is_read_without_tags(strange, corpus_text):
    t = get_transcript(TranscriptIndex(strange[1]), "900004")
    whole = read_file(corpus_text / BASE)[0]
    assert (whole.geography, whole.topics) == (["Uganda"], ["Foreign policy"])
    assert t.title == BASE_TITLE
    assert (t.geography, t.topics, t.persons) == ([], [], [])
    assert [u.text for u in t.utterances] == [u.text for u in whole.utterances]


def test_html_cut_off_half_way_is_skipped(strange):
    assert "HTML cut off" in reasons(strange[2])["17116-cut.html"]


def test_second_file_with_the_same_id_is_skipped_and_the_first_kept(strange):
    folder, root, report, _ = strange
    dup = [s for s in report.skipped if s.path.endswith(os.path.join("dup", GOOD[0]))]
    assert len(dup) == 1 and "duplicate transcript id 51279" in dup[0].reason
    assert get_transcript(TranscriptIndex(root), "51279").file == str(
        (folder / GOOD[0]).resolve()
    )


def test_symlink_loops_and_broken_links_are_skipped_with_their_reason(strange):
    why = reasons(strange[2])
    assert why["a.txt"] == why["b.txt"] == "symlink loop"
    assert why["dangling.txt"] == "broken symlink (its target does not exist)"
    assert "linked folder not followed" in why["up"]


def test_symlink_loop_given_as_a_path_is_skipped(tmp_path, corpus_text):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    report = reindex([tmp_path / "a.txt", corpus_text / GOOD[0]], tmp_path / "ix")
    assert reasons(report) == {"a.txt": "symlink loop"}
    assert report.transcripts_total == 1


def test_progress_reaches_the_end_even_when_files_are_skipped(strange):
    _, _, report, progress = strange
    reads = [p for p in progress if p[0] == "read"]
    assert reads[-1][1] == reads[-1][2] == report.files_seen


def test_file_over_the_size_limit_is_refused_without_being_read(tmp_path, corpus_text):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(corpus_text / GOOD[0], folder)
    tracemalloc.start()
    try:
        reindex([folder], tmp_path / "baseline")
        baseline = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    line = b"Vladimir Putin: " + b"word " * 200 + b"\n"
    with open(folder / "huge.txt", "wb") as fh:
        fh.write(b"Events\nA very long page\n")
        for _ in range(50 * 2**20 // len(line) + 1):
            fh.write(line)
    assert (folder / "huge.txt").stat().st_size > 50 * 2**20 > MAX_FILE_BYTES

    started = time.perf_counter()
    tracemalloc.start()
    try:
        report = reindex([folder], tmp_path / "ix")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 30
    extra = (peak - baseline) / 2**20
    assert extra < 5, f"{extra:.0f} MB more allocated for a file it refuses"
    assert reasons(report) == {"huge.txt": f"file larger than {MAX_FILE_BYTES // 2**20} MB"}
    assert report.transcripts_total == 1


def test_file_removed_during_the_run_is_skipped_and_the_rest_indexed(tmp_path, corpus_text):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(corpus_text / name, folder / name)
    victim = folder / sorted(GOOD)[-1]

    def remove_after_first(phase: str, done: int, total: int) -> None:
        if phase == "read" and done == 1:
            victim.unlink()

    report = reindex([folder], tmp_path / "ix", progress=remove_after_first)
    assert reasons(report) == {
        victim.name: "no such file (it may have been removed during the run)"
    }
    assert report.transcripts_total == 2


def test_previously_indexed_file_that_breaks_keeps_its_indexed_version(tmp_path, corpus_text):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(corpus_text / name, folder / name)
    root = tmp_path / "ix"
    reindex([folder], root)
    fifo, gone = folder / "51279.txt", folder / "62866.txt"  # read 2nd and 3rd
    fifo.unlink()
    os.mkfifo(fifo)  # as root, chmod 000 would not stop a read; a fifo cannot be read

    def remove(phase: str, done: int, total: int) -> None:
        if phase == "read" and done == 1:
            gone.unlink()

    report = reindex([folder], root, progress=remove)
    why = reasons(report)
    assert why[fifo.name].startswith("not a regular file")
    assert why[gone.name].startswith("no such file")
    assert all(r.endswith("(kept the version indexed before)") for r in why.values())
    assert ids(root) == {"51279", "17116", "62866"}


def test_cli_summary_lists_each_skipped_file_and_a_fifo_does_not_hang_it(tmp_path, corpus_text):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(corpus_text / GOOD[0], folder)
    os.mkfifo(folder / "pipe.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    done = subprocess.run(
        [sys.executable, "-m", "transcripts",
         "reindex", "--index-dir", str(tmp_path / "ix"), str(folder)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 transcripts in the index" in done.stdout
    assert "4 skipped:" in done.stdout
    lines = done.stdout.splitlines()
    for name, reason in [
        ("pipe.txt", "not a regular file"),
        ("empty.txt", "not a transcript"),
        ("a.txt", "symlink loop"),
        ("b.txt", "symlink loop"),
    ]:
        assert any(f"{name}: {reason}" in line for line in lines), (name, done.stdout)
