"""``transcripts fetch`` as a user runs it: a real subprocess against the loopback replay.

Killed with SIGKILL mid-run, interrupted with Ctrl-C (SIGINT), run twice at once,
refused by the site, pointed at a port where nothing listens: each ends with a clear
message, never a traceback, and a run afterwards ends with the same files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fetch_fixtures import (  # noqa: F401  # no_proxy is an autouse fixture
    event_requests,
    need_site,
    no_proxy,
    stored,
)

from bench.replay_site import ReplaySite
from transcripts.index.fetch.state import STATE_FILE, corpus_lock

PROJECT = Path(__file__).resolve().parents[1]


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(PROJECT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    return env


def fetch_args(site, corpus: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "transcripts",
            "fetch", "--base-url", site.url, "--to", str(corpus),
            "--delay", "0", "--max-requests", "5000", *extra]


def run_cli(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=PROJECT, env=cli_env(), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def site():
    with ReplaySite(need_site()) as s:
        yield s


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=PROJECT, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_pages(site, n: int, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while len(event_requests(site)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the fetch did not get going"
        time.sleep(0.02)


def test_kill_9_mid_run_then_a_new_run_ends_with_the_same_files(site, tmp_path):
    corpus = tmp_path / "corpus"
    site.faults.page_delay = 0.01
    proc = start(fetch_args(site, corpus, "--all", "--no-reindex"))
    wait_for_pages(site, 150, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = len(site.log)
    assert proc.returncode == -signal.SIGKILL
    held = stored(corpus)
    pages = site.event_pages()
    assert 100 < len(held) < len(pages)
    assert all(pages[i] == data for i, data in held.items())  # no half-written page
    site.faults.page_delay = 0
    done = run_cli(fetch_args(site, corpus, "--all", "--no-reindex"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert stored(corpus) == pages
    assert not list(corpus.glob(".*.tmp"))
    assert len(site.log) > killed_at
    asked = Counter(event_requests(site))  # both runs
    assert sum(n - 1 for n in asked.values()) <= 1  # at most the page in flight, once


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_cleanly_with_a_summary(site, tmp_path, sig):
    corpus = tmp_path / "corpus"
    site.faults.page_delay = 0.01
    proc = start(fetch_args(site, corpus, "--all", "--no-reindex"))
    wait_for_pages(site, 30, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "interrupted; everything fetched so far is kept" in out
    asked = len(event_requests(site))
    assert asked < len(site.event_pages()) - 100  # it stopped, not ran on to the end
    assert "Traceback" not in err + out
    pages = site.event_pages()
    assert all(pages[i] == data for i, data in stored(corpus).items())


def test_a_second_fetch_while_one_runs_refuses(site, tmp_path):
    corpus = tmp_path / "corpus"
    with corpus_lock(corpus):
        r = run_cli(fetch_args(site, corpus, "--no-reindex"))
    assert r.returncode == 1
    assert "another fetch is running into" in r.stderr and "Traceback" not in r.stderr
    assert site.log == []


def test_a_refusing_site_gets_a_message_about_the_network(site, tmp_path):
    site.faults.forbid_after = 0
    r = run_cli(fetch_args(site, tmp_path / "corpus"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    text = " ".join((r.stdout + r.stderr).split())
    assert "refused this network" in text and "HTTP_PROXY and HTTPS_PROXY are honoured" in text


def test_nothing_listening_is_one_clear_line(tmp_path):
    import socket

    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = run_cli([sys.executable, "-m", "transcripts", "fetch", "--base-url", f"http://127.0.0.1:{port}",
                 "--to", str(tmp_path / "c"), "--no-reindex"])
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "127.0.0.1 refused the connection (nothing listening)" in r.stdout


def test_a_damaged_state_database_is_a_message_and_the_pages_are_adopted(site, tmp_path):
    corpus = tmp_path / "corpus"
    assert run_cli(fetch_args(site, corpus, "--no-reindex")).returncode == 0
    held = stored(corpus)
    (corpus / STATE_FILE).write_bytes(b"not a database at all" * 100)
    for extra in corpus.glob(STATE_FILE + "-*"):
        extra.unlink()
    r = run_cli(fetch_args(site, corpus, "--no-reindex"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "cannot be used" in r.stderr and "move it aside" in r.stderr
    (corpus / STATE_FILE).unlink()
    start = len(site.log)
    r = run_cli(fetch_args(site, corpus, "--no-reindex"))
    assert r.returncode == 0 and f"{len(held)} new" in r.stdout
    assert not [
        e.path for e in site.log[start:] if e.path.rsplit("/", 1)[1] in held]
    assert stored(corpus) == held


def test_http_proxy_from_the_environment_is_honoured(site, tmp_path):
    """The replay answers as a proxy would (absolute URIs); the base URL is a closed port
    on 127.0.0.1, so only a request sent through the proxy can succeed."""
    env = cli_env()
    env["HTTP_PROXY"] = site.url
    args = [sys.executable, "-m", "transcripts",
            "fetch", "--base-url", "http://127.0.0.1:9", "--to",
            str(tmp_path / "c"), "--delay", "0", "--no-reindex"]
    r = subprocess.run(args, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "17 new" in r.stdout
    assert site.log[0].path == "/robots.txt" and len(site.log) == 19


def test_bad_options_are_usage_errors(tmp_path):
    r = run_cli([sys.executable, "-m", "transcripts", "fetch", "--all", "--pages", "3",
                 "--to", str(tmp_path)])
    assert r.returncode == 2 and "at most one of --since, --pages and --all" in r.stderr
    r = run_cli([sys.executable, "-m", "transcripts", "fetch", "--since", "May 2020", "--to",
                 str(tmp_path)])
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr


def test_fetch_then_reindex_then_search(site, tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    r = run_cli(fetch_args(site, corpus, "--pages", "2", "--index-dir", str(index)))
    assert r.returncode == 0, r.stdout + r.stderr
    out = " ".join(r.stdout.split())
    assert "32 new, 0 updated, 0 unchanged, 0 gone, 0 failed" in out
    assert "listing page 1 is missing (HTTP 404); skipped" in out
    assert "Full rebuild of" in out and "32 transcripts in the index" in out
    s = run_cli([sys.executable, "-m", "transcripts", "search", "Biryusa", "--json", "--index-dir",
                 str(index)])
    assert '"63911"' in s.stdout
    again = run_cli(fetch_args(site, corpus, "--index-dir", str(index)))
    assert again.returncode == 0
    assert "0 new" in again.stdout
    assert "Incremental" not in again.stdout and "Full rebuild" not in again.stdout


def test_pages_fetched_without_reindex_are_indexed_by_the_next_fetch(site, tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    assert run_cli(fetch_args(site, corpus, "--index-dir", str(index))).returncode == 0
    r = run_cli(fetch_args(site, corpus, "--pages", "2", "--no-reindex"))
    assert "15 new" in r.stdout and "Incremental" not in r.stdout
    r = run_cli(fetch_args(site, corpus, "--index-dir", str(index)))
    out = " ".join(r.stdout.split())
    assert "0 new" in out and "Incremental update of" in out and "15 files read" in out
    r = run_cli(fetch_args(site, corpus, "--index-dir", str(index)))
    assert "Incremental" not in r.stdout and "Full" not in r.stdout
