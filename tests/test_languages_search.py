"""Searching transcripts in several languages: each language's words stemmed as that
language, never matched through another's stemmer; English answers exactly as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transcripts.index import language
from transcripts.index.schema import fold, stem
from transcripts.index.writer import reindex
from transcripts.search.concordance import concordance
from transcripts.search.engine import TranscriptIndex, search
from transcripts.search.results import SearchRequest
from transcripts.search.speaker_profile import speaker_profile

ANSWERS_BEFORE = Path(__file__).parent / "data" / "workload_answers.json"

# Real sentences in each language; the speakers are invented.
SPEECHES = {
    "en": ("Ann Reed", [
        "The soldiers died in the war, and many houses were destroyed.",
        "We will vote on the amendments tomorrow. The votes are counted by hand.",
    ]),
    "de": ("Max Huber", [
        "Die Häuser wurden im Krieg zerstört, die Abstimmungen finden morgen statt.",
        "Wir kommen zur Abstimmung über den Antrag. Das Haus ist beschlussfähig.",
    ]),
    "cs": ("Jana Nováková", [
        "Projednáváme zákon o daních. Tento zákon mění daňový řád.",
        "Ke změně zákona se přihlásil pan poslanec. Zakon je jasný.",
    ]),
    "uk": ("Петро Гасюк", [
        "Президент підписав закон про бюджет. Закони України діють.",
        "Шановні колеги, прошу підтримати законопроект.",
    ]),
    "ru": ("Иван Петров", [
        "Президента России поддержали депутаты. Президент выступил.",
    ]),
}


def _jsonl(folder: Path, languages: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for code in languages:
        speaker, texts = SPEECHES[code]
        lines.append(json.dumps({
            "id": f"sitting-{code}", "title": f"Sitting ({language.name(code)})",
            "date": "2022-10-12", "language": code,
            "utterances": [{"speaker": speaker, "text": t} for t in texts],
        }, ensure_ascii=False))
    path = folder / "sittings.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> TranscriptIndex:
    root = tmp_path_factory.mktemp("languages")
    _jsonl(root / "src", list(SPEECHES))
    reindex([root / "src"], root / "index", full=True)
    return TranscriptIndex(root / "index")


def ids(index: TranscriptIndex, q: str, **filters: list[str]) -> set[str]:
    result = search(index, SearchRequest(q=q, per_page=50, **filters))
    return {t.id for t in result.transcripts}


def test_each_transcript_is_indexed_under_its_language(many):
    result = search(many, SearchRequest())
    counts = {v.value: v.count for v in result.facets["language"]}
    assert set(counts) == {"English", "German", "Czech", "Ukrainian", "Russian"}
    assert ids(many, "", language=["German"]) == {"sitting-de"}


def test_a_german_word_matches_its_german_forms(many):
    # Snowball's German stemmer makes one stem of both: the premise of the test.
    assert language.text_term("abstimmung", "de") == language.text_term("abstimmungen", "de")
    assert ids(many, "Abstimmung") == {"sitting-de"}
    result = search(many, SearchRequest(q="Abstimmung"))
    marked = " ".join(u.snippet for t in result.transcripts for u in t.utterances)
    assert "<mark>Abstimmungen</mark>" in marked and "<mark>Abstimmung</mark>" in marked
    assert ids(many, "Häusern") == {"sitting-de"}  # "Häuser", "Haus": German stems


def test_a_word_never_matches_a_false_form_made_by_another_languages_stemmer(many):
    # English stems "died" to "die", the German article: before languages were told
    # apart, "died" found every German sitting.
    assert stem(fold("died")) == fold("die")
    assert ids(many, "died") == {"sitting-en"}
    # ... and "votes" is the English stem "vote", not the German word "Vote" forms.
    assert ids(many, "votes") == {"sitting-en"}


def test_a_language_without_a_stemmer_is_folded_but_not_stemmed(many):
    assert not language.stemmed("cs") and not language.stemmed("uk")
    assert ids(many, "zakon") == {"sitting-cs"}  # "zákon" and "Zakon", accents folded
    cs = search(many, SearchRequest(q="zákon"))
    marked = " ".join(u.snippet for t in cs.transcripts for u in t.utterances)
    assert "<mark>zákon</mark>" in marked and "<mark>Zakon</mark>" in marked
    assert "<mark>zákona</mark>" not in marked  # another form: not stemmed, not found
    assert ids(many, "zákona") == {"sitting-cs"}


def test_russian_is_stemmed_and_cyrillic_phrases_and_prefixes_work(many):
    assert ids(many, "президент") == {"sitting-ru", "sitting-uk"}  # ru stems, uk as written
    ru = search(many, SearchRequest(q="президент", language=["Russian"]))
    marked = " ".join(u.snippet for t in ru.transcripts for u in t.utterances)
    assert "<mark>Президента</mark>" in marked and "<mark>Президент</mark>" in marked
    assert ids(many, '"підписав закон"') == {"sitting-uk"}
    assert ids(many, "закон*") == {"sitting-uk"}  # закон, Закони, законопроект
    uk = search(many, SearchRequest(q="закон*"))
    assert sum(t.matched for t in uk.transcripts) == 2


def test_the_concordance_works_in_every_script(many):
    conc = concordance(many, SearchRequest(q="закон*"))
    assert conc.total == 3
    assert {line.match for line in conc.lines} == {"закон", "Закони", "законопроект"}
    de = concordance(many, SearchRequest(q="abstimmung"))
    assert {line.match for line in de.lines} == {"Abstimmungen", "Abstimmung"}


def test_did_you_mean_draws_on_the_words_of_the_languages_searched(many):
    # "abstimung" is a German typo; searched among Czech and Ukrainian only, no German
    # word may be offered.
    assert search(many, SearchRequest(q="abstimung")).suggestion == "abstimmung"
    only_cs = search(many, SearchRequest(q="abstimung", language=["Czech"]))
    assert only_cs.suggestion is None


def _debates(folder: Path, german_as: str) -> Path:
    """Three German sittings where two deputies each say "Krieg" twice, beside English
    speeches that never do; ``german_as``: the language the German ones are marked."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(3):
        rows.append({"id": f"de-{i}", "title": f"Sitzung {i}", "date": f"2022-10-1{i}",
                     "language": german_as, "utterances": [
                         {"speaker": "Max Huber", "text": "Der Krieg muss enden. Krieg ist "
                          "kein Mittel der Politik, sagen wir heute."},
                         {"speaker": "Eva Berger", "text": "Auch wir sagen: Krieg nie wieder, "
                          "und der Krieg schadet allen Menschen hier."}]})
        rows.append({"id": f"en-{i}", "title": f"Debate {i}", "date": f"2022-10-1{i}",
                     "language": "en", "utterances": [{"speaker": "Ann Reed", "text": " ".join(
                         f"The budget line {n} was approved after a long debate."
                         for n in range(80))}]})
    path = folder / "debates.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return folder


def test_distinctive_words_compare_a_speaker_with_their_own_language(tmp_path):
    def krieg_is_distinctive(german_as: str) -> bool:
        root = tmp_path / german_as
        reindex([_debates(root / "src", german_as)], root / "index", full=True)
        profile = speaker_profile(TranscriptIndex(root / "index"), "Max Huber")
        assert profile is not None
        return "krieg" in {d.word for d in profile.distinctive}

    # Marked English, the German speeches are compared with English ones that never say
    # "Krieg"; marked German, with the other German deputy's, who says it as often.
    assert krieg_is_distinctive("en")
    assert not krieg_is_distinctive("de")


def test_adding_other_languages_leaves_english_answers_as_they_were(tmp_path):
    reindex([_jsonl(tmp_path / "en", ["en"]).parent], tmp_path / "en-index", full=True)
    reindex([_jsonl(tmp_path / "all", list(SPEECHES)).parent], tmp_path / "all-index",
            full=True)
    alone, mixed = TranscriptIndex(tmp_path / "en-index"), TranscriptIndex(tmp_path / "all-index")
    for q in ("war", "houses", "vote", "voting", "the", "\"by hand\"", "amend*"):
        a = search(alone, SearchRequest(q=q))
        b = search(mixed, SearchRequest(q=q, language=["English"]))
        assert (a.total, [t.id for t in a.transcripts]) == (b.total, [t.id for t in b.transcripts])
        assert [u.snippet for t in a.transcripts for u in t.utterances] == [
            u.snippet for t in b.transcripts for u in t.utterances]


def test_the_english_corpus_gives_the_answers_it_gave_before_languages(corpus_index):
    """The bench workload on the development corpus (en.kremlin.ru): the totals, first
    page, top speakers and suggestions version 0.2.0 gave (``python -m bench.totals``
    run on that version wrote tests/data/workload_answers.json)."""
    from bench.totals import answers
    from tests.conftest import SHARED_DIR

    before = json.loads(ANSWERS_BEFORE.read_text(encoding="utf-8"))
    now = answers(corpus_index, SHARED_DIR / "bench" / "queries.jsonl")
    assert len(now) == len(before) == 43
    for old, new in zip(before, now, strict=True):
        assert new == old, old["q"]


@pytest.fixture(scope="module")
def parliaments(tmp_path_factory: pytest.TempPathFactory) -> TranscriptIndex:
    from tests.conftest import SHARED_DIR, need

    folder = need(SHARED_DIR / "formats" / "parlamint-more")
    root = tmp_path_factory.mktemp("parliaments")
    reindex([folder], root, full=True)
    return TranscriptIndex(root)


def matched_words(index: TranscriptIndex, q: str) -> dict[str, set[str]]:
    """Per transcript, every word the query matched (the concordance's hits)."""
    found: dict[str, set[str]] = {}
    for line in concordance(index, SearchRequest(q=q), per_page=500).lines:
        found.setdefault(line.transcript_id, set()).add(line.match)
    return found


def test_real_sittings_are_stemmed_in_their_own_language(parliaments):
    at = "ParlaMint-AT_2022-10-12-027-XXVII-NRSITZ-00178"
    es = "ParlaMint-ES_2023-02-23-CD230223"
    fr = "ParlaMint-FR_2022-06-28-O1169"
    assert matched_words(parliaments, "Antrag") == {at: {"Antrag", "Anträge"}}
    assert matched_words(parliaments, "palabra")[es] >= {"palabra", "palabras"}
    assert matched_words(parliaments, "grande")[fr] >= {"grande", "grandes", "grands"}
    languages = {v.value for v in search(parliaments, SearchRequest()).facets["language"]}
    assert languages == {"English", "German", "Czech", "Spanish", "French", "Ukrainian"}


def test_an_english_search_finds_a_sitting_through_its_translation(parliaments):
    cz = "ParlaMint-CZ_2020-01-22-ps2017-040-02-005-012"
    result = search(parliaments, SearchRequest(q="budgets"))
    hit = {t.id: t for t in result.transcripts}["ParlaMint-CZ-en_2020-01-22-ps2017-040-02-005-012"]
    assert hit.language == "en" and hit.translation_of == cz
    assert {u.anchor for u in hit.utterances} <= {
        f"{cz}.u{n}" for n in (1, 2, 38, 39)}  # the twin passages' ids in the original
    original = {t.id: t for t in search(parliaments, SearchRequest(q="", per_page=50))
                .transcripts}[cz]
    assert original.translations == ["ParlaMint-CZ-en_2020-01-22-ps2017-040-02-005-012"]


def _words_of(index: TranscriptIndex, transcript_id: str, speaker: str) -> int:
    from transcripts.index.schema import word_count
    from transcripts.search.engine import get_transcript

    t = get_transcript(index, transcript_id)
    assert t is not None
    return sum(word_count(u.text) for u in t.utterances if u.speaker == speaker)


def test_each_speech_is_counted_once_in_the_language_the_query_matched(parliaments):
    """A Czech sitting and its English translation: who said it most counts a speaker's
    words in one of the two, the one the query matches in (else the original), or the
    one the language filter ticks."""
    from transcripts.search.speaker_stats import speaker_ranking

    cz = "ParlaMint-CZ_2020-01-22-ps2017-040-02-005-012"
    cz_en = "ParlaMint-CZ-en_2020-01-22-ps2017-040-02-005-012"
    who = "Lukáš Kolářík"

    def words(q: str, **filters: list[str]) -> int:
        ranking = speaker_ranking(parliaments, SearchRequest(q=q, **filters), min_words=0,
                                  min_hits=0, min_transcripts=0, limit=1000)
        return {r.speaker: r.words for r in ranking.rows}[who]

    in_czech, in_english = _words_of(parliaments, cz, who), _words_of(parliaments, cz_en, who)
    assert in_czech and in_english and in_czech != in_english
    assert words("") == in_czech  # no query: the original
    assert words("amendment") == in_english  # matched in the translation only
    assert words("návrh") == in_czech  # matched in the original ("pozměňovací návrh")
    assert words("návrh OR amendment") == in_czech  # in both: the original
    assert words("", language=["English"]) == in_english
    assert words("", language=["English", "Czech"]) == in_czech + in_english
