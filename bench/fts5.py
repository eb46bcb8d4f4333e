"""SQLite FTS5 as a peer, mirroring our index over the same documents.

Two FTS5 tables over one content table, as ours has two fields: ``ft`` is stemmed
(``porter unicode61``) for plain words, ``fx`` keeps words as written (``unicode61``)
for phrases and prefixes. Both fold accents as ours do (``remove_diacritics 2``, said
outright though 1 is the default: "Erdoğan" is "erdogan"; like ours, FTS5 keeps ß and æ;
unlike ours it keeps ø and ł). Both are external-content tables, so the text is stored
once. A query's matches go into a temporary table with their bm25 score; facet
counts, totals and the top ten transcripts are then plain SQL over it, with the same
disjunctive rule as ours: a facet's counts ignore that facet's own selection. The
match table carries each match's document columns: joined back to ``docs``, SQLite
builds a Bloom filter over every document first, ~4 ms per statement even for one hit.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bench.corpus import Corpus
from bench.querytext import And, Node, Not, Or, Phrase, Prefix, Word, leaves, parse
from bench.runner import Page
from bench.workload import WorkQuery
from transcripts.index.documents import day_number

TAG_FACETS = ("person", "geography", "topic")
COLUMNS = "tid, pos, speaker, day, year"  # copied into the match table with each match
SHOWN = 3
SCHEMA = """
CREATE TABLE transcripts(tid INTEGER PRIMARY KEY, id TEXT, title TEXT, date TEXT, place TEXT);
CREATE TABLE tags(tid INTEGER, facet TEXT, value TEXT);
CREATE TABLE docs(id INTEGER PRIMARY KEY, tid INTEGER, pos INTEGER, kind TEXT,
                  speaker TEXT, day INTEGER, year INTEGER, text TEXT);
CREATE VIRTUAL TABLE ft USING fts5(text, content='docs', content_rowid='id',
                                   tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE fx USING fts5(text, content='docs', content_rowid='id',
                                   tokenize='unicode61 remove_diacritics 2');
"""
INDEXES = """
CREATE INDEX tags_value ON tags(facet, value, tid);
CREATE INDEX tags_tid ON tags(tid, facet);
CREATE INDEX docs_tid ON docs(tid, pos);
"""


def build(corpus: Corpus, path: Path) -> dict:
    """Load and index the documents; seconds and bytes on disk."""
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
    db.executemany(
        "INSERT INTO transcripts VALUES (?,?,?,?,?)",
        ((t.ordinal, t.id, t.title, t.date, t.place) for t in corpus.transcripts),
    )
    db.executemany(
        "INSERT INTO tags VALUES (?,?,?)",
        ((t.ordinal, facet, v) for t in corpus.transcripts
         for facet, values in (("person", t.persons), ("geography", t.geography),
                               ("topic", t.topics)) for v in values),
    )
    db.executemany(
        "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?)",
        ((d.n, d.tid, d.pos, d.kind, d.speaker, d.day, d.year, d.text) for d in corpus.docs),
    )
    db.executescript(INDEXES)
    db.execute("INSERT INTO ft(ft) VALUES('rebuild')")
    db.execute("INSERT INTO fx(fx) VALUES('rebuild')")
    db.execute("INSERT INTO ft(ft) VALUES('optimize')")
    db.execute("INSERT INTO fx(fx) VALUES('optimize')")
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return {"seconds": round(time.perf_counter() - started, 3), "index_bytes": path.stat().st_size}


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _table(node: Node) -> str | None:
    """The one table a subtree can be matched in, or None when it needs both."""
    if isinstance(node, Word):
        return "ft"
    if isinstance(node, Phrase | Prefix):
        return "fx"
    kids = [node.child] if isinstance(node, Not) else list(node.children)
    tables = {_table(k) for k in kids}
    return tables.pop() if len(tables) == 1 else None


def to_match(node: Node) -> str:
    """An FTS5 MATCH expression for a single-table subtree (AND default, binary NOT)."""
    if isinstance(node, Word):
        return _quote(node.text)
    if isinstance(node, Phrase):
        return _quote(node.text)
    if isinstance(node, Prefix):
        return _quote(node.text) + "*"
    if isinstance(node, Or):
        return "(" + " OR ".join(to_match(k) for k in node.children) + ")"
    if isinstance(node, And):
        pos = [k for k in node.children if not isinstance(k, Not)]
        neg = [k.child for k in node.children if isinstance(k, Not)]
        if not pos:
            raise ValueError("a pure negation has no FTS5 MATCH form")
        expr = "(" + " AND ".join(to_match(k) for k in pos) + ")"
        for n in neg:
            expr += " NOT " + to_match(n)
        return expr
    raise ValueError(f"cannot render {node!r} as one MATCH")


def to_rowids(node: Node) -> tuple[str, list]:
    """SQL giving the matching rowids of any subtree: set operations across the tables."""
    table = _table(node)
    if table and not (isinstance(node, Not) or
                      (isinstance(node, And) and all(isinstance(k, Not) for k in node.children))):
        return f"SELECT rowid AS id FROM {table} WHERE {table} MATCH ?", [to_match(node)]
    if isinstance(node, Or):
        parts = [to_rowids(k) for k in node.children]
        return " UNION ".join(f"SELECT id FROM ({s})" for s, _ in parts), _flat(parts)
    if isinstance(node, Not):
        sql, params = to_rowids(node.child)
        return f"SELECT id FROM docs EXCEPT SELECT id FROM ({sql})", params
    assert isinstance(node, And)
    pos = [to_rowids(k) for k in node.children if not isinstance(k, Not)]
    neg = [to_rowids(k.child) for k in node.children if isinstance(k, Not)]
    sql = " INTERSECT ".join(f"SELECT id FROM ({s})" for s, _ in pos) or "SELECT id FROM docs"
    for s, _ in neg:
        sql += f" EXCEPT SELECT id FROM ({s})"
    return sql, _flat(pos) + _flat(neg)


def _flat(parts: list[tuple[str, list]]) -> list:
    return [p for _, params in parts for p in params]


def _snippet_expr(node: Node | None) -> tuple[str, str] | None:
    """(table, MATCH) whose snippet() marks the positive words, where one table holds them."""
    positive = [leaf for leaf, negated in leaves(node) if not negated]
    for table in ("ft", "fx"):
        mine = [leaf for leaf in positive if _table(leaf) == table]
        if mine and len(mine) == len(positive):
            return table, " OR ".join(to_match(leaf) for leaf in mine)
    return None


class Fts5:
    name = "fts5"

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(
            "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;"
            "CREATE TEMP TABLE m(id INTEGER PRIMARY KEY, score REAL, tid INTEGER, pos INTEGER,"
            " speaker TEXT, day INTEGER, year INTEGER);"
        )

    def page(self, query: WorkQuery) -> Page:
        db = self.db
        node = parse(query.q)
        db.execute("DELETE FROM m")
        table = _table(node) if node is not None else None
        pure = table is not None
        if node is None:
            db.execute(f"INSERT INTO m SELECT id, 0, {COLUMNS} FROM docs")
        elif pure and not isinstance(node, Not):
            try:
                expr = to_match(node)
            except ValueError:
                pure = False
            else:
                db.execute(f"INSERT INTO m SELECT d.id, bm25({table}), {COLUMNS} FROM {table} "
                           f"JOIN docs d ON d.id = {table}.rowid WHERE {table} MATCH ?", (expr,))
        if node is not None and not pure:
            sql, params = to_rowids(node)
            db.execute(f"INSERT INTO m SELECT d.id, 0, {COLUMNS} FROM ({sql}) AS r "
                       f"JOIN docs d ON d.id = r.id", params)

        conds, params = self._conditions(query)
        everything = " AND ".join(c for c in conds.values()) or "1"
        all_params = [p for k in conds for p in params[k]]

        facet_values = 0
        for name in ("speaker", *TAG_FACETS, "year"):
            keep = [k for k in conds if k != name and not (name == "year" and k == "date")]
            where = " AND ".join(conds[k] for k in keep) or "1"
            args = [p for k in keep for p in params[k]]
            if name == "speaker":
                sql = (f"SELECT d.speaker, count(*) FROM m d "
                       f"WHERE d.speaker IS NOT NULL AND {where} GROUP BY d.speaker")
            elif name == "year":
                sql = (f"SELECT d.year, count(*) FROM m d "
                       f"WHERE d.year > 0 AND {where} GROUP BY d.year")
            else:
                sql = (f"SELECT t.value, count(*) FROM m d "
                       f"JOIN tags t ON t.tid = d.tid AND t.facet = '{name}' "
                       f"WHERE {where} GROUP BY t.value")
            counts = sorted(db.execute(sql, args).fetchall(), key=lambda r: (-r[1], str(r[0])))
            facet_values += len(counts)

        total, total_t = db.execute(
            f"SELECT count(*), count(DISTINCT d.tid) FROM m d "
            f"WHERE {everything}", all_params).fetchone()
        by_date = query.sort != "relevance" or node is None or not pure
        order = {
            "oldest": "max(d.day), d.tid",
        }.get(query.sort, "max(d.day) DESC, d.tid DESC") if by_date else "min(d.score), d.tid"
        top = db.execute(
            f"SELECT d.tid, count(*) FROM m d WHERE {everything} "
            f"GROUP BY d.tid ORDER BY {order} LIMIT 10", all_params).fetchall()
        tids = [t for t, _ in top]
        ids = self._hits(tids, everything, all_params, node, by_date)
        return Page(total, total_t, ids, facet_values)

    def _conditions(self, query: WorkQuery) -> tuple[dict[str, str], dict[str, list]]:
        conds: dict[str, str] = {}
        params: dict[str, list] = {}
        start, end = query.dates()
        if start or end:
            conds["date"] = "d.day BETWEEN ? AND ?"
            params["date"] = [day_number(start) if start else 1,
                              day_number(end) if end else 2**31 - 1]
        for name, values in query.selections().items():
            marks = ",".join("?" * len(values))
            if name == "speaker":
                conds[name] = f"d.speaker IN ({marks})"
                params[name] = list(values)
            else:
                conds[name] = (f"d.tid IN (SELECT tid FROM tags WHERE facet = ? "
                               f"AND value IN ({marks}))")
                params[name] = [name, *values]
        return conds, params

    def _hits(self, tids, where, params, node, by_date) -> list[str]:
        """Each top transcript's title and its best three matching utterances, snippeted."""
        if not tids:
            return []
        marks = ",".join("?" * len(tids))
        meta = {tid: (tid_id, title) for tid, tid_id, title in self.db.execute(
            f"SELECT tid, id, title FROM transcripts WHERE tid IN ({marks})", tids)}
        rank = "d.pos" if by_date else "d.score, d.pos"
        rows = self.db.execute(
            f"SELECT id FROM (SELECT d.id, row_number() OVER (PARTITION BY d.tid "
            f"ORDER BY {rank}) AS rn FROM m d "
            f"WHERE {where} AND d.tid IN ({marks})) WHERE rn <= {SHOWN}",
            [*params, *tids]).fetchall()
        shown = [r[0] for r in rows]
        if shown:
            idmarks = ",".join("?" * len(shown))
            snip = _snippet_expr(node)
            if snip:
                table, expr = snip
                self.db.execute(
                    f"SELECT rowid, snippet({table}, 0, '<mark>', '</mark>', '…', 40) "
                    f"FROM {table} WHERE {table} MATCH ? AND rowid IN ({idmarks})",
                    [expr, *shown]).fetchall()
            else:
                self.db.execute(
                    f"SELECT id, substr(text, 1, 260) FROM docs WHERE id IN ({idmarks})", shown
                ).fetchall()
        return [meta[t][0] for t in tids]

    @staticmethod
    def cold(path: Path, query: WorkQuery) -> float:
        started = time.perf_counter()
        engine = Fts5(path)
        engine.page(query)
        engine.db.close()
        return (time.perf_counter() - started) * 1000
