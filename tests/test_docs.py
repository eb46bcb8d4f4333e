"""The manual: ``mkdocs build --strict`` over ``docs/`` succeeds, and its generated pages
cover what they are generated from.

The build is strict (a broken link or anchor, or a page missing from the nav, fails it),
so this one build checks every link between the pages. The command-line reference must
name every command of ``transcripts.cli.main`` (groups' subcommands too), and the API
reference every path of the OpenAPI document: both are drawn on each build, so a command
or an endpoint added later shows up without anyone editing a page. The README stays a
front page: short, and every link it has to the manual leads to a page that exists.
Skips when MkDocs is not installed (the ``docs`` extra: ``pip install -e '.[docs]'``).
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests.conftest import PROJECT_DIR
from transcripts.cli import main
from transcripts.web.openapi import document

README = PROJECT_DIR / "README.md"
README_MAX_LINES = 200
DOCS_PACKAGES = ("mkdocs", "material", "mkdocs_click")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    missing = [name for name in DOCS_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: the docs extra "
                    "(pip install -e '.[docs]') builds the manual")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def anchor(command_path: str) -> str:
    """The id mkdocs-click gives a command's heading: its path, slugified."""
    return command_path.lower().replace(" ", "-")


def command_paths(command: click.Command, path: str = "transcripts") -> list[str]:
    """``transcripts``, ``transcripts alerts``, ``transcripts alerts add`` ...: every
    command, a group's subcommands after it."""
    paths = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not sub.hidden:
            paths += command_paths(sub, f"{path} {name}")
    return paths


def test_the_manual_builds_strictly(site):
    assert (site / "index.html").is_file()
    for page in ("getting-started", "cli", "api-reference", "performance", "credits"):
        assert (site / page / "index.html").is_file(), page


def test_the_cli_reference_lists_every_command_and_subcommand(site):
    page = (site / "cli" / "index.html").read_text(encoding="utf-8")
    paths = command_paths(main)
    assert "transcripts alerts add" in paths and "transcripts serve" in paths
    assert len(paths) == 1 + len(main.commands) + len(main.commands["alerts"].commands)
    for path in paths:
        assert f'id="{anchor(path)}"' in page, f"no section for `{path}`"
    for name, command in main.commands.items():  # a row in the table of subcommands
        assert f'href="#{anchor("transcripts " + name)}"' in page, name
        for option in command.params:
            if isinstance(option, click.Option) and not option.hidden:
                assert f"<code>{option.opts[-1]}</code>" in page, (name, option.opts)
    assert "Sentinel.UNSET" not in page  # mended by docs/hooks/cli_reference.py
    assert str(PROJECT_DIR) not in page  # defaults shown relative to the checkout


def test_the_api_reference_lists_every_path_and_schema_of_the_openapi_document(site):
    page = (site / "api-reference" / "index.html").read_text(encoding="utf-8")
    doc = document()
    assert doc["paths"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert html.escape(f"{method.upper()} {path}") in page, path
            assert f'id="op-{operation["operationId"].lower()}"' in page, path
            for parameter in operation.get("parameters", []):
                assert f"<code>{html.escape(parameter['name'])}</code>" in page
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name.lower()}"' in page, name
    assert "openapi-reference" not in page  # the placeholder was replaced


def test_the_site_loads_nothing_from_elsewhere(site):
    """No web fonts (theme.font: false) and no script or stylesheet from a CDN."""
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:link|script)\b[^>]*(?:href|src)="(?:https?:)?//[^"]*"', text)
        assert not remote, (page, remote)


def test_the_readme_is_a_front_page_whose_links_lead_to_the_manual():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [t.split("#", 1)[0] for t in targets if not re.match(r"[a-z]+:", t)]
    docs = [t for t in local if t.startswith("docs/")]
    assert len(docs) >= 10, docs  # a link to each part of the manual
    for target in local:
        assert (PROJECT_DIR / target).is_file(), f"README links to a missing {target}"
    for page in sorted((PROJECT_DIR / "docs").glob("*.md")):
        if page.name != "index.md":
            assert f"docs/{page.name}" in docs, f"README does not link to docs/{page.name}"
