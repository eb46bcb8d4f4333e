"""Export and concordance downloads through the site, over the real sample index: what a
spreadsheet or a script gets back (CSV parsed with the csv module, JSON Lines line by
line), the truncation note, streaming, and a clear 400 for every bad parameter."""

from __future__ import annotations

import csv
import inspect
import io
import json
import re

import pytest
import web_fixtures
from flask import url_for
from flask.testing import FlaskClient
from web_fixtures import get, web_index_dir  # noqa: F401  # the shared session fixture

from transcripts.search import export
from transcripts.search.export import COLUMNS, csv_chunks, permalink_path

app, client = web_fixtures.app, web_fixtures.client  # the site over the sample index

QUERY = "coronavirus"  # about a hundred passages in the sample


def parse_csv(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body, newline="")))


def search_total(client: FlaskClient, query_string: str) -> int:
    return get(client, f"/api/search?{query_string}").get_json()["total"]


# --- /export -----------------------------------------------------------------------


def test_csv_export_has_every_matching_utterance(client):
    total = search_total(client, f"q={QUERY}")
    response = get(client, f"/export?q={QUERY}&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response.headers["Content-Disposition"]
    assert response.headers["X-Export-Rows"] == response.headers["X-Export-Total"] == str(total)
    assert response.headers["X-Export-Truncated"] == "false"
    rows = parse_csv(response.get_data(as_text=True))
    assert rows[0] == COLUMNS
    assert len(rows) - 1 == total > 10
    records = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    keys = [(r["date"], r["transcript_id"], int(r["position"])) for r in records]
    assert keys == sorted(keys)  # by date, then place in the transcript
    first = records[0]
    assert first["permalink"] == (
        f"http://localhost/t/{first['transcript_id']}#u{first['position']}"
    )
    # The text is the utterance as the transcript page has it, line breaks included.
    transcript = get(client, f"/api/transcripts/{first['transcript_id']}").get_json()
    texts = {u["position"]: u["text"] for u in transcript["utterances"]}
    position = int(first["position"])
    if position:
        assert first["text"] == texts[position].replace("\r", "")
    assert any("\n" in r["text"] for r in records)  # multi-line cells survive quoting


def test_csv_is_rfc_4180_with_crlf_and_quoted_line_breaks(client):
    raw = get(client, f"/export?q={QUERY}&format=csv").get_data()
    assert raw.startswith(b"transcript_id,title,")
    assert raw.endswith(b"\r\n")
    header_end = raw.index(b"\r\n")
    assert b"\n" not in raw[:header_end]
    # Outside quoted fields every line ends with CRLF; inside, a bare LF is data.
    outside, quoted = [], False
    for i, byte in enumerate(raw):
        if byte == ord('"'):
            quoted = not quoted
        elif byte == ord("\n") and not quoted:
            outside.append(raw[i - 1 : i + 1])
    assert outside and set(outside) == {b"\r\n"}


def test_bom_option_for_excel(client):
    plain = get(client, f"/export?q={QUERY}&format=csv").get_data()
    with_bom = get(client, f"/export?q={QUERY}&format=csv&bom=1").get_data()
    assert with_bom == b"\xef\xbb\xbf" + plain
    rows = parse_csv(with_bom.decode("utf-8-sig"))
    assert rows[0] == COLUMNS


def test_jsonl_export_one_object_a_line(client):
    total = search_total(client, f"q={QUERY}&topic=Healthcare")
    body = get(client, f"/export?q={QUERY}&topic=Healthcare&format=jsonl").get_data(as_text=True)
    lines = body.splitlines()
    assert len(lines) == total
    records = [json.loads(line) for line in lines]
    assert list(records[0]) == COLUMNS
    assert all("truncated" not in r for r in records)


def test_truncated_export_says_so_in_csv_jsonl_and_headers(client):
    total = search_total(client, f"q={QUERY}")
    response = get(client, f"/export?q={QUERY}&format=csv&limit=3")
    assert response.headers["X-Export-Truncated"] == "true"
    assert response.headers["X-Export-Rows"] == "3"
    assert response.headers["X-Export-Total"] == str(total)
    rows = parse_csv(response.get_data(as_text=True))
    assert len(rows) == 1 + 3 + 1
    note = rows[-1]
    assert len(note) == len(COLUMNS) and not any(note[1:])
    assert note[0].startswith("TRUNCATED:") and f"first 3 of {total:,}" in note[0]

    body = get(client, f"/export?q={QUERY}&format=jsonl&limit=3").get_data(as_text=True)
    records = [json.loads(line) for line in body.splitlines()]
    assert len(records) == 4
    assert records[-1]["truncated"] is True
    assert (records[-1]["exported"], records[-1]["total"]) == (3, total)
    assert "narrow the search" in records[-1]["message"].lower()


def test_limit_at_the_total_is_not_truncated(client):
    total = search_total(client, f"q={QUERY}")
    rows = parse_csv(get(client, f"/export?q={QUERY}&limit={total}").get_data(as_text=True))
    assert len(rows) == total + 1 and not rows[-1][0].startswith("TRUNCATED")


def test_export_is_streamed(app, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 10)
    with app.test_request_context(f"/export?q={QUERY}&format=csv"):
        response = app.view_functions["export.export_file"]()
        assert response.is_streamed
        assert inspect.isgenerator(response.response)  # made as it is sent
        chunks = list(response.response)
    assert len(chunks) > 5  # batch by batch, not one string built in memory
    assert all(len(parse_csv(c)) <= 11 for c in chunks)


def test_newest_and_relevance_orders(client):
    body = get(client, f"/export?q={QUERY}&format=jsonl&sort=newest").get_data(as_text=True)
    dates = [json.loads(line)["date"] for line in body.splitlines()]
    assert dates == sorted(dates, reverse=True)
    relevance = get(client, f"/export?q={QUERY}&format=jsonl&sort=relevance")
    assert len(relevance.get_data(as_text=True).splitlines()) == len(dates)


def test_empty_query_exports_what_the_filters_match(client):
    total = search_total(client, "topic=Healthcare")
    rows = parse_csv(get(client, "/export?topic=Healthcare").get_data(as_text=True))
    assert len(rows) - 1 == total > 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=xls", "format must be one of csv, jsonl"),
        ("bom=2", "bom must be 1 or 0"),
        ("limit=0", "limit must be a whole number from 1 to 100,000"),
        ("limit=100001", "limit must be a whole number"),
        ("limit=ten", "limit must be a whole number"),
        ("sort=alphabetical", "sort must be one of oldest, newest, relevance"),
        ("from=2020-13-01", "from must be a date"),
        ("q=%22unclosed", "Unbalanced quote"),
    ],
)
def test_bad_export_parameters_get_400_with_the_reason(client, query, message):
    body = get(client, f"/export?{query}", status=400).get_data(as_text=True)
    assert message in body.replace("&#39;", "'").replace("&#34;", '"')


def test_permalinks_are_the_sites_own_addresses(app):
    with app.test_request_context():
        for tid, position in (("57201", 5), ("talk-1", 3), ("odd id?with#chars'", 0)):
            site = url_for("pages.transcript", transcript_id=tid) + f"#u{position}"
            assert permalink_path(tid, position) == site


def test_search_page_links_to_concordance_and_exports(client):
    body = get(client, f"/?q={QUERY}&topic=Healthcare&sort=newest").get_data(as_text=True)
    tools = re.search(r'<p class="result-tools">(.*?)</p>', body, re.S).group(1)
    hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*)"', tools)]
    assert f"/kwic?q={QUERY}&topic=Healthcare&sort=newest" in hrefs
    assert f"/export?q={QUERY}&topic=Healthcare&format=csv&sort=newest" in hrefs
    assert f"/export?q={QUERY}&topic=Healthcare&format=csv&sort=newest&bom=1" in hrefs
    assert f"/export?q={QUERY}&topic=Healthcare&format=jsonl&sort=newest" in hrefs
    for href in hrefs:  # each link works
        get(client, href)


# --- CSV cells ------------------------------------------------------------------------


def test_formula_cells_are_neutralised_and_quoting_round_trips():
    nasty = ["=SUM(A1:A9)", "+7 495", "-2", "@cmd", "\tindent", "\rstart", "a=b", "plain"]
    tricky = ['He said "no", twice', "line one\nline two", "comma, inside", " spaced "]
    text = "".join(csv_chunks(iter([nasty, tricky]), [f"c{i}" for i in range(8)]))
    rows = parse_csv(text)
    assert rows[1] == ["'=SUM(A1:A9)", "'+7 495", "'-2", "'@cmd", "'\tindent", "'\rstart",
                       "a=b", "plain"]
    assert rows[2] == tricky
    assert '"He said ""no"", twice"' in text  # RFC 4180: quotes doubled inside quotes


# --- /kwic ------------------------------------------------------------------------------


def kwic_json(client: FlaskClient, query_string: str, status: int = 200) -> dict:
    response = get(client, f"/api/kwic?{query_string}", status)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_kwic_page_shows_aligned_lines_linking_to_their_passages(client):
    data = kwic_json(client, f"q={QUERY}")
    body = get(client, f"/kwic?q={QUERY}").get_data(as_text=True)
    assert f"{data['total']:,} hits" in body
    lines = re.findall(r'<li class="kwic-line">(.*?)</li>', body, re.S)
    assert len(lines) == min(100, data["total"])
    first = data["lines"][0]
    assert f'href="/t/{first["transcript_id"]}?q={QUERY}#u{first["position"]}"' in lines[0]
    assert re.search(r"<mark>coronavirus</mark>", lines[0], re.I)
    assert 'class="kwic-left"' in lines[0] and 'class="kwic-meta"' in lines[0]
    # The link lands on the passage: the transcript page has that anchor.
    page = get(client, f"/t/{first['transcript_id']}?q={QUERY}").get_data(as_text=True)
    assert f'id="u{first["position"]}"' in page


def test_kwic_sort_links_work_without_javascript(client):
    body = get(client, f"/kwic?q={QUERY}&sort=right1").get_data(as_text=True)
    assert '<span class="sort-option" aria-current="true">1st word right</span>' in body
    links = dict(
        (label, href.replace("&amp;", "&"))
        for href, label in re.findall(r'<a class="sort-option" href="([^"]*)">([^<]*)</a>', body)
    )
    assert links["1st word left"] == f"/kwic?q={QUERY}&sort=left1"
    assert links["Oldest first"] == f"/kwic?q={QUERY}"
    data = kwic_json(client, f"q={QUERY}&sort=right1&per_page=1000")
    firsts = [re.findall(r"\w+", ln["right"].lower())[:1] for ln in data["lines"]]
    assert firsts == sorted(firsts)


def test_kwic_pages_and_csv_of_every_line(client):
    data = kwic_json(client, f"q={QUERY}&per_page=7&page=2")
    assert data["per_page"] == 7 and data["page"] == 2
    assert [ln["number"] for ln in data["lines"]] == list(range(8, 15))
    body = get(client, f"/kwic.csv?q={QUERY}&bom=1").get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = parse_csv(body.removeprefix("\ufeff"))
    assert rows[0][:3] == ["line", "transcript_id", "title"] and len(rows) - 1 == data["total"]
    truncated = parse_csv(get(client, f"/kwic.csv?q={QUERY}&limit=2").get_data(as_text=True))
    assert len(truncated) == 4 and truncated[-1][0].startswith("TRUNCATED")


def test_kwic_without_a_query_explains_itself(client):
    body = get(client, "/kwic").get_data(as_text=True)
    assert "A concordance needs a query" in body and '<li class="kwic-line">' not in body
    assert "needs a query" in kwic_json(client, "q=", status=400)["error"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=speaker:putin", "names no words"),
        (f"q={QUERY}&sort=sideways", "sort must be one of"),
        (f"q={QUERY}&page=0", "page must be a whole number"),
        (f"q={QUERY}&width=5000", "width must be a whole number"),
        ("q=%22unclosed", "Unbalanced quote"),
    ],
)
def test_bad_kwic_parameters_get_400_with_the_reason(client, query, message):
    page = get(client, f"/kwic?{query}", status=400).get_data(as_text=True)
    assert message in page.replace("&#39;", "'")
    assert message in kwic_json(client, query, status=400)["error"]
    get(client, f"/kwic.csv?{query}", status=400)


def test_kwic_keeps_the_search_filters(client):
    narrow = kwic_json(client, f"q={QUERY}&topic=Healthcare")
    wide = kwic_json(client, f"q={QUERY}")
    assert 0 < narrow["total"] < wide["total"]
    body = get(client, f"/kwic?q={QUERY}&topic=Healthcare").get_data(as_text=True)
    assert '<input type="hidden" name="topic" value="Healthcare">' in body
