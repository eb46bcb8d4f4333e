"""The text reader on layouts outside the development corpus: small constructed pages.

Each false-label case is shown read correctly -- a title with a colon in a box of links or
over a photo album's date is not a speaker, a quotation read out is not a turn -- and the
real turns around it are still opened. The pages follow the text layout of
``../shared/corpus/text`` (see ``index/readers/kremlin_text.py``).
"""

from __future__ import annotations

from transcripts.index.readers.kremlin_text import parse_text

HEAD = ["Events", "Meeting with journalists", "The President answered questions.",
        "March 5, 2020", "14:00", "The Kremlin, Moscow"]
FOOT = ["Geography", "Russia", "Publication status", "Published in section: News",
        "Publication date: March 5, 2020, 14:00", "Text version"]


def page(*body: str) -> list[tuple[str | None, str]]:
    """(label, text) of each utterance of a page with this body."""
    t = parse_text("\n".join([*HEAD, *body, *FOOT]), id="1")
    return [(u.label, u.text) for u in t.utterances]


def test_a_link_title_with_a_colon_in_see_also_is_not_a_speaker() -> None:
    assert page(
        "Vladimir Putin: Good afternoon.",
        "See also",
        "Meeting with Government members",
        "March 4, 2020",
        "Interview: Russia and the Asia-Pacific Region",
        "February 28, 2020",
        "Youth 2030: The Image of the Future panel session",
        "February 2, 2020",
        "Journalist: Thank you, Mr President.",
    ) == [
        ("Vladimir Putin", "Good afternoon."),
        ("Journalist", "Thank you, Mr President."),
    ]


def test_a_box_under_another_heading_is_skipped_too() -> None:
    assert page(
        "Vladimir Putin: Thank you.",
        "Additional",
        "Visit to Crimea: All news",
        "March 18 − 19, 2020",
    ) == [("Vladimir Putin", "Thank you.")]


def test_a_photo_album_caption_over_a_date_is_not_a_speaker() -> None:
    # No heading: the date under it is what marks the line as a caption.
    assert page(
        "Vladimir Putin: Let us begin.",
        "Valdai Club: Meeting with the participants",
        "March 5, 2020",
        "Fyodor Lukyanov: Mr President, colleagues.",
        "The first question.",
    ) == [
        ("Vladimir Putin", "Let us begin."),
        ("Fyodor Lukyanov", "Mr President, colleagues.\nThe first question."),
    ]


def test_a_slide_caption_with_a_colon_and_a_date_is_skipped() -> None:
    assert page(
        "2 of 5",
        "Sochi: Before the meeting",
        "March 5, 2020",
        "The President met the students.",
    ) == [(None, "The President met the students.")]


def test_a_quotation_read_out_stays_in_the_turn() -> None:
    # The host reads questions sent in; the place or sender before the colon is no
    # speaker. Her own label, already seen on the page, still opens her turns.
    assert page(
        "Yelena Vinnik: Let us continue. Here is one.",
        "Perm Territory: “Why are single-industry towns dying?”",
        "Lipetsk, Yevgeny Zaitsev: “About 1,500 equity holders are looking to you.”",
        "Vladimir Putin: I will answer.",
        "Yelena Vinnik: “Will the bridge be built?”",
    ) == [
        ("Yelena Vinnik", "Let us continue. Here is one.\n"
         "Perm Territory: “Why are single-industry towns dying?”\n"
         "Lipetsk, Yevgeny Zaitsev: “About 1,500 equity holders are looking to you.”"),
        ("Vladimir Putin", "I will answer."),
        ("Yelena Vinnik", "“Will the bridge be built?”"),
    ]


def test_a_list_of_appointments_stays_in_the_turn() -> None:
    assert page(
        "Dmitry Medvedev: The proposed members of the Government are as follows.",
        "Minister of Foreign Affairs: Sergei Lavrov.",
        "Minister for Civil Defence, Emergencies and Natural Disaster Relief: Yevgeny Zinichev.",
        "Minister of Defence: Sergei Shoigu.",
        "Vladimir Putin: Thank you.",
    ) == [
        ("Dmitry Medvedev", "The proposed members of the Government are as follows.\n"
         "Minister of Foreign Affairs: Sergei Lavrov.\n"
         "Minister for Civil Defence, Emergencies and Natural Disaster Relief: "
         "Yevgeny Zinichev.\n"
         "Minister of Defence: Sergei Shoigu."),
        ("Vladimir Putin", "Thank you."),
    ]


def test_a_sentence_about_a_question_is_not_a_speaker() -> None:
    assert page(
        "Ravil Dautov: My name is Ravil Dautov.",
        "Here is my question: Can the fines be increased?",
        "And the second question: When?",
        "As regards the position of Alexander Karelin on early elections: My view is known.",
    ) == [
        ("Ravil Dautov", "My name is Ravil Dautov.\n"
         "Here is my question: Can the fines be increased?\n"
         "And the second question: When?\n"
         "As regards the position of Alexander Karelin on early elections: My view is known."),
    ]


def test_unnamed_speakers_in_lower_case_open_turns() -> None:
    # Without these, "Yes!" would be merged into Vladimir Putin's turn.
    assert page(
        "Vladimir Putin: Do you agree?",
        "Response from the hall: Yes!",
        "Voice from the audience: Of course.",
        "Natalya Yuryeva: And this one?",
        "Call centre operator: The city of Tomsk.",
    ) == [
        ("Vladimir Putin", "Do you agree?"),
        ("Response from the hall", "Yes!"),
        ("Voice from the audience", "Of course."),
        ("Natalya Yuryeva", "And this one?"),
        ("Call centre operator", "The city of Tomsk."),
    ]


def test_a_long_title_with_an_adjective_in_ed_still_opens_a_turn() -> None:
    label = ("Deputy Head of the Executive Directorate of the Year of Memory and Glory for "
             "scientific work, honoured archivist of Russia Yelena Malysheva")
    assert page(
        "President of Russia Vladimir Putin: Ms Malysheva, please.",
        f"{label}: Thank you, Mr President.",
    ) == [
        ("President of Russia Vladimir Putin", "Ms Malysheva, please."),
        (label, "Thank you, Mr President."),
    ]


def test_ordinary_turns_and_notes_are_still_read() -> None:
    assert page(
        "* * *",
        "President of Russia Vladimir Putin: Colleagues, good afternoon.",
        "Finance Minister Anton Siluanov: Mr President, the budget is balanced.",
        "President of Turkey Recep Tayyip Erdogan (retranslated): Thank you.",
        "Question: When will it end?",
    ) == [
        ("President of Russia Vladimir Putin", "Colleagues, good afternoon."),
        ("Finance Minister Anton Siluanov", "Mr President, the budget is balanced."),
        ("President of Turkey Recep Tayyip Erdogan", "Thank you."),
        ("Question", "When will it end?"),
    ]


def test_an_event_title_with_a_colon_in_the_text_is_not_a_speaker() -> None:
    # No date under it, but its second half is a title too: capitalised, no full stop.
    assert page(
        "The President visited the exhibition.",
        "Speeches at the opening of the Imperial Capitals: St Petersburg – Vienna. "
        "Masterpieces of Museum Collections exhibition",
        "Youth 2030: The Image of the Future panel session",
        "Vladimir Putin: Friends, good evening.",
    ) == [
        (None, "The President visited the exhibition.\n"
         "Speeches at the opening of the Imperial Capitals: St Petersburg – Vienna. "
         "Masterpieces of Museum Collections exhibition\n"
         "Youth 2030: The Image of the Future panel session"),
        ("Vladimir Putin", "Friends, good evening."),
    ]


def test_a_named_speaker_whose_words_look_like_a_title_still_opens_a_turn() -> None:
    assert page(
        "Vladimir Putin: Go ahead, please.",
        "Dmitry Peskov: Mr President",
    ) == [("Vladimir Putin", "Go ahead, please."), ("Dmitry Peskov", "Mr President")]


def test_fields_of_a_list_of_instructions_are_not_speakers() -> None:
    assert page(
        "The Government was instructed to submit proposals.",
        "Deadline: April 15, 2018.",
        "Responsible: Prime Minister Dmitry Medvedev.",
        "Text of the Executive Order: In accordance with the Constitution, I decree.",
    ) == [
        (None, "The Government was instructed to submit proposals.\n"
         "Deadline: April 15, 2018.\n"
         "Responsible: Prime Minister Dmitry Medvedev.\n"
         "Text of the Executive Order: In accordance with the Constitution, I decree."),
    ]
