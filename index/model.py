"""Plain records every reader produces, whatever the input format.

Readers fill them; the writer turns them into Whoosh documents; ``transcripts parse``
prints them. Keeping them as dataclasses (not dicts) lets the three readers be checked
against one shape.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

KREMLIN_EVENT_URL = "http://en.kremlin.ru/events/president/news/{id}"

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "January", "February", "March", "April", "May", "June", "July",
            "August", "September", "October", "November", "December",
        ],
        start=1,
    )
}
_LONG_DATE = re.compile(r"^([A-Z][a-z]+) (\d{1,2}), (\d{4})")


def parse_long_date(text: str) -> dt.date | None:
    """'February 22, 2022' (optionally followed by ', 18:35') -> date; None if it is not one."""
    m = _LONG_DATE.match(text.strip())
    if not m or m.group(1) not in _MONTHS:
        return None
    try:
        return dt.date(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
    except ValueError:
        return None


@dataclass
class Utterance:
    """One speaker turn, or a block of narrative text outside any turn (``label`` None)."""

    position: int
    text: str
    label: str | None = None  # the speaker label exactly as printed
    speaker: str | None = None  # canonical name, the same across transcripts
    role: str = ""  # what the label says besides the name ("President of Russia")
    # The role the file itself states (a TEI speaker type such as "Chair"): it wins over
    # a role read from the label, however often the label is read again.
    source_role: str = ""
    note: str = ""  # the bracketed remark after the label ("retranslated")
    # Seconds from the start of the recording, for timed formats (captions); None elsewhere.
    start: float | None = None
    end: float | None = None
    # The person's id in the source (a TEI ``who``): when set, ``speaker`` is the name the
    # reader resolved for that id and is kept as it is, never re-read from the label.
    speaker_id: str = ""
    # What the file states about the speaker on that day, where it does (ParlaMint's
    # person and organisation lists): the party or group's short name, and sex as given.
    party: str = ""
    sex: str = ""
    # Its id in the source (a TEI ``xml:id``): a translation's utterance has its original's.
    anchor: str = ""
    # ISO 639-1 code where the file states this utterance's language apart from its
    # transcript's (a TEI ``<seg xml:lang>``); "" means the transcript's.
    language: str = ""

    @property
    def speaker_is_role(self) -> bool:
        """A speaker known only by office ("Minister of Economic Development"): the page
        never names them, so ``speaker`` is the office as printed, equal to ``role``."""
        return bool(self.role) and self.speaker == self.role


@dataclass
class Transcript:
    id: str
    title: str
    lead: str = ""
    date: str = ""  # ISO date as printed on the page; "" where the page shows none
    time: str = ""  # "HH:MM" or ""
    place: str = ""
    geography: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    published: str = ""  # publication line as printed: "February 8, 2016, 14:15"
    url: str = ""  # the original page, where known
    media: str = ""  # the recording the times refer to (audio/video URL), where known
    # The collection or format it came from, a facet: "en.kremlin.ru", "WebVTT", "ParlaMint-GB".
    source: str = ""
    licence: str = ""  # as given: a name ("CC BY 4.0") or a URL
    attribution: str = ""  # whom to credit where the text is shown
    file: str = ""  # the file it was read from (an incremental reindex deletes by it)
    # ISO 639-1 code ("en", "de", "uk"): as the source states it, else detected from the
    # text (``language_detected``); words are stemmed by it (``index.language``).
    language: str = ""
    language_detected: bool = False
    # The id of the transcript this one translates (ParlaMint's "-en_" files, or a
    # sidecar's ``translation_of``): the two are shown side by side.
    translation_of: str = ""
    utterances: list[Utterance] = field(default_factory=list)

    @property
    def effective_date(self) -> dt.date | None:
        """The event date, or the publication date for pages that show none (announcements)."""
        if self.date:
            try:
                return dt.date.fromisoformat(self.date)
            except ValueError:
                pass
        return parse_long_date(self.published) if self.published else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        utterances = [Utterance(**u) for u in data.get("utterances", [])]
        fields = {k: v for k, v in data.items() if k != "utterances"}
        return cls(**fields, utterances=utterances)


def clock(seconds: float | None) -> str:
    """Seconds as a media player shows them: '1:02:03' or '2:03'; '' when unknown."""
    if seconds is None:
        return ""
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
