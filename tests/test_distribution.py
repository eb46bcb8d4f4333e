"""The distribution as a user installs it: an sdist and a wheel, the wheel installed into
a fresh virtual environment outside the checkout, then run from another folder.

Offline, as every test: the wheel is built without an isolated environment (setuptools
70.1+, a test extra, from the interpreter running the tests) and installed with
``--no-deps --no-index``; the dependencies are lent to the new venv by a ``.pth`` file.
What it proves: one import package (``transcripts``) and nothing else at the top of
site-packages; the demo corpus inside the wheel; ``transcripts serve`` in an empty
folder builds and serves it from a per-user data folder (never site-packages);
``python -m transcripts`` and ``--version`` give the package's one version.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import tarfile
import threading
import urllib.request
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from transcripts import __version__

pytestmark = pytest.mark.skipif(
    tuple(int(x) for x in re.findall(r"\d+", version("setuptools"))[:2]) < (70, 1),
    reason="needs setuptools 70.1+ (the test extras) to build offline",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel, built from the tracked files of a copy of the checkout."""
    tmp = tmp_path_factory.mktemp("dist")
    copy = tmp / "checkout"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_DIR, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (PROJECT_DIR / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, copy / name)
    out = tmp / "dist"
    return {kind: out / _build(kind, copy, out) for kind in ("sdist", "wheel")}


def _build(kind: str, source: Path, out: Path) -> str:
    """``build_sdist`` or ``build_wheel`` of setuptools' PEP 517 backend, each in a
    process of its own (in one process the second writes where the first did)."""
    script = ("import sys; from setuptools import build_meta as b; "
              f"print(b.build_{kind}(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", script, str(out)], cwd=source,
                          capture_output=True, text=True, timeout=600, env=_clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.split()[-1]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV", "TRANSCRIPTS_"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def test_the_wheel_holds_one_package_with_the_demo_corpus_and_no_bench_or_tests(built):
    names = zipfile.ZipFile(built["wheel"]).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"transcripts", f"transcripts-{__version__}.dist-info"}
    seeds = [n for n in names if n.startswith("transcripts/seeds/")]
    assert len(seeds) == len(list((PROJECT_DIR / "seeds").iterdir()))
    assert "transcripts/web/templates/search.html" in names
    assert "transcripts/web/templates/feed.xml" in names
    assert "transcripts/__main__.py" in names and "transcripts/py.typed" in names
    assert not [n for n in names if "/bench/" in n or "/tests/" in n or "screenshots" in n]


def test_the_sdist_builds_the_same_wheel_and_holds_no_runtime_data(built, tmp_path):
    with tarfile.open(built["sdist"]) as sdist:
        names = sdist.getnames()
        sdist.extractall(tmp_path, filter="data")
    root = f"transcripts-{__version__}"
    assert f"{root}/pyproject.toml" in names and f"{root}/seeds/62094.txt" in names
    assert not [n for n in names if "/instance/" in n or "/.venv/" in n]
    wheel = _build("wheel", tmp_path / root, tmp_path / "out")
    again = zipfile.ZipFile(tmp_path / "out" / wheel).namelist()
    assert sorted(again) == sorted(zipfile.ZipFile(built["wheel"]).namelist())


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory) -> dict[str, Path]:
    """The wheel in a fresh venv, far from the checkout."""
    tmp = tmp_path_factory.mktemp("installed")
    venv = tmp / "venv"
    base_python = sys._base_executable  # type: ignore[attr-defined]
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True, timeout=300,
                   env=_clean_env())
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True).stdout.strip())
    before = set(os.listdir(purelib))
    done = subprocess.run([python, "-m", "pip", "install", "--no-deps", str(built["wheel"])],
                          capture_output=True, text=True, timeout=300, env=_clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    added = set(os.listdir(purelib)) - before
    lent = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "zz_lent_dependencies.pth").write_text("\n".join(sorted(lent)) + "\n")
    home = tmp / "home"
    elsewhere = tmp / "some-folder"
    elsewhere.mkdir()
    return {"venv": venv, "purelib": purelib, "added": added, "home": home,
            "cwd": elsewhere}


def _run(installed, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=installed["cwd"], capture_output=True, text=True,
                          timeout=timeout, env=_clean_env(HOME=str(installed["home"])))


def test_nothing_but_transcripts_lands_at_the_top_of_site_packages(installed):
    assert {n for n in installed["added"] if not n.endswith(".dist-info")} == {"transcripts"}
    package = installed["purelib"] / "transcripts"
    assert not (installed["purelib"] / "seeds").exists()
    assert (package / "seeds").is_dir()


def test_version_is_one_and_the_same_everywhere(installed):
    venv = installed["venv"]
    for command in ([venv / "bin" / "transcripts", "--version"],
                    [venv / "bin" / "python", "-m", "transcripts", "--version"]):
        done = _run(installed, *map(str, command))
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"transcripts, version {__version__}"


def test_serve_from_any_folder_builds_and_serves_the_demo_corpus(installed):
    """The index goes to the user's data folder; a results page and /api/search answer;
    `transcripts search` reads the same index."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    venv = installed["venv"]
    proc = subprocess.Popen(
        [str(venv / "bin" / "transcripts"), "serve", "--port", str(port)],
        cwd=installed["cwd"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=_clean_env(HOME=str(installed["home"])))
    try:
        said: list[str] = []
        serving = threading.Event()

        def listen() -> None:  # a reader thread: a server that hangs cannot hang the test
            for line in proc.stdout:  # type: ignore[union-attr]
                said.append(line)
                if "Serving on" in line:
                    serving.set()

        threading.Thread(target=listen, daemon=True).start()
        assert serving.wait(timeout=300), "".join(said)
        assert proc.poll() is None, "".join(said)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/?q=sanctions", timeout=60) as page:
            html = page.read().decode()
        assert re.search(r"\d+ passages? in \d+ transcripts?", html), html[:500]
        with urllib.request.urlopen(f"{base}/api/search?q=sanctions", timeout=60) as api:
            total = json.loads(api.read())["total"]
        assert total > 0
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    data = installed["home"] / ".local" / "share" / "transcripts" / "index"
    assert (data / "current").is_symlink(), "".join(said)
    assert not (installed["purelib"] / "transcripts" / "instance").exists()
    assert not (installed["cwd"] / "instance").exists()
    found = _run(installed, str(venv / "bin" / "transcripts"), "search", "sanctions", "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == total
