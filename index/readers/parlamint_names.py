"""Speakers' names in a ParlaMint sitting when the corpus's person list is not at hand.

A sitting names each speaker by a person id (``<u who="#JanSkopecek.1980">``) and most
corpora print a note before the speech ("Poslanec Jan Skopeček"). The id is what stays
the same for one person across the sitting and across sittings, so the name is made
from the id, and the notes only lend it what the id cannot spell:

* An id that spells a name (``JanSkopecek.1980``, ``АрсенійПетровичЯценюк.1974``,
  ``PeterFowler``): the birth year dropped, camel case split ("Jan Skopecek"), and the
  spelling of a note of that id taken where its words fold to the id's ("Poslanec Lukáš
  Kolářík" and ``LukasKolarik.1984`` give "Lukáš Kolářík"): ids are ASCII-folded and
  drop apostrophes, notes are not. A note in capitals ("KIRILENKO V.A.") lends letters
  but never its case.
* An id that does not (``PAD_88386``, ``PA606171``: digits beyond a trailing year): the
  name printed in that id's notes ("Präsident Mag. Wolfgang Sobotka" -> "Wolfgang
  Sobotka"), read by shape, since titles differ in every language: the name is the run
  of capitalised words ending the note, stopping at an abbreviation ("Mag.", "M."), a
  word in capitals ("PSP"), or an office from a short multilingual list ("Poslanec",
  "Präsident", "Mme"); a bracket is a party or an aside ("(SPÖ)") unless nothing outside
  it is a name.
* Else the bare id: a number names nobody, but it is one person all the same.

Every utterance of one id gets the one name (``id_name`` sees all that id's notes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from transcripts.index.schema import fold

# Offices and forms of address printed before a name, in the languages of ParlaMint's
# parliaments (folded: lower case, no accents). Capitalised ones matter most: a
# lower-case word stops a name anyway.
_ROLE_WORDS_AS_WRITTEN = """
    präsident präsidentin vizepräsident vizepräsidentin abgeordneter abgeordnete
    bundesminister bundesministerin minister ministerin staatssekretär staatssekretärin
    bundeskanzler bundeskanzlerin vizekanzler vizekanzlerin berichterstatter
    berichterstatterin volksanwalt volksanwältin klubobmann klubobfrau mitglied
    vorsitzender vorsitzende bundesrat bundesrätin abg
    poslanec poslankyně poslankyňa místopředseda místopředsedkyně předseda předsedkyně
    predseda predsedníčka podpredseda ministr ministryně ministerka senátor senátorka
    náměstek
    poseł posłanka marszałek wicemarszałek senator sekretarz prezes
    poslanka predsednik predsednica podpredsednik podpredsednica ministrica
    zastupnik zastupnica predsjednik predsjednica potpredsjednik potpredsjednica ministar
    poslanik poslanica predsednik
    président présidente vice-président vice-présidente ministre député députée
    sénateur sénatrice rapporteur rapporteure secrétaire m mme mmes mm mlle monsieur
    madame
    señor señora presidente presidenta vicepresidente vicepresidenta ministro ministra
    diputado diputada senador senadora consejero consejera senyor senyora president
    presidenta conseller consellera diputat diputada
    onorevole deputato deputata senatore senatrice sottosegretario
    deputado senhor senhora secretário
    voorzitter staatssecretaris kamerlid heer mevrouw
    formand formanden ministeren talman talmannen statsråd statsrådet representant
    forseti ráðherra puhemies ministeri edustaja esimees
    priekšsēdētājs priekšsēdētāja deputāts deputāte ministrs pirmininkas pirmininkė
    ministras narys
    elnök miniszter képviselő államtitkár
    başkan bakan milletvekili
    president speaker chair chairman chairwoman chairperson member deputy mr mrs ms miss
    dr sir lord lady baroness viscount earl secretary representative mp mep
    голова головуючий головуюча депутат міністр председатель председательствующий
    министр председател министър
    πρόεδρος βουλευτής υπουργός
"""
ROLE_WORDS = frozenset(fold(w) for w in _ROLE_WORDS_AS_WRITTEN.split())
# Lower-case words inside a name ("Ursula von der Leyen", "Marielle de Sarnez").
_PARTICLES_AS_WRITTEN = "von van der den de da di del della des du la le ten ter zu y bin ibn al"
PARTICLES = frozenset([*_PARTICLES_AS_WRITTEN.split(), "el", "dos", "das"])
_YEAR = re.compile(r"\.\d{4}(?:\.\d+)?$")  # "JanSkopecek.1980": the birth year
_ID_PARTS = re.compile(r"[._\s]+")
_BRACKETS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_EDGE_PUNCTUATION = ",;:.!?\"'„“”«»"


def key(text: str) -> str:
    """The letters and digits of ``text`` folded: what an id keeps of a name."""
    return "".join(c for c in fold(text) if c.isalnum())


def spells_name(person_id: str) -> bool:
    """Whether an id is a name written out (no digits once the birth year is gone)."""
    base = _YEAR.sub("", person_id.lstrip("#"))
    return any(c.isalpha() for c in base) and not any(c.isdigit() for c in base)


def id_words(person_id: str) -> list[str]:
    """"JanSkopecek.1980" -> ["Jan", "Skopecek"]; "Novák.Jan" -> ["Novák", "Jan"]."""
    base = _YEAR.sub("", person_id.lstrip("#"))
    words: list[str] = []
    for part in _ID_PARTS.split(base):
        start = 0
        for i in range(1, len(part)):
            if part[i].isupper() and part[i - 1].islower():
                words.append(part[start:i])
                start = i
        if part[start:]:
            words.append(part[start:])
    return words


def readable_id(person_id: str) -> str:
    """"PeterFowler" -> "Peter Fowler"; an id that spells no name stays as it is."""
    bare = person_id.lstrip("#")
    return " ".join(id_words(bare)) if spells_name(bare) else bare


def _shouted(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


def _recased(word: str, model: str) -> str:
    """A word printed in capitals in the case of the id's spelling of it ("SKOPEČEK",
    "Skopecek" -> "Skopeček"); capitalised when the two do not line up letter by letter."""
    if not _shouted(word):
        return word
    if len(word) == len(model) and fold(word) == fold(model):
        pairs = zip(word, model, strict=True)
        return "".join(w.upper() if m.isupper() else w.lower() for w, m in pairs)
    return "-".join(part.capitalize() for part in word.split("-"))


def _note_tokens(note: str) -> list[str]:
    tokens = (t.strip(_EDGE_PUNCTUATION + "()[]") for t in note.split())
    return [t for t in tokens if t]


def id_name(person_id: str, notes: Iterable[str]) -> str:
    """The name of a person known only by id and the notes printed before their speeches."""
    bare = person_id.lstrip("#")
    notes = list(notes)
    if not spells_name(bare):
        return best_note_name(notes) or bare
    words = id_words(bare)
    whole = key("".join(words))
    # A run of a note's words spelling the whole id: its spelling, spaces and hyphens
    # ("Ronald McDonald" for RonaldMcDonald, "В’ячеслав" for Вячеслав).
    for note in notes:
        tokens = _note_tokens(note)
        for i in range(len(tokens)):
            for j in range(i + 1, len(tokens) + 1):
                if key("".join(tokens[i:j])) == whole:
                    run = tokens[i:j]
                    return " ".join(_recased(t, _model(t, words)) for t in run)
    # Else word by word, in the id's order ("KIRILENKO V.A." lends "Kirilenko" nothing).
    spelled = {key(t): t for note in notes for t in _note_tokens(note) if not _shouted(t)}
    shouted = {key(t): t for note in notes for t in _note_tokens(note) if _shouted(t)}
    out = []
    for w in words:
        k = key(w)
        out.append(spelled.get(k) or (_recased(shouted[k], w) if k in shouted else w))
    return " ".join(out)


def _model(token: str, words: list[str]) -> str:
    """The id's word that a note's word stands for (for its case), else the word."""
    k = key(token)
    return next((w for w in words if key(w) == k), token)


def _is_role_word(word: str) -> bool:
    w = fold(word.strip(_EDGE_PUNCTUATION))
    return w in ROLE_WORDS or ("-" in w and any(p in ROLE_WORDS for p in w.split("-")))


def _is_name_word(word: str) -> bool:
    return (
        word[:1].isupper()
        and not word.endswith(".")
        and not _shouted(word)
        and not any(c.isdigit() for c in word)
        and all(c.isalpha() or c in "-'’" for c in word)
        and not _is_role_word(word)
    )


def _trailing_name(words: list[str]) -> list[str]:
    """The run of name words ending ``words``, particles inside it kept."""
    run: list[str] = []
    for w in reversed(words):
        if _is_name_word(w) or (run and w in PARTICLES):
            run.insert(0, w)
        else:
            break
    while run and run[0] in PARTICLES:
        run.pop(0)
    return run


def name_in_note(note: str) -> str:
    """The personal name a printed speaker note ends with, "" when it shows none.

    "Präsident Mag. Wolfgang Sobotka" -> "Wolfgang Sobotka"; "Abgeordneter Mag. Jörg
    Leichtfried (SPÖ):" -> "Jörg Leichtfried"; "M. Richard Ferrand" -> "Richard
    Ferrand"; "La señora MINISTRA (Montero Cuadrado)" -> "Montero Cuadrado";
    "ГОЛОВУЮЧИЙ." -> "".
    """
    text = note.strip().rstrip(":").strip()
    outside = _BRACKETS.sub(" ", text)
    inside = [a or b for a, b in _BRACKETS.findall(text)]
    best: list[str] = []
    for part in [*outside.split(","), *inside]:
        run = _trailing_name(part.strip().strip(_EDGE_PUNCTUATION).split())
        if len(run) > len(best) and (len(run) > 1 or not best):
            best = run
        if len(best) > 1:
            break
    return " ".join(best)


def best_note_name(notes: Iterable[str]) -> str:
    """The fullest name found in any of the notes (the first of the fullest)."""
    best = ""
    for note in notes:
        name = name_in_note(note)
        if len(name.split()) > len(best.split()):
            best = name
    return best
