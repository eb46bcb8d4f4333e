"""ParlaMint's corpus-wide lists: who the speakers are, their parties, the speaker types.

A ParlaMint corpus keeps what is true of a person beyond one sitting in files of its
own, which the corpus root (``ParlaMint-XX.xml``, a ``<teiCorpus>``) pulls in by
``xi:include``:

* ``ParlaMint-XX-listPerson.xml``: each ``<person xml:id>`` with ``<persName>``s (dated
  by ``from``/``to`` where a name changed), ``<sex value>`` and ``<affiliation ref
  role from to>`` -- memberships of parliaments, groups, parties, governments;
* ``ParlaMint-XX-listOrg.xml``: each ``<org xml:id role>`` with its names, the
  abbreviation (``<orgName full="abb">``) being what ParlaMint's own tables print;
* ``ParlaMint-taxonomy-speaker_types.xml``: what ``#chair``, ``#regular``, ``#guest``
  mean, in English among others.

Published corpora put them in the corpus folder and the sittings in year folders below
it, so they are looked for beside a sitting and up to two folders above; the nearest
wins. Older corpora (ParlaMint 2) wrote the lists into the root file itself, which
stands in for a list that has no file of its own.

The lists are megabytes and shared by thousands of sittings: each is parsed once and
kept (keyed by path, modification time and size, so an edited list is read again), and
a sitting asks only about the people who speak in it.

What a person's record says on a date follows ParlaMint's own scripts
(``parlamint-lib.xsl``), so that names and parties agree with the ``-meta.tsv`` tables
the corpora ship: the persName valid that day, "Forename Patronym Surname"; the
affiliations valid that day with role member (or candidateMP, president,
vicePresident, secretary, representative), parliamentary groups before political
parties, several joined by ";"; dates compared as days, "2018" meaning 2018-01-01.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from transcripts.index import language
from transcripts.index.readers.base import ReadError

TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# How far above a sitting's folder its corpus's lists may be (year folder -> corpus).
PARENT_LEVELS = 2
# Affiliations that make a person part of an organisation, as ParlaMint's scripts count.
MEMBER_ROLES = frozenset(
    {"member", "candidateMP", "president", "vicePresident", "secretary", "representative"}
)
GROUP, PARTY = "parliamentaryGroup", "politicalParty"
# Speaker types without a taxonomy: "regular" is no role at all.
DEFAULT_SPEAKER_TYPES: Mapping[str, str] = {
    "chair": "Chairperson", "regular": "", "guest": "Guest",
}
SPEAKER_TYPES_FILE = "ParlaMint-taxonomy-speaker_types.xml"
_CORPUS = re.compile(r"(ParlaMint-[A-Z]{2}(?:-[A-Z0-9]{1,3})?)(?:-([a-z]{2,3}))?(?=[_.-]|$)")


def parse_xml(data: bytes) -> Element:
    """Parsed safely (no DTDs, entity expansion or external references); ReadError if not."""
    try:
        root: Element = fromstring(data)
    except DefusedXmlException as exc:
        raise ReadError(f"XML refused for safety: {type(exc).__name__}") from None
    except ParseError as exc:
        raise ReadError(f"not well-formed XML: {exc}") from None
    return root


def tag(el: Element) -> str:
    """The element's name without its namespace."""
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def text_of(el: Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def corpus_of(name: str) -> tuple[str, str]:
    """("ParlaMint-AT", "") for "ParlaMint-AT_2022-…xml", ("ParlaMint-CZ", "en") for
    the English translation "ParlaMint-CZ-en_…"; ("", "") for a name of no corpus."""
    m = _CORPUS.match(name)
    return (m.group(1), m.group(2) or "") if m else ("", "")


# -- where the lists are ------------------------------------------------------------------


@dataclass
class CorpusFiles:
    """The lists that name a sitting's speakers, where found (None where not)."""

    people: Path | None = None
    orgs: Path | None = None
    speaker_types: Path | None = None

    def paths(self) -> list[Path]:
        found = [p for p in (self.people, self.orgs, self.speaker_types) if p is not None]
        return list(dict.fromkeys(found))


def find_corpus_files(sitting: Path) -> CorpusFiles:
    """The person list, organisation list and speaker-type taxonomy of a sitting's corpus.

    Looked up by their standard names (a few stat calls, no folder listing: this runs
    for every file of every reindex); a sitting whose name names no corpus takes any
    ``*listPerson*.xml`` / ``*listOrg*.xml`` / ``*taxonomy-speaker_types*.xml`` instead.
    """
    corpus, lang = corpus_of(sitting.name)
    folders = [sitting.parent, *list(sitting.parent.parents)[:PARENT_LEVELS]]
    found = CorpusFiles(
        people=_nearest(folders, _names(corpus, lang, "listPerson"), "*listPerson*.xml"),
        orgs=_nearest(folders, _names(corpus, lang, "listOrg"), "*listOrg*.xml"),
        speaker_types=_nearest(
            folders,
            [SPEAKER_TYPES_FILE, *_names(corpus, "", "taxonomy-speaker_types")],
            "*taxonomy-speaker_types*.xml",
        ),
    )
    if corpus and (found.people is None or found.orgs is None or found.speaker_types is None):
        # ParlaMint 2: the lists inside the corpus root file.
        root = _nearest(folders, _names(corpus, lang, ""), "")
        found.people = found.people or root
        found.orgs = found.orgs or root
        found.speaker_types = found.speaker_types or root
    return found


def _names(corpus: str, lang: str, part: str) -> list[str]:
    if not corpus:
        return []
    stems = [f"{corpus}-{lang}", corpus] if lang else [corpus]
    if not part:  # the corpus root: ParlaMint-XX.xml, ParlaMint-XX.ana.xml
        return [f"{stem}{suffix}" for stem in stems for suffix in (".xml", ".ana.xml")]
    return [f"{stem}-{part}.xml" for stem in stems]


def _nearest(folders: list[Path], names: list[str], pattern: str) -> Path | None:
    for folder in folders:
        for name in names:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        if not names and pattern:
            found = sorted(p for p in folder.glob(pattern) if p.is_file())
            if found:
                return found[0]
    return None


# -- what they say ------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonName:
    start: str
    end: str
    lang: str
    text: str


@dataclass(frozen=True)
class Affiliation:
    ref: str
    role: str
    start: str
    end: str


@dataclass(frozen=True)
class Person:
    names: tuple[PersonName, ...] = ()
    sex: str = ""
    affiliations: tuple[Affiliation, ...] = ()


@dataclass(frozen=True)
class Org:
    role: str
    ident: str
    abbreviations: tuple[tuple[str, str], ...] = field(default=())  # (language, name)


@dataclass(frozen=True)
class PersonList:
    lang: str  # the list's own language (its root's xml:lang), "" for "mul"
    people: Mapping[str, Person]


@dataclass(frozen=True)
class OrgList:
    lang: str
    orgs: Mapping[str, Org]


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def load_people(path: Path) -> PersonList:
    """The person list at ``path`` (parsed once while it is unchanged); ReadError or
    OSError when it cannot be read."""
    return _load_people(*_stamp(path))


def load_orgs(path: Path) -> OrgList:
    return _load_orgs(*_stamp(path))


def load_speaker_types(path: Path) -> Mapping[str, str]:
    """Speaker type id -> its English term ("chair" -> "Chairperson"); "regular" -> ""."""
    return _load_speaker_types(*_stamp(path))


def _lang(el: Element, inherited: str) -> str:
    return el.get(XML_LANG) or inherited


@lru_cache(maxsize=4)
def _load_people(path: str, mtime_ns: int, size: int) -> PersonList:
    root = parse_xml(Path(path).read_bytes())
    root_lang = root.get(XML_LANG, "")
    people: dict[str, Person] = {}
    for group in _containers(root, "listPerson"):
        for person in group.iterfind(f"{TEI}person"):
            pid = person.get(XML_ID)
            if pid:
                people[pid] = _person(person, _lang(group, root_lang))
    return PersonList(language.code(root_lang), people)


def _containers(root: Element, kind: str) -> list[Element]:
    """The list elements of a kind: the root itself, or those inside a corpus root."""
    return [root] if tag(root) == kind else list(root.iter(f"{TEI}{kind}"))


def _person(person: Element, inherited: str) -> Person:
    lang = _lang(person, inherited)
    names = tuple(
        PersonName(pn.get("from", ""), pn.get("to", ""), _lang(pn, lang), text)
        for pn in person.iterfind(f"{TEI}persName")
        if (text := format_name(pn))
    )
    sex_el = person.find(f"{TEI}sex")
    sex = (sex_el.get("value") or text_of(sex_el)) if sex_el is not None else ""
    affiliations = tuple(
        Affiliation(ref.lstrip("#"), a.get("role", ""), a.get("from", ""), a.get("to", ""))
        for a in person.iterfind(f"{TEI}affiliation")
        for ref in (a.get("ref") or "").split()
    )
    return Person(names, sex, affiliations)


def format_name(pn: Element) -> str:
    """A persName as it is said: forenames, patronyms, name links, surnames ("Арсеній
    Петрович Яценюк", "Alexander Van der Bellen"); its plain text when it has no parts."""
    forenames: list[str] = []
    patronyms: list[str] = []
    surnames: list[str] = []
    for part in pn:
        kind, words = tag(part), text_of(part)
        if not words:
            continue
        if kind == "forename":
            forenames.append(words)
        elif kind == "surname" and part.get("type") == "patronym":
            patronyms.append(words)
        elif kind in ("surname", "nameLink"):
            surnames.append(words)
    if forenames or patronyms or surnames:
        return " ".join(forenames + patronyms + surnames)
    return text_of(pn)


@lru_cache(maxsize=4)
def _load_orgs(path: str, mtime_ns: int, size: int) -> OrgList:
    root = parse_xml(Path(path).read_bytes())
    root_lang = root.get(XML_LANG, "")
    orgs: dict[str, Org] = {}
    for group in _containers(root, "listOrg"):
        for org in group.iterfind(f"{TEI}org"):
            oid = org.get(XML_ID)
            if not oid:
                continue
            lang = _lang(org, _lang(group, root_lang))
            abbs = tuple(
                (_lang(name, lang), words)
                for name in org.iterfind(f"{TEI}orgName")
                if name.get("full") in ("abb", "init") and (words := text_of(name))
            )
            orgs[oid] = Org(org.get("role", ""), oid, abbs)
    return OrgList(language.code(root_lang), orgs)


@lru_cache(maxsize=8)
def _load_speaker_types(path: str, mtime_ns: int, size: int) -> Mapping[str, str]:
    root = parse_xml(Path(path).read_bytes())
    taxonomies = [root] if tag(root) == "taxonomy" else list(root.iter(f"{TEI}taxonomy"))
    types: dict[str, str] = {}
    for taxonomy in taxonomies:
        title = text_of(taxonomy.find(f"{TEI}desc/{TEI}term"))
        if taxonomy is not root and not (
            (taxonomy.get(XML_ID) or "").endswith("speaker_types")
            or title == "Types of speakers"
        ):
            continue  # a root file's other taxonomies (subcorpora, topics, ...)
        for cat in taxonomy.iter(f"{TEI}category"):
            cid = cat.get(XML_ID)
            if cid:
                types[cid] = "" if cid == "regular" else _english_term(cat)
    return types


def _english_term(cat: Element) -> str:
    descs = cat.findall(f"{TEI}catDesc")
    english = [d for d in descs if d.get(XML_LANG, "en") == "en"] or descs
    for desc in english:
        term = text_of(desc.find(f"{TEI}term"))
        if term:
            return term
    return ""


# -- a person on a day --------------------------------------------------------------------


def norm_date(value: str) -> str:
    """"2013-10-26T14:00:00" -> "2013-10-26", "2018-05" -> "2018-05-01", "2018" ->
    "2018-01-01" (as ParlaMint's scripts read them); "" for anything else."""
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", value):
        return value[:10]
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return value + "-01"
    if re.fullmatch(r"\d{4}", value):
        return value + "-01-01"
    return ""


def valid_on(date: str, start: str, end: str) -> bool:
    """Whether ``date`` falls within [start, end], either end open; any date of an
    undated sitting is taken as valid."""
    day = norm_date(date)
    if not day:
        return True
    start, end = norm_date(start), norm_date(end)
    return (not start or start <= day) and (not end or day <= end)


def name_on(person: Person, date: str, lang: str) -> str:
    """The person's name valid on ``date``, in ``lang`` where the list gives several."""
    valid = [n for n in person.names if valid_on(date, n.start, n.end)] or list(person.names)
    if not valid:
        return ""
    return next((n.text for n in valid if n.lang == lang), valid[0].text)


def party_on(person: Person, orgs: OrgList | None, date: str, lang: str) -> str:
    """The abbreviations of the groups (else parties) the person belongs to on ``date``."""
    if orgs is None:
        return ""
    refs = dict.fromkeys(
        a.ref for a in person.affiliations
        if a.role in MEMBER_ROLES and valid_on(date, a.start, a.end)
    )
    members = [orgs.orgs[r] for r in refs if r in orgs.orgs]
    chosen = [o for o in members if o.role == GROUP] or [o for o in members if o.role == PARTY]
    return ";".join(dict.fromkeys(short_name(o, orgs.lang or lang) for o in chosen))


def short_name(org: Org, lang: str) -> str:
    """The org's abbreviation in ``lang`` (else any); its id's tail ("politicalParty.ÖVP"
    -> "ÖVP") when it has none, as ParlaMint's tables do."""
    for abb_lang, name in org.abbreviations:
        if abb_lang == lang:
            return name
    if org.abbreviations:
        return org.abbreviations[0][1]
    return org.ident.split(".", 1)[-1]


def role_of(ana: str, speaker_types: Mapping[str, str]) -> str:
    """The role an ``ana`` value gives ("#chair topic:other" -> "Chairperson")."""
    for token in ana.split():
        if token.startswith("#") and token[1:] in speaker_types:
            return speaker_types[token[1:]]
    return ""
