"""Readers and speaker names: one behaviour a test, on real pages where the corpus has one.

Real pages come from ``../shared/corpus`` (beside the project) and the seed; tests that
need the corpus skip when it is absent.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcripts.index.model import KREMLIN_EVENT_URL, Transcript, Utterance
from transcripts.index.readers import SUFFIXES, ReadError, decode_bytes, read_file, read_file_bytes
from transcripts.index.readers.jsonl import parse_jsonl
from transcripts.index.readers.kremlin_html import parse_html
from transcripts.index.readers.kremlin_text import parse_text, render_text
from transcripts.index.speakers import learn_names, resolve_speakers

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_91ae9584c00e0a1f.txt"
CORPUS = ROOT.parent / "shared" / "corpus"

needs_corpus = pytest.mark.skipif(
    not (CORPUS / "text").is_dir(), reason=f"development corpus not found at {CORPUS}"
)


def corpus_page(page_id: str, kind: str = "text") -> Transcript:
    suffix = {"text": "txt", "html": "html"}[kind]
    return read_file(CORPUS / kind / f"{page_id}.{suffix}")[0]


def gold(page_id: str) -> dict:
    return json.loads((CORPUS / "gold" / f"{page_id}.json").read_text("utf-8"))


def page(body: str, head: str = "Meeting\nLead paragraph.\nMay 5, 2017\n12:00\nSochi") -> str:
    """A small page in the text version's layout."""
    return (
        f"Events\n{head}\n{body}\nTopics\nForeign policy\nPublication status\n"
        "Published in sections: News, Transcripts\nPublication date: May 5, 2017, 12:00\n"
        "Text version\n"
    )


@pytest.fixture(scope="module")
def seed() -> Transcript:
    return read_file(SEED)[0]


# -- the text version -------------------------------------------------------------------


def test_seed_header_and_footer(seed: Transcript) -> None:
    assert seed.title == "Talks with President of Azerbaijan Ilham Aliyev"
    assert seed.lead.startswith("Vladimir Putin held talks in the Kremlin")
    assert (seed.date, seed.time, seed.place) == ("2022-02-22", "18:35", "The Kremlin, Moscow")
    assert (seed.geography, seed.topics, seed.persons) == (
        ["Azerbaijan"], ["Foreign policy"], ["Aliyev Ilham"]
    )
    assert seed.sections == ["News", "Transcripts"]
    assert seed.published == "February 22, 2022, 18:35"
    assert seed.file == str(SEED) and seed.source == "en.kremlin.ru"
    assert [u.position for u in seed.utterances] == [1, 2, 3]


def test_paragraph_broken_over_lines_is_joined(seed: Transcript) -> None:
    intro = seed.utterances[0]
    assert intro.label is None
    assert intro.text.split("\n")[-1] == (
        "In addition, Vladimir Putin and Ilham Aliyev made statements for the press."
    )
    assert "part of the CSTO contingent, at the request" in seed.utterances[1].text


def test_stars_separate_introduction_from_transcript(seed: Transcript) -> None:
    assert [u.label for u in seed.utterances] == [
        None, "President of Russia Vladimir Putin", "President of Azerbaijan Ilham Aliyev",
    ]
    assert all("* * *" not in u.text for u in seed.utterances)


def test_see_also_box_is_not_text_and_does_not_end_the_turn(seed: Transcript) -> None:
    putin = seed.utterances[1]
    assert "recognise the sovereignty of the two people’s republics in Donbass." in putin.text
    assert "I would like to say right away that we can see" in putin.text
    everything = "\n".join(u.text for u in seed.utterances)
    assert "See also" not in everything
    assert "Signing of documents recognising Donetsk" not in everything
    assert "February 21, 2022" not in everything


def test_photo_caption_is_skipped(seed: Transcript) -> None:
    everything = "\n".join(u.text for u in seed.utterances)
    assert "2 of 7" not in everything
    assert "Talks with President of Azerbaijan Ilham Aliyev." not in everything


def test_elision_stays_in_the_text(seed: Transcript) -> None:
    assert seed.utterances[-1].text.endswith("Thank you again for the invitation.\n<…>")


def test_sentence_with_a_colon_is_not_a_turn() -> None:
    t = parse_text(page(
        "Vladimir Putin: Let me begin.\n"
        "The answer is simple: we will keep working.\n"
        "In his words, Mr Putin said: nothing changes.\n"
        "Question: And the budget?"
    ))
    assert [u.label for u in t.utterances] == ["Vladimir Putin", "Question"]
    assert t.utterances[0].text == (
        "Let me begin.\nThe answer is simple: we will keep working.\n"
        "In his words, Mr Putin said: nothing changes."
    )


def test_labels_of_all_shapes_open_turns() -> None:
    t = parse_text(page(
        "Question: First?\nRemark: Second.\nDmitry Peskov: Third.\n"
        "President of Syria Bashar al-Assad: Fourth.\n"
        "Dmitry Kucheryavin, manual arc welding technician at a branch of JSC AEM: Fifth.\n"
        "Direct line programme host Maria Sittel: Sixth."
    ))
    assert [u.label for u in t.utterances] == [
        "Question", "Remark", "Dmitry Peskov", "President of Syria Bashar al-Assad",
        "Dmitry Kucheryavin, manual arc welding technician at a branch of JSC AEM",
        "Direct line programme host Maria Sittel",
    ]


@needs_corpus
def test_note_after_label_is_kept_apart() -> None:
    t = corpus_page("51279")
    king = t.utterances[1]
    assert (king.label, king.note) == ("King of Bahrain Hamad Bin Isa Al Khalifa", "retranslated")
    assert king.text.startswith("Mr President, thank you for this invitation.")


def test_bracket_that_is_part_of_the_name_is_not_a_note() -> None:
    t = parse_text(page("Emma Marcegaglia (ENI): Good morning."))
    assert (t.utterances[0].label, t.utterances[0].note) == ("Emma Marcegaglia (ENI)", "")


@needs_corpus
def test_announcement_without_date_uses_publication_date() -> None:
    t = corpus_page("60592")
    assert t.date == "" and t.time == ""
    assert t.effective_date == dt.date(2019, 5, 28)
    assert t.utterances[-1].text.endswith("following the high-level forum.")


@needs_corpus
def test_page_without_tags() -> None:
    t = corpus_page("60592")
    assert (t.geography, t.topics, t.persons) == ([], [], [])
    assert t.sections == ["News", "Announcements"]


@needs_corpus
def test_kremlin_url_from_numeric_id() -> None:
    assert corpus_page("51279").url == KREMLIN_EVENT_URL.format(id="51279")


def test_text_that_is_not_a_transcript_is_refused() -> None:
    with pytest.raises(ReadError, match="not a transcript"):
        parse_text("Dear diary,\ntoday nothing happened.\n")
    with pytest.raises(ReadError, match="no title line"):
        parse_text("Events\n")


# -- the saved HTML page ----------------------------------------------------------------


@needs_corpus
def test_html_with_a_stray_byte_still_parses() -> None:
    data = (CORPUS / "html" / "63123.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    t = corpus_page("63123", "html")
    g = gold("63123")
    assert t.title == g["title"]
    assert len(t.utterances) == len(g["blocks"])
    assert any("\ufffd" in u.text for u in t.utterances)  # just the one byte replaced


@needs_corpus
def test_html_page_gives_the_same_record_as_its_text_version() -> None:
    h, t = corpus_page("17517", "html"), corpus_page("17517")
    assert h.url == t.url == KREMLIN_EVENT_URL.format(id=h.id)
    for field in ("title", "lead", "date", "time", "place", "topics", "sections", "published"):
        assert getattr(h, field) == getattr(t, field), field
    assert [(u.label, u.note, u.speaker, u.role, u.text) for u in h.utterances] == [
        (u.label, u.note, u.speaker, u.role, u.text) for u in t.utterances
    ]


def test_html_labels_come_from_bold_markup() -> None:
    body = (
        "<p><b>* * *</b></p>"
        "<p><b>President of Russia Vladimir Putin:</b> Welcome.</p><p>Second paragraph.</p>"
        "<p><b>King Hamad</b> <i>(retranslated)</i><b>:</b> Thank you.</p>"
        "<p><b>Vladimir Putin: Right.</b> Not a label: the bold runs on.</p>"
    )
    html = (
        '<html><head><meta property="og:url" content="http://en.kremlin.ru/events/president/'
        'news/123"/></head><body><h1 class="entry-title">Talks</h1>'
        '<div class="read__lead"><p>Lead.</p></div><div class="read__meta">'
        '<time class="read__published" datetime="2016-02-08">February 8, 2016</time>'
        '<div class="read__time">14:15</div><div class="read__place">Sochi</div></div>'
        f'<div class="entry-content">{body}</div></body></html>'
    )
    t = parse_html(html)
    assert (t.id, t.date, t.time, t.place) == ("123", "2016-02-08", "14:15", "Sochi")
    assert t.lead == "Lead."
    assert [(u.label, u.note, u.text) for u in t.utterances] == [
        ("President of Russia Vladimir Putin", "", "Welcome.\nSecond paragraph."),
        ("King Hamad", "retranslated",
         "Thank you.\nVladimir Putin: Right. Not a label: the bold runs on."),
    ]


def test_html_cut_off_is_refused() -> None:
    with pytest.raises(ReadError, match="HTML cut off"):
        parse_html('<html><body><h1 class="entry-title">Talks</h1><div class="entry-content"><p>')


# -- JSON Lines ---------------------------------------------------------------------------


def test_jsonl_bad_line_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    good = {"id": "a", "title": "First", "date": "2020-01-02",
            "utterances": [{"label": "Jane Doe", "text": "Hello."}, {"text": "Applause."}]}
    path = tmp_path / "batch.jsonl"
    path.write_text(
        json.dumps(good) + "\n{not json\n\n" + json.dumps({"id": "c", "title": "Third"}) + "\n"
        + json.dumps({"id": "d"}) + "\n",
        encoding="utf-8",
    )
    problems: list[ReadError] = []
    transcripts = read_file(path, problems)
    assert [t.id for t in transcripts] == ["a", "c"]
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "line 2: invalid JSON: Expecting property name enclosed in double quotes",
        "line 5: missing 'title'",
    ]
    first = transcripts[0]
    assert first.file == str(path) and first.url == ""
    assert [(u.position, u.label, u.speaker) for u in first.utterances] == [
        (1, "Jane Doe", "Jane Doe"), (2, None, None),
    ]


def test_jsonl_with_nothing_readable_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x", "title": "T", "date": "08/02/2016"}\n', encoding="utf-8")
    with pytest.raises(ReadError, match="line 1: date '08/02/2016' is not YYYY-MM-DD"):
        read_file(path)


def test_jsonl_round_trips_a_transcript(seed: Transcript) -> None:
    line = json.dumps(seed.to_dict())
    (back,), problems = parse_jsonl(line, source=seed.file)
    assert problems == [] and back == seed


# -- bytes and files ----------------------------------------------------------------------


def test_cp1251_file_is_decoded(tmp_path: Path) -> None:
    text = page("Владимир Путин: Добрый день, уважаемые коллеги!",
                head="Совещание\nПутин провёл совещание.\nMay 5, 2017")
    path = tmp_path / "ru.txt"
    path.write_bytes(text.encode("cp1251"))
    t = read_file(path)[0]
    assert t.title == "Совещание"
    assert t.utterances[0].text == "Добрый день, уважаемые коллеги!"


def test_western_legacy_file_is_decoded() -> None:
    assert decode_bytes("Café in Zürich – naïve".encode("cp1252")) == "Café in Zürich – naïve"


def test_stray_byte_replaces_only_itself() -> None:
    assert decode_bytes("de\u2019c".encode() + b"\xe3lared") == "de\u2019c\ufffdlared"


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ReadError, match="binary file"):
        read_file(path)


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    assert ".doc" not in SUFFIXES
    with pytest.raises(ReadError, match="unknown file type"):
        read_file_bytes(tmp_path / "notes.doc", b"hello")


def test_bytes_already_loaded_are_read_without_the_file(tmp_path: Path) -> None:
    data = SEED.read_bytes()
    t = read_file_bytes(tmp_path / "51279.txt", data)[0]
    assert t.id == "51279" and t.url == KREMLIN_EVENT_URL.format(id="51279")


# -- speakers -----------------------------------------------------------------------------


def _transcript(*labels: str | None, persons: list[str] | None = None) -> Transcript:
    return Transcript(
        id="t", title="T", persons=persons or [],
        utterances=[Utterance(position=i, text="x", label=lab) for i, lab in enumerate(labels, 1)],
    )


def _who(t: Transcript) -> list[tuple[str | None, str]]:
    return [(u.speaker, u.role) for u in t.utterances]


def test_shorter_label_later_on_the_page_is_the_name() -> None:
    t = _transcript("President of Russia Vladimir Putin", None, "Vladimir Putin")
    resolve_speakers(t)
    assert _who(t) == [
        ("Vladimir Putin", "President of Russia"), (None, ""),
        ("Vladimir Putin", "President of Russia"),
    ]


def test_persons_tag_names_the_speaker() -> None:
    t = _transcript("President of Azerbaijan Ilham Aliyev", persons=["Aliyev Ilham"])
    resolve_speakers(t)
    assert _who(t) == [("Ilham Aliyev", "President of Azerbaijan")]
    assert learn_names(t) == {"Ilham Aliyev"}


def test_known_name_from_another_transcript_is_used() -> None:
    # Alone, a title's shape gives a two-word name; another transcript knows better.
    t = _transcript("President of Turkey Recep Tayyip Erdogan")
    resolve_speakers(t)
    assert _who(t) == [("Tayyip Erdogan", "President of Turkey Recep")]
    resolve_speakers(t, {"Recep Tayyip Erdogan"})
    assert _who(t) == [("Recep Tayyip Erdogan", "President of Turkey")]


def test_a_name_spelled_in_capitals_is_the_same_speaker() -> None:
    for known in ({"Vladimir PUTIN", "Vladimir Putin"}, {"Vladimir Putin", "Vladimir PUTIN"}):
        t = _transcript("President of Russia Vladimir PUTIN", "Vladimir PUTIN")
        resolve_speakers(t, known)
        assert _who(t) == [("Vladimir Putin", "President of Russia")] * 2


def test_title_of_the_usual_shape_gives_role_and_two_word_name() -> None:
    t = _transcript("President of Russia Vladimir Putin", "Governor of Tula Region Alexei Dyumin")
    resolve_speakers(t)
    assert _who(t) == [
        ("Vladimir Putin", "President of Russia"),
        ("Alexei Dyumin", "Governor of Tula Region"),
    ]


def test_question_and_remark_have_no_speaker_and_unknown_labels_stay_as_printed() -> None:
    t = _transcript("Question", "Remark", "Maria Sittel")
    resolve_speakers(t, {"Vladimir Putin"})
    assert _who(t) == [(None, ""), (None, ""), ("Maria Sittel", "")]
    assert [u.label for u in t.utterances] == ["Question", "Remark", "Maria Sittel"]
    assert learn_names(t) == set()


def test_names_match_whatever_the_case() -> None:
    t = _transcript("Secretary-General of the OECD JOSE ANGEL GURRIA", persons=["Gurria Angel"])
    resolve_speakers(t)
    assert _who(t) == [("Angel Gurria", "Secretary-General of the OECD JOSE")]


@needs_corpus
def test_speakers_on_a_real_page() -> None:
    t = corpus_page("51279")
    assert _who(t) == [
        ("Vladimir Putin", "President of Russia"),
        ("Hamad Bin Isa Al Khalifa", "King of Bahrain"),
        ("Vladimir Putin", "President of Russia"),
        ("Hamad Bin Isa Al Khalifa", "King of Bahrain"),
        ("Vladimir Putin", "President of Russia"),
    ]


# -- properties ---------------------------------------------------------------------------

_LOWER = st.sampled_from(
    ["work", "talks", "cooperation", "region", "budget", "we", "will", "meet"]
)
_CAPITAL = st.sampled_from(
    ["Moscow", "Sochi", "Russia", "Ivan", "Maria", "Petrov", "Smirnova", "Grand", "Hall"]
)


def _sentence() -> st.SearchStrategy[str]:
    return st.builds(
        lambda first, rest, end: " ".join([first, *rest]) + end,
        _CAPITAL, st.lists(_LOWER, min_size=1, max_size=8), st.sampled_from([".", "?", "!"]),
    )


def _paragraphs() -> st.SearchStrategy[str]:
    return st.lists(_sentence(), min_size=1, max_size=3).map("\n".join)


_NAME = st.builds(lambda a, b: f"{a} {b}", st.sampled_from(["Ivan", "Maria", "Anna", "Oleg"]),
                  st.sampled_from(["Petrov", "Smirnova", "Ivanov", "Orlova"]))
_LABEL = st.builds(lambda role, name: f"{role} {name}".strip(),
                   st.sampled_from(["", "Minister of Health", "Governor", "President of Russia"]),
                   _NAME)
_UTTERANCE = st.one_of(
    st.builds(lambda text: Utterance(0, text), _paragraphs()),
    st.builds(lambda label, note, text: Utterance(0, text, label=label, note=note),
              _LABEL, st.sampled_from(["", "retranslated"]), _paragraphs() | st.just("")),
)
_TAGS = st.lists(st.builds(lambda a, b: f"{a} {b}", _CAPITAL, _CAPITAL), max_size=3)


@st.composite
def transcripts(draw) -> Transcript:
    dated = draw(st.booleans())
    date = draw(st.dates(dt.date(1999, 1, 1), dt.date(2030, 12, 31))) if dated else None
    timed = dated and draw(st.booleans())
    t = Transcript(
        id=str(draw(st.integers(1, 10**6))),
        title=draw(_sentence()).rstrip(".?!"),
        lead=draw(_sentence()) if not dated or draw(st.booleans()) else "",
        date=date.isoformat() if date else "",
        time=f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}" if timed else "",
        place=draw(st.sampled_from(["", "Sochi", "The Kremlin, Moscow"])) if timed else "",
        geography=draw(_TAGS), topics=draw(_TAGS), persons=draw(_TAGS),
        sections=draw(st.lists(st.sampled_from(["News", "Transcripts"]), max_size=2,
                               unique=True)),
        published=draw(st.sampled_from(["", "February 8, 2016, 14:15"])),
        utterances=draw(st.lists(_UTTERANCE, max_size=6)),
    )
    for i, u in enumerate(t.utterances, start=1):
        u.position = i
    t.url = KREMLIN_EVENT_URL.format(id=t.id)
    resolve_speakers(t)
    return t


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(transcripts())
def test_render_then_parse_gives_the_transcript_back(t: Transcript) -> None:
    assert parse_text(render_text(t), id=t.id) == t


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400)
       | st.lists(st.sampled_from([
           "Events", "Title", "May 5, 2017", "12:00", "Sochi", "1 of 3", "* * *", "See also",
           "Question: Why?", "Vladimir Putin (retranslated): Yes.", "Topics", "Persons",
           "Publication status", "Published in sections: News", "Publication date: x",
           "", "text.", "<…>",
       ]), max_size=30).map("\n".join))
def test_parse_text_never_crashes(text: str) -> None:
    try:
        t = parse_text(text)
    except ReadError:
        return
    assert [u.position for u in t.utterances] == list(range(1, len(t.utterances) + 1))


def test_an_enumeration_word_before_a_colon_is_not_a_speaker() -> None:
    from transcripts.index.readers.kremlin_text import split_label

    assert split_label("Second: Ms Abramchenko said that she has good news.", set()) is None
    assert split_label("Finally: one more thing.", set()) is None
    assert split_label("Dmitry Peskov: Second question, please.", set()) is not None
