"""The analysis views on OpenSearch, counted as the embedded engine counts them.

Words, transcripts and dates come from aggregations (sums of each document's ``words``,
a bucket per transcript counted exactly). Hits — a query's occurrences — are term
frequencies, which OpenSearch can match on but not add up without scripts (the core
distribution has none): the matching documents are read through a point in time and
their words counted here, with the analyzers that made the index (``search.hits``'s
rules on the text itself). So the figures are the embedded engine's, at the cost of
reading the text of the documents a query matches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from whoosh import query as wq

from transcripts.index import language
from transcripts.index.opensearch import mapping
from transcripts.index.opensearch.mapping import exact_words
from transcripts.index.schema import EXACT, TEXT, VALUE_FIELDS, WORD_RE, fold, stem
from transcripts.search.concordance import (
    CONTEXT_KEYS,
    Concordance,
    ConcordanceLine,
    NoWordsToShow,
    Unit,
    check_concordance,
    check_page,
    hit_units,
    left_context,
    right_context,
)
from transcripts.search.concordance import PER_PAGE as CONCORDANCE_PER_PAGE
from transcripts.search.concordance import WIDTH as CONCORDANCE_WIDTH
from transcripts.search.distinctive import (
    CACHED_SPEAKERS,
    G2_MIN,
    MIN_TRANSCRIPTS,
    MIN_USES,
    SHOWN,
    DistinctiveWord,
    g2_of,
)
from transcripts.search.hits import positive_leaves
from transcripts.search.opensearch_engine import (
    SCAN_BATCH,
    ClusterGeneration,
    ClusterIndex,
    call,
    counted_once,
    counted_transcripts,
    metas,
    scan,
    selection,
    selection_counted,
    transcript_count,
    whole,
)
from transcripts.search.opensearch_export import ORDERS
from transcripts.search.query import ParsedQuery, QueryError
from transcripts.search.results import SearchRequest
from transcripts.search.speaker_profile import (
    EXCERPT_CHARS,
    SHOWN_TAGS,
    SHOWN_TURNS,
    RoleSpan,
    SpeakerProfile,
    TagCount,
    Turn,
    iso_day,
    person_tag_for,
    speaker_for_tag,
    surname_for,
)
from transcripts.search.speaker_stats import (
    DEFAULT_MIN_HITS,
    DEFAULT_MIN_TRANSCRIPTS,
    DEFAULT_MIN_WORDS,
    SpeakerRanking,
    check_ranking,
    ranked,
)
from transcripts.search.trends import (
    BUCKETS,
    MONTHS_UP_TO_DAYS,
    Trends,
    check_queries,
    date_of,
    day_of,
    series,
    spans_of,
)


# -- hits ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Leaf:
    field: str
    words: tuple[str, ...]


def counted_leaves(q: wq.Query | None) -> list[_Leaf]:
    """The query's positive words and phrases, each once ("gas gas" counts gas once)."""
    leaves: dict[_Leaf, None] = {}
    for leaf in positive_leaves(q):
        words = (leaf.text,) if isinstance(leaf, wq.Term) else tuple(leaf.words)
        leaves[_Leaf(leaf.fieldname, words)] = None
    return list(leaves)


def occurrences(src: dict[str, Any], leaves: list[_Leaf]) -> int:
    """How often the leaves occur in one document (``search.hits.hit_counts``'s rules):
    a word's frequency in its field, a phrase's places with its words side by side."""
    if not leaves:
        return 0
    exact = exact_words(src.get("body") or "")
    streams: dict[str, list[str]] = {EXACT: exact}
    total = 0
    for leaf in leaves:
        tokens = streams.get(leaf.field)
        if tokens is None:
            if leaf.field == TEXT:
                spoken = mapping.doc_language(src)
                tokens = streams[TEXT] = [language.text_term(w, spoken) for w in exact]
            elif leaf.field == "title":
                title = (src.get("meta") or {}).get("title") or ""
                tokens = streams["title"] = [stem(w) for w in exact_words(title)]
            else:
                continue
        words = list(leaf.words)
        if len(words) == 1:
            total += tokens.count(words[0])
        else:
            n = len(words)
            total += sum(1 for i in range(len(tokens) - n + 1) if tokens[i : i + n] == words)
    return total


def _hits(index: ClusterIndex, gen: ClusterGeneration, query: dict[str, Any],
          parsed: ParsedQuery, key_of: Callable[[dict[str, Any]], int]) -> dict[int, int]:
    """Occurrences of the query per key (``key_of(source)``) over the matching documents."""
    leaves = counted_leaves(parsed.query)
    out: dict[int, int] = {}
    if not leaves:
        return out
    for hit in scan(index, gen, query, ["_doc"], ["body", "kind", "meta.title", "month",
                                                   "f_speaker", "lang", "f_language"]):
        src = hit["_source"]
        n = occurrences(src, leaves)
        if n:
            key = key_of(src)
            out[key] = out.get(key, 0) + n
    return out


PAIRS_PAGE = 10_000  # (value, transcript) pairs per request of ``groups``


# -- over time -----------------------------------------------------------------------------
def _days(gen: ClusterGeneration) -> tuple[int, int]:
    """The earliest and latest dated document of the generation (kept: it never changes)."""

    def build(g: ClusterGeneration) -> tuple[int, int]:
        answer = whole(g.settings, g.conn.search(index=g.name, body={
            "size": 0, "query": {"range": {"day": {"gt": 0}}},
            "aggs": {"lo": {"min": {"field": "day"}}, "hi": {"max": {"field": "day"}}}}))
        lo, hi = answer["aggregations"]["lo"]["value"], answer["aggregations"]["hi"]["value"]
        return (int(lo), int(hi)) if lo is not None else (0, 0)

    return gen.derived("days", build)


def groups(index: ClusterIndex, gen: ClusterGeneration, query: dict[str, Any], field: str
           ) -> dict[Any, tuple[int, int]]:  # values as JSON has them: str, or a number
    """(words, transcripts) of the documents of ``query`` per value of ``field``, exactly:
    a composite aggregation over (value, transcript) pairs, page after page, so no count
    is an estimate and no request makes more buckets than a search may (65,535)."""
    out: dict[Any, list[int]] = {}
    after = None
    while True:
        composite: dict[str, Any] = {"size": PAIRS_PAGE, "sources": [
            {"v": {"terms": {"field": field}}}, {"t": {"terms": {"field": "tid"}}}]}
        if after:
            composite["after"] = after
        body = {"size": 0, "query": query, "aggs": {"pairs": {
            "composite": composite, "aggs": {"words": {"sum": {"field": "words"}}}}}}
        agg = call(index, lambda b=body: gen.conn.search(index=gen.name, body=b))
        agg = agg["aggregations"]["pairs"]
        for b in agg["buckets"]:
            counts = out.setdefault(b["key"]["v"], [0, 0])
            counts[0] += int(b["words"]["value"])
            counts[1] += 1
        after = agg.get("after_key")
        if not agg["buckets"] or not after:
            return {k: (w, t) for k, (w, t) in out.items()}


def _per_month(index: ClusterIndex, gen: ClusterGeneration, query: dict[str, Any]
               ) -> dict[int, tuple[int, int]]:
    """(words, transcripts) of the documents of ``query`` per month."""
    return {int(k): v for k, v in groups(index, gen, query, "month").items()}


def trends(index: ClusterIndex, req: SearchRequest, queries: list[str],
           bucket: str | None = None) -> Trends:
    """``search.trends.trends`` on the cluster: the same buckets and figures."""
    queries = check_queries(queries)
    if bucket is not None and bucket not in BUCKETS:
        raise QueryError(f"bucket must be one of {', '.join(BUCKETS)} (got '{bucket}').")
    selections = [selection(index, dataclasses.replace(req, q=q)) for q in queries]
    gen = selections[0][0]
    once = counted_once(index, gen, req, [(parsed, query) for _, _, parsed, query in selections])
    if once is not None:  # one corpus for every series
        selections = [(g, r, p, {"bool": {**q["bool"], "filter": [*q["bool"]["filter"], once]}})
                      for g, r, p, q in selections]
    filters = selections[0][3]["bool"]["filter"]
    first_day, last_day = _days(gen)
    lo_day = max(first_day, day_of(req.date_from))
    hi_day = min(last_day, day_of(req.date_to) or last_day)
    if bucket is None:
        bucket = "month" if hi_day - lo_day <= MONTHS_UP_TO_DAYS else "year"
    if hi_day < lo_day or not first_day:
        spans: list[tuple[int, dt.date, dt.date]] = []
    else:
        spans = spans_of(date_of(lo_day), date_of(hi_day), bucket)
    n = len(spans)
    per_year = bucket == "year"
    first_key = spans[0][0] if spans else 0
    if spans:
        lo_month = first_key * 12 if per_year else first_key
        hi_month = spans[-1][0] * 12 + 11 if per_year else spans[-1][0]
    else:
        lo_month, hi_month = 0, -1
    in_range = {"range": {"month": {"gte": lo_month, "lte": hi_month}}}

    def slot(month: int) -> int:
        return (month // 12 if per_year else month) - first_key

    undated = call(index, lambda: gen.conn.search(index=gen.name, body={
        "size": 0, "query": {"bool": {"filter": [*filters, {"range": {"day": {"lte": 0}}}]}},
        "aggs": {"w": {"sum": {"field": "words"}}}}))
    undated_words = int(undated["aggregations"]["w"]["value"])
    words = np.zeros(n)
    all_tr = np.zeros(n, dtype=np.int64)
    if n:
        for month, (w, t) in _per_month(index, gen,
                                        {"bool": {"filter": [*filters, in_range]}}).items():
            words[slot(month)] += w
            all_tr[slot(month)] += t
    out = []
    for q, (_, _, parsed, query) in zip(queries, selections, strict=True):
        hits = np.zeros(n)
        tr = np.zeros(n, dtype=np.int64)
        if n:
            matched = {"bool": {"must": [query], "filter": [in_range]}}
            for month, (_, t) in _per_month(index, gen, matched).items():
                tr[slot(month)] += t
            for month, k in _hits(index, gen, matched, parsed,
                                  lambda src: int(src["month"])).items():
                hits[slot(month)] += k
        out.append(series(q, spans, hits, words, tr, all_tr, lo_day, hi_day, parsed))
    return Trends(req, queries, bucket, out, undated_words)


# -- who said it most ----------------------------------------------------------------------
def speaker_ranking(
    index: ClusterIndex,
    req: SearchRequest,
    sort: str = "low",
    min_words: int = DEFAULT_MIN_WORDS,
    min_hits: int = DEFAULT_MIN_HITS,
    min_transcripts: int = DEFAULT_MIN_TRANSCRIPTS,
    limit: int = 100,
    by: str = "speaker",
) -> SpeakerRanking:
    """``search.speaker_stats.speaker_ranking`` on the cluster: the same figures."""
    check_ranking(sort, min_words, min_hits, min_transcripts, limit, by)
    gen, _, parsed, query = selection_counted(index, dataclasses.replace(req, page=1))
    facet = gen.facets[by]
    field = VALUE_FIELDS[by]
    n = len(facet.values)
    spoken = [*query["bool"]["filter"], {"exists": {"field": field}}]
    words = np.zeros(n)
    spoke_in = np.zeros(n, dtype=np.int64)
    for value, (w, t) in groups(index, gen, {"bool": {"filter": spoken}}, field).items():
        i = facet.ids.get(value)
        if i is not None:
            words[i], spoke_in[i] = w, t
    has_query = parsed.query is not None
    hits = np.zeros(n)
    transcripts = np.zeros(n, dtype=np.int64)
    leaves = counted_leaves(parsed.query)
    if has_query and leaves:
        said: set[tuple[int, str]] = set()
        matched = {"bool": {"must": [query], "filter": [{"exists": {"field": field}}]}}
        for hit in scan(index, gen, matched, ["_doc"], ["body", "kind", "meta.title",
                                                        field, "tid", "lang", "f_language"]):
            src = hit["_source"]
            k = occurrences(src, leaves)
            i = facet.ids.get(src[field][0])
            if k and i is not None:
                hits[i] += k
                said.add((i, src["tid"]))
        for i, _ in said:
            transcripts[i] += 1
    return ranked(req, facet.values, words, spoke_in, hits, transcripts, has_query, sort,
                  min_words, min_hits, min_transcripts, limit, by)


# -- a speaker's page ----------------------------------------------------------------------
def speaker_profile(index: ClusterIndex, name: str) -> SpeakerProfile | None:
    """``search.speaker_profile.speaker_profile`` on the cluster: the same page."""
    gen = index.current()
    speakers, persons = gen.facets["speaker"].ids, gen.facets["person"].ids
    is_speaker = name in speakers
    tag = person_tag_for(gen, name) if is_speaker else (name if name in persons else None)
    if not is_speaker and tag is None:
        return None
    if not is_speaker and tag is not None and speaker_for_tag(gen, tag):
        name = speaker_for_tag(gen, tag) or name
        is_speaker = True
    theirs = {"term": {"f_speaker": name}} if is_speaker else {"match_none": {}}
    dated = {"range": {"day": {"gt": 0}}}
    aggs = {
        "words": {"sum": {"field": "words"}},
        **transcript_count(gen),
        "dated": {"filter": dated, "aggs": {"lo": {"min": {"field": "day"}},
                                            "hi": {"max": {"field": "day"}}}},
        "years": {"filter": dated, "aggs": {"y": {
            "terms": {"field": "year", "size": 1000},
            "aggs": {"words": {"sum": {"field": "words"}}}}}},
        "roles": {"terms": {"field": "role_shown", "missing": "", "size": 10_000},
                  "aggs": {"lo": {"min": {"field": "day", "missing": 0}},
                           "first": {"filter": dated, "aggs": {
                               "day": {"min": {"field": "day"}}}},
                           "hi": {"max": {"field": "day"}}}},
    }
    answer = call(index, lambda: gen.conn.search(
        index=gen.name, body={"size": 0, "track_total_hits": True, "query": theirs,
                              "aggs": aggs}, filter_path="-aggregations.tids"))
    aggregations = answer.get("aggregations", {})
    turns = int(answer["hits"]["total"]["value"])
    lo, hi = (aggregations["dated"]["lo"]["value"], aggregations["dated"]["hi"]["value"]) \
        if turns else (None, None)
    by_year = {int(b["key"]): int(b["words"]["value"])
               for b in aggregations.get("years", {}).get("y", {}).get("buckets", [])}
    words_by_year = [(y, by_year.get(y, 0)) for y in range(min(by_year), max(by_year) + 1)] \
        if by_year else []
    newest = [{"day": "desc"}, {"pos": "desc"}, {"tid": "asc"}]
    latest = _turns(index, gen, theirs, newest) if is_speaker else []
    tagged_pages, tagged_latest, mentions, mentions_latest = 0, [], 0, []
    if tag is not None:
        pages = {"bool": {"filter": [{"term": {"f_person": tag}}, {"term": {"kind": "page"}}]}}
        tagged_pages = _count(index, gen, pages)
        tagged_latest = _turns(index, gen, pages, newest)
        word = surname_for(name, tag)
        if word:
            others = {"bool": {"filter": [{"term": {EXACT: fold(word)}},
                                          {"exists": {"field": "f_speaker"}}],
                               "must_not": [theirs]}}
            mentions = _count(index, gen, others)
            mentions_latest = _turns(index, gen, others, newest)
    return SpeakerProfile(
        name=name,
        is_speaker=is_speaker,
        person_tag=tag,
        turns=turns,
        words=int(aggregations.get("words", {}).get("value") or 0),
        transcripts=counted_transcripts(aggregations) if turns else 0,
        first=iso_day(int(lo)) if lo is not None else None,
        last=iso_day(int(hi)) if hi is not None else None,
        roles=_roles(aggregations) if is_speaker else [],
        words_by_year=words_by_year,
        distinctive=distinctive_words(index, gen, name) if is_speaker else [],
        tags=_tags(index, gen, theirs) if turns else {},
        latest=latest,
        tagged_pages=tagged_pages,
        tagged_latest=tagged_latest,
        mentions=mentions,
        mentions_latest=mentions_latest,
    )


def _count(index: ClusterIndex, gen: ClusterGeneration, query: dict[str, Any]) -> int:
    return int(call(index, lambda: gen.conn.count(index=gen.name, body={"query": query}))
               ["count"])


def _turns(index: ClusterIndex, gen: ClusterGeneration, query: dict[str, Any],
           sort: Sequence[str | dict[str, Any]]) -> list[Turn]:
    hits = call(index, lambda: gen.conn.search(index=gen.name, body={
        "query": query, "sort": sort, "size": SHOWN_TURNS,
        "_source": ["tid", "pos", "body", "speaker"]}))["hits"]["hits"]
    found = metas(index, gen, list(dict.fromkeys(h["_source"]["tid"] for h in hits)))
    out = []
    for h in hits:
        src = h["_source"]
        meta = found.get(src["tid"], {})
        text = " ".join((src.get("body") or "").split())
        if len(text) > EXCERPT_CHARS:
            text = text[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + " …"
        out.append(Turn(transcript_id=src["tid"], title=meta.get("title", ""),
                        date=meta.get("effective_date", ""), position=int(src["pos"]),
                        speaker=src.get("speaker") or "", text=text))
    return out


def _roles(aggregations: dict[str, Any]) -> list[RoleSpan]:
    rows = []
    for b in aggregations.get("roles", {}).get("buckets", []):
        first = b["first"]["day"]["value"]
        rows.append(RoleSpan(b["key"], int(b["doc_count"]),
                             iso_day(int(first)) if first is not None else "",
                             iso_day(int(b["hi"]["value"] or 0))))
    return sorted(rows, key=lambda r: (r.first or "9999", r.role))


def _tags(index: ClusterIndex, gen: ClusterGeneration, theirs: dict[str, Any]
          ) -> dict[str, list[TagCount]]:
    """Tags of the transcripts they speak in, by how many of those transcripts have each."""
    out = {}
    for name in ("geography", "topic", "person"):
        counts = [(v, t) for v, (_, t) in groups(index, gen, theirs, f"f_{name}").items()]
        counts.sort(key=lambda kv: (-kv[1], kv[0]))
        show = gen.people.show if name == "person" else str
        out[name] = [TagCount(v, n, show(v)) for v, n in counts[:SHOWN_TAGS]]
    return out


def distinctive_words(index: ClusterIndex, gen: ClusterGeneration, name: str,
                      shown: int = SHOWN) -> list[DistinctiveWord]:
    """``search.distinctive`` on the cluster: the speaker's words counted from their turns,
    the rest of the corpus from the vocabulary index's uses of each word."""
    cache: dict[str, list[DistinctiveWord]] = gen.derived("distinctive", lambda g: {})
    if name in cache:
        return cache[name][:shown]
    # Per language: in a corpus of several, the speaker is compared within the language
    # most of their words are in (``search.distinctive``'s rule).
    mine_in: dict[str, dict[str, int]] = {}
    where_in: dict[str, dict[str, set[str]]] = {}
    for hit in scan(index, gen, {"term": {"f_speaker": name}}, ["_doc"],
                    ["body", "tid", "lang", "f_language"]):
        src = hit["_source"]
        code = mapping.doc_language(src) if len(gen.languages) > 1 else ""
        mine, where = mine_in.setdefault(code, {}), where_in.setdefault(code, {})
        for word in exact_words(src.get("body") or ""):
            mine[word] = mine.get(word, 0) + 1
            where.setdefault(word, set()).add(src["tid"])
    if not mine_in:
        return []
    main = min(mine_in, key=lambda code: (-sum(mine_in[code].values()), code))
    mine, where = mine_in[main], where_in[main]
    in_main = [{"term": {"f_language": language.name(main)}}] if main else []
    total_words = int(call(index, lambda: gen.conn.search(index=gen.name, body={
        "size": 0, "query": {"bool": {"filter": in_main}},
        "aggs": {"w": {"sum": {"field": "words"}}}}))["aggregations"]["w"]["value"])
    c = float(sum(mine.values()))
    d = float(total_words) - c
    if c <= 0 or d <= 0:
        return []
    candidates = sorted(w for w, n in mine.items() if n >= MIN_USES)
    uses = gen.uses(candidates, main or None)
    a = np.array([mine[w] for w in candidates], dtype=float)
    b = np.array([uses.get(w, 0) - mine[w] for w in candidates], dtype=float)
    g2 = g2_of(a, b, c, d)
    per_term = np.array([len(where[w]) for w in candidates], dtype=np.int64)
    keep = (g2 >= G2_MIN) & ((a / c) > (b / d)) & (per_term >= MIN_TRANSCRIPTS)
    words = [w for w, k in zip(candidates, keep, strict=True) if k]
    a, b, g2, per_term = a[keep], b[keep], g2[keep], per_term[keep]
    log_ratio = np.log2((a / c) / (np.where(b > 0, b, 0.5) / d))
    order = np.lexsort((-g2, -log_ratio))
    result = [
        DistinctiveWord(word=words[i], uses=int(a[i]), transcripts=int(per_term[i]),
                        per_10k=round(float(a[i]) / c * 10_000, 3), rest_uses=int(b[i]),
                        rest_per_10k=round(float(b[i]) / d * 10_000, 3),
                        log_ratio=round(float(log_ratio[i]), 3), g2=round(float(g2[i]), 2))
        for i in order.tolist()
    ]
    if len(cache) >= CACHED_SPEAKERS:
        cache.clear()
    cache[name] = result
    return result[:shown]


# -- the concordance -----------------------------------------------------------------------
_SPACE = re.compile(r"\s+")

@dataclasses.dataclass
class _Hit:
    place: int  # the document's place in date order (oldest or newest)
    doc_id: str
    tid: str
    begin: int  # where the match starts in the document's text
    last: int  # where its last word starts
    keys: dict[int, str | None]  # words -2 .. 2 around it (0: its first word), folded
    score: float


@dataclasses.dataclass
class ClusterOrderedHits:
    """``search.concordance.OrderedHits`` on the cluster: every hit, in order."""

    index: ClusterIndex
    gen: ClusterGeneration
    hits: list[_Hit]
    matched: int
    notes: list[str]
    width: int

    @property
    def total(self) -> int:
        return len(self.hits)

    def lines(self, start: int = 0, stop: int | None = None) -> list[ConcordanceLine]:
        return list(self.iter_lines(start, stop))

    def iter_lines(self, start: int = 0, stop: int | None = None) -> Iterator[ConcordanceLine]:
        """Lines ``start:stop``; their documents and titles read a batch at a time."""
        picked = self.hits[start:stop]
        for at in range(0, len(picked), SCAN_BATCH):
            batch = picked[at : at + SCAN_BATCH]
            ids = list(dict.fromkeys(h.doc_id for h in batch))
            found = call(self.index, lambda ids=ids: self.gen.conn.mget(
                index=self.gen.name, body={"ids": ids},
                _source_includes=["body", "kind", "speaker", "label", "role_shown", "pos"]))
            docs = {d["_id"]: d["_source"] for d in found["docs"] if d.get("found")}
            titles = metas(self.index, self.gen, list(dict.fromkeys(h.tid for h in batch)))
            for number, h in enumerate(batch, start=start + at + 1):
                src = docs.get(h.doc_id, {})
                text = src.get("body") or ""
                last_word = WORD_RE.match(text, h.last)
                end = last_word.end() if last_word else h.begin
                meta = titles.get(h.tid, {})
                yield ConcordanceLine(
                    number=number, transcript_id=h.tid, title=meta.get("title", ""),
                    date=meta.get("effective_date", ""), position=int(src.get("pos", 0)),
                    kind=src.get("kind", ""), speaker=src.get("speaker") or "",
                    label=src.get("label") or "", role=src.get("role_shown") or "",
                    left=left_context(text, h.begin, self.width),
                    match=_SPACE.sub(" ", text[h.begin:end]),
                    right=right_context(text, end, self.width),
                )


def _element_matches(element: tuple[str, str], word: str, stems: dict[str, str]) -> bool:
    kind, text = element
    if kind == "word":
        return word == text
    # A stem of another language than English carries its code ("de:haus"): the word is
    # stemmed as that language to compare (the document's own language is not checked).
    key = f"{language.term_language(text)}{language.SEPARATOR}{word}"
    s = stems.get(key)
    if s is None:
        s = stems[key] = language.text_term(word, language.term_language(text))
    return s == text


def _hits_in(text: str, units: list[Unit], stems: dict[str, str]
             ) -> tuple[list[tuple[int, int]], list[str], list[int]]:
    """(first token, length) of every hit in one text, in reading order, never overlapping
    (``search.concordance.find_hits``'s rules), with the tokens' words and offsets."""
    matches = list(WORD_RE.finditer(text))
    words = [fold(m.group()) for m in matches]
    found: list[tuple[int, int]] = []
    for unit in units:
        n = len(unit)
        for i in range(len(words) - n + 1):
            if all(_element_matches(unit[k], words[i + k], stems) for k in range(n)):
                found.append((i, n))
    if len(units) > 1 or max((len(u) for u in units), default=1) > 1:
        found.sort(key=lambda h: (h[0], -h[1]))
        kept, covered = [], -1
        for i, n in found:
            if i >= covered:
                kept.append((i, n))
                covered = max(covered, i + n)
        found = kept
    return found, words, [m.start() for m in matches]


def ordered_hits(index: ClusterIndex, req: SearchRequest, sort: str = "oldest",
                 width: int = CONCORDANCE_WIDTH) -> ClusterOrderedHits:
    """``search.concordance.ordered_hits`` on the cluster: every matching document's text
    is read (through a point in time) and its hits found with the same rules."""
    check_concordance(req, sort, width)
    gen, _, parsed, query = selection(index, req)
    units = hit_units(parsed.query)
    if parsed.query is None or (not units and parsed.query is not wq.NullQuery):
        raise NoWordsToShow(
            "This query names no words to show in context (only filters such as speaker: or "
            "geography:). Add a word or a \"phrase\"."
        )
    newest = sort == "newest"
    order = ORDERS["newest" if newest else "oldest"]
    if sort == "relevance":
        order = ["_score", *order]
    stems: dict[str, str] = {}
    hits: list[_Hit] = []
    matched = 0
    source = ["body", "tid"]
    for place, hit in enumerate(scan(index, gen, query, order, source)):
        matched += 1
        if not units:
            continue
        src = hit["_source"]
        found, words, starts = _hits_in(src.get("body") or "", units, stems)
        for i, n in found:
            keys = {k: words[i + k] if 0 <= i + k < len(words) else None for k in (-2, -1)}
            keys.update({k: words[i + n - 1 + k] if i + n - 1 + k < len(words) else None
                         for k in (1, 2)})
            keys[0] = words[i]
            hits.append(_Hit(place, hit["_id"], src["tid"], starts[i], starts[i + n - 1],
                             keys, float(hit.get("_score") or 0.0)))
    if sort in CONTEXT_KEYS:
        hits.sort(key=lambda h: (*(_rank(h.keys[k]) for k in CONTEXT_KEYS[sort]), h.place))
    return ClusterOrderedHits(index, gen, hits, matched, list(parsed.notes), width)


def _rank(word: str | None) -> tuple[int, str]:
    """A word for sorting; none (the utterance ends first) before any."""
    return (0, "") if word is None else (1, word)


def concordance(index: ClusterIndex, req: SearchRequest, sort: str = "oldest", page: int = 1,
                per_page: int = CONCORDANCE_PER_PAGE,
                width: int = CONCORDANCE_WIDTH) -> Concordance:
    """``search.concordance.concordance`` on the cluster: the same page and totals."""
    check_page(page, per_page)
    ordered = ordered_hits(index, req, sort, width)
    start = (page - 1) * per_page
    return Concordance(
        request=req, sort=sort, page=page, per_page=per_page, width=width,
        total=ordered.total,
        utterances=len({h.doc_id for h in ordered.hits}),
        transcripts=len({h.tid for h in ordered.hits}),
        matched=ordered.matched,
        lines=ordered.lines(start, start + per_page) if start < ordered.total else [],
        notes=ordered.notes,
    )
