"""Facet values as a user meets them, over a real index of real pages (Flask's test client,
the JSON API and the CLI as a subprocess).

* A ticked value that no transcript has anywhere in the index ("China" where the tag is
  "People's Republic of China") is said so, with the nearest values as links that ask for
  them instead, on the search page, in the API, on the analysis pages and in the CLI.
* Persons tags read "Angela Merkel" wherever a person reads them, while the stored
  "Merkel Angela" keeps filtering and old URLs keep working.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import web_fixtures
from web_fixtures import get, web_index_dir  # noqa: F401  # the shared session fixture

from tests.test_cli import cli, seed_index  # noqa: F401  # the seed page's small index

app, client = web_fixtures.app, web_fixtures.client  # the site over the sample index

CHINA = "People's Republic of China"


def notes_html(body: str) -> list[str]:
    return re.findall(r'<div class="value-note" role="note">(.*?)</div>', body, re.S)


def note_links(body: str) -> list[tuple[str, str]]:
    """(href, text) of the links the notes offer."""
    return [(html.unescape(h), html.unescape(t)) for note in notes_html(body)
            for h, t in re.findall(r'<a href="([^"]*)">([^<]*)</a>', note)]


# --- values that do not exist -----------------------------------------------------------


def test_a_value_no_transcript_has_is_noted_with_the_nearest_on_the_search_page(client):
    body = get(client, "/?q=cooperation&geography=China&topic=Foreign+policy&sort=newest"
                       "&page=2").get_data(as_text=True)
    [note] = notes_html(body)
    assert "There is no geography tag “China” in the index" in html.unescape(note)
    [(href, text)] = note_links(body)
    assert text == CHINA
    # The link replaces the bad value and keeps the rest of the request (back at page 1).
    assert parse_qsl(urlsplit(href).query) == [
        ("q", "cooperation"), ("geography", CHINA), ("topic", "Foreign policy"),
        ("sort", "newest")]
    followed = get(client, href).get_data(as_text=True)
    assert not notes_html(followed) and "No results" not in followed
    assert re.search(r'<h3 class="hit-title">', followed)


def test_the_api_gives_the_note_with_each_nearest_value_and_its_url(client):
    data = get(client, "/api/search?q=cooperation&geography=China&geography=Germany").get_json()
    assert data["total"] > 0  # Germany still matches
    [note] = data["value_notes"]
    assert note["field"] == "geography" and note["value"] == "China"
    assert "no geography tag “China”" in note["message"]
    [offered] = note["closest"]
    assert offered["value"] == CHINA and offered["label"] == CHINA
    assert offered["url"].startswith("/api/search?")
    assert parse_qsl(urlsplit(offered["url"]).query) == [
        ("q", "cooperation"), ("geography", CHINA), ("geography", "Germany")]
    again = get(client, offered["url"]).get_json()
    assert again["value_notes"] == [] and again["total"] > data["total"]


def test_a_value_that_exists_but_matches_nothing_here_is_no_note(client):
    data = get(client, f"/api/search?q=zebra&geography={CHINA}").get_json()
    assert data["total"] == 0 and data["value_notes"] == []


@pytest.mark.parametrize(("field", "typed", "meant"), [
    ("speaker", "Putin", "Vladimir Putin"),  # one word of the name
    ("person", "Merkel", "Merkel Angela"),  # one word of the tag
    ("person", "Angela Merkl", "Merkel Angela"),  # misspelt, the name as shown
    ("geography", "Germnay", "Germany"),
    ("topic", "Helthcare", "Healthcare"),
    ("source", "kremlin", "en.kremlin.ru"),
])
def test_every_filter_offers_its_nearest_values(client, field, typed, meant):
    data = get(client, f"/api/search?{field}={typed}").get_json()
    assert data["total"] == 0
    [note] = data["value_notes"]
    assert (note["field"], note["value"]) == (field, typed)
    offered = [c["value"] for c in note["closest"]]
    assert meant in offered


@pytest.mark.parametrize(("field", "typed", "meant"), [
    ("speaker", "vladimir putin", "Vladimir Putin"),
    ("topic", "healthcare", "Healthcare"),
])
def test_a_value_equal_but_for_case_or_accents_selects_the_value_without_a_note(
    client, field, typed, meant
):
    data = get(client, f"/api/search?{field}={typed}").get_json()
    assert data["value_notes"] == []
    assert data["total"] == get(client, f"/api/search?{field}={meant}").get_json()["total"] > 0


def test_a_value_like_nothing_is_said_plainly(client):
    [note] = get(client, "/api/search?topic=Zqxj").get_json()["value_notes"]
    assert note["closest"] == [] and "No topic is spelled like it" in note["message"]


def test_the_analysis_pages_note_a_value_that_does_not_exist(client):
    for path in ("/trends?q=gas", "/speakers?q=gas", "/kwic?q=gas"):
        body = get(client, f"{path}&geography=China").get_data(as_text=True)
        links = note_links(body)
        assert len(notes_html(body)) == 1, path
        assert links and links[0][1] == CHINA, path
        href = links[0][0]
        assert urlsplit(href).path == urlsplit(path).path  # the same view
        assert ("geography", CHINA) in parse_qsl(urlsplit(href).query), path
        assert ("q", "gas") in parse_qsl(urlsplit(href).query), path
    for path in ("/api/trends?q=gas", "/api/speakers?q=gas", "/api/kwic?q=gas"):
        data = get(client, f"{path}&geography=China").get_json()
        [note] = data["value_notes"]
        assert note["closest"][0]["value"] == CHINA, path
        assert note["closest"][0]["url"].startswith(urlsplit(path).path + "?"), path


def test_downloads_say_so_in_a_header(client):
    for path in ("/export?q=gas", "/kwic.csv?q=gas", "/trends.csv?q=gas", "/speakers.csv?q=gas"):
        response = get(client, f"{path}&geography=China")
        [note] = json.loads(response.headers["X-Value-Notes"])
        assert note["value"] == "China" and note["closest"][0]["value"] == CHINA, path
        assert "X-Value-Notes" not in get(client, path).headers


def test_the_cli_says_which_value_does_not_exist_and_what_to_type(seed_index):  # noqa: F811
    done = cli("search", "schools", "--geography", "Azerbaijn", "--index-dir", str(seed_index))
    assert done.returncode == 0
    assert "There is no geography tag “Azerbaijn” in the index" in done.stdout
    assert '--geography "Azerbaijan"' in done.stdout
    data = json.loads(cli("search", "schools", "--geography", "Azerbaijn", "--json",
                          "--index-dir", str(seed_index)).stdout)
    assert data["value_notes"] == [{
        "field": "geography", "value": "Azerbaijn",
        "message": "There is no geography tag “Azerbaijn” in the index, so this filter "
                   "matches nothing.",
        "closest": [{"value": "Azerbaijan", "label": "Azerbaijan"}]}]


# --- persons as a person reads them ------------------------------------------------------


def test_the_persons_facet_shows_given_name_first_and_filters_on_the_tag(client):
    data = get(client, "/api/search?q=cooperation").get_json()
    merkel = next(v for v in data["facets"]["person"] if v["value"] == "Merkel Angela")
    assert merkel["label"] == "Angela Merkel"
    xi = next(v for v in get(client, "/api/search").get_json()["facets"]["person"]
              if v["value"] == "Xi Jinping")
    assert xi["label"] == "Xi Jinping"
    body = get(client, "/?q=cooperation").get_data(as_text=True)
    assert re.search(r'value="Merkel Angela">\s*<span class="facet-value">Angela Merkel</span>',
                     body)
    assert ">Merkel Angela<" not in body


def test_old_and_new_person_urls_give_the_same_results(client):
    old = get(client, "/api/search?person=Merkel+Angela").get_json()
    new = get(client, "/api/search?person=Angela+Merkel").get_json()
    assert old["total"] > 0 and old["total"] == new["total"]
    assert new["value_notes"] == [] and new["request"]["person"] == ["Merkel Angela"]
    for data in (old, new):
        [ticked] = [v for v in data["facets"]["person"] if v["selected"]]
        assert (ticked["value"], ticked["label"]) == ("Merkel Angela", "Angela Merkel")


def test_the_chip_reads_given_name_first_and_removes_the_filter(client):
    for value in ("Merkel+Angela", "Angela+Merkel"):
        body = get(client, f"/?q=cooperation&person={value}").get_data(as_text=True)
        [chip] = re.findall(r'<a class="chip" href="([^"]*)" aria-label="([^"]*)">(.*?)</a>',
                            body, re.S)
        href, label, text = chip
        assert label == "Remove filter Person: Angela Merkel"
        assert "Angela Merkel" in text and "Merkel Angela" not in text
        assert parse_qsl(urlsplit(html.unescape(href)).query) == [("q", "cooperation")]


def test_a_transcripts_person_tags_read_given_name_first(client):
    body = get(client, "/t/62565").get_data(as_text=True)
    tags = dict((html.unescape(t), html.unescape(h)) for h, t in
                re.findall(r'<a class="tag" href="([^"]*)">([^<]*)</a>', body))
    assert "Angela Merkel" in tags and "Merkel Angela" not in tags
    assert parse_qsl(urlsplit(tags["Angela Merkel"]).query) == [("person", "Merkel Angela")]
    data = get(client, "/api/transcripts/62565").get_json()
    i = data["persons"].index("Merkel Angela")
    assert data["person_names"][i] == "Angela Merkel"


def test_the_analysis_pages_name_persons_given_name_first(client):
    for path in ("/trends?q=gas", "/speakers?q=gas", "/kwic?q=gas"):
        body = get(client, f"{path}&person=Merkel+Angela").get_data(as_text=True)
        assert "Angela Merkel" in body and "Merkel Angela</" not in body, path
    body = get(client, "/speaker/Angela%20Merkel").get_data(as_text=True)
    assert "Pages tagged “Angela Merkel”" in body


def test_the_cli_shows_persons_given_name_first(seed_index):  # noqa: F811
    done = cli("search", "schools", "--person", "Ilham Aliyev", "--index-dir", str(seed_index))
    assert done.returncode == 0 and "2 matching utterances in 1 transcripts" in done.stdout
    assert "Person: [x] Ilham Aliyev (2)" in done.stdout  # the tag "Aliyev Ilham", ticked


def test_an_index_built_before_the_names_shows_the_tags_as_stored(tmp_path):
    from tests.test_cli import SEED
    from transcripts.index.schema import PERSON_NAMES
    from transcripts.index.writer import reindex
    from transcripts.search.engine import TranscriptIndex, search
    from transcripts.search.results import SearchRequest

    root = tmp_path / "index"
    reindex([SEED], root, full=True)
    (root / "current" / PERSON_NAMES).unlink()
    index = TranscriptIndex(root)
    result = search(index, SearchRequest(person=["Aliyev Ilham"]))
    [tag] = result.facets["person"]
    assert (tag.value, tag.label, tag.selected) == ("Aliyev Ilham", "Aliyev Ilham", True)
    assert result.total > 0 and result.value_notes == []
    # The name as shown is then no tag: said so, with the tag offered.
    [note] = search(index, SearchRequest(person=["Ilham Aliyev"])).value_notes
    assert [c.value for c in note.closest] == ["Aliyev Ilham"]


def test_a_speaker_page_names_the_persons_of_their_pages_given_name_first(client):
    data = get(client, "/api/speaker/Vladimir%20Putin").get_json()
    persons = {t["value"]: t["label"] for t in data["tags"]["person"]}
    assert persons["Merkel Angela"] == "Angela Merkel"
    body = get(client, "/speaker/Vladimir%20Putin").get_data(as_text=True)
    assert ">Angela Merkel</a>" in body and ">Merkel Angela</a>" not in body


def test_nearest_values_of_the_corpus_tags():
    import glob

    from tests.conftest import CORPUS_GOLD, need
    from transcripts.search.facets import NearestValues

    tags: dict[str, set[str]] = {"geography": set(), "persons": set(), "topics": set()}
    for path in glob.glob(str(need(CORPUS_GOLD) / "*.json")):
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        for name, values in tags.items():
            values.update(record[name])
    geography = NearestValues.of(sorted(tags["geography"]))
    assert geography.closest("China")[0] == CHINA
    assert set(geography.closest("Korea")[:2]) == {
        "Republic of Korea", "Democratic People’s Republic of Korea"}
    assert geography.closest("GERMANY")[0] == "Germany"
    assert geography.closest("Zqxjvw") == []
    persons = sorted(tags["persons"])
    shown = {"Erdogan Recep Tayyip": "Recep Tayyip Erdogan"}
    people = NearestValues.of(persons, shown)
    assert people.closest("Erdoğan")[0] == "Erdogan Recep Tayyip"  # accents folded
    assert people.closest("recep tayyip erdogan")[0] == "Erdogan Recep Tayyip"  # as shown
    assert NearestValues.of(sorted(tags["topics"])).closest("economy")[0] == "Economy and finance"
