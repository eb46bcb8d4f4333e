"""Every transcript gets a language: the one its source states, else one detected offline.

``assign_language`` runs once per transcript, after its reader and its sidecar
(``readers.read_file_bytes``). A language the source states (a JSON Lines or sidecar
``language``, WebVTT's ``Language:`` header, a TEI ``xml:lang``; en.kremlin.ru and the
Congressional Record are English by definition) is normalised to its ISO 639-1 code and
kept, ``language_detected`` False. Otherwise the language is detected from the speech
and marked ``language_detected`` True, so a guess can be told from a statement; a
sidecar's ``language`` turns one into the other.

The detector is lingua (``lingua-language-detector``, Apache-2.0, Rust inside; no
network, its models ship in the wheel). Choices, each measured on this machine with
lingua 2.1.1 (``/usr/bin/time -v`` and ``time.perf_counter``, ParlaMint and
en.kremlin.ru text):

* **Low accuracy mode** (trigram models only). High accuracy loads 1- to 5-gram models
  for every candidate of a script as soon as it meets a text under 120 characters: the
  first short German caption cost 6 s and 790 MB of memory (the full 75 languages,
  preloaded: 5.8 s and 1.25 GB). Low accuracy costs 0.27 s and about 55 MB the first
  time a script is seen, 2–6 ms a transcript after that (the 2,000-character sample).
  Measured on 700 random excerpts a length (the five ParlaMint sittings, Kremlin pages,
  a podcast's captions): from 100 characters on it is right 99.9–100 % of the time; at
  25 characters only 83 %, so shorter samples are not detected at all (``MIN_LETTERS``),
  and an answer under 0.9 confidence is not taken (``MIN_CONFIDENCE``: at 40 characters
  that keeps 79 % of the answers, 98 % of them right; at 60, 94 % and 99 %).
* **55 languages** (``LANGUAGES``), not all 75: those of ParlaMint's parliaments and the
  rest of Europe, and the world's major languages. Fewer near neighbours means fewer
  confusions, and models are loaded only for what is used (lazily, per script).
  Left out: Kazakh and Mongolian, whose Cyrillic letter rules claim Ukrainian text with
  certainty (lingua 2.1.1 calls a 150-character Ukrainian passage containing "комісія"
  Kazakh, confidence 1.0); Latin and Esperanto (nobody's speech, yet they attract short
  texts); Afrikaans and Azerbaijani (near Dutch and Turkish, rare in these sources); and
  fourteen of Africa, India and the Pacific (Yoruba, Zulu, Marathi, Telugu, Tagalog,
  Māori, ...). Adding one is adding its code here (and its name to ``language.NAMES``).
* **A bounded sample**: the first ``SAMPLE_CHARS`` characters of speech (then the lead,
  then the title unless it is only the file's name). Detection of a 5 MB transcript
  costs what a short one does.
* Not **confident** (fewer than ``MIN_LETTERS`` letters, say numbers only, or no
  language above ``MIN_CONFIDENCE``): the default language (``language.DEFAULT``),
  still marked detected. Chinese, Japanese and Korean say in one character what other
  scripts say in a word, and lingua tells them apart by script: ``MIN_IDEOGRAPHS`` of
  their characters are enough.

Utterances are not detected one by one (a transcript of 500 turns would cost 500
detections): an utterance's language is only what its source states, normalised, and
blank where it equals its transcript's.
"""

from __future__ import annotations

import itertools
import re
import threading
from pathlib import Path

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from transcripts.index import language
from transcripts.index.model import Transcript

# ISO 639-1 codes the detector tells apart. ParlaMint's parliaments and the rest of
# Europe (Galician and Maltese: lingua has no model) ...
EUROPEAN = (
    "be", "bg", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu", "fi", "fr",
    "ga", "hr", "hu", "hy", "is", "it", "ka", "lt", "lv", "mk", "nb", "nl", "nn", "pl", "pt",
    "ro", "ru", "sk", "sl", "sq", "sr", "sv", "tr", "uk",
)
# ... and the world's major languages.
WORLD = (
    "ar", "bn", "fa", "gu", "he", "hi", "id", "ja", "ko", "ms", "sw", "ta", "th", "ur", "vi",
    "zh",
)
LANGUAGES = EUROPEAN + WORLD

SAMPLE_CHARS = 2_000  # enough for a decisive answer (confidence 1.0 on every test text)
MIN_LETTERS = 40  # below, trigram detection is a coin toss between neighbours
MIN_IDEOGRAPHS = 10  # Han, kana and Hangul characters: a word each
MIN_CONFIDENCE = 0.9  # junk ("x x test abc test") gets 0.75; real speech of 100+ chars, 1.0
# CJK scripts (U+2E80 to U+9FFF, with kana), Hangul syllables, CJK compatibility ideographs.
_IDEOGRAPHS = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")

_detector: LanguageDetector | None = None
_lock = threading.Lock()


def detector() -> LanguageDetector:
    """The process's detector, built on first use (thread-safe); models load lazily."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                codes = [IsoCode639_1.from_str(c) for c in LANGUAGES]
                _detector = (
                    LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                    .with_low_accuracy_mode()
                    .build()
                )
    return _detector


def assign_language(t: Transcript) -> None:
    """Set ``t.language`` (and ``language_detected``) and tidy its utterances' languages.

    A stated language is kept (normalised); one that names no language we know
    ("und", a typo) counts as not stated.
    """
    stated = language.code(t.language) if t.language else ""
    if stated:
        t.language, t.language_detected = stated, False
    else:
        t.language, t.language_detected = detect(sample(t)), True
    for u in t.utterances:
        own = language.code(u.language) if u.language else ""
        u.language = "" if own == t.language else own


def sample(t: Transcript, limit: int = SAMPLE_CHARS) -> str:
    """The first ``limit`` characters of what the transcript says, for detection.

    Speech first; the lead and title only fill up a short one. A title that is only the
    file's name ("ep12_final") says nothing of the language and is left out.
    """
    parts: list[str] = []
    size = 0
    extra = [t.lead]
    if t.title and not (t.file and t.title == Path(t.file).stem):
        extra.append(t.title)
    for text in itertools.chain((u.text for u in t.utterances), extra):
        if size >= limit:
            break
        piece = text[: limit - size]
        if piece.strip():
            parts.append(piece)
            size += len(piece) + 1
    return "\n".join(parts)


def enough_text(text: str) -> bool:
    """Whether the text has enough letters (or ideographs) to tell its language."""
    if sum(ch.isalpha() for ch in _IDEOGRAPHS.findall(text)) >= MIN_IDEOGRAPHS:
        return True
    return sum(ch.isalpha() for ch in text) >= MIN_LETTERS


def detect(text: str) -> str:
    """The ISO 639-1 code of the text's language; ``language.DEFAULT`` when unsure."""
    if not enough_text(text):
        return language.DEFAULT
    values = detector().compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return language.DEFAULT
    return language.code(values[0].language.iso_code_639_1.name) or language.DEFAULT
