"""The site and the JSON API through Flask's test client, over a real index of real pages."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import web_fixtures
from flask.testing import FlaskClient
from web_fixtures import web_index_dir  # noqa: F401  # the shared session fixture

from transcripts.search.results import SearchRequest
from transcripts.web import create_app, current_index
from transcripts.web.params import search_request
from transcripts.web.views import SECURITY_HEADERS

app, client = web_fixtures.app, web_fixtures.client  # the site over the sample index

QUERY = "coronavirus"  # 100 passages in 77 transcripts of the sample: several pages of hits


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def api(client: FlaskClient, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:200])
    assert response.mimetype == "application/json"
    return response.get_json()


def hrefs(body: str, css_class: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'class="{css_class}" href="([^"]*)"', body)]


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def facet_counts(data: dict, name: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in data["facets"][name]}


# --- the search page ---------------------------------------------------------------


def test_search_page_shows_hits_grouped_by_transcript_with_marks(client):
    data = api(client, f"/api/search?q={QUERY}")
    body = page(client, f"/?q={QUERY}")
    assert body.count('<article class="hit">') == len(data["transcripts"]) == 10
    assert f"{data['total']:,} passages in {data['total_transcripts']:,} transcripts" in body
    assert re.search(rf"<mark>{QUERY}</mark>", body, re.IGNORECASE)
    first = data["transcripts"][0]
    position = first["utterances"][0]["position"]
    assert f'href="/t/{first["id"]}?q={QUERY}#u{position}"' in body
    # Hits come in the order of the API and each shows its transcript's date.
    titles = re.findall(r'<h3 class="hit-title"><a href="[^"]*">([^<]*)</a>', body)
    assert [html.unescape(t) for t in titles] == [t["title"] for t in data["transcripts"]]


def test_search_box_keeps_the_query_and_has_autofocus(client):
    body = page(client, "/?q=gas+pipeline")
    box = re.search(r'<input id="q"[^>]*>', body, re.S).group(0)
    assert 'value="gas pipeline"' in box and "autofocus" in box and 'name="q"' in box
    assert '<label for="q"' in body


def test_search_page_explains_the_syntax(client):
    body = page(client, "/")
    for example in ('"trade and economic"', "OR", "-oil", "negotiat*", "speaker:putin", "title:"):
        assert html.escape(example, quote=True) in body or example in body


def test_hit_says_how_many_more_passages_its_transcript_has(client):
    # Newest first, so the page does not depend on how relevance orders transcripts.
    data = api(client, f"/api/search?q={QUERY}&sort=newest")
    hit = next(t for t in data["transcripts"] if t["matched"] > len(t["utterances"]))
    more = hit["matched"] - len(hit["utterances"])
    body = page(client, f"/?q={QUERY}&sort=newest")
    link = f'<a href="/t/{hit["id"]}?q={QUERY}">… and {more} more in this transcript</a>'
    assert link in body


def test_ticking_a_topic_filters_and_other_facets_keep_counts(client):
    before = api(client, f"/api/search?q={QUERY}")
    topic = "Healthcare"
    after = api(client, f"/api/search?q={QUERY}&topic={topic}")
    assert after["total"] == facet_counts(before, "topic")[topic] < before["total"]
    # Counts in the ticked facet ignore its own selection; the others narrow.
    assert facet_counts(after, "topic") == facet_counts(before, "topic")
    assert facet_counts(after, "speaker") != facet_counts(before, "speaker")
    assert [v["value"] for v in after["facets"]["topic"] if v["selected"]] == [topic]

    body = page(client, f"/?q={QUERY}&topic={topic}")
    assert re.search(rf'name="topic" value="{topic}" checked', body)
    assert f"{after['total']:,} passages in {after['total_transcripts']:,} transcripts" in body


def test_several_values_of_one_facet_widen_the_search(client):
    one = api(client, f"/api/search?q={QUERY}&topic=Healthcare")
    two = api(client, f"/api/search?q={QUERY}&topic=Healthcare&topic=Regions")
    assert two["total"] > one["total"]
    assert sorted(v["value"] for v in two["facets"]["topic"] if v["selected"]) == [
        "Healthcare", "Regions"]


def test_chip_removal_link_drops_only_that_value(client):
    body = page(client, f"/?q={QUERY}&topic=Healthcare&speaker=Vladimir+Putin")
    chips = hrefs(body, "chip")
    assert len(chips) == 2
    without_topic = next(h for h in chips if "topic" not in params(h))
    assert params(without_topic) == {"q": [QUERY], "speaker": ["Vladimir Putin"]}
    after = page(client, without_topic)
    assert not re.search(r'name="topic" value="Healthcare" checked', after)
    assert re.search(r'name="speaker" value="Vladimir Putin" checked', after)


def test_clear_all_keeps_the_query_and_sort(client):
    body = page(client, f"/?q={QUERY}&topic=Healthcare&from=2020-01-01&sort=oldest")
    (clear,) = hrefs(body, "chips-clear")
    assert params(clear) == {"q": [QUERY], "sort": ["oldest"]}


def test_year_facet_links_set_a_date_range_shown_as_chips(client):
    body = page(client, "/?q=Syria")
    year_link = next(h for h in hrefs(body, "facet-link") if "2018-01-01" in h)
    assert params(year_link)["from"] == ["2018-01-01"] and params(year_link)["to"] == ["2018-12-31"]
    filtered = page(client, year_link)
    assert "1 January 2018" in filtered and "31 December 2018" in filtered
    assert 'aria-current="true"' in filtered
    assert 'value="2018-01-01"' in filtered  # the date inputs show the range
    data = api(client, "/api/search?q=Syria&from=2018-01-01&to=2018-12-31")
    assert all(t["date"].startswith("2018") for t in data["transcripts"])


def test_did_you_mean_is_a_link_to_the_corrected_search(client):
    body = page(client, "/?q=vaccne")
    assert 'Did you mean\n        <a href="/?q=vaccine" class="suggestion-link">vaccine</a>' in body


def test_no_hits_gives_a_friendly_empty_state(client):
    body = page(client, "/?q=xylophonically&topic=Healthcare")
    assert "Nothing matches" in body and "Remove the filters" in body
    assert '<article class="hit">' not in body


def test_bad_query_gives_400_page_with_the_message(client):
    body = page(client, "/?q=%22Syria", status=400)
    assert "Unbalanced quote" in body
    assert 'value="&#34;Syria"' in body  # the box keeps what was typed
    assert "Traceback" not in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2020-13-01", "from must be a date as YYYY-MM-DD"),
        ("to=yesterday", "to must be a date as YYYY-MM-DD"),
        ("page=abc", "page must be a whole number"),
        ("page=0", "page must be between 1 and 1000"),
        ("page=1001", "page must be between 1 and 1000"),
        ("sort=best", "sort must be one of relevance, newest, oldest"),
        ("from=2020-02-01&to=2020-01-01", "The date range is empty"),
        ("q=nosuchfield:x", "Unknown field"),
    ],
)
def test_bad_parameters_give_400_page_with_a_clear_message(client, query, message):
    body = page(client, f"/?{query}", status=400)
    assert html.escape(message, quote=True) in body


def test_pagination_links_move_between_pages(client):
    body = page(client, f"/?q={QUERY}")
    assert hrefs(body, "page-next") == [f"/?q={QUERY}&page=2"]
    second = page(client, f"/?q={QUERY}&page=2")
    assert '<span class="page-current" aria-current="page">2</span>' in second
    assert hrefs(second, "page-prev") == [f"/?q={QUERY}"]  # page 1 is the plain URL
    first_ids = re.findall(r'class="hit-title"><a href="/t/(\d+)', body)
    second_ids = re.findall(r'class="hit-title"><a href="/t/(\d+)', second)
    assert second_ids and not set(first_ids) & set(second_ids)


def test_sort_newest_and_oldest_order_by_date(client):
    newest = api(client, f"/api/search?q={QUERY}&sort=newest")["transcripts"]
    oldest = api(client, "/api/search?q=Syria&sort=oldest")["transcripts"]
    assert [t["date"] for t in newest] == sorted((t["date"] for t in newest), reverse=True)
    assert [t["date"] for t in oldest] == sorted(t["date"] for t in oldest)
    body = page(client, f"/?q={QUERY}&sort=newest")
    assert '<span class="sort-option" aria-current="true">Newest</span>' in body
    assert 'type="hidden" name="sort" value="newest"' in body  # a new query keeps the sort


def test_long_facet_lists_fold_behind_show_all(client):
    body = page(client, f"/?q={QUERY}")
    person = re.search(r'<fieldset class="facet facet-person".*?</fieldset>', body, re.S).group(0)
    assert "<details class=\"facet-more\">" in person and "Show all" in person
    assert 'class="facet-filter" hidden' in person  # the JS shows the type-to-filter box
    visible = person.split("<details")[0]
    assert visible.count('type="checkbox"') == 10


def test_page_works_without_javascript_as_a_get_form(client):
    body = page(client, f"/?q={QUERY}")
    form = re.search(r'<form id="search-form"[^>]*>(.*)</form>', body, re.S)
    assert 'method="get" action="/"' in form.group(0)
    inner = form.group(1)
    for name in ("q", "topic", "speaker", "person", "geography", "from", "to"):
        assert f'name="{name}"' in inner
    assert "Apply filters" in inner
    # What a browser sends when a box is ticked and the form is submitted:
    sent = page(client, f"/?q={QUERY}&from=&to=&topic=Healthcare")
    assert re.search(r'name="topic" value="Healthcare" checked', sent)


def test_query_text_is_escaped_everywhere(client):
    body = page(client, "/?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_landing_page_browses_the_latest_transcripts(client):
    body = page(client, "/")
    assert "All transcripts" in body and "305 transcripts" in body
    assert '<details class="syntax" open>' in body


# --- the transcript page -------------------------------------------------------------


def test_transcript_page_highlights_the_query_and_has_anchors_and_permalinks(client):
    data = api(client, "/api/transcripts/57201")
    body = page(client, "/t/57201?q=syria")
    assert "<mark>Syria</mark>" in body
    for u in data["utterances"]:
        assert f'id="u{u["position"]}"' in body
        assert f'href="/t/57201#u{u["position"]}"' in body
    assert 'id="u0"' in body  # the title and lead, where page-level hits point
    assert body.count("¶ Link") == len(data["utterances"])
    assert 'class="matches"' in body and 'href="#u' in body
    assert hrefs(body, "source-link") == [data["url"]]
    assert "President of Russia website (en.kremlin.ru)" in body and "CC BY 4.0" in body


def test_transcript_page_without_query_marks_nothing(client):
    body = page(client, "/t/57201")
    assert "<mark>" not in body and 'class="matches"' not in body


def test_transcript_page_shows_speakers_notes_and_narrative(client):
    body = page(client, "/t/57201")
    assert '<span class="speaker-note">(retranslated)</span>' in body
    assert "President of the Republic of Turkey Recep Tayyip Erdogan" in body
    narrative = page(client, "/t/63450")
    assert 'class="utterance narrative' in narrative and 'class="utterance turn' in narrative


def test_transcript_tags_link_to_filtered_searches(client):
    body = page(client, "/t/57201")
    tags = hrefs(body, "tag")
    assert "/?geography=Syria" in tags and "/?topic=Foreign+policy" in tags
    data = api(client, "/api/search?geography=Syria")
    assert data["total"] > 0


@pytest.mark.parametrize("transcript_id", ["999999999", "..%2F..%2Fetc%2Fpasswd", "x" * 200])
def test_unknown_transcript_gives_404_page(client, transcript_id):
    body = page(client, f"/t/{transcript_id}", status=404)
    assert "Not found" in body or "no transcript" in body


# --- the JSON API ----------------------------------------------------------------------


def test_api_search_returns_the_search_result_shape(client):
    data = api(client, f"/api/search?q={QUERY}&topic=Healthcare&topic=Regions&sort=newest")
    assert {"total", "total_transcripts", "pages", "facets", "transcripts", "suggestion",
            "notes", "value_notes", "request"} <= set(data)
    assert set(data["facets"]) == {"speaker", "person", "geography", "topic", "source", "language",
                                   "party", "year"}
    assert set(data["facets"]["topic"][0]) == {"value", "count", "selected", "label"}
    hit = data["transcripts"][0]
    assert {"id", "title", "date", "place", "url", "matched", "utterances"} <= set(hit)
    assert {"position", "speaker", "label", "snippet", "text", "kind"} <= set(hit["utterances"][0])
    assert data["request"]["topic"] == ["Healthcare", "Regions"]
    assert data["request"]["sort"] == "newest"


def test_api_search_dates_filter(client):
    data = api(client, "/api/search?q=Syria&from=2019-01-01&to=2019-12-31")
    assert data["request"]["date_from"] == "2019-01-01"
    assert data["transcripts"] and all(t["date"].startswith("2019") for t in data["transcripts"])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=%22open", "Unbalanced quote"),
        ("from=20200101", "from must be a date as YYYY-MM-DD"),
        ("page=-1", "page must be between 1 and 1000"),
        ("page=1.5", "page must be a whole number"),
        ("sort=random", "sort must be one of"),
    ],
)
def test_api_errors_are_json_400(client, query, message):
    data = api(client, f"/api/search?{query}", status=400)
    assert message in data["error"]


def test_api_transcript_returns_the_transcript(client):
    data = api(client, "/api/transcripts/57201")
    assert data["id"] == "57201" and data["title"].startswith("News conference")
    assert data["utterances"][0]["note"] == "retranslated"
    assert "file" not in data  # a path on the server's disk


def test_api_unknown_transcript_and_route_are_json_404(client):
    assert "no transcript" in api(client, "/api/transcripts/123456789", status=404)["error"]
    assert "error" in api(client, "/api/nothing/here", status=404)


# --- the app as a whole ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", f"/?q={QUERY}", "/t/57201", "/t/none", "/?page=x", "/api/search?q=oil",
            "/api/transcripts/none", "/static/style.css", "/static/app.js"],
)
def test_security_headers_on_every_response(client, url):
    response = client.get(url)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (url, name)


@pytest.mark.parametrize("url", ["/", f"/?q={QUERY}&topic=Healthcare", "/t/57201?q=syria",
                                 "/t/none", "/?q=%22"])
def test_pages_have_no_inline_script_style_or_handlers(client, url):
    body = client.get(url).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert not re.search(r"\sstyle=", body) and "<style" not in body
    assert not re.search(r"\son[a-z]+=", body)
    assert "President of Russia website (en.kremlin.ru)" in body  # credited in the footer


def test_missing_index_gives_503_with_a_clear_message(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "none")}).test_client()
    assert "not available" in page(client, "/?q=oil", status=503)
    assert "transcripts reindex" in api(client, "/api/search?q=oil", status=503)["error"]


def test_unexpected_failure_is_a_plain_500_without_traceback(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("transcripts.web.pages.run_search", broken)
    monkeypatch.setattr("transcripts.web.api.run_search", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        body = page(client, "/?q=oil", status=500)
        data = api(client, "/api/search?q=oil", status=500)
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert "Something went wrong" in body and "secret" not in body and "Traceback" not in body
    assert "secret" not in data["error"]


def test_one_index_per_app(app):
    with app.test_request_context("/"):
        first = current_index()
    with app.test_request_context("/t/1"):
        assert current_index() is first


def test_parameters_parse_into_a_search_request():
    from werkzeug.datastructures import MultiDict

    args = MultiDict([("q", " gas "), ("topic", "Energy"), ("topic", "Energy"), ("topic", ""),
                      ("person", "Sechin Igor"), ("from", "2020-01-01"), ("to", ""),
                      ("sort", "oldest"), ("page", "3")])
    req = search_request(args)
    assert req.q == "gas" and req.topic == ["Energy"] and req.person == ["Sechin Igor"]
    assert req.date_from.isoformat() == "2020-01-01" and req.date_to is None
    assert (req.sort, req.page) == ("oldest", 3)
    assert search_request({}) == SearchRequest()
