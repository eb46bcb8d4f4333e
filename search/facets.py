"""Facet and filter data held in memory as numpy arrays, one entry per document.

Whoosh's own ``groupedby`` facets walk every matching document in Python; here each
facet is a pair of arrays (document, value) built once when an index generation is
opened, so counting the values of any set of matches is one ``bincount`` and filtering
is a boolean mask. The counts are exact: they come from the same postings Whoosh reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.schema import KIND_PAGE, VALUE_FIELDS
from search.scoring import postings


@dataclass
class Facet:
    values: list[str]  # value id -> value
    ids: dict[str, int]  # value -> value id
    docs: np.ndarray  # pairs: document numbers ...
    vals: np.ndarray  # ... and value ids, sorted by value id
    starts: np.ndarray  # docs[starts[v]:starts[v+1]] are the documents with value v

    def docs_with(self, value: str) -> np.ndarray:
        v = self.ids.get(value)
        if v is None:
            return np.empty(0, dtype=np.int32)
        return self.docs[self.starts[v] : self.starts[v + 1]]

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.vals[mask[self.docs]], minlength=len(self.values))


@dataclass
class DocTable:
    """Per-document columns: which transcript, where in it, what date, live or deleted."""

    size: int
    live: np.ndarray  # bool
    tid: np.ndarray  # transcript ordinal
    tids: list[str]  # ordinal -> transcript id
    tid_ord: dict[str, int]
    pos: np.ndarray
    day: np.ndarray  # days since 1970
    words: np.ndarray  # words in the document (``schema.word_count``)
    year: np.ndarray
    tid_day: np.ndarray  # transcript ordinal -> its day, for sorting by date
    is_page: np.ndarray  # bool: the transcript's title/lead document
    facets: dict[str, Facet]  # speaker, person, geography, topic, place
    years: Facet


def _value_facet(reader, fieldname: str) -> Facet:
    values, doc_parts, val_parts = [], [], []
    if fieldname not in reader.schema:  # an index built before the field existed
        return _facet(values, doc_parts, val_parts)
    for i, (raw, _) in enumerate(reader.iter_field(fieldname)):
        value = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        docs, _ = postings(reader, fieldname, raw)
        values.append(value)
        doc_parts.append(docs)
        val_parts.append(np.full(len(docs), i, dtype=np.int32))
    return _facet(values, doc_parts, val_parts)


def _facet(values, doc_parts, val_parts) -> Facet:
    docs = np.concatenate(doc_parts) if doc_parts else np.empty(0, dtype=np.int32)
    vals = np.concatenate(val_parts) if val_parts else np.empty(0, dtype=np.int32)
    starts = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in doc_parts], out=starts[1:])
    return Facet(values, {v: i for i, v in enumerate(values)}, docs, vals, starts)


def load_doc_table(reader) -> DocTable:
    size = reader.doc_count_all()
    live = np.zeros(size, dtype=bool)
    live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True

    # The sortable column gives every document's transcript id in one pass, far
    # cheaper than looking up thousands of posting lists.
    raw_ids = [
        v.decode("utf-8") if isinstance(v, bytes) else v for v in reader.column_reader("tid")
    ]
    tids_array, tid = np.unique(np.array(raw_ids, dtype=object), return_inverse=True)
    tids = tids_array.tolist()
    tid = tid.astype(np.int32)
    pos = np.array(list(reader.column_reader("pos")), dtype=np.int32)
    day = np.array(list(reader.column_reader("day")), dtype=np.int32)
    words = np.array(list(reader.column_reader("words")), dtype=np.int32)
    dates = (day.astype("datetime64[D]")).astype("datetime64[Y]").astype(np.int32) + 1970
    year = np.where(day > 0, dates, 0)
    tid_day = np.zeros(len(tids), dtype=np.int32)
    tid_day[tid[live]] = day[live]
    is_page = np.zeros(size, dtype=bool)
    is_page[postings(reader, "kind", KIND_PAGE)[0]] = True

    facets = {name: _value_facet(reader, field) for name, field in VALUE_FIELDS.items()}
    year_values = sorted({int(y) for y in np.unique(year[live]) if y}, reverse=True)
    year_parts = [np.flatnonzero((year == y) & live).astype(np.int32) for y in year_values]
    years = _facet(
        [str(y) for y in year_values],
        year_parts,
        [np.full(len(p), i, dtype=np.int32) for i, p in enumerate(year_parts)],
    )
    return DocTable(
        size=size,
        live=live,
        tid=tid,
        tids=tids,
        tid_ord={t: i for i, t in enumerate(tids)},
        pos=pos,
        day=day,
        words=words,
        year=year,
        tid_day=tid_day,
        is_page=is_page,
        facets=facets,
        years=years,
    )
