"""`transcripts export` and `transcripts kwic` as a user runs them: real subprocesses on a
real index of the seed transcript."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR

COLUMNS_START = "transcript_id,title,date,position,kind,speaker,role,label,note,text"


def cli(*args: str) -> subprocess.CompletedProcess:
    """Bytes, not text: the CSV's CRLF line ends must arrive untouched."""
    return subprocess.run(
        [sys.executable, "-m", "transcripts", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        timeout=300,
        env={**os.environ},
    )


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("export-cli") / "index"
    done = cli("reindex", "--index-dir", str(root))
    assert done.returncode == 0, done.stderr
    return str(root)


def search_total(index_dir: str, *args: str) -> int:
    done = cli("search", *args, "--json", "--index-dir", index_dir)
    return json.loads(done.stdout)["total"]


def test_export_csv_to_standard_output(index_dir):
    done = cli("export", "Azerbaijan", "--index-dir", index_dir)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    assert text.startswith(COLUMNS_START + ",permalink,source_url,language,party,anchor,"
                           "translation_of,translations\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == search_total(index_dir, "Azerbaijan") > 3
    assert rows[0]["permalink"] == f"/t/{rows[0]['transcript_id']}#u{rows[0]['position']}"
    assert {r["speaker"] for r in rows} >= {"Vladimir Putin", "Ilham Aliyev"}
    assert done.stderr == b""  # nothing left out, nothing to warn about


def test_export_jsonl_with_filters_and_base_url(index_dir):
    done = cli("export", "schools", "--speaker", "Ilham Aliyev", "--format", "jsonl",
               "--base-url", "https://transcripts.example/", "--index-dir", index_dir)
    records = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(records) == search_total(index_dir, "schools", "--speaker", "Ilham Aliyev") == 1
    record = records[0]
    assert record["speaker"] == "Ilham Aliyev" and "schools" in record["text"]
    assert record["permalink"] == f"https://transcripts.example/t/{record['transcript_id']}" \
        f"#u{record['position']}"


def test_export_past_the_limit_warns_and_ends_with_a_note(index_dir):
    total = search_total(index_dir, "Azerbaijan")
    done = cli("export", "Azerbaijan", "--limit", "2", "--format", "jsonl",
               "--index-dir", index_dir)
    assert done.returncode == 0
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(lines) == 3 and lines[-1]["truncated"] is True and lines[-1]["total"] == total
    assert f"{total:,} utterances match; exported the first 2" in done.stderr.decode()


def test_export_to_a_file_with_a_bom(index_dir, tmp_path):
    target = tmp_path / "out.csv"
    done = cli("export", "Azerbaijan", "--bom", "-o", str(target), "--index-dir", index_dir)
    assert done.returncode == 0 and done.stdout == b""
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + COLUMNS_START.encode())
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert f"Wrote {len(rows) - 1:,} rows to" in done.stderr.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", '"unclosed'], "Unbalanced quote"),
        (["export", "gas", "--from", "2020-13-01"], "--from takes a date"),
        (["kwic", "speaker:aliyev"], "names no words"),
    ],
)
def test_bad_input_exits_2_with_a_message(index_dir, args, message):
    done = cli(*args, "--index-dir", index_dir)
    assert done.returncode == 2
    assert message in done.stderr.decode() and b"Traceback" not in done.stderr


def test_export_with_a_bad_format_is_refused_by_the_option(index_dir):
    done = cli("export", "gas", "--format", "xlsx", "--index-dir", index_dir)
    assert done.returncode == 2 and b"xlsx" in done.stderr


def test_kwic_prints_aligned_lines_and_json(index_dir):
    done = cli("kwic", "Azerbaijan", "--width", "30", "--index-dir", index_dir)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    data = json.loads(cli("kwic", "Azerbaijan", "--json", "--index-dir", index_dir).stdout)
    assert f"{data['total']:,} hits" in text
    lines = [ln for ln in text.splitlines() if "Azerbaijan" in ln[28:45]]
    assert len(lines) == len(data["lines"]) == data["total"]
    assert {ln.index("Azerbaijan", 28) for ln in lines} == {30}  # the match in one column
