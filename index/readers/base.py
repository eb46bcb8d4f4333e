"""What every reader shares: the error type, byte decoding, and the final touches on a record.

Kept apart from ``__init__`` so the format modules can import it without a cycle.
"""

from __future__ import annotations

import re

from transcripts.index.model import KREMLIN_EVENT_URL, Transcript, Utterance
from transcripts.index.speakers import resolve_speakers


class ReadError(Exception):
    """A file that cannot be read as a transcript; the message is a one-line reason."""


# A note after a label is a word or three ("retranslated", "speaks Russian"); a longer
# aside in brackets ("answering Alexei Machnev, Speaker of ...") is an editor's narrative.
MAX_NOTE_WORDS = 6

# A word in a legacy-encoded file: ASCII letters and the bytes that are letters in both
# Windows-1251 (Cyrillic) and Windows-1252 (accented Latin).
_LEGACY_WORD = re.compile(rb"[A-Za-z\xc0-\xff]+")


def decode_bytes(data: bytes) -> str:
    """Decode a transcript file whatever its encoding, losing as little text as possible.

    UTF-8 first: a stray invalid byte in an otherwise UTF-8 page is replaced on its own
    (the page is kept). Files that are not UTF-8 at all are old Windows exports: Cyrillic
    (cp1251) when most letters are high bytes, else Western (cp1252, Latin-1 for the few
    bytes cp1252 leaves undefined).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")  # a cut-off or bogus one is not fatal
    if b"\x00" in data:
        raise ReadError("binary file (contains NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid_multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - invalid
    if valid_multibyte and valid_multibyte >= invalid:
        return text
    if _looks_cyrillic(data):
        return data.decode("cp1251", errors="replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_cyrillic(data: bytes) -> bool:
    """Whether high bytes make Russian words (cp1251) rather than accented letters (cp1252).

    Counting words, not letters: an English page quoting a few Russian words is mostly
    ASCII letters, yet each Russian word is all high bytes, while an accented letter in
    a Western word sits among ASCII ones ("Zürich", "café").
    """
    cyrillic = western = 0
    for word in _LEGACY_WORD.findall(data):
        high = sum(b >= 0xC0 for b in word)
        if high == len(word) > 1:
            cyrillic += 1
        elif high:
            western += 1
    return cyrillic > western


def kremlin_url(page_id: str) -> str:
    """Only numeric ids are the site's own page numbers; anything else has no known page."""
    return KREMLIN_EVENT_URL.format(id=page_id) if page_id.isdigit() else ""


def build_utterances(blocks: list[tuple[str | None, str, list[str]]]) -> list[Utterance]:
    """(label, note, paragraphs) blocks -> utterances; paragraphs of a block join by newlines.

    Blocks with no paragraphs are dropped: a label with nothing after it says nothing
    searchable, and an empty narrative block is only an artefact of the layout.
    """
    out: list[Utterance] = []
    for label, note, paragraphs in blocks:
        text = "\n".join(p for p in paragraphs if p)
        if not text and label is None:
            continue
        out.append(Utterance(position=len(out) + 1, text=text, label=label, note=note))
    return out


def finish(t: Transcript, file: str) -> Transcript:
    """The same last steps for every reader, so records agree whatever the input format."""
    t.file = file
    for i, u in enumerate(t.utterances, start=1):
        u.position = i
    resolve_speakers(t)
    return t
