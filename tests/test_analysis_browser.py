"""The analysis pages in real headless Chromium, as `transcripts serve` serves them.

At desktop and phone width: the chart is drawn (the drawing meant for that width is the
one shown), nothing overflows sideways, the sort links and forms work by keyboard and
without JavaScript, and the console stays free of errors (a CSP violation is one).
Screenshots go to tests/screenshots/.
"""

from __future__ import annotations

import pytest
from test_browser import DESKTOP, PHONE, browser_context, page, server, shot  # noqa: F401
from web_fixtures import web_index_dir  # noqa: F401  # the shared session fixture

pytestmark = pytest.mark.browser

QUERY = "coronavirus"

PAGES = [
    (f"/trends?q={QUERY}&q=russia", "trends"),
    (f"/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1", "speakers"),
    ("/speaker/Vladimir%20Putin", "speaker"),
]


@pytest.mark.parametrize(("path", "name"), PAGES)
@pytest.mark.parametrize(("size", "width"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_analysis_page_fits_and_shows_its_chart(page, path, name, size, width):  # noqa: F811
    page.set_viewport_size(width)
    page.goto(page.base + path)
    scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll[0] <= scroll[1], scroll
    assert page.locator("h1").is_visible()
    assert page.locator("table.data-table").first.is_visible() or name == "speaker"
    if name != "speakers":
        wide, narrow = page.locator("svg.chart-wide").first, page.locator("svg.chart-narrow").first
        shown, hidden = (wide, narrow) if size == "desktop" else (narrow, wide)
        assert shown.is_visible() and not hidden.is_visible()
        box = shown.bounding_box()
        assert box["width"] <= width["width"] and box["height"] > 150
    shot(page, f"{name}-{size}", full_page=True)


def test_compare_a_second_query_with_the_keyboard(page):  # noqa: F811
    page.goto(f"{page.base}/trends?q={QUERY}")
    page.focus("#q2")
    page.keyboard.type("russia")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=russia" in page.url and f"q={QUERY}" in page.url
    assert page.locator(".legend li").count() == 2
    with page.expect_navigation():
        page.get_by_role("link", name="Show the share of transcripts").click()
    assert "mode=share" in page.url
    assert page.locator("svg.chart-wide title").first.text_content().startswith("Share")


def test_sort_the_speakers_and_open_one(page):  # noqa: F811
    page.goto(f"{page.base}/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1")
    with page.expect_navigation():
        page.get_by_role("link", name="Words", exact=True).click()
    assert "order=words" in page.url
    first = page.locator("table.data-table tbody th a").first
    name = first.inner_text()
    with page.expect_navigation():
        first.click()
    assert page.locator("h1").inner_text() == name


def test_pages_read_without_javascript(browser_context, server):  # noqa: F811
    """The site's only script is refused, as a browser with JavaScript off would."""
    tab = browser_context.new_page()
    try:
        tab.route("**/*.js", lambda route: route.abort())
        tab.goto(f"{server}/trends?q={QUERY}")
        assert tab.locator("svg.chart-wide").is_visible()
        assert tab.locator("table.data-table tbody tr").count() > 1
        tab.goto(f"{server}/speaker/Vladimir%20Putin")
        assert tab.locator("h2", has_text="Distinctive words").is_visible()
    finally:
        tab.close()
