"""From what a user typed to a Whoosh query, with a clear message for what cannot be run.

Plain words match stemmed (``text``); quoted phrases, prefixes and wildcards match real
words (``exact``), so ``"trade and economic"`` means those words in that order and
``econ*`` expands to words, not stems. Expansions are capped, so ``a*`` over a large
vocabulary stays fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import fields
from whoosh import query as wq
from whoosh.qparser import QueryParser, plugins
from whoosh.qparser.taggers import RegexTagger

from index.schema import EXACT, TEXT, VALUE_FIELDS, exact_analyzer

MAX_QUERY_CHARS = 1000
MAX_DEPTH = 8
MAX_EXPANSION = 200  # words a prefix or wildcard may stand for
# ... and the documents those words are in, summed: time goes in scoring each of them.
MAX_EXPANSION_POSTINGS = 50_000
MAX_PATTERNS = 8  # prefixes and wildcards in one query: each may stand for many words
# Postings a query may make the engine read or check (see _cost): a few hundred ms of
# work on two cores, a bound on what one request can cost the server.
MAX_QUERY_COST = 100_000
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
}
KNOWN_FIELDS = set(FIELD_ALIASES) | {a for aliases in FIELD_ALIASES.values() for a in aliases}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FIELD_PREFIX = re.compile(r"(?:^|(?<=[\s(+\-]))(\w+):")


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


class _ExactPhraseNode(plugins.PhrasePlugin.PhraseNode):
    def query(self, parser):
        if self.fieldname in (None, TEXT):
            self.fieldname = EXACT
        return super().query(parser)


class _ExactPhraseTagger(RegexTagger):
    def create(self, parser, match):
        slop = int(match.group("slop")) if match.group("slop") else 1
        return _ExactPhraseNode(match.group("text"), match.start("text"), slop)


class _ExactPhrasePlugin(plugins.PhrasePlugin):
    """Quoted words go to the unstemmed field: they must match as written."""

    def taggers(self, parser):
        return [(_ExactPhraseTagger(self.expr), 0)]


def query_schema(schema) -> fields.Schema:
    """The index schema, with the value fields tokenized as the user types them.

    In the index a tag value is one term ("Vladimir Putin"); in a query ``speaker:putin``
    names a word of it. The parser sees word fields; ``_rewrite`` then turns each into the
    whole values that contain those words.
    """
    qs = schema.copy()
    for name in VALUE_FIELDS:
        if name in qs:
            qs.remove(name)
        qs.add(name, fields.TEXT(analyzer=exact_analyzer(), phrase=True))
    return qs


def make_parser(schema) -> QueryParser:
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
    text = _CONTROL.sub(" ", text).strip()
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


def parse(text: str, parser: QueryParser, reader, values: ValueLookup | None = None) -> ParsedQuery:
    text = check_syntax(text)
    if not text or text in {"*", "*:*"}:
        return ParsedQuery(query=None)
    # Field names are case-insensitive for the user ("Speaker:Putin").
    text = _FIELD_PREFIX.sub(lambda m: m.group(0).lower(), text)
    try:
        q = parser.parse(text)
    except Exception as exc:  # Whoosh raises bare exceptions on odd syntax
        raise QueryError(f"Could not read the query: {exc}") from None
    parsed = ParsedQuery(query=None)
    q = _rewrite(q, reader, parsed, values or ValueLookup({}))
    if q is wq.NullQuery:
        parsed.query = q  # nothing can match (e.g. a prefix no word starts with)
    elif q is None or isinstance(q, wq.Every):
        parsed.query = None  # everything, as an empty query
    else:
        parsed.query = q.normalize()
        if _cost(parsed.query, reader) > MAX_QUERY_COST:
            raise QueryError(
                "This query would take too long to answer: it combines too many very common "
                "words (like 'the', or short prefixes like 'a*'), in ORs or phrases. "
                "Use fewer of them, or rarer words."
            )
    _collect_highlights(parsed.query, parsed, negated=False)
    parsed.plain_words = [
        w
        for w in re.findall(r"(?<![\w:\"*])([A-Za-z][\w']*)(?![\w*:])", _strip_phrases(text))
        if w not in {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
    ]
    return parsed


def _cost(q: wq.Query, reader) -> int:
    """Roughly how many postings running ``q`` costs: the time a query takes follows it.

    ``search.scoring`` reads every posting list whole, so ANDs and ORs cost the sum of
    their parts; a phrase also decodes the positions of each of its words in the
    documents that have them all.
    """
    if isinstance(q, wq.Term):
        return reader.doc_frequency(q.fieldname, q.text)
    if isinstance(q, wq.Phrase):
        freqs = [reader.doc_frequency(q.fieldname, w) for w in q.words]
        return sum(freqs) + POSITION_COST * len(freqs) * min(freqs, default=0)
    children = list(q.children())
    if children:
        return sum(_cost(c, reader) for c in children)
    return q.estimate_size(reader)


def _strip_phrases(text: str) -> str:
    return re.sub(r'"[^"]*"', " ", text)


class ValueLookup:
    """The whole tag values (per value field) and their words, for ``speaker:putin``."""

    def __init__(self, values: dict[str, list[str]]):
        analyzer = exact_analyzer()
        self.tokens = {
            name: [(v, [t.text for t in analyzer(v)]) for v in vals]
            for name, vals in values.items()
        }

    def matching(self, fieldname: str, test) -> list[str]:
        return [v for v, words in self.tokens.get(fieldname, []) if test(words)]


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
        regex = _wildcard_regex(pattern.lower())
        found = values.matching(name, lambda ws: any(regex.match(w) for w in ws))
    if not found:
        return wq.NullQuery
    return wq.Or([wq.Term(VALUE_FIELDS[name], v) for v in found])


def _wildcard_regex(pattern: str) -> re.Pattern:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z"
    )


def _rewrite(q: wq.Query, reader, parsed: ParsedQuery, values: ValueLookup) -> wq.Query | None:
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
        return _expand(fieldname, pattern.lower(), reader, parsed)
    if isinstance(q, wq.Term) and q.text == "":
        return wq.NullQuery
    if isinstance(q, wq.BinaryQuery):  # AndNot, AndMaybe, Require: keep a and b apart
        a = _rewrite(q.a, reader, parsed, values)
        b = _rewrite(q.b, reader, parsed, values)
        if a in (None, wq.NullQuery) or (isinstance(q, wq.Require) and b is wq.NullQuery):
            return wq.NullQuery
        if b in (None, wq.NullQuery):
            return a
        return type(q)(a, b)
    if hasattr(q, "subqueries"):
        subs = [_rewrite(s, reader, parsed, values) for s in q.subqueries]
        subs = [s for s in subs if s is not None and s is not wq.NullQuery]
        if not subs:
            return wq.NullQuery
        q = q.copy()
        q.subqueries = subs
        return q
    if isinstance(q, wq.Not):
        inner = _rewrite(q.query, reader, parsed, values)
        return wq.Not(inner) if inner not in (None, wq.NullQuery) else wq.NullQuery
    return q


def _expand(fieldname: str, pattern: str, reader, parsed: ParsedQuery) -> wq.Query:
    head = re.split(r"[*?]", pattern, maxsplit=1)[0]
    regex = _wildcard_regex(pattern)
    if len(head) < 1 and fieldname == EXACT:
        raise QueryError(f"'{pattern}' needs at least one letter before the first * or ?.")
    candidates = []
    for raw in reader.expand_prefix(fieldname, head):
        word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if regex.match(word):
            candidates.append(word)
    if not candidates:
        return wq.NullQuery
    frequency = {w: reader.doc_frequency(fieldname, w) for w in candidates}
    if len(candidates) > MAX_EXPANSION or sum(frequency.values()) > MAX_EXPANSION_POSTINGS:
        candidates.sort(key=lambda w: -frequency[w])
        chosen, postings = candidates[:1], frequency[candidates[0]]
        for w in candidates[1:MAX_EXPANSION]:
            postings += frequency[w]
            if postings > MAX_EXPANSION_POSTINGS:
                break
            chosen.append(w)
        parsed.notes.append(
            f"'{pattern}' matches {len(candidates):,} words; "
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
