"""The analysis views on the site, the API and the CLI, over the real sample index.

The counting itself is checked against the parsed corpus in test_analysis_exact.py; here:
the pages render with their chart, table and links, the three formats agree, and every
bad parameter gets a clear 400 (JSON under /api/), never a 500.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import web_fixtures
from web_fixtures import get, web_index_dir  # noqa: F401  # the shared session fixture

app, client = web_fixtures.app, web_fixtures.client  # the site over the sample index

PROJECT_DIR = Path(__file__).resolve().parent.parent
QUERY = "coronavirus"


def csv_rows(response) -> list[dict]:
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# --- over time ---------------------------------------------------------------------

def test_trends_page_draws_an_accessible_chart_and_the_same_numbers_in_a_table(client):
    body = get(client, f"/trends?q={QUERY}").get_data(as_text=True)
    assert body.count('role="img"') == 2  # wide and narrow drawings
    assert re.search(r"<title id=\"trends-wide-title\">[^<]*coronavirus", body)
    assert "<desc id=" in body and "<script" not in body.split("</head>")[1]
    data = get(client, f"/api/trends?q={QUERY}").get_json()
    series = data["series"][0]
    assert data["bucket"] == "year" and data["rate_unit"] == "hits per million words"
    assert series["hits"] > 0
    for b in series["buckets"]:
        row = re.search(rf'<th scope="row">{b["label"]}\b.*?</tr>', body, re.S)
        assert row, b["label"]
        assert f'{b["hits"]:,}' in row.group(0) and f'{b["words"]:,}' in row.group(0)
    assert "partial" in body  # the sample does not cover its first and last years whole


def test_trends_csv_and_json_agree(client):
    url = f"q={QUERY}&q=russia&geography=Russia"
    data = get(client, f"/api/trends?{url}").get_json()
    rows = csv_rows(get(client, f"/trends.csv?{url}"))
    assert [s["query"] for s in data["series"]] == [QUERY, "russia"]
    flat = [(s["query"], b["label"], b["hits"], b["words"], b["transcripts"])
            for s in data["series"] for b in s["buckets"]]
    assert flat == [(r["query"], r["bucket"], int(r["hits"]), int(r["words"]),
                     int(r["transcripts"])) for r in rows]
    assert data["filters"]["geography"] == ["Russia"]


def test_trends_series_add_up_to_the_search_totals(client):
    search = get(client, f"/api/search?q={QUERY}").get_json()
    series = get(client, f"/api/trends?q={QUERY}").get_json()["series"][0]
    assert series["transcripts"] == search["total_transcripts"]
    assert series["hits"] >= search["total"]  # every matching passage has at least one hit


def test_trends_by_month_for_a_short_range_and_on_request(client):
    data = get(client, f"/api/trends?q={QUERY}&from=2020-01-01&to=2020-06-30").get_json()
    assert data["bucket"] == "month"
    assert [b["label"] for b in data["series"][0]["buckets"]][:2] == ["2020-01", "2020-02"]
    data = get(client, f"/api/trends?q={QUERY}&from=2020-01-01&to=2020-06-30&bucket=year"
               ).get_json()
    assert [b["label"] for b in data["series"][0]["buckets"]] == ["2020"]
    assert data["series"][0]["buckets"][0]["partial"] is True


def test_trends_share_mode_and_empty_query(client):
    body = get(client, f"/trends?q={QUERY}&mode=share").get_data(as_text=True)
    assert "Share of transcripts mentioning it" in body
    body = get(client, "/trends?speaker=Vladimir+Putin").get_data(as_text=True)
    assert "Words per year" in body and 'role="img"' in body
    data = get(client, "/api/trends?speaker=Vladimir+Putin").get_json()
    assert data["series"][0]["words"] > 0 and data["series"][0]["rate"] is None


def test_search_page_links_to_the_analysis_of_the_same_search(client):
    body = get(client, f"/?q={QUERY}&topic=Healthcare").get_data(as_text=True)
    links = [html.unescape(h) for h in re.findall(r'href="(/(?:trends|speakers)\?[^"]*)"', body)]
    assert f"/trends?q={QUERY}&topic=Healthcare" in links
    assert f"/speakers?q={QUERY}&topic=Healthcare" in links


@pytest.mark.parametrize("url", [
    "/trends?q=a&q=b&q=c&q=d&q=e", "/trends?bucket=week", "/trends?mode=pie",
    "/trends?q=%22open", "/trends?from=2020-13-01", "/speakers?order=best",
    "/speakers?min_words=-1", "/speakers?min_hits=lots", "/speakers?limit=99999",
    "/speakers?q=(", "/speakers?from=2021-01-01&to=2020-01-01",
])
def test_bad_parameters_are_a_clear_400_on_page_and_api(client, url):
    body = get(client, url, 400).get_data(as_text=True)
    assert 'class="alert"' in body
    path, query = url.split("?")
    api = get(client, f"/api{path}?{query}", 400).get_json()
    assert api["error"] and "Traceback" not in api["error"]
    get(client, f"{path}.csv?{query}", 400)


# --- who said it most --------------------------------------------------------------

def test_speakers_ranked_by_the_lower_bound_with_their_counts(client):
    data = get(client, f"/api/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1"
               ).get_json()
    rows = data["rows"]
    assert rows and data["sort"] == "low"
    assert [r["low"] for r in rows] == sorted((r["low"] for r in rows), reverse=True)
    for r in rows:
        assert r["words"] >= 1000 and r["hits"] >= 1
        assert r["low"] <= r["rate"] <= r["high"]
        assert r["rate"] == pytest.approx(r["hits"] / r["words"] * 10_000, abs=1e-3)
    body = get(client, f"/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1"
               ).get_data(as_text=True)
    first = rows[0]["speaker"]
    assert f'href="/speaker/{first.replace(" ", "%20")}"' in body


def test_speakers_sort_links_work_without_javascript(client):
    url = f"/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1"
    body = get(client, url).get_data(as_text=True)
    sort_links = dict((label, html.unescape(href)) for href, label in re.findall(
        r'<a class="sort-option" href="([^"]*)">([^<]*)</a>', body))
    assert "Words" in sort_links and "order=words" in sort_links["Words"]
    assert "min_words=1000" in sort_links["Words"]
    data = get(client, "/api" + sort_links["Words"]).get_json()
    words = [r["words"] for r in data["rows"]]
    assert words == sorted(words, reverse=True)


def test_speakers_csv_matches_the_api_and_neutralises_formulas(client):
    url = f"q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1"
    rows = csv_rows(get(client, f"/speakers.csv?{url}"))
    data = get(client, f"/api/speakers?{url}").get_json()
    assert [(r["speaker"], int(r["hits"])) for r in rows] == [
        (r["speaker"], r["hits"]) for r in data["rows"]]
    rows = csv_rows(get(client, "/trends.csv?q=%3Dcovid"))
    assert rows and all(r["query"] == "'=covid" for r in rows)


def test_speakers_without_a_query_list_who_spoke_most(client):
    data = get(client, "/api/speakers?min_words=100").get_json()
    assert data["sort"] == "words" and data["rows"][0]["speaker"] == "Vladimir Putin"


def test_speakers_without_a_query_sort_by_the_transcripts_they_spoke_in(client):
    data = get(client, "/api/speakers?min_words=100&order=transcripts").get_json()
    spoke_in = [row["spoke_in"] for row in data["rows"]]
    assert len(spoke_in) > 2 and spoke_in == sorted(spoke_in, reverse=True)


# --- speaker pages -----------------------------------------------------------------

def test_speaker_page_has_facts_roles_years_words_and_latest_turns(client):
    body = get(client, "/speaker/Vladimir%20Putin").get_data(as_text=True)
    for heading in ("Roles as printed", "Words spoken per year", "Distinctive words",
                    "What the pages they speak on are about", "Latest turns"):
        assert heading in body
    assert "President of Russia" in body and 'role="img"' in body
    assert 'href="/?speaker=Vladimir+Putin"' in body  # search within what they said
    data = get(client, "/api/speaker/Vladimir%20Putin").get_json()
    assert data["turns"] > 0 and data["words"] == sum(y["words"] for y in data["words_by_year"])
    for w in data["distinctive"]:
        assert w["uses"] >= 5 and w["transcripts"] >= 3 and w["g2"] >= 15.13
    rows = csv_rows(get(client, "/speaker-words/Vladimir%20Putin.csv"))
    assert [r["word"] for r in rows] == [w["word"] for w in data["distinctive"]]


def test_a_speaker_who_is_a_persons_tag_is_one_person(client):
    by_name = get(client, "/api/speaker/Angela%20Merkel").get_json()
    by_tag = get(client, "/api/speaker/Merkel%20Angela").get_json()
    assert by_name == by_tag
    assert by_name["person_tag"] == "Merkel Angela" and by_name["turns"] > 0
    assert by_name["tagged_pages"] > 0 and by_name["tagged_latest"]
    for turn in by_name["mentions_latest"]:
        assert turn["speaker"] != "Angela Merkel"
    body = get(client, "/speaker/Angela%20Merkel").get_data(as_text=True)
    assert "Pages tagged “Angela Merkel”" in body and "Others speaking of them" in body


def test_unknown_speaker_is_a_404_with_a_message(client):
    body = get(client, "/speaker/Nobody%20At%20All", 404).get_data(as_text=True)
    assert "Nobody At All" in body
    assert get(client, "/api/speaker/Nobody", 404).get_json()["error"]


def test_transcript_page_links_speakers_to_their_page(client):
    body = get(client, "/t/62565").get_data(as_text=True)
    assert 'class="speaker-link" href="/speaker/Angela%20Merkel"' in body


# --- the command line --------------------------------------------------------------

def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transcripts", *args], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "160"})


def test_cli_trends_json_equals_the_api(client, web_index_dir):  # noqa: F811
    done = cli("trends", QUERY, "russia", "--geography", "Russia", "--json",
               "--index-dir", str(web_index_dir))
    assert done.returncode == 0, done.stderr
    api = get(client, f"/api/trends?q={QUERY}&q=russia&geography=Russia").get_json()
    assert json.loads(done.stdout) == api
    table = cli("trends", QUERY, "--index-dir", str(web_index_dir))
    assert table.returncode == 0 and "per million" in table.stdout and "2020" in table.stdout


def test_cli_speakers_json_equals_the_api_and_bad_input_exits_2(client, web_index_dir):  # noqa: F811
    done = cli("speakers", QUERY, "--min-words", "1000", "--min-hits", "1",
               "--min-transcripts", "1", "--limit", "100", "--json",
               "--index-dir", str(web_index_dir))
    assert done.returncode == 0, done.stderr
    api = get(client, f"/api/speakers?q={QUERY}&min_words=1000&min_hits=1&min_transcripts=1"
              ).get_json()
    assert json.loads(done.stdout) == api
    table = cli("speakers", QUERY, "--min-words", "1000", "--index-dir", str(web_index_dir))
    assert table.returncode == 0 and "Vladimir Putin" in table.stdout
    bad = cli("speakers", '"open', "--index-dir", str(web_index_dir))
    assert bad.returncode == 2 and "Unbalanced quote" in bad.stderr
    bad = cli("trends", "a", "b", "c", "d", "e", "--json", "--index-dir", str(web_index_dir))
    assert bad.returncode == 2 and "At most 4" in json.loads(bad.stdout)["error"]


def test_result_passages_link_their_speaker_to_their_page(client):
    body = get(client, f"/?q={QUERY}").get_data(as_text=True)
    links = re.findall(r'<a class="passage-speaker" href="(/speaker/[^"]+)">about ([^<]+)</a>',
                       body)
    assert links
    for href, name in links[:3]:
        assert get(client, href).status_code == 200
        assert html.unescape(name) in get(client, href).get_data(as_text=True)
