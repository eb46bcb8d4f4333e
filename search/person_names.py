"""Persons tags as a person reads them ("Angela Merkel"), and back to the stored tag.

The writer chose each tag's display order from the pages' own text (``index.person_names``,
``schema.PERSON_NAMES``); here that choice is read once per generation. Filters, facet
values and URLs keep the stored tag ("Merkel Angela"), so old links keep working; a URL
that names the person as shown (``person=Angela Merkel``) is read as the stored tag too,
so either form round-trips. A generation written before the names were chosen shows the
tags as stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from transcripts.index import person_names


@dataclass
class PersonNames:
    shown: dict[str, str] = field(default_factory=dict)  # stored tag -> as shown
    _stored: dict[str, str] = field(default_factory=dict)  # as shown -> stored tag

    def show(self, tag: str) -> str:
        return self.shown.get(tag, tag)

    def stored(self, value: str, tags: dict[str, int]) -> str:
        """The stored tag a requested value means: itself when it is one, else the tag
        shown so (``tags``: the person facet's values)."""
        if value in tags:
            return value
        return self._stored.get(" ".join(value.split()), value)


def load(generation: Path, tags: list[str]) -> PersonNames:
    kept = person_names.load(generation)
    if kept is None:
        return PersonNames()
    return from_names(kept.names, tags)


def from_names(names: dict[str, str], tags: list[str]) -> PersonNames:
    """The writer's choice (tag -> display name) for the tags the index holds."""
    shown = {t: names[t] for t in tags if names.get(t, t) != t}
    back: dict[str, str] = {}
    ambiguous: set[str] = set()
    for tag, name in shown.items():
        if name in back:
            ambiguous.add(name)
        back[name] = tag
    for name in ambiguous:  # two tags shown alike: the display name alone names neither
        del back[name]
    return PersonNames(shown, back)
