"""`transcripts serve` when it cannot start: one line saying why, a non-zero exit, and
never "Serving on" before the socket is bound. The real command in a subprocess, against
a real socket this test holds, real addresses and real folders without permission.

Folders "without permission" are made so with their mode bits; as root, whose
CAP_DAC_OVERRIDE ignores mode bits, the command runs under util-linux's ``setpriv`` without
that capability (and CAP_DAC_READ_SEARCH), so the kernel refuses it as it refuses any user
the bits do not allow.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR, SEEDS
from transcripts.index.writer import reindex

SEED = SEEDS / "000_91ae9584c00e0a1f.txt"
SETPRIV = shutil.which("setpriv")
BOUND_BY_MODE_BITS = (
    [SETPRIV, "--bounding-set=-dac_override,-dac_read_search", "--"]
    if os.geteuid() == 0 and SETPRIV else []
)
needs_mode_bits = pytest.mark.skipif(
    os.geteuid() == 0 and not SETPRIV,
    reason="running as root without util-linux's setpriv: mode bits would not apply",
)


def transcripts_serve(*args: str) -> list[str]:
    """The command, bound by mode bits even when run as root."""
    return [*BOUND_BY_MODE_BITS, sys.executable, "-m", "transcripts", "serve", *args]


def serve(*args: str, env: dict | None = None, timeout: float = 120
          ) -> subprocess.CompletedProcess:
    """`transcripts serve ARGS` to its end (it ends only by failing)."""
    return subprocess.run(
        transcripts_serve(*args), cwd=PROJECT_DIR,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "100", **(env or {})},
    )


def assert_one_line_failure(done: subprocess.CompletedProcess, *expected: str) -> str:
    output = done.stdout.strip()
    assert done.returncode == 1, output
    assert "Traceback" not in output and "Serving on" not in output, output
    assert len(output.splitlines()) == 1, output  # one line, however wide
    assert output.startswith("error: "), output
    for text in expected:
        assert text in output, (text, output)
    return output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port some other program is listening on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.fixture
def folder(tmp_path) -> Iterator[Path]:
    path = tmp_path / "work"
    path.mkdir()
    yield path
    for p in (path, *path.rglob("*")):
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)


def read_only(root: Path, mode: int = 0o555) -> None:
    for p in sorted(root.rglob("*"), reverse=True):
        if not p.is_symlink():
            p.chmod(mode if p.is_dir() else mode & 0o444)
    root.chmod(mode)


def test_a_port_in_use_is_one_line_naming_the_port_and_the_option(held_port, folder):
    """And it is found before the first build: the index folder is not even created."""
    root = folder / "index"
    done = serve("--port", str(held_port), "--index-dir", str(root))
    line = assert_one_line_failure(done, f"port {held_port}", "already in use", "--port")
    assert "indexing" not in line and not root.exists()


@pytest.mark.parametrize(("host", "expected"), [
    ("203.0.113.1", "no network interface of this machine has that address"),
    ("no-such-host.invalid", "the name does not resolve"),
], ids=["address-of-another-machine", "name-that-does-not-resolve"])
def test_a_host_that_cannot_be_bound_is_one_line_naming_it(host, expected, folder):
    done = serve("--host", host, "--port", str(free_port()), "--index-dir", str(folder / "i"))
    assert_one_line_failure(done, f"--host {host}", expected, "127.0.0.1")
    assert not (folder / "i").exists()


@pytest.mark.parametrize("port", ["70000", "0", "http"])
def test_a_bad_port_value_is_refused_before_anything_starts(port, folder):
    done = serve("--port", port, "--index-dir", str(folder / "i"))
    assert done.returncode == 2, done.stdout
    assert "Invalid value for '--port'" in done.stdout
    assert "Traceback" not in done.stdout and "Serving on" not in done.stdout
    assert not (folder / "i").exists()


def test_an_index_folder_that_cannot_be_created_is_one_line(folder):
    (folder / "a-file").write_text("not a folder")
    done = serve("--port", str(free_port()), "--index-dir", str(folder / "a-file" / "index"))
    assert_one_line_failure(done, "cannot be created", "is not a folder", "--index-dir")


@needs_mode_bits
def test_an_index_folder_in_a_read_only_folder_is_one_line(folder):
    parent = folder / "read-only"
    parent.mkdir()
    read_only(parent)
    done = serve("--port", str(free_port()), "--index-dir", str(parent / "index"))
    assert_one_line_failure(done, str(parent / "index"), "cannot be created",
                            "is not writable", "--index-dir")


@needs_mode_bits
@pytest.mark.parametrize("mode", [0o555, 0o000], ids=["read-only-empty", "unreadable-built"])
def test_an_index_folder_without_permission_is_one_line(folder, mode):
    """Empty and read-only, it cannot be built in; built but unreadable, neither read nor
    rebuilt. Named in $TRANSCRIPTS_INDEX (--index-dir's own check is click's, below)."""
    root = folder / "index"
    if mode:
        root.mkdir()
    else:
        reindex([SEED], root, full=True)
    read_only(root, mode)
    done = serve("--port", str(free_port()), env={"TRANSCRIPTS_INDEX": str(root)})
    assert_one_line_failure(done, str(root), "is not readable and writable", "--index-dir")
    if not mode:
        done = serve("--port", str(free_port()), "--index-dir", str(root))
        assert done.returncode == 2 and "Traceback" not in done.stdout, done.stdout
        assert f"Invalid value for '--index-dir': Directory '{root}' is not readable" in (
            done.stdout)


@needs_mode_bits
def test_a_read_only_built_index_is_served(folder):
    """Serving only reads: a built index in a folder the server may not write works."""
    root = folder / "index"
    reindex([SEED], root, full=True)
    read_only(root)
    port = free_port()
    proc = subprocess.Popen(
        transcripts_serve("--index-dir", str(root), "--port", str(port)),
        cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=ukraine",
                                            timeout=5) as response:
                    page = response.read().decode()
                    break
            except OSError:
                assert time.monotonic() < deadline, "no answer within 60 s"
                time.sleep(0.3)
        assert 'class="results-totals"' in page and "1 transcript" in page
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert output.startswith(f"Serving on http://127.0.0.1:{port}/"), output
    assert "Traceback" not in output, output
    assert stat.S_IMODE(root.stat().st_mode) == 0o555
