"""The concordance in real headless Chromium, as `transcripts serve` runs it: lines lined
up on the match at desktop and phone width, sorting by links, no console or CSP errors.
Screenshots go to tests/screenshots/."""

from __future__ import annotations

import importlib
import re

import pytest
from test_browser import (  # noqa: F401  # the running server and browser fixtures
    DESKTOP,
    PHONE,
    browser_context,
    page,
    server,
    shot,
)
from web_fixtures import web_index_dir  # noqa: F401

pytestmark = pytest.mark.browser

QUERY = "coronavirus"


def match_lefts(tab) -> set[int]:
    """Where the match starts on each line, in CSS pixels (rounded)."""
    return set(
        tab.evaluate(
            "[...document.querySelectorAll('.kwic-line mark')]"
            ".map(m => Math.round(m.getBoundingClientRect().left))"
        )
    )


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "kwic-desktop"), (PHONE, "kwic-phone")])
def test_lines_align_on_the_match_and_fit_the_width(page, size, name):  # noqa: F811
    page.set_viewport_size(size)
    page.goto(f"{page.base}/kwic?q={QUERY}")
    assert page.locator(".kwic-line").count() > 20
    assert len(match_lefts(page)) == 1  # every match starts in the same column
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    meta = page.locator(".kwic-line .kwic-meta").first
    assert meta.is_visible() and re.search(r"\d{4}", meta.inner_text())  # the date
    # The left context ends right at the match: it is right-aligned, clipped on its left.
    left = page.locator(".kwic-line .kwic-left").nth(3).bounding_box()
    mark = page.locator(".kwic-line mark").nth(3).bounding_box()
    assert 0 <= mark["x"] - (left["x"] + left["width"]) < 16
    shot(page, name)


def test_sort_by_the_word_after_then_open_a_line(page):  # noqa: F811
    page.goto(f"{page.base}/?q={QUERY}")
    with page.expect_navigation():
        page.locator(".result-tools a", has_text="Concordance").click()
    assert "/kwic?q=coronavirus" in page.url
    with page.expect_navigation():
        page.locator(".kwic-sort a", has_text="1st word right").click()
    assert "sort=right1" in page.url
    assert page.locator('.kwic-sort [aria-current="true"]').inner_text() == "1st word right"
    api = page.request.get(f"{page.base}/api/kwic?q={QUERY}&sort=right1").json()
    shown = page.locator(".kwic-match").evaluate_all("links => links.map(a => a.href)")
    assert [u.split("#")[1] for u in shown] == [f"u{ln['position']}" for ln in api["lines"]]
    shot(page, "kwic-sorted")
    link = page.locator(".kwic-match").nth(2)
    fragment = link.get_attribute("href").split("#")[1]
    with page.expect_navigation():
        link.click()
    assert page.evaluate("document.querySelector(':target').id") == fragment
    assert page.locator(f"#{fragment} mark").count() > 0


def test_keyboard_reaches_the_lines_in_order(page):  # noqa: F811
    page.goto(f"{page.base}/kwic?q={QUERY}")
    page.locator(".kwic-sort a").last.focus()
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "kwic-match":
            break
    assert page.evaluate("document.activeElement.className") == "kwic-match"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_kwic_passes_axe(page):  # noqa: F811
    axe = None
    for module in ("tests.axe", "axe"):
        try:
            axe = importlib.import_module(module)
            break
        except ImportError:
            continue
    if axe is None or not hasattr(axe, "assert_accessible"):
        pytest.skip("tests/axe.py (axe-core in Chromium) is not on this branch yet")
    for size, name in ((DESKTOP, "kwic-desktop"), (PHONE, "kwic-phone")):
        page.set_viewport_size(size)
        page.goto(f"{page.base}/kwic?q={QUERY}&sort=left1")
        axe.assert_accessible(page, name)
    page.goto(f"{page.base}/kwic")
    axe.assert_accessible(page, "kwic-empty")
