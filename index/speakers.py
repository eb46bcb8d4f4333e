"""Canonical speaker names from printed labels.

Pages print a speaker's title the first time ("President of Russia Vladimir Putin") and
the bare name afterwards ("Vladimir Putin"); search and facets must count both as one
person, across transcripts too. The name is found as a word-boundary suffix of the label,
from three sources, the longest match winning:

* a shorter label in the same transcript that ends the longer one;
* the page's Persons tags, printed "Surname Given" ("Aliyev Ilham" is "Ilham Aliyev");
* ``known_names``: names already established by other transcripts.

What precedes the name is the role. Failing all three, a title of the usual shape,
"<Role> of <Place> <Given> <Surname>", gives its last two words as the name. Labels that
match nothing ("Question", "Remark", an unknown name) are their own name, with no role.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from index.model import Transcript


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _shouts(name: str) -> bool:
    return any(len(w) > 1 and w.isupper() for w in name.split())


def person_names(tag: str) -> list[str]:
    """Every "Given Surname" reading of a "Surname Given" tag.

    The split between surname and given names is not marked ("Al Saud Salman bin
    Abdulaziz"), so every rotation is a candidate; only one will end a real label.
    """
    words = tag.split()
    return [" ".join(words[k:] + words[:k]) for k in range(1, len(words))] or words


def _split(label: str, names: dict[str, str]) -> tuple[str, str] | None:
    """(name, role) for the longest known name that ends ``label``, else None."""
    words = label.split()
    for k in range(len(words)):  # longest suffix first
        suffix = " ".join(words[k:]).casefold()
        if suffix in names:
            role = " ".join(words[:k]).rstrip(",;").strip()
            return names[suffix], role
    return None


def _title_split(label: str) -> tuple[str, str] | None:
    """"President of Russia Vladimir Putin" -> ("Vladimir Putin", "President of Russia").

    Only when a lower-case word ("of", "the") marks the label as a title and at least
    three capitalised words follow it: the place or office, then a two-word name.
    """
    words = label.split()
    lower = [i for i, w in enumerate(words) if w[:1].islower()]
    if not lower:
        return None
    tail = words[lower[-1] + 1 :]
    if len(tail) < 3 or not all(w[:1].isupper() for w in tail):
        return None
    return " ".join(words[-2:]), " ".join(words[:-2])


@lru_cache(maxsize=4)
def _known(known_names: frozenset[str]) -> dict[str, str]:
    """Normalised name -> spelling for the names learned elsewhere: the same for every
    page of a reindex, so computed once (it was a third of a full reindex's time)."""
    names: dict[str, str] = {}
    # Spellings that differ only in case ("Vladimir PUTIN") share a key; the ordinary
    # spelling must win whatever the order of the set, so it is written last.
    for name in sorted(known_names, key=lambda n: (not _shouts(n), n)):
        names[_norm(name)] = " ".join(name.split())
    return names


def _candidates(t: Transcript, known_names: Iterable[str]) -> dict[str, str]:
    """Normalised name -> spelling to use; page evidence wins over names from elsewhere."""
    names = dict(_known(frozenset(known_names)))
    labels = {_norm(u.label): " ".join(u.label.split()) for u in t.utterances if u.label}
    for tag in t.persons:
        for name in person_names(tag):
            key = _norm(name)
            if any(lab == key or lab.endswith(" " + key) for lab in labels):
                _put(names, key, name)
    for key, label in labels.items():
        if any(other.endswith(" " + key) for other in labels if other != key):
            _put(names, key, label)
    return names


def _put(names: dict[str, str], key: str, spelling: str) -> None:
    """Page evidence wins, except that a shouted spelling never replaces an ordinary one."""
    if key not in names or not _shouts(spelling) or _shouts(names[key]):
        names[key] = spelling


def _resolve(t: Transcript, known_names: Iterable[str]) -> dict[str, tuple[str, str]]:
    names = _candidates(t, known_names)
    resolved: dict[str, tuple[str, str]] = {}
    for u in t.utterances:
        if u.label and u.label not in resolved:
            resolved[u.label] = (
                _split(u.label, names)
                or _title_split(u.label)
                or (" ".join(u.label.split()), "")
            )
    # A bare name inherits the role its long label gave it earlier on the same page.
    roles: dict[str, str] = {}
    for name, role in resolved.values():
        if role:
            roles.setdefault(name, role)
    return {
        label: (name, role or roles.get(name, "")) for label, (name, role) in resolved.items()
    }


def resolve_speakers(t: Transcript, known_names: Iterable[str] = frozenset()) -> None:
    """Fill ``speaker`` and ``role`` of every labelled utterance in place."""
    resolved = _resolve(t, known_names)
    for u in t.utterances:
        if u.label:
            u.speaker, u.role = resolved[u.label]
        else:
            u.speaker, u.role = None, ""


def learn_names(t: Transcript) -> set[str]:
    """Names this page establishes (by a shorter label or a Persons tag), for later pages."""
    names = _candidates(t, ())
    learned: set[str] = set()
    for u in t.utterances:
        if u.label:
            hit = _split(u.label, names)
            if hit:
                learned.add(hit[0])
    return learned
