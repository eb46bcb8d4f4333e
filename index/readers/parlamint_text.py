"""ParlaMint's plain-text form: ``X.txt`` (``<utterance id>\\t<text>`` a line) with the
``X-meta.tsv`` table beside it (and ``X-meta-en.tsv``, the same in English).

The published corpora ship every sitting this way too, for those who want words
without markup. The text line is the speech as the TEI has it, whitespace normalised,
with the editorial elements in double brackets (``[[Allgemeiner Beifall.]]``): those
are notes, never speech. The table gives, per utterance id, what the corpus knows of
the speaker on that day: ``Speaker_name`` ("Sobotka, Wolfgang", said "Wolfgang
Sobotka"), ``Speaker_ID``, ``Speaker_role``, ``Speaker_party``, ``Speaker_gender``, and
of the sitting its ``Title``, ``Date`` and ``Lang``. The English table is preferred for
the role and the language (its terms are the ones the TEI reader uses: "Chairperson",
"Regular"), the sitting's own for names and parties (the same in both).

A ``.txt`` is read this way when its ``-meta.tsv`` is beside it or its first line is a
ParlaMint utterance id and a tab. Where the TEI form of the same sitting is beside it
(or in the TEI corpus folder next to the text one), the text form is refused with that
reason: the two are one sitting, and the TEI says more.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path

from transcripts.index import language
from transcripts.index.model import Transcript, Utterance
from transcripts.index.readers.base import ReadError, finish
from transcripts.index.readers.parlamint import (
    ATTRIBUTION,
    SOURCE,
    UNNAMED,
    tei_twin,
    translation_of,
)
from transcripts.index.sidecar import SidecarError

META = "-meta.tsv"
META_EN = "-meta-en.tsv"
# What every ParlaMint corpus is released under (the TEI headers say so; the text form
# has no header to say it).
LICENCE = "http://creativecommons.org/licenses/by/4.0/"
_FIRST_LINE = re.compile(r"ParlaMint-[A-Z]{2}\S*\t")
_COUNTRY_ID = re.compile(r"ParlaMint-[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
_NOTE = re.compile(r"\[\[(.*?)\]\]", re.S)
_TEI_FOLDERS = {".txt": ".TEI"}


class MetaTableError(SidecarError):
    """A ``-meta.tsv`` table that could not be used: the text is read without it."""


PREFIX = "ParlaMint-"  # how the published corpora name every file of a sitting


def is_parlamint_text(path: Path, first_line: str) -> bool:
    """Whether a ``.txt`` is ParlaMint's text form (its table beside it, or its first
    line an utterance id and a tab)."""
    return bool(_FIRST_LINE.match(first_line.lstrip("\ufeff"))) or (
        path.name.startswith(PREFIX) and path.with_name(path.stem + META).is_file()
    )


def tables(path: Path) -> list[Path]:
    """The ``-meta.tsv`` tables beside a text file (the sitting's own, the English)."""
    found = (path.with_name(path.stem + suffix) for suffix in (META, META_EN))
    return [p for p in found if p.is_file()]


def tei_form(path: Path) -> Path | None:
    """The TEI form of the sitting a text file holds, if it is there."""
    for name in (path.stem + ".xml", path.stem + ".ana.xml"):
        twin = tei_twin(path, name, _TEI_FOLDERS)
        if twin is not None:
            return twin
    return None


def companions(path: Path) -> list[Path]:
    """Files that change what a text file reads as: its tables, a TEI form beside it."""
    path = Path(path)
    if not path.name.startswith(PREFIX):
        return []  # any other text file (thousands of them): no look beside it
    found = tables(path)
    twin = tei_form(path)
    return found + ([twin] if twin is not None else [])


def read(path: Path, text: str, problems: list[ReadError] | None = None) -> list[Transcript]:
    path = Path(path)
    twin = tei_form(path)
    if twin is not None:
        raise ReadError(
            f"the plain-text form of {twin.name}, which is read instead: the two are one "
            "sitting"
        )
    rows = _table(path.with_name(path.stem + META), problems)
    english = _table(path.with_name(path.stem + META_EN), problems)
    return [parse_text(text, path.stem, str(path), rows, english)]


def _table(path: Path, problems: list[ReadError] | None) -> dict[str, dict[str, str]]:
    """Utterance id -> its row; {} (and a problem) when the table cannot be read."""
    if not path.is_file():
        return {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, [])
            if "ID" not in header:
                raise ValueError("no ID column")
            rows = {}
            for row in reader:
                record = dict(zip(header, (v.strip() for v in row), strict=False))
                if record.get("ID"):
                    rows[record["ID"]] = record
            return rows
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        if problems is not None:
            problems.append(MetaTableError(f"{path.name}: {exc}; read without it"))
        return {}


def _value(row: Mapping[str, str] | None, column: str) -> str:
    """A cell, "" for ParlaMint's "-" (nothing known)."""
    value = (row or {}).get(column, "")
    return "" if value == "-" else value


def said_name(name: str) -> str:
    """"Sobotka, Wolfgang" -> "Wolfgang Sobotka" (ParlaMint's tables print surnames
    first, patronyms after the forename: "Яценюк, Арсеній Петрович")."""
    surname, comma, forenames = name.partition(", ")
    return f"{forenames} {surname}".strip() if comma else name.strip()


def parse_text(
    text: str,
    tid: str,
    file: str = "",
    rows: Mapping[str, Mapping[str, str]] | None = None,
    english: Mapping[str, Mapping[str, str]] | None = None,
) -> Transcript:
    rows, english = rows or {}, english or {}
    t = Transcript(id=tid, title="", licence=LICENCE, attribution=ATTRIBUTION)
    corpus = _COUNTRY_ID.match(tid)
    t.source = corpus.group(0) if corpus else SOURCE
    t.translation_of, translated_to = translation_of(tid)
    languages: list[str] = []
    for line in text.lstrip("\ufeff").splitlines():
        uid, tab, said = line.partition("\t")
        if not tab:  # not an utterance line: more words of the last one
            if t.utterances and line.strip():
                t.utterances[-1].text += " " + " ".join(line.split())
            continue
        uid = uid.strip()
        row, row_en = rows.get(uid), english.get(uid)
        notes = [" ".join(n.split()) for n in _NOTE.findall(said)]
        role = _value(row_en, "Speaker_role") or _value(row, "Speaker_role")
        role = "" if role == "Regular" else role
        name = said_name(_value(row, "Speaker_name") or _value(row_en, "Speaker_name"))
        lang = translated_to or language.code(
            _value(row_en, "Lang") or _value(row, "Lang")
        )
        languages.append(lang)
        u = Utterance(
            position=0,
            text=" ".join(_NOTE.sub("", said).split()),
            label=name or role or UNNAMED,
            role=role,
            source_role=role,
            note="; ".join(dict.fromkeys(n for n in notes if n)),
            anchor=uid,
            language=lang,
        )
        if name:
            u.speaker = name
            u.speaker_id = _value(row, "Speaker_ID") or _value(row_en, "Speaker_ID")
            u.party = _value(row, "Speaker_party") or _value(row_en, "Speaker_party")
            u.sex = _value(row, "Speaker_gender") or _value(row_en, "Speaker_gender")
        t.utterances.append(u)
    if not t.utterances:
        raise ReadError("a ParlaMint text file with no utterance lines (<id> TAB <text>)")
    first = next(iter(english.values()), None) or next(iter(rows.values()), None)
    t.title = _value(first, "Title") or tid
    date = _value(first, "Date") or _value(first, "From")
    t.date = date[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", date) else ""
    known = [lang for lang in languages if lang]
    t.language = max(known, key=known.count) if known else ""
    for u in t.utterances:
        u.language = "" if u.language == t.language else u.language
    return finish(t, file)
