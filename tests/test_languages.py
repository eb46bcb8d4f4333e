"""Every transcript's language: stated by its source, or detected from its text.

Detection is checked on real speech nobody here wrote: ParlaMint sittings in five
languages (and ParlaMint's English translations of some), caption files, en.kremlin.ru
pages. They are read from ``../shared`` and the tests skip when it is absent. The
expected language of a sitting is its TEI ``xml:lang``, read off the file here, not off
any reader of ours.
"""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import SHARED_DIR
from transcripts.index import language_detection
from transcripts.index.language import DEFAULT
from transcripts.index.language_detection import SAMPLE_CHARS, assign_language, sample
from transcripts.index.model import Transcript, Utterance
from transcripts.index.readers import ReadError, SidecarError, read_file

FORMATS = SHARED_DIR / "formats"
MORE = FORMATS / "parlamint-more"
CORPUS = SHARED_DIR / "corpus"
YOUTUBE_VTT = FORMATS / "webvtt" / "webvtt-py_youtube_dl.vtt"
TEI = "{http://www.tei-c.org/ns/1.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

needs_formats = pytest.mark.skipif(
    not FORMATS.is_dir(), reason=f"sample files not found at {FORMATS}"
)
needs_corpus = pytest.mark.skipif(
    not (CORPUS / "text").is_dir(), reason=f"development corpus not found at {CORPUS}"
)

SITTINGS = [
    "ParlaMint-AT_2022-10-12-027-XXVII-NRSITZ-00178.xml",  # German
    "ParlaMint-CZ_2020-01-22-ps2017-040-02-005-012.xml",  # Czech
    "ParlaMint-ES_2023-02-23-CD230223.xml",  # Spanish
    "ParlaMint-FR_2022-06-28-O1169.xml",  # French
    "ParlaMint-UA_2008-09-30-m0.xml",  # Ukrainian
]
TRANSLATIONS = [
    "ParlaMint-AT-en_2022-10-12-027-XXVII-NRSITZ-00178.ana.xml",
    "ParlaMint-CZ-en_2020-01-22-ps2017-040-02-005-012.ana.xml",
    "ParlaMint-ES-en_2023-02-23-CD230223.ana.xml",
    "ParlaMint-UA-en_2008-09-30-m0.ana.xml",
]
GERMAN = (
    "Sehr geehrte Frau Präsidentin, meine Damen und Herren! Wir beraten heute über den "
    "Bundeshaushalt, und ich möchte mich bei allen bedanken, die daran mitgearbeitet haben."
)


def speech(tei: Path) -> tuple[str, list[str]]:
    """A sitting's ``xml:lang`` and the text of each of its ``<u>`` elements."""
    root = ET.parse(tei).getroot()
    turns = [" ".join(" ".join(u.itertext()).split()) for u in root.iter(f"{TEI}u")]
    return root.attrib[XML_LANG], [t for t in turns if t]


def write_jsonl(path: Path, *objects: object) -> Path:
    path.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in objects), "utf-8")
    return path


def read_one(path: Path) -> Transcript:
    problems: list[ReadError] = []
    found = read_file(path, problems)
    assert problems == [] and len(found) == 1
    return found[0]


# -- a stated language wins ---------------------------------------------------------------


def test_jsonl_language_stated_is_kept_normalised_and_not_marked_detected(
    tmp_path: Path,
) -> None:
    path = write_jsonl(
        tmp_path / "talks.jsonl",
        {
            "id": "rede", "title": "Rede", "language": "de-AT", "translation_of": "speech",
            # English words, yet the file says German: the file wins.
            "utterances": [
                {"label": "Anna Huber", "text": "Thank you very much for coming today."},
                {"label": "Anna Huber", "text": "Merci.", "language": "French"},
                {"label": "Anna Huber", "text": "Danke.", "language": "deu"},
            ],
        },
    )
    t = read_one(path)
    assert (t.language, t.language_detected, t.translation_of) == ("de", False, "speech")
    # An utterance keeps a language of its own only where it differs from the transcript's.
    assert [u.language for u in t.utterances] == ["", "fr", ""]


def test_sidecar_language_wins_over_detection(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "talk.jsonl",
        {"id": "talk", "title": "Talk", "utterances": [{"text": GERMAN}]},
    )
    (tmp_path / "talk.meta.json").write_text(
        json.dumps({"language": "ukr", "translation_of": "talk-original"}), "utf-8"
    )
    t = read_one(path)
    assert (t.language, t.language_detected) == ("uk", False)
    assert t.translation_of == "talk-original"


@needs_formats
def test_webvtt_language_header_is_stated() -> None:
    t = read_one(YOUTUBE_VTT)
    assert YOUTUBE_VTT.read_text("utf-8").splitlines()[2] == "Language: en"
    assert (t.language, t.language_detected) == ("en", False)


def test_webvtt_language_header_wins_over_the_text(tmp_path: Path) -> None:
    path = tmp_path / "rede.vtt"
    path.write_text(
        "WEBVTT\nKind: captions\nLanguage: fr-CA\n\n00:00.000 --> 00:05.000\n"
        f"{GERMAN}\n",
        "utf-8",
    )
    t = read_one(path)
    assert (t.language, t.language_detected) == ("fr", False)


def test_a_language_named_in_a_cue_is_not_the_header(tmp_path: Path) -> None:
    path = tmp_path / "rede.vtt"
    path.write_text(f"WEBVTT\n\n00:00.000 --> 00:05.000\nLanguage: fr\n{GERMAN}\n", "utf-8")
    t = read_one(path)
    assert (t.language, t.language_detected) == ("de", True)


def test_a_stated_value_that_names_no_language_counts_as_unstated() -> None:
    t = Transcript(id="x", title="", language="und", utterances=[Utterance(1, GERMAN)])
    assign_language(t)
    assert (t.language, t.language_detected) == ("de", True)


def test_utterance_languages_are_normalised_and_blank_when_the_transcripts() -> None:
    t = Transcript(
        id="x", title="", language="EN",
        utterances=[
            Utterance(1, "Hello.", language="en-GB"),
            Utterance(2, "Hallo.", language="German"),
            Utterance(3, "?", language="klingon"),
        ],
    )
    assign_language(t)
    assert (t.language, t.language_detected) == ("en", False)
    assert [u.language for u in t.utterances] == ["", "de", ""]


# -- detection on real text ---------------------------------------------------------------


@needs_formats
@pytest.mark.parametrize("form", ["txt", "jsonl"])
@pytest.mark.parametrize("sitting", SITTINGS)
def test_parlamint_sitting_is_detected_as_its_tei_language(
    tmp_path: Path, sitting: str, form: str
) -> None:
    stated, turns = speech(MORE / sitting)
    if form == "txt":  # plain text: paragraphs, no labels
        path = tmp_path / "sitting.txt"
        path.write_text("\n\n".join(turns) + "\n", "utf-8")
    else:  # JSON Lines with no "language" key
        path = write_jsonl(
            tmp_path / "sitting.jsonl",
            {"id": "sitting", "title": "Sitting",
             "utterances": [{"label": "Speaker", "text": text} for text in turns]},
        )
    t = read_one(path)
    assert (t.language, t.language_detected) == (stated, True)


@needs_formats
@pytest.mark.parametrize("translation", TRANSLATIONS)
def test_parlamint_english_translation_is_detected_as_english(
    tmp_path: Path, translation: str
) -> None:
    stated, turns = speech(MORE / translation)
    assert stated == "en"
    path = tmp_path / "translation.txt"
    path.write_text("\n\n".join(turns) + "\n", "utf-8")
    t = read_one(path)
    assert (t.language, t.language_detected) == ("en", True)


@needs_formats
@pytest.mark.parametrize(
    "name",
    [
        "srt/podcastindex_example.srt",
        "srt/pysrt_bom-utf-8.srt",
        "srt/pysrt_bom-utf-16-le.srt",
        "webvtt/mozilla-vttjs_spec-example.vtt",
        "text/zoom_input_example.txt",
    ],
)
def test_english_captions_and_text_are_detected_as_english(name: str) -> None:
    t = read_one(FORMATS / name)
    assert (t.language, t.language_detected) == ("en", True)


@needs_formats
def test_short_chinese_subtitles_are_detected_as_chinese() -> None:
    # 38 characters: too few letters for an alphabet, plenty of ideographs.
    t = read_one(FORMATS / "srt" / "cdown-srt_gb2312.srt")
    assert (t.language, t.language_detected) == ("zh", True)


@needs_corpus
@pytest.mark.parametrize(
    "name", ["text/13679.txt", "text/15240.txt", "html/17116.html", "html/17118.html"]
)
def test_kremlin_pages_are_english_by_definition(name: str) -> None:
    t = read_one(CORPUS / name)
    assert (t.source, t.language, t.language_detected) == ("en.kremlin.ru", "en", False)


def test_kremlin_seed_is_english_by_definition() -> None:
    t = read_one(Path(__file__).resolve().parents[1] / "seeds" / "000_91ae9584c00e0a1f.txt")
    assert (t.language, t.language_detected) == ("en", False)


@needs_formats
def test_congressional_record_is_english_by_definition() -> None:
    t = read_one(FORMATS / "text" / "congressional-record_CREC-1997-01-28-pt1-PgS693-4.htm")
    assert (t.language, t.language_detected) == ("en", False)


@pytest.mark.parametrize("text", ["12 34 56 78 90", "OK.", "", "1.5 2.5 3.5 " * 200])
def test_too_little_text_falls_back_to_the_default_and_is_marked_detected(
    tmp_path: Path, text: str
) -> None:
    path = write_jsonl(
        tmp_path / "short.jsonl", {"id": "s", "title": "s", "utterances": [{"text": text}]}
    )
    t = read_one(path)
    assert (t.language, t.language_detected) == (DEFAULT, True)


def test_a_title_that_is_only_the_file_name_is_not_sampled(tmp_path: Path) -> None:
    t = Transcript(id="x", title="zapis_sjednani", file=str(tmp_path / "zapis_sjednani.srt"))
    assert sample(t) == ""
    t.title = "Zápis z jednání"
    assert sample(t) == "Zápis z jednání"


# -- bad values ---------------------------------------------------------------------------


def test_jsonl_bad_language_values_are_line_problems_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        {"id": "a", "title": "A", "language": 5, "utterances": [{"text": "x"}]},
        {"id": "b", "title": "B", "language": "klingon", "utterances": [{"text": "x"}]},
        {"id": "c", "title": "C", "utterances": [{"text": "x", "language": ["en"]}]},
        {"id": "d", "title": "D", "language": "es", "utterances": [{"text": "Hola."}]},
        {"id": "e", "title": "E", "translation_of": 7, "utterances": [{"text": "x"}]},
    )
    problems: list[ReadError] = []
    found = read_file(path, problems)
    assert [(t.id, t.language, t.language_detected) for t in found] == [("d", "es", False)]
    messages = [str(p) for p in problems]
    assert len(messages) == 4
    assert "line 1: 'language' must be a string" in messages[0]
    assert "line 2: language 'klingon' is not a language" in messages[1]
    assert "line 3: utterance 1: 'language' must be a string" in messages[2]
    assert "line 5: 'translation_of' must be a string" in messages[3]


def test_sidecar_unknown_language_is_a_problem_naming_it_and_the_rest_applies(
    tmp_path: Path,
) -> None:
    path = write_jsonl(
        tmp_path / "talk.jsonl",
        {"id": "talk", "title": "Talk", "utterances": [{"text": GERMAN}]},
    )
    (tmp_path / "talk.meta.json").write_text(
        json.dumps({"language": "klingon", "title": "Eine Rede", "translation_of": 3}),
        "utf-8",
    )
    problems: list[ReadError] = []
    [t] = read_file(path, problems)
    assert all(isinstance(p, SidecarError) for p in problems)
    messages = [str(p) for p in problems]
    assert len(messages) == 2
    assert any("language 'klingon' is not a language" in m for m in messages)
    assert any("'translation_of' must be a string" in m for m in messages)
    # The bad key is ignored: the language is detected from the text; the title applies.
    assert (t.title, t.language, t.language_detected) == ("Eine Rede", "de", True)


# -- detection is bounded -----------------------------------------------------------------


@pytest.mark.parametrize("shape", ["one long turn", "many turns"])
def test_detecting_a_5_mb_transcript_costs_what_a_short_one_does(shape: str) -> None:
    assign_language(Transcript(id="warm", title="", utterances=[Utterance(1, GERMAN)]))
    copies = 5_000_000 // len(GERMAN) + 1
    if shape == "one long turn":
        utterances = [Utterance(1, " ".join([GERMAN] * copies))]
    else:
        utterances = [Utterance(i, GERMAN) for i in range(1, copies + 1)]
    t = Transcript(id="big", title="", utterances=utterances)
    assert sum(len(u.text) for u in t.utterances) >= 5_000_000
    assert len(sample(t)) <= SAMPLE_CHARS + 1
    started = time.perf_counter()
    assign_language(t)
    elapsed = time.perf_counter() - started
    assert (t.language, t.language_detected) == ("de", True)
    assert elapsed < 5.0, f"detection took {elapsed:.2f} s"


def test_the_detector_is_built_once_however_many_threads_ask(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(language_detection, "_detector", None)
    barrier = threading.Barrier(8)

    def build() -> int:
        barrier.wait()
        return id(language_detection.detector())

    with ThreadPoolExecutor(max_workers=8) as pool:
        built = set(pool.map(lambda _: build(), range(8)))
    assert len(built) == 1
