"""The note about a value that does not exist, and persons as read, in real Chromium.

Each page with a note passes axe-core's WCAG 2.1 AA rules at desktop and phone width;
the nearest value is reached by keyboard and asks for it; a person ticked in the facet
reads "Angela Merkel" in the chip and filters on the tag.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from test_browser import (  # noqa: F401  # the running server and browser fixtures
    DESKTOP,
    PHONE,
    browser_context,
    page,
    running_server,
    server,
)
from web_fixtures import web_index_dir  # noqa: F401

from tests.axe import WCAG_21_AA, assert_accessible, needs_axe

pytestmark = pytest.mark.browser

CHINA = "People's Republic of China"
NOTED = [
    ("/?q=cooperation&geography=China&person=Merkel", "search-two-notes"),
    ("/?geography=Zqxj", "search-note-nothing-near"),
    ("/trends?q=gas&geography=China", "trends-note"),
    ("/speakers?q=gas&topic=economy", "speakers-note"),
    ("/kwic?q=gas&speaker=putin", "kwic-note"),
]


@needs_axe
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(("path", "name"), NOTED, ids=[n for _, n in NOTED])
def test_a_page_with_a_value_note_passes_axe(page, path, name, viewport):  # noqa: F811
    page.set_viewport_size(viewport)
    assert page.goto(page.base + path).status == 200
    assert page.locator(".value-note").count() >= 1
    assert_accessible(page, f"{name} at {viewport['width']}px", (*WCAG_21_AA, "best-practice"))


def test_the_nearest_value_is_reached_and_followed_by_keyboard(page):  # noqa: F811
    page.goto(page.base + "/?q=cooperation&geography=China")
    link = page.locator(".value-note a")
    assert link.inner_text() == CHINA
    for _ in range(60):  # Tab from the top of the page until the note's link has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.value-note') !== null"):
            break
    else:
        pytest.fail("Tab never reached the note's link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert ("geography", CHINA) in parse_qsl(urlsplit(page.url).query)
    assert page.locator(".value-note").count() == 0 and page.locator(".hit").count() > 0


def test_a_person_ticked_in_the_facet_reads_given_name_first(page):  # noqa: F811
    page.goto(page.base + "/?q=cooperation")
    box = page.locator('.facet-person input[value="Merkel Angela"]')
    assert box.locator("xpath=..").inner_text().startswith("Angela Merkel")
    with page.expect_navigation():
        box.check()  # the script applies a ticked box at once
    assert ("person", "Merkel Angela") in parse_qsl(urlsplit(page.url).query)
    chip = page.locator(".chips .chip")
    assert "Angela Merkel" in chip.inner_text() and "Merkel Angela" not in chip.inner_text()
