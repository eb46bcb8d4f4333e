"""The `transcripts` command as a user runs it: a real subprocess on a real index."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import PROJECT_DIR, SEEDS

SEED = SEEDS / "000_91ae9584c00e0a1f.txt"
DEMO_FILES = sorted(SEEDS.glob("*.txt"))


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "transcripts", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory):
    """The seed page alone: a small index whose every answer is known."""
    root = tmp_path_factory.mktemp("cli") / "index"
    done = cli("reindex", str(SEED), "--index-dir", str(root))
    assert done.returncode == 0, done.stderr
    return root


def test_reindex_prints_a_summary(seed_index):
    done = cli("reindex", str(SEED), "--full", "--index-dir", str(seed_index))
    assert done.returncode == 0
    assert "1 transcripts and" in done.stdout and "utterances indexed" in done.stdout


def test_demo_corpus_is_hundreds_of_real_pages_in_at_most_3_mb():
    size = sum(p.stat().st_size for p in DEMO_FILES)
    assert len(DEMO_FILES) >= 500 and size <= 3_000_000, (len(DEMO_FILES), size)
    assert SEED in DEMO_FILES
    assert all(p.stem.isdigit() for p in DEMO_FILES if p != SEED)  # named by page id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def first_serve(tmp_path_factory):
    """`transcripts serve` as on a fresh clone: no index yet, so it builds seeds/ first."""
    root = tmp_path_factory.mktemp("first-serve") / "index"
    log = root.parent / "serve.log"
    base = f"http://127.0.0.1:{free_port()}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "transcripts", "serve", "--index-dir", str(root),
             "--port", base.rsplit(":", 1)[1]],
            cwd=PROJECT_DIR, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + 180  # measured 4-20 s (docs); wide for a loaded CI
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as response:
                    home = response.read().decode()
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        yield root, log.read_text(), home
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_first_serve_builds_and_shows_the_demo_corpus(first_serve):
    _, log, home = first_serve
    n = len(DEMO_FILES)
    assert f"{n} files read" in log and f"{n} transcripts in the index" in log
    assert "skipped" not in log
    totals = re.search(r'class="results-totals">([^<]*)<', home)
    assert totals and totals.group(1).endswith(f" in {n:,} transcripts"), totals
    assert "CC BY 4.0" in home and "en.kremlin.ru" in home


def test_reindex_without_a_path_reads_the_seeds_folder(first_serve):
    root, _, _ = first_serve
    done = cli("reindex", "--index-dir", str(root))
    assert done.returncode == 0, done.stderr
    assert f"up to date ({len(DEMO_FILES)} files unchanged)" in done.stdout


def test_reindex_reports_skipped_files_and_indexes_the_rest(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "seed.txt").write_text(SEED.read_text())
    (folder / "empty.txt").write_text("")
    done = cli("reindex", str(folder), "--index-dir", str(tmp_path / "ix"))
    assert done.returncode == 0
    assert "1 skipped" in done.stdout and "empty.txt:" in done.stdout


def test_reindex_with_nothing_readable_exits_non_zero(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    done = cli("reindex", str(tmp_path / "empty.txt"), "--index-dir", str(tmp_path / "ix"))
    assert done.returncode == 1 and "nothing could be indexed" in done.stderr


def test_index_dir_comes_from_the_environment_variable(seed_index):
    done = cli("search", "Azerbaijan", env={"TRANSCRIPTS_INDEX": str(seed_index)})
    assert done.returncode == 0 and "Talks with President of Azerbaijan" in done.stdout


def test_search_prints_grouped_hits_and_facets(seed_index):
    done = cli("search", "schools", "--index-dir", str(seed_index))
    assert done.returncode == 0
    assert "Talks with President of Azerbaijan Ilham Aliyev" in done.stdout
    assert "Ilham Aliyev" in done.stdout and "Speaker" in done.stdout
    assert "CC BY 4.0" in done.stdout


def test_search_json_has_totals_facets_and_hits(seed_index):
    done = cli("search", "schools", "--speaker", "Ilham Aliyev", "--json",
               "--index-dir", str(seed_index))
    data = json.loads(done.stdout)
    assert data["total"] == 1 and data["total_transcripts"] == 1
    hit = data["transcripts"][0]
    assert hit["id"] == "000_91ae9584c00e0a1f" and hit["date"] == "2022-02-22"
    utterance = hit["utterances"][0]
    assert utterance["speaker"] == "Ilham Aliyev" and "<mark>schools</mark>" in utterance["snippet"]
    assert {f["value"] for f in data["facets"]["speaker"]} == {"Ilham Aliyev", "Vladimir Putin"}


def test_bad_query_exits_2_with_a_message_and_no_traceback(seed_index):
    done = cli("search", '"unbalanced', "--index-dir", str(seed_index))
    assert done.returncode == 2
    assert "Unbalanced quote" in done.stderr and "Traceback" not in done.stderr


def test_bad_date_is_a_clear_error(seed_index):
    done = cli("search", "gas", "--from", "yesterday", "--index-dir", str(seed_index))
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr


def test_search_without_an_index_says_how_to_build_one(tmp_path):
    done = cli("search", "gas", "--index-dir", str(tmp_path / "none"))
    assert done.returncode == 2 and "transcripts reindex" in done.stderr


def test_parse_prints_what_a_file_reads_as():
    done = cli("parse", str(SEED))
    assert done.returncode == 0
    assert "Talks with President of Azerbaijan Ilham Aliyev" in done.stdout
    assert "= Vladimir Putin, President of Russia" in done.stdout


def test_parse_json_gives_one_object_per_transcript():
    done = cli("parse", str(SEED), "--json")
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    t = json.loads(lines[0])
    assert t["date"] == "2022-02-22" and t["persons"] == ["Aliyev Ilham"]
    speakers = {(u["label"], u["speaker"], u["role"]) for u in t["utterances"] if u["label"]}
    putin = ("President of Russia Vladimir Putin", "Vladimir Putin", "President of Russia")
    aliyev = ("President of Azerbaijan Ilham Aliyev", "Ilham Aliyev", "President of Azerbaijan")
    assert putin in speakers and aliyev in speakers


def test_parse_reports_a_broken_file_and_goes_on(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x00binary")
    done = cli("parse", str(bad), str(SEED), "--json")
    assert done.returncode == 1
    assert "bad.txt" in done.stderr and len(done.stdout.splitlines()) == 1
