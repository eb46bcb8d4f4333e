"""The index's fields on OpenSearch: the schema of ``index.schema``, analysed in Python.

Words go in pre-analysed. The distribution this targets has only OpenSearch's core
analyzers (no ``english``, no ``stemmer``, no ``whitespace`` tokenizer to build with),
and even a cluster with them would stem and fold differently from NLTK's Snowball and
``schema.fold``, so the two backends would disagree on what a word matches. So each
word field holds the tokens this project's own analyzers make (``schema.fold``, then
``index.language.text_term`` for ``text``: a stem in the document's language), joined by
single spaces, under the prebuilt ``whitespace`` analyzer: one token per word, in
order, so positions (and phrases) are the embedded index's. Queries send the same
analysed forms as ``term`` and phrase queries; OpenSearch never analyses a word itself.

Facet fields are ``keyword`` arrays (one whole value each, as the embedded ``f_*``
fields); ``day`` and ``year`` are numbers for ranges and the year facet; ``words`` is
the word count behind every rate. What a hit shows comes back from ``_source``.

The vocabulary (each word field's words with their document frequencies) goes into a
small companion index: prefixes expand to the same words, capped in the same order,
and the cost limit reads the same frequencies as on the embedded index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from typing import Any

from transcripts.index import language
from transcripts.index.documents import EPOCH
from transcripts.index.schema import EXACT, KIND_PAGE, TEXT, VALUE_FIELDS, WORD_RE, fold

ANALYZER = "whitespace"  # prebuilt in core: splits on spaces, changes nothing else
WORD_FIELDS = (TEXT, EXACT, "title", "role")  # searched by word, with positions
STEMMED_FIELDS = {TEXT, "title"}
FACET_FIELDS = tuple(VALUE_FIELDS.values())  # f_speaker, f_person ...
MAPPING_VERSION = 3  # in _meta and the generation document; 2: first_seen; 3: languages
# What changed in each mapping version, for the message that explains a full rebuild.
MAPPING_CHANGES = {
    2: "each document keeps when its transcript was first indexed",
    3: "words are stemmed in their own language, with language and party facets",
}
# Shown with an utterance, never searched (``index.documents``).
SHOWN = ("label", "note", "speaker", "start", "end", "meta", "lang", "party", "sex",
         "speaker_id", "anchor")

# In a vocabulary count, the key of a word's occurrences in ``exact`` (every use, not the
# documents): the rest of the corpus a speaker's distinctive words are compared with.
USES = "#uses"



def uses_in(code: str) -> str:
    """The vocabulary count key of a word's occurrences in one language's documents."""
    return f"{USES}:{code}"


def by_language(vocabulary: Counter[tuple[str, str]], word: str, languages: set[str]
                ) -> dict[str, int]:
    """A word's occurrences per language, from counts keyed by ``uses_in``."""
    found = {code: vocabulary[(uses_in(code), word)] for code in languages}
    return {code: n for code, n in found.items() if n}


# The companion index's document for the generation's own facts.
GENERATION_DOC = "generation"


# The utterance BM25 the embedded ranking was tuned to (``search.ranking.PARAMS``; a test
# keeps the two equal): a word's first use counts most, a long turn is hardly penalised.
BM25 = {"k1": 0.4, "b": 0.1}


def index_body(shards: int, replicas: int) -> dict[str, Any]:
    """Settings and mapping of a new physical index (refresh off while it is loaded)."""
    word = {"type": "text", "analyzer": ANALYZER, "index_options": "positions",
            "similarity": "utterance"}
    properties: dict[str, dict[str, Any]] = {
        "tid": {"type": "keyword"},
        "pos": {"type": "integer"},
        "kind": {"type": "keyword"},
        "day": {"type": "integer"},  # days since 1970, 0 undated (as the embedded column)
        "year": {"type": "short"},  # 0 undated: not in the year facet
        "month": {"type": "integer"},  # year * 12 + month - 1, -1 undated (over time)
        "words": {"type": "integer"},
        "file": {"type": "keyword"},
        "first_seen": {"type": "double"},  # unix time its transcript was first indexed
        **{name: dict(word) for name in WORD_FIELDS},
        **{name: {"type": "keyword"} for name in FACET_FIELDS},
        # Shown, never searched: kept in _source only.
        "body": {"type": "text", "index": False},
        "label": {"type": "keyword", "index": False, "doc_values": False},
        "note": {"type": "keyword", "index": False, "doc_values": False},
        "speaker": {"type": "keyword", "index": False, "doc_values": False},
        "role_shown": {"type": "keyword", "index": False},  # a speaker's roles: aggregated
        "start": {"type": "float", "index": False},
        "end": {"type": "float", "index": False},
        "meta": {"type": "object", "enabled": False},
        **{name: {"type": "keyword", "index": False, "doc_values": False}
           for name in ("lang", "party", "sex", "speaker_id", "anchor")},
    }
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "refresh_interval": "-1",
                "max_result_window": 100_000,
                "similarity": {"utterance": {"type": "BM25", **BM25}},
            }
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"transcripts_mapping": MAPPING_VERSION},
            # The word fields are derived from body: not kept twice in _source.
            "_source": {"excludes": list(WORD_FIELDS)},
            "properties": properties,
        },
    }


def vocabulary_body(shards: int, replicas: int) -> dict[str, Any]:
    return {
        "settings": {"index": {"number_of_shards": shards, "number_of_replicas": replicas,
                               "refresh_interval": "-1"}},
        "mappings": {
            "dynamic": False,
            "properties": {
                "field": {"type": "keyword"},
                "word": {"type": "keyword"},
                "df": {"type": "integer"},
                "uses": {"type": "long"},
            },
        },
    }


def vocabulary_alias(alias: str) -> str:
    """The companion index's name (or alias) beside an index (or alias)."""
    return f"{alias}-vocabulary"


def word_id(field: str, word: str) -> str:
    """A vocabulary document's id (ids are at most 512 bytes: a long word is hashed)."""
    key = f"{field}:{word}"
    if len(key.encode("utf-8")) > 400:
        key = f"{field}#" + hashlib.sha256(word.encode("utf-8")).hexdigest()
    return key


def doc_id(doc: dict[str, Any]) -> str:
    """Stable across reindexes: the transcript and the place in it."""
    return f"{doc['tid']}/page" if doc["kind"] == KIND_PAGE else f"{doc['tid']}/{doc['pos']}"


def exact_words(text: str) -> list[str]:
    """The ``exact`` tokens of a text (``schema.WordTokenizer`` without stems)."""
    return [fold(m) for m in WORD_RE.findall(text)]


def source(
    doc: dict[str, Any], vocabulary: Counter[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """A document of ``index.documents.transcript_documents`` as OpenSearch takes it;
    ``vocabulary`` (field, word) -> documents, and (USES, word) -> occurrences of an
    ``exact`` word, counted on the way."""
    body = doc.get("body") or ""
    exact = exact_words(body)
    spoken = doc.get("lang") or language.code_of_name(doc.get("f_language") or "")
    stems = [language.text_term(w, spoken or language.DEFAULT) for w in exact]
    out: dict[str, Any] = {
        "tid": doc["tid"],
        "pos": doc["pos"],
        "kind": doc["kind"],
        "day": doc["day"],
        "year": _year(doc["day"]),
        "month": _month(doc["day"]),
        "words": doc.get("words", len(exact)),
        "file": doc.get("file", ""),
        TEXT: " ".join(stems),
        EXACT: " ".join(exact),
        "body": body,
    }
    title = doc.get("title")
    if title:
        out["title"] = " ".join(language.text_term(w, language.DEFAULT)
                                for w in exact_words(title))
    role = doc.get("role")
    if role:
        out["role"] = " ".join(exact_words(role))
        out["role_shown"] = role  # the analysed words are not kept in _source
    for name in FACET_FIELDS:
        values = [v for v in (doc.get(name) or "").split("\n") if v]
        if values:
            out[name] = values
    for name in SHOWN:
        if doc.get(name) is not None:
            out[name] = doc[name]
    if vocabulary is not None:
        for name in WORD_FIELDS:
            if out.get(name):
                vocabulary.update((name, w) for w in set(out[name].split(" ")))
        vocabulary.update((USES, w) for w in exact)
        # ... and in the document's language: distinctive words and "did you mean"
        # compare within one language (``search.opensearch_analysis``).
        vocabulary.update((uses_in(spoken or language.DEFAULT), w) for w in exact)
    return out


def doc_language(src: dict[str, Any]) -> str:
    """A document's language code, from what ``source`` keeps of it."""
    facet = src.get("f_language") or []
    named = facet[0] if isinstance(facet, list) and facet else facet
    return str(src.get("lang") or language.code_of_name(str(named or "")) or language.DEFAULT)


def _year(day: int) -> int:
    return (EPOCH + dt.timedelta(days=day)).year if day > 0 else 0


def _month(day: int) -> int:
    if day <= 0:
        return -1
    date = EPOCH + dt.timedelta(days=day)
    return date.year * 12 + date.month - 1
