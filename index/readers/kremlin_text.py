"""The "Text version" of an en.kremlin.ru event page: one paragraph a line, no markup.

Layout (see ``render_text`` for the writing side)::

    Events
    <title>
    <lead>                          optional
    <Month D, YYYY>                 missing on announcements
    <HH:MM>                         optional
    <place>                         optional, only after a time
    <k> of <n> / <photo caption>    optional
    <body>
    Geography / Topics / Persons    heading lines, one value a line after each
    Publication status
    Published in section(s): A, B
    Publication date: <Month D, YYYY, HH:MM>
    Text version

Without markup the body's speaker labels have to be recognised by their look: see
``split_label``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TypedDict

from transcripts.index.model import Transcript, parse_long_date
from transcripts.index.readers.base import (
    MAX_NOTE_WORDS,
    ReadError,
    build_utterances,
    decode_bytes,
    finish,
    kremlin_url,
)
from transcripts.index.speakers import is_anonymous, is_role_only, names_someone

CATEGORY = "Events"
TAG_HEADINGS = ("Geography", "Topics", "Persons")
STATUS = "Publication status"
SEE_ALSO = "See also"
# Headings of the boxes of links the site sets beside the text ("See also", "Additional"),
# each followed by (title, date) pairs; a heading other than "See also" counts only over
# such a pair, since "Video" alone may be a line of text.
BOX_HEADINGS = frozenset({SEE_ALSO, "Additional", "Photo album", "Photos", "Video", "Videos"})
STARS = "* * *"

_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]
_MONTH = "(?:" + "|".join(_MONTH_NAMES) + ")"
_DATE_LINE = re.compile(_MONTH + r" \d{1,2}, \d{4}")
# Dates in "See also" boxes may be ranges: "November 7 − 16, 2001".
_LINK_DATE_LINE = re.compile(_MONTH + r" \d{1,2}\b.{0,30}\d{4}")
_TIME_LINE = re.compile(r"\d{1,2}:\d{2}")
_SLIDE_LINE = re.compile(r"\d+ of \d+")
# Only the spaced form separates; "***" is printed inside the text and kept there.
_STARS_LINE = re.compile(r"\*(?:\s+\*){2}")
_SECTIONS = re.compile(r"Published in sections?:\s*(.*)")
_PUBLISHED = re.compile(r"Publication date:\s*(.*)")

# "Label: words" / "Label (note): words": the colon must end a word (not "12:00").
_LABEL_LINE = re.compile(r"(?P<head>[^:]{1,300}?)\s*:(?:\s+(?P<rest>.*)|$)")
_NOTE = re.compile(r"(?P<label>.*?)\s*\((?P<note>[^()]*)\)$")
_WORD = re.compile(r"[^\W\d_]+(?:[-’'][^\W\d_]+)*")
# A full stop after a lower-case word ends a sentence; after an initial ("Z.") it does not.
_SENTENCE_STOP = re.compile(r"[a-z]{2}\.(?:\s|$)")
_SENTENCE_MARKS = set("?!;\"“”«»")
# English words that make a run of words a sentence rather than a name with a role:
# auxiliaries, common (irregular) verbs, pronouns, "this"/"that".
_SENTENCE_WORDS = frozenset({
    "is", "are", "was", "were", "be", "been", "being", "will", "would", "shall",
    "should", "can", "could", "may", "might", "must", "has", "have", "had", "do",
    "does", "did", "said", "says", "say", "reads", "read", "told", "tells", "asked",
    "noted", "added", "he", "she", "it", "we", "they", "you", "his", "her", "its",
    "our", "their", "them", "us", "which", "that", "who", "whom", "whose", "this",
    "these", "those", "following", "also", "not", "there", "here", "took", "made",
    "met", "held", "gave", "sent", "came", "went", "spoke", "became", "began",
    "brought", "led", "paid", "saw", "got", "found", "thought", "knew", "wrote", "won",
})
# One-word heads of an enumeration or a transition ("Second: the budget ..."): never a
# speaker, though capitalised like a name.
_ENUMERATORS = frozenset({
    "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth",
    "Tenth", "Firstly", "Secondly", "Thirdly", "Finally", "Lastly", "Next", "Then", "Now",
    "Besides", "Moreover", "However", "Therefore", "Thus", "Again",
})
# Words that open a sentence, never a name or a role ("As regards ...: ", "For example,
# ...: ").
_SENTENCE_OPENERS = frozenset({
    "As", "For", "In", "On", "At", "When", "If", "After", "Before", "Since", "While",
    "Although", "Though", "Because", "Unlike", "According", "Regarding", "Concerning",
    "During", "Despite", "Also", "And", "But", "Or", "So", "Yet", "Here", "There", "This",
    "That", "These", "Those", "It", "We", "They", "He", "She", "I", "You",
})
# One-word heads of a form's fields ("Deadline: April 15, 2018.", "Venue: ...",
# "Email: ..."), printed on lists of instructions and notes for the media: never speakers.
_FIELD_WORDS = frozenset({
    "Deadline", "Deadlines", "Note", "Notes", "Photo", "Photos", "Source", "Reference",
    "Background", "Update", "Venue", "Date", "Dates", "Time", "Address", "Agenda",
    "Programme", "Program", "Contacts", "Contact", "Phone", "Telephone", "Tel", "Email",
    "E-mail", "Fax", "Website", "Accreditation", "Location", "Subject", "Theme", "Topic",
    "Attention", "Excerpts", "Excerpt", "Translation", "Summary", "Documents", "Results",
    "Caption", "Format", "Schedule", "Information", "Responsible", "Executor", "Report",
})
# First words of a document's or an event's heading ("Text of the Executive Order: ...",
# "Speeches at the opening of the Imperial Capitals: St Petersburg – Vienna").
_HEADING_NOUNS = frozenset({
    "Text", "Excerpts", "Excerpt", "Transcript", "Speech", "Speeches", "Extract", "Extracts",
})
# A quotation read out ("Perm Territory: “Why are ...?”") rather than a turn's first words.
_OPENING_QUOTES = ("“", "«", "„", '"')
# A personal name and nothing else: the rest of a list line "Minister of Defence: Sergei
# Shoigu." (a list of appointments, not a turn).
_BARE_NAME = re.compile(r"[A-Z][\w’'-]*\.?(?: (?:[a-z]{1,3} )?[A-Z][\w’'-]*\.?){1,3}")
_SENTENCE_END = (".", "!", "?", "…", ":", ";", "”", "\"", "»", ">")
_MAX_LABEL_WORDS = 40
_MAX_DESCRIPTION_WORDS = 12
# Words after which an "-ed" word is a verb ("signed by", "handed over").
_FUNCTION_WORDS = frozenset({
    "by", "with", "from", "into", "onto", "over", "about", "upon", "through", "after",
    "before", "during", "under", "against", "between", "without", "within", "towards",
})
# Words a role or name may carry in lower case ("Minister of Health", "Abdullah bin Zayed").
_LOWER_OK = {
    "of", "the", "and", "for", "in", "at", "on", "to", "with", "de", "da", "del", "der",
    "van", "von", "bin", "ibn", "al", "el", "la", "le", "du", "y",
}


def _is_note(text: str) -> bool:
    """A bracketed remark about delivery ("retranslated"), not part of the name ("(ENI)")."""
    text = text.strip()
    return bool(text) and (text[0].islower() or text.endswith("."))


def split_label(line: str, seen: set[str]) -> tuple[str, str, str] | None:
    """(label, note, rest) when ``line`` opens a speaker turn, else None.

    A label is a name with an optional role in front: a short run of words ending in a
    capitalised word, with no sentence punctuation, followed by the spoken words (which
    do not start in lower case). "The answer is simple: ..." ends in a lower-case word and
    is a sentence, not a turn. An unnamed speaker may be printed in lower case ("Response
    from the hall"). What follows the colon must read as speech: not a bare date (a
    form's field), not a title's capitalised second half, not a quotation read out, not
    the name filling an office in a list. A label already used on the same page is
    trusted as is.
    """
    m = _LABEL_LINE.fullmatch(line)
    if not m:
        return None
    head, rest = m.group("head").strip(), (m.group("rest") or "").strip()
    label, note = head, ""
    n = _NOTE.fullmatch(head)
    if n and _is_note(n.group("note")) and n.group("label"):
        label, note = n.group("label").strip(), n.group("note").strip()
        if len(note.split()) > MAX_NOTE_WORDS:
            # "Vladimir Putin (answering Alexei Machnev, Speaker of ...)": an editor's
            # account of who is answered, narrative rather than a label.
            return None
    if label in seen:
        return label, note, rest
    if rest[:1].islower():
        return None
    if _is_anonymous_label(label):  # "Response from the hall", "Call centre operator"
        return label, note, rest
    if not _looks_like_label(label):
        return None
    if _DATE_LINE.match(rest) and len(rest) <= 40:
        return None  # a field of a form: "Deadline: July 15, 2018"
    if _is_title(rest) and not names_someone(label):
        return None  # a title and its subtitle: "Youth 2030: The Image of the Future"
    if rest.startswith(_OPENING_QUOTES):
        return None  # a quotation read out: "Germany: “This is a matter of ...”"
    if is_role_only(label) and _BARE_NAME.fullmatch(rest):
        return None  # a list of appointments: "Minister of Defence: Sergei Shoigu."
    return label, note, rest


# Words that make "<word> ... question" a sentence about a question ("Here is my
# question", "And the second question", "Another question") rather than a label.
_NOT_A_LABEL_START = _SENTENCE_OPENERS | _ENUMERATORS | {
    "The", "A", "An", "My", "Our", "Your", "His", "Her", "Their", "Another", "One", "Last",
    "Final", "Second", "Third", "Next", "Now", "Here", "There", "Just", "Only",
}


def _is_anonymous_label(label: str) -> bool:
    """An unnamed speaker's label in lower case ("Response from the hall"), which
    ``_looks_like_label`` would take for a sentence: a short generic noun phrase."""
    words = _WORD.findall(label)
    return (
        0 < len(words) <= 6
        and words[0] not in _NOT_A_LABEL_START
        and not _has_sentence_word(words)
        and is_anonymous(label)
    )


def _looks_like_label(label: str) -> bool:
    if _SENTENCE_MARKS & set(label) or _SENTENCE_STOP.search(label):
        return False
    if label.endswith((",", "-", "–", "—")) or len(label.split()) > _MAX_LABEL_WORDS:
        return False
    if not label[:1].isalpha():
        return False  # "(Addressing the Minister)": a stage direction
    first = label.split()[0]
    if label in _ENUMERATORS or label in _FIELD_WORDS:
        return False
    if first in _SENTENCE_OPENERS or first in _HEADING_NOUNS:
        return False
    name, comma, description = label.partition(",")
    if comma and _is_name(name) and _is_description(description):
        # "Dmitry Kucheryavin, manual arc welding technician", "Dmitry, Moscow";
        # but "Finally, one last question" is a sentence.
        return len(name.split()) > 1 or _is_name(description)
    return _is_name(label)


def _is_title(text: str) -> bool:
    """Capitalised words with no closing punctuation: a title's second half, not speech
    (which ends its paragraph with a full stop or a question mark)."""
    if not text or text.endswith(_SENTENCE_END) or text.endswith((")", ",")):
        return False
    words = _WORD.findall(text)
    return len(words) >= 2 and _mostly_capitalised(words)


def _is_description(text: str) -> bool:
    words = _WORD.findall(text)
    return 0 < len(words) <= _MAX_DESCRIPTION_WORDS and not _has_sentence_word(words)


def _has_sentence_word(words: list[str]) -> bool:
    """A verb or pronoun among the words. A word in "-ed" is a verb ("signed", "noted")
    unless a lower-case noun follows it, as an adjective ("honoured archivist")."""
    for i, word in enumerate(words):
        if word == "I" or (word[0].islower() and word in _SENTENCE_WORDS):
            return True
        if word[0].islower() and len(word) > 4 and word.endswith("ed") and "-" not in word:
            following = words[i + 1] if i + 1 < len(words) else ""
            if not (following[:1].islower() and len(following) > 3
                    and following not in _SENTENCE_WORDS and following not in _FUNCTION_WORDS):
                return True
    return False


def _is_name(text: str) -> bool:
    """A name, with its role in front: capitalised words, ending in a capitalised one."""
    words = _WORD.findall(text)
    if not words or not any(part[:1].isupper() for part in words[-1].split("-")):
        return False  # "Bashar al-Assad" and "Nailya Asker-zade" both end in a name
    return len(words) == 1 or _mostly_capitalised(words)


def _mostly_capitalised(words: list[str]) -> bool:
    """Names, roles and places are capitalised but for small words ("Minister of Health")
    and the odd description ("programme host"); a sentence has verbs and pronouns."""
    if _has_sentence_word(words) or any(w in ("a", "an") for w in words):
        return False  # articles are allowed only in a description after a comma
    lower = [w for w in words if w[0].islower() and w.casefold() not in _LOWER_OK]
    return len(lower) * 2 <= len(words)


def _iso(date_line: str) -> str:
    d = parse_long_date(date_line)
    return d.isoformat() if d else ""


def _is_tag_value(line: str) -> bool:
    return 0 < len(line) <= 120 and not line.endswith((".", "?", "!", ":")) and line[0] != "<"


def _read_tags(lines: list[str], end: int) -> tuple[dict[str, list[str]], int]:
    """Tag lists just above ``end``; returns them and where they start."""
    tags: dict[str, list[str]] = {}
    pending: list[str] = []
    start = end
    order = len(TAG_HEADINGS)
    for j in range(end - 1, -1, -1):
        line = lines[j]
        if line in TAG_HEADINGS and TAG_HEADINGS.index(line) < order:
            order = TAG_HEADINGS.index(line)
            tags[line] = pending[::-1]
            pending = []
            start = j
            if order == 0:
                break
        elif _is_tag_value(line):
            pending.append(line)
        else:
            break
    return tags, start


def _read_footer(lines: list[str], status: int) -> tuple[list[str], str]:
    sections: list[str] = []
    published = ""
    for line in lines[status + 1 :]:
        if m := _SECTIONS.fullmatch(line):
            sections = [s.strip() for s in m.group(1).split(",") if s.strip()]
        elif m := _PUBLISHED.fullmatch(line):
            published = m.group(1).strip()
    return sections, published


def _is_place(line: str) -> bool:
    """The optional place line after the time: a short name, not a sentence or a label."""
    if len(line) > 80 or _SLIDE_LINE.fullmatch(line) or _STARS_LINE.fullmatch(line):
        return False
    if line in BOX_HEADINGS or ": " in line or line.endswith(":"):
        return False
    if _SENTENCE_MARKS & set(line) or line.endswith(","):
        return False
    words = _WORD.findall(line)
    if not words or not words[0][0].isupper():
        return False
    if line.endswith("."):  # "Bangkok." is a place; "Mr Putin met Mr Modi." is not
        return not any(w[0].islower() and w.casefold() not in _LOWER_OK for w in words)
    return _mostly_capitalised(words)


def _is_body_marker(line: str) -> bool:
    return bool(
        _SLIDE_LINE.fullmatch(line) or _STARS_LINE.fullmatch(line) or line == SEE_ALSO
    )


class _Header(TypedDict):
    lead: str
    date: str
    time: str
    place: str


def _read_header(lines: list[str], end: int) -> tuple[_Header, int]:
    """Lead, date, time and place after the title (line 1); returns them and the body start."""
    head: _Header = {"lead": "", "date": "", "time": "", "place": ""}
    i = 2
    date_at = None
    for j in range(i, min(end, i + 4)):
        if _DATE_LINE.fullmatch(lines[j]):
            date_at = j
            break
        if _is_body_marker(lines[j]):
            break
    if date_at is None:
        # An announcement: the lead cannot be told from a first paragraph; take the line.
        if i < end and not _is_body_marker(lines[i]) and not split_label(lines[i], set()):
            head["lead"] = lines[i]
            i += 1
        return head, i
    head["lead"] = " ".join(lines[i:date_at])
    head["date"] = _iso(lines[date_at])
    i = date_at + 1
    if i < end and _TIME_LINE.fullmatch(lines[i]):
        head["time"] = lines[i]
        i += 1
        if i < end and _is_place(lines[i]):
            head["place"] = lines[i]
            i += 1
    return head, i


def _continues(previous: str, line: str) -> bool:
    """A paragraph broken over lines: the break falls mid-sentence, before a lower-case word."""
    return bool(previous) and line[:1].islower() and (previous[-1].isalnum() or previous[-1] == ",")


def _is_list_entry(line: str) -> bool:
    """"Minister of Defence: Sergei Shoigu.": an office and the name that fills it."""
    if ": " not in line:
        return False
    m = _LABEL_LINE.fullmatch(line)
    return bool(m and m.group("rest") and _BARE_NAME.fullmatch(m.group("rest").strip()))


def _in_list(lines: list[str], i: int, start: int, end: int) -> bool:
    """Line ``i`` and a neighbour are both list entries ("Office: Given Surname.")."""
    return _is_list_entry(lines[i]) and (
        (i > start and _is_list_entry(lines[i - 1]))
        or (i + 1 < end and _is_list_entry(lines[i + 1]))
    )


def _read_body(lines: list[str], start: int, end: int) -> list[tuple[str | None, str, list[str]]]:
    blocks: list[tuple[str | None, str, list[str]]] = []
    current: list[str] | None = None
    seen: set[str] = set()
    i = start
    while i < end:
        line = lines[i]
        i += 1
        if _SLIDE_LINE.fullmatch(line):
            i += 1  # the photo's caption, and its date where one is printed
            if i < end and _LINK_DATE_LINE.fullmatch(lines[i]):
                i += 1
            continue
        if _STARS_LINE.fullmatch(line):
            current = None
            continue
        if line == SEE_ALSO or (
            line in BOX_HEADINGS and i + 1 < end and _LINK_DATE_LINE.fullmatch(lines[i + 1])
        ):
            i = _skip_box(lines, i, end)
            continue
        if i < end and _LINK_DATE_LINE.fullmatch(lines[i]):
            # A line over a date is a link's or a photo album's title ("Some title: its
            # subtitle" / "March 5, 2020"), even without a heading: never text or a turn.
            i = _skip_box(lines, i - 1, end)
            continue
        hit = split_label(line, seen)
        if hit and hit[0] not in seen and _in_list(lines, i - 1, start, end):
            hit = None  # one line of a list of appointments, not a turn
        if hit:
            label, note, rest = hit
            seen.add(label)
            current = [rest] if rest else []
            blocks.append((label, note, current))
            continue
        if current is None:
            current = []
            blocks.append((None, "", current))
        if current and _continues(current[-1], line):
            current[-1] += " " + line
        else:
            current.append(line)
    return blocks


def _skip_box(lines: list[str], i: int, end: int) -> int:
    """Past a box of links ("See also"): titles, each followed by its date when it has one.

    A box is never empty, so the first line is a title. After it, a line is one more
    title when a date follows it (whatever it holds: "Interview: Russia and Asia" over a
    date is a title, not a speaker), or when it ends the body and does not read as a
    finished sentence; anything else is the text going on.
    """
    if i >= end:
        return i
    i += 1
    while i < end:
        line = lines[i]
        if _LINK_DATE_LINE.fullmatch(line):
            i += 1
        elif i + 1 < end and _LINK_DATE_LINE.fullmatch(lines[i + 1]) and not _is_body_marker(line):
            i += 2
        elif i + 1 == end and _is_link(line) and not line.endswith(_SENTENCE_END):
            i += 1
        else:
            break
    return i


def _is_link(line: str) -> bool:
    return not (line == SEE_ALSO or _is_body_marker(line) or _LABEL_LINE.fullmatch(line))


def parse_text(text: str, source: str = "", id: str = "") -> Transcript:
    """One page's text -> a Transcript (speakers resolved within the page)."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines or lines[0] != CATEGORY:
        raise ReadError(f"not a transcript: no {CATEGORY!r} heading on the first line")
    if len(lines) < 2 or lines[1] in TAG_HEADINGS or lines[1] == STATUS:
        raise ReadError("not a transcript: no title line")
    status = len(lines)
    for j in range(len(lines) - 1, 1, -1):
        if lines[j] == STATUS:
            status = j
            break
    sections, published = _read_footer(lines, status) if status < len(lines) else ([], "")
    tags, body_end = _read_tags(lines, status)
    head, body_start = _read_header(lines, body_end)
    t = Transcript(
        id=id,
        title=lines[1],
        geography=tags.get("Geography", []),
        topics=tags.get("Topics", []),
        persons=tags.get("Persons", []),
        sections=sections,
        published=published,
        url=kremlin_url(id),
        **head,
    )
    t.utterances = build_utterances(_read_body(lines, body_start, body_end))
    return finish(t, source)


def read(path: Path, data: bytes | None = None) -> list[Transcript]:
    """The page in ``path`` (its bytes in ``data`` when already loaded); id = file stem."""
    path = Path(path)
    text = decode_bytes(path.read_bytes() if data is None else data)
    return [parse_text(text, source=str(path), id=path.stem)]


def _long_date(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{_MONTH_NAMES[d.month - 1]} {d.day}, {d.year}"


def render_text(t: Transcript) -> str:
    """A Transcript in the text version's layout, so ``parse_text`` reads it back.

    Narrative after other body text is preceded by "* * *": without it, it would read
    as more of the turn (or narrative block) before it.
    """
    out = [CATEGORY, t.title]
    if t.lead:
        out.append(t.lead)
    if t.date:
        out.append(_long_date(t.date))
        if t.time:
            out.append(t.time)
            if t.place:
                out.append(t.place)
    for i, u in enumerate(t.utterances):
        paragraphs = u.text.split("\n") if u.text else []
        if u.label is None:
            if i > 0:
                out.append(STARS)
            out.extend(paragraphs)
            continue
        head = f"{u.label} ({u.note})" if u.note else u.label
        first = paragraphs[0] if paragraphs else ""
        out.append(f"{head}: {first}" if first else f"{head}:")
        out.extend(paragraphs[1:])
    for heading, values in zip(TAG_HEADINGS, (t.geography, t.topics, t.persons), strict=True):
        if values:
            out.append(heading)
            out.extend(values)
    out.append(STATUS)
    if t.sections:
        word = "sections" if len(t.sections) > 1 else "section"
        out.append(f"Published in {word}: {', '.join(t.sections)}")
    if t.published:
        out.append(f"Publication date: {t.published}")
    out.append("Text version")
    return "\n".join(out) + "\n"
