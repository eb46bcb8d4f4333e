"""The site and its JSON API over OpenSearch: the same pages as over the embedded index.

Two apps, one per backend, over the demo corpus; their answers are compared (minus
the time taken and, for a relevance sort, the order of transcripts).
"""

from __future__ import annotations

import pytest

from transcripts.web import create_app

QUERIES = ["russia", "oil prices", '"national projects"', "econ*", "speaker:putin", "",
           "sancions", "gas -oil"]


@pytest.fixture(scope="module")
def apps(seeds_index, seeds_cluster_index):
    embedded = create_app({"TESTING": True, "WARM_INDEX": False, "BACKEND": "embedded",
                           "INDEX_DIR": str(seeds_index.root)})
    settings = seeds_cluster_index.settings
    cluster = create_app({"TESTING": True, "WARM_INDEX": False, "BACKEND": "opensearch",
                          "OPENSEARCH_URL": ",".join(settings.hosts),
                          "OPENSEARCH_INDEX": settings.alias})
    return embedded.test_client(), cluster.test_client()


def comparable(data: dict, ranked: bool) -> dict:
    data = dict(data)
    data.pop("took_ms")
    if ranked:  # the ranking may differ (tests/test_opensearch_parity.py): how many
        data["transcripts"] = len(data["transcripts"])
    return data


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_the_search_api_answers_alike(apps, q, sort):
    embedded, cluster = apps
    url = f"/api/search?q={q}&sort={sort}"
    a, b = embedded.get(url), cluster.get(url)
    assert a.status_code == b.status_code == 200
    ranked = sort == "relevance" and bool(q)
    assert comparable(a.get_json(), ranked) == comparable(b.get_json(), ranked)


def test_the_results_page_shows_results_facets_and_the_credit(apps):
    _, cluster = apps
    page = cluster.get("/?q=oil+prices&speaker=Vladimir+Putin")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<mark>oil</mark>" in html and "Vladimir Putin" in html
    assert "CC BY 4.0" in html


def test_a_transcript_page_and_its_api_read_alike(apps):
    embedded, cluster = apps
    tid = embedded.get("/api/search?q=&sort=newest").get_json()["transcripts"][0]["id"]
    assert embedded.get(f"/api/transcripts/{tid}").get_json() == cluster.get(
        f"/api/transcripts/{tid}").get_json()
    page = cluster.get(f"/t/{tid}?q=russia")
    assert page.status_code == 200 and "CC BY 4.0" in page.get_data(as_text=True)
    assert cluster.get("/t/no-such-transcript").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_downloads_the_same_file(apps, fmt):
    embedded, cluster = apps
    url = f"/export?q=russia&format={fmt}&sort=oldest"
    a, b = embedded.get(url), cluster.get(url)
    assert a.status_code == b.status_code == 200
    assert a.headers["X-Export-Total"] == b.headers["X-Export-Total"]
    assert a.get_data() == b.get_data()


def test_a_bad_query_is_a_400_with_the_same_message(apps):
    embedded, cluster = apps
    a, b = embedded.get('/api/search?q="open'), cluster.get('/api/search?q="open')
    assert a.status_code == b.status_code == 400
    assert a.get_json() == b.get_json()


@pytest.mark.parametrize("url", ["/trends?q=oil&q=gas", "/api/trends?q=oil", "/trends.csv?q=oil",
                                 "/speakers?q=oil", "/api/speakers?q=russia",
                                 "/speakers.csv?q=gas", "/speaker/Vladimir%20Putin",
                                 "/api/speaker/Dmitry%20Peskov",
                                 "/speaker-words/Vladimir%20Putin.csv", "/kwic?q=oil",
                                 "/kwic.csv?q=gas&sort=left1", "/api/kwic?q=russia&sort=match",
                                 ("/kwic?q=speaker%3Aputin", 400)])
def test_analysis_views_answer_alike(apps, url):
    url, status = url if isinstance(url, tuple) else (url, 200)
    embedded, cluster = apps
    a, b = embedded.get(url), cluster.get(url)
    assert a.status_code == b.status_code == status
    assert a.get_data() == b.get_data()
