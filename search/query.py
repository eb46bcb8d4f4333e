"""From what a user typed to a Whoosh query, with a clear message for what cannot be run.

Plain words match stemmed (``text``); quoted phrases, prefixes and wildcards match real
words (``exact``), so ``"trade and economic"`` means those words in that order and
``econ*`` expands to words, not stems. Expansions are capped, so ``a*`` over a large
vocabulary stays fast.
"""

from __future__ import annotations

import copy
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from whoosh import fields
from whoosh import query as wq
from whoosh.qparser import QueryParser, plugins
from whoosh.qparser.taggers import RegexTagger

from transcripts.index import language
from transcripts.index.schema import (
    EXACT,
    TEXT,
    VALUE_FIELDS,
    composed,
    exact_analyzer,
    fold,
)
from transcripts.index.tables import KeptField

MAX_QUERY_CHARS = 1000
MAX_DEPTH = 8
MAX_EXPANSION = 200  # words a prefix or wildcard may stand for
# ... and the documents those words are in, summed: time goes in scoring each of them.
MAX_EXPANSION_POSTINGS = 50_000
MAX_PATTERNS = 8  # prefixes and wildcards in one query: each may stand for many words
# Postings a query may make the engine read or check (see _cost): a few hundred ms of
# work on two cores, a bound on what one request can cost the server.
MAX_QUERY_COST = 100_000
# ... or this many per document of the index, if more: a query that is ordinary on the
# development corpus ("investments in infrastructure") must not be refused on a copy
# eight times its size, and a posting is an array slice, not a decoded Whoosh block.
MAX_COST_PER_DOCUMENT = 4
POSITION_COST = 1  # decoding a posting's positions, against reading the posting (measured)

# What users may write before a colon, and the field each name searches.
FIELD_ALIASES = {
    "speaker": ["speakers", "who"],
    "role": ["roles"],
    "person": ["persons", "people"],
    "geography": ["geo", "country", "place_tag"],
    "topic": ["topics"],
    "title": ["titles"],
    "place": ["where"],
    "source": ["sources", "collection"],
    "language": ["languages", "lang"],
    "party": ["parties", "group"],
}
KNOWN_FIELDS = set(FIELD_ALIASES) | {a for aliases in FIELD_ALIASES.values() for a in aliases}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FIELD_PREFIX = re.compile(r"(?:^|(?<=[\s(+\-]))(\w+):")
# Plain words, nothing else: the commonest query, parsed without Whoosh's parser
# (``_parse``). Whoosh's operators are upper case; as words they go the long way.
_PLAIN_WORDS = re.compile(r"\s*[A-Za-z]+(?:\s+[A-Za-z]+)*\s*")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


class QueryError(ValueError):
    """A query that cannot be run; the message is meant for the user."""


@dataclass
class ParsedQuery:
    """The Whoosh query (None: match everything) and what to highlight in hits."""

    query: wq.Query | None
    stems: set[str] = field(default_factory=set)  # matched in ``text`` (stemmed)
    words: set[str] = field(default_factory=set)  # matched in ``exact`` (as written)
    plain_words: list[str] = field(default_factory=list)  # typed words, for "did you mean"
    notes: list[str] = field(default_factory=list)
    patterns: int = 0  # prefixes and wildcards seen so far
    # The languages searched (codes): a plain word stands for its stem in each of them.
    languages: list[str] = field(default_factory=lambda: [language.DEFAULT])


class _ExactPhraseNode(plugins.PhrasePlugin.PhraseNode):  # type: ignore[misc]  # Whoosh: untyped
    fieldname: str | None  # set by Whoosh's node (annotated here only)

    def query(self, parser: QueryParser) -> wq.Query:
        if self.fieldname in (None, TEXT):
            self.fieldname = EXACT
        return super().query(parser)


class _ExactPhraseTagger(RegexTagger):  # type: ignore[misc]  # Whoosh: untyped
    def create(self, parser: QueryParser, match: re.Match[str]) -> _ExactPhraseNode:
        slop = int(match.group("slop")) if match.group("slop") else 1
        return _ExactPhraseNode(match.group("text"), match.start("text"), slop)


class _ExactPhrasePlugin(plugins.PhrasePlugin):  # type: ignore[misc]  # Whoosh: untyped
    """Quoted words go to the unstemmed field: they must match as written."""

    def taggers(self, parser: QueryParser) -> list[tuple[_ExactPhraseTagger, int]]:
        return [(_ExactPhraseTagger(self.expr), 0)]


def query_schema(schema: fields.Schema) -> fields.Schema:
    """The index schema, with the value fields tokenized as the user types them.

    In the index a tag value is one term ("Vladimir Putin"); in a query ``speaker:putin``
    names a word of it. The parser sees word fields; ``_rewrite`` then turns each into the
    whole values that contain those words.
    """
    qs = schema.copy()
    # The word fields are kept by index.tables, not Whoosh: parsed all the same.
    if EXACT not in qs:
        qs.add(EXACT, fields.TEXT(analyzer=exact_analyzer(), phrase=True))
    if TEXT not in qs:
        # Folded only: ``_rewrite`` stems a typed word in each language searched.
        qs.add(TEXT, fields.TEXT(analyzer=exact_analyzer()))
    for name in VALUE_FIELDS:
        if name in qs:
            qs.remove(name)
        qs.add(name, fields.TEXT(analyzer=exact_analyzer(), phrase=True))
    return qs


def make_parser(schema: fields.Schema) -> QueryParser:
    parser = QueryParser(TEXT, query_schema(schema), plugins=[])
    parser.add_plugins(
        [
            plugins.WhitespacePlugin(),
            plugins.FieldsPlugin(),
            plugins.WildcardPlugin(),
            _ExactPhrasePlugin(),
            plugins.GroupPlugin(),
            plugins.OperatorsPlugin(),
            plugins.PlusMinusPlugin(),
            plugins.FieldAliasPlugin(FIELD_ALIASES),
        ]
    )
    return parser


def check_syntax(text: str) -> str:
    """Reject what Whoosh would misread or choke on, before it gets the chance."""
    # Composed, so a letter typed as a base and a combining accent is one letter (and one
    # word): "Erdog\u0306an" is "Erdoğan", which folds to "erdogan".
    text = composed(_CONTROL.sub(" ", text)).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"The query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}."
        )
    if text.count('"') % 2:
        raise QueryError('Unbalanced quote: close the phrase with a second " or remove it.')
    depth = 0
    outside = re.sub(r'"[^"]*"', " ", text)
    for ch in outside:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            raise QueryError("Unbalanced brackets: a ')' has no '(' before it.")
        if depth > MAX_DEPTH:
            raise QueryError(f"Brackets are nested too deeply (at most {MAX_DEPTH} levels).")
    if depth:
        raise QueryError("Unbalanced brackets: a '(' is never closed.")
    for m in _FIELD_PREFIX.finditer(outside):
        name = m.group(1)
        if name.lower() not in KNOWN_FIELDS:
            known = ", ".join(sorted(FIELD_ALIASES))
            raise QueryError(
                f"Unknown field '{name}:'. Fields you can search: {known}. "
                "To search for words around a colon, put them in quotes."
            )
    return text


class Vocabulary:
    """A word field kept by ``index.tables`` (``exact``, ``text``): its words in Whoosh's
    order with their document frequencies and, for generations that keep them there, the
    postings.

    A prefix is a binary search for a range of words and the cost of its expansion a sum
    over a slice, with no walk of Whoosh's term index; a word's postings are two slices of
    memory-mapped arrays. The words are read on first use, not when the generation opens.
    """

    def __init__(
        self,
        load_words: Callable[[], list[str] | None],
        kept: KeptField,
        source: Vocabulary | None = None,
        languages: list[str] | None = None,
        doc_lang: np.ndarray | None = None,
    ):
        self._load = load_words
        self._words: list[str] | None = None
        self._lock = threading.Lock()
        self.kept = kept
        self.df = kept.df
        self.source = source  # the field a derived one (stems) takes its postings from
        # Stems of an index in several languages: each document's language (a number
        # into ``languages``), so a stem's merged postings keep its language's documents.
        self.languages = languages or [language.DEFAULT]
        self.doc_lang = doc_lang if len(self.languages) > 1 else None

    def has_postings(self) -> bool:
        k = self.kept
        return k.docs is not None or (k.members is not None and self.source is not None)

    @property
    def words(self) -> list[str]:
        if self._words is None:
            with self._lock:
                if self._words is None:
                    words = self._load() or []
                    # A vocabulary that does not match its frequencies is not used.
                    self._words = words if len(words) == len(self.df) else []
        return self._words

    def usable(self) -> bool:
        return len(self.df) == 0 or bool(self.words)

    def span(self, head: str) -> tuple[int, int]:
        """The words starting with ``head``: ``words[lo:hi]``."""
        words = self.words
        return bisect_left(words, head), bisect_right(words, head + "\U0010ffff")

    def id(self, word: str) -> int:
        """The word's place in the vocabulary (its id in the token stream), -1 if absent."""
        words = self.words
        i = bisect_left(words, word)
        return i if i < len(words) and words[i] == word else -1

    def doc_frequency(self, word: str) -> int:
        i = self.id(word)
        return int(self.df[i]) if i >= 0 else 0

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """The documents with the word and how often it is in each."""
        w = self.id(word)
        if w < 0 or not self.has_postings():
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        k = self.kept
        if k.docs is not None:
            return self._slice(w)
        # A stem: the postings of its words, merged (most stems have one or two words).
        # has_postings(): without postings of its own, a field has members and a source.
        assert k.members is not None and k.member_starts is not None and self.source is not None
        members = k.members[int(k.member_starts[w]) : int(k.member_starts[w + 1])].tolist()
        parts = [self.source._slice(m) for m in members]
        if len(parts) == 1:
            return self._of_its_language(word, *parts[0])
        docs = np.concatenate([p[0] for p in parts])
        tf = np.concatenate([p[1] for p in parts])
        merged, inverse = np.unique(docs, return_inverse=True)
        return self._of_its_language(
            word, merged.astype(np.int32), np.bincount(inverse, weights=tf).astype(np.float32)
        )

    def _of_its_language(
        self, stem: str, docs: np.ndarray, tf: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """A stem's postings less the documents of other languages: its words written
        in those ("die" in an English text for the German stem "de:die") are not it."""
        if self.doc_lang is None:
            return docs, tf
        lang = language.term_language(stem)
        number = self.languages.index(lang) if lang in self.languages else -1
        keep = self.doc_lang[docs] == number
        return docs[keep], tf[keep]

    def _slice(self, w: int) -> tuple[np.ndarray, np.ndarray]:
        k = self.kept
        # Called for a field with postings: index.tables keeps docs, tf and starts together.
        assert k.docs is not None and k.tf is not None and k.starts is not None
        lo, hi = int(k.starts[w]), int(k.starts[w + 1])
        tf = k.tf[lo:hi].astype(np.float32)
        if k.tf_over_at is not None and len(k.tf_over_at):
            a, b = np.searchsorted(k.tf_over_at, [lo, hi])
            if b > a:  # counts of 255 and more, kept apart
                assert k.tf_over is not None  # kept with tf_over_at
                tf[np.asarray(k.tf_over_at[a:b]) - lo] = k.tf_over[a:b]
        return k.docs[lo:hi].astype(np.int32), tf  # two bytes each on disk while they fit


# A word source other than the generation's vocabularies (the OpenSearch backend's):
# (field, pattern, head) -> how many words match, and at least the MAX_EXPANSION most
# common of them (ties in word order) with their document frequencies, in word order.
PatternWords = Callable[[str, str, str], tuple[int, list[str], np.ndarray]]


class TermReader(Protocol):
    """What ``parse`` reads words from: a Whoosh reader, or the OpenSearch backend's
    generation (with ``pattern_words``)."""

    def doc_count_all(self) -> int: ...

    def doc_frequency(self, fieldname: str, text: Any) -> int: ...

    def expand_prefix(self, fieldname: str, head: str) -> Iterable[str | bytes]: ...


def parse(
    text: str,
    parser: QueryParser,
    reader: TermReader,
    values: ValueLookup | None = None,
    vocabularies: dict[str, Vocabulary] | None = None,
    pattern_words: PatternWords | None = None,
    languages: list[str] | None = None,
) -> ParsedQuery:
    """``reader`` answers ``doc_count_all``, ``doc_frequency`` and ``expand_prefix`` (a
    Whoosh reader, or the OpenSearch backend's stand-in with ``pattern_words``).

    ``languages``: the codes of the languages searched (a plain word matches its forms
    in each); by default those of the index's stems (``Vocabulary.languages``)."""
    text = check_syntax(text)
    if not text or text in {"*", "*:*"}:
        return ParsedQuery(query=None)
    # Field names are case-insensitive for the user ("Speaker:Putin").
    text = _FIELD_PREFIX.sub(lambda m: m.group(0).lower(), text)
    q = _parse(text, parser)
    parsed = ParsedQuery(query=None)
    kept = {f: v for f, v in (vocabularies or {}).items() if v.usable()}
    if languages is not None:
        parsed.languages = languages
    elif TEXT in (vocabularies or {}):
        parsed.languages = (vocabularies or {})[TEXT].languages
    q = _stem_words(q, parsed.languages, kept.get(TEXT))
    q = _rewrite(q, reader, parsed, values or ValueLookup({}), kept.get(EXACT), pattern_words)
    if q is wq.NullQuery:
        parsed.query = q  # nothing can match (e.g. a prefix no word starts with)
    elif q is None or isinstance(q, wq.Every):
        parsed.query = None  # everything, as an empty query
    else:
        parsed.query = q.normalize()
        limit = max(MAX_QUERY_COST, MAX_COST_PER_DOCUMENT * reader.doc_count_all())
        if _cost(parsed.query, _frequencies(reader, kept), reader) > limit:
            raise QueryError(
                "This query would take too long to answer: it combines too many very common "
                "words (like 'the', or short prefixes like 'a*'), in ORs or phrases. "
                "Use fewer of them, or rarer words."
            )
    _collect_highlights(parsed.query, parsed, negated=False)
    parsed.plain_words = [
        w
        for w in re.findall(r"(?<![\w:\"*])([^\W\d_][\w']*)(?![\w*:])", _strip_phrases(text))
        if w not in {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
    ]
    return parsed


def _parse(text: str, parser: QueryParser) -> wq.Query:
    """Whoosh's reading of the query text. Plain words are what Whoosh's parser makes of
    them (each analysed as its default field would, all required) built directly: the
    parser's taggers cost a quarter of a millisecond per query."""
    words = text.split()
    if _PLAIN_WORDS.fullmatch(text):
        if len(words) % 2 and words[1::2] == ["AND"] * (len(words) // 2):
            words = words[::2]  # "Ukraine AND gas": AND between words, as Whoosh reads it
        if not _OPERATORS.intersection(words):
            terms = [parser.term_query(parser.fieldname, w, wq.Term) for w in words]
            return wq.And(terms).normalize()
    try:
        return parser.parse(text)
    except Exception as exc:  # Whoosh raises bare exceptions on odd syntax
        raise QueryError(f"Could not read the query: {exc}") from None


def _stem_words(q: wq.Query, languages: list[str], stems: Vocabulary | None) -> wq.Query:
    """Plain words (``text`` terms, folded by the parser) as stems: in an index of one
    language its stem; in one of several, an OR of the word's stem in each language that
    has it (``index.language.text_term``), so a word matches its own forms in each and
    never a form another language's stemmer made of something else."""
    if isinstance(q, wq.Term) and q.fieldname == TEXT and isinstance(q.text, str) and q.text:
        terms = language.typed_terms(q.text, languages)
        if len(terms) > 1 and stems is not None:
            terms = [t for t in terms if stems.id(t) >= 0] or terms[:1]
        if len(terms) == 1:
            return wq.Term(TEXT, terms[0], boost=q.boost)
        return wq.Or([wq.Term(TEXT, t, boost=q.boost) for t in terms])
    if isinstance(q, wq.Phrase) and q.fieldname == TEXT:
        # A typed token the tokenizer splits ("U.S."): its pieces, stemmed in a
        # one-language index as before; in several, matched as written.
        if len(languages) == 1:
            return wq.Phrase(TEXT, [language.text_term(fold(w), languages[0]) for w in q.words],
                             slop=q.slop, boost=q.boost)
        return wq.Phrase(EXACT, [fold(w) for w in q.words], slop=q.slop, boost=q.boost)
    if isinstance(q, wq.BinaryQuery):
        return type(q)(_stem_words(q.a, languages, stems), _stem_words(q.b, languages, stems))
    if isinstance(q, wq.Not):
        return wq.Not(_stem_words(q.query, languages, stems))
    if hasattr(q, "subqueries"):
        q = copy.copy(q)
        q.subqueries = [_stem_words(s, languages, stems) for s in q.subqueries]
    return q


def _frequencies(reader: TermReader, kept: dict[str, Vocabulary]) -> Callable[[str, object], int]:
    """Document frequency of a term: from the kept vocabularies (a binary search), else
    from Whoosh's term index."""

    def frequency(fieldname: str, text: object) -> int:
        vocabulary = kept.get(fieldname)
        if vocabulary is not None and isinstance(text, str):
            return vocabulary.doc_frequency(text)
        return reader.doc_frequency(fieldname, text)

    return frequency


def _cost(q: wq.Query, frequency: Callable[[str, object], int], reader: TermReader) -> int:
    """Roughly how many postings running ``q`` costs: the time a query takes follows it.

    ``search.scoring`` reads every posting list whole, so ANDs and ORs cost the sum of
    their parts; a phrase also decodes the positions of each of its words in the
    documents that have them all. Only document frequencies are looked at: refusing a
    query costs no posting read.
    """
    if isinstance(q, wq.Term):
        return frequency(q.fieldname, q.text)
    if isinstance(q, wq.Phrase):
        freqs = [frequency(q.fieldname, w) for w in q.words]
        return sum(freqs) + POSITION_COST * len(freqs) * min(freqs, default=0)
    children = list(q.children())
    if children:
        return sum(_cost(c, frequency, reader) for c in children)
    size: int = q.estimate_size(reader)
    return size


def _strip_phrases(text: str) -> str:
    return re.sub(r'"[^"]*"', " ", text)


class ValueLookup:
    """The whole tag values (per value field) and their words, for ``speaker:putin``.

    A field's values are split into words on the first query that names the field, not
    when the generation is opened (thousands of values: tens of milliseconds).
    """

    def __init__(self, values: dict[str, list[str]]):
        self.values = values
        self._tokens: dict[str, list[tuple[str, list[str]]]] = {}

    def tokens(self, fieldname: str) -> list[tuple[str, list[str]]]:
        tokens = self._tokens.get(fieldname)
        if tokens is None:
            analyzer = exact_analyzer()
            tokens = [(v, [t.text for t in analyzer(v)]) for v in self.values.get(fieldname, [])]
            self._tokens[fieldname] = tokens  # the same for every thread: a race is harmless
        return tokens

    def matching(self, fieldname: str, test: Callable[[list[str]], bool]) -> list[str]:
        return [v for v, words in self.tokens(fieldname) if test(words)]


def _value_query(q: wq.Query, values: ValueLookup) -> wq.Query:
    name = q.fieldname
    if isinstance(q, wq.Term):
        found = values.matching(name, lambda ws: q.text in ws)
    elif isinstance(q, wq.Phrase):
        n = len(q.words)
        found = values.matching(
            name, lambda ws: any(ws[i : i + n] == list(q.words) for i in range(len(ws) - n + 1))
        )
    else:
        pattern = q.text if isinstance(q, wq.Wildcard) else q.text + "*"
        regex = _wildcard_regex(fold(pattern))
        found = values.matching(name, lambda ws: any(regex.match(w) for w in ws))
    if not found:
        return wq.NullQuery
    return wq.Or([wq.Term(VALUE_FIELDS[name], v) for v in found])


def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z"
    )


def _rewrite(
    q: wq.Query, reader: TermReader, parsed: ParsedQuery, values: ValueLookup,
    vocabulary: Vocabulary | None = None, pattern_words: PatternWords | None = None,
) -> wq.Query | None:
    """Send prefixes/wildcards to real words, capped; a lone ``*`` means everything."""
    if getattr(q, "fieldname", None) in VALUE_FIELDS and isinstance(
        q, (wq.Term, wq.Phrase, wq.Prefix, wq.Wildcard)
    ):
        return _value_query(q, values)
    if isinstance(q, (wq.Prefix, wq.Wildcard)):
        parsed.patterns += 1
        if parsed.patterns > MAX_PATTERNS:
            raise QueryError(
                f"The query has more than {MAX_PATTERNS} prefixes or wildcards (like econ*); "
                "use fewer, or whole words."
            )
        fieldname = EXACT if q.fieldname == TEXT else q.fieldname
        pattern = q.text if isinstance(q, wq.Wildcard) else q.text + "*"
        if pattern.strip("*?") == "":
            return wq.Every()
        return _expand(fieldname, fold(pattern), reader, parsed, vocabulary, pattern_words)
    if isinstance(q, wq.Term) and q.text == "":
        return wq.NullQuery
    if isinstance(q, wq.BinaryQuery):  # AndNot, AndMaybe, Require: keep a and b apart
        a = _rewrite(q.a, reader, parsed, values, vocabulary, pattern_words)
        b = _rewrite(q.b, reader, parsed, values, vocabulary, pattern_words)
        if a in (None, wq.NullQuery) or (isinstance(q, wq.Require) and b is wq.NullQuery):
            return wq.NullQuery
        if b in (None, wq.NullQuery):
            return a
        return type(q)(a, b)
    if hasattr(q, "subqueries"):
        subs = [
            _rewrite(s, reader, parsed, values, vocabulary, pattern_words) for s in q.subqueries
        ]
        subs = [s for s in subs if s is not None and s is not wq.NullQuery]
        if not subs:
            return wq.NullQuery
        q = copy.copy(q)  # shallow: its subqueries are replaced, not changed
        q.subqueries = subs
        return q
    if isinstance(q, wq.Not):
        inner = _rewrite(q.query, reader, parsed, values, vocabulary, pattern_words)
        return wq.Not(inner) if inner not in (None, wq.NullQuery) else wq.NullQuery
    return q


def _expand(
    fieldname: str, pattern: str, reader: TermReader, parsed: ParsedQuery,
    vocabulary: Vocabulary | None = None, pattern_words: PatternWords | None = None,
) -> wq.Query:
    head = re.split(r"[*?]", pattern, maxsplit=1)[0]
    regex = _wildcard_regex(pattern)
    if len(head) < 1 and fieldname == EXACT:
        raise QueryError(f"'{pattern}' needs at least one letter before the first * or ?.")
    found = None  # how many words match, when only the most common are listed
    if pattern_words is not None:
        found, candidates, frequency = pattern_words(fieldname, pattern, head)
    elif vocabulary is not None and fieldname == EXACT:
        lo, hi = vocabulary.span(head)
        candidates = vocabulary.words[lo:hi]
        frequency = np.asarray(vocabulary.df[lo:hi], dtype=np.int64)
        if pattern != head + "*":  # a wildcard beyond the prefix: test each word
            keep = [i for i, w in enumerate(candidates) if regex.match(w)]
            candidates = [candidates[i] for i in keep]
            frequency = frequency[keep]
    else:
        candidates = []
        for raw in reader.expand_prefix(fieldname, head):
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if regex.match(word):
                candidates.append(word)
        frequency = np.array(
            [reader.doc_frequency(fieldname, w) for w in candidates], dtype=np.int64
        )
    if not candidates:
        return wq.NullQuery
    found = len(candidates) if found is None else found
    if found > MAX_EXPANSION or int(frequency.sum()) > MAX_EXPANSION_POSTINGS:
        # The most common words first (ties in word order), as many as the caps allow.
        order = np.argsort(-frequency, kind="stable")[:MAX_EXPANSION]
        over = np.flatnonzero(np.cumsum(frequency[order]) > MAX_EXPANSION_POSTINGS)
        over = over[over >= 1]
        chosen = [candidates[i] for i in order[: over[0] if len(over) else len(order)]]
        parsed.notes.append(
            f"'{pattern}' matches {found:,} words; "
            f"searched for the {len(chosen)} most common."
        )
        candidates = chosen
    return wq.Or([wq.Term(fieldname, w) for w in candidates])


def _collect_highlights(q: wq.Query | None, parsed: ParsedQuery, negated: bool) -> None:
    if q is None:
        return
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        _collect_highlights(q.a, parsed, negated)
        return
    if isinstance(q, wq.Term) and not negated:
        if q.fieldname == TEXT:
            parsed.stems.add(q.text)
        elif q.fieldname == EXACT:
            parsed.words.add(q.text)
        return
    if isinstance(q, wq.Phrase) and not negated:
        if q.fieldname == EXACT:
            parsed.words.update(w for w in q.words if len(w) > 1)  # not the "s" of "'s"
        elif q.fieldname == TEXT:
            parsed.stems.update(q.words)
        return
    for child in q.children():
        _collect_highlights(child, parsed, negated)
