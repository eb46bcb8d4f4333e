"""Accents: a word is found with or without its diacritics, everywhere the same.

Users type "Erdogan" and "cafe"; transcripts write "Erdoğan" and "café" (and sometimes
not). The index folds both word fields (``schema.fold``), the highlighter marks the word
as written, and every count -- search totals, hits, concordance, trends, speakers,
export -- is the same for either spelling. The small index holds real corpus pages that
spell the same words both ways (café/Cafe/cafes, Niinistö/Niinisto, détente/detente)
and two short transcripts naming Erdoğan with and without the breve.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS_TEXT, need
from transcripts.index.schema import WORD_RE, fold, fold_text

# Real pages: 54983 and 55883 say "café", 9219 "Cafe", 57692 and 62137 "cafes";
# 51549 "Niinistö", 51551 "Niinisto"; 57675 "détente", 34075 "detente".
PAGES = ("54983", "55883", "9219", "57692", "62137", "51549", "51551", "34075", "57675")
WRITTEN_WITH = (
    "Recep Tayyip Erdoğan: Our talks in Sochi with Vladimir Putin were productive. "
    "The İstanbul meeting follows.\n"
    "Vladimir Putin: I thank President Erdoğan for the café conversation in Ankara.\n"
)
WRITTEN_WITHOUT = "Vladimir Putin: President Erdogan and I spoke by telephone about Idlib.\n"
# As some tools save it: a base letter and a combining breve (NFD).
DECOMPOSED = "Vladimir Putin: Minister Cavuşog\u0306lu and Mr Erdog\u0306an arrived.\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from transcripts.index.writer import reindex
    from transcripts.search.engine import TranscriptIndex

    src = tmp_path_factory.mktemp("accents-src")
    for page in PAGES:
        shutil.copy(need(CORPUS_TEXT / f"{page}.txt"), src)
    (src / "ankara-talks.txt").write_text(WRITTEN_WITH, encoding="utf-8")
    (src / "phone-call.txt").write_text(WRITTEN_WITHOUT, encoding="utf-8")
    (src / "arrivals.txt").write_text(DECOMPOSED, encoding="utf-8")
    root = tmp_path_factory.mktemp("accents-index")
    reindex([src], root, full=True)
    return TranscriptIndex(root)


def _hits(index, q, **kw):
    from transcripts.search.engine import search
    from transcripts.search.results import SearchRequest

    result = search(index, SearchRequest(q=q, per_page=100, **kw))
    found = {(t.id, u.position) for t in result.transcripts for u in t.utterances}
    marked = [m for t in result.transcripts for u in t.utterances
              for m in re.findall(r"<mark>([^<]*)</mark>", u.snippet)]
    return result, found, marked


@pytest.mark.parametrize(
    "spellings, written",
    [
        (["cafe", "café", "Café", "CAFE"], {"café", "Cafe", "cafes"}),
        (["Erdogan", "erdoğan", "ERDOĞAN", "Erdog\u0306an"], {"Erdoğan", "Erdogan"}),
        (["niinisto", "Niinistö"], {"Niinistö", "Niinisto"}),
        (["detente", "détente"], {"détente", "detente"}),
    ],
)
def test_a_word_finds_the_same_passages_with_or_without_its_accents(index, spellings, written):
    answers = [_hits(index, q) for q in spellings]
    first, found, _ = answers[0]
    for q, (result, other, marked) in zip(spellings, answers, strict=True):
        assert result.total == first.total and other == found, q
        # Each spelling marks every form as written, accented or not.
        assert set(marked) == written, q


def test_highlighting_marks_the_word_as_written(index):
    _, _, marked = _hits(index, "erdogan")
    assert "Erdoğan" in marked and "Erdogan" in marked
    _, _, marked = _hits(index, "istanbul")  # "İ" lower-cases to two characters
    assert marked == ["İstanbul"]
    _, _, marked = _hits(index, "cavusoglu")  # written decomposed: the whole word is marked
    assert marked == ["Cavuşoğlu"]


def test_quoted_phrases_and_prefixes_fold_too(index):
    phrase = [_hits(index, q)[1] for q in ('"President Erdogan"', '"president erdoğan"')]
    assert phrase[0] == phrase[1] and len(phrase[0]) == 2
    prefix = [_hits(index, q)[1] for q in ("Erdo*", "erdoğ*", "ERDOĞA*")]
    assert all(p == prefix[0] for p in prefix) and len(prefix[0]) == 3
    assert _hits(index, '"café conversation"')[1] == _hits(index, '"cafe conversation"')[1]


def test_speaker_words_in_the_query_fold_but_the_names_stay_as_written(index):
    result, found, _ = _hits(index, "speaker:erdogan")
    assert len(found) == 1
    assert [t.utterances[0].speaker for t in result.transcripts] == ["Recep Tayyip Erdoğan"]
    speakers = {f.value for f in _hits(index, "")[0].facets["speaker"]}
    assert "Recep Tayyip Erdoğan" in speakers and "Recep Tayyip Erdogan" not in speakers


def test_a_speaker_filter_without_the_accents_finds_the_speaker(index):
    with_accents = _hits(index, "", speaker=["Recep Tayyip Erdoğan"])[1]
    result, without, _ = _hits(index, "", speaker=["Recep Tayyip Erdogan"])
    assert with_accents and without == with_accents
    # The facet shows the value as written, ticked; no "Erdogan" beside it.
    ticked = [(f.value, f.selected) for f in result.facets["speaker"] if "Tayyip" in f.value]
    assert ticked == [("Recep Tayyip Erdoğan", True)]


def test_a_value_selected_without_its_accents_is_unticked_by_the_value_as_written():
    from transcripts.search.results import SearchRequest
    from transcripts.web import create_app
    from transcripts.web.links import Links

    links = Links(SearchRequest(q="talks", speaker=["Recep Tayyip Erdogan"]))
    with create_app({"INDEX_DIR": "/nonexistent"}).test_request_context():
        assert "speaker" not in links.toggle("speaker", "Recep Tayyip Erdoğan")
        assert "Putin" in links.toggle("speaker", "Vladimir Putin")


def test_did_you_mean_ignores_accents_and_corrects_across_them(index):
    assert _hits(index, "Erdoğan")[0].suggestion is None
    assert _hits(index, "Niinisto")[0].suggestion is None
    assert _hits(index, "Erdogn")[0].suggestion == "Erdogan"
    assert _hits(index, "Niinistö Erdoğn")[0].suggestion == "Niinistö Erdogan"


def test_every_analysis_count_is_the_same_for_either_spelling(index):
    from transcripts.search.concordance import concordance
    from transcripts.search.engine import select
    from transcripts.search.export import plan_export
    from transcripts.search.hits import hit_counts
    from transcripts.search.results import SearchRequest
    from transcripts.search.speaker_stats import speaker_ranking
    from transcripts.search.trends import trends

    def counts(q):
        req = SearchRequest(q=q)
        kwic = concordance(index, req, per_page=1000)
        series = trends(index, SearchRequest(), [q]).series[0]
        ranking = speaker_ranking(index, req, min_words=0, min_hits=0, min_transcripts=0)
        return {
            "hits": int(hit_counts(select(index, req)).sum()),
            "kwic": (kwic.total, kwic.utterances, kwic.transcripts),
            "kwic matches": sorted(ln.match for ln in kwic.lines),
            "trends": (series.hits, series.transcripts, [b.hits for b in series.buckets]),
            "speakers": (ranking.total_hits, sorted((r.speaker, r.hits) for r in ranking.rows)),
            "export": plan_export(index, req).total,
        }

    for spellings in (["erdogan", "Erdoğan"], ["cafe", "café"], ['"President Erdogan"',
                                                                   '"president erdoğan"']):
        base = counts(spellings[0])
        assert base["hits"] > 1, spellings
        for q in spellings[1:]:
            assert counts(q) == base, q
    assert counts("erdogan")["kwic matches"] == ["Erdogan", "Erdoğan", "Erdoğan"]


def test_an_index_of_the_previous_schema_is_rebuilt_and_says_why(tmp_path):
    from tests.test_cli import cli
    from transcripts.index import location
    from transcripts.index.writer import live_outdated, reindex

    src = tmp_path / "src"
    src.mkdir()
    (src / "phone-call.txt").write_text(WRITTEN_WITHOUT, encoding="utf-8")
    root = tmp_path / "index"
    reindex([src], root)
    manifest = location.live_generation(root) / location.MANIFEST
    data = json.loads(manifest.read_text())
    data["schema"] = 3
    manifest.write_text(json.dumps(data))
    assert "older version" in live_outdated(root)  # what `transcripts serve` notes
    done = cli("reindex", str(src), "--index-dir", str(root))
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "Rebuilding the whole index: the index was built by an older version" in said
    assert "Full rebuild" in said and "accents" in said
    assert live_outdated(root) == ""
    assert reindex([src], root).up_to_date  # rebuilt once, then up to date


# --- the folding itself ---------------------------------------------------------------

# Characters ``fold`` promises to fold one to one: accented Latin, Greek and ё, and the
# letters with a stroke or without a dot; the ones it keeps: ß, æ, œ, þ, ligatures, й.
FOLDS = {
    "Erdoğan": "erdogan", "café": "cafe", "Niinistö": "niinisto", "Łódź": "lodz",
    "Øresund": "oresund", "Đakovo": "dakovo", "Yıldırım": "yildirim", "İstanbul": "istanbul",
    "Ελλάδα": "ελλαδα", "ΟΔΟΣ": "οδοσ", "Ёлка": "елка", "Tomaž": "tomaz", "don’t": "don't",
}
KEPT = {"Straße": "straße", "Æsir": "æsir", "œuvre": "œuvre", "ﬁne": "ﬁne", "йод": "йод"}


@pytest.mark.parametrize("word, folded", [*FOLDS.items(), *KEPT.items()])
def test_fold_of_a_word(word, folded):
    assert fold(word) == folded


def _words_and_marks():
    """Text made of letters with accents, the letters they fold to, marks and ASCII."""
    accented = [chr(i) for i in range(0xC0, 0x2000) if chr(i).isalnum()]
    return st.text(
        alphabet=st.sampled_from(accented + list("aeiouAEIOUsS'’‘ʼ -.\u0301\u0306İıſΣς")),
        max_size=60,
    )


@settings(max_examples=500, deadline=None)
@given(_words_and_marks())
def test_fold_text_keeps_the_length_and_folds_each_word_as_the_index_does(text):
    folded = fold_text(text)
    assert len(folded) == len(text)
    for m in WORD_RE.finditer(text):
        assert fold(folded[m.start() : m.end()]) == fold(m.group())
    # The folded text splits into the same words.
    assert [m.span() for m in WORD_RE.finditer(folded)] == [
        m.span() for m in WORD_RE.finditer(text)
    ]
    # Folding again changes nothing: what the index holds is what a query looks up.
    assert fold(folded) == fold(text) == fold(fold(text))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_fold_text_keeps_the_length_of_any_text(text):
    assert len(fold_text(text)) == len(text)


def _reference_fold_char(c: str) -> str:
    """One character folded from first principles: lower case, canonical decomposition
    without the marks U+0300-U+036F, composed again (Cyrillic other than ё kept)."""
    special = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ı": "i", "ς": "σ",
               "’": "'", "‘": "'", "ʼ": "'"}
    low = c.lower()
    out = []
    for x in low:
        if x in special:
            out.append(special[x])
            continue
        if "\u0400" <= x <= "\u052f" and x != "ё":
            out.append(x)
            continue
        d = unicodedata.normalize("NFD", x)
        bare = "".join(y for y in d if not 0x300 <= ord(y) < 0x370)
        bare = unicodedata.normalize("NFC", bare) if bare != d else x
        bare = bare if len(bare) == 1 and bare.isalnum() == x.isalnum() else x
        out.append(special.get(bare, bare))
    return "".join(y for y in out if not 0x300 <= ord(y) < 0x370)


def test_every_word_character_folds_as_its_decomposition_says():
    """All of Unicode, not only the range the fold table is built from."""
    wrong = [
        hex(i) for i in range(0x80, 0x110000)
        if not 0xD800 <= i < 0xE000 and re.match(r"\w", chr(i))
        and fold(chr(i)) != _reference_fold_char(chr(i))
    ]
    assert wrong == []
