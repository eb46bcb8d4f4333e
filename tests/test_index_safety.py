"""The live index under stress: searches during reindexes, killed reindexes, two at once.

Everything here is real: on-disk indexes of a few hundred corpus pages, reindexes and
searches in separate processes, SIGKILL. A reindex runs as ``python -m transcripts reindex`` (the
``transcripts`` command) so a kill hits the process and its Whoosh writer processes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from transcripts.index import location
from transcripts.index.writer import reindex
from transcripts.search.engine import TranscriptIndex, search
from transcripts.search.results import SearchRequest

CLI = [sys.executable, "-m", "transcripts"]

# A search loop for a separate process: answers from a long-lived index (as the web
# server holds one) and from a freshly opened one (as each CLI call opens one).
SEARCH_LOOP = r"""
import json, sys, time
from pathlib import Path
from transcripts.search.engine import TranscriptIndex, search
from transcripts.search.results import SearchRequest
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
held = TranscriptIndex(root)
while not stop.exists():
    for index in (held, TranscriptIndex(root)):
        try:
            print(json.dumps({"total": search(index, SearchRequest()).total_transcripts}))
        except Exception as exc:
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        sys.stdout.flush()
        time.sleep(0.05)  # leave the reindex most of the two cores
"""


@pytest.fixture(scope="module")
def page_names(corpus_text) -> list[str]:
    names = sorted(p.name for p in corpus_text.glob("*.txt"))
    return random.Random(7).sample(names, 160)


def copy_pages(corpus_text: Path, names: list[str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(corpus_text / name, folder / name)
    return folder


def total(root: Path) -> int:
    return search(TranscriptIndex(root), SearchRequest()).total_transcripts


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=timeout
    )


def start_reindex(root: Path, folder: Path, *extra: str) -> subprocess.Popen:
    """In its own process group, so its writer processes can be found (and cleaned up)."""
    return subprocess.Popen(
        [*CLI, "reindex", "--index-dir", str(root), *extra, str(folder)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,  # a pipe would stay open as long as any writer process
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (a zombie awaiting its reaper does not)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def kill_group(pgid: int) -> None:
    """Teardown only: whatever is left of a process group this test started."""
    if group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)


class Readers:
    """Searches running in threads of this process, in other processes and via the CLI."""

    def __init__(self, root: Path, tmp: Path, threads: int = 3, processes: int = 2):
        self.root = root
        self.stop_file = tmp / "stop-readers"
        self.stop = threading.Event()
        self.answers: dict[str, list] = {}
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-c", SEARCH_LOOP, str(root), str(self.stop_file)],
                cwd=PROJECT_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        self.threads = [
            threading.Thread(target=self._thread_loop, args=(f"thread-{i}",), daemon=True)
            for i in range(threads)
        ]
        self.threads.append(threading.Thread(target=self._cli_loop, daemon=True))
        for t in self.threads:
            t.start()

    def _record(self, name: str, answer) -> None:
        self.answers.setdefault(name, []).append(answer)

    def _thread_loop(self, name: str) -> None:
        index = TranscriptIndex(self.root)  # shared by the loop, like the web app's
        while not self.stop.is_set():
            try:
                self._record(name, search(index, SearchRequest()).total_transcripts)
            except Exception as exc:
                self._record(name, f"{type(exc).__name__}: {exc}")
            time.sleep(0.05)

    def _cli_loop(self) -> None:
        while not self.stop.is_set():
            done = run_cli("search", "--json", "--index-dir", str(self.root), "")
            try:
                answer = json.loads(done.stdout)["total_transcripts"]
            except (ValueError, KeyError):
                answer = f"exit {done.returncode}: {done.stdout[-300:]} {done.stderr[-500:]}"
            self._record("cli", answer)

    def wait_for_threads(self, timeout: float = 60) -> None:
        """Until every thread has answered from the first index (processes start slower)."""
        names = [f"thread-{i}" for i in range(len(self.threads) - 1)]
        deadline = time.monotonic() + timeout
        while not all(n in self.answers for n in names) and time.monotonic() < deadline:
            time.sleep(0.05)

    def wait_for_answer(self, value, timeout: float = 120) -> None:
        """Until every in-process reader (threads and the CLI loop) has answered ``value``
        once: on a loaded machine one CLI search takes seconds, so a fixed pause is not
        enough for a search started after the last swap to come back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            names = [n for n in self.answers if not n.startswith("process")]
            if names and all(value in self.answers[n] for n in names):
                return
            time.sleep(0.1)

    def finish(self) -> dict[str, list]:
        self.stop.set()
        self.stop_file.touch()
        for t in self.threads:
            t.join(timeout=60)
        for i, proc in enumerate(self.procs):
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err[-2000:]
            self.answers[f"process-{i}"] = [
                d.get("total", d.get("error")) for d in map(json.loads, out.splitlines())
            ]
        return self.answers


def test_searches_during_full_and_incremental_reindex_see_one_whole_index(
    tmp_path, corpus_text, page_names
):
    folder = copy_pages(corpus_text, page_names[:120], tmp_path / "docs")
    root = tmp_path / "ix"
    assert reindex([folder], root).transcripts_total == 120

    readers = Readers(root, tmp_path)
    try:
        readers.wait_for_threads()
        copy_pages(corpus_text, page_names[120:], folder)
        full = run_cli("reindex", "--full", "--index-dir", str(root), str(folder))
        assert full.returncode == 0, full.stderr
        time.sleep(0.5)
        for name in page_names[:25]:
            (folder / name).unlink()
        update = run_cli("reindex", "--index-dir", str(root), str(folder))
        assert update.returncode == 0, update.stderr
        assert "Incremental update" in update.stdout
        readers.wait_for_answer(135)
        time.sleep(0.5)
    finally:
        answers = readers.finish()

    order = [120, 160, 135]
    for name, seen in answers.items():
        assert seen, name
        assert set(seen) <= set(order), (name, {a for a in seen if a not in order})
        stages = [order.index(a) for a in seen]
        assert stages == sorted(stages), f"{name} went back to an older index"
        assert seen[-1] == 135, name
    in_process = [a for name, seen in answers.items() if name.startswith("thread") for a in seen]
    assert {120, 135} <= set(in_process), "the readers did not span the reindexes"


def test_killed_reindex_leaves_the_live_index_whole_and_the_next_one_completes(
    tmp_path, corpus_text, page_names
):
    folder = copy_pages(corpus_text, page_names[:100], tmp_path / "docs")
    root = tmp_path / "ix"
    reindex([folder], root)
    first_live = location.live_generation(root)
    copy_pages(corpus_text, page_names[100:], folder)
    rng = random.Random(11)
    killed_mid_build = 0

    for attempt, mid_build in enumerate([False, True, False, True, True]):
        proc = start_reindex(root, folder, "--full", "--procs", "2")
        try:
            if mid_build:  # while Whoosh's writer processes are at work
                deadline = time.monotonic() + 60
                while not list(root.glob("build-*")) and time.monotonic() < deadline:
                    time.sleep(0.01)
                # At once: on a quiet machine the whole build of 160 pages is written in
                # well under half a second, so a longer wait could land after it (it did).
                time.sleep(rng.uniform(0.0, 0.02))
            else:
                time.sleep(rng.uniform(0.1, 3.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            killed_mid_build += bool(list(root.glob("build-*")))
            # The writer processes die with it, and the lock is free at once.
            deadline = time.monotonic() + 5
            while group_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not group_alive(proc.pid), f"attempt {attempt}: writer processes outlived it"
            with location.reindex_lock(root):
                pass
            live = location.live_generation(root)
            assert live is not None
            assert total(root) == (100 if live == first_live else 160)  # whole, old or new
        finally:
            kill_group(proc.pid)
    assert killed_mid_build, "no kill landed while a build was being written"

    done = run_cli("reindex", "--full", "--index-dir", str(root), str(folder))
    assert done.returncode == 0, done.stderr
    assert total(root) == 160
    assert not list(root.glob("build-*")) and not list(root.glob(".current-*"))
    assert len(list(root.glob("gen-*"))) <= 2


def test_generation_renamed_but_never_swapped_in_is_removed_not_the_previous_one(
    tmp_path, corpus_text, page_names
):
    """A kill between publish's rename and its swap leaves a complete ``gen-*`` that never
    went live; the next reindex must drop it and keep the last live one for open searches."""
    folder = copy_pages(corpus_text, page_names[:20], tmp_path / "docs")
    root = tmp_path / "ix"
    reindex([folder], root, full=True)
    reindex([folder], root, full=True)
    previous_live = location.live_generation(root)
    orphan_build = location.new_build_dir(root)
    (orphan_build / "MAIN.toc").write_bytes(b"never published")
    orphan = orphan_build.rename(orphan_build.with_name("gen-" + orphan_build.name[6:]))

    reindex([folder], root, full=True)
    assert not orphan.exists()
    assert previous_live.exists(), "the generation open searches may use was deleted"
    assert total(root) == 20


# A real reindex that holds the lock until the test opens the gate: its progress
# callback waits for the gate file before reading the first page.
GATED_REINDEX = r"""
import sys, time
from pathlib import Path
from transcripts.index.writer import reindex
root, folder, gate = map(Path, sys.argv[1:])

def wait_for_gate(*_):
    deadline = time.monotonic() + 60
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.01)

reindex([folder], root, full=True, progress=wait_for_gate)
"""


def test_second_reindex_while_one_runs_stops_with_a_clear_message(
    tmp_path, corpus_text, page_names
):
    folder = copy_pages(corpus_text, page_names, tmp_path / "docs")
    root = tmp_path / "ix"
    reindex([folder], root)
    (folder / page_names[0]).unlink()
    gate = tmp_path / "gate"
    first = subprocess.Popen(
        [sys.executable, "-c", GATED_REINDEX, str(root), str(folder), str(gate)],
        cwd=PROJECT_DIR,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        lock = root / "reindex.lock"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if lock.exists() and lock.read_text().strip() == str(first.pid):
                break
            time.sleep(0.01)
        second = run_cli("reindex", "--full", "--index-dir", str(root), str(folder))
        assert total(root) == 160  # the live index is untouched while both run
        gate.touch()
        _, err = first.communicate(timeout=120)
    finally:
        kill_group(first.pid)
    assert first.returncode == 0, err
    assert second.returncode != 0
    message = " ".join(second.stderr.split())
    assert "another reindex is running" in message, second.stderr
    assert "Traceback" not in second.stderr
    assert total(root) == 159
    assert not list(root.glob("build-*"))


def test_web_app_answers_from_the_new_index_after_a_reindex(tmp_path, corpus_text, page_names):
    web = pytest.importorskip("transcripts.web")
    folder = copy_pages(corpus_text, page_names[:40], tmp_path / "docs")
    root = tmp_path / "ix"
    reindex([folder], root)
    client = web.create_app({"INDEX_DIR": str(root), "TESTING": True}).test_client()

    def api_total() -> int:
        response = client.get("/api/search")
        assert response.status_code == 200
        return response.get_json()["total_transcripts"]

    assert api_total() == 40
    for name in page_names[:5]:
        (folder / name).unlink()
    reindex([folder], root)
    assert api_total() == 35
    copy_pages(corpus_text, page_names[40:50], folder)
    reindex([folder], root, full=True)
    assert api_total() == 45
