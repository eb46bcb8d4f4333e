"""Languages: their codes and names, and how each language's words are stemmed.

A transcript (and, where its source says so, an utterance) has a language, an ISO 639-1
code ("en", "de", "uk"). Words are indexed twice (see ``index.schema``): as written
(``exact``, the same for every language) and as stems (``text``). A stem is only ever
compared with stems of the same language, so each language's stems are terms of their
own: ``text_term("häuser", "de")`` is ``"de:haus"``. English keeps bare stems, the terms
every index held before languages were told apart, so an English corpus (en.kremlin.ru)
indexes and ranks exactly as it did. A ``:`` never occurs in a word (``WORD_RE``), so
the two kinds of term cannot collide.

NLTK's Snowball stemmers cover the languages in ``SNOWBALL``; a language without one
(Czech, Slovene, Ukrainian, Polish, ...) is folded (lower case, no accents) but not
stemmed: its words match their own forms only, never a false stem made by a stemmer of
another language.
"""

from __future__ import annotations

from functools import cache, lru_cache

from nltk.stem.snowball import SnowballStemmer

from transcripts.index.schema import fold, stem

DEFAULT = "en"  # what a transcript is taken to be when nothing says otherwise
SEPARATOR = ":"

# ISO 639-1 code -> NLTK Snowball stemmer name.
SNOWBALL = {
    "ar": "arabic", "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish",
    "fr": "french", "de": "german", "hu": "hungarian", "it": "italian", "no": "norwegian",
    "nb": "norwegian", "nn": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "es": "spanish", "sv": "swedish",
}

# ISO 639-1 code -> English name, as the language facet shows it. Covers the languages
# of ParlaMint's 29 parliaments, Snowball's and the detector's (``index.language_detection``).
NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian", "bn": "Bengali",
    "bg": "Bulgarian", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "ga": "Irish", "gl": "Galician", "gu": "Gujarati", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh",
    "ko": "Korean", "la": "Latin", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian",
    "mn": "Mongolian", "ms": "Malay", "mt": "Maltese", "nb": "Norwegian Bokmål",
    "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovene",
    "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil",
    "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
    "zh": "Chinese",
}
_CODE_OF_NAME = {name.casefold(): code for code, name in NAMES.items()}
# Three-letter codes (ISO 639-2/3) that sources write instead.
_ALPHA3 = {
    "eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es", "ita": "it",
    "ces": "cs", "cze": "cs", "slk": "sk", "slo": "sk", "slv": "sl", "pol": "pl", "ukr": "uk",
    "rus": "ru", "hrv": "hr", "srp": "sr", "bos": "bs", "bul": "bg", "hun": "hu", "nld": "nl",
    "dut": "nl", "dan": "da", "swe": "sv", "nor": "no", "fin": "fi", "est": "et", "lav": "lv",
    "lit": "lt", "por": "pt", "ron": "ro", "rum": "ro", "ell": "el", "gre": "el", "tur": "tr",
    "cat": "ca", "glg": "gl", "eus": "eu", "baq": "eu", "isl": "is", "ice": "is", "mlt": "mt",
    "gle": "ga", "cym": "cy", "wel": "cy", "ara": "ar", "zho": "zh", "chi": "zh", "jpn": "ja",
}


def code(value: str) -> str:
    """A language as sources write it ("de", "de-AT", "deu", "German", "EN") as an ISO
    639-1 code; "" when it is none we know ("mul", "und", a typo)."""
    v = value.strip().replace("_", "-").casefold()
    if not v:
        return ""
    primary = v.split("-", 1)[0]
    if primary in NAMES:
        return primary
    if primary in _ALPHA3:
        return _ALPHA3[primary]
    return _CODE_OF_NAME.get(v, "")


def name(language: str) -> str:
    """The English name of a language code ("de" -> "German"); the code when unknown."""
    return NAMES.get(language, language)


def facet_name(value: str) -> str:
    """The name the language facet knows a language by, from a code or a name as typed
    ("de", "deu", "german" -> "German"); the value itself when it names none."""
    found = code_of_name(value)
    return NAMES[found] if found else value


def code_of_name(value: str) -> str:
    """The code of a language named as the facet shows it ("German" -> "de")."""
    return _CODE_OF_NAME.get(value.casefold(), code(value))


def stemmed(language: str) -> bool:
    """Whether the language's words are stemmed (else folded only)."""
    return language in SNOWBALL


@cache
def _stemmer(language: str) -> SnowballStemmer:
    return SnowballStemmer(SNOWBALL[language])


@lru_cache(maxsize=400_000)
def text_term(word: str, language: str) -> str:
    """The ``text`` term of an already folded word in a language: English's bare
    stem (``schema.stem``), another Snowball language's stem behind its code, or the
    folded word itself behind its code where the language has no stemmer."""
    if language == DEFAULT or not language:
        return stem(word)
    if language in SNOWBALL:
        return f"{language}{SEPARATOR}{_stemmer(language).stem(word)}"
    return f"{language}{SEPARATOR}{word}"


def term_language(term: str) -> str:
    """The language of a ``text`` term (``text_term``'s inverse, as far as the code)."""
    head, sep, _ = term.partition(SEPARATOR)
    return head if sep else DEFAULT


def typed_terms(word: str, languages: list[str]) -> list[str]:
    """The ``text`` terms a word typed in a query stands for: one per language searched
    (the same term once). The word is folded here, as it was indexed."""
    w = fold(word)
    return list(dict.fromkeys(text_term(w, lang) for lang in languages or [DEFAULT]))
