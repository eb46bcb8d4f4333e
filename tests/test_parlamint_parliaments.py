"""ParlaMint sittings of six parliaments read right: speakers by id, roles, parties, the
annotated and plain-text forms, translations, languages and whole corpus folders.

The sittings are ParlaMint's own samples (``../shared/formats/parlamint-more`` and
``../parlamint``, origins in their README and SOURCES.md), with ParlaMint's per-utterance
tables (``expected/*-meta.tsv``) as the answers: the names, roles and parties the corpus
itself resolved from its person lists. Expectations are read off the TEI (what a ``<u>``
holds) or those tables, never off the reader. Tests skip when the files are absent.
"""

from __future__ import annotations

import contextlib
import csv
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import FORMATS

from transcripts.index.readers import (
    ReadError,
    SidecarError,
    companion_files,
    read_file,
)
from transcripts.index.readers.parlamint import transcript_id, translation_of
from transcripts.index.readers.parlamint_names import id_name, key, name_in_note
from transcripts.index.schema import fold
from transcripts.index.writer import reindex

MORE = FORMATS / "parlamint-more"
GB_DIR = FORMATS / "parlamint"
EXPECTED = MORE / "expected"
TXT = MORE / "txt"

pytestmark = pytest.mark.skipif(
    not MORE.is_dir(), reason=f"ParlaMint samples not found at {MORE}"
)

NS = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
EDITORIAL = {"note", "gap", "kinesic", "vocal", "incident"}

AT = "ParlaMint-AT_2022-10-12-027-XXVII-NRSITZ-00178"
CZ = "ParlaMint-CZ_2020-01-22-ps2017-040-02-005-012"
ES = "ParlaMint-ES_2023-02-23-CD230223"
FR = "ParlaMint-FR_2022-06-28-O1169"
UA = "ParlaMint-UA_2008-09-30-m0"
GB = "ParlaMint-GB_2020-02-12-lords"


def _sittings() -> list[Path]:
    if not MORE.is_dir():
        return []
    files = sorted(MORE.glob("*.xml")) + sorted(GB_DIR.glob("*.xml"))
    return [p for p in files if "listOrg" not in p.name and "taxonomy" not in p.name]


SITTINGS = _sittings()
PLAIN = [p for p in SITTINGS if not p.name.endswith(".ana.xml")]
ANNOTATED = [p for p in SITTINGS if p.name.endswith(".ana.xml")]


def one(path: Path):
    (t,) = read_file(path)
    return t


def local(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def tei_us(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().iter(f"{NS}u"))


def norm(text: str) -> str:
    return " ".join(text.split())


def turns(t):
    return [u for u in t.utterances if u.label]


def expected_rows(sitting_id: str, english: bool = False) -> dict[str, dict[str, str]]:
    path = EXPECTED / f"{sitting_id}-meta{'-en' if english else ''}.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {r[1]: dict(zip(rows[0], r, strict=False)) for r in rows[1:]}


def said(name: str) -> str:
    """ParlaMint's "Surname, Forename" as said: "Forename Surname"."""
    surname, _, forenames = name.partition(", ")
    return f"{forenames} {surname}"


# -- what the TEI says a <u> holds, computed here on its own -------------------------------


def plain_speech(u: ET.Element) -> str:
    """All text nodes of a plain ``<u>`` minus the editorial elements' (tails kept)."""
    u = ET.fromstring(ET.tostring(u))

    def strip(el: ET.Element) -> None:
        previous = None
        for child in list(el):
            if local(child) in EDITORIAL:
                tail = child.tail or ""
                if previous is None:
                    el.text = (el.text or "") + tail
                else:
                    previous.tail = (previous.tail or "") + tail
                el.remove(child)
            else:
                strip(child)
                previous = child

    strip(u)
    return norm("".join(u.itertext()))


def token_text(seg: ET.Element) -> str:
    """A tokenised ``<seg>`` as its tokens say: each ``<w>``/``<pc>`` followed by a space
    unless ``join="right"``, editorial elements left out."""
    out: list[str] = []

    def visit(el: ET.Element) -> None:
        for child in el:
            if local(child) in EDITORIAL:
                continue
            if local(child) in ("w", "pc"):
                out.append("".join(child.itertext()))
                out.append("" if child.get("join") == "right" else " ")
            else:
                visit(child)

    visit(seg)
    return norm("".join(out))


def editorial_texts(u: ET.Element) -> list[str]:
    return [
        norm("".join(el.itertext()))
        for el in u.iter()
        if local(el) in EDITORIAL and len(norm("".join(el.itertext()))) >= 8
    ]


# -- every sitting ------------------------------------------------------------------------


@pytest.mark.parametrize("path", SITTINGS, ids=lambda p: p.name)
def test_each_u_is_one_turn_anchored_by_its_xml_id(path):
    t = one(path)
    us = tei_us(path)
    assert len(turns(t)) == len(us)
    assert [u.anchor for u in turns(t)] == [u.get(XML_ID) for u in us]
    heads = [h for h in ET.parse(path).getroot().iter(f"{NS}head")]
    narrative = [u for u in t.utterances if not u.label]
    assert len(narrative) == len(heads)  # headings only: no gap or note of its own
    assert all(u.text for u in turns(t))


@pytest.mark.parametrize("path", PLAIN, ids=lambda p: p.name)
def test_speech_is_the_u_without_its_editorial_elements(path):
    t = one(path)
    for u, el in zip(turns(t), tei_us(path), strict=True):
        reference = plain_speech(el)
        assert norm(u.text) == reference
        for note in editorial_texts(el):
            assert note in reference or note not in u.text
        segs = [s for s in el.iter(f"{NS}seg") if plain_speech(s)]
        assert len(u.text.split("\n")) == len(segs)  # a paragraph a <seg>


@pytest.mark.parametrize("path", ANNOTATED, ids=lambda p: p.name)
def test_annotated_speech_is_its_tokens_joined_as_join_right_says(path):
    t = one(path)
    for u, el in zip(turns(t), tei_us(path), strict=True):
        segs = [token_text(s) for s in el.iter(f"{NS}seg")]
        assert u.text.split("\n") == [s for s in segs if s]
        assert "  " not in u.text and " ," not in u.text
        for note in editorial_texts(el):
            assert note not in u.text


@pytest.mark.parametrize("path", SITTINGS, ids=lambda p: p.name)
def test_one_name_and_one_id_per_person_across_the_sitting(path):
    t = one(path)
    names: dict[str, set[str]] = {}
    for u, el in zip(turns(t), tei_us(path), strict=True):
        who = (el.get("who") or "").lstrip("#")
        assert u.speaker_id == who
        if who:
            names.setdefault(who, set()).add(u.speaker)
    assert all(len(n) == 1 for n in names.values()), names
    assert len({next(iter(n)) for n in names.values()}) == len(names)  # one person a name


ROLE_OF_ANA = {"#chair": "Chairperson", "#regular": "", "#guest": "Guest"}


@pytest.mark.parametrize("path", SITTINGS, ids=lambda p: p.name)
def test_roles_are_the_speaker_types_parlamint_gives(path):
    t = one(path)
    original = translation_of(t.id)[0] or t.id
    english = expected_rows(original, english=True)
    for u, el in zip(turns(t), tei_us(path), strict=True):
        types = [a for a in (el.get("ana") or "").split() if a in ROLE_OF_ANA]
        assert u.role == u.source_role == ROLE_OF_ANA[types[0]]
        if u.anchor in english:  # ParlaMint's table in English: Chairperson, Regular, Guest
            wanted = english[u.anchor]["Speaker_role"]
            assert u.role == ("" if wanted == "Regular" else wanted)


@pytest.mark.parametrize(
    ("sitting", "not_restored"),
    [
        # Ids spell these names without their accent or apostrophe, and no note in the
        # sample prints them: the id's spelling is all there is (the list has the rest).
        (CZ, {"JanSkopecek.1980": "Jan Skopecek"}),
        (UA, {"ВячеславАнатолійовичКириленко.1968": "Вячеслав Анатолійович Кириленко"}),
    ],
)
def test_names_spelled_by_ids_are_parlamints_with_accents_from_the_notes(sitting, not_restored):
    t = one(MORE / f"{sitting}.xml")
    rows = expected_rows(sitting)
    for u in turns(t):
        wanted = said(rows[u.anchor]["Speaker_name"])
        assert key(u.speaker) == key(wanted)  # the same name, folded
        assert u.speaker == not_restored.get(u.speaker_id, wanted)


def test_austrian_names_come_from_the_printed_notes_and_stay_one_per_id():
    t = one(MORE / f"{AT}.xml")
    rows = expected_rows(AT)
    assert [u.label for u in turns(t)] == [
        "Präsident Mag. Wolfgang Sobotka",
        "Abgeordneter Mag. Jörg Leichtfried (SPÖ)",
        "Wolfgang Sobotka",  # no note before it: the name its id has elsewhere
        "Präsident Mag. Wolfgang Sobotka",
    ]
    assert [u.speaker for u in turns(t)] == [
        said(rows[u.anchor]["Speaker_name"]) for u in turns(t)
    ]
    assert {u.party for u in turns(t)} == {""}  # no lists beside it: never guessed
    assert {u.sex for u in turns(t)} == {""}


def test_french_ids_without_notes_are_the_speakers_own_names():
    # FR prints no speaker notes and its ids (PA606171) spell no name: without the
    # person list the id is the name, still one person.
    t = one(MORE / f"{FR}.xml")
    assert [(u.speaker, u.label, u.role) for u in turns(t)] == [
        ("PA606171", "PA606171", "Guest"),
        ("PA606171", "PA606171", "Guest"),
        ("PA721908", "PA721908", ""),
        ("PA606171", "PA606171", "Guest"),
    ]
    assert [u.speaker_id for u in turns(t)] == [
        r["Speaker_ID"] for r in expected_rows(FR).values()
    ]


def test_spanish_speeches_without_who_are_read_as_the_chair():
    t = one(MORE / f"{ES}.xml")
    assert len(turns(t)) == 4
    assert {(u.role, u.speaker_id, u.label) for u in turns(t)} == {
        ("Chairperson", "", "Chairperson")
    }
    assert next(u.text for u in t.utterances if not u.label) == "PALABRAS DE LA PRESIDENCIA"


def test_annotated_translations_name_speakers_as_their_originals_do():
    for path in ANNOTATED:
        t = one(path)
        original = one(MORE / f"{translation_of(t.id)[0]}.xml")
        assert [(u.speaker, u.speaker_id) for u in turns(t)] == [
            (u.speaker, u.speaker_id) for u in turns(original)
        ]


# -- languages and translations -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "lang"),
    [(f"{AT}.xml", "de"), (f"{CZ}.xml", "cs"), (f"{ES}.xml", "es"), (f"{FR}.xml", "fr"),
     (f"{UA}.xml", "uk"), (f"ParlaMint-CZ-en_{CZ[13:]}.ana.xml", "en")],
)
def test_a_sittings_language_is_its_xml_lang(name, lang):
    t = one(MORE / name)
    assert (t.language, t.language_detected) == (lang, False)
    assert {u.language for u in t.utterances} == {""}  # all of it in that language


def test_a_speech_mostly_in_another_language_has_that_language(tmp_path):
    text = (MORE / f"{UA}.xml").read_text("utf-8")
    u2 = text.index('xml:id="ParlaMint-UA_2008-09-30-m0.u2.p1" xml:lang="uk"')
    for _ in range(6):  # six of u2's ten paragraphs (most of its words) in Russian
        u2 = text.index('xml:lang="uk"', u2)
        text = text[:u2] + 'xml:lang="ru"' + text[u2 + len('xml:lang="uk"'):]
    path = tmp_path / f"{UA}.xml"
    path.write_text(text, "utf-8")
    t = one(path)
    assert [u.language for u in turns(t)] == ["", "ru", "", ""]
    assert t.language == "uk"


def test_english_translations_point_to_their_originals_one_for_one():
    assert ANNOTATED
    for path in ANNOTATED:
        t = one(path)
        assert t.id == transcript_id(path.name) and not t.id.endswith(".ana")
        original = one(MORE / f"{t.translation_of}.xml")
        assert t.id.replace("-en_", "_") == original.id
        assert (t.language, t.source) == ("en", original.source)
        assert [u.anchor for u in turns(t)] == [u.anchor for u in turns(original)]
        assert original.translation_of == ""


# -- person and organisation lists --------------------------------------------------------

PERSONS = """<?xml version="1.0" encoding="UTF-8"?>
<listPerson xmlns="http://www.tei-c.org/ns/1.0" xml:id="ParlaMint-AT-listPerson" xml:lang="de">
  <person xml:id="PAD_88386">
    <persName to="{old_to}"><surname>Sobotka</surname><forename>Wolfgang</forename>
      <forename>Karl</forename></persName>
    <persName from="{new_from}"><surname>Sobotka</surname><forename>Wolfgang</forename></persName>
    <sex value="M"/>
    <affiliation ref="#NR" role="member" from="2017-11-09"/>
    <affiliation ref="#parliamentaryGroup.ÖVP" role="member" from="2017-11-09"/>
    <affiliation ref="#politicalParty.ÖVP" role="member"/>
  </person>
  <person xml:id="PAD_22694">
    <persName><surname>Leichtfried</surname><forename>Jörg</forename></persName>
    <sex value="M"/>
    <affiliation ref="#parliamentaryGroup.FPÖ" role="member" from="2000" to="2005-12-31"/>
    <affiliation ref="#parliamentaryGroup.SPÖ" role="member" from="2013-10-29"/>
  </person>
</listPerson>
"""


def _corpus_folder(tmp_path: Path, persons: str | None = None) -> Path:
    """A ParlaMint-AT corpus folder as published: lists on top, the sitting in 2022/."""
    corpus = tmp_path / "ParlaMint-AT"
    (corpus / "2022").mkdir(parents=True)
    shutil.copy(MORE / f"{AT}.xml", corpus / "2022")
    shutil.copy(MORE / "ParlaMint-AT-listOrg.xml", corpus)
    if persons is not None:
        (corpus / "ParlaMint-AT-listPerson.xml").write_text(persons, "utf-8")
    return corpus


def test_a_person_list_above_the_sitting_names_speakers_with_party_and_sex_on_the_day(
    tmp_path,
):
    corpus = _corpus_folder(tmp_path, PERSONS.format(old_to="2017-11-08", new_from="2017-11-09"))
    t = one(corpus / "2022" / f"{AT}.xml")
    rows = expected_rows(AT)
    got = [(u.speaker, u.party, u.sex) for u in turns(t)]
    assert got == [
        (said(rows[u.anchor]["Speaker_name"]), rows[u.anchor]["Speaker_party"],
         rows[u.anchor]["Speaker_gender"])
        for u in turns(t)
    ]  # Wolfgang Sobotka, ÖVP (the group before the party), M; Jörg Leichtfried, SPÖ, M
    assert turns(t)[0].label == "Präsident Mag. Wolfgang Sobotka"  # the note as printed
    assert turns(t)[2].label == "Wolfgang Sobotka"  # no note: the list's name

    # The name valid on the sitting's day (2022-10-12), whichever it is.
    corpus_file = corpus / "ParlaMint-AT-listPerson.xml"
    corpus_file.write_text(PERSONS.format(old_to="2022-12-31", new_from="2023-01-01"), "utf-8")
    t = one(corpus / "2022" / f"{AT}.xml")
    assert turns(t)[0].speaker == "Wolfgang Karl Sobotka"


def test_parliamentary_groups_come_before_parties_and_several_join(tmp_path):
    persons = """<listPerson xmlns="http://www.tei-c.org/ns/1.0">
      <person xml:id="PAD_88386"><persName><forename>A</forename><surname>B</surname></persName>
        <affiliation ref="#politicalParty.GRÜNE" role="member"/></person>
      <person xml:id="PAD_22694"><persName><forename>C</forename><surname>D</surname></persName>
        <sex value="F"/>
        <affiliation ref="#politicalParty.NEOS" role="member"/>
        <affiliation ref="#parliamentaryGroup.GRÜNE" role="member" from="2022-01-01"/>
        <affiliation ref="#parliamentaryGroup.JETZT" role="member" to="2022-10-12"/>
      </person></listPerson>"""
    t = one(_corpus_folder(tmp_path, persons) / "2022" / f"{AT}.xml")
    assert [(u.speaker, u.party, u.sex) for u in turns(t)][:2] == [
        ("A B", "GRÜNE", ""),  # only a party: the party's abbreviation
        ("C D", "Grüne;JETZT", "F"),  # groups (as the list spells them) before the party
    ]


def test_a_corpus_folder_indexes_its_sittings_and_reads_its_lists_quietly(tmp_path):
    corpus = _corpus_folder(tmp_path, PERSONS.format(old_to="2017-11-08", new_from="2017-11-09"))
    shutil.copy(GB_DIR / "ParlaMint-taxonomy-speaker_types.xml", corpus)
    (corpus / "ParlaMint-AT.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<teiCorpus xmlns="http://www.tei-c.org/ns/1.0" xmlns:xi="http://www.w3.org/2001/XInclude"'
        ' xml:id="ParlaMint-AT" xml:lang="de"><teiHeader><profileDesc><particDesc>'
        '<xi:include href="ParlaMint-AT-listOrg.xml"/>'
        '<xi:include href="ParlaMint-AT-listPerson.xml"/></particDesc></profileDesc>'
        '</teiHeader><xi:include href="2022/' + AT + '.xml"/></teiCorpus>',
        "utf-8",
    )
    translation = f"ParlaMint-AT-en_{AT[13:]}.ana.xml"
    shutil.copy(MORE / translation, corpus / "2022")
    # The same sitting annotated and as text beside the plain file: one sitting, once.
    shutil.copy(MORE / translation, corpus / "2022" / f"{AT}.ana.xml")
    shutil.copy(TXT / f"{AT}.txt", corpus / "2022")
    shutil.copy(EXPECTED / f"{AT}-meta.tsv", corpus / "2022")

    sitting = corpus / "2022" / f"{AT}.xml"
    assert {p.name for p in companion_files(sitting)} == {
        "ParlaMint-AT-listPerson.xml", "ParlaMint-AT-listOrg.xml",
        "ParlaMint-taxonomy-speaker_types.xml",
    }
    root = tmp_path / "ix"
    report = reindex([corpus], root)
    assert report.transcripts_total == 2  # the sitting and its translation
    assert sorted((Path(s.path).name, s.reason.split(":")[0]) for s in report.skipped) == [
        (f"{AT}.ana.xml", f"the linguistically annotated form (.ana.xml) of {AT}.xml, which"
                          " is read instead"),
        (f"{AT}.txt", f"the plain-text form of {AT}.xml, which is read instead"),
    ]
    assert report.warnings == []
    # A changed person list re-reads the sittings it names.
    people = corpus / "ParlaMint-AT-listPerson.xml"
    people.write_text(PERSONS.format(old_to="2022-12-31", new_from="2023-01-01"), "utf-8")
    report = reindex([corpus], root)
    assert report.files_read == 3  # the list, the sitting and the translation


def test_a_malformed_person_list_is_reported_and_the_sitting_still_read(tmp_path):
    corpus = _corpus_folder(tmp_path, "<listPerson><person xml:id='PAD_88386'>")
    problems: list = []
    (t,) = read_file(corpus / "2022" / f"{AT}.xml", problems)
    assert [type(p) for p in problems] == [type(problems[0])]
    assert isinstance(problems[0], SidecarError)  # indexed without it: a warning
    assert str(problems[0]).startswith("ParlaMint-AT-listPerson.xml: not well-formed XML")
    assert turns(t)[0].speaker == "Wolfgang Sobotka"  # from the notes, as without a list


# -- the plain-text form ------------------------------------------------------------------


@pytest.mark.parametrize("sitting", [AT, CZ, ES, UA])
def test_text_form_with_its_table_reads_like_the_tei(tmp_path, sitting):
    shutil.copy(TXT / f"{sitting}.txt", tmp_path)
    for table in EXPECTED.glob(f"{sitting}-meta*.tsv"):
        shutil.copy(table, tmp_path)
    problems: list = []
    (t,) = read_file(tmp_path / f"{sitting}.txt", problems)
    tei = one(MORE / f"{sitting}.xml")
    assert problems == []
    assert (t.id, t.source, t.date) == (tei.id, tei.source, tei.date)
    assert [u.anchor for u in turns(t)] == [u.anchor for u in turns(tei)]
    assert [u.text for u in turns(t)] == [norm(u.text) for u in turns(tei)]
    assert all("[[" not in u.text for u in t.utterances)
    rows = expected_rows(sitting)
    for u in turns(t):
        row = rows[u.anchor]
        name = row["Speaker_name"]
        assert u.speaker == (said(name) if name != "-" else u.role)
        assert u.speaker_id == ("" if row["Speaker_ID"] == "-" else row["Speaker_ID"])
        assert u.party == ("" if row["Speaker_party"] == "-" else row["Speaker_party"])
    if sitting == AT:
        assert turns(t)[0].note.startswith("Allgemeiner Beifall.")  # [[…]]: a note
        assert [u.role for u in turns(t)] == ["Chairperson", "", "Chairperson", "Chairperson"]


def test_text_form_without_its_table_is_known_by_its_first_line(tmp_path):
    shutil.copy(TXT / f"{CZ}.txt", tmp_path)
    t = one(tmp_path / f"{CZ}.txt")
    assert [u.anchor for u in turns(t)] == [u.anchor for u in turns(one(MORE / f"{CZ}.xml"))]
    assert {u.label for u in turns(t)} == {"Unnamed participant"}
    assert {u.speaker for u in turns(t)} == {None}  # an anonymous turn: nobody is guessed


def test_text_form_beside_its_tei_is_refused_with_the_reason(tmp_path):
    shutil.copy(TXT / f"{CZ}.txt", tmp_path)
    shutil.copy(MORE / f"{CZ}.xml", tmp_path)
    with pytest.raises(ReadError, match=r"plain-text form of .*, which is read instead"):
        read_file(tmp_path / f"{CZ}.txt")
    assert (tmp_path / f"{CZ}.xml") in companion_files(tmp_path / f"{CZ}.txt")


# -- broken inputs ------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


TEI_HEAD = '<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="cs"><teiHeader/>'


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        (f"{CZ}.ana.xml", f"{TEI_HEAD}<text><body><div><head>Nic</head></div></body></text>"
         "</TEI>", "no speech"),
        (f"{CZ}.xml", f"{TEI_HEAD}<text/></TEI>", "without <text><body>"),
        (f"{CZ}.xml", f"{TEI_HEAD}<text><body><u who='#X'><seg>ne", "not well-formed"),
        (f"{CZ}.xml", "<html><body>no</body></html>", "root element is <html>"),
        (f"{CZ}.xml", "", "not well-formed"),
    ],
)
def test_broken_sittings_are_refused_with_a_reason(tmp_path, name, text, reason):
    with pytest.raises(ReadError, match=reason):
        read_file(_write(tmp_path, name, text))


@pytest.mark.parametrize("sitting", [f"{CZ}.xml", f"ParlaMint-UA-en_{UA[13:]}.ana.xml"])
def test_a_sitting_cut_anywhere_is_read_or_refused_never_a_traceback(tmp_path, sitting):
    data = (MORE / sitting).read_bytes()
    path = tmp_path / sitting
    for cut in range(0, len(data), len(data) // 40):
        path.write_bytes(data[:cut] + b"</u></div></body></text></TEI>")
        with contextlib.suppress(ReadError):  # refused with a reason is fine
            read_file(path)


def test_odd_speeches_read_without_a_traceback(tmp_path):
    body = (
        "<u who='#' ana=''/>"  # empty who, no ana, no words
        "<u who='#A1 #B2' ana='#unknown topic:x'>loose <seg/> words<pb/></u>"
        "<note type='speaker'>   </note><u xml:id='x'><seg xml:lang='xx'>text</seg></u>"
    )
    path = _write(
        tmp_path, "ParlaMint-XX_2020-01-01.xml",
        f"{TEI_HEAD}<text><body><div>{body}</div></body></text></TEI>",
    )
    t = one(path)
    assert [(u.label, u.speaker_id, u.text) for u in t.utterances] == [
        ("Unnamed participant", "", ""),
        ("A1", "A1", "loose words"),
        ("Unnamed participant", "", "text"),
    ]


def test_broken_lists_and_tables_are_warnings_never_failures(tmp_path):
    corpus = _corpus_folder(tmp_path)
    (corpus / "ParlaMint-AT-listOrg.xml").write_text("<listOrg", "utf-8")
    (corpus / "ParlaMint-taxonomy-speaker_types.xml").write_bytes(b"\x00\x01")
    problems: list = []
    (t,) = read_file(corpus / "2022" / f"{AT}.xml", problems)
    assert len(problems) == 2 and all(isinstance(p, SidecarError) for p in problems)
    assert turns(t)[0].role == "Chairperson"  # the default term
    shutil.copy(TXT / f"{AT}.txt", tmp_path)
    (tmp_path / f"{AT}-meta.tsv").write_bytes(b"\xff\xfe\x00garbage")
    problems = []
    (t,) = read_file(tmp_path / f"{AT}.txt", problems)
    assert len(problems) == 1 and isinstance(problems[0], SidecarError)
    assert len(turns(t)) == 4


# -- names from ids and notes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("person_id", "notes", "name"),
    [
        ("LukasKolarik.1984", ["Poslanec Lukáš Kolářík"], "Lukáš Kolářík"),
        ("VojtechFilip.1955", ["Místopředseda PSP Vojtěch Filip"], "Vojtěch Filip"),
        ("VojtechFilip.1955", ["VOJTĚCH FILIP"], "Vojtěch Filip"),  # capitals lend accents
        ("JanSkopecek.1980", [], "Jan Skopecek"),
        ("АрсенійПетровичЯценюк.1974", ["ГОЛОВУЮЧИЙ."], "Арсеній Петрович Яценюк"),
        ("ВячеславКириленко.1968", ["В’ячеслав Кириленко"], "В’ячеслав Кириленко"),
        ("RonaldMcDonald", ["Mr Ronald McDonald"], "Ronald McDonald"),
        ("PAD_88386", ["Präsident Mag. Wolfgang Sobotka", "Präsident Sobotka"],
         "Wolfgang Sobotka"),
        ("PAD_22694", ["Abgeordneter Mag. Jörg Leichtfried (SPÖ)"], "Jörg Leichtfried"),
        ("PA1", ["Mme Yaël Braun-Pivet"], "Yaël Braun-Pivet"),
        ("PA2", ["M. le président"], "PA2"),
        ("PA606171", [], "PA606171"),
    ],
)
def test_names_from_ids_and_the_notes_printed_for_them(person_id, notes, name):
    assert id_name(person_id, notes) == name


def test_a_note_names_the_run_of_capitalised_words_it_ends_with():
    assert name_in_note("Bundesminister für Finanzen Dr. Magnus Brunner, MA") == "Magnus Brunner"
    assert name_in_note("La señora MINISTRA (Montero Cuadrado):") == "Montero Cuadrado"
    assert name_in_note("Präsidentin Ursula von der Leyen") == "Ursula von der Leyen"
    assert name_in_note("ГОЛОВУЮЧИЙ.") == ""
    assert fold(name_in_note("Poslankyně Věra Kovářová")) == "vera kovarova"
