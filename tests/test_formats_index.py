"""The sample files of every format indexed together, searched over the site, API and CLI.

A folder of copies of ``../shared/formats`` (plus a sidecar giving the podcast its
recording and licence) is indexed for real; the Flask test client and the CLI then
search it by source, and see times, media links and credits.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from transcripts.index.writer import reindex
from transcripts.web import create_app

PROJECT_DIR = Path(__file__).resolve().parents[1]
FORMATS = PROJECT_DIR.parent / "shared" / "formats"
MEDIA = "https://example.org/podcast/ep1.mp3"

pytestmark = pytest.mark.skipif(
    not FORMATS.is_dir(), reason=f"sample files not found at {FORMATS}"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    for path in FORMATS.rglob("*"):
        # parlamint-more/ (five parliaments) has ParlaMint tests of its own.
        if path.is_file() and path.name != "README.md" and "parlamint-more" not in path.parts:
            shutil.copy(path, folder / path.name)
    (folder / "podcastindex_example.meta.json").write_text(json.dumps({
        "title": "10 things we wish we knew before podcasting",
        "date": "2021-06-01",
        "media": MEDIA,
        "licence": "CC0-1.0",
        "attribution": "Podcastindex.org",
    }))
    root = folder.parent / "ix"
    report = reindex([folder], root, full=True)
    return folder, root, report


@pytest.fixture(scope="module")
def client(built):
    app = create_app({"INDEX_DIR": str(built[1]), "TESTING": True})
    return app.test_client()


def api(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_every_sample_sitting_episode_and_page_is_indexed(built):
    _, _, report = built
    assert report.transcripts_total == 16  # 17 files; the taxonomy is not a sitting
    assert report.skipped == []  # read for the sitting's sake, quietly
    assert report.warnings == []


def test_source_facet_counts_each_format_and_filters(client):
    data = api(client, "/api/search?q=the")
    sources = {v["value"]: v["count"] for v in data["facets"]["source"]}
    assert {"SRT", "WebVTT", "ParlaMint-GB", "Zoom", "Congressional Record"} <= set(sources)
    only = api(client, "/api/search?q=the&source=ParlaMint-GB")
    assert only["total"] == sources["ParlaMint-GB"]
    assert {t["source"] for t in only["transcripts"]} == {"ParlaMint-GB"}
    assert {t["id"] for t in only["transcripts"]} == {"ParlaMint-GB_2020-02-12-lords"}


def test_hits_from_captions_carry_times_and_the_recording(client):
    data = api(client, "/api/search?q=%22audio+quality%22&source=SRT")
    (hit,) = data["transcripts"]
    assert hit["title"] == "10 things we wish we knew before podcasting"
    assert hit["media"] == MEDIA and hit["date"] == "2021-06-01"
    (u,) = hit["utterances"]
    assert (u["speaker"], u["start"], u["end"]) == ("Sarah", 53.03, 100.189)
    page = client.get("/?q=%22audio+quality%22&source=SRT").get_data(as_text=True)
    assert f'href="{MEDIA}#t=53"' in page and ">0:53</time>" in page


def test_transcript_page_shows_times_media_links_and_the_credit(client):
    page = client.get("/t/podcastindex_example").get_data(as_text=True)
    times = re.findall(r'<a class="time-link" href="([^"]+)"', page)
    assert times[:3] == [f"{MEDIA}#t=0", f"{MEDIA}#t=53", f"{MEDIA}#t=102"]
    assert "Podcastindex.org" in page and ">CC0-1.0</a>" in page
    assert "https://creativecommons.org/publicdomain/zero/1.0/" in page
    assert "en.kremlin.ru), licensed" not in page.split("<footer")[0]
    lords = client.get("/t/ParlaMint-GB_2020-02-12-lords").get_data(as_text=True)
    assert "ParlaMint corpora (CLARIN research infrastructure)" in lords
    assert '>CC BY 4.0</a>' in lords and "time-link" not in lords  # TEI has no times
    assert 'class="source-facet" href="/?source=ParlaMint-GB"' in lords
    zoom = client.get("/t/zoom_input_example").get_data(as_text=True)
    assert "<time datetime=\"PT5S\">0:05</time>" in zoom and "time-link" not in zoom


def test_api_transcript_returns_times_source_and_credit_but_no_path(client):
    data = api(client, "/api/transcripts/mozilla-vttjs_spec-example")
    assert data["source"] == "WebVTT" and "file" not in data
    assert [(u["label"], u["start"], u["end"]) for u in data["utterances"]][:2] == [
        ("Roger Bingham", 11.0, 31.5), ("Neil deGrasse Tyson", 30.5, 32.5)
    ]


def test_source_is_a_query_field_too(client):
    data = api(client, "/api/search?q=source:zoom")
    assert {t["id"] for t in data["transcripts"]} == {"zoom_input_example"}


def test_cli_search_by_source_prints_times(built):
    _, root, _ = built
    cmd = [sys.executable, "-m", "transcripts", "search", "podcast", "--source", "SRT",
           "--index-dir", str(root)]
    done = subprocess.run([*cmd, "--json"], cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {t["source"] for t in data["transcripts"]} == {"SRT"}
    assert all(u["start"] is not None for t in data["transcripts"] for u in t["utterances"])
    text = subprocess.run(cmd, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert re.search(r"#\d+ \d+:\d\d (Travis|Sarah|Gilon):", text.stdout), text.stdout


def test_cli_parse_shows_times_and_speakers(built):
    folder = built[0]
    done = subprocess.run(
        [sys.executable, "-m", "transcripts",
         "parse", str(folder / "mozilla-vttjs_spec-example.vtt")],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "#2 0:30–0:32 Neil deGrasse Tyson" in done.stdout


def test_a_changed_or_broken_sidecar_is_noticed_by_an_incremental_reindex(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(FORMATS / "srt" / "podcastindex_example.srt", folder / "ep.srt")
    root = tmp_path / "ix"
    assert reindex([folder], root).transcripts_total == 1
    side = folder / "ep.meta.json"
    side.write_text('{"title": "Episode one"}')
    report = reindex([folder], root)
    assert (report.files_read, report.files_unchanged) == (1, 0)
    app = create_app({"INDEX_DIR": str(root), "TESTING": True})
    assert api(app.test_client(), "/api/transcripts/ep")["title"] == "Episode one"
    assert reindex([folder], root).up_to_date
    side.write_text('{"title": "Episode one", "date": 2021}')
    report = reindex([folder], root)
    assert report.files_read == 1 and report.transcripts_total == 1
    assert [w.reason for w in report.warnings] == ["ep.meta.json: 'date' must be a string; ignored"]
    side.unlink()
    reindex([folder], root)
    assert api(app.test_client(), "/api/transcripts/ep")["title"] == "ep"


def test_a_person_list_added_beside_a_sitting_renames_its_speakers_incrementally(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(FORMATS / "parlamint" / "ParlaMint-GB_2020-02-12-lords.xml", folder)
    root = tmp_path / "ix"
    reindex([folder], root)
    (folder / "ParlaMint-GB-listPerson.xml").write_text(
        '<listPerson xmlns="http://www.tei-c.org/ns/1.0"><person xml:id="PeterFowler">'
        "<persName><forename>Norman</forename><surname>Fowler</surname></persName>"
        "</person></listPerson>",
        "utf-8",
    )
    report = reindex([folder], root)
    assert report.files_read == 2 and report.skipped == []  # the sitting and the list
    app = create_app({"INDEX_DIR": str(root), "TESTING": True})
    data = api(app.test_client(), "/api/transcripts/ParlaMint-GB_2020-02-12-lords")
    assert [u["speaker"] for u in data["utterances"] if u["label"]][:2] == [
        "Norman Fowler", "James Touhig",
    ]
