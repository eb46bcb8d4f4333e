"""Canonical speaker names from printed labels.

Pages print a speaker's title the first time ("President of Russia Vladimir Putin") and
the bare name afterwards ("Vladimir Putin"); search and facets must count both as one
person, across transcripts too. A label is read in this order:

* **Anonymous** ("Question", "Remark", "Response from the hall", "Call centre operator"):
  a generic noun phrase that names nobody. It is a kind of turn, never a speaker:
  ``speaker`` stays None (see ``is_anonymous``).
* **Name by evidence**: the longest known name that ends the label, from a shorter label
  in the same transcript, the page's Persons tags (printed "Surname Given": "Aliyev
  Ilham" is "Ilham Aliyev"), or ``known_names`` established by other transcripts.
* **Name by shape** (``name_and_role``): a role then a personal name -- "Finance Minister
  Anton Siluanov", "President of Russia Vladimir Putin", "Alisa Shmelyova, metrology
  engineer".
* **Role only** ("Minister of Economic Development", "Interior Minister"): the name of the
  person who held that role earlier in the same transcript; failing that the speaker
  *is* the role, flagged by ``speaker == role`` (``Utterance.speaker_is_role``).
* Anything else (an unknown one-word name, "Mr Putin") is its own name, with no role.

What precedes the name is the role, and a bare name inherits the role its long label gave
it earlier on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

from transcripts.index.model import Transcript

# -- anonymous turns --------------------------------------------------------------------

# Heads of the noun phrases pages print for a turn whose speaker they do not name, read
# off the development corpus's labels ("Question", "Remark", "Reply", "Response",
# "Comment", "Response from the hall", "Call centre operator", "Presenter", "Operator",
# "Volunteers", "Audience") and their obvious kin.
_SPEECH_HEADS = frozenset({
    "question", "remark", "reply", "response", "answer", "comment", "voice",
    "exclamation", "shout", "cry", "interjection", "remarks", "questions",
})
_PERSON_HEADS = frozenset({
    "audience", "hall", "floor", "participant", "member", "journalist", "reporter",
    "correspondent", "presenter", "host", "moderator", "operator", "interpreter",
    "translator", "volunteer", "student", "pupil", "spectator", "guest", "delegate",
    "resident", "viewer", "listener", "caller", "everyone", "everybody", "all", "chorus",
    "crowd", "child", "children", "man", "woman", "people",
})
# Where a generic head may be followed by an origin ("Question from Perm Territory") or
# a place in the room ("Voice from the audience", "Member of the audience").
_ORIGIN = "from"
_PLACE_PREPOSITIONS = frozenset({"of", "in", "at", "among"})
_BRACKETS = re.compile(r"\([^()]*\)")
_ARTICLES = frozenset({"a", "an", "the"})


def _singular(word: str) -> str:
    word = word.casefold()
    if word in _SPEECH_HEADS or word in _PERSON_HEADS:
        return word
    if word.endswith("ies") and word[:-3] + "y" in _SPEECH_HEADS | _PERSON_HEADS:
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


# Labels repeat ("Vladimir Putin" opens thousands of turns): each is read once.
_CACHE = 1 << 16


@lru_cache(maxsize=_CACHE)
def is_anonymous(label: str | None) -> bool:
    """Whether a label names nobody: a generic noun phrase such as "Question", "Remark",
    "Reply", "Response from the hall", "Voice from the audience", "Call centre operator",
    "Question (retranslated)".

    The phrase's head noun (its last word before "from"/"of"/"in"/...) is a word for an
    utterance or for an unnamed person, and nothing before it is capitalised but the
    first word, so no name hides in it ("Moderator Ivan Petrov" is a named moderator).
    An origin may follow ("Question from Perm Territory"), or a place in lower case
    ("Member of the audience"): "Member of the State Duma" is a role, and "Voice of
    America correspondent John Smith" a named speaker.
    """
    if not label:
        return False
    words = _BRACKETS.sub(" ", label).replace(",", " , ").split()
    while words and words[0].casefold() in _ARTICLES:
        words = words[1:]
    cut = next(
        (i for i, w in enumerate(words)
         if i and (w == "," or w.casefold() == _ORIGIN or w.casefold() in _PLACE_PREPOSITIONS)),
        len(words),
    )
    phrase, tail = words[:cut], words[cut:]
    if not phrase or not all(w[:1].islower() for w in phrase[1:]):
        return False
    if not all(c.isalpha() or c in "-’'" for w in phrase for c in w):
        return False
    head = _singular(phrase[-1])
    if tail and tail[0] == ",":
        # "Question, Moscow"; but "Panel moderator, NBC host Megyn Kelly" names someone
        tail_ok = len(tail) <= 6 and not any(
            a[:1].isupper() and b[:1].isupper() for a, b in pairwise(tail)
        )
    elif tail and tail[0].casefold() == _ORIGIN:
        tail_ok = len(tail) <= 8
    elif tail:  # "Member of the audience"; but "Voice of America ..." names a broadcaster
        tail_ok = len(tail) <= 8 and all(w[:1].islower() for w in tail)
    else:
        tail_ok = True
    return tail_ok and (head in _SPEECH_HEADS or head in _PERSON_HEADS)


# -- names and roles by the label's shape -------------------------------------------------

# Offices and titles that stand right before a personal name ("Moscow Mayor Sergei
# Sobyanin", "FIFA President Gianni Infantino", "Gazprom CEO Alexei Miller").
ROLE_WORDS = frozenset({
    "minister", "ministers", "president", "premier", "governor", "mayor", "ceo", "cfo",
    "coo", "chairman", "chairwoman", "chairperson", "chair", "aide", "adviser", "advisor",
    "assistant", "director", "head", "secretary", "speaker", "ambassador", "envoy",
    "representative", "commissioner", "ombudsman", "prosecutor", "commander", "chief",
    "officer", "manager", "executive", "chancellor", "king", "queen", "prince",
    "princess", "emir", "sultan", "sheikh", "patriarch", "metropolitan", "archbishop",
    "bishop", "archpriest", "cardinal", "mufti", "rabbi", "imam", "rector", "dean",
    "professor", "academician", "general", "colonel", "lieutenant", "major", "captain",
    "admiral", "marshal", "sergeant", "founder", "owner", "editor", "anchor", "host",
    "presenter", "moderator", "correspondent", "journalist", "senator", "deputy",
    "member", "spokesman", "spokeswoman", "spokesperson", "coordinator", "leader",
    "auditor", "inspector", "judge", "cosmonaut", "astronaut", "pilot", "mr", "mrs",
    "ms", "dr", "sir", "lord", "lady", "father", "pope", "hegumen", "abbot", "ataman",
    "treasurer", "superintendent", "mp", "mep",
})
# Institutions, places and portfolios: a run of capitalised words after one of them is a
# name ("Party General Council Sergei Neverov"), and a run ending in one is not a name at
# all ("Minister for North Caucasus Affairs", "Nizhny Novgorod Region").
INSTITUTION_WORDS = frozenset({
    "council", "committee", "commission", "board", "staff", "party", "union", "fund",
    "foundation", "association", "society", "corporation", "company", "group", "holding",
    "bank", "agency", "service", "ministry", "government", "office", "directorate",
    "department", "chamber", "court", "assembly", "duma", "parliament", "congress",
    "academy", "university", "institute", "school", "centre", "center", "club",
    "federation", "republic", "region", "territory", "district", "province", "city",
    "brigade", "army", "fleet", "forces", "navy", "plant", "factory", "railways",
    "television", "channel", "newspaper", "magazine", "theatre", "museum",
    "affairs", "relations", "development", "protection", "policy", "resources", "trade",
    "industry", "energy", "transport", "healthcare", "health", "education", "culture",
    "sport", "sports", "science", "justice", "defence", "defense", "finance", "economy",
    "agriculture", "construction", "relief", "situations", "emergencies", "communications",
    "media", "environment", "labour", "welfare", "security", "rights", "east", "west",
})
# Lower-case words that belong to names ("Abdullah bin Zayed", "Ursula von der Leyen").
PARTICLES = frozenset({
    "bin", "ibn", "bint", "al", "el", "ben", "abu", "van", "von", "der", "den", "de", "da",
    "di", "del", "della", "dos", "das", "du", "la", "le", "y", "zu", "ter", "ten",
})
# First words of two-word given names ("Abdel Fattah", "Abdul Hakeem", "Abu Bakr").
_GIVEN_NAME_HEADS = frozenset({"abdel", "abdul", "abd", "abu"})
# The small words of a title ("President of Russia", "Minister for Development").
_TITLE_WORDS = frozenset({"of", "the", "and", "for", "in", "at", "on", "to", "with"})


def _is_role_word(word: str) -> bool:
    word = word.strip(",;").casefold()
    return word in ROLE_WORDS or ("-" in word and any(p in ROLE_WORDS for p in word.split("-")))


def _is_name_word(word: str) -> bool:
    if word.casefold() in _TITLE_WORDS:  # "President OF RUSSIA"
        return False
    if any(c.isdigit() or c in "()[]" for c in word):
        return False
    head, hyphen, rest = word.partition("-")
    if hyphen and head.casefold() in PARTICLES:  # "el-Sisi", "al-Assad"
        return rest[:1].isupper()
    return word[:1].isupper()


def _unshout(name: str) -> str:
    """"DMITRY MEDVEDEV" -> "Dmitry Medvedev": a name printed in capitals is the same name."""
    words = name.split()
    if not all(w.isupper() and len(w) > 1 for w in words):
        return name
    return " ".join("-".join(p.capitalize() for p in w.split("-")) for w in words)


_ROMAN = re.compile(r"[IVX]+")


def _shouted(word: str) -> bool | None:
    """True for a word in capitals ("MEDVEDEV", "OPCW"), None where it cannot tell
    (an initial, a roman numeral, a particle)."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2 or _ROMAN.fullmatch(word) or word.casefold() in PARTICLES:
        return None
    return all(c.isupper() for c in letters)


def _homogeneous(run: list[str]) -> list[str]:
    """The run's right end in one case: "JSC AEM-technology ATOMMASH" is an organisation,
    not a name, while "OPCW Hamid Ali Rao" ends in one."""
    shouted = [_shouted(w) for w in run]
    last = next((x for x in reversed(shouted) if x is not None), None)
    k = len(run)
    while k > 0 and shouted[k - 1] in (None, last):
        k -= 1
    return run[k:]


def _last_name(run: list[str]) -> list[str]:
    """The personal name closing a run of capitalised words after a title's small word
    ("Russia Vladimir Putin"): a given name and a surname, with their particles
    ("Saudi Arabia Mohammad bin Salman Al Saud", "Austria Alexander Van der Bellen")."""
    k = len(run) - 1
    while k > 1 and run[k - 1].casefold() in PARTICLES:
        k -= 1
    k -= 1
    while k > 1 and run[k - 1].casefold() in PARTICLES:
        k -= 2
    if k > 0 and run[k - 1].casefold() in _GIVEN_NAME_HEADS:
        k -= 1  # "Abdel Fattah el-Sisi": a given name in two words
    return run[max(k, 0):]


def _tail_name(words: list[str]) -> tuple[str, str] | None:
    """(name, role) for a role followed by a personal name, without commas."""
    i = len(words)
    run: list[str] = []
    stop = ""
    while i > 0:
        w = words[i - 1]
        if run and _is_role_word(w):
            stop = "role"
            break
        if run and w.casefold() in INSTITUTION_WORDS:
            stop = "institution"  # its own name may come first: "Corporation Roscosmos"
            break
        if _is_name_word(w) or (run and w.casefold() in PARTICLES):
            run.insert(0, w)
            i -= 1
            continue
        stop = "title" if w.casefold() in _TITLE_WORDS else "other"
        break
    cut = _homogeneous(run)
    if len(cut) < len(run):
        if sum(_shouted(w) is not None for w in cut) < 2:
            return None  # "Kirill Kle Y MENOV": a garbled name, not a role and a name
        i, run, stop = i + len(run) - len(cut), cut, "other"
    while run and run[0][:1].islower():  # "of de Gaulle": the particle goes with the role
        run.pop(0)
        i += 1
    if run and run[-1].casefold() in INSTITUTION_WORDS:
        return None  # "Nizhny Novgorod Region": a place, not a name
    if i == 0 or len(run) < 2:
        return None  # the whole label is a name, or the word after the role is one word
    if stop == "institution" and len(run) >= 3:
        run = _last_name(run)
        i = len(words) - len(run)
    elif stop == "title":
        if len(run) < 3:
            return None  # "Minister of Economic Development": an office, no name
        run = _last_name(run)
        i = len(words) - len(run)
    role = " ".join(words[:i]).strip(" ,;–—-")
    return _unshout(" ".join(run)), role


@lru_cache(maxsize=_CACHE)
def name_and_role(label: str) -> tuple[str, str] | None:
    """(name, role) by the label's shape alone, or None when it shows no role + name.

    "Finance Minister Anton Siluanov", "Moscow Mayor Sergei Sobyanin": the name is the
    capitalised words after the last office word. "President of Russia Vladimir Putin":
    after a title's small word ("of") the office's own words come first, so the name is
    the last two words (with particles: "Mohammad bin Salman Al Saud"). "Alisa Shmelyova,
    metrology engineer", "Alexei Kudrin, Chairman of the Accounts Chamber": a name before
    a comma, the description after it.
    """
    text = label.strip()
    aside = ""
    if m := re.fullmatch(r"(.*?)\s*(\([^()]*\))", text):  # "... Al Shino (Bahrain)"
        text, aside = m.group(1), m.group(2)
        if aside[1:2].islower():
            aside = ""  # a note on delivery ("retranslated"), not part of the role
    parts = [p.split() for p in text.split(",")]
    parts = [p for p in parts if p]
    if not parts:
        return None
    if len(parts) == 1 and aside and _is_bare_name(parts[0]):
        return " ".join(parts[0]), aside  # "Jason Karim (Barak UK Limited)"
    if len(parts) > 1 and _is_bare_name(parts[0]):
        name, role = " ".join(parts[0]), ", ".join(" ".join(p) for p in parts[1:])
    elif hit := _tail_name(parts[-1]):
        name, role = hit
        role = ", ".join(x for x in (", ".join(" ".join(p) for p in parts[:-1]), role) if x)
    elif len(parts) > 1 and _is_bare_name(parts[-1]):  # "Lipetsk, Yevgeny Zaitsev"
        name, role = " ".join(parts[-1]), ", ".join(" ".join(p) for p in parts[:-1])
    elif len(parts) > 1 and (hit := _tail_name(parts[0])) and not any(
        _tail_name(p) for p in parts[1:]
    ):
        name, role = hit
        role = ", ".join(x for x in (role, *(" ".join(p) for p in parts[1:])) if x)
    else:
        return None
    return name, " ".join(x for x in (role, aside) if x)


def _is_bare_name(words: list[str]) -> bool:
    """"Natalya Yuryeva": two or more name words, none of them an office or institution."""
    return len(words) >= 2 and all(
        (_is_name_word(w) or w in PARTICLES)
        and not _is_role_word(w)
        and w.casefold() not in INSTITUTION_WORDS
        for w in words
    )


def names_someone(label: str) -> bool:
    """Whether the label holds a personal name by its shape ("Dmitry Peskov", "Finance
    Minister Anton Siluanov"), as opposed to a heading ("Youth 2030")."""
    return name_and_role(label) is not None or _is_bare_name(label.split())


@lru_cache(maxsize=_CACHE)
def is_role_only(label: str) -> bool:
    """Whether a label is an office with no name: "Interior Minister", "Minister of
    Economic Development", "President of Russia" (but not "King Abdullah II of Jordan",
    whose words before "of" end in a name)."""
    words = _BRACKETS.sub(" ", label).replace(",", " ").split()
    if not words or name_and_role(label):
        return False
    if _is_role_word(words[-1]):
        return True
    first_small = next((i for i, w in enumerate(words) if w in _TITLE_WORDS), None)
    return first_small is not None and first_small > 0 and _is_role_word(words[first_small - 1])


# -- evidence from the page and the corpus ------------------------------------------------


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
    name, comma, description = label.partition(",")
    if comma and _norm(_name_part(name)) in names:  # "ANDERSON COOPER, CNN ANCHOR"
        return names[_norm(_name_part(name))], " ".join(description.split())
    words = label.split()
    for k in range(len(words)):  # longest suffix first
        suffix = " ".join(words[k:]).casefold()
        if suffix in names:
            role = " ".join(words[:k]).rstrip(",;").strip()
            return names[suffix], role
    return None


def _named(label: str) -> bool:
    """Labels that can be evidence of a name: not anonymous, not a bare office."""
    return not is_anonymous(label) and not is_role_only(label)


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
    labels = {
        _norm(u.label): " ".join(u.label.split())
        for u in t.utterances
        if u.label and _named(u.label)
    }
    for tag in t.persons:
        for name in person_names(tag):
            key = _norm(name)
            if any(lab == key or lab.endswith(" " + key) for lab in labels):
                _put(names, key, name)
    for key, label in labels.items():
        if any(other.endswith(" " + key) for other in labels if other != key):
            _put(names, key, label)
    # "JANE SMITH (D), U.S. SENATOR": a name before a comma counts even when the whole
    # label does not read as one.
    commas = [u.label for u in t.utterances if u.label and "," in u.label]
    named = labels | {_norm(label): " ".join(label.split()) for label in commas}
    names.update(_surname_references(named))
    return names


def _name_part(label: str) -> str:
    """The name in "JANE SMITH (D), U.S. SENATOR": before the comma, without the party."""
    return re.sub(r"\s*\([^()]*\)", "", label.split(",")[0]).strip()


def _surname_references(labels: dict[str, str]) -> dict[str, str]:
    """"ANDERSON COOPER, CNN ANCHOR" then "COOPER": the surname alone is the same person.

    Only a one-word label that ends the name (the part before a comma) of exactly one
    longer label of two to four capitalised words counts; the full name is then the
    name for both.
    """
    full: dict[str, list[str]] = {}
    for label in labels.values():
        name = _name_part(label)
        words = name.split()
        if 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words):
            full.setdefault(words[-1].casefold(), []).append(name)
    found: dict[str, str] = {}
    for key in labels:
        names = set(full.get(key, []))
        if " " not in key and len(names) == 1:
            name = names.pop()
            found[key] = found[_norm(name)] = name
    return found


def _put(names: dict[str, str], key: str, spelling: str) -> None:
    """Page evidence wins, except that a shouted spelling never replaces an ordinary one."""
    if key not in names or not _shouts(spelling) or _shouts(names[key]):
        names[key] = spelling


_TRAILING_NOTE = re.compile(r"\s*\([a-z][^()]*\)\s*$")


def _read_label(label: str, names: dict[str, str]) -> tuple[str | None, str] | None:
    """(name, role); name None for an anonymous turn; None for an office with no name."""
    if is_anonymous(label):
        return None, ""
    label = _TRAILING_NOTE.sub("", label)  # "Vladimir Putin (retranslated)" from markup
    hit = _split(label, names) or name_and_role(label)
    if hit:
        return hit
    if is_role_only(label):
        return None
    return " ".join(label.split()), ""


def resolve_speakers(t: Transcript, known_names: Iterable[str] = frozenset()) -> None:
    """Fill ``speaker`` and ``role`` of every labelled utterance in place."""
    names = _candidates(t, known_names)
    read = {u.label: _read_label(u.label, names) for u in t.utterances if u.label}
    # A bare name inherits the role its long label gave it earlier on the same page.
    roles: dict[str, str] = {}
    for got in read.values():
        name, role = got or (None, "")
        if name and role:
            roles.setdefault(name, role)
    holders: dict[str, str] = {}  # office as printed (normalised) -> who held it so far
    for u in t.utterances:
        if u.speaker_id and u.speaker:  # the file names the person: the reader's name stands
            u.role = u.source_role or u.role
            continue
        if not u.label:
            u.speaker, u.role = None, ""
            continue
        got = read[u.label]
        if got is None:
            office = " ".join(_BRACKETS.sub(" ", u.label).split())
            u.speaker, u.role = holders.get(_norm(office), office), u.source_role or office
            continue
        name, role = got
        label_role = role or (roles.get(name, "") if name else "")
        u.speaker, u.role = name, u.source_role or label_role
        if name and u.role:
            holders[_norm(u.role)] = name


def learn_names(t: Transcript) -> set[str]:
    """Names this page establishes (by a shorter label or a Persons tag), for later pages."""
    names = _candidates(t, ())
    learned: set[str] = set()
    for u in t.utterances:
        if u.label and _named(u.label):
            hit = _split(u.label, names)
            if hit:
                learned.add(hit[0])
    return learned
