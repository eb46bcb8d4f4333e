"""ParlaMint TEI (``.xml``, ``.ana.xml`` whose root is ``<TEI>``): one sitting a file.

ParlaMint (CLARIN) encodes the debates of 29 parliaments alike: the header gives the
sitting's title, date, place, language and licence; the body has ``<div>``s with
``<head>`` headings, speeches ``<u who="#PersonId" ana="#chair" xml:id>`` made of
``<seg>`` paragraphs, and editorial elements between and inside them: ``<note>``,
``<vocal>`` (laughter), ``<kinesic>`` (applause), ``<incident>``, ``<gap>``.

* One utterance per ``<u>``, one paragraph per ``<seg>``; ``anchor`` is the ``<u>``'s
  ``xml:id``. Headings are narrative; nothing else outside a ``<u>`` is kept.
* Only speech is text: editorial elements inside a speech go to its ``note`` and the
  words either side join up again; between speeches they are dropped.
* The linguistically annotated form (``.ana.xml``: a ``<w>``/``<pc>`` element a token,
  ``join="right"`` where no space follows, inside ``<s>``, ``<name>``, ``<phr>``...)
  reads to the same text as the plain form, and to the same transcript id (``X`` for
  ``X.ana.xml``): so where the plain file is beside it (or in the plain corpus folder
  next to the annotated one) the annotated file is refused with that reason.
* Speakers by person id, never by the printed note: the name valid on the sitting's
  date in the corpus's person list (``parlamint_people``), else made from the id and
  the notes printed for that id (``parlamint_names``). The printed note stays the
  ``label``; without one the label is the name. Party and sex only from the lists.
  A speech with no ``who`` (the Spanish corpus) is labelled by its printed note, else
  by its role, else "Unnamed participant" (an anonymous turn).
* ``ana="#chair"``/``"#guest"`` is the role, in the English term of the speaker-type
  taxonomy ("Chairperson"); ``#regular`` is none.
* Languages from ``xml:lang``: the root's is the transcript's; a speech whose segments
  are mostly in another language has that one (``Utterance.language``).
* ``ParlaMint-XX-en_…`` is the English machine translation of ``ParlaMint-XX_…``, with
  its utterance ids: ``translation_of`` names the original.
* Corpus files that are not sittings (the ``<teiCorpus>`` root, person and
  organisation lists, taxonomies) read as no transcript at all, quietly: they are
  read for the sittings' sake.

Parsed with defusedxml: no DTDs, entity expansion or external references.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from transcripts.index import language
from transcripts.index.model import Transcript, Utterance
from transcripts.index.readers.base import ReadError, finish
from transcripts.index.readers.parlamint_names import id_name, readable_id
from transcripts.index.readers.parlamint_people import (
    DEFAULT_SPEAKER_TYPES,
    PARENT_LEVELS,
    TEI,
    XML_ID,
    XML_LANG,
    CorpusFiles,
    OrgList,
    PersonList,
    find_corpus_files,
    load_orgs,
    load_people,
    load_speaker_types,
    name_on,
    parse_xml,
    party_on,
    role_of,
    tag,
    text_of,
)
from transcripts.index.sidecar import SidecarError

__all__ = [
    "SOURCE",
    "CorpusListError",
    "companions",
    "parse_tei",
    "plain_twin",
    "read",
    "readable_id",
    "transcript_id",
    "translation_of",
]

log = logging.getLogger(__name__)

SOURCE = "ParlaMint"
ATTRIBUTION = "ParlaMint corpora (CLARIN ERIC)"
NOT_SPEECH = frozenset({"note", "vocal", "kinesic", "incident", "gap"})
TOKENS = frozenset({"w", "pc"})
# A speech whose file names nobody and prints no note: an anonymous turn, never a speaker.
UNNAMED = "Unnamed participant"
# Corpus files that are not sittings but help read them: what each is for.
CORPUS_PARTS: Mapping[str, str] = {
    "teiCorpus": "the corpus root file (it lists the sittings and includes the lists)",
    "listPerson": "a person list, used to name the speakers of the sittings",
    "listOrg": "a list of parliaments, parties and groups, used for the speakers' parties",
    "taxonomy": "a taxonomy, used for the speaker types (roles) of the sittings",
    "classDecl": "taxonomies, used for the speaker types (roles) of the sittings",
    "particDesc": "the lists of persons and organisations of a corpus",
    "listPrefixDef": "prefix definitions of a corpus",
}
_COUNTRY_ID = re.compile(r"ParlaMint-[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
_SITTING_NAME = re.compile(r"ParlaMint-[A-Z]{2}(?:-[A-Z0-9]{1,3})?(?:-[a-z]{2,3})?_")
_TRANSLATION = re.compile(r"(ParlaMint-[A-Z]{2}(?:-[A-Z0-9]{1,3})?)-([a-z]{2,3})_(.+)")
_START_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_PROLOG = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.S)


class CorpusListError(SidecarError):
    """A person list, organisation list or taxonomy that could not be used: the sitting
    is still read, its speakers named from their ids and notes."""


# -- files --------------------------------------------------------------------------------


def transcript_id(name: str) -> str:
    """"X.xml" and "X.ana.xml" are both the sitting X."""
    stem = name[:-4] if name.lower().endswith(".xml") else name
    return stem[:-4] if stem.lower().endswith(".ana") else stem


def translation_of(tid: str) -> tuple[str, str]:
    """(original id, language) of a translation's id: "ParlaMint-CZ-en_2020-…" ->
    ("ParlaMint-CZ_2020-…", "en"); ("", "") for an original."""
    m = _TRANSLATION.fullmatch(tid)
    return (f"{m.group(1)}_{m.group(3)}", m.group(2)) if m else ("", "")


def plain_twin(path: Path) -> Path | None:
    """The plain TEI of an annotated sitting, if there: ``X.xml`` beside ``X.ana.xml``,
    or in the plain corpus folder next to the annotated one (``ParlaMint-XX.TEI.ana/2020/``
    -> ``ParlaMint-XX.TEI/2020/``, the layout of the published corpora)."""
    if not path.name.lower().endswith(".ana.xml"):
        return None
    plain = transcript_id(path.name) + ".xml"
    return tei_twin(path, plain, {".TEI.ana": ".TEI"})


def tei_twin(path: Path, name: str, folders: Mapping[str, str]) -> Path | None:
    """``name`` beside ``path``, or where a corpus folder of one form has its other form:
    ``folders`` maps a folder suffix to its twin's (".TEI.ana" -> ".TEI")."""
    candidates = [path.with_name(name)]
    parts = path.parent.parts
    for i in range(len(parts) - 1, max(-1, len(parts) - 2 - PARENT_LEVELS), -1):
        for suffix, twin in folders.items():
            if parts[i].endswith(suffix):
                folder = parts[i][: -len(suffix)] + twin
                candidates.append(Path(*parts[:i], folder, *parts[i + 1 :], name))
    return next((c for c in candidates if c.is_file()), None)


def companions(path: Path) -> list[Path]:
    """Files that change what a sitting reads as: its corpus's person and organisation
    lists and speaker-type taxonomy (beside it or above), and for an annotated file the
    plain one that makes it a duplicate."""
    path = Path(path)
    if path.name.startswith("ParlaMint-") and not _SITTING_NAME.match(path.name):
        return []  # a corpus file itself (a list, a taxonomy, the root): no sitting
    found = find_corpus_files(path).paths()
    twin = plain_twin(path)
    return found + ([twin] if twin is not None else [])


def root_name(data: bytes) -> str:
    """The root element's name, read off the first bytes without parsing: a 3 MB person
    list is known for what it is at once."""
    head = _PROLOG.sub(b"", data[:8192])
    m = _START_TAG.search(head)
    return m.group(1).split(b":")[-1].decode("ascii", "replace") if m else ""


def read(
    path: Path, data: bytes | None = None, problems: list[ReadError] | None = None
) -> list[Transcript]:
    """The sitting in a TEI file; [] for a corpus file that is no sitting."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    part = CORPUS_PARTS.get(root_name(data))
    if part:
        log.info("%s: not a sitting: %s", path, part)
        return []
    twin = plain_twin(path)
    if twin is not None:
        raise ReadError(
            f"the linguistically annotated form (.ana.xml) of {twin.name}, which is read "
            "instead: the two are one sitting"
        )
    t = parse_tei(
        data,
        file=str(path),
        id=transcript_id(path.name),
        corpus=find_corpus_files(path),
        problems=problems,
    )
    return [t] if t is not None else []


# -- the sitting --------------------------------------------------------------------------


def parse_tei(
    data: bytes,
    file: str = "",
    id: str = "",
    corpus: CorpusFiles | None = None,
    problems: list[ReadError] | None = None,
) -> Transcript | None:
    """A sitting's transcript; None for a corpus file that is no sitting."""
    root = parse_xml(data)
    kind = tag(root)
    if kind in CORPUS_PARTS:
        return None
    if kind != "TEI":
        raise ReadError(f"not a TEI sitting (its root element is <{kind}>)")
    body = root.find(f"{TEI}text/{TEI}body")
    if body is None:
        raise ReadError("a TEI file without <text><body>: not a ParlaMint sitting")
    head = _header(root)
    tid = id or (transcript_id(Path(file).name) if file else "")
    t = Transcript(id=tid, **head)
    corpus_id = _COUNTRY_ID.match(root.get(XML_ID) or tid or "")
    t.source = corpus_id.group(0) if corpus_id else SOURCE
    t.translation_of = translation_of(tid)[0]
    context = _context(corpus, problems, file)
    text_el = root.find(f"{TEI}text")
    lang = root.get(XML_LANG, "")
    for el in (text_el, body):
        lang = (el.get(XML_LANG) if el is not None else None) or lang
    walk = _Body(speaker_types=context.speaker_types)
    _walk(body, lang, walk)
    if not walk.speeches:
        raise ReadError("a TEI file with no speech (<u>): not a ParlaMint sitting")
    t.language = language.code(root.get(XML_LANG, "")) or _main_language(walk.speeches)
    _name_speakers(walk.speeches, context, t.date, t.language)
    for speech in walk.speeches:
        u = speech.utterance
        u.language = "" if u.language == t.language else u.language
    t.utterances = walk.utterances
    return finish(t, file)


@dataclass
class _Context:
    """What the corpus's lists say, as far as they could be read."""

    people: PersonList | None = None
    orgs: OrgList | None = None
    speaker_types: Mapping[str, str] = field(default_factory=lambda: DEFAULT_SPEAKER_TYPES)


def _context(
    corpus: CorpusFiles | None, problems: list[ReadError] | None, file: str
) -> _Context:
    """The lists a sitting is read with; one that cannot be read is reported and left
    out (the sitting is read as if it were not there)."""
    context = _Context()
    if corpus is None:
        return context

    def report(path: Path, what: str, exc: Exception) -> None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problem = CorpusListError(f"{path.name}: {reason}; {what}")
        if problems is not None:
            problems.append(problem)
        else:
            log.warning("%s: %s", file, problem)

    if corpus.people is not None:
        try:
            context.people = load_people(corpus.people)
        except (ReadError, OSError) as exc:
            report(corpus.people, "speakers named from their ids and notes", exc)
    if corpus.orgs is not None:
        try:
            context.orgs = load_orgs(corpus.orgs)
        except (ReadError, OSError) as exc:
            report(corpus.orgs, "read without the speakers' parties", exc)
    if corpus.speaker_types is not None:
        try:
            types = load_speaker_types(corpus.speaker_types)
        except (ReadError, OSError) as exc:
            report(corpus.speaker_types, "roles named by default", exc)
        else:
            context.speaker_types = {**DEFAULT_SPEAKER_TYPES, **types}
    return context


@dataclass
class _Speech:
    utterance: Utterance
    who: str  # the person id, without '#'; "" where the file names nobody
    printed: str  # the speaker note printed before it; "" where none was


@dataclass
class _Body:
    """What a walk over the body has found so far."""

    speaker_types: Mapping[str, str]
    utterances: list[Utterance] = field(default_factory=list)
    speeches: list[_Speech] = field(default_factory=list)
    printed: str = ""  # a speaker note waiting for its speech


def _walk(el: Element, lang: str, body: _Body) -> None:
    """Headings and speeches in document order, through any nesting of ``<div>``s."""
    for child in el:
        kind = tag(child)
        child_lang = child.get(XML_LANG) or lang
        if kind == "u":
            speech = _speech(child, child_lang, body.printed, body.speaker_types)
            body.printed = ""
            body.utterances.append(speech.utterance)
            body.speeches.append(speech)
        elif kind == "note" and child.get("type") == "speaker":
            body.printed = speech_text(child).rstrip(":").strip()
        elif kind == "head":
            heading = speech_text(child)
            if heading:
                body.utterances.append(Utterance(position=0, text=heading))
        elif kind not in NOT_SPEECH:
            _walk(child, child_lang, body)


def _speech(u: Element, lang: str, printed: str, types: Mapping[str, str]) -> _Speech:
    notes: list[str] = []
    paragraphs: list[tuple[str, str]] = []  # (text, language)
    loose = [u.text or ""]  # words directly in <u>, outside any <seg>
    for child in u:
        kind = tag(child)
        if kind == "seg":
            paragraphs.append((speech_text(child, notes), child.get(XML_LANG) or lang))
        elif kind in NOT_SPEECH:
            notes.append(_note_text(child))
        else:
            _collect(child, loose, notes, in_s=False)
        loose.append(child.tail or "")
    extra = " ".join("".join(loose).split())
    if extra:
        paragraphs.append((extra, lang))
    role = role_of(u.get("ana") or "", types)
    who = (u.get("who") or "").split()
    return _Speech(
        Utterance(
            position=0,
            text="\n".join(text for text, _ in paragraphs if text),
            role=role,
            source_role=role,
            note="; ".join(dict.fromkeys(n for n in notes if n)),
            anchor=u.get(XML_ID) or "",
            language=language.code(
                _majority([(text, lng) for text, lng in paragraphs if text]) or lang
            ),
        ),
        who=who[0].lstrip("#") if who else "",
        printed=printed,
    )


def _majority(parts: list[tuple[str, str]]) -> str:
    """The language of most of the text (the first of equals): a speech mostly in
    Russian with a Ukrainian sentence is a Russian speech."""
    weight: dict[str, int] = {}
    for text, lang in parts:
        weight[lang] = weight.get(lang, 0) + len(text)
    return max(weight, key=lambda k: weight[k]) if weight else ""


def _main_language(speeches: list[_Speech]) -> str:
    """A sitting's language when its root states none we know ("mul"): its speeches'."""
    return language.code(
        _majority([(s.utterance.text, s.utterance.language) for s in speeches])
    )


def speech_text(el: Element, notes: list[str] | None = None) -> str:
    """An element's words, whitespace normalised; editorial elements inside go to
    ``notes``. Tokens (``<w>``, ``<pc>``) join as ``join="right"`` says."""
    parts: list[str] = []
    _collect(el, parts, notes, in_s=False)
    return " ".join("".join(parts).split())


def _collect(el: Element, parts: list[str], notes: list[str] | None, in_s: bool) -> None:
    kind = tag(el)
    if kind in TOKENS:
        parts.append("".join(el.itertext()))
        if el.get("join") != "right":
            parts.append(" ")
        return
    in_s = in_s or kind == "s"  # inside a sentence only tokens are text
    if el.text and not in_s:
        parts.append(el.text)
    for child in el:
        if tag(child) in NOT_SPEECH:
            if notes is not None:
                notes.append(_note_text(child))
        else:
            _collect(child, parts, notes, in_s)
        if child.tail and not in_s:
            parts.append(child.tail)


def _note_text(el: Element) -> str:
    """An editorial element as a short note: its description (in English where given
    in several languages), else its words, else its reason or type."""
    descs = el.findall(f"{TEI}desc")
    english = [d for d in descs if d.get(XML_LANG) == "en"] or descs
    words = text_of(english[0]) if english else speech_text(el)
    return words or el.get("reason") or el.get("type") or tag(el)


# -- speakers -----------------------------------------------------------------------------


def _name_speakers(speeches: list[_Speech], context: _Context, date: str, lang: str) -> None:
    """Name, party and sex of every speech's speaker, one answer a person id."""
    printed: dict[str, list[str]] = {}
    for s in speeches:
        if s.who and s.printed:
            printed.setdefault(s.who, []).append(s.printed)
    known: dict[str, tuple[str, str, str]] = {}  # id -> (name, party, sex)
    for s in speeches:
        u = s.utterance
        if not s.who:
            u.label = s.printed or u.role or UNNAMED
            continue
        if s.who not in known:
            known[s.who] = _person(s.who, printed.get(s.who, []), context, date, lang)
        u.speaker, u.party, u.sex = known[s.who]
        u.speaker_id = s.who
        u.label = s.printed or u.speaker


def _person(
    who: str, notes: list[str], context: _Context, date: str, lang: str
) -> tuple[str, str, str]:
    person = context.people.people.get(who) if context.people is not None else None
    if person is None:
        return id_name(who, notes), "", ""
    list_lang = context.people.lang if context.people is not None else ""
    name = name_on(person, date, list_lang or lang) or id_name(who, notes)
    return name, party_on(person, context.orgs, date, lang), person.sex


# -- the header ---------------------------------------------------------------------------


def _header(root: Element) -> dict[str, Any]:
    h = root.find(f"{TEI}teiHeader")
    if h is None:
        return {"title": ""}
    title_stmt = h.find(f"{TEI}fileDesc/{TEI}titleStmt")
    titles: dict[str, str] = {}
    if title_stmt is not None:
        for el in title_stmt.findall(f"{TEI}title"):
            if el.get(XML_LANG, "en") == "en":
                titles.setdefault(el.get("type", "main"), text_of(el))
            titles.setdefault("any", text_of(el))
    title = titles.get("sub") or titles.get("main") or titles.get("any", "")
    setting = h.find(f"{TEI}profileDesc/{TEI}settingDesc/{TEI}setting")
    date = ""
    places: list[str] = []
    countries: list[str] = []
    if setting is not None:
        d = setting.find(f"{TEI}date")
        date = (d.get("when") or d.get("from") or "") if d is not None else ""
        # Where the header names the place in several languages, the English names
        # ("Vienna", not "Vienna, Wien"; one country tag), else the first language's.
        names = [(n.get("type"), text_of(n), n.get(XML_LANG)) for n in setting.findall(
            f"{TEI}name")]
        spoken = [lang for _, _, lang in names if lang]
        wanted = "en" if "en" in spoken else spoken[0] if spoken else None
        for kind, named, lang in names:
            if named and lang in (wanted, None):
                (countries if kind == "country" else places).append(named)
    if not date:
        d = h.find(f".//{TEI}sourceDesc//{TEI}date")
        date = (d.get("when") or "") if d is not None else ""
    licence = text_of(h.find(f".//{TEI}availability/{TEI}licence"))
    publisher = text_of(h.find(f".//{TEI}publicationStmt/{TEI}publisher/{TEI}orgName"))
    url = ""
    for idno in h.iter(f"{TEI}idno"):
        if idno.get("subtype") == "parliament" and text_of(idno).startswith("http"):
            url = text_of(idno)
    return {
        "title": title,
        "date": date[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", date) else "",
        "place": ", ".join(reversed(places)),
        "geography": countries,
        "licence": licence,
        "attribution": f"ParlaMint corpora ({publisher})" if publisher else ATTRIBUTION,
        "url": url,
    }
