"""Accessibility checks: axe-core's WCAG 2.1 A and AA rules run inside a real Chromium page.

Usage, in a browser test that has a Playwright ``page`` (see tests/test_browser.py)::

    from tests.axe import assert_accessible, needs_axe

    @needs_axe
    def test_trends_page_is_accessible(page):
        page.goto(page.base + "/trends?q=gas")
        assert_accessible(page, "trends")

``assert_accessible(page, name)`` checks the page *as it is now* (open a ``<details>``,
tick a box or resize the viewport first to check that state) and fails with one line per
violated rule — rule id, impact, what it asks for, a link to its explanation — and the
CSS selector and axe's summary of every offending element. ``name`` says which page and
state failed (it is in the message). ``tags`` (default ``WCAG_21_AA``) selects the
rules: add ``"best-practice"`` for axe's further checks (one ``<h1>``, landmarks, heading
order). ``needs_axe`` skips a test, with the command that installs it, when axe-core is
absent. axe needs scripts on: to check a page as loaded without JavaScript, load it with
scripts off, then switch them on before the check (see ``page_without_js`` in
tests/test_browser.py); the page keeps its no-JS state.

axe-core is an npm package, not a Python one: ``bash .ci/run`` installs the pinned
version into the git-ignored ``instance/axe/`` (``npm install --prefix instance/axe
axe-core@<version>``). It is evaluated through the DevTools protocol rather than added
as a ``<script>`` tag, because the site's Content-Security-Policy (``script-src 'self'``)
rightly refuses inline scripts and the test should see the page under its real policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
AXE_JS = PROJECT_DIR / "instance" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

needs_axe = pytest.mark.skipif(
    not AXE_JS.is_file(),
    reason=f"axe-core is not installed at {AXE_JS}: run `bash .ci/run`, which installs it "
    "with npm into instance/axe/",
)

# Runs in the page: the axe.run result reduced to what a failure message needs.
_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: Any, tags: tuple[str, ...] = WCAG_21_AA) -> list[dict]:
    """axe-core's violations of ``tags`` on the page as it is now (injected if not yet)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(_RUN, list(tags))


def assert_accessible(page: Any, name: str, tags: tuple[str, ...] = WCAG_21_AA) -> None:
    """Fail, listing every violation and the elements it was found on, unless axe finds none.

    ``tags`` defaults to WCAG 2.0/2.1 levels A and AA, the project's standard.
    """
    violations = axe_violations(page, tags)
    if not violations:
        return
    lines = [f"{name} ({page.url}): {len(violations)} axe-core rule(s) violated"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}]: {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    pytest.fail("\n".join(lines), pytrace=False)


# Each Tab stop: what it is, whether it shows a focus ring, and where its block starts
# (side-by-side columns and a transcript's twin cells are read one after the other, so
# their block counts as one line of the reading order).
FOCUS = """() => {
    const el = document.activeElement, style = getComputedStyle(el);
    const box = (el.closest(".tag-columns, .parallel-row") || el).getBoundingClientRect();
    return {what: el.outerHTML.slice(0, 100), tag: el.tagName,
            ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
            visible: el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0,
            top: box.top + window.scrollY, inMain: el.closest("main") !== null};
}"""


def tab_through_main(page: Any, most: int = 80) -> list[dict[str, Any]]:
    """Tab from the skip link through <main> (a loaded page): every stop visible with a
    ring and none above the one before by more than a line. The stops, in order."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    last_top, stops = -1.0, []
    for _ in range(most):
        page.keyboard.press("Tab")
        f = page.evaluate(FOCUS)
        if not f["inMain"]:
            break  # into the footer: the whole of <main> was walked
        assert f["visible"] and f["ring"], f
        assert f["top"] >= last_top - 40, (f, last_top)
        last_top = max(last_top, f["top"])
        stops.append(f)
    return stops
