"""tantivy (official Python bindings) as a peer, mirroring our index over the same documents.

Like ours it has a stemmed field (``text``, tantivy's ``en_stem`` chain: Snowball
English, the same algorithm as ours) for plain words and a positional as-written field
(``exact``, the ``default`` chain) for phrases and prefixes; both fold accents as ours
do (tantivy's ASCII folding after lower-casing: "Erdoğan" is "erdogan"), registered as
the ``folded_stem`` and ``folded`` tokenizers. Queries are built as
query objects from the benchmark's query tree, never with ``parse_query``: its default
operator is OR and it reads ``econ*`` as a term. Facet counts use tantivy's terms
aggregation, one call per distinct filter scope (a facet's counts ignore its own
selection, as ours do).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from bench.corpus import Corpus
from bench.querytext import Node, Not, Or, Phrase, Prefix, Word, leaves, parse
from bench.runner import Page
from bench.workload import WorkQuery
from transcripts.index.documents import day_number

FACETS = ("speaker", "person", "geography", "topic")
SHOWN = 3
BIG = 1_000_000  # bucket limit: "all values", as our facets are never truncated


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("tid", stored=True, indexed=True, fast=True)
    sb.add_unsigned_field("pos", fast=True)
    sb.add_integer_field("day", indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_text_field("kind", tokenizer_name="raw")
    sb.add_text_field("text", stored=True, tokenizer_name="folded_stem", index_option="freq")
    sb.add_text_field("exact", tokenizer_name="folded", index_option="position")
    for name in FACETS:
        sb.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in ("tid_id", "title", "date"):
        sb.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    return sb.build()


def build(corpus: Corpus, folder: Path, threads: int = 2) -> dict:
    """Index the documents with ``threads`` writer threads; seconds and bytes on disk."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    ix = _registered(tantivy.Index(_schema(), path=str(folder)))
    writer = ix.writer(heap_size=256 * 2**20, num_threads=threads)
    meta = {t.ordinal: t for t in corpus.transcripts}
    for d in corpus.docs:
        doc = tantivy.Document()
        doc.add_unsigned("tid", d.tid)
        doc.add_unsigned("pos", d.pos)
        doc.add_integer("day", d.day)
        doc.add_integer("year", d.year)
        doc.add_text("kind", d.kind)
        doc.add_text("text", d.text)
        doc.add_text("exact", d.text)
        t = meta[d.tid]
        if d.speaker:
            doc.add_text("speaker", d.speaker)
        for name, values in (("person", t.persons), ("geography", t.geography),
                             ("topic", t.topics)):
            for v in values:
                doc.add_text(name, v)
        if d.kind == "page":
            doc.add_text("tid_id", t.id)
            doc.add_text("title", t.title)
            doc.add_text("date", t.date)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"seconds": round(seconds, 3), "index_bytes": size}


def _analyzer(stemmed: bool):
    """tantivy's ``default`` (``en_stem`` when stemmed) chain with ASCII folding."""
    builder = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
               .filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
               .filter(tantivy.Filter.ascii_fold()))
    if stemmed:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


_STEMMED = _analyzer(stemmed=True)
_PLAIN = _analyzer(stemmed=False)


def _registered(index: tantivy.Index) -> tantivy.Index:
    """Tokenizers are not saved with an index: registered on every open."""
    index.register_tokenizer("folded_stem", _analyzer(stemmed=True))
    index.register_tokenizer("folded", _analyzer(stemmed=False))
    return index


def _folded(text: str) -> str:
    return (_PLAIN.analyze(text) or [text.lower()])[0]


class Tantivy:
    name = "tantivy"

    def __init__(self, folder: Path):
        self.index = _registered(tantivy.Index.open(str(folder)))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    # -- query objects ------------------------------------------------------------------
    def _terms(self, field: str, tokens: list[str]) -> Query:
        qs = [Query.term_query(self.schema, field, t) for t in tokens]
        if len(qs) == 1:
            return qs[0]
        return Query.boolean_query([(Occur.Must, q) for q in qs])

    def to_query(self, node: Node) -> Query:
        if isinstance(node, Word):
            # "people's" is two tokens to tantivy; both must be there.
            return self._terms("text", _STEMMED.analyze(node.text) or [node.text.lower()])
        if isinstance(node, Phrase):
            words = _PLAIN.analyze(node.text)
            if len(words) == 1:
                return Query.term_query(self.schema, "exact", words[0])
            return Query.phrase_query(self.schema, "exact", words)
        if isinstance(node, Prefix):
            return Query.regex_query(self.schema, "exact", re.escape(_folded(node.text)) + ".*")
        if isinstance(node, Or):
            return Query.boolean_query([(Occur.Should, self.to_query(k)) for k in node.children])
        if isinstance(node, Not):
            return Query.boolean_query([(Occur.Must, Query.all_query()),
                                        (Occur.MustNot, self.to_query(node.child))])
        clauses = [(Occur.MustNot, self.to_query(k.child)) if isinstance(k, Not)
                   else (Occur.Must, self.to_query(k)) for k in node.children]
        if all(o == Occur.MustNot for o, _ in clauses):
            clauses.append((Occur.Must, Query.all_query()))
        return Query.boolean_query(clauses)

    def _highlight_query(self, node: Node | None) -> Query | None:
        """The positive words on ``text`` (the stored field): what snippets mark."""
        qs = []
        for leaf, negated in leaves(node):
            if negated:
                continue
            if isinstance(leaf, Prefix):
                qs.append(Query.regex_query(self.schema, "text",
                                            re.escape(_folded(leaf.text)) + ".*"))
            else:
                qs.extend(Query.term_query(self.schema, "text", t)
                          for t in _STEMMED.analyze(leaf.text))
        if not qs:
            return None
        return Query.boolean_query([(Occur.Should, q) for q in qs])

    def _filters(self, query: WorkQuery) -> dict[str, Query]:
        out = {}
        for name, values in query.selections().items():
            out[name] = Query.term_set_query(self.schema, name, values)
        start, end = query.dates()
        if start or end:
            out["date"] = Query.range_query(
                self.schema, "day", tantivy.FieldType.Integer,
                day_number(start) if start else 1, day_number(end) if end else 2**31 - 1)
        return out

    @staticmethod
    def _all(match: Query, filters: list[Query]) -> Query:
        if not filters:
            return match
        return Query.boolean_query([(Occur.Must, match),
                                    *((Occur.Must, Query.const_score_query(f, 0.0))
                                      for f in filters)])

    # -- one results page ---------------------------------------------------------------
    def page(self, query: WorkQuery) -> Page:
        s = self.searcher
        node = parse(query.q)
        match = self.to_query(node) if node is not None else Query.all_query()
        filters = self._filters(query)
        results = self._all(match, list(filters.values()))

        # Facets sharing a scope share one aggregation call.
        scopes: dict[tuple[str, ...], list[str]] = {}
        for name in (*FACETS, "year"):
            keep = tuple(k for k in filters if k != name and not (name == "year" and k == "date"))
            scopes.setdefault(keep, []).append(name)
        facet_values = 0
        total_t = 0
        everything = tuple(filters)
        scopes.setdefault(everything, [])
        for keep, names in scopes.items():
            aggs = {n: {"terms": {"field": n, "size": BIG}} for n in names}
            if keep == everything:
                aggs["tid"] = {"terms": {"field": "tid", "size": BIG}}
            out = s.aggregate(self._all(match, [filters[k] for k in keep]), aggs)
            for n in names:
                counts = sorted(((b["key"], b["doc_count"]) for b in out[n]["buckets"]
                                 if n != "year" or b["key"]),
                                key=lambda kv: (-kv[1], str(kv[0])))
                facet_values += len(counts)
            if keep == everything:
                total_t = len(out["tid"]["buckets"])

        by_date = query.sort != "relevance" or node is None
        tids, total = self._top_transcripts(results, query.sort, by_date)
        ids = self._hits(tids, results, node, by_date)
        return Page(total, total_t, ids, facet_values)

    def _top_transcripts(self, results: Query, sort: str, by_date: bool) -> tuple[list[int], int]:
        limit = 50
        while True:
            if by_date:
                order = tantivy.Order.Asc if sort == "oldest" else tantivy.Order.Desc
                found = self.searcher.search(results, limit, count=True, order_by_field="day",
                                             order=order)
            else:
                found = self.searcher.search(results, limit, count=True)
            addrs = [a for _, a in found.hits]
            tids: list[int] = []
            for t in self.searcher.fast_field_values("tid", addrs):
                if t not in tids:
                    tids.append(t)
                    if len(tids) == 10:
                        break
            if len(tids) >= 10 or len(addrs) >= found.count:
                return tids, found.count
            limit *= 4

    def _hits(self, tids: list[int], results: Query, node: Node | None, by_date: bool) -> list[str]:
        """Each top transcript's matched count, its best three utterances snippeted, its title."""
        s = self.searcher
        hq = self._highlight_query(node)
        gen = tantivy.SnippetGenerator.create(s, hq, self.schema, "text") if hq else None
        if gen:
            gen.set_max_num_chars(260)
        ids = []
        for t in tids:
            in_t = Query.boolean_query([(Occur.Must, results),
                                        (Occur.Must, Query.term_query(self.schema, "tid", t))])
            if by_date:
                found = s.search(in_t, SHOWN, count=True, order_by_field="pos",
                                 order=tantivy.Order.Asc)
            else:
                found = s.search(in_t, SHOWN, count=True)
            for _, addr in found.hits:
                doc = s.doc(addr)
                if gen:
                    gen.snippet_from_doc(doc).to_html()
                else:
                    (doc.get_first("text") or "")[:260]
            page = Query.boolean_query([
                (Occur.Must, Query.term_query(self.schema, "tid", t)),
                (Occur.Must, Query.term_query(self.schema, "kind", "page")),
            ])
            hit = s.search(page, 1).hits
            meta = s.doc(hit[0][1]) if hit else None
            ids.append(meta.get_first("tid_id") if meta else str(t))
        return ids

    @staticmethod
    def cold(folder: Path, query: WorkQuery) -> float:
        started = time.perf_counter()
        Tantivy(folder).page(query)
        return (time.perf_counter() - started) * 1000
