"""Turning a Transcript into Whoosh documents: one per utterance plus one for the page.

The page document (position 0) carries the title and lead as searchable text and the
transcript's metadata, stored once; utterance documents store only what a hit shows
(text, speaker, label) and index the page's tags and date so that every hit can be
filtered and counted by them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from transcripts.index import language
from transcripts.index.model import Transcript
from transcripts.index.schema import (
    KIND_ANONYMOUS,
    KIND_NARRATIVE,
    KIND_PAGE,
    KIND_TURN,
    composed,
    word_count,
)
from transcripts.index.speakers import is_anonymous

EPOCH = dt.date(1970, 1, 1)


def day_number(date: dt.date | None) -> int:
    """Days since 1970 (0 for undated): a compact sortable column for date filters."""
    return (date - EPOCH).days if date else 0


def transcript_meta(t: Transcript) -> dict[str, Any]:
    """What a hit or a transcript page shows about the page, without its utterances."""
    # Fields are strings and lists of strings: copied as they are, not through
    # dataclasses.asdict's recursion (a fifth of a second a thousand pages).
    meta = {
        f.name: list(value) if isinstance(value := getattr(t, f.name), list) else value
        for f in dataclasses.fields(t)
        if f.name != "utterances"
    }
    eff = t.effective_date
    meta["effective_date"] = eff.isoformat() if eff else ""
    return meta


def transcript_documents(t: Transcript) -> Iterator[dict[str, Any]]:
    lines = "\n".join
    spoken = t.language or language.DEFAULT
    shared = {
        "tid": t.id,
        "day": day_number(t.effective_date),
        "f_person": lines(t.persons),
        "f_geography": lines(t.geography),
        "f_topic": lines(t.topics),
        "f_place": t.place,
        "f_source": t.source,
        "f_language": language.name(spoken),
        "file": t.file,
    }
    if t.translation_of:  # most transcripts translate none: no empty field to index
        shared["f_translation_of"] = t.translation_of
    page_text = composed("\n".join(x for x in (t.title, t.lead) if x))
    yield {
        **shared,
        "pos": 0,
        "kind": KIND_PAGE,
        "title": composed(t.title),
        "body": page_text,
        "words": word_count(page_text),
        "meta": transcript_meta(t),
    }
    for u in t.utterances:
        anonymous = is_anonymous(u.label)
        doc = {
            **shared,
            "pos": u.position,
            "kind": KIND_ANONYMOUS if anonymous else KIND_TURN if u.label else KIND_NARRATIVE,
            "body": (body := composed(u.text)),
            "words": word_count(body),
        }
        if u.language and u.language != spoken:  # a passage in another language
            doc.update(lang=u.language, f_language=language.name(u.language))
        if u.anchor:
            doc["anchor"] = u.anchor
        if u.start is not None:
            doc["start"] = u.start
        if u.end is not None:
            doc["end"] = u.end
        if anonymous:  # the label as printed, but no speaker: not in the speaker facet
            doc.update(label=u.label, note=u.note)
        elif u.label:
            name = u.speaker or u.label
            doc.update(label=u.label, note=u.note, role=u.role, speaker=name, f_speaker=name)
            if u.speaker_id:
                doc["speaker_id"] = u.speaker_id
            if u.party:
                doc.update(party=u.party, f_party=u.party)
            if u.sex:
                doc["sex"] = u.sex
        yield doc
