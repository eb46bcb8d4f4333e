"""An empty result says what is true, on the page and in the API.

Filters alone (no words) whose ticked values no transcript has together: the page says
so, not "check the spelling", and offers each filter whose removal brings results back
as a chip that removes it, with how many results that gives; the API gives the same as
``relax: [{field, values, total, total_transcripts, url, api_url}]``. With words, the
words' own advice stays when the words match nothing at all. The filter values are found
in the index by the test (not written in), and every promised total is checked against
the search that the link leads to. Flask's test client over the real sample index; the
CLI's `search` says the same with the options to leave out.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_fixtures import web_index_dir  # noqa: F401  # the shared session fixture

from tests.conftest import PROJECT_DIR
from transcripts.web import create_app

SPELLING = "Check the spelling, or use fewer words"


@pytest.fixture(scope="module")
def client(web_index_dir: Path) -> FlaskClient:  # noqa: F811
    app: Flask = create_app({"INDEX_DIR": str(web_index_dir), "TESTING": True})
    return app.test_client()


def api(client: FlaskClient, pairs: list[tuple[str, str]]) -> dict:
    response = client.get("/api/search?" + urlencode(pairs))
    assert response.status_code == 200, response.data[:300]
    return response.get_json()


def page(client: FlaskClient, pairs: list[tuple[str, str]]) -> str:
    response = client.get("/?" + urlencode(pairs))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def empty_state(client: FlaskClient, pairs: list[tuple[str, str]]) -> str:
    """The page's empty-state box (the syntax help above it has its own advice)."""
    found = re.search(r'<div class="empty">(.*?)\n        </div>', page(client, pairs), re.S)
    assert found, "no empty state"
    return found.group(1)


def values(data: dict, facet: str) -> list[str]:
    return [v["value"] for v in data["facets"][facet]]


def disjoint(client: FlaskClient) -> tuple[str, str]:
    """A topic and a geography that each have transcripts but none together."""
    everything = api(client, [])
    for topic in values(everything, "topic")[:15]:
        with_topic = set(values(api(client, [("topic", topic)]), "geography"))
        for geography in values(everything, "geography"):
            if geography not in with_topic:
                return topic, geography
    pytest.skip("no topic and geography without a transcript in common in the sample")


def relax_links(body: str) -> list[str]:
    block = re.search(r'<ul class="relax-list">(.*?)</ul>', body, re.S)
    assert block, "no list of filters to remove"
    return [html.unescape(h) for h in re.findall(r'class="chip" href="([^"]*)"', block.group(1))]


def chip_links(body: str) -> list[str]:
    block = re.search(r'<ul class="chips"[^>]*>(.*?)</ul>', body, re.S)
    return [html.unescape(h) for h in re.findall(r'class="chip" href="([^"]*)"', block.group(1))]


def test_ticked_values_no_transcript_has_together_say_so_and_which_to_remove(client):
    topic, geography = disjoint(client)
    pairs = [("topic", topic), ("geography", geography)]
    data = api(client, pairs)
    assert data["total"] == 0
    by_field = {r["field"]: r for r in data["relax"]}
    assert set(by_field) == {"topic", "geography"}
    for field, kept in (("topic", ("geography", geography)), ("geography", ("topic", topic))):
        relax = by_field[field]
        without = api(client, [kept])  # what the link leads to
        assert relax["values"] == [dict(pairs)[field]]
        assert (relax["total"], relax["total_transcripts"]) == (
            without["total"], without["total_transcripts"]) != (0, 0)
        assert relax["url"] == "/?" + urlencode([kept])
        assert relax["api_url"] == "/api/search?" + urlencode([kept])
    assert [r["total"] for r in data["relax"]] == sorted(
        (r["total"] for r in data["relax"]), reverse=True)

    full = page(client, pairs)
    body = empty_state(client, pairs)
    assert SPELLING not in body and "every word must match" not in body
    assert "No transcript has all the ticked values" in body
    assert "Remove one of these filters to get results back" in body
    links = relax_links(body)
    assert sorted(links) == sorted(chip_links(full))  # the chips' own remove links
    assert links == [r["url"] for r in data["relax"]]
    for r in data["relax"]:
        gives = f"without it: {r['total']:,} passage{'s' * (r['total'] != 1)} in"
        assert gives in body
        assert 'class="hit"' in page(client, [p for p in pairs if p[0] != r["field"]])


def test_several_values_of_one_facet_are_removed_together(client):
    """Ticked values of one facet widen each other: removing one of two cannot help."""
    topic, geography = disjoint(client)
    with_geography = set(values(api(client, [("geography", geography)]), "topic"))
    other = next((t for t in values(api(client, []), "topic")
                  if t != topic and t not in with_geography), None)
    if other is None:
        pytest.skip("no second topic without that geography")
    pairs = [("topic", topic), ("topic", other), ("geography", geography)]
    data = api(client, pairs)
    relax = {r["field"]: r for r in data["relax"]}
    assert relax["topic"]["values"] == [topic, other]
    assert relax["topic"]["url"] == "/?" + urlencode([("geography", geography)])
    body = empty_state(client, pairs)
    assert f"{html.escape(topic)} or {html.escape(other)}" in body


def test_words_that_match_without_the_filters_name_the_filter_in_the_way(client):
    q = "coronavirus"
    words_alone = api(client, [("q", q)])
    geography = next(g for g in values(api(client, []), "geography")
                     if g not in values(words_alone, "geography"))
    data = api(client, [("q", q), ("geography", geography)])
    assert data["total"] == 0 and data["total_without_filters"] == words_alone["total"]
    (relax,) = data["relax"]
    assert (relax["field"], relax["total"]) == ("geography", words_alone["total"])
    body = empty_state(client, [("q", q), ("geography", geography)])
    assert f"Nothing matches “{q}” with these filters" in body
    assert f"The words alone match {words_alone['total']:,} passages" in body
    assert "Remove this filter to get results back" in body
    assert SPELLING not in body


def test_words_that_match_nothing_keep_the_spelling_advice(client):
    topic = values(api(client, []), "topic")[0]
    data = api(client, [("q", "zqxjvwk"), ("topic", topic)])
    assert data["total"] == 0 and data["relax"] == [] and data["total_without_filters"] == 0
    body = empty_state(client, [("q", "zqxjvwk"), ("topic", topic)])
    assert SPELLING in body and "relax-list" not in body
    data = api(client, [("q", "zqxjvwk")])
    assert data["relax"] == [] and data["total_without_filters"] is None
    assert SPELLING in empty_state(client, [("q", "zqxjvwk")])


def test_a_date_bound_in_the_way_is_offered_on_its_own(client):
    topic = values(api(client, []), "topic")[0]
    newest = api(client, [("topic", topic), ("sort", "newest")])["transcripts"][0]["date"]
    after = f"{int(newest[:4]) + 1}-01-01"
    pairs = [("topic", topic), ("from", after), ("to", "2099-12-31")]
    data = api(client, pairs)
    assert data["total"] == 0
    relax = {r["field"]: r for r in data["relax"]}
    in_dates = api(client, [("from", after), ("to", "2099-12-31")])["total"]
    # dropping "to" alone still leaves nothing; the topic helps if the dates have any
    assert set(relax) == ({"topic", "from"} if in_dates else {"from"})
    assert relax["from"]["values"] == [after]
    assert relax["from"]["total"] == api(client, [("topic", topic), ("to", "2099-12-31")])[
        "total"]
    body = empty_state(client, pairs)
    assert "No transcript in these dates has the ticked value" in body
    assert SPELLING not in body


def test_the_cli_names_the_options_to_leave_out(client, web_index_dir):  # noqa: F811
    topic, geography = disjoint(client)
    data = api(client, [("topic", topic), ("geography", geography)])
    done = subprocess.run(
        [sys.executable, "-m", "transcripts", "search", "--topic", topic, "--geography", geography,
         "--index-dir", str(web_index_dir)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "No transcript has all of these filters. Leave one filter out:" in done.stdout
    for r in data["relax"]:
        (value,) = r["values"]
        option = f"--{r['field']} {value!r}" if " " in value else f"--{r['field']} {value}"
        assert (f"  without {option}: {r['total']} utterances in {r['total_transcripts']} "
                "transcripts") in done.stdout, done.stdout


def test_a_person_in_the_way_is_named_as_a_person_reads_it(client):
    """The chip offered for removal shows "Angela Merkel", not the stored "Merkel Angela"."""
    everything = api(client, [])
    tag = next((p["value"] for p in everything["facets"]["person"] if p["label"] != p["value"]),
               None)
    if tag is None:
        pytest.skip("no person tag shown in another order in the sample")
    label = next(p["label"] for p in everything["facets"]["person"] if p["value"] == tag)
    with_person = set(values(api(client, [("person", tag)]), "geography"))
    geography = next((g for g in values(everything, "geography") if g not in with_person), None)
    if geography is None:
        pytest.skip("no geography without that person in the sample")
    body = empty_state(client, [("person", tag), ("geography", geography)])
    chips = re.findall(r'<a class="chip"[^>]*>(.*?)</a>', re.search(
        r'<ul class="relax-list">(.*?)</ul>', body, re.S).group(1), re.S)
    person_chip = next(c for c in chips if "Person" in c)
    assert html.escape(label) in person_chip and html.escape(tag) not in person_chip
