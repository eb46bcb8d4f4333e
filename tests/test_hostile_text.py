"""A transcript whose every field is hostile markup renders as plain text everywhere."""

from __future__ import annotations

import json

import pytest

from transcripts.index.writer import reindex
from transcripts.web import create_app

EVIL = '<script>alert(1)</script>'
QUOTE = '" onmouseover="alert(2)'
JS = "javascript:alert(3)"
ENTITY = "&lt;b&gt;bold&lt;/b&gt; &amp;"

HOSTILE = {
    "id": "evil-1",
    "title": f"Summit {EVIL} {QUOTE}",
    "lead": f"Lead {JS} {ENTITY}",
    "date": "2020-05-01",
    "place": f"Sochi {EVIL}",
    "url": JS,
    "geography": [f"Turkey {QUOTE}"],
    "topics": [f"Topic {EVIL}"],
    "persons": [f"Doe {EVIL}"],
    "utterances": [
        {"label": f"Moderator {EVIL}", "text": f"Welcome to the summit {EVIL} {ENTITY}"},
        {"label": f"Speaker {QUOTE}", "note": EVIL, "text": f"The summit link is {JS} {QUOTE}"},
        {"text": f"Narrative summit text <img src=x onerror=alert(4)> {ENTITY}"},
    ],
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evil")
    (folder / "evil.jsonl").write_text(json.dumps(HOSTILE) + "\n")
    root = folder / "index"
    reindex([folder], root)
    return create_app({"INDEX_DIR": str(root), "TESTING": True}).test_client()


def assert_inert(html: str) -> None:
    """No markup from the transcript survives: only escaped text."""
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert 'onmouseover="alert' not in html
    assert 'href="javascript:' not in html and "href='javascript:" not in html
    assert "<b>bold</b>" not in html, "entities stay entities, never decoded into markup"


@pytest.mark.parametrize(
    "url",
    [
        "/?q=summit",
        "/?q=summit&speaker=Moderator+%3Cscript%3Ealert(1)%3C/script%3E",
        "/?q=",
        "/t/evil-1",
        "/t/evil-1?q=summit",
    ],
)
def test_hostile_transcript_renders_as_text_on_every_page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_inert(html)
    assert "&lt;script&gt;" in html, "the text itself is still shown, escaped"


def test_hostile_transcript_is_plain_data_in_the_api(client):
    data = client.get("/api/search?q=summit").get_json()
    snippets = [u["snippet"] for t in data["transcripts"] for u in t["utterances"]]
    assert snippets and all("<script>" not in s and "<img" not in s for s in snippets)
    assert data["transcripts"][0]["title"] == HOSTILE["title"], "raw fields are data, unaltered"
    whole = client.get("/api/transcripts/evil-1")
    assert whole.mimetype == "application/json"
    assert whole.get_json()["utterances"][0]["label"] == f"Moderator {EVIL}"


def test_facet_values_with_markup_are_escaped(client):
    html = client.get("/?q=summit").get_data(as_text=True)
    assert "Doe &lt;script&gt;" in html and "Topic &lt;script&gt;" in html


@pytest.mark.parametrize("tid", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/index"])
def test_transcript_ids_cannot_reach_files(client, tid):
    response = client.get(f"/t/{tid}")
    assert response.status_code == 404
    assert "root:" not in response.get_data(as_text=True)
    api = client.get(f"/api/transcripts/{tid}")
    assert api.status_code == 404


def test_csp_forbids_inline_script(client):
    csp = client.get("/t/evil-1").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
