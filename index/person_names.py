"""How each Persons tag reads to a person: "Merkel Angela" is shown as "Angela Merkel".

The Kremlin site writes its Persons tags surname first ("Merkel Angela", "Erdogan Recep
Tayyip", "Al Saud Salman bin Abdulaziz") except where the name is already in its own
order ("Xi Jinping", "Moon Jae-in", "Ruling Prince of Monaco Albert II"). No rule of
word shapes tells these apart, but the pages do: a page tagged "Merkel Angela" says
"Angela Merkel" in its text, a page tagged "Xi Jinping" says "Xi Jinping". So for each
tag the writer counts, in the text (title, lead, speaker labels, turns) of the pages that
carry it, how often each reordering of its words is written, and shows the one written
most. A reordering is a rotation ("Recep Tayyip Erdogan", "Salman bin Abdulaziz Al Saud")
or one word moved to the front ("Kirill Patriarch of Moscow and All Russia" -> "Patriarch
Kirill of Moscow and All Russia"). A reordering that is a speaker's name anywhere in the
index counts too.

Without such evidence: the reordering whose first two words the pages write ("Miguel
Diaz-Canel" for "Diaz-Canel Bermudez Miguel"), else the site's convention, the first word
(the surname) moved to the end ("Ivanov Victor" -> "Victor Ivanov"). A tag that does not
start with a letter ("1 more", the site's truncated list) is shown as it is.

The counts are kept per transcript in ``schema.PERSON_NAMES`` beside the generation, so
an incremental reindex counts only the transcripts it reads again. Filtering always uses
the stored tag; the mapping only changes what is shown (``search.person_names``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transcripts.index.model import Transcript, Utterance
from transcripts.index.schema import PERSON_NAMES, PERSON_NAMES_FORMAT, open_whoosh

MAX_WORDS = 8  # longer tags are not reordered (their reorderings would be many)
SPEAKER_WEIGHT = 1000  # a reordering that is someone's speaker name is decisive

# Why a tag reads as it does (kept in the file, for checking the rule on real data).
BY_TEXT, BY_SPEAKER, BY_PREFIX, BY_CONVENTION, AS_IS = (
    "text", "speaker", "prefix", "convention", "as-is"
)


def candidates(tag: str) -> list[str]:
    """The tag and its reorderings: rotations first (the tag itself, then surname-first
    readings), then one word moved to the front. Order matters only for ties."""
    words = tag.split()
    if len(words) < 2 or len(words) > MAX_WORDS:
        return [" ".join(words)]
    out = [words[k:] + words[:k] for k in range(len(words))]
    out += [[words[i], *words[:i], *words[i + 1 :]] for i in range(1, len(words))]
    # "of", "and", "bin" never start or end a name ("and All Russia Kirill Patriarch of").
    names = [" ".join(ws) for i, ws in enumerate(out) if i == 0 or not (
        _particle(ws[0]) or _particle(ws[-1]))]
    return list(dict.fromkeys(names))


def _particle(word: str) -> bool:
    return word.isalpha() and word.islower()


def convention(tag: str) -> str:
    """The site's order, surname first, turned round: the first word goes to the end."""
    words = tag.split()
    if len(words) < 2 or not words[0][:1].isalpha():
        return " ".join(words)
    return " ".join(words[1:] + words[:1])


def _written(name: str, text: str) -> int:
    """Times ``name`` stands as whole words in ``text`` (both lower-cased, single-spaced):
    a substring test first, since most reorderings are never written."""
    if name not in text:
        return 0
    return len(re.findall(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text))


def _text(t: Transcript) -> str:
    """The page's words, lower-cased, every run of spaces and line breaks one space."""
    parts = [t.title, t.lead]
    for u in t.utterances:
        if u.label:
            parts.append(u.label)
        parts.append(u.text)
    return " ".join(" ".join(p for p in parts if p).split()).casefold()


Evidence = dict[str, dict[str, list[int]]]  # tag -> reordering -> [written, first two words]


def transcript_evidence(t: Transcript) -> Evidence:
    """How often the page writes each reordering of each of its Persons tags (only
    reorderings written at least once; every tag is present, even with no evidence)."""
    if not t.persons:
        return {}
    text = _text(t)
    found: Evidence = {}
    for tag in dict.fromkeys(t.persons):
        counts: dict[str, list[int]] = {}
        for name in candidates(tag):
            words = name.casefold().split()
            full = _written(" ".join(words), text)
            head = _written(" ".join(words[:2]), text) if len(words) > 2 else full
            if full or head:
                counts[name] = [full, head]
        found[tag] = counts
    return found


@dataclass
class Choice:
    display: str
    why: str


def choose(tag: str, pages: Iterable[dict[str, list[int]]], speakers: set[str]) -> Choice:
    """The display name of one tag from its pages' evidence and the index's speakers."""
    names = candidates(tag)
    if len(names) == 1:
        return Choice(names[0], AS_IS)
    written = dict.fromkeys(names, 0)
    heads = dict.fromkeys(names, 0)
    for page in pages:
        for name, (full, head) in page.items():
            if name in written:
                written[name] += full
                heads[name] += head
    score = {n: written[n] + (SPEAKER_WEIGHT if n.casefold() in speakers else 0) for n in names}
    best = max(names, key=lambda n: score[n])  # the first of equals: the tag, then rotations
    if score[best] > 0:
        return Choice(best, BY_SPEAKER if score[best] >= SPEAKER_WEIGHT else BY_TEXT)
    top = max(heads.values())
    if top > 0 and sum(1 for n in names if heads[n] == top) == 1:
        return Choice(max(names, key=lambda n: heads[n]), BY_PREFIX)
    shown = convention(tag)
    return Choice(shown, AS_IS if shown == " ".join(tag.split()) else BY_CONVENTION)


@dataclass
class PersonNames:
    """What ``PERSON_NAMES`` holds: the display name of every tag, why, and the per-
    transcript evidence it was chosen from (kept for the next incremental reindex)."""

    names: dict[str, str]
    why: dict[str, str]
    evidence: dict[str, Evidence]  # transcript id -> its tags' evidence

    def to_json(self) -> dict[str, Any]:
        return {"format": PERSON_NAMES_FORMAT, "names": self.names, "why": self.why,
                "evidence": self.evidence}


def decide(evidence: dict[str, Evidence], speakers: Iterable[str]) -> PersonNames:
    spoken = {" ".join(s.split()).casefold() for s in speakers if s}
    pages: dict[str, list[dict[str, list[int]]]] = {}
    for per_tag in evidence.values():
        for tag, counts in per_tag.items():
            pages.setdefault(tag, []).append(counts)
    names, why = {}, {}
    for tag in sorted(pages):
        choice = choose(tag, pages[tag], spoken)
        names[tag], why[tag] = choice.display, choice.why
    return PersonNames(names, why, evidence)


def load(generation: Path | None) -> PersonNames | None:
    """The generation's person names, or None (built before they existed, or unreadable)."""
    if generation is None:
        return None
    try:
        data = json.loads((generation / PERSON_NAMES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != PERSON_NAMES_FORMAT:
        return None
    return PersonNames(data.get("names", {}), data.get("why", {}), data.get("evidence", {}))


def indexed_transcripts(generation: Path, wanted: set[str]) -> list[Transcript]:
    """The transcripts ``wanted`` as far as the evidence needs them (title, lead, tags,
    labels, text), read back from a generation's stored fields: for an incremental
    reindex over a generation written before ``PERSON_NAMES`` existed."""
    from whoosh.filedb.filestore import FileStorage

    found: dict[str, Transcript] = {}
    ix = open_whoosh(FileStorage(str(generation), supports_mmap=False, readonly=True).open_index)
    with ix.reader() as reader:
        for _, stored in reader.iter_docs():  # live documents (the order does not matter)
            tid = stored.get("tid")
            if tid not in wanted:
                continue
            t = found.setdefault(tid, Transcript(id=tid, title=""))
            meta = stored.get("meta")
            if meta is not None:
                t.title, t.lead = meta.get("title", ""), meta.get("lead", "")
                t.persons = list(meta.get("persons", []))
            else:
                t.utterances.append(Utterance(position=len(t.utterances) + 1,
                                              text=stored.get("body") or "",
                                              label=stored.get("label")))
    return [t for t in found.values() if t.persons]


def build(
    generation: Path,
    parsed: Iterable[Transcript],
    speakers: Iterable[str],
    previous: PersonNames | None = None,
    dropped: Set[str] = frozenset(),
    kept_ids: Iterable[str] = (),
    live: Path | None = None,
) -> PersonNames:
    """Write ``PERSON_NAMES`` for a new generation: the evidence of the transcripts read
    in this run, plus (incremental) the previous generation's for those not read again
    (``kept_ids`` that are not ``dropped``). When the ``live`` generation predates the
    file, their evidence is read back from its stored text once."""
    evidence: dict[str, Evidence] = {}
    kept = [tid for tid in kept_ids if tid not in dropped]
    if previous is not None:
        for tid in kept:
            if tid in previous.evidence:
                evidence[tid] = previous.evidence[tid]
    elif live is not None and kept:
        parsed = [*parsed, *indexed_transcripts(live, set(kept))]
    for t in parsed:
        found = transcript_evidence(t)
        if found:
            evidence[t.id] = found
    result = decide(evidence, speakers)
    path = generation / PERSON_NAMES
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result.to_json(), ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return result
