"""A speaker's page: what they said, when, as whom, about what — and who speaks of them.

Everything here comes from the per-generation tables (``search.tables``,
``search.distinctive``, the document table's facets) and, for the few turns shown,
stored fields; the roles as printed are read once per generation for every turn.

A speaker who is also a Persons tag is one person: the tag is the name turned round
("Merkel Angela" is the speaker "Angela Merkel"), so the page also lists the pages
tagged with them and the turns of others that say their surname.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from transcripts.index.documents import EPOCH
from transcripts.index.schema import EXACT, fold
from transcripts.search.distinctive import DistinctiveWord, distinctive_words
from transcripts.search.engine import TranscriptIndex
from transcripts.search.tables import analysis_tables

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from transcripts.search.engine import Faceted, Generation
    from transcripts.search.facets import DocTable

SHOWN_TURNS = 10
SHOWN_TAGS = 12
EXCERPT_CHARS = 320


@dataclass
class RoleSpan:
    role: str  # as printed beside the name ("" when only the name was printed)
    turns: int
    first: str  # ISO dates
    last: str


@dataclass
class Turn:
    transcript_id: str
    title: str
    date: str
    position: int
    speaker: str
    text: str  # the start of the turn


@dataclass
class TagCount:
    value: str  # as stored: what a filter takes
    transcripts: int
    label: str = ""  # as shown ("Angela Merkel" for the Persons tag "Merkel Angela")

    def __post_init__(self) -> None:
        self.label = self.label or self.value


@dataclass
class SpeakerProfile:
    name: str
    is_speaker: bool
    person_tag: str | None  # the Persons tag that names them, if any
    turns: int
    words: int
    transcripts: int
    first: str | None
    last: str | None
    roles: list[RoleSpan]
    words_by_year: list[tuple[int, int]]
    distinctive: list[DistinctiveWord]
    tags: dict[str, list[TagCount]]  # geography / topic / person of the pages they speak on
    latest: list[Turn]
    tagged_pages: int  # pages tagged with them
    tagged_latest: list[Turn]
    mentions: int  # turns of others that say their surname
    mentions_latest: list[Turn]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["words_by_year"] = [{"year": y, "words": w} for y, w in self.words_by_year]
        return data


def person_tag_for(gen: Faceted, name: str) -> str | None:
    """The Persons tag naming this speaker: "Angela Merkel" -> "Merkel Angela"."""
    persons = gen.facets["person"].ids
    parts = name.split()
    if len(parts) < 2:
        return None
    for candidate in (" ".join([parts[-1], *parts[:-1]]), name):
        if candidate in persons:
            return candidate
    return None


def speaker_for_tag(gen: Faceted, tag: str) -> str | None:
    """The speaker a Persons tag names ("Merkel Angela" -> "Angela Merkel"), if they spoke."""
    parts = tag.split()
    speakers = gen.facets["speaker"].ids
    for candidate in (" ".join([*parts[1:], parts[0]]) if len(parts) > 1 else tag, tag):
        if candidate in speakers:
            return candidate
    return None


def speaker_profile(index: TranscriptIndex, name: str) -> SpeakerProfile | None:
    """None when the name is neither a speaker nor a Persons tag."""
    gen = index.current()
    table = gen.table
    facet = table.facets["speaker"]
    is_speaker = name in facet.ids
    tag = person_tag_for(gen, name) if is_speaker else (
        name if name in table.facets["person"].ids else None)
    if not is_speaker and tag is None:
        return None
    if not is_speaker and tag is not None and speaker_for_tag(gen, tag):
        name = speaker_for_tag(gen, tag) or name
        is_speaker = True
    docs = facet.docs_with(name) if is_speaker else np.empty(0, dtype=np.int32)
    docs = docs[table.live[docs]]
    days = table.day[docs]
    dated = days[days > 0]
    years = table.year[docs]
    by_year = np.bincount(years[years > 0], weights=table.words[docs][years > 0]) \
        if (years > 0).any() else np.zeros(0)
    first_year = int(years[years > 0].min()) if (years > 0).any() else 0
    words_by_year = [(y, int(by_year[y])) for y in range(first_year, len(by_year))] \
        if first_year else []
    searcher = gen.searcher()
    latest = _turns(gen, searcher, _latest(table, docs, SHOWN_TURNS))
    tags = _tags_of_pages(gen, np.unique(table.tid[docs])) if len(docs) else {}
    tagged_pages, tagged_latest = 0, []
    mentions, mentions_latest = 0, []
    if tag is not None:
        pages = table.facets["person"].docs_with(tag)
        pages = pages[table.is_page[pages] & table.live[pages]]
        tagged_pages = len(pages)
        tagged_latest = _turns(gen, searcher, _latest(table, pages, SHOWN_TURNS))
        surname = surname_for(name, tag)
        if surname:
            ids, _ = gen.scorer.term_postings(searcher.reader(), EXACT, fold(surname))
            own = np.zeros(table.size, dtype=bool)
            own[docs] = True
            speaker = analysis_tables(gen).speaker
            others = ids[table.live[ids] & ~own[ids] & (speaker[ids] >= 0)]
            mentions = len(others)
            mentions_latest = _turns(gen, searcher, _latest(table, others, SHOWN_TURNS))
    return SpeakerProfile(
        name=name,
        is_speaker=is_speaker,
        person_tag=tag,
        turns=len(docs),
        words=int(table.words[docs].sum()),
        transcripts=len(np.unique(table.tid[docs])),
        first=iso_day(int(dated.min())) if len(dated) else None,
        last=iso_day(int(dated.max())) if len(dated) else None,
        roles=speaker_roles(gen, name) if is_speaker else [],
        words_by_year=words_by_year,
        distinctive=distinctive_words(gen, name) if is_speaker else [],
        tags=tags,
        latest=latest,
        tagged_pages=tagged_pages,
        tagged_latest=tagged_latest,
        mentions=mentions,
        mentions_latest=mentions_latest,
    )


def surname_for(name: str, tag: str) -> str | None:
    """The word others use for them: the tag's first word (the surname), lower-cased."""
    word = tag.split()[0] if tag else name.split()[-1]
    return word.lower() if len(word) > 2 else None


def speaker_roles(gen: Generation, name: str) -> list[RoleSpan]:
    """Roles as printed beside the name, each with its first and last date, earliest first."""
    return gen.derived("speaker_roles", _build_roles).get(name, [])


def _build_roles(gen: Generation) -> dict[str, list[RoleSpan]]:
    """One pass over every turn's stored role, once per generation (about a second)."""
    table = gen.table
    facet = table.facets["speaker"]
    searcher = gen.searcher()
    spans: dict[str, dict[str, list[int]]] = {}  # value -> role -> [turns, first, last]
    for value, docs in ((v, facet.docs_with(v)) for v in facet.values):
        roles = spans.setdefault(value, {})
        for d in docs[table.live[docs]].tolist():
            role = searcher.stored_fields(d).get("role") or ""
            day = int(table.day[d])
            span = roles.get(role)
            if span is None:
                roles[role] = [1, day, day]
            else:
                span[0] += 1
                if day and (not span[1] or day < span[1]):
                    span[1] = day
                span[2] = max(span[2], day)
    out: dict[str, list[RoleSpan]] = {}
    for value, roles in spans.items():
        rows = [RoleSpan(role, n, iso_day(lo), iso_day(hi)) for role, (n, lo, hi) in roles.items()]
        out[value] = sorted(rows, key=lambda r: (r.first or "9999", r.role))
    return out


def _latest(table: DocTable, docs: np.ndarray, n: int) -> np.ndarray:
    """Newest first, later in a transcript first; turns of one day and place by transcript
    id (not the order they were indexed in: the same list from any build, or backend)."""
    if not len(docs):
        return docs
    order = np.lexsort((table.tid[docs], -table.pos[docs], -table.day[docs]))
    return docs[order][:n]


def _turns(gen: Generation, searcher: Searcher, docs: np.ndarray) -> list[Turn]:
    table = gen.table
    out = []
    for d in docs.tolist():
        stored = searcher.stored_fields(d)
        meta = gen.meta(searcher, int(table.tid[d]))
        text = " ".join((stored.get("body") or "").split())
        if len(text) > EXCERPT_CHARS:
            text = text[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + " …"
        out.append(Turn(
            transcript_id=table.tids[table.tid[d]],
            title=meta.get("title", ""),
            date=meta.get("effective_date", ""),
            position=int(table.pos[d]),
            speaker=stored.get("speaker") or "",
            text=text,
        ))
    return out


def _tags_of_pages(gen: Generation, tids: np.ndarray) -> dict[str, list[TagCount]]:
    """Geography, topics and persons of the transcripts they speak in, most frequent first."""
    table = gen.table
    pages = gen.page_doc[tids]
    mask = np.zeros(table.size, dtype=bool)
    mask[pages[pages >= 0]] = True
    out = {}
    for name in ("geography", "topic", "person"):
        facet = table.facets[name]
        counts = facet.count(mask)
        top = np.flatnonzero(counts)
        top = top[np.lexsort((top, -counts[top]))][:SHOWN_TAGS]
        show = gen.people.show if name == "person" else str
        out[name] = [TagCount(facet.values[i], int(counts[i]), show(facet.values[i]))
                     for i in top.tolist()]
    return out


def iso_day(day: int) -> str:
    return (EPOCH + dt.timedelta(days=day)).isoformat() if day else ""
