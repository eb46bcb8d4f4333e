"""Accessibility of the pages added after the search and transcript pages, in real Chromium.

Over time, Who said it most, speaker pages, the concordance, the search page's links to
them and to the exports, transcripts from timed formats (times, media links, credits)
and the 400/404 pages of these views: each passes axe-core's WCAG 2.1 AA rules (and
axe's best practices: one ``<h1>``, landmarks, heading order) at desktop and phone
width, with every ``<details>`` opened; a subset again as loaded without JavaScript.
Then the keyboard: every stop Tab reaches shows a ring, in reading order (nothing jumps
back up the page), and the forms and sort links work from the keyboard and without
JavaScript. The timed formats are a small folder of ``../shared/formats`` files indexed
in tmp_path, served by a second `transcripts serve`.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_browser import (  # noqa: F401  # the running server and browser fixtures
    DESKTOP,
    PHONE,
    browser_context,
    page,
    page_without_js,
    running_server,
    server,
)
from test_browser import PAGES as SEARCH_PAGES
from web_fixtures import web_index_dir  # noqa: F401
from werkzeug.exceptions import NotFound

from tests.axe import FOCUS, WCAG_21_AA, assert_accessible, needs_axe, tab_through_main
from tests.conftest import SHARED_DIR
from transcripts.index.writer import reindex

pytestmark = pytest.mark.browser

QUERY = "coronavirus"
FORMATS = SHARED_DIR / "formats"
MEDIA = "https://example.org/podcast/ep1.mp3"
BEST = (*WCAG_21_AA, "best-practice")

# (path, name, HTTP status): every view in the states that render different markup.
PAGES = [
    (f"/trends?q={QUERY}", "trends-one-query", 200),
    (f"/trends?q={QUERY}&q=russia&q=china", "trends-three-queries", 200),
    (f"/trends?q={QUERY}&bucket=month&from=2020-01-01&to=2020-12-31", "trends-months", 200),
    (f"/trends?q={QUERY}&q=russia&mode=share&topic=Healthcare", "trends-share-filtered", 200),
    ("/trends", "trends-no-query", 200),
    ("/trends?q=zqxjvwk", "trends-no-hits", 200),
    ("/trends?q=%22unclosed", "trends-bad-query", 400),
    (f"/trends?q={QUERY}&bucket=decade", "trends-bad-bucket", 400),
    ("/trends?q=a&q=b&q=c&q=d&q=e", "trends-five-queries", 400),
    (f"/trends?q={QUERY}&from=2020-13-01", "trends-bad-date", 400),
    (f"/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1", "speakers", 200),
    (f"/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1&order=words",
     "speakers-sorted", 200),
    ("/speakers?q=russia&topic=Healthcare&from=2019-01-01&min_words=500&min_hits=1"
     "&min_transcripts=1", "speakers-filtered", 200),
    (f"/speakers?q={QUERY}", "speakers-none-meet-minimums", 200),
    ("/speakers", "speakers-no-query", 200),
    ("/speakers?q=%22unclosed", "speakers-bad-query", 400),
    (f"/speakers?q={QUERY}&min_words=lots", "speakers-bad-minimum", 400),
    (f"/speakers?q={QUERY}&limit=5000", "speakers-limit-too-high", 400),
    ("/speaker/Vladimir%20Putin", "speaker", 200),
    ("/speaker/Mishustin%20Mikhail", "speaker-person-tag", 200),
    ("/speaker/Nobody%20Atall", "speaker-unknown", 404),
    (f"/kwic?q={QUERY}", "kwic", 200),
    (f"/kwic?q={QUERY}&sort=right1", "kwic-sorted", 200),
    (f"/kwic?q={QUERY}&page=2", "kwic-page-2", 200),
    (f"/kwic?q={QUERY}&topic=Healthcare&from=2020-01-01", "kwic-filtered", 200),
    (f"/kwic?q={QUERY}&page=999", "kwic-past-last-page", 200),
    ("/kwic?q=zqxjvwk", "kwic-no-hits", 200),
    ("/kwic", "kwic-empty-query", 200),
    ("/kwic?q=%22unclosed", "kwic-bad-query", 400),
    ("/kwic?q=-russia", "kwic-only-negative", 200),
    (f"/kwic?q={QUERY}&sort=sideways", "kwic-bad-sort", 400),
    (f"/kwic?q={QUERY}&width=5", "kwic-bad-width", 400),
    (f"/kwic?q={QUERY}&page=abc", "kwic-bad-page", 400),
    (f"/export?q={QUERY}&format=xls", "export-bad-format", 400),
    (f"/?q={QUERY}", "search-with-analysis-links", 200),
    (f"/?q={QUERY}&speaker=Vladimir%20Putin&sort=newest", "search-speaker-newest", 200),
    ("/?topic=Healthcare&topic=Energy&geography=Turkey&from=2020-01-01",
     "search-filters-in-the-way", 200),
    # The downloads answer a bad request with an HTML page.
    ("/trends.csv?q=%22unclosed", "trends-csv-bad-query", 400),
    ("/speakers.csv?q=%22unclosed", "speakers-csv-bad-query", 400),
    ("/kwic.csv?q=%22unclosed", "kwic-csv-bad-query", 400),
    ("/speaker-words/Nobody%20Atall.csv", "speaker-words-csv-unknown", 404),
    ("/feed?q=%22unclosed", "feed-bad-query", 400),  # the feed itself is Atom, not a page
    ("/api", "api-docs", 200),  # the OpenAPI document drawn as a page
]


@pytest.fixture(scope="module")
def formats_server(tmp_path_factory) -> str:
    """A podcast SRT with a sidecar naming its recording, a WebVTT file and a ParlaMint
    sitting (with the taxonomy its roles come from), indexed and served."""
    if not FORMATS.is_dir():
        pytest.skip(f"the sample files are absent ({FORMATS})")
    folder = tmp_path_factory.mktemp("timed")
    for name in ("srt/podcastindex_example.srt", "webvtt/mozilla-vttjs_spec-example.vtt",
                 "parlamint/ParlaMint-GB_2020-02-12-lords.xml",
                 "parlamint/ParlaMint-taxonomy-speaker_types.xml",
                 "text/zoom_input_example.txt"):
        shutil.copy(FORMATS / name, folder / Path(name).name)
    (folder / "podcastindex_example.meta.json").write_text(json.dumps({
        "title": "10 things we wish we knew before podcasting", "date": "2021-06-01",
        "media": MEDIA, "licence": "CC0-1.0", "attribution": "Podcastindex.org",
    }))
    root = tmp_path_factory.mktemp("timed-index")
    reindex([folder], root, full=True)
    with running_server(root, tmp_path_factory.mktemp("timed-serve") / "serve.log") as base:
        yield base


TIMED_PAGES = [
    ("/t/podcastindex_example", "podcast-srt-with-media"),
    ("/t/podcastindex_example?q=audio+quality#u3", "podcast-srt-from-search"),
    ("/t/mozilla-vttjs_spec-example", "webvtt"),
    ("/t/ParlaMint-GB_2020-02-12-lords", "parlamint-sitting"),
    ("/t/zoom_input_example", "zoom-times-without-media"),
    ("/?q=%22audio+quality%22&source=SRT", "search-hit-with-time"),
    ("/?q=the", "search-every-format"),
    ("/kwic?q=podcast", "kwic-timed"),
    ("/speaker/Sarah", "speaker-from-captions"),
]


def open_every_details(tab) -> None:
    tab.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def load(tab, url: str, status: int = 200) -> None:
    response = tab.goto(url)
    assert response.status == status, (url, response.status)


@needs_axe
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(("path", "name", "status"), PAGES, ids=[p[1] for p in PAGES])
def test_view_passes_axe_wcag_21_aa(page, path, name, status, viewport):  # noqa: F811
    page.expected_errors += ["status of 400", "status of 404"]
    page.set_viewport_size(viewport)
    load(page, page.base + path, status)
    open_every_details(page)
    assert_accessible(page, f"{name} at {viewport['width']}px", BEST)


@needs_axe
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(("path", "name"), TIMED_PAGES, ids=[p[1] for p in TIMED_PAGES])
def test_timed_format_page_passes_axe_wcag_21_aa(page, formats_server, path, name, viewport):  # noqa: F811
    page.set_viewport_size(viewport)
    load(page, formats_server + path)
    open_every_details(page)
    assert_accessible(page, f"{name} at {viewport['width']}px", BEST)


def test_time_links_say_they_play_the_recording(page, formats_server):  # noqa: F811
    """A link named only "0:53" would not tell a screen reader user where it goes."""
    named = re.compile(r"^0:53.*play the recording from here", re.IGNORECASE)
    load(page, formats_server + "/t/podcastindex_example")
    link = page.get_by_role("link", name=named)
    assert link.count() == 1 and link.get_attribute("href") == f"{MEDIA}#t=53"
    load(page, formats_server + "/?q=%22audio+quality%22&source=SRT")
    link = page.get_by_role("link", name=named)
    assert link.count() == 1 and link.get_attribute("href") == f"{MEDIA}#t=53"


NO_JS_PAGES = [
    (f"/trends?q={QUERY}&q=russia", "trends"),
    (f"/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1", "speakers"),
    ("/speaker/Vladimir%20Putin", "speaker"),
    (f"/kwic?q={QUERY}&sort=left1", "kwic"),
    ("/kwic", "kwic-empty-query"),
    ("timed:/t/podcastindex_example?q=podcast", "podcast-srt-with-media"),
    ("timed:/?q=%22audio+quality%22", "search-hit-with-time"),
]


def url_of(request, tab, path: str) -> str:
    """``timed:/…`` is a page of the timed-formats index, anything else of the corpus's."""
    if path.startswith("timed:"):
        return request.getfixturevalue("formats_server") + path.removeprefix("timed:")
    return tab.base + path


@needs_axe
@pytest.mark.parametrize(("path", "name"), NO_JS_PAGES, ids=[p[1] for p in NO_JS_PAGES])
def test_view_without_javascript_passes_axe(request, page_without_js, path, name):  # noqa: F811
    tab = page_without_js
    load(tab, url_of(request, tab, path))
    assert not tab.evaluate("document.documentElement.classList.contains('js')")
    tab.scripts(True)  # axe needs scripts; the page stays as loaded without the site's
    assert_accessible(tab, f"{name} without JavaScript", BEST)


# --- keyboard ------------------------------------------------------------------------

KEYBOARD_PAGES = [
    (f"/trends?q={QUERY}&q=russia", "trends"),
    (f"/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1", "speakers"),
    ("/speaker/Vladimir%20Putin", "speaker"),
    (f"/kwic?q={QUERY}", "kwic"),
    ("timed:/t/podcastindex_example", "podcast-srt-with-media"),
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(("path", "name"), KEYBOARD_PAGES, ids=[p[1] for p in KEYBOARD_PAGES])
def test_tab_stops_show_a_ring_in_reading_order(request, page, path, name, viewport):  # noqa: F811
    """From the skip link down the page: each stop visible with a ring, none above the
    one before by more than a line (a row of links wraps; side-by-side columns count as
    one block, read column by column)."""
    page.set_viewport_size(viewport)
    load(page, url_of(request, page, path))
    stops = [f["tag"] for f in tab_through_main(page)]
    assert stops and stops[0] == "A" and len(stops) >= 5, stops  # "← Search" first


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
def test_a_wide_table_is_a_tab_stop_only_where_it_scrolls(page, scripts):  # noqa: F811
    """A table scrolls sideways in its box on a phone: the box takes the focus (arrow
    keys scroll it) and shows a ring. Where it fits, the script takes that useless stop
    out of the Tab order; without scripts it stays, which does no harm."""
    if not scripts:
        session = page.context.new_cdp_session(page)
        session.send("Emulation.setScriptExecutionDisabled", {"value": True})
    url = f"{page.base}/speaker/Vladimir%20Putin"
    box = page.locator("#distinctive-heading ~ .table-scroll")
    page.set_viewport_size(PHONE)
    load(page, url)
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    assert box.get_attribute("tabindex") == "0"
    box.focus()
    assert page.evaluate(FOCUS)["ring"]
    for _ in range(20):
        page.keyboard.press("ArrowRight")
        if box.evaluate("b => b.scrollLeft") > 0:
            break
    assert box.evaluate("b => b.scrollLeft") > 0
    page.set_viewport_size(DESKTOP)
    load(page, url)
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")
    assert box.get_attribute("tabindex") == (None if scripts else "0")


def test_trends_form_by_keyboard_changes_the_bucket(page):  # noqa: F811
    load(page, f"{page.base}/trends?q={QUERY}")
    page.focus("#bucket")
    page.keyboard.press("ArrowDown")  # "year"
    page.keyboard.press("ArrowDown")  # "month"
    page.focus("#q1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "bucket=month" in page.url
    assert page.locator("table.data-table th[scope=col]").first.inner_text() == "Month"


def test_speakers_minimums_by_keyboard(page):  # noqa: F811
    load(page, f"{page.base}/speakers?q={QUERY}")
    page.fill("#min_words", "1000")
    page.fill("#min_hits", "1")
    page.focus("#min_transcripts")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "min_words=1000" in page.url and "min_transcripts=1" in page.url
    assert page.locator("table.data-table tbody tr").count() >= 1


def test_kwic_sort_and_pages_by_keyboard(page):  # noqa: F811
    load(page, f"{page.base}/kwic?q={QUERY}")
    page.locator(".kwic-sort a", has_text="1st word left").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "sort=left1" in page.url
    page.locator(".pagination a.page-next").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "page=2" in page.url and "sort=left1" in page.url


# --- without JavaScript --------------------------------------------------------------

def test_analysis_forms_and_links_work_without_javascript(page_without_js):  # noqa: F811
    tab = page_without_js
    load(tab, f"{tab.base}/?q={QUERY}")
    for label, where in (("Over time", "/trends?"), ("Who said it most", "/speakers?"),
                         ("Concordance", "/kwic?")):
        link = tab.locator("main a", has_text=label).first
        assert link.is_visible()
        assert where in link.get_attribute("href")
    with tab.expect_navigation():
        tab.locator("main a", has_text="Over time").first.click()
    tab.fill("#q2", "russia")
    with tab.expect_navigation():
        tab.locator("form.analysis-form button[type=submit]").click()
    assert tab.locator(".legend li").count() == 2
    with tab.expect_navigation():
        tab.locator(".related a[href*='/speakers?']").first.click()
    assert "/speakers?" in tab.url
    tab.fill("#min_words", "1000")
    tab.fill("#min_hits", "1")
    tab.fill("#min_transcripts", "1")
    with tab.expect_navigation():
        tab.locator("form.analysis-form button[type=submit]").click()
    first = tab.locator("table.data-table tbody th a").first
    with tab.expect_navigation():
        first.click()
    assert "/speaker/" in tab.url and tab.locator("h1").is_visible()
    load(tab, f"{tab.base}/kwic")
    tab.fill("#q", QUERY)
    with tab.expect_navigation():
        tab.locator("form.kwic-form button[type=submit]").click()
    assert tab.locator(".kwic-line").count() > 20


@pytest.mark.parametrize(("order", "column", "direction"), [
    ("", "95 % interval", "descending"), ("words", "Words spoken", "descending"),
    ("name", "Speaker", "ascending"),
])
def test_the_column_the_speakers_are_sorted_by_is_announced(page, order, column, direction):  # noqa: F811
    url = f"{page.base}/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1"
    load(page, url + (f"&order={order}" if order else ""))
    sorted_by = page.locator("table.data-table th[aria-sort]")
    assert sorted_by.count() == 1
    assert (sorted_by.inner_text(), sorted_by.get_attribute("aria-sort")) == (column, direction)


# --- every page of the site --------------------------------------------------------

# States no GET of a working site shows: rendered by the app's own error handlers (the
# same template, headers and stylesheet), then served at a URL of the running site.
ERROR_STATES = ["index-missing-503", "unexpected-500", "method-not-allowed-405"]


def error_state(name: str, index_dir: Path, tmp_path: Path):
    """The response a real app gives in that state (Flask's test client)."""
    from transcripts.web import create_app

    if name == "index-missing-503":
        return create_app({"INDEX_DIR": str(tmp_path), "WARM_INDEX": False}).test_client().get("/")
    app = create_app({"INDEX_DIR": str(index_dir), "WARM_INDEX": False})
    if name == "unexpected-500":
        def fail() -> str:
            raise RuntimeError("a bug")
        app.add_url_rule("/a-bug", view_func=fail)
        return app.test_client().get("/a-bug")
    return app.test_client().post("/")


@needs_axe
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", ERROR_STATES)
def test_error_states_pass_axe(page, web_index_dir, tmp_path, name, viewport):  # noqa: F811
    response = error_state(name, web_index_dir, tmp_path)
    assert response.status_code == int(name[-3:]) and response.mimetype == "text/html"
    page.expected_errors += [f"status of {response.status_code}"]
    page.route(page.base + "/error-state", lambda route: route.fulfill(
        status=response.status_code, headers=dict(response.headers), body=response.get_data()))
    page.set_viewport_size(viewport)
    load(page, page.base + "/error-state", response.status_code)
    assert page.locator("h1").count() == 1
    assert_accessible(page, f"{name} at {viewport['width']}px", BEST)


def axe_checked_paths() -> list[str]:
    """Every path the axe tests of this module and tests/test_browser.py load."""
    return [
        *(path for path, _ in SEARCH_PAGES),
        *(path for path, _, _ in PAGES),
        *(path for path, _ in TIMED_PAGES),
        *(path.removeprefix("timed:") for path, _ in NO_JS_PAGES),
    ]


def test_every_page_route_of_the_site_is_checked_by_axe(web_index_dir):  # noqa: F811
    """A new page (or a new blueprint) cannot be forgotten: every GET route must have a
    URL in the lists above, unless it answers only JSON (the API, errors included,
    checked here) or is a static file."""
    from transcripts.web import create_app

    app = create_app({"INDEX_DIR": str(web_index_dir), "WARM_INDEX": False})
    urls = app.url_map.bind("localhost")
    checked = set()
    for path in axe_checked_paths():
        with contextlib.suppress(NotFound):  # the 404 page: checked, but of no route
            checked.add(urls.match(urlsplit(path).path)[0])
    client = app.test_client()
    unchecked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint in checked:
            continue
        if rule.rule.startswith("/api/"):
            url = re.sub(r"<[^>]+>", "no-such-thing", rule.rule) + "?q=%22unclosed&page=0"
            answer = client.get(url)
            assert answer.mimetype == "application/json", (url, answer.status_code)
            continue
        unchecked.append(f"{rule.rule} ({rule.endpoint})")
    assert not unchecked, f"pages with no axe-checked URL: {unchecked}"
