"""The analyzers and the Whoosh schema: the one contract between ``index`` and ``search``.

Two views of what was said (the stored ``body``) are searched:

* ``text`` is stemmed with NLTK's Snowball English stemmer: plain words match every form
  ("negotiating" finds "negotiations"). No stop-word filter, so nothing is dropped and
  nothing shifts.
* ``exact`` keeps the words as written (lower-cased): quoted phrases, prefixes and
  spelling suggestions run on real words, never on stems.

Neither is a Whoosh field: after the Whoosh commit the indexer tokenizes each body once
(``WordTokenizer``'s rules), stems each distinct word once, and writes both fields'
vocabularies and postings and the token stream phrases are matched on beside the
generation (``index.tables``), all read with array operations. In Whoosh they cost most
of the build time and two thirds of the index (``exact`` with pickled positions). Whoosh
keeps the stored fields, the title and role, the tags and the columns.

Facet fields (``f_*``) hold each tag value whole, one term a value, so filters and facet
counts are exact; the matching query fields (``speaker``, ``person`` ...) hold the same
values tokenized, so ``speaker:putin`` works in the query box.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, TypeVar

from nltk.stem.snowball import SnowballStemmer
from whoosh import columns, fields
from whoosh.analysis import RegexTokenizer, Token, Tokenizer

_snowball = SnowballStemmer("english")
T = TypeVar("T")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Module-level (not a lambda or bound method) so Whoosh can pickle the analyzer."""
    stemmed: str = _snowball.stem(word)
    return stemmed


# Folding: how a word is indexed and looked up in both word fields, so that "Erdogan"
# finds "Erdoğan", "cafe" finds "café" and the other way round (as Lucene's ASCII folding
# and SQLite FTS5's ``unicode61`` tokenizer do). A letter loses the accents Unicode
# decomposes it into (the combining marks U+0300-U+036F): é -> e, ğ -> g, ö -> o,
# ά -> α. Letters with a stroke or without a dot, which do not decompose, fold too:
# ø -> o, ł -> l, đ -> d, ħ -> h, ŧ -> t, ı -> i. Cyrillic letters keep their marks
# (й is a letter of its own, not an и with an accent) except ё, written е as often as
# not. Curly apostrophes become straight ones; Greek final ς is σ.
#
# Every fold is one character to one character, so a folded text lines up with the text
# as written and a match found in the one is a span of the other (``fold_text``, which
# the highlighter and the ranking's proximity scan). Letters that would fold to two --
# ß, æ, œ, þ and ligatures such as ﬁ -- are kept as they are, as FTS5 keeps them.
_APOSTROPHES = {"’": "'", "‘": "'", "ʼ": "'"}
_NO_DECOMPOSITION = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ı": "i", "ς": "σ"}
_DIACRITICS = range(0x300, 0x370)
# Letters with accents live below U+2000 (Latin, Greek, Cyrillic, Latin Extended
# Additional, Greek Extended); tests/test_accents.py checks every code point.
_FOLDABLE_BELOW = 0x2000


def _fold_letter(c: str) -> str:
    """The folded form of one lower-case character (itself when nothing folds)."""
    if c in _NO_DECOMPOSITION:
        return _NO_DECOMPOSITION[c]
    if "\u0400" <= c <= "\u052f" and c != "ё":  # Cyrillic
        return c
    decomposed = unicodedata.normalize("NFD", c)
    bare = "".join(x for x in decomposed if ord(x) not in _DIACRITICS)
    if bare == decomposed:  # no accent (a Hangul syllable, a compatibility ideograph)
        return c
    bare = unicodedata.normalize("NFC", bare)
    if len(bare) != 1 or bare.isalnum() != c.isalnum():
        return c
    return _NO_DECOMPOSITION.get(bare, bare)  # ǿ -> ø -> o


def _letter_table() -> dict[int, str]:
    table = {}
    for i in range(0x80, _FOLDABLE_BELOW):
        c = chr(i)
        f = _fold_letter(c.lower() if len(c.lower()) == 1 else c)
        if f != c:
            table[i] = f
    return table


# Character -> folded character, for text already lower-cased (upper-case letters fold
# to their lower case's folding too). ``_WORD_TABLE`` also straightens apostrophes (the
# folded text keeps them: its patterns read ' and ’ alike) and drops a lone combining
# mark: lower-casing "İ" gives "i" and a combining dot.
_LETTERS = _letter_table()
_WORD_TABLE = {
    **_LETTERS,
    **{ord(c): f for c, f in _APOSTROPHES.items()},
    **{i: None for i in _DIACRITICS},
}

# Words are runs of letters/digits. An inner apostrophe joins ("don't", "O'Neill") except
# before a possessive 's, which is a word of its own: "Security Council's" must match the
# phrase "Security Council", and "Council's" still matches as written. Any letter that
# folds to "s" counts as that "s", so a word splits the same way in the folded text.
_S = "sS" + "".join(sorted(chr(i) for i, f in _LETTERS.items() if f == "s"))
WORD_PATTERN = rf"\w+(?:['’](?![{_S}]\b)\w+)*"
WORD_RE = re.compile(WORD_PATTERN)


def composed(text: str) -> str:
    """The text in Unicode's composed form (NFC): a letter written as a base letter and a
    combining accent (as some tools save "Erdoğan") becomes the one letter it looks
    like, so it is one word that folds like any other (bodies when indexed, queries when
    searched). Text already composed -- nearly all -- is kept as it is."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def fold(word: str) -> str:
    """The form a word is indexed and searched under in both word fields: lower case,
    straight apostrophes, no accents ("Erdoğan" -> "erdogan")."""
    if word.isascii():
        return word.lower()
    return word.lower().translate(_WORD_TABLE)


def fold_text(text: str) -> str:
    """``text`` lower-cased and folded character by character, as long as ``text``: a
    word's span in it is its span in ``text``, and the word there folds to
    ``fold(word)`` (apostrophes are kept as written).

    Text that is all ASCII is lower-cased only (the common case, at C speed)."""
    lowered = text.lower()
    if text.isascii():
        return lowered
    if len(lowered) == len(text):
        # Most text that is not ASCII has curly quotes and dashes, no accents: one scan
        # at C speed says so (translate() would look each character up: 25x slower).
        if _FOLDABLE.search(lowered) is None:
            return lowered
        return _FOLDABLE.sub(_fold_match, lowered)
    # A letter whose lower case is longer ("İ"): each character on its own.
    return "".join(_fold_char(c) for c in text)


_FOLDABLE = re.compile("[" + re.escape("".join(map(chr, sorted(_LETTERS)))) + "]")
_LETTER_OF = {chr(k): f for k, f in _LETTERS.items()}


def _fold_match(m: re.Match[str]) -> str:
    return _LETTER_OF[m.group()]


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    f = fold(c)
    return f if len(f) == 1 and c not in _APOSTROPHES else c


class WordTokenizer(Tokenizer):  # type: ignore[misc]  # Whoosh is untyped
    """Words lower-cased and folded in one pass; with ``stemmed``, their Snowball stems.

    One tokenizer instead of a tokenizer | lowercase | charset | stem chain: indexing
    the corpus is dominated by this loop, and each chained generator costs a Python
    call per token.
    """

    def __init__(self, stemmed: bool = False) -> None:
        self.stemmed = stemmed

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.stemmed == self.stemmed

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        stemmed = self.stemmed
        for pos, match in enumerate(WORD_RE.finditer(value), start_pos):
            word = fold(match.group())
            t.text = stem(word) if stemmed else word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = match.group()
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            yield t


def word_count(text: str) -> int:
    """Words as the ``exact`` field indexes them: the unit every rate is counted in."""
    return len(WORD_RE.findall(text))


def exact_analyzer() -> WordTokenizer:
    return WordTokenizer(stemmed=False)


def stemming_analyzer() -> WordTokenizer:
    return WordTokenizer(stemmed=True)


def value_analyzer() -> RegexTokenizer:
    """One token per line: a tag value is a single term, spaces and case kept."""
    return RegexTokenizer(r"[^\n]+")


# Field names, so the two sides never spell them differently.
TEXT = "text"
EXACT = "exact"
# Tag-like fields: filters, facets and `field:` queries all resolve to their whole values.
VALUE_FIELDS = {
    "speaker": "f_speaker",
    "person": "f_person",
    "geography": "f_geography",
    "topic": "f_topic",
    "place": "f_place",
    "source": "f_source",
    # The language's English name ("German"): the transcript's, or the utterance's own.
    "language": "f_language",
    # The speaker's party or group on that day, where the source says (ParlaMint).
    "party": "f_party",
    # The id of the transcript a translation translates (on every document of the
    # translation): the searcher finds a transcript's translations by it.
    "translation_of": "f_translation_of",
}
FACETS = ("speaker", "person", "geography", "topic", "source", "language", "party")

# How each Persons tag is shown ("Merkel Angela" -> "Angela Merkel"), chosen by the writer
# from the pages' own text (``index.person_names``) and read by the search side
# (``search.person_names``): a JSON file in the generation folder, {"format": 1,
# "names": {tag: display}, "why": {tag: rule}, "evidence": {transcript id: {tag:
# {reordering: [times written, times its first two words are written]}}}}. Filters and
# URLs keep the stored tag; only what a person reads changes.
PERSON_NAMES = "person_names.json"
PERSON_NAMES_FORMAT = 1

# Bumped when the schema or what documents store changes: an index built by an older
# version is then rebuilt in full, never updated in place (``transcripts reindex`` says
# so). 4: words folded without accents (``fold``); 5: languages (stems per language,
# ``index.language``), parties, and what a speaker's utterance says about them.
SCHEMA_VERSION = 5

KIND_PAGE = "page"  # a transcript's title + lead: one per transcript, position 0
KIND_TURN = "turn"  # a speaker turn
KIND_NARRATIVE = "narrative"  # text outside any speaker turn
# A turn whose label names nobody ("Question", "Remark", "Response from the hall"): a kind
# of turn, never a speaker, so it has no speaker facet value (``index.speakers.is_anonymous``).
KIND_ANONYMOUS = "anonymous"


def make_schema() -> fields.Schema:
    """Every posting costs indexing time, so each field is indexed only where it is needed.

    Positions and dates are columns, not terms; the tag values are one term each; the
    title is indexed on the page document only.
    """
    return fields.Schema(
        tid=fields.ID(stored=True, sortable=True),
        pos=fields.COLUMN(columns.NumericColumn("I")),
        day=fields.COLUMN(columns.NumericColumn("i")),
        # Words in the document as the exact field counts them: the denominator of every
        # per-million-words rate in the analysis views (Whoosh's own lengths are lossy bytes).
        words=fields.COLUMN(columns.NumericColumn("I")),
        kind=fields.ID(stored=True),
        title=fields.TEXT(analyzer=stemming_analyzer(), phrase=True),
        role=fields.TEXT(analyzer=exact_analyzer(), phrase=True, stored=True),
        label=fields.STORED(),
        note=fields.STORED(),
        speaker=fields.STORED(),
        f_speaker=fields.KEYWORD(analyzer=value_analyzer()),
        f_person=fields.KEYWORD(analyzer=value_analyzer()),
        f_geography=fields.KEYWORD(analyzer=value_analyzer()),
        f_topic=fields.KEYWORD(analyzer=value_analyzer()),
        f_place=fields.KEYWORD(analyzer=value_analyzer()),
        # The collection or format a transcript came from ("WebVTT", "ParlaMint-GB").
        f_source=fields.KEYWORD(analyzer=value_analyzer()),
        f_language=fields.KEYWORD(analyzer=value_analyzer()),
        f_party=fields.KEYWORD(analyzer=value_analyzer()),
        f_translation_of=fields.KEYWORD(analyzer=value_analyzer()),
        # On utterances, where the source states them: the language code when it is not
        # the transcript's, the party and sex, the person's id, the utterance's own id.
        lang=fields.STORED(),
        party=fields.STORED(),
        sex=fields.STORED(),
        speaker_id=fields.STORED(),
        anchor=fields.STORED(),
        # What was said, as written (Whoosh compresses stored fields itself); also the
        # source of the exact and text words (index.tables).
        body=fields.STORED(),
        # The transcript's metadata (a dict), on the page document only.
        meta=fields.STORED(),
        # Seconds into the recording, on utterances of timed formats.
        start=fields.STORED(),
        end=fields.STORED(),
        # The file a document came from: an incremental reindex deletes by it.
        file=fields.ID(),
    )


def open_whoosh(open_index: Callable[[], T]) -> T:
    """``open_index()`` (a Whoosh index opened), also for an index written before the
    package was named ``transcripts``: its schema was pickled with this module's
    functions as ``index.schema.…``, and Whoosh unpickles it again for every reader. So
    when one is met, those two old names are made to stand for this package's modules
    in this process, for as long as it runs (the next reindex writes the new names)."""
    try:
        ix = open_index()
        ix.doc_count_all()  # type: ignore[attr-defined]  # reads the pickled schema again
        return ix
    except ModuleNotFoundError as exc:
        if exc.name not in ("index", "index.schema"):
            raise
    from transcripts import index as package

    sys.modules.setdefault("index", package)
    sys.modules.setdefault("index.schema", sys.modules[__name__])
    return open_index()
