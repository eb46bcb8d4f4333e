"""ParlaMint TEI (``.xml`` whose root is ``<TEI>``): one parliamentary sitting a file.

ParlaMint (CLARIN) encodes the debates of 29 parliaments alike: the header gives the
sitting's title, date, place and licence; the body has ``<div>``s with ``<head>``
headings, speeches ``<u who="#PersonId" ana="#chair">`` made of ``<seg>`` paragraphs, and
editorial elements between and inside them: ``<note>``, ``<vocal>`` (laughter),
``<kinesic>`` (applause), ``<incident>``, ``<gap>``.

* One utterance per ``<u>``, one paragraph per ``<seg>``.
* The speaker's name: from a ``*listPerson*.xml`` file beside the sitting (the
  corpus's person list; the name valid on the sitting's date), else from the
  ``<note type="speaker">`` printed before the speech, else the id made readable
  ("#PeterFowler" -> "Peter Fowler").
* ``ana="#chair"`` / ``"#guest"`` become the role (named by the speaker-type taxonomy
  file beside it when present).
* Editorial elements are never speech: inside a speech they go to the utterance's
  ``note`` and the words on either side join up again; between speeches they, and the
  headings, are narrative.
* Only the plain ``.xml`` is read; the linguistically annotated ``.ana.xml`` (a word an
  element) is refused with a reason. Corpus root files, person lists and taxonomies are
  refused too: they are not sittings.

Parsed with defusedxml: no DTDs, entity expansion or external references.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from transcripts.index.model import Transcript, Utterance
from transcripts.index.readers.base import ReadError, finish

TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
SOURCE = "ParlaMint"
ATTRIBUTION = "ParlaMint corpora (CLARIN ERIC)"
NOT_SPEECH = {"note", "vocal", "kinesic", "incident", "gap"}
DEFAULT_ROLES = {"chair": "Chair", "guest": "Guest"}
# Corpus files that are not sittings but help read them.
_HELPERS = {
    "listPerson": "a person list, used for the names of the speakers in the sittings beside it",
    "taxonomy": "a taxonomy, used for the speaker types (roles) in the sittings beside it",
    "listOrg": "a list of parties and bodies",
}
_COUNTRY_ID = re.compile(r"(ParlaMint-[A-Z]{2}(?:-[A-Z]{2})?)")


def _tag(el: Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _text(el: Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def parse_xml(data: bytes) -> Element:
    try:
        root: Element = fromstring(data)
    except DefusedXmlException as exc:
        raise ReadError(f"XML refused for safety: {type(exc).__name__}") from None
    except ParseError as exc:
        raise ReadError(f"not well-formed XML: {exc}") from None
    return root


def readable_id(person_id: str) -> str:
    """"PeterFowler" -> "Peter Fowler"; "Novák.Jan" -> "Novák Jan"."""
    text = re.sub(r"[._]+", " ", person_id.lstrip("#"))
    out = []
    for i, ch in enumerate(text):
        if i and ch.isupper() and text[i - 1].islower():
            out.append(" ")
        out.append(ch)
    return " ".join("".join(out).split())


def _note_text(el: Element) -> str:
    """An editorial element as a short note: its words, or its desc, or its reason/type."""
    words = _text(el.find(f"{TEI}desc")) or _text(el)
    return words or el.get("reason") or el.get("type") or _tag(el)


def _speech_paragraph(seg: Element, notes: list[str]) -> str:
    """A ``<seg>``'s words; editorial elements inside go to ``notes`` and the words join."""
    parts = [seg.text or ""]
    for child in seg:
        if _tag(child) in NOT_SPEECH:
            notes.append(_note_text(child))
        else:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _utterance(u: Element, names: dict[str, str], roles: dict[str, str], label: str) -> Utterance:
    notes: list[str] = []
    paragraphs = []
    loose = [u.text or ""]  # words directly in <u>, outside any <seg>
    for child in u:
        tag = _tag(child)
        if tag == "seg":
            paragraphs.append(_speech_paragraph(child, notes))
        elif tag in NOT_SPEECH:
            notes.append(_note_text(child))
        else:
            loose.append("".join(child.itertext()))
        loose.append(child.tail or "")
    extra = " ".join("".join(loose).split())
    if extra:
        paragraphs.append(extra)
    who = (u.get("who") or "").lstrip("#")
    name = names.get(who) or label or (readable_id(who) if who else "")
    role = ""
    for ana in (u.get("ana") or "").split():
        role = role or roles.get(ana.lstrip("#"), "")
    return Utterance(
        position=0,
        text="\n".join(p for p in paragraphs if p),
        label=name or None,
        role=role,
        source_role=role,
        note="; ".join(dict.fromkeys(n for n in notes if n)),
    )


def _body_utterances(
    root: Element, names: dict[str, str], roles: dict[str, str]
) -> list[Utterance]:
    out: list[Utterance] = []
    narrative: list[str] = []
    speaker_note = ""

    def flush() -> None:
        if narrative:
            out.append(Utterance(position=0, text="\n".join(narrative)))
            narrative.clear()

    body = root.find(f"{TEI}text/{TEI}body")
    if body is None:
        raise ReadError("a TEI file without <text><body>: not a ParlaMint sitting")

    def walk(el: Element) -> None:
        nonlocal speaker_note
        for child in el:
            tag = _tag(child)
            if tag == "u":
                flush()
                out.append(_utterance(child, names, roles, speaker_note))
                speaker_note = ""
            elif tag == "note" and child.get("type") == "speaker":
                speaker_note = _text(child).rstrip(":").strip()
            elif tag == "head":
                narrative.append(_text(child))
            elif tag == "gap":
                narrative.append(f"(gap: {_note_text(child)})")
            elif tag in NOT_SPEECH:
                narrative.append(f"({_note_text(child)})")
            else:
                walk(child)

    walk(body)
    flush()
    return out


def _header(root: Element) -> dict[str, Any]:
    h = root.find(f"{TEI}teiHeader")
    if h is None:
        return {}
    title_stmt = h.find(f"{TEI}fileDesc/{TEI}titleStmt")
    titles: dict[str, str] = {}
    if title_stmt is not None:
        for el in title_stmt.findall(f"{TEI}title"):
            if el.get("{http://www.w3.org/XML/1998/namespace}lang", "en") in ("en", None):
                titles.setdefault(el.get("type", "main"), _text(el))
            titles.setdefault("any", _text(el))
    title = titles.get("sub") or titles.get("main") or titles.get("any", "")
    setting = h.find(f"{TEI}profileDesc/{TEI}settingDesc/{TEI}setting")
    date, places, countries = "", [], []
    if setting is not None:
        d = setting.find(f"{TEI}date")
        date = (d.get("when") or "") if d is not None else ""
        for name in setting.findall(f"{TEI}name"):
            if name.get("type") == "country":
                countries.append(_text(name))
            elif _text(name):
                places.append(_text(name))
    if not date:
        d = h.find(f".//{TEI}sourceDesc//{TEI}date")
        date = (d.get("when") or "") if d is not None else ""
    licence = _text(h.find(f".//{TEI}availability/{TEI}licence"))
    publisher = _text(h.find(f".//{TEI}publicationStmt/{TEI}publisher/{TEI}orgName"))
    url = ""
    for idno in h.iter(f"{TEI}idno"):
        if idno.get("subtype") == "parliament" and _text(idno).startswith("http"):
            url = _text(idno)
    return {
        "title": title,
        "date": date[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", date) else "",
        "place": ", ".join(reversed(places)),
        "geography": countries,
        "licence": licence,
        "attribution": f"ParlaMint corpora ({publisher})" if publisher else ATTRIBUTION,
        "url": url,
    }


@lru_cache(maxsize=4)
def _person_records(path: str, mtime: float) -> dict[str, list[tuple[str, str, str]]]:
    """Person id -> its names with their validity, (from, to, name); parsed once a file.

    A corpus's person list is large (1.5 MB for ParlaMint-GB) and shared by every sitting
    beside it, so it is read once and the name for each sitting's date picked from here.
    """
    root = parse_xml(Path(path).read_bytes())
    records: dict[str, list[tuple[str, str, str]]] = {}
    for person in root.iter(f"{TEI}person"):
        pid = person.get(XML_ID)
        if not pid:
            continue
        for pn in person.findall(f"{TEI}persName"):
            forenames = [_text(f) for f in pn.findall(f"{TEI}forename")]
            surnames = [_text(s) for s in pn.findall(f"{TEI}surname")]
            name = " ".join(x for x in (*forenames, *surnames) if x) or _text(pn)
            if name:
                records.setdefault(pid, []).append((pn.get("from", ""), pn.get("to", ""), name))
    return records


def _names_on(records: dict[str, list[tuple[str, str, str]]], date: str) -> dict[str, str]:
    """Each person's name valid on ``date`` (the last one given when none is dated so)."""
    names = {}
    for pid, spans in records.items():
        valid = [
            name for start, end, name in spans
            if not date or ((not start or start <= date) and (not end or date <= end))
        ]
        names[pid] = valid[-1] if valid else spans[-1][2]
    return names


def person_list(folder: Path) -> Path | None:
    found = sorted(folder.glob("*listPerson*.xml"))
    return found[0] if found else None


def _roles(folder: Path) -> dict[str, str]:
    roles = dict(DEFAULT_ROLES)
    for path in sorted(folder.glob("*taxonomy-speaker_types*.xml")):
        try:
            roles.update(_taxonomy_terms(str(path), path.stat().st_mtime))
        except (ReadError, OSError):
            continue
    return roles


@lru_cache(maxsize=8)
def _taxonomy_terms(path: str, mtime: float) -> dict[str, str]:
    """Speaker-type id -> its English term ("chair" -> "Chairperson"); "regular" is no role."""
    terms = {}
    for cat in parse_xml(Path(path).read_bytes()).iter(f"{TEI}category"):
        cid, term = cat.get(XML_ID), cat.find(f"{TEI}catDesc/{TEI}term")
        if cid and term is not None and cid != "regular":
            terms[cid] = _text(term)
    return terms


def companions(path: Path) -> list[Path]:
    """Files beside a sitting that change what it reads as (names, role terms)."""
    folder = Path(path).parent
    found = [p for p in (person_list(folder),) if p]
    return found + sorted(folder.glob("*taxonomy-speaker_types*.xml"))


def parse_tei(data: bytes, file: str = "", id: str = "", folder: Path | None = None) -> Transcript:
    root = parse_xml(data)
    kind = _tag(root)
    if kind == "teiCorpus":
        raise ReadError("a ParlaMint corpus root file (it lists the sittings): index the sittings")
    if kind in _HELPERS:
        raise ReadError(f"not a TEI sitting: {_HELPERS[kind]}")
    if kind != "TEI":
        raise ReadError(f"not a TEI sitting (its root element is <{kind}>)")
    head = _header(root)
    names: dict[str, str] = {}
    roles = dict(DEFAULT_ROLES)
    if folder is not None:
        roles = _roles(folder)
        people = person_list(folder)
        if people is not None:
            try:
                records = _person_records(str(people), people.stat().st_mtime)
                names = _names_on(records, head.get("date", ""))
            except (ReadError, OSError):
                names = {}  # a broken person list: fall back to the speaker notes
    t = Transcript(id=id, **head)
    corpus = _COUNTRY_ID.match(root.get(XML_ID) or id or "")
    t.source = corpus.group(1) if corpus else SOURCE
    t.utterances = _body_utterances(root, names, roles)
    if not any(u.label for u in t.utterances):
        raise ReadError("a TEI file with no speech (<u>): not a ParlaMint sitting")
    return finish(t, file)


def read(path: Path, data: bytes | None = None) -> list[Transcript]:
    path = Path(path)
    if path.name.lower().endswith(".ana.xml"):
        raise ReadError(
            "the linguistically annotated ParlaMint file (.ana.xml): index the plain .xml"
        )
    data = path.read_bytes() if data is None else data
    return [parse_tei(data, file=str(path), id=path.stem, folder=path.parent)]
