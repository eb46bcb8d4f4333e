"""The JSON API's contract: a valid OpenAPI 3.1 document that covers every JSON endpoint,
read as a page by the site itself, and checked from outside by Schemathesis against a
live server on loopback.

Every test client of the run also checks each API answer against the document
(``tests/contract.py``); the last tests here make sure that check can fail.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading

import pytest
from markupsafe import escape
from openapi_spec_validator import validate

from tests.contract import check
from transcripts import __version__
from transcripts.web import create_app
from transcripts.web.openapi import document

# Bounded: about 2,000 generated requests over the 9 operations, a fixed seed so a run
# is repeatable (a failure names its seed and its curl command).
EXAMPLES = 60
SEED = 20261204
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance,unsupported_method")


@pytest.fixture(scope="module")
def client(seeds_index):
    return create_app({"TESTING": True, "WARM_INDEX": False,
                       "INDEX_DIR": str(seeds_index.root)}).test_client()


def test_the_document_is_valid_openapi_3_1_with_the_package_version():
    doc = document()
    validate(doc)
    assert doc["openapi"] == "3.1.0" and doc["info"]["version"] == __version__


def test_every_json_endpoint_of_the_site_is_in_the_contract(client):
    paths = set(document()["paths"])
    for rule in client.application.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            templated = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            assert templated in paths, rule.rule
    for path in ("/export", "/feed"):
        assert path in paths


def test_the_document_is_served_and_drawn_as_a_page_linked_from_the_footer(client):
    served = client.get("/api/openapi.json")
    assert served.status_code == 200 and served.get_json() == json.loads(
        json.dumps(document()))
    page = client.get("/api").get_data(as_text=True)
    assert "<script src=\"http" not in page and "cdn" not in page.lower()
    for path, item in document()["paths"].items():
        assert f"GET {path}" in page and str(escape(item["get"]["summary"])) in page
    footer = client.get("/").get_data(as_text=True).rsplit("<footer", 1)[1]
    assert 'href="/api"' in footer and 'href="/api/openapi.json"' in footer


@pytest.mark.parametrize("url", [
    "/api/search?q=sanctions", "/api/search?q=zzzqqq&speaker=Nobody", "/api/search?q=%22",
    "/api/search?page=0", "/api/transcripts/63904", "/api/transcripts/no-such",
    "/api/trends?q=gas&q=oil", "/api/trends?bucket=week", "/api/speakers?q=economy",
    "/api/speaker/Vladimir%20Putin", "/api/speaker/Nobody%20Atall", "/api/kwic?q=gas",
    "/api/kwic?q=gas&width=3", "/api/search?q=a&q=b",
])
def test_answers_and_refusals_are_the_ones_the_contract_promises(client, url):
    """The contract client checks each of these; a refusal is a 4xx with its message."""
    answer = client.get(url)
    assert answer.status_code in (200, 400, 404)
    if answer.status_code != 200:
        assert answer.get_json()["error"]


def test_the_contract_check_fails_on_an_answer_that_drifted():
    with pytest.raises(AssertionError, match="breaks the contract"):
        check("/api/search", 200, "application/json", {"total": 1, "surprise": True})
    with pytest.raises(AssertionError, match="does not list"):
        check("/api/trends", 404, "application/json", {"error": "x"})
    with pytest.raises(AssertionError, match="the contract says"):
        check("/api/kwic", 200, "text/html", None)


@pytest.fixture(scope="module")
def live_server(seeds_index):
    """The site under waitress (the server `transcripts serve` runs) on 127.0.0.1."""
    from waitress import create_server

    app = create_app({"WARM_INDEX": False, "INDEX_DIR": str(seeds_index.root)})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def test_schemathesis_finds_no_error_and_no_broken_promise_on_a_live_server(live_server,
                                                                             tmp_path):
    """Property-based requests generated from the document, every operation: no 5xx,
    every status, content type, header and body as documented (refusals included)."""
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{live_server}/api/openapi.json",
         "--checks", CHECKS, "--max-examples", str(EXAMPLES), "--seed", str(SEED),
         "--workers", "2", "--phases", "examples,coverage,fuzzing",
         "--request-timeout", "60", "--report", "json", "--report-json-path", str(report)],
        capture_output=True, text=True, timeout=1200, cwd=tmp_path)
    summary = "\n".join(done.stdout.splitlines()[-40:])
    assert done.returncode == 0, summary
    selected = re.search(r"Selected: (\d+)/(\d+)", done.stdout)
    tested = re.search(r"Tested: (\d+)", done.stdout)
    generated = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert selected and tested and selected.group(1) == selected.group(2) == tested.group(1)
    assert int(tested.group(1)) >= len(document()["paths"]) - 1, summary  # all with a query
    assert generated and generated.group(1) == generated.group(2), summary
    print(f"schemathesis: {tested.group(1)} operations, {generated.group(1)} requests, "
          "0 failures")
