"""End to end in real headless Chromium against the site as `transcripts serve` runs it.

What the test client cannot see is checked here: that the forms and links work in a
browser, that the little JavaScript runs under the Content-Security-Policy, that a
transcript opens scrolled to the matched passage, and that the layout fits a phone.
Screenshots of the main pages are saved in tests/screenshots/ for a human to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from web_fixtures import web_index_dir  # noqa: F401  # the shared session fixture

from tests.axe import WCAG_21_AA, assert_accessible, needs_axe

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
QUERY = "coronavirus"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed"
)
if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def transcripts_command() -> list[str]:
    """The console script of the Python running the tests (.venv's under .ci/run), not
    whichever `transcripts` is first on PATH."""
    script = str(Path(sys.executable).parent / "transcripts")
    if not Path(script).exists():
        script = shutil.which("transcripts") or script
    if not Path(script).exists():
        pytest.skip("the `transcripts` console script is not installed (pip install -e .)")
    return [script]


@contextmanager
def running_server(index_dir: Path, log: Path) -> Iterator[str]:
    """`transcripts serve` on a free port over ``index_dir``, answering; its base URL."""
    port = free_port()
    cmd = [*transcripts_command(), "serve", "--index-dir", str(index_dir),
           "--port", str(port), "--host", "127.0.0.1"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`transcripts serve` exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`transcripts serve` did not answer within 60 s: {log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(web_index_dir: Path, tmp_path_factory) -> Iterator[str]:  # noqa: F811
    with running_server(web_index_dir, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            user_data_dir=str(profile), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport=DESKTOP,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context, server):
    """A fresh tab that fails the test on any console error (a CSP violation is one)."""
    tab = browser_context.new_page()
    tab.set_viewport_size(DESKTOP)
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.base = server
    tab.expected_errors = []  # what a test provokes on purpose (an HTTP 400 is logged)
    yield tab
    tab.close()
    unexpected = [e for e in errors if not any(x in e for x in tab.expected_errors)]
    assert not unexpected, unexpected


def shot(tab, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def totals(tab) -> str:
    return tab.locator(".results-totals").inner_text()


def facet_count(tab, facet: str, value: str) -> str:
    item = tab.locator(f"fieldset.facet-{facet} .facet-item").filter(
        has=tab.locator(".facet-value", has_text=re.compile(f"^{re.escape(value)}$")))
    return item.first.locator(".count").inner_text()


def search_for(tab, query: str, screenshot: str | None = None) -> None:
    tab.goto(tab.base + "/")
    if screenshot:
        shot(tab, screenshot)
    assert tab.evaluate("document.activeElement.id") == "q"  # autofocus
    tab.fill("#q", query)
    with tab.expect_navigation():
        tab.press("#q", "Enter")


def test_type_a_query_and_submit(page):
    search_for(page, QUERY, screenshot="search-home")
    assert re.search(rf"/\?q={QUERY}$", page.url)  # no empty from=&to= in the URL
    assert page.input_value("#q") == QUERY
    assert page.locator("article.hit").count() == 10
    assert page.locator(".snippet mark").first.is_visible()
    assert "passages in" in totals(page)
    shot(page, "search-results")


def test_tick_a_topic_then_remove_its_chip(page):
    search_for(page, QUERY)
    before_totals = totals(page)
    before_putin = facet_count(page, "speaker", "Vladimir Putin")
    before_topic = facet_count(page, "topic", "Regions")
    with page.expect_navigation():
        page.locator("fieldset.facet-topic label", has_text="Healthcare").first.click()
    assert "topic=Healthcare" in page.url
    assert page.locator("fieldset.facet-topic input[value=Healthcare]").is_checked()
    assert totals(page) != before_totals
    assert facet_count(page, "speaker", "Vladimir Putin") != before_putin
    assert facet_count(page, "topic", "Regions") == before_topic  # its own facet: unchanged
    chip = page.locator("a.chip", has_text="Healthcare")
    assert chip.is_visible()
    shot(page, "search-filtered")

    with page.expect_navigation():
        chip.click()
    assert "topic=" not in page.url
    assert totals(page) == before_totals
    assert page.locator("a.chip").count() == 0

    page.go_back()  # every state is in the URL, so Back restores the filter
    page.wait_for_url(re.compile("topic=Healthcare"))
    assert page.locator("a.chip", has_text="Healthcare").is_visible()


def test_filter_a_long_facet_list_by_typing(page):
    page.goto(f"{page.base}/?q={QUERY}")
    box = page.locator("fieldset.facet-person .facet-filter")
    assert box.is_visible()
    box.fill("mishus")
    visible = page.locator("fieldset.facet-person .facet-item:visible")
    assert visible.count() == 1
    assert "Mishustin" in visible.first.inner_text()
    box.fill("")
    assert page.locator("fieldset.facet-person .facet-more").get_attribute("open") is None


def test_filtering_a_facet_list_by_typing_ignores_accents(page):
    """"niinisto" finds the tag written "Niinistö" (page 63417 of the sample)."""
    page.goto(f"{page.base}/")
    box = page.locator("fieldset.facet-person .facet-filter")
    box.fill("niinisto")
    visible = page.locator("fieldset.facet-person .facet-item:visible")
    assert visible.count() == 1 and "Niinistö" in visible.first.inner_text()


def test_open_a_transcript_at_the_matched_passage(page):
    page.goto(f"{page.base}/?q=Syria")
    link = page.locator("article.hit .passage-who").nth(1)
    href = link.get_attribute("href")
    fragment = href.split("#")[1]
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"#{fragment}") and "q=Syria" in page.url
    target = page.locator(f"#{fragment}")
    assert page.evaluate("document.querySelector(':target').id") == fragment
    assert target.locator("mark").count() > 0
    box = target.bounding_box()
    viewport = page.viewport_size
    assert box is not None and 0 <= box["y"] < viewport["height"]
    shot(page, "transcript")


def test_follow_a_permalink(page):
    page.goto(f"{page.base}/t/57201?q=syria")
    shot(page, "transcript-top")
    page.goto(f"{page.base}/t/57201")
    permalink = page.locator("#u5 a.permalink")
    assert permalink.inner_text().startswith("¶")
    permalink.click()
    page.wait_for_url(re.compile(r"/t/57201#u5$"))
    assert page.evaluate("document.querySelector(':target').id") == "u5"
    page.goto(f"{page.base}/t/57201#u12")  # as pasted into a new tab
    assert page.evaluate("document.querySelector(':target').id") == "u12"
    assert page.locator("#u12").bounding_box()["y"] < page.viewport_size["height"]


def test_bad_query_shows_the_message(page):
    page.expected_errors.append("status of 400")
    page.goto(f"{page.base}/")
    page.fill("#q", '"unclosed phrase')
    page.press("#q", "Enter")
    page.wait_for_load_state()
    assert "Unbalanced quote" in page.locator(".alert").inner_text()


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (f"/?q={QUERY}&topic=Healthcare", "phone-search"),
        ("/t/57201?q=syria#u5", "phone-transcript"),
    ],
)
def test_phone_width_has_no_horizontal_scroll(page, path, name):
    page.set_viewport_size(PHONE)
    page.goto(page.base + path)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    if name == "phone-search":  # the filters follow the results, with a link at the top
        assert page.locator(".skip-filters").is_visible()
        filters, results = (page.locator(s).bounding_box() for s in (".filters", ".results"))
        assert filters["y"] > results["y"]
    shot(page, name)


# Every page the site has, in the states that show different markup. Each is checked with
# every <details> opened, so what a click reveals is checked too, against WCAG 2.1 AA and
# axe's best practices (one <h1>, landmarks, heading order), which these pages also meet.
PAGES = [
    ("/", "search-browse"),
    (f"/?q={QUERY}&topic=Healthcare&geography=Russia&from=2020-01-01&to=2020-12-31&page=2",
     "search-filtered"),
    ("/?topic=Healthcare&year=2020", "browse-filtered"),
    (f"/?q={QUERY}&page=999", "search-past-last-page"),
    ("/?q=zqxjvwk", "search-no-results"),
    ("/?q=%22unclosed", "search-bad-query"),
    ("/t/57201?q=syria#u5", "transcript-from-search"),
    ("/t/57201", "transcript"),
    ("/t/no-such-id", "transcript-not-found"),
    ("/no/such/page", "not-found"),
]


@needs_axe
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(("path", "name"), PAGES, ids=[name for _, name in PAGES])
def test_page_passes_axe_wcag_21_aa(page, path, name, viewport):
    page.expected_errors += ["status of 400", "status of 404"]
    page.set_viewport_size(viewport)
    page.goto(page.base + path)
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    assert_accessible(page, f"{name} at {viewport['width']}px", (*WCAG_21_AA, "best-practice"))


@needs_axe
def test_axe_check_fails_on_an_inaccessible_page_and_names_the_element(page):
    """The check above can fail: a search box without a label, dim text on the header."""
    page.goto(page.base + "/")
    page.evaluate("""() => {
        document.querySelector("label[for=q]").remove();
        document.querySelector("#q").removeAttribute("aria-describedby");
        document.querySelector("#q").removeAttribute("placeholder");
        document.querySelector(".brand-title").style.color = "#3a4a66";
    }""")
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_accessible(page, "broken on purpose")
    message = str(failed.value)
    assert "broken on purpose" in message
    assert "- label [critical]" in message and "#q:" in message
    assert "- color-contrast [serious]" in message and ".brand-title" in message


@needs_axe
def test_axe_best_practices_fail_a_page_without_an_h1_or_main(page):
    """The best-practice rules the checks above include keep the site's one <h1> and its
    <main> landmark (axe's page-has-heading-one, landmark-one-main, region)."""
    page.goto(page.base + "/?q=zqxjvwk&topic=Healthcare")
    assert page.locator("h1").count() == 1
    page.evaluate("""() => {
        const h1 = document.querySelector("h1"), div = document.createElement("div");
        div.append(...h1.childNodes);
        h1.replaceWith(div);
        const main = document.querySelector("main"), body = document.createElement("div");
        body.append(...main.childNodes);
        main.replaceWith(body);
    }""")
    assert_accessible(page, "without h1 and main")  # WCAG 2.1 AA alone does not see it
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_accessible(page, "without h1 and main", (*WCAG_21_AA, "best-practice"))
    message = str(failed.value)
    for rule in ("page-has-heading-one", "landmark-one-main", "region"):
        assert f"- {rule} [" in message, message


# --- keyboard ------------------------------------------------------------------------

def focus_ring(tab) -> dict:
    return tab.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {what: el.outerHTML.slice(0, 80),
                ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
    }""")


def test_skip_link_comes_first_shows_when_focused_and_moves_to_the_content(page):
    page.goto(f"{page.base}/t/57201")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 10
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_control_reached_by_tab_shows_a_focus_ring(page, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{page.base}/?q={QUERY}&topic=Healthcare")
    kinds = set()
    for _ in range(80):  # the search box, chips, sort, hits, pages, then into the filters
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        assert ring["ring"], ring
        kinds.add(ring["what"].split(" ", 1)[0])
    assert {"<a", "<input", "<button", "<summary"} <= kinds, kinds


def test_filters_link_shows_on_focus_on_a_wide_screen(page):
    page.goto(f"{page.base}/?q={QUERY}")
    link = page.locator(".skip-filters")
    assert link.bounding_box()["width"] <= 1  # out of sight until focused
    link.focus()
    assert link.bounding_box()["width"] > 20
    page.keyboard.press("Enter")  # same page: the next Tab starts at the filters
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#filters') !== null")


def test_a_box_ticked_from_the_keyboard_has_the_focus_on_the_new_page(page):
    page.goto(f"{page.base}/?q={QUERY}")
    page.locator("fieldset.facet-topic input[value=Healthcare]").focus()
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "topic=Healthcare" in page.url
    focused = page.evaluate("[document.activeElement.name, document.activeElement.value]")
    assert focused == ["topic", "Healthcare"]
    assert focus_ring(page)["ring"]
    with page.expect_navigation():  # with the mouse the page starts at the top as usual
        page.locator("fieldset.facet-topic label", has_text="Healthcare").first.click()
    assert page.evaluate("document.activeElement.id") == "q"


# --- without JavaScript --------------------------------------------------------------

@pytest.fixture
def page_without_js(page):
    """The same tab with scripts off, as for a reader who blocks JavaScript.

    ``page.scripts(on)`` switches them back, e.g. for axe-core (which needs timers) on a
    page already loaded without the site's script.
    """
    session = page.context.new_cdp_session(page)
    page.scripts = lambda on: session.send("Emulation.setScriptExecutionDisabled",
                                           {"value": not on})
    page.scripts(False)
    return page


def test_search_filter_and_read_without_javascript(page_without_js):
    tab = page_without_js
    tab.goto(tab.base + "/")
    assert not tab.evaluate("document.documentElement.classList.contains('js')")
    tab.fill("#q", QUERY)
    with tab.expect_navigation():
        tab.press("#q", "Enter")
    assert f"q={QUERY}" in tab.url and tab.locator("article.hit").count() == 10
    assert not tab.locator(".filters-hint").is_visible()
    assert not tab.locator(".facet-filter").first.is_visible()  # needs JavaScript: hidden
    tab.locator("fieldset.facet-topic input[value=Healthcare]").check()
    apply = tab.locator(".apply-filters")
    assert apply.is_visible()
    with tab.expect_navigation():
        apply.click()
    assert "topic=Healthcare" in tab.url
    assert tab.locator("a.chip", has_text="Healthcare").is_visible()
    with tab.expect_navigation():
        tab.locator("article.hit .passage-who").first.click()
    assert "/t/" in tab.url and tab.locator(".utterance mark").count() > 0


@needs_axe
@pytest.mark.parametrize(("path", "name"), [
    (f"/?q={QUERY}&topic=Healthcare", "search-filtered"), ("/t/57201?q=syria", "transcript"),
])
def test_page_without_javascript_passes_axe_wcag_21_aa(page_without_js, path, name):
    tab = page_without_js
    tab.goto(tab.base + path)
    assert not tab.evaluate("document.documentElement.classList.contains('js')")
    tab.scripts(True)  # the page stays as loaded without the site's script
    assert_accessible(tab, f"{name} without JavaScript", (*WCAG_21_AA, "best-practice"))
