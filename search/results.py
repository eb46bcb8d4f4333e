"""What a search takes and gives back: plain records shared by the CLI, the site and the API."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

SORTS = ("relevance", "newest", "oldest")
PER_PAGE = 10
MAX_PAGE = 1000


@dataclass
class SearchRequest:
    q: str = ""
    speaker: list[str] = field(default_factory=list)
    person: list[str] = field(default_factory=list)
    geography: list[str] = field(default_factory=list)
    topic: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)  # collection / format ("WebVTT")
    language: list[str] = field(default_factory=list)  # by English name ("German")
    party: list[str] = field(default_factory=list)  # as the source abbreviates it ("ÖVP")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    def filters(self) -> dict[str, list[str]]:
        return {
            "speaker": self.speaker,
            "person": self.person,
            "geography": self.geography,
            "topic": self.topic,
            "source": self.source,
            "language": self.language,
            "party": self.party,
        }


@dataclass
class UtteranceHit:
    position: int
    kind: str  # page | turn | narrative
    speaker: str | None
    label: str | None
    role: str
    note: str
    text: str
    snippet: str  # HTML: escaped text with <mark> around the words that matched
    start: float | None = None  # seconds into the recording (timed formats)
    end: float | None = None
    party: str = ""  # the speaker's party or group that day, where the source says
    language: str = ""  # the passage's language code, where it is not the transcript's
    anchor: str = ""  # its id in the source: its translation's twin has the same one


@dataclass
class TranscriptHit:
    id: str
    title: str
    date: str  # ISO; the publication date where the page shows no event date
    time: str
    place: str
    url: str
    matched: int  # utterances of this transcript that match
    utterances: list[UtteranceHit]
    source: str = ""  # the collection or format it came from
    media: str = ""  # the recording the utterance times refer to
    language: str = ""  # ISO 639-1 code
    translation_of: str = ""  # the id of the transcript this one translates
    translations: list[str] = field(default_factory=list)  # ids of its translations


@dataclass
class FacetValue:
    value: str  # as stored: what a filter and a URL carry
    count: int
    selected: bool = False
    label: str = ""  # as a person reads it ("Angela Merkel" for "Merkel Angela")

    def __post_init__(self) -> None:
        self.label = self.label or self.value


@dataclass
class Alternative:
    value: str  # an existing value of the facet, as stored
    label: str  # as shown


@dataclass
class ValueNote:
    """A ticked value that no transcript has anywhere in the index ("China" where the
    tag is "People's Republic of China"): a note, not an error, with the nearest values."""

    field: str  # speaker, person, geography, topic, source
    value: str
    message: str
    # dataclasses.field: ``field`` names this class's attribute above.
    closest: list[Alternative] = dataclasses.field(default_factory=list)


@dataclass
class Relaxation:
    """A filter whose removal would bring results back, when a search found nothing.

    ``field`` is a facet name or ``from``/``to`` (the date bounds); ``values`` are the
    ticked values removed together (several values of one facet widen each other, so only
    removing all of them can help); ``total``/``total_transcripts`` are what the search
    gives without them.
    """

    field: str
    values: list[str]
    total: int
    total_transcripts: int


@dataclass
class SearchResult:
    request: SearchRequest
    total: int  # matching utterances (and page headers)
    total_transcripts: int
    pages: int
    transcripts: list[TranscriptHit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    notes: list[str] = field(default_factory=list)
    value_notes: list[ValueNote] = field(default_factory=list)
    took_ms: float = 0.0
    # Only when nothing matched with filters on: what removing each filter would give
    # (those that give results, most results first), and the query with no filter at all.
    relax: list[Relaxation] = field(default_factory=list)
    total_without_filters: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        req = data.pop("request")
        for key in ("date_from", "date_to"):
            req[key] = req[key].isoformat() if req[key] else None
        data["request"] = req
        return data
