"""The readers for captions, parliament and plain text, on real files nobody here wrote.

The files are in ``../shared/formats`` (their origins and licences are in its README);
tests that need them skip when it is absent. Every expectation below was read off the
file itself (cue by cue, ``<seg>`` by ``<seg>``), not off a reader's output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FORMATS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcripts.index.readers import ReadError, SidecarError, read_file, read_file_bytes
from transcripts.index.readers.captions import decode_caption_bytes, split_speaker
from transcripts.index.readers.webvtt import cue_segments

VTT = FORMATS / "webvtt"
SRT = FORMATS / "srt"
TEI = FORMATS / "parlamint"
TEXT = FORMATS / "text"
LORDS = TEI / "ParlaMint-GB_2020-02-12-lords.xml"
PODCAST = SRT / "podcastindex_example.srt"

needs_formats = pytest.mark.skipif(
    not FORMATS.is_dir(), reason=f"sample files not found at {FORMATS}"
)
pytestmark = needs_formats

PODCAST_LABELS = [
    "Travis", "Sarah", "Travis", "Gilon", "Travis", "Gilon", "Travis", "Sarah", "Gilon", "Travis",
]
# Cues 18-30 of the podcast, joined (its card breaks are not sentence breaks).
SARAH_FIRST = (
    "Creating good audio is really key to keeping your podcast listeners engaged because "
    "no matter how good the content is, if your audio quality isn't good. It's unfortunately "
    "just going to turn them away. I know what you're thinking is you probably think you "
    "have to spend thousands of dollars on equipment or rent a podcasting studio just to "
    "make sure everything sounds great. And I'm here to tell you that's not true at all. "
    "I have created some pretty good audio from mic's that costs less than a hundred "
    "dollars. And I have also recorded in places like in my home office, even in the "
    "closet. Yes, no. One's going to see you unless you're recording video like this one "
    ", um , wherever you can just to muffle the sound is going to be really make that "
    "difference between air quality and good quality."
)
PYSRT_TEXT = (
    "About 2 months ago I found myself on the comment section of YouTube And I was "
    "commenting, unfortunately I was commenting, on a video about the famous Ayn Rand "
    "And I posted underneath against this woman's tirades, against what is essentially "
    "the human race. that, this monetary system seems to have no point, seems to actually "
    "hinder people and hinder progress, and one of the responses I got, I didn't answer "
    "it, was: what actually money creates is an incentive to invent the new items, that's "
    "the driving force behind it So what I thought I do is instead if answering on a "
    "YouTube comment is organize a global awareness day"
)


def one(path: Path):
    (t,) = read_file(path)
    return t


def labels(t) -> list[str | None]:
    return [u.label for u in t.utterances]


# --- every file -------------------------------------------------------------------


def test_every_sample_file_reads_as_a_transcript_or_says_why_not():
    # parlamint-more/ (five parliaments, their answer tables) is read by the ParlaMint
    # tests of its own; these are the files the format readers were first built on.
    files = sorted(
        p for p in FORMATS.rglob("*")
        if p.is_file() and p.name != "README.md" and "parlamint-more" not in p.parts
    )
    assert len(files) == 17
    for path in files:
        if path.name == "ParlaMint-taxonomy-speaker_types.xml":
            assert read_file(path) == []  # a corpus file, read for the sittings' sake
            continue
        (t,) = read_file(path)
        assert t.utterances and all(u.text for u in t.utterances), path
        assert t.title and t.source and t.file == str(path)


# --- WebVTT -----------------------------------------------------------------------


def test_vtt_spec_example_joins_cues_of_one_voice_and_keeps_overlapping_voices_apart():
    t = one(VTT / "mozilla-vttjs_spec-example.vtt")
    assert labels(t) == ["Roger Bingham", "Neil deGrasse Tyson"] * 2 + ["Roger Bingham"]
    first = t.utterances[0]
    assert first.text == (
        "We are in New York City We're actually at the Lucern Hotel, just down the street "
        "from the American Museum of Natural History And with me is Neil deGrasse Tyson "
        "Astrophysicist, Director of the Hayden Planetarium at the AMNH. Thank you for "
        "walking down here. And I want to do a follow-up on the last conversation we did. "
        "When we e-mailed—"  # the file's double-encoded dash, repaired
    )
    assert (first.start, first.end) == (11.0, 31.5)
    neil = t.utterances[1]
    assert neil.text == "Didn't we talk about enough in that conversation?"
    assert (neil.start, neil.end) == (30.5, 32.5)  # overlaps Roger's cues on both sides
    assert t.utterances[3].text == "Laughs"  # <i> dropped
    assert t.utterances[4].text == "You know I'm so excited my glasses are falling off here."
    assert t.source == "WebVTT" and t.title == "mozilla-vttjs_spec-example"


def test_vtt_voice_with_class_and_unnamed_unclosed_voice():
    joe = one(VTT / "mozilla-vttjs_voice-with-subclass.vtt").utterances
    assert [(u.label, u.text) for u in joe] == [("Joe", "That's awesome!")]
    blue = one(VTT / "mozilla-vttjs_voice-not-closed.vtt").utterances
    assert [(u.label, u.text) for u in blue] == [(None, "It's a blue apple tree!")]


def test_vtt_bom_and_escaped_ampersand():
    assert one(VTT / "mozilla-vttjs_webvtt-with-bom.vtt").utterances[0].text == "text"
    amp = one(VTT / "mozilla-vttjs_escape-amp.vtt").utterances[0]
    assert (amp.text, amp.start, amp.end) == ("Some text & other stuff.", 0.0, 2.0)


def test_vtt_entities_decode_as_html_does_with_bidi_marks_and_nbsp_removed():
    raw = (VTT / "w3c-webvttjs_wpt-cue-parsing_entities.vtt").read_text("utf-8")
    cues = re.findall(r"-->[^\n]*\n(.*?)(?=\n\n|\Z)", raw, re.S)
    decoded = [" ".join(text for _, _, text in cue_segments(c)) for c in cues]
    assert decoded[:4] == ["&", "&", "&", "&"]  # a bare &, &amp without ;, &amp;, &AMP;
    assert decoded[6:9] == ["a\u200eb", "a\u200fb", '"']
    assert decoded[9:11] == ["", "©"]  # a cue of only a no-break space has no words
    assert decoded[16:18] == ["", ""]  # nor one of only &#32; (a space)
    text = one(VTT / "w3c-webvttjs_wpt-cue-parsing_entities.vtt").utterances[0].text
    assert text.startswith("& & & & < > ab ab \" © && &1 &1;")
    assert "\u200e" not in text and "\xa0" not in text


def test_vtt_voices_in_the_tag_test_file():
    t = one(VTT / "w3c-webvttjs_wpt-cue-parsing_tags.vtt")
    named = [(u.label, u.text) for u in t.utterances if u.label]
    # <v a>test, <v a b>test, then "a<v.d e>b</v>c": the voice "e" says only "b".
    assert named == [("a", "test"), ("a b", "test"), ("e", "b")]
    assert "<" not in " ".join(u.text for u in t.utterances)


def test_vtt_youtube_rolling_lines_and_word_timings_give_each_word_once():
    (u,) = one(VTT / "webvtt-py_youtube_dl.vtt").utterances
    assert u.text == "yeah what this will happen is I'm telling"
    assert (u.start, u.end) == (4 * 60 + 46.07, 5 * 60 + 5.4)


def test_vtt_teams_timestamps_crlf_name_prefixes_and_diarised_labels(tmp_path):
    path = tmp_path / "standup.vtt"
    path.write_bytes(
        b"WEBVTT\r\n\r\nNOTE exported by Teams\r\n\r\nab12-1\r\n0:0:0.570 --> 0:0:3.120\r\n"
        b"<v Jane Doe>Morning all, quick one</v>\r\n\r\nab12-2\r\n0:0:3.120 --> 0:0:5.0\r\n"
        b"<v Jane Doe>today.</v>\r\n\r\n0:0:5.5 --> 0:0:7.0\r\nJohn Roe: Sounds good.\r\n\r\n"
        b"0:0:7.0 --> 0:0:9.0\r\n>> Who else?\r\n\r\n0:0:9.0 --> 0:0:10.0\r\n"
        b"[SPEAKER_01]: Me.\r\n\r\n0:0:10.0 --> 0:0:11.0\r\nNote: It's 7:03\r\n"
    )
    t = one(path)
    got = [(u.label, u.text, u.start, u.end) for u in t.utterances]
    assert got == [
        ("Jane Doe", "Morning all, quick one today.", 0.57, 5.0),
        ("John Roe", "Sounds good.", 5.5, 7.0),
        (None, "Who else?", 7.0, 9.0),
        ("SPEAKER_01", "Me. Note: It's 7:03", 9.0, 11.0),  # "Note:" is no speaker
    ]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Travis: When you first get", "Travis"),
        ("Dr. Mary O'Neil: Thank you.", "Dr. Mary O'Neil"),
        ("ANNA: hi", "ANNA"),
        ("Jane Doe (she/her): Hello everyone.", "Jane Doe (she/her)"),
        (">> BOB: Next question.", "BOB"),
        ("[SPEAKER_00]: okay", "SPEAKER_00"),
        ("SPEAKER 3: okay", "SPEAKER_3"),
        ("Note: It's 7:03", None),
        ("So: what now?", None),
        ("Step One: unplug it.", None),
        ("Rule one: always listen", None),
        ("10:30 Meeting: budget", None),
        ("The Very Long Name Of Someone: hi", None),
        ("at 7: we start", None),
    ],
)
def test_caption_speaker_prefixes_and_false_ones(text, label):
    assert split_speaker(text)[0] == label


def test_vtt_several_voices_in_one_cue_are_separate_turns():
    segs = cue_segments("<v Alice>Yes?</v><v.loud Bob>No!\n<v Carol>Maybe &amp so")
    assert segs == [("Alice", True, "Yes?"), ("Bob", True, "No!\n"), ("Carol", True, "Maybe & so")]


def test_vtt_with_old_mac_line_ends(tmp_path):
    path = tmp_path / "cr.vtt"
    path.write_bytes(
        b"WEBVTT\r\r00:00.000 --> 00:01.000\rhello\r\r00:01.000 --> 00:02.000\r<v Ann>bye\r"
    )
    assert [(u.label, u.text) for u in one(path).utterances] == [(None, "hello"), ("Ann", "bye")]


def test_vtt_that_is_not_one_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "x.vtt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nhello\n")
    with pytest.raises(ReadError, match="not a WebVTT file"):
        read_file(path)


# --- SRT --------------------------------------------------------------------------


def test_srt_podcast_speakers_named_on_change_are_carried_forward():
    t = one(PODCAST)
    assert labels(t) == PODCAST_LABELS
    assert {u.speaker for u in t.utterances} == {"Travis", "Sarah", "Gilon"}
    first, sarah, last = t.utterances[0], t.utterances[1], t.utterances[-1]
    assert first.text.startswith("When you first get started in podcasting, it's almost")
    assert first.text.endswith("to help you reach your goals, that much faster")
    assert (first.start, first.end) == (0.179, 50.34)
    assert sarah.text == SARAH_FIRST and (sarah.start, sarah.end) == (53.03, 100.189)
    assert last.text.startswith("Batch production of your podcast episodes.")
    assert last.text.endswith("the next best thing to do is to batch your episodes.")
    assert last.end == 12 * 60 + 34.769
    assert "Travis:" not in " ".join(u.text for u in t.utterances)


def test_a_long_turn_is_cut_at_a_sentence_end_so_times_stay_near_the_words(tmp_path):
    sentence = "This is one sentence of a very long monologue that goes on and on."
    cards = [
        f"{i + 1}\n00:{i // 60:02d}:{i % 60:02d},000 --> 00:{i // 60:02d}:{i % 60:02d},900\n"
        f"{'Ann: ' if i == 0 else ''}{sentence}\n"
        for i in range(120)
    ]
    path = tmp_path / "long.srt"
    path.write_text("\n".join(cards))
    parts = one(path).utterances
    assert len(parts) == 2 and {u.label for u in parts} == {"Ann"}
    assert all(u.text.endswith(".") for u in parts)
    assert " ".join(u.text for u in parts) == " ".join([sentence] * 120)
    assert parts[1].start == pytest.approx(parts[0].end + 0.1)  # the next card's start


def test_srt_bom_utf16_and_missing_indexes_read_the_same_words():
    texts = {
        name: [(u.text, u.start, u.end) for u in one(SRT / name).utterances]
        for name in ("pysrt_bom-utf-8.srt", "pysrt_bom-utf-16-le.srt", "pysrt_no-indexes.srt")
    }
    assert all(v == [(PYSRT_TEXT, 6.5, 50.0)] for v in texts.values()), texts


def test_srt_gb2312_is_detected_not_read_as_latin1():
    data = (SRT / "cdown-srt_gb2312.srt").read_bytes()
    assert "宇宙守护神" in decode_caption_bytes(data)
    (u,) = one(SRT / "cdown-srt_gb2312.srt").utterances
    # Indexes 2, 4, 6; each card's two-space gap becomes one space.
    assert u.text == " ".join(
        [
            "宇宙守护神", "保护我们远离邪恶", "他能徒手抓住子弹", "拦住疾速的火车",
            "轻轻一跳就能飞跃高楼",
        ]
    )
    assert (u.start, u.end) == (27.0, 36.57)


def test_srt_cp1252_tags_and_out_of_order_cues(tmp_path):
    path = tmp_path / "film.srt"
    path.write_bytes(
        "3\r\n00:00:05,000 --> 00:00:06,000\r\n"
        "<i>Caf\xe9 au lait</i>, {\\an8}s'il vous pla\xeet.\r\n\r\n"
        "1\r\n00:00:01,000 --> 00:00:02,500\r\nANNA: <font color=\"#fff\">Bonjour…</font>\r\n\r\n"
        .encode("cp1252")
    )
    path.write_bytes(path.read_bytes() + b"7\n00:00:07,000 --> 00:00:08,000\n- Oui.\n- Non!\n")
    t = one(path)
    assert [(u.label, u.text, u.start) for u in t.utterances] == [
        ("ANNA", "Bonjour… Café au lait, s'il vous plaît.", 1.0),
        (None, "Oui.", 7.0),  # dialogue lines: two speakers in one card
        (None, "Non!", 7.0),
    ]


# --- ParlaMint TEI ------------------------------------------------------------------


def test_parlamint_sitting_header_speeches_and_paragraphs():
    t = one(LORDS)
    assert t.title == "Minutes of the House of Lords, Daily Session 2020-02-12"
    assert (t.date, t.source) == ("2020-02-12", "ParlaMint-GB")
    assert t.place == "Lords Chamber, Westminster, London"
    assert t.licence == "http://creativecommons.org/licenses/by/4.0/"
    speeches = [u for u in t.utterances if u.label]
    assert [u.label for u in speeches] == [
        "Peter Fowler", "James Touhig", "Leslie Griffiths", "Diana Barran",
    ]
    assert [len(u.text.split("\n")) for u in speeches] == [1, 1, 5, 15]  # one a <seg>
    assert speeches[1].text == (
        "To ask Her Majesty’s Government what progress has been made in reducing the "
        "disability employment gap."
    )
    assert speeches[3].text.split("\n")[0] == (
        "My Lords, I am lost for words. I am really not sure how one follows that disclosure"
    )
    assert all(u.role == "" for u in speeches)  # all #regular


def test_parlamint_headings_are_narrative_and_notes_and_gaps_are_never_text():
    t = one(LORDS)
    narrative = [u.text for u in t.utterances if not u.label]
    assert narrative == ["Retirement of a Member: Lord Elystan-Morgan", "Disability Employment Gap"]
    text = " ".join(u.text for u in t.utterances)
    assert "Announcement" not in text and "adjourned" not in text and "SAMPLING" not in text


def _sitting(tmp_path: Path, body: str) -> Path:
    head = LORDS.read_text("utf-8").split("<text", 1)[0]
    path = tmp_path / "ParlaMint-XX_2021-01-01.xml"
    path.write_text(f"{head}<text><body><div>{body}</div></body></text></TEI>", "utf-8")
    return path


def test_parlamint_person_list_speaker_notes_chair_and_cut_sentences(tmp_path):
    path = _sitting(
        tmp_path,
        '<note type="speaker">The Lord Speaker (Lord Fowler):</note>'
        '<u who="#PeterFowler" ana="#chair"><seg>Order. The Question is that the Bill '
        '<kinesic type="applause"><desc>Applause</desc></kinesic> be now read.</seg></u>'
        '<u who="#Novák.Jan" ana="#regular"><seg>Content.</seg></u>',
    )
    t = one(path)
    assert [(u.label, u.speaker, u.role) for u in t.utterances] == [
        ("The Lord Speaker (Lord Fowler)", "Peter Fowler", "Chairperson"),  # by id, not note
        ("Novák Jan", "Novák Jan", ""),
    ]
    taxonomy = TEI / "ParlaMint-taxonomy-speaker_types.xml"
    (tmp_path / taxonomy.name).write_bytes(taxonomy.read_bytes())
    assert one(path).utterances[0].role == "Chairperson"  # the taxonomy's term
    assert t.utterances[0].text == "Order. The Question is that the Bill be now read."
    assert t.utterances[0].note == "Applause"
    (tmp_path / "ParlaMint-XX-listPerson.xml").write_text(
        '<listPerson xmlns="http://www.tei-c.org/ns/1.0"><person xml:id="PeterFowler">'
        '<persName to="2001-06-20"><forename>Norman</forename><surname>Fowler</surname>'
        '</persName><persName from="2001-06-21"><roleName>Lord</roleName>'
        "<surname>Fowler</surname></persName></person></listPerson>",
        "utf-8",
    )
    t = one(path)
    assert t.utterances[0].speaker == "Fowler"  # the name valid on the sitting's date (2020)
    assert t.utterances[0].label == "The Lord Speaker (Lord Fowler)"  # as printed


def test_parlamint_refuses_an_annotated_file_beside_its_plain_one_and_unsafe_xml(tmp_path):
    ana = tmp_path / "ParlaMint-GB_2020-02-12-lords.ana.xml"
    ana.write_bytes(LORDS.read_bytes())
    assert one(ana).id == "ParlaMint-GB_2020-02-12-lords"  # alone, it is the sitting
    (tmp_path / LORDS.name).write_bytes(LORDS.read_bytes())
    with pytest.raises(ReadError, match=r"\.ana\.xml"):
        read_file(ana)
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><TEI>&a;</TEI>')
    with pytest.raises(ReadError, match="refused for safety"):
        read_file(bomb)


# --- plain text, Zoom, Congressional Record -----------------------------------------


def test_zoom_export_joins_entries_of_one_speaker_with_times():
    t = one(TEXT / "zoom_input_example.txt")
    assert labels(t) == ["Johnny Doe", "Janet Dough"] * 4
    assert t.source == "Zoom" and t.time == "11:02"
    u = t.utterances[4]  # [Johnny Doe] 11:02:14 and 11:02:22
    assert u.text == "Making sure. Okay. That's perfectly fine, and that makes sense."
    assert (u.start, u.end) == (5.0, 15.0)  # until Janet's 11:02:24
    assert t.utterances[-1].text == (
        "Yeah, I'm… I mean, I'm… I'm about 4 months in, and that's still quite a bit to, "
        "like, wrap my head around, and…"
    )


def test_congressional_record_turns_paragraphs_and_date():
    t = one(TEXT / "congressional-record_CREC-1997-01-28-pt1-PgS693-4.htm")
    assert labels(t) == ["Mr. BURNS", "The PRESIDENT pro tempore", "Mr. BURNS"]
    assert t.date == "1997-01-28" and t.source == "Congressional Record"
    assert t.utterances[1].text == "Without objection, it is so ordered."
    paragraphs = t.utterances[2].text.split("\n")
    assert len(paragraphs) == 5
    assert paragraphs[0].startswith("At 12:30 the Senate will recess until 2:15 for the weekly")
    assert paragraphs[-1] == (
        "Mr. President, as we go into morning business, I yield to the Senator from Iowa, "
        "Senator Grassley."
    )


NEWS = """\
ANDERSON COOPER, CNN ANCHOR: Good evening. We begin tonight
with the news from Washington.

(APPLAUSE)

Note: It's 7:03 and we are still waiting.

COOPER: Joining me now is Senator Jane Smith.
JANE SMITH (D), U.S. SENATOR: Thank you, Anderson.
10:30 Meeting: budget review came first.
The answer to your question is simple: we vote tomorrow.
SMITH: And we will win.
"""


def test_plain_text_turns_surnames_notes_and_false_labels(tmp_path):
    path = tmp_path / "cnn-2020-03-04.txt"
    path.write_text(NEWS)
    t = one(path)
    got = [(u.label, u.speaker, u.role, u.note) for u in t.utterances]
    assert got == [
        ("ANDERSON COOPER, CNN ANCHOR", "ANDERSON COOPER", "CNN ANCHOR", "APPLAUSE"),
        ("COOPER", "ANDERSON COOPER", "CNN ANCHOR", ""),
        ("JANE SMITH (D), U.S. SENATOR", "JANE SMITH", "U.S. SENATOR", ""),
        ("SMITH", "JANE SMITH", "U.S. SENATOR", ""),
    ]
    assert t.utterances[0].text == (
        "Good evening. We begin tonight with the news from Washington.\n"
        "Note: It's 7:03 and we are still waiting."
    )
    assert "10:30 Meeting: budget review came first." in t.utterances[2].text
    assert "The answer to your question is simple: we vote tomorrow." in t.utterances[2].text
    assert (t.title, t.date, t.source) == ("cnn-2020-03-04", "2020-03-04", "text")


# --- sidecars -------------------------------------------------------------------------


def test_sidecar_supplies_title_date_media_and_credit(tmp_path):
    path = tmp_path / "episode.srt"
    path.write_bytes(PODCAST.read_bytes())
    (tmp_path / "episode.meta.json").write_text(json.dumps({
        "title": "10 things we wish we knew", "date": "2021-05-01",
        "media": "https://example.org/ep.mp3", "source": "Buzzcast",
        "licence": "CC0 1.0", "attribution": "Podcastindex.org", "topics": ["Podcasting"],
    }))
    t = one(path)
    assert (t.title, t.date, t.media, t.source) == (
        "10 things we wish we knew", "2021-05-01", "https://example.org/ep.mp3", "Buzzcast",
    )
    assert (t.licence, t.attribution, t.topics) == ("CC0 1.0", "Podcastindex.org", ["Podcasting"])


def test_sidecar_names_diarised_speakers(tmp_path):
    path = tmp_path / "call.vtt"
    path.write_text(
        "WEBVTT\n\n00:01.000 --> 00:02.000\n[SPEAKER_00]: Hello.\n\n"
        "00:02.000 --> 00:03.000\n[SPEAKER_01]: Hi.\n"
    )
    (tmp_path / "call.meta.json").write_text('{"speakers": {"SPEAKER_00": "Jane Doe"}}')
    t = one(path)
    assert [(u.label, u.speaker) for u in t.utterances] == [
        ("Jane Doe", "Jane Doe"), ("SPEAKER_01", "SPEAKER_01"),
    ]


def test_bad_sidecar_is_reported_and_the_transcript_still_read(tmp_path):
    path = tmp_path / "episode.srt"
    path.write_bytes(PODCAST.read_bytes())
    side = tmp_path / "episode.meta.json"
    side.write_text('{"title": 3, "date": "May 1", "colour": "red", "place": "Here"}')
    problems: list[ReadError] = []
    (t,) = read_file_bytes(path, path.read_bytes(), problems)
    assert all(isinstance(p, SidecarError) for p in problems)
    assert sorted(re.sub(r"episode\.meta\.json: ", "", str(p)) for p in problems) == [
        "'title' must be a string; ignored",
        "date 'May 1' is not YYYY-MM-DD; ignored",
        "unknown key 'colour'; ignored",
    ]
    assert (t.title, t.place, len(t.utterances)) == ("episode", "Here", 10)
    side.write_text("{not json")
    problems.clear()
    (t,) = read_file_bytes(path, path.read_bytes(), problems)
    assert "not valid JSON" in str(problems[0]) and t.title == "episode"


# --- the same content in two formats ---------------------------------------------------


def srt_to_vtt(srt_text: str, voices: bool) -> str:
    """The podcast as WebVTT: dots for commas; with ``voices``, <v> spans for the names."""
    out = ["WEBVTT", ""]
    speaker = None
    for block in srt_text.strip().split("\n\n"):
        _index, timing, *lines = block.split("\n")
        text = "\n".join(lines)
        if voices:
            m = re.match(r"(\w+): (.*)", text, re.S)
            if m:
                speaker, text = m.groups()
            text = f"<v {speaker}>{text}</v>"
        out += [timing.replace(",", "."), text, ""]
    return "\n".join(out)


@pytest.mark.parametrize("voices", [False, True], ids=["name-prefixes", "voice-spans"])
def test_the_same_episode_as_srt_and_vtt_gives_the_same_speakers_words_and_times(
    tmp_path, voices
):
    srt_t = one(PODCAST)
    vtt = tmp_path / "episode.vtt"
    vtt.write_text(srt_to_vtt(PODCAST.read_text("utf-8"), voices))
    vtt_t = one(vtt)
    assert [(u.label, u.text, u.start, u.end) for u in vtt_t.utterances] == [
        (u.label, u.text, u.start, u.end) for u in srt_t.utterances
    ]


def test_the_same_sitting_as_tei_and_jsonl_gives_the_same_speakers_and_words(tmp_path):
    tei = one(LORDS)
    line = {
        "id": "lords", "title": tei.title, "date": tei.date,
        "utterances": [{"label": u.label, "text": u.text} for u in tei.utterances],
    }
    path = tmp_path / "lords.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", "utf-8")
    (back,) = read_file(path)
    assert [(u.speaker, u.text) for u in back.utterances] == [
        (u.speaker, u.text) for u in tei.utterances
    ]


# --- any bytes: a transcript or a ReadError -------------------------------------------

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
PREFIXES = {
    ".vtt": [b"", b"WEBVTT\n\n", b"\xef\xbb\xbfWEBVTT\r\n\r\n00:00.000 --> 00:01.000\r\n"],
    ".srt": [b"", b"1\n00:00:01,000 --> 00:00:02,000\n", b"\xff\xfe"],
    ".xml": [b"", b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><u who="#A">'],
    ".txt": [b"", b"[Jane Doe] 11:02:09\n", b"JANE: "],
    ".htm": [b"", b"<title>Congressional Record</title><pre>\n  Mr. BURNS. "],
}


def _any_bytes(suffix: str):
    return st.tuples(st.sampled_from(PREFIXES[suffix]), st.binary(max_size=400)).map(
        lambda parts: parts[0] + parts[1]
    )


def _reads_or_refuses(tmp_path: Path, name: str, data: bytes) -> None:
    try:
        transcripts = read_file_bytes(tmp_path / name, data, [])
    except ReadError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return
    for t in transcripts:
        assert t.title and all(isinstance(u.text, str) for u in t.utterances)


@PROPERTY
@given(data=_any_bytes(".vtt"))
def test_any_bytes_as_vtt_give_a_transcript_or_a_read_error(tmp_path, data):
    _reads_or_refuses(tmp_path, "x.vtt", data)


@PROPERTY
@given(data=_any_bytes(".srt"))
def test_any_bytes_as_srt_give_a_transcript_or_a_read_error(tmp_path, data):
    _reads_or_refuses(tmp_path, "x.srt", data)


@PROPERTY
@given(data=_any_bytes(".xml"))
def test_any_bytes_as_tei_give_a_transcript_or_a_read_error(tmp_path, data):
    _reads_or_refuses(tmp_path, "x.xml", data)


@PROPERTY
@given(data=_any_bytes(".txt"))
def test_any_bytes_as_plain_text_give_a_transcript_or_a_read_error(tmp_path, data):
    _reads_or_refuses(tmp_path, "x.txt", data)


@PROPERTY
@given(data=_any_bytes(".htm"))
def test_any_bytes_as_congressional_record_give_a_transcript_or_a_read_error(tmp_path, data):
    _reads_or_refuses(tmp_path, "x.htm", data)


@PROPERTY
@given(text=st.text(max_size=300))
def test_any_text_as_vtt_cues_gives_a_transcript_or_a_read_error(tmp_path, text):
    data = ("WEBVTT\n\n00:00.000 --> 00:01.000\n" + text).encode("utf-8", "surrogatepass")
    _reads_or_refuses(tmp_path, "x.vtt", data)
