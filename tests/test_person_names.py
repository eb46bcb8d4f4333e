"""Persons tags in the order a person reads them, chosen from the pages' own text.

The rule (``index.person_names``) on real tags of the development corpus, the file the
writer keeps beside each generation, and an incremental reindex that must not lose the
evidence of the transcripts it does not read again. Run with ``-s`` for the figures.
"""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS_TEXT, need
from transcripts.index import person_names
from transcripts.index.model import Transcript, Utterance
from transcripts.index.schema import PERSON_NAMES
from transcripts.index.writer import reindex

# Real tags of the corpus and how their pages write them (read on the pages, by hand).
EXPECTED = {
    "Merkel Angela": "Angela Merkel",
    "Erdogan Recep Tayyip": "Recep Tayyip Erdogan",  # two given names
    "Xi Jinping": "Xi Jinping",  # already in its own order
    "Moon Jae-in": "Moon Jae-in",
    "Kim Jong-un": "Kim Jong-un",
    "Abe Shinzo": "Shinzo Abe",  # Japanese, but the site writes it given name first
    "Al Saud Salman bin Abdulaziz": "Salman bin Abdulaziz Al Saud",  # a particle surname
    "el-Sisi Abdel Fattah": "Abdel Fattah el-Sisi",
    "al-Assad Bashar": "Bashar al-Assad",
    "Van der Bellen Alexander": "Alexander Van der Bellen",
    "von der Leyen Ursula": "Ursula von der Leyen",
    "Nieto Enrique Pena": "Enrique Pena Nieto",
    "Kirill Patriarch of Moscow and All Russia": "Patriarch Kirill of Moscow and All Russia",
    "Abdullah II King of Jordan": "King Abdullah II of Jordan",
    "Ruling Prince of Monaco Albert II": "Ruling Prince of Monaco Albert II",
    "Diaz-Canel Bermudez Miguel": "Miguel Diaz-Canel Bermudez",  # only "Miguel Diaz-Canel"
    "Ivanov Victor": "Victor Ivanov",  # never written in full: the site's convention
    "1 more": "1 more",  # the site's truncated list, not a name: left alone
}


def _page(persons: list[str], *texts: str, label: str | None = None) -> Transcript:
    utterances = [Utterance(position=i + 1, text=t) for i, t in enumerate(texts)]
    if label:
        utterances.append(Utterance(position=len(texts) + 1, text="Thank you.", label=label))
    return Transcript(id="t", title="Talks", persons=persons, utterances=utterances)


def _shown(*pages: Transcript, speakers: set[str] = frozenset()) -> dict[str, str]:
    evidence = {str(i): person_names.transcript_evidence(p) for i, p in enumerate(pages)}
    return person_names.decide(evidence, speakers).names


def test_a_tag_the_page_writes_given_name_first_is_turned_round():
    page = _page(["Merkel Angela"], "Vladimir Putin met Federal Chancellor Angela Merkel.")
    assert _shown(page) == {"Merkel Angela": "Angela Merkel"}


def test_a_tag_the_page_writes_as_it_is_stays_as_it_is():
    page = _page(["Xi Jinping"], "Talks with President of China Xi Jinping in Beijing.")
    assert _shown(page) == {"Xi Jinping": "Xi Jinping"}


def test_the_split_between_surname_and_given_names_comes_from_the_text():
    page = _page(["Al Saud Salman bin Abdulaziz", "Erdogan Recep Tayyip"],
                 "King of Saudi Arabia Salman bin Abdulaziz Al Saud and Recep Tayyip Erdogan.")
    assert _shown(page) == {"Al Saud Salman bin Abdulaziz": "Salman bin Abdulaziz Al Saud",
                            "Erdogan Recep Tayyip": "Recep Tayyip Erdogan"}


def test_a_speakers_name_anywhere_in_the_index_decides():
    page = _page(["Moon Jae-in"], "The President of Korea spoke.")
    assert _shown(page, speakers={"moon jae-in"}) == {"Moon Jae-in": "Moon Jae-in"}
    assert _shown(page) == {"Moon Jae-in": "Jae-in Moon"}  # no evidence: the convention


def test_a_speaker_label_on_the_page_is_evidence():
    page = _page(["Aliyev Ilham"], "Good afternoon.", label="President of Azerbaijan Ilham Aliyev")
    assert _shown(page) == {"Aliyev Ilham": "Ilham Aliyev"}


def test_without_evidence_the_first_word_the_surname_goes_to_the_end():
    page = _page(["Ivanov Victor", "1 more"], "Mr Ivanov reported on the work done.")
    assert _shown(page) == {"Ivanov Victor": "Victor Ivanov", "1 more": "1 more"}


def test_a_reading_never_starts_or_ends_with_of_or_and():
    for name in person_names.candidates("Kirill Patriarch of Moscow and All Russia")[1:]:
        words = name.split()
        assert words[0] not in ("of", "and") and words[-1] not in ("of", "and"), name
    assert "Patriarch Kirill of Moscow and All Russia" in person_names.candidates(
        "Kirill Patriarch of Moscow and All Russia")


def test_only_the_first_two_words_written_still_point_to_the_order():
    page = _page(["Diaz-Canel Bermudez Miguel"], "Putin congratulated Miguel Diaz-Canel.")
    assert _shown(page) == {"Diaz-Canel Bermudez Miguel": "Miguel Diaz-Canel Bermudez"}


@pytest.fixture(scope="module")
def corpus_names(corpus_transcripts):
    evidence = {t.id: e for t in corpus_transcripts if (e := person_names.transcript_evidence(t))}
    speakers = {u.speaker for t in corpus_transcripts for u in t.utterances if u.speaker}
    return person_names.decide(evidence, speakers)


def test_real_tags_of_the_corpus_read_as_their_pages_write_them(corpus_names):
    got = {tag: corpus_names.names[tag] for tag in EXPECTED}
    assert got == EXPECTED
    why = collections.Counter(corpus_names.why.values())
    flipped = sum(1 for tag, shown in corpus_names.names.items() if shown != tag)
    print(f"\n{len(corpus_names.names)} Persons tags: {flipped} turned round, "
          f"{len(corpus_names.names) - flipped} as stored; by rule: {dict(why)}")
    # Nearly every tag is decided by what the pages say, not by the fallback.
    assert why[person_names.BY_TEXT] + why[person_names.BY_SPEAKER] >= 0.95 * len(
        corpus_names.names)


def test_every_tag_of_the_corpus_keeps_its_words(corpus_names):
    for tag, shown in corpus_names.names.items():
        assert sorted(shown.split()) == sorted(tag.split()), (tag, shown)


def test_the_writer_keeps_the_names_beside_the_generation(tmp_path):
    need(CORPUS_TEXT)
    root = tmp_path / "index"
    reindex([CORPUS_TEXT / "62565.txt", CORPUS_TEXT / "17730.txt"], root, full=True)
    kept = person_names.load(root / "current")
    assert kept is not None and kept.names["Merkel Angela"] == "Angela Merkel"
    assert kept.names["Xi Jinping"] == "Xi Jinping"
    data = json.loads((root / "current" / PERSON_NAMES).read_text(encoding="utf-8"))
    assert set(data["evidence"]) == {"62565", "17730"}


def _two_talks(tmp_path: Path) -> tuple[Path, Path]:
    """A folder of two pages (talks with Angela Merkel; with Xi Jinping) and its index."""
    need(CORPUS_TEXT)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("62565.txt", "17730.txt"):
        shutil.copy(CORPUS_TEXT / name, corpus / name)
    root = tmp_path / "index"
    reindex([corpus], root, full=True)
    return corpus, root


def _touch_xi_page(corpus: Path) -> None:
    """Change the Xi Jinping page, so an incremental reindex reads it (and only it)."""
    page = corpus / "17730.txt"
    page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def test_an_incremental_reindex_keeps_the_evidence_of_pages_it_does_not_read(tmp_path):
    corpus, root = _two_talks(tmp_path)
    before = person_names.load(root / "current")
    _touch_xi_page(corpus)  # another page changes: only it is read again
    report = reindex([corpus], root)
    assert not report.full and report.files_read == 1
    after = person_names.load(root / "current")
    assert after.names == before.names and after.why == before.why
    assert after.names["Merkel Angela"] == "Angela Merkel"
    # The page tagged "Merkel Angela" goes: its tag and evidence go with it.
    (corpus / "62565.txt").unlink()
    reindex([corpus], root)
    gone = person_names.load(root / "current")
    assert "Merkel Angela" not in gone.names and "62565" not in gone.evidence


def test_an_index_built_before_the_names_gets_them_on_its_next_incremental_reindex(tmp_path):
    corpus, root = _two_talks(tmp_path)
    full = person_names.load(root / "current")
    (root / "current" / PERSON_NAMES).unlink()  # as an older version wrote it
    _touch_xi_page(corpus)
    report = reindex([corpus], root)
    assert not report.full and report.files_read == 1
    after = person_names.load(root / "current")
    assert after.names == full.names and after.why == full.why
    assert after.evidence == full.evidence  # read back from the stored text
