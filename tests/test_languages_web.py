"""Parliaments, languages and translations on the site, the API and the exports.

ParlaMint sittings in five languages, three with their English machine translations
(``../shared/formats/parlamint-more``), and two pages of the demo corpus are indexed in
tmp_path. The Czech corpus's person and organisation lists are too big to ship, so a
small one is written here from the sitting's own metadata table (``expected/…-meta.tsv``:
the four speakers, their groups and sex), which is what gives the Czech turns a party.
Through the Flask test client: an English query finds the Czech sitting by its
translation and links each passage to its original twin; the transcript page shows
the two side by side, row by row; parties, language badges and ``lang`` attributes;
the language and party facets; exports; who said it most and over time by party, and
a bad ``by`` refused with a message. Then the side-by-side page in real Chromium: axe,
the keyboard, and without JavaScript. On OpenSearch, the same answers as embedded.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.axe import tab_through_main
from tests.conftest import SEEDS, SHARED_DIR
from transcripts.index.model import Utterance
from transcripts.index.writer import reindex
from transcripts.web import create_app
from transcripts.web.parallel import align

PARLAMINT = SHARED_DIR / "formats" / "parlamint-more"
CZ = "ParlaMint-CZ_2020-01-22-ps2017-040-02-005-012"
CZ_EN = "ParlaMint-CZ-en_2020-01-22-ps2017-040-02-005-012"
ES, ES_EN = "ParlaMint-ES_2023-02-23-CD230223", "ParlaMint-ES-en_2023-02-23-CD230223"
FR = "ParlaMint-FR_2022-06-28-O1169"
SEED_PAGES = ("62094.txt", "62163.txt")  # two short en.kremlin.ru pages
PARTIES = {"KSČM", "Piráti", "ODS"}

pytestmark = pytest.mark.skipif(
    not PARLAMINT.is_dir(), reason=f"the ParlaMint samples are absent ({PARLAMINT})"
)

# The Czech speakers as the sitting's metadata table gives them (its ParlaMint
# listPerson is 2.6 MB): each one's group that day, by its abbreviation.
LIST_PERSON = """<?xml version="1.0" encoding="UTF-8"?>
<listPerson xmlns="http://www.tei-c.org/ns/1.0" xml:id="ParlaMint-CZ-listPerson" xml:lang="cs">
{people}
</listPerson>
"""
PERSON = """  <person xml:id="{id}">
    <persName><surname>{surname}</surname><forename>{forename}</forename></persName>
    <sex value="{sex}"/>
    <affiliation ref="#group.{group}" role="member" from="2017-10-21"/>
  </person>"""
LIST_ORG = """<?xml version="1.0" encoding="UTF-8"?>
<listOrg xmlns="http://www.tei-c.org/ns/1.0" xml:id="ParlaMint-CZ-listOrg" xml:lang="cs">
{orgs}
</listOrg>
"""
ORG = """  <org xml:id="group.{group}" role="parliamentaryGroup">
    <orgName full="yes" xml:lang="en">{name}</orgName><orgName full="abb">{abb}</orgName>
  </org>"""


def write_czech_lists(folder: Path) -> None:
    """ParlaMint-CZ-listPerson.xml and -listOrg.xml for the four speakers of the sample,
    from ``expected/<sitting>-meta-en.tsv`` (speaker id, name, party, party name, sex)."""
    table = PARLAMINT / "expected" / f"{CZ}-meta-en.tsv"
    rows = list(csv.DictReader(table.open(encoding="utf-8"), delimiter="\t"))
    people, orgs = {}, {}
    for r in rows:
        group = re.sub(r"\W", "", r["Speaker_party"].encode("ascii", "ignore").decode())
        surname, forename = (p.strip() for p in r["Speaker_name"].split(",", 1))
        people[r["Speaker_ID"]] = PERSON.format(id=r["Speaker_ID"], surname=surname,
                                                forename=forename, sex=r["Speaker_gender"],
                                                group=group)
        orgs[group] = ORG.format(group=group, name=r["Speaker_party_name"],
                                 abb=r["Speaker_party"])
    (folder / "ParlaMint-CZ-listPerson.xml").write_text(
        LIST_PERSON.format(people="\n".join(people.values())), encoding="utf-8")
    (folder / "ParlaMint-CZ-listOrg.xml").write_text(
        LIST_ORG.format(orgs="\n".join(orgs.values())), encoding="utf-8")


def parlamint_folder(folder: Path) -> Path:
    """Copies of the samples (sittings, translations, organisation lists), the Czech
    lists and two demo pages: what the tests index."""
    for path in PARLAMINT.glob("*.xml"):
        shutil.copy(path, folder / path.name)
    write_czech_lists(folder)
    for name in SEED_PAGES:
        shutil.copy(SEEDS / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = parlamint_folder(tmp_path_factory.mktemp("parlamint"))
    root = tmp_path_factory.mktemp("parlamint-index")
    report = reindex([folder], root, full=True)
    assert report.transcripts_total == 9 + len(SEED_PAGES), report
    return root


@pytest.fixture(scope="module")
def client(index_dir: Path):
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True, "WARM_INDEX": False})
    client = app.test_client()
    data = client.get(f"/api/transcripts/{CZ_EN}").get_json()
    assert data and data.get("translation_of") == CZ, data  # the translation is linked
    return client


def get(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:400])
    return response


# --- reading the pages: the standard library's HTML parser into an element tree, and
# the few CSS selectors these tests use (tag, .class, #id, [attr], [attr=value], the
# descendant and ">" combinators) -------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class Page(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("document")
        self.stack = [self.root]
        self.parents: dict[ET.Element, ET.Element] = {}
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})
        self.parents[el] = self.stack[-1]
        if tag not in VOID:
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


_COMPOUND = re.compile(r"([\w-]+)|\.([\w-]+)|#([\w.-]+)|\[([\w-]+)(?:=([^\]]+))?\]")


def _matches(el: ET.Element, compound: str) -> bool:
    for tag, cls, ident, attr, value in _COMPOUND.findall(compound):
        if tag and el.tag != tag:
            return False
        if cls and cls not in el.get("class", "").split():
            return False
        if ident and el.get("id") != ident:
            return False
        if attr and (el.get(attr) is None or (value and el.get(attr) != value)):
            return False
    return True


class Doc:
    def __init__(self, markup: str) -> None:
        self._page = Page(markup)

    def select(self, scope: ET.Element, selector: str) -> list[ET.Element]:
        parts = selector.replace(">", " > ").split()
        found = [el for el in scope.iter() if el is not scope and _matches(el, parts[-1])]
        return [el for el in found if self._context(el, parts[:-1], scope)]

    def _context(self, el: ET.Element, parts: list[str], scope: ET.Element) -> bool:
        if not parts:
            return True
        *rest, last = parts
        if last == ">":
            *rest, last = rest
            parent = self._page.parents.get(el)
            return (parent is not None and parent is not scope and _matches(parent, last)
                    and self._context(parent, rest, scope))
        parent = self._page.parents.get(el)
        while parent is not None and parent is not scope:
            if _matches(parent, last) and self._context(parent, rest, scope):
                return True
            parent = self._page.parents.get(parent)
        return False


class Node:
    """An element and the page it is in: ``cssselect`` and ``get`` as lxml has them."""

    def __init__(self, doc: Doc, el: ET.Element) -> None:
        self.doc, self.el = doc, el

    def cssselect(self, selector: str) -> list[Node]:
        return [Node(self.doc, e) for e in self.doc.select(self.el, selector)]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.el.get(name, default)

    def text_content(self) -> str:
        return "".join(self.el.itertext())


def page(client, url: str) -> Node:
    doc = Doc(get(client, url).get_data(as_text=True))
    return Node(doc, doc._page.root)


def text(el: Node) -> str:
    return " ".join(el.text_content().split())


def by_id(doc: Node, ident: str) -> Node:
    found = [e for e in doc.el.iter() if e.get("id") == ident]
    assert len(found) == 1, (ident, len(found))
    return Node(doc.doc, found[0])


# --- search results ------------------------------------------------------------------

def test_an_english_query_finds_the_czech_sitting_by_its_translation_and_links_the_twin(
        client):
    doc = page(client, "/?q=amendment")
    hit = next(a for a in doc.cssselect("article.hit")
               if f"/t/{CZ_EN}" in a.cssselect(".hit-title a")[0].get("href"))
    note = text(hit.cssselect(".hit-translation")[0])
    assert note.startswith("English translation of Parliament of the Czech Republic")
    assert "(Czech original)" in note and "machine translated" in note
    assert hit.cssselect(".hit-translation a")[0].get("href") == f"/t/{CZ}"
    passage = next(p for p in hit.cssselect("li.passage") if "Skopeček" in text(p))
    twin = passage.cssselect("a.passage-twin")[0]
    assert text(twin) == "Original (Czech) of this passage"
    href = twin.get("href")
    assert href == f"/t/{CZ}#a-{CZ}.u38"
    # Followed: the anchor is on the original's page, around its Czech words.
    path, _, fragment = href.partition("#")
    target = by_id(page(client, path), fragment)
    czech = target.cssselect("div.utterance-text[lang=cs]")
    assert czech and "pozměňovací návrh" in text(czech[0])


def test_an_original_found_in_its_own_language_links_each_passage_to_its_translation(
        client):
    doc = page(client, "/?q=pozměňovací")
    hit = doc.cssselect("article.hit")[0]
    assert f"/t/{CZ}?" in hit.cssselect(".hit-title a")[0].get("href")
    assert text(hit.cssselect(".hit-meta .badge-language")[0]) == "In Czech"
    assert text(hit.cssselect(".hit-translation")[0]) == \
        "Also in English (machine translation)"
    for passage in hit.cssselect("li.passage"):
        assert passage.cssselect("p.snippet")[0].get("lang") == "cs"
        assert passage.cssselect(".speaker")[0].get("lang") == "cs"  # "Poslanec ..."
        twin = passage.cssselect("a.passage-twin")[0]
        assert text(twin).startswith("English translation")
        assert re.fullmatch(rf"/t/{CZ_EN}#a-{CZ}\.u\d+", twin.get("href"))
    # English results carry no lang attribute: the page's own is English.
    english = page(client, "/?q=amendment").cssselect("p.snippet")
    assert english and not [p for p in english if p.get("lang")]


def test_each_passage_shows_its_speakers_party_beside_the_name(client):
    doc = page(client, "/?q=pozměňovací")
    names = {text(p.cssselect(".passage-who")[0]) for p in doc.cssselect("li.passage")}
    assert {"Poslanec Lukáš Kolářík (Piráti)", "Jan Skopeček (ODS)"} <= names
    api = get(client, "/api/search?q=pozměňovací").get_json()
    parties = {u["speaker"]: u["party"] for t in api["transcripts"] for u in t["utterances"]}
    assert parties == {"Lukáš Kolářík": "Piráti", "Jan Skopeček": "ODS"}


# --- facets --------------------------------------------------------------------------

def test_the_language_facet_counts_each_language_and_filters_by_it(client):
    data = get(client, "/api/search").get_json()
    languages = {v["value"]: v["count"] for v in data["facets"]["language"]}
    assert {"English", "Czech", "German", "Spanish", "French", "Ukrainian"} == set(languages)
    czech = get(client, "/api/search?language=Czech").get_json()
    assert czech["total"] == languages["Czech"]
    for named in ("cs", "ces", "czech"):  # a code or a name in any case: the same filter
        same = get(client, f"/api/search?language={named}").get_json()
        assert same["request"]["language"] == ["Czech"] and same["total"] == czech["total"]
    assert {t["id"] for t in czech["transcripts"]} == {CZ}
    assert {t["language"] for t in czech["transcripts"]} == {"cs"}
    doc = page(client, "/?language=Czech")
    legend = {text(f.cssselect("legend")[0]): f for f in doc.cssselect("fieldset.facet")}
    assert "Language" in legend and "Party" in legend
    assert text(doc.cssselect("ul.chips a.chip")[0]).startswith("Language Czech")
    ticked = legend["Language"].cssselect("input[checked]")
    assert [i.get("value") for i in ticked] == ["Czech"]


def test_the_party_facet_filters_turns_and_is_left_out_where_no_result_has_a_party(client):
    data = get(client, "/api/search?party=ODS").get_json()
    assert {t["id"] for t in data["transcripts"]} == {CZ, CZ_EN}
    assert {u["party"] for t in data["transcripts"] for u in t["utterances"]
            if u["kind"] == "turn"} <= {"ODS"}
    facets = get(client, "/api/search").get_json()["facets"]
    assert {v["value"] for v in facets["party"]} == PARTIES
    # The Kremlin's pages name no party: the sidebar has no empty "Party" box for them.
    doc = page(client, "/?source=en.kremlin.ru")
    legends = [text(f.cssselect("legend")[0]) for f in doc.cssselect("fieldset.facet")]
    assert "Party" not in legends and "Source" in legends
    assert get(client, "/api/search?source=en.kremlin.ru").get_json()["facets"]["party"] == []


# --- the transcript page: side by side -----------------------------------------------

def rows_of(doc) -> list:
    return doc.cssselect(".parallel .parallel-row")


def test_the_original_shows_its_english_twin_in_the_same_row(client):
    doc = page(client, f"/t/{CZ}")
    rows = rows_of(doc)
    assert len(rows) == 4
    for row in rows:
        left, right = row.cssselect("section.side-left"), row.cssselect("section.side-right")
        assert len(left) == len(right) == 1
        assert left[0].cssselect(".utterance-text")[0].get("lang") == "cs"
        assert right[0].cssselect(".utterance-text")[0].get("lang") is None  # English
        # The page's own passages keep their ids (u<pos>); the twin's are on its page.
        assert re.fullmatch(r"u\d+", left[0].get("id")) and right[0].get("id") is None
    assert [r.get("id") for r in rows] == [f"a-{CZ}.u{n}" for n in (1, 2, 38, 39)]
    skopecek = next(r for r in rows if r.get("id") == f"a-{CZ}.u38")
    assert "pozměňovací návrh" in text(skopecek.cssselect(".side-left .utterance-text")[0])
    assert "amendment" in text(skopecek.cssselect(".side-right .utterance-text")[0])
    assert text(skopecek.cssselect(".side-left h2")[0]) == "Jan Skopeček (ODS)"
    # Permalinks for both: the original's here, the translation's on its own page.
    links = [a.get("href") for a in skopecek.cssselect("a.permalink")]
    assert links == [f"/t/{CZ}#u3", f"/t/{CZ_EN}#u3"]
    # The header says which is the original and links to the other's own page.
    note = doc.cssselect(".parallel-note")[0]
    assert text(note).startswith("This is the Czech original, shown beside its English "
                                 "translation (a machine translation)")
    assert note.cssselect("a")[0].get("href") == f"/t/{CZ_EN}"


def test_the_translation_shows_the_original_on_the_left_and_its_own_ids_on_the_right(client):
    doc = page(client, f"/t/{CZ_EN}")
    rows = rows_of(doc)
    assert [r.get("id") for r in rows] == [r.get("id") for r in rows_of(page(client, f"/t/{CZ}"))]
    first = rows[0]
    assert first.cssselect(".side-left")[0].get("id") is None
    assert first.cssselect(".side-right")[0].get("id") == "u1"
    assert first.cssselect(".side-left .utterance-text")[0].get("lang") == "cs"
    note = doc.cssselect(".parallel-note")[0]
    assert text(note).startswith("This is the English translation (a machine translation) "
                                 "of the Czech original")
    assert note.cssselect("a")[0].get("href") == f"/t/{CZ}"
    # Its permalinks and the matches of a search still point at its own passages.
    doc = page(client, f"/t/{CZ_EN}?q=amendment")
    matches = [a.get("href") for a in doc.cssselect("nav.matches a")]
    assert matches and all("has-match" in by_id(doc, m[1:]).get("class").split()
                           for m in matches)


def test_rows_without_ids_pair_in_order_where_both_sides_have_as_many(client):
    """The Spanish sitting's headings have no id on either side: paired one for one."""
    doc = page(client, f"/t/{ES}")
    rows = rows_of(doc)
    assert all(len(r.cssselect("section")) == 2 for r in rows)
    assert text(rows[0].cssselect(".side-right .utterance-text")[0]) == \
        "PALABRAS DE LA PRESIDENCIA"
    assert rows[0].get("id") is None and rows[1].get("id") == f"a-{ES}.u1"


def u(position: int, anchor: str = "") -> Utterance:
    return Utterance(position=position, text=f"{position}{anchor}", anchor=anchor)


def pairs(rows) -> list[tuple[int | None, int | None]]:
    return [(r.original.position if r.original else None,
             r.translation.position if r.translation else None) for r in rows]


def test_align_pairs_twins_by_anchor_and_shows_the_rest_alone_in_reading_order():
    left = [u(1, "a"), u(2), u(3, "c"), u(4, "d"), u(5), u(6, "e")]
    right = [u(1, "a"), u(2), u(3, "c"), u(4, "x"), u(5), u(6, "e")]
    assert pairs(align(left, right)) == [
        (1, 1), (2, 2),  # no id on either side, one each between twins: paired
        (3, 3),
        (4, None), (5, None), (None, 4), (None, 5),  # d and x have no twin: each alone
        (6, 6),
    ]
    assert pairs(align([u(1), u(2, "a")], [u(1), u(2), u(3, "a")])) == [
        (1, None), (None, 1), (None, 2), (2, 3)]  # unequal runs: alone
    # Twins out of order are still twins; each utterance is shown exactly once.
    assert pairs(align([u(1, "a"), u(2, "b")], [u(1, "b"), u(2, "a")])) == [(1, 2), (2, 1)]
    assert pairs(align([], [u(1, "a")])) == [(None, 1)]
    assert pairs(align([u(1, "a"), u(2, "a")], [u(1, "a")])) == [(1, 1), (2, None)]


def test_a_sitting_without_a_translation_has_one_column_and_its_anchor_ids(client):
    doc = page(client, f"/t/{FR}")
    assert not doc.cssselect(".parallel") and not doc.cssselect(".parallel-note")
    wrapped = doc.cssselect(".utterances > .utterance-row")
    assert wrapped and all(w.get("id", "").startswith(f"a-{FR}.u") for w in wrapped)
    assert all(re.fullmatch(r"u\d+", w.cssselect("section")[0].get("id")) for w in wrapped)
    assert by_id(doc, "u1").cssselect(".utterance-text")[0].get("lang") == "fr"
    # The Kremlin's pages look as they did: no wrappers, no lang.
    plain = page(client, "/t/62163")
    assert not plain.cssselect(".utterance-row") and not plain.cssselect("[lang]")[1:]


def test_the_credit_says_machine_translation_for_a_parlamint_translation(client):
    own, twin = page(client, f"/t/{CZ_EN}").cssselect(".credit")
    assert "machine translation" in text(own) and "CC BY 4.0" in text(own)
    assert text(twin).startswith("Original beside it: ParlaMint corpora")
    assert "machine translation" not in text(twin) and "CC BY 4.0" in text(twin)
    own, twin = page(client, f"/t/{CZ}").cssselect(".credit")
    assert "machine translation" not in text(own)
    assert text(twin).startswith("Translation beside it:") and "machine translation" in text(twin)


def test_the_concordance_marks_each_lines_language(client):
    doc = page(client, "/kwic?q=pozměňovací")
    lines = doc.cssselect("li.kwic-line")
    assert lines and all(line.cssselect("mark")[0].get("lang") == "cs" for line in lines)
    english = page(client, "/kwic?q=amendment").cssselect("li.kwic-line mark")
    assert english and not [m for m in english if m.get("lang")]


# --- the API -------------------------------------------------------------------------

def test_the_transcript_api_answers_for_an_original_and_its_translation(client):
    original = get(client, f"/api/transcripts/{CZ}").get_json()
    translation = get(client, f"/api/transcripts/{CZ_EN}").get_json()
    assert (original["language"], original["translation_of"], original["translations"]) == \
        ("cs", "", [CZ_EN])
    assert (translation["language"], translation["translation_of"],
            translation["translations"]) == ("en", CZ, [])
    assert [x["anchor"] for x in original["utterances"]] == \
        [x["anchor"] for x in translation["utterances"]]
    assert {(x["party"], x["sex"]) for x in original["utterances"]} == \
        {("KSČM", "M"), ("Piráti", "M"), ("ODS", "M")}


def test_who_said_it_most_by_party(client):
    url = "/api/speakers?q=tax&by=party&min_words=1&min_hits=1&min_transcripts=1"
    data = get(client, url).get_json()
    assert data["by"] == "party"
    assert {r["speaker"] for r in data["rows"]} == PARTIES
    for r in data["rows"]:  # the party's figures are its members' together
        alone = get(client, f"/api/speakers?q=tax&party={r['speaker']}&min_words=1"
                    "&min_hits=0&min_transcripts=0").get_json()
        assert r["hits"] == sum(x["hits"] for x in alone["rows"])
        assert r["words"] == sum(x["words"] for x in alone["rows"])
    doc = page(client, url.replace("/api", ""))
    assert text(doc.cssselect("#ranking-heading")[0]).startswith("Parties whose members use")
    assert text(doc.cssselect("table.data-table thead th")[1]) == "Party"
    link = doc.cssselect("table.data-table tbody th a")[0]
    assert "party=" in link.get("href") and link.get("href").startswith("/?q=tax")
    switch = {text(a): a.get("href") for a in doc.cssselect("nav.by-switch a")}
    assert list(switch) == ["Speakers"] and "by=" not in switch["Speakers"]
    rows = list(csv.reader(io.StringIO(get(client, url.replace("/api/speakers",
                                                               "/speakers.csv")).get_data(
        as_text=True))))
    assert rows[0][:2] == ["rank", "party"] and {r[1] for r in rows[1:]} == PARTIES
    assert get(client, "/api/speakers?q=tax&min_words=1").get_json()["by"] == "speaker"


def test_over_time_by_party_draws_a_line_per_party(client):
    data = get(client, "/api/trends?q=tax&by=party").get_json()
    assert data["by"] == "party" and data["others"] == 0 and data["queries"] == ["tax"]
    assert {s["value"] for s in data["series"]} == PARTIES
    for s in data["series"]:  # each line is "Over time" with that party ticked
        alone = get(client, f"/api/trends?q=tax&party={s['value']}").get_json()["series"][0]
        assert {k: v for k, v in s.items() if k != "value"} == alone
    two = get(client, "/api/trends?q=tax&by=party&party=ODS&party=KSČM").get_json()
    assert {s["value"] for s in two["series"]} == {"KSČM", "ODS"}  # the ticked ones
    doc = page(client, "/trends?q=tax&by=party")
    legend = [text(li) for li in doc.cssselect("ul.legend li")]
    assert {item.split(":")[0] for item in legend} == PARTIES
    assert doc.cssselect("select#by option[selected]")[0].get("value") == "party"
    assert doc.cssselect("svg[role=img]")
    assert "by=party" in doc.cssselect("p.downloads a")[0].get("href")
    rows = list(csv.DictReader(io.StringIO(get(client, "/trends.csv?q=tax&by=party")
                                           .get_data(as_text=True))))
    assert {r["party"] for r in rows} == PARTIES and {r["query"] for r in rows} == {"tax"}
    # Without by, the answer is as it always was: no by, no value.
    plain = get(client, "/api/trends?q=tax").get_json()
    assert "by" not in plain and "value" not in plain["series"][0]


@pytest.mark.parametrize(("url", "says"), [
    ("/api/speakers?q=tax&by=country", "by must be one of speaker, party (got 'country')"),
    ("/api/trends?q=tax&by=country", "by must be one of query, party, language, speaker"),
    ("/api/trends?q=tax&q=oil&by=party", "give one search (got 2)"),
    ("/api/speakers?by=party&by=speaker", "by may be given only once"),
])
def test_a_bad_by_is_a_400_that_says_what_to_give(client, url, says):
    data = get(client, url, 400).get_json()
    assert says in data["error"], data
    for view in (url.replace("/api/", "/"), url.replace("/api/", "/").replace("?", ".csv?", 1)):
        body = get(client, view, 400).get_data(as_text=True)
        assert says.replace("'", "&#39;") in body or says in body


def test_the_analysis_pages_offer_parties_only_where_the_index_has_them(client, tmp_path):
    assert page(client, "/speakers?q=tax").cssselect("nav.by-switch")
    options = [o.get("value") for o in page(client, "/trends?q=tax").cssselect("#by option")]
    assert options == ["", "party", "language", "speaker"]
    folder = tmp_path / "kremlin"
    folder.mkdir()
    for name in SEED_PAGES:
        shutil.copy(SEEDS / name, folder / name)
    reindex([folder], tmp_path / "ix", full=True)
    plain = create_app({"INDEX_DIR": str(tmp_path / "ix"), "TESTING": True,
                        "WARM_INDEX": False}).test_client()
    assert not page(plain, "/speakers?q=putin").cssselect("nav.by-switch")
    options = [o.get("value") for o in page(plain, "/trends?q=putin").cssselect("#by option")]
    assert options == ["", "speaker"]
    # Asked for all the same, by party is an empty ranking, not an error.
    assert get(plain, "/api/speakers?by=party").get_json()["rows"] == []
    assert get(plain, "/api/trends?q=putin&by=party").get_json()["series"] == []


# --- exports -------------------------------------------------------------------------

def test_export_rows_carry_language_party_anchor_and_translations(client):
    lines = get(client, "/export?q=amendment&format=jsonl").get_data(as_text=True).splitlines()
    rows = [json.loads(line) for line in lines]
    czech = [r for r in rows if r["transcript_id"] == CZ_EN]
    assert czech and {r["language"] for r in czech} == {"en"}
    assert {r["translation_of"] for r in czech} == {CZ}
    assert {r["anchor"] for r in czech} >= {f"{CZ}.u2", f"{CZ}.u38"}
    assert {r["party"] for r in czech if r["kind"] == "turn"} <= PARTIES | {""}
    assert "ODS" in {r["party"] for r in czech}
    body = get(client, "/export?q=pozměňovací&format=csv").get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(body)))
    assert {(r["language"], r["translations"], r["translation_of"]) for r in table} == \
        {("cs", CZ_EN, "")}
    assert list(table[0])[-5:] == ["language", "party", "anchor", "translation_of",
                                   "translations"]


# --- OpenSearch: the same answers ----------------------------------------------------

@pytest.fixture(scope="module")
def both(client, index_dir, opensearch_node, tmp_path_factory):
    from tests.conftest import cluster_index

    folder = parlamint_folder(tmp_path_factory.mktemp("parlamint-cluster"))
    cluster = cluster_index(opensearch_node, "parlamint", [folder])
    settings = cluster.settings
    app = create_app({"TESTING": True, "WARM_INDEX": False, "BACKEND": "opensearch",
                      "OPENSEARCH_URL": ",".join(settings.hosts),
                      "OPENSEARCH_INDEX": settings.alias})
    return client, app.test_client()


@pytest.mark.parametrize("url", [
    "/export?q=amendment&format=csv", "/export?q=pozměňovací&format=jsonl",
    "/export?party=ODS&format=csv&sort=newest",
    "/api/speakers?q=tax&by=party&min_words=1&min_hits=1&min_transcripts=1",
    "/api/trends?q=tax&by=party", "/api/trends?by=language",
    f"/api/transcripts/{CZ}", f"/api/transcripts/{CZ_EN}",
    "/api/search?language=Czech&sort=newest",
])
def test_opensearch_answers_alike(both, url):
    embedded, cluster = both
    a, b = embedded.get(url), cluster.get(url)
    assert a.status_code == b.status_code == 200
    if a.is_json:
        left, right = a.get_json(), b.get_json()
        left.pop("took_ms", None)
        right.pop("took_ms", None)
        assert left == right
    else:
        assert a.get_data() == b.get_data()


@pytest.mark.parametrize("url", [f"/t/{CZ}", "/?q=amendment", "/kwic?q=pozměňovací"])
def test_opensearch_pages_show_the_same_translations(both, url):
    embedded, cluster = both
    a, b = embedded.get(url), cluster.get(url)
    assert a.status_code == b.status_code == 200
    strip = re.compile(r'<span class="results-totals">.*?</span>|took [\d.]+', re.S)
    assert strip.sub("", a.get_data(as_text=True)) == strip.sub("", b.get_data(as_text=True))


# --- in real Chromium: the side-by-side page, by keyboard, without JavaScript, axe ----

BROWSER_PAGES = [
    (f"/t/{CZ}", "original-beside-translation"),
    (f"/t/{CZ_EN}?q=amendment#u3", "translation-beside-original-from-search"),
    (f"/t/{CZ}#a-{CZ}.u38", "twin-passage-targeted"),
    (f"/t/{ES}", "rows-without-ids"),
    (f"/t/{FR}", "sitting-without-translation"),
    ("/?q=amendment", "results-from-translations"),
    ("/?q=poz%C4%9Bm%C4%9Bovac%C3%AD&language=Czech", "results-in-czech-filtered"),
    ("/kwic?q=poz%C4%9Bm%C4%9Bovac%C3%AD", "concordance-in-czech"),
    ("/speakers?q=tax&by=party&min_words=1&min_hits=1&min_transcripts=1", "speakers-by-party"),
    ("/trends?q=tax&by=party", "trends-by-party"),
    ("/trends?by=language", "trends-words-by-language"),
]


@pytest.fixture(scope="module")
def chromium(client, index_dir, tmp_path_factory):
    """`transcripts serve` over this module's index and a Chromium to look at it; the
    browser tests skip, as tests/test_browser.py's do, without Chromium or Playwright."""
    import importlib

    browser = importlib.import_module("test_browser")  # skips when Chromium is absent
    log = tmp_path_factory.mktemp("serve-parlamint") / "serve.log"
    with browser.running_server(index_dir, log) as base, \
            browser.sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path_factory.mktemp("chromium-parlamint")),
            executable_path=str(browser.CHROMIUM), headless=True, args=browser.CHROMIUM_ARGS,
            viewport=browser.DESKTOP)
        try:
            yield base, context, browser
        finally:
            context.close()


@pytest.fixture
def tab(chromium):
    """A fresh tab that fails the test on any console error (a CSP violation is one)."""
    base, context, browser = chromium
    tab = context.new_page()
    tab.set_viewport_size(browser.DESKTOP)
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.base, tab.sizes = base, (browser.DESKTOP, browser.PHONE)
    yield tab
    tab.close()
    assert not errors, errors


def axe_or_skip():
    from tests.axe import AXE_JS, WCAG_21_AA, assert_accessible

    if not AXE_JS.is_file():
        pytest.skip(f"axe-core is not installed at {AXE_JS}: run `bash .ci/run`")
    return assert_accessible, (*WCAG_21_AA, "best-practice")


@pytest.mark.browser
@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize(("path", "name"), BROWSER_PAGES, ids=[n for _, n in BROWSER_PAGES])
def test_the_pages_pass_axe_wcag_21_aa(tab, path, name, width):
    assert_accessible, tags = axe_or_skip()
    tab.set_viewport_size(tab.sizes[width == "phone"])
    response = tab.goto(tab.base + path)
    assert response.status == 200
    tab.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    assert_accessible(tab, f"{name} at {width}", tags)
    sizes = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], sizes  # no sideways scrolling, the columns stacked on a phone


@pytest.mark.browser
def test_the_side_by_side_page_passes_axe_without_javascript(tab):
    assert_accessible, tags = axe_or_skip()
    session = tab.context.new_cdp_session(tab)
    session.send("Emulation.setScriptExecutionDisabled", {"value": True})
    tab.goto(tab.base + f"/t/{CZ}#a-{CZ}.u38")
    assert not tab.evaluate("document.documentElement.classList.contains('js')")
    row = tab.locator(f"[id='a-{CZ}.u38']")
    assert row.evaluate("(el) => el.matches(':target')")
    box, height = row.bounding_box(), tab.viewport_size["height"]
    assert 0 <= box["y"] < height  # scrolled to the twin passages, without a script
    session.send("Emulation.setScriptExecutionDisabled", {"value": False})
    assert_accessible(tab, "side by side without JavaScript", tags)


@pytest.mark.browser
def test_follow_a_result_to_its_original_twin(tab):
    tab.goto(tab.base + "/?q=amendment")
    link = tab.get_by_role("link", name="Original (Czech) of this passage").nth(2)
    with tab.expect_navigation():
        link.click()
    assert tab.url.endswith(f"/t/{CZ}#a-{CZ}.u38")
    czech = tab.locator(f"[id='a-{CZ}.u38'] .side-left .utterance-text")
    assert czech.get_attribute("lang") == "cs" and "pozměňovací" in czech.inner_text()
    english = tab.locator(f"[id='a-{CZ}.u38'] .side-right .utterance-text")
    left, right = czech.bounding_box(), english.bounding_box()
    assert abs(left["y"] - right["y"]) < 5 and right["x"] > left["x"]  # one row, two columns
    tab.set_viewport_size(tab.sizes[1])
    left, right = czech.bounding_box(), english.bounding_box()
    assert right["y"] > left["y"]  # on a phone the translation follows its original


@pytest.mark.browser
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_side_by_side_page_is_read_by_keyboard_in_order_with_a_ring(tab, width):
    """From the skip link down: every stop visible with a focus ring, the left cell's links
    before the right's, and no stop above the row before it."""
    tab.set_viewport_size(tab.sizes[width == "phone"])
    tab.goto(tab.base + f"/t/{CZ}")
    permalinks = [re.search(r'href="([^"]+)"', f["what"]).group(1)
                  for f in tab_through_main(tab) if "permalink" in f["what"]]
    assert permalinks == [f"/t/{doc}#u{n}" for n in (1, 2, 3, 4) for doc in (CZ, CZ_EN)]
