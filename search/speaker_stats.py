"""Who said it most: speakers ranked by how often they use the query, per their own words.

Or parties (``by="party"``): each party's members' turns taken together, where the
source says which party a speaker belonged to that day (ParlaMint).

For each speaker within the request's filters:

* **hits**: the query's occurrences (``search.hits``) in their utterances that match;
* **words**: every word they spoke in utterances passing the same filters;
* **rate** = hits / words × 10,000, with a 95 % Wilson score interval (each word a trial);
* **transcripts**: transcripts where their matching utterances are (``spoke_in``: where
  they spoke at all within the filters).

Ranked by the interval's lower bound, so a one-line speaker who happened to say the word
once does not top the list; only speakers with at least ``min_words`` words, ``min_hits``
hits and ``min_transcripts`` transcripts are ranked. With no query there are no hits:
speakers are listed by the words they spoke.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from transcripts.search.engine import TranscriptIndex, select_counted
from transcripts.search.hits import hit_counts
from transcripts.search.query import QueryError
from transcripts.search.results import SearchRequest
from transcripts.search.tables import value_of_doc, wilson

PER_WORDS = 10_000
SORT_KEYS = ("low", "rate", "hits", "words", "transcripts", "name")
GROUPS = ("speaker", "party")  # what a ranking's rows are: speakers, or their parties
DEFAULT_MIN_WORDS = 10_000
DEFAULT_MIN_HITS = 3
DEFAULT_MIN_TRANSCRIPTS = 2
MAX_LIMIT = 1000


@dataclass
class SpeakerRate:
    speaker: str
    hits: int
    words: int
    transcripts: int  # with a matching utterance of theirs
    spoke_in: int  # transcripts where they spoke within the filters
    rate: float | None  # hits per 10,000 of their words
    low: float | None  # 95 % Wilson interval of the rate
    high: float | None


@dataclass
class SpeakerRanking:
    request: SearchRequest
    sort: str
    min_words: int
    min_hits: int
    min_transcripts: int
    total_hits: int  # by every speaker, ranked or not
    speakers_with_hits: int
    ranked: int  # speakers meeting the minimums (before ``limit``)
    rows: list[SpeakerRate]  # for parties, ``speaker`` is the party
    by: str = "speaker"

    def to_dict(self) -> dict[str, Any]:
        req = self.request
        data = asdict(self)
        data.pop("request")
        data["query"] = req.q
        data["filters"] = {
            **req.filters(),
            "from": req.date_from.isoformat() if req.date_from else None,
            "to": req.date_to.isoformat() if req.date_to else None,
        }
        data["rate_unit"] = "hits per 10,000 words"
        data["interval"] = "95% Wilson score interval"
        return data


def check_ranking(sort: str, min_words: int, min_hits: int, min_transcripts: int,
                  limit: int, by: str = "speaker") -> None:
    if by not in GROUPS:
        raise QueryError(f"by must be one of {', '.join(GROUPS)} (got '{by}').")
    if sort not in SORT_KEYS:
        raise QueryError(f"sort must be one of {', '.join(SORT_KEYS)} (got '{sort}').")
    for name, value in (("min_words", min_words), ("min_hits", min_hits),
                        ("min_transcripts", min_transcripts)):
        if value < 0:
            raise QueryError(f"{name} cannot be negative.")
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}.")


def speaker_ranking(
    index: TranscriptIndex,
    req: SearchRequest,
    sort: str = "low",
    min_words: int = DEFAULT_MIN_WORDS,
    min_hits: int = DEFAULT_MIN_HITS,
    min_transcripts: int = DEFAULT_MIN_TRANSCRIPTS,
    limit: int = 100,
    by: str = "speaker",
) -> SpeakerRanking:
    check_ranking(sort, min_words, min_hits, min_transcripts, limit, by)
    sel = select_counted(index, dataclasses.replace(req, page=1))
    gen = sel.gen
    table = gen.table
    speaker = value_of_doc(gen, by)
    names = table.facets[by].values
    n = len(names)
    spoken = sel.filtered & (speaker >= 0)
    words = np.bincount(speaker[spoken], weights=table.words[spoken], minlength=n)
    spoke_in = _pairs(speaker, table.tid, spoken, n)
    has_query = sel.parsed.query is not None
    if has_query:
        per_doc = hit_counts(sel)
        said = sel.mask & (speaker >= 0) & (per_doc > 0)
        hits: np.ndarray = np.bincount(speaker[said], weights=per_doc[said], minlength=n)
        transcripts = _pairs(speaker, table.tid, said, n)
    else:
        hits = transcripts = np.zeros(n)
    return ranked(req, names, words, spoke_in, hits, transcripts, has_query, sort, min_words,
                  min_hits, min_transcripts, limit, by)


def ranked(
    req: SearchRequest, names: list[str], words: np.ndarray, spoke_in: np.ndarray,
    hits: np.ndarray, transcripts: np.ndarray, has_query: bool, sort: str, min_words: int,
    min_hits: int, min_transcripts: int, limit: int, by: str = "speaker",
) -> SpeakerRanking:
    """The ranking from each speaker's counts (both backends count, this ranks)."""
    if has_query:
        low, high = wilson(hits, words)
    else:
        low = high = np.zeros(len(names))
        min_hits = min_transcripts = 0
    keep = (words >= max(min_words, 1)) & (hits >= min_hits) & (transcripts >= min_transcripts)
    ids = np.flatnonzero(keep)
    safe = np.where(words > 0, words, 1)
    rate = hits / safe * PER_WORDS
    if not has_query and sort in ("low", "rate", "hits"):
        sort = "words"
    keys = {
        "low": (-low, -rate), "rate": (-rate, -low), "hits": (-hits, -rate),
        "words": (-words, -hits),
        # Without a query no transcript has hits: sort by the transcripts spoken in.
        "transcripts": (-transcripts, -rate) if has_query else (-spoke_in, -words),
    }
    if sort == "name":
        ordered = sorted(ids.tolist(), key=lambda i: names[i].casefold())
    else:
        primary, secondary = keys[sort]
        ordered = ids[np.lexsort((ids, secondary[ids], primary[ids]))].tolist()
    rows = [
        SpeakerRate(
            speaker=names[i],
            hits=int(hits[i]),
            words=int(words[i]),
            transcripts=int(transcripts[i]),
            spoke_in=int(spoke_in[i]),
            rate=round(float(rate[i]), 4) if has_query else None,
            low=round(float(low[i]) * PER_WORDS, 4) if has_query else None,
            high=round(float(high[i]) * PER_WORDS, 4) if has_query else None,
        )
        for i in ordered[:limit]
    ]
    return SpeakerRanking(
        request=req,
        sort=sort,
        min_words=min_words,
        min_hits=min_hits,
        min_transcripts=min_transcripts,
        total_hits=int(hits.sum()),
        speakers_with_hits=int((hits > 0).sum()),
        ranked=len(ordered),
        rows=rows,
        by=by,
    )


def _pairs(group: np.ndarray, tid: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Distinct transcripts per group value among the documents in ``mask``."""
    docs = np.flatnonzero(mask)
    if not len(docs):
        return np.zeros(n, dtype=np.int64)
    width = int(tid.max()) + 1
    pairs = np.unique(group[docs].astype(np.int64) * width + tid[docs])
    return np.bincount(pairs // width, minlength=n)
