"""The README's quickstart as a new user runs it, on a system Python that refuses installs.

Debian's and Ubuntu's system Python refuse `pip install` outside a virtual environment
(PEP 668): the quickstart must create `.venv` and install into it, in one command line.
The test reads the command from the README — so the README cannot drift from what is
checked — and runs its install part in a copy of the project: `python3 -m venv .venv`
verbatim, then `.venv/bin/pip install -e .` verbatim but offline, without dependencies
and without an isolated build environment (pip's own environment variables; tests never
touch the network): the build backend (setuptools 70.1+, a test extra) is lent from the
interpreter running the tests on PYTHONPATH for the install, and the dependencies by a
``.pth`` file. What
it proves: the command line creates a venv with its own pip, installs this project
editable into it (not into the system), and gives a working `.venv/bin/transcripts`
that runs the copy's code. The pip refusal itself applies only where
``sys.prefix == sys.base_prefix``, which a venv's pip never is (checked below too).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

README = PROJECT_DIR / "README.md"


def quickstart_commands() -> list[str]:
    """The indented command lines of the README's Quickstart section (up to its first
    sub-heading)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quickstart\n", 1)[1]
    section = re.split(r"\n#{2,3} ", section, maxsplit=1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


def test_quickstart_is_two_commands_installing_into_a_venv():
    first, tests = quickstart_commands()
    steps = [shlex.split(step) for step in first.split(" && ")]
    assert steps[0] == ["python3", "-m", "venv", ".venv"], first
    assert steps[-1] == [".venv/bin/transcripts", "serve"], first
    installs = [s for s in steps if "install" in s]
    assert installs == [[".venv/bin/pip", "install", "-e", "."]], first
    assert all(s[0].startswith(".venv/bin/") for s in steps[1:]), first  # never the system's
    assert tests == "bash .ci/run"


@pytest.mark.skipif(
    tuple(int(x) for x in re.findall(r"\d+", version("setuptools"))[:2]) < (70, 1),
    reason="needs setuptools 70.1+ (the test extras) to build offline",
)
def test_quickstart_install_gives_a_working_transcripts_in_the_venv(tmp_path):
    first, _ = quickstart_commands()
    create, *install = [s for s in first.split(" && ") if "transcripts serve" not in s]
    # Never run an install that would go into the interpreter running the tests.
    assert create == "python3 -m venv .venv", first
    assert install and all(s.startswith(".venv/bin/") for s in install), first
    copy = tmp_path / "transcripts"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_DIR, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (PROJECT_DIR / name).is_file() and not name.startswith("seeds/"):
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, copy / name)
    python3 = tmp_path / "bin" / "python3"  # the `python3` the command finds: ours
    python3.parent.mkdir()
    python3.symlink_to(Path(sys._base_executable))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(PATH=f"{python3.parent}{os.pathsep}{env.get('PATH', '')}",
               PIP_NO_INDEX="1", PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(["bash", "-c", create], cwd=copy, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    venv_python = copy / ".venv" / "bin" / "python"
    site = subprocess.run(
        [venv_python, "-c", "import sysconfig, sys; print(sysconfig.get_path('purelib')); "
         "print(sys.prefix != sys.base_prefix)"],
        env=env, capture_output=True, text=True, check=True).stdout.split()
    assert site[1] == "True"  # a venv: where PEP 668 lets pip install
    lent = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(site[0]) / "zz_lent_dependencies.pth").write_text("\n".join(sorted(lent)) + "\n")
    # The venv's own setuptools (ensurepip's, if any) would shadow the lent one.
    backend = tmp_path / "build-backend"
    backend.mkdir()
    purelib = Path(sysconfig.get_path("purelib"))
    for name in ("setuptools", "pkg_resources", "_distutils_hack",
                 f"setuptools-{version('setuptools')}.dist-info"):
        (backend / name).symlink_to(purelib / name)
    done = subprocess.run(["bash", "-c", " && ".join(install)], cwd=copy,
                          env={**env, "PYTHONPATH": str(backend)},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Successfully installed transcripts" in done.stdout, done.stdout
    help_text = subprocess.run([copy / ".venv/bin/transcripts", "--help"], cwd=tmp_path,
                               env=env, capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0, help_text.stderr
    assert "serve" in help_text.stdout and "reindex" in help_text.stdout
    where = subprocess.run([venv_python, "-c", "import transcripts.cli as c; print(c.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()) == copy / "cli.py"  # editable: the copy's code


FAKE_PYTHON3 = """#!/bin/bash
# python3 of a Debian without python3-venv until apt-get installs it; the rest is real.
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  if [ ! -e "$FAKE/venv-package" ]; then
    echo "The virtual environment was not created successfully because ensurepip is not" >&2
    echo "available.  On Debian/Ubuntu systems, you need to install the python3-venv" >&2
    exit 1
  fi
  printf '#!/bin/bash\\necho "$*" >> "$FAKE/venv-python.log"\\n' > "$3/bin/python"
  chmod +x "$3/bin/python"
  exit 0
fi
exec "$REAL_PYTHON" "$@"
"""
FAKE_APT_GET = """#!/bin/bash
echo "$*" >> "$FAKE/apt-get.log"
case " $* " in *" python3.11-venv "*|*" python3-venv "*) touch "$FAKE/venv-package";; esac
"""


def test_ci_run_installs_the_venv_package_when_venv_fails_then_uses_the_venv(tmp_path):
    """`.ci/run` on a Debian without python3-venv: `python3 -m venv` fails, so it says why
    in one line, apt-installs python3.X-venv, creates .venv and runs pip, ruff and pytest
    with .venv's Python; a second run finds .venv and installs nothing new. python3
    (until apt-get "installs" the package) and apt-get are stand-ins that record calls."""
    project = tmp_path / "project"
    (project / ".ci").mkdir(parents=True)
    shutil.copy2(PROJECT_DIR / ".ci" / "run", project / ".ci" / "run")
    axe_version = re.search(r"^AXE_VERSION=(\S+)", (project / ".ci/run").read_text(), re.M)
    axe = project / "instance/axe/node_modules/axe-core"
    axe.mkdir(parents=True)
    (axe / "package.json").write_text(f'{{"version": "{axe_version.group(1)}"}}')
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    for name, script in (("python3", FAKE_PYTHON3), ("apt-get", FAKE_APT_GET),
                         ("sudo", '#!/bin/bash\nexec "$@"\n'), ("chromium", "#!/bin/true\n"),
                         ("npm", "#!/bin/true\n")):
        (fakes / name).write_text(script)
        (fakes / name).chmod(0o755)
    env = {"PATH": f"{fakes}:/usr/bin:/bin", "FAKE": str(fakes), "HOME": str(tmp_path),
           "REAL_PYTHON": sys._base_executable}
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if version != "3.11":
        (fakes / "apt-get").write_text(FAKE_APT_GET.replace("python3.11-venv",
                                                            f"python{version}-venv"))

    first = subprocess.run(["bash", ".ci/run", "-x", "tests/test_cli.py"], cwd=project,
                           env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stdout + first.stderr
    explained = [ln for ln in first.stderr.splitlines() if "python3 -m venv failed" in ln]
    assert explained == [f"python3 -m venv failed: Debian and Ubuntu ship its ensurepip as "
                         f"python{version}-venv; installing it"], first.stderr
    apt = (fakes / "apt-get.log").read_text().splitlines()
    assert apt == ["update -q", f"install -y -q python{version}-venv"], apt
    assert (fakes / "venv-python.log").read_text().splitlines() == [
        "-m pip install -q -e .[test,bench,docs]", "-m ruff check .",
        "-m mypy -p transcripts", "-m pytest -q -x tests/test_cli.py"]

    (fakes / "venv-python.log").unlink()
    again = subprocess.run(["bash", ".ci/run"], cwd=project, env=env, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (fakes / "apt-get.log").read_text().splitlines() == apt  # nothing more installed
    assert (fakes / "venv-python.log").read_text().splitlines() == [
        "-m pip --version", "-m pip install -q -e .[test,bench,docs]", "-m ruff check .",
        "-m mypy -p transcripts", "-m pytest -q"]
