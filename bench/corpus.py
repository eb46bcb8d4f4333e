"""The corpus each engine gets: copied (and multiplied) files, and their parsed documents.

Every engine must index the same words, so the peers are fed by the product's own
readers and ``index.documents.transcript_documents``, in the order the writer uses:
one document per utterance plus one "page" document (title + lead) per transcript,
with the same speaker, tags and date on each. Multiplied corpora are copies with new
ids ("c2_51279") and dates moved by whole years, so the year facet and date filters
see new values rather than the same counts doubled.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from transcripts.index.documents import EPOCH, transcript_documents
from transcripts.index.files import discover
from transcripts.index.readers import ReadError, read_file_bytes
from transcripts.index.speakers import learn_names, resolve_speakers

# 24 years: a multiple of 4 that keeps every 29 February valid until 2100.
YEAR_STEP = 24
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_DATE_LINE = re.compile(rf"^((?:Publication date: )?{_MONTH} \d{{1,2}}, )(\d{{4}})", re.M)


@dataclass
class PeerDoc:
    n: int  # document number, the same in every peer
    tid: int  # transcript ordinal
    pos: int
    kind: str
    text: str
    speaker: str | None
    day: int  # days since 1970, 0 when undated
    year: int  # 0 when undated


@dataclass
class PeerTranscript:
    ordinal: int
    id: str
    title: str
    date: str
    place: str
    persons: list[str]
    geography: list[str]
    topics: list[str]


@dataclass
class Corpus:
    docs: list[PeerDoc] = field(default_factory=list)
    transcripts: list[PeerTranscript] = field(default_factory=list)

    @property
    def utterances(self) -> int:
        return sum(1 for d in self.docs if d.kind != "page")


def source_files(corpus_dir: Path, limit: int | None = None) -> list[Path]:
    """The corpus files, or ``limit`` of them spread evenly (every k-th, not the oldest k)."""
    files, _ = discover([corpus_dir])
    if limit and limit < len(files):
        step = len(files) / limit
        files = [files[int(i * step)] for i in range(limit)]
    return files


def shift_years(text: str, years: int) -> str:
    return _DATE_LINE.sub(lambda m: m.group(1) + str(int(m.group(2)) + years), text)


def materialize(files: list[Path], dest: Path, scale: int) -> int:
    """Write ``scale`` copies of ``files`` into ``dest``; the corpus bytes written."""
    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    for f in files:
        shutil.copyfile(f, dest / f.name)
        total += f.stat().st_size
    for k in range(2, scale + 1):
        for f in files:
            target = dest / f"c{k}_{f.name}"
            if f.suffix.lower() == ".txt":
                text = shift_years(f.read_text(encoding="utf-8", errors="replace"),
                                   YEAR_STEP * (k - 1))
                target.write_text(text, encoding="utf-8")
            else:
                shutil.copyfile(f, target)
            total += target.stat().st_size
    return total


def _year(day: int) -> int:
    return (EPOCH + dt.timedelta(days=day)).year if day else 0


def read_corpus(folder: Path) -> Corpus:
    """The documents our writer would index from ``folder``, as plain records."""
    files, _ = discover([folder])
    parsed = []
    seen: set[str] = set()
    for path in files:
        try:
            transcripts = read_file_bytes(path, path.read_bytes())
        except (ReadError, OSError):
            continue  # the writer skips these too
        for t in transcripts:
            if t.id not in seen:  # the writer keeps the first file giving an id
                seen.add(t.id)
                parsed.append(t)
    names: set[str] = set()
    for t in parsed:
        names |= learn_names(t)
    corpus = Corpus()
    for ordinal, t in enumerate(parsed):
        resolve_speakers(t, names)
        eff = t.effective_date
        corpus.transcripts.append(PeerTranscript(
            ordinal, t.id, t.title, eff.isoformat() if eff else "", t.place,
            list(t.persons), list(t.geography), list(t.topics),
        ))
        for doc in transcript_documents(t):
            corpus.docs.append(PeerDoc(
                n=len(corpus.docs), tid=ordinal, pos=doc["pos"], kind=doc["kind"],
                text=doc["body"], speaker=doc.get("f_speaker"), day=doc["day"],
                year=_year(doc["day"]),
            ))
    return corpus
