"""Relevance ordering (``search.ranking``) on small hand-made indexes, and the evaluation
command (``python -m bench.ranking``) on a sample of the development corpus.

Each pair of transcripts below differs in one thing only; the other is dated later, so
the tie-break (newest first) would put it first if that one thing did not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS_GOLD, CORPUS_TEXT, PROJECT_DIR
from transcripts.index.writer import reindex
from transcripts.search import ranking
from transcripts.search.engine import TranscriptIndex, search
from transcripts.search.results import SearchRequest

FILLER = [f"filler{i}" for i in range(40)]


def _words(*parts: str, length: int = 24) -> str:
    """``parts`` spread as given, padded with distinct filler words to ``length`` words."""
    words = list(parts)
    pad = iter(FILLER)
    return " ".join(w if w else next(pad) for w in words + [""] * (length - len(words)))


def _index(tmp_path: Path, transcripts: list[dict]) -> TranscriptIndex:
    # Background pages, so that the query words are not in every document (idf > 0).
    others = [
        {"id": f"other{i}", "title": f"Other page {i}", "date": "2010-01-01",
         "utterances": [{"label": "Host", "text": _words(f"topic{i}")}]}
        for i in range(8)
    ]
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "t.jsonl", "w", encoding="utf-8") as f:
        for t in transcripts + others:
            f.write(json.dumps(t) + "\n")
    reindex([src], tmp_path / "index", full=True)
    return TranscriptIndex(tmp_path / "index")


def _order(index: TranscriptIndex, q: str) -> list[str]:
    return [t.id for t in search(index, SearchRequest(q=q)).transcripts]


def test_words_close_together_rank_above_the_same_words_far_apart(tmp_path):
    assert ranking.PARAMS.proximity > 0
    near = _words("pension", "reform")
    far = _words("pension", *[""] * 20, "reform")
    index = _index(tmp_path, [
        {"id": "near", "title": "Meeting", "date": "2015-01-01",
         "utterances": [{"label": "Host", "text": near}]},
        {"id": "far", "title": "Meeting", "date": "2016-01-01",
         "utterances": [{"label": "Host", "text": far}]},
    ])
    assert _order(index, "pension reform")[:2] == ["near", "far"]
    assert _order(index, "pension")[:2] == ["far", "near"], "one word: a tie, newest first"


def test_transcript_returning_to_the_subject_outranks_a_single_equal_mention(tmp_path):
    both = _words("pension", "reform")
    index = _index(tmp_path, [
        {"id": "more", "title": "Meeting", "date": "2015-01-01",
         "utterances": [{"label": "Host", "text": both},
                        {"label": "Guest", "text": _words("pensions", "were", "discussed")},
                        {"label": "Host", "text": _words("the", "reform", "again")}]},
        {"id": "once", "title": "Meeting", "date": "2016-01-01",
         "utterances": [{"label": "Host", "text": both},
                        {"label": "Guest", "text": _words("nothing", "else")},
                        {"label": "Host", "text": _words("thank", "you")}]},
    ])
    result = search(index, SearchRequest(q="pension reform"))
    assert [t.id for t in result.transcripts][:2] == ["more", "once"]
    assert result.total == 2, "ranking orders; it never adds matches"


def test_title_and_lead_count_for_the_transcript(tmp_path):
    assert ranking.PARAMS.page > 0
    both = _words("pension", "reform")
    index = _index(tmp_path, [
        {"id": "titled", "title": "Pension meeting", "date": "2015-01-01",
         "utterances": [{"label": "Host", "text": both}]},
        {"id": "plain", "title": "Budget meeting", "date": "2016-01-01",
         "utterances": [{"label": "Host", "text": both}]},
    ])
    assert _order(index, "pension reform")[:2] == ["titled", "plain"]


def test_proximity_grows_as_the_words_come_closer():
    import numpy as np

    def proximity(a: list[float], b: list[float]) -> float:
        places = [(np.zeros(len(p), dtype=np.int64), np.array(p, dtype=float)) for p in (a, b)]
        return float(ranking.proximities(places, [1.0, 1.0], 1)[0])

    assert proximity([3], [4]) > proximity([3], [7]) > 0
    assert proximity([3], [3 + ranking.PROXIMITY_WINDOW + 1]) == 0
    assert proximity([3], []) == 0


def test_proximity_of_several_documents_is_each_ones_alone():
    """``proximities`` lays documents end to end: no pair may cross from one to the next."""
    import numpy as np

    a = (np.array([0, 0, 1, 2]), np.array([3.0, 40.0, 0.0, 5.0]))
    b = (np.array([0, 1, 2]), np.array([4.0, 2.0, 90.0]))
    together = ranking.proximities([a, b], [1.0, 1.0], 3)
    for d in range(3):
        alone = [(doc[doc == d] * 0, x[doc == d]) for doc, x in (a, b)]
        assert together[d] == ranking.proximities(alone, [1.0, 1.0], 1)[0]
    assert together[0] > 0 and together[1] > 0 and together[2] == 0


def test_many_words_from_prefixes_skip_proximity():
    """A prefix stands for up to 200 words: pairs of them would cost seconds."""
    import numpy as np
    from whoosh import query as wq

    many = [("exact", f"w{i}", 1.0) for i in range(ranking.MAX_WORDS + 1)]
    query = wq.And([wq.Term(f, w) for f, w, _ in many])
    best = np.array([1.0, 2.0])
    docs, tids, scores = np.array([0, 1]), np.array([0, 1]), np.array([1.0, 2.0])

    def unread(doc):
        raise AssertionError("no text should be read")

    out = ranking.add_proximity(best, best, docs, tids, scores, query, many,
                                lambda f, w: (np.array([0]), np.array([1.0])), 10, unread)
    assert out.tolist() == best.tolist()


def test_best_utterance_per_transcript():
    import numpy as np

    docs, tids = np.array([0, 1, 2, 3, 5]), np.array([2, 0, 2, 0, 3])
    scores = np.array([1.0, 4.0, 3.0, 2.0, 0.0, 5.0])
    assert ranking.best_per_transcript(docs, tids, scores, 4).tolist() == [4.0, -1.0, 3.0, 5.0]


def test_positive_terms_leave_out_excluded_words():
    from whoosh import query as wq

    q = wq.AndNot(wq.And([wq.Term("text", "gas"), wq.Phrase("exact", ["oil", "price"])]),
                  wq.Term("text", "coal"))
    assert [w for _, w, _ in ranking.positive_terms(q)] == ["gas", "oil", "price"]
    either = wq.And([wq.Or([wq.Term("text", "gas"), wq.Term("text", "oil")]),
                     wq.Term("text", "ukrain")])
    assert [w for _, w, _ in ranking.positive_terms(either, required=True)] == ["ukrain"]


@pytest.mark.corpus
def test_evaluation_command_runs_on_a_sample(tmp_path):
    if not CORPUS_GOLD.is_dir() or not CORPUS_TEXT.is_dir():
        pytest.skip("no development corpus at ../shared")
    pytest.importorskip("tantivy", reason="the benchmark extra is not installed (tantivy)")
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.ranking", "--files", "120", "--items", "20",
         "--cache", str(tmp_path / "cache"), "--json", str(out)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert set(figures) == {"ours", "fts5", "tantivy"}
    for engine in figures.values():
        vague = engine["vague"]
        assert vague["items"] == 20
        assert 0 <= vague["mrr@10"] <= vague["success@10"] <= 1
        assert engine["phrase"]["items"] > 0
    assert "vague" in proc.stdout and "tantivy" in proc.stdout
