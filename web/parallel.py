"""A transcript beside its translation: which two to show and their rows, aligned.

ParlaMint publishes each sitting twice, the original and an English machine translation
whose utterances keep the original's ids (``Utterance.anchor``). Reading the two side
by side is how a reader checks a translated quote against what was said, so the
transcript page of either shows both, one row per utterance: the original on the left,
the translation on the right. This module only lays the rows out; the texts come from
``search.backend``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transcripts.index.model import Transcript, Utterance
from transcripts.search.backend import Index, get_transcript, translations


@dataclass
class Row:
    """One line of the side-by-side page: an utterance and its twin, or one alone."""

    original: Utterance | None
    translation: Utterance | None

    @property
    def anchor(self) -> str:
        """The id both share in the source ("" for a row without one)."""
        for u in (self.original, self.translation):
            if u is not None and u.anchor:
                return u.anchor
        return ""


@dataclass
class Parallel:
    """What the transcript page shows beside the transcript asked for."""

    original: Transcript
    translation: Transcript
    own_is_original: bool  # whether the page's own transcript is the left one
    rows: list[Row]
    # The original's other translations (only the first is shown beside it).
    others: list[str] = field(default_factory=list)

    @property
    def twin(self) -> Transcript:
        """The transcript shown beside the page's own."""
        return self.translation if self.own_is_original else self.original


def parallel_of(index: Index, t: Transcript) -> Parallel | None:
    """The page's transcript and its twin: its original if it is a translation, else its
    first translation (by id); None when it has neither, or the twin is not in the
    index (a translation indexed without its original is shown alone)."""
    if t.translation_of:
        original = get_transcript(index, t.translation_of)
        if original is None:
            return None
        others = [i for i in translations(index, original.id) if i != t.id]
        return Parallel(original, t, False, align(original.utterances, t.utterances), others)
    ids = translations(index, t.id)
    for i, tid in enumerate(ids):
        translation = get_transcript(index, tid)
        if translation is not None:
            rows = align(t.utterances, translation.utterances)
            return Parallel(t, translation, True, rows, ids[:i] + ids[i + 1 :])
    return None


def align(left: list[Utterance], right: list[Utterance]) -> list[Row]:
    """Rows of twin utterances (the same anchor), in the left's order.

    Between two twinned rows, the utterances without a twin are paired in order when
    neither side's has an id (headings and notes the source numbers on neither side) and
    both have as many; otherwise each is shown alone, the left's first: an utterance whose
    id the other side lacks was left out there, and no neighbour stands in for it. A right
    utterance whose twin comes later on the left is shown beside its twin.
    """
    left_anchors = {u.anchor for u in left if u.anchor}
    twin_at: dict[str, int] = {}
    for j, u in enumerate(right):
        if u.anchor and u.anchor in left_anchors:
            twin_at.setdefault(u.anchor, j)
    rows: list[Row] = []
    used: set[int] = set()
    pending_left: list[Utterance] = []
    next_right = 0

    def gap(upto: int) -> None:
        """Close the run of lone utterances before right index ``upto``."""
        nonlocal next_right
        lone_right = [right[j] for j in range(next_right, upto)
                      if j not in used and not (right[j].anchor in twin_at
                                                and twin_at[right[j].anchor] == j)]
        next_right = max(next_right, upto)
        unnumbered = not any(x.anchor for x in (*pending_left, *lone_right))
        if unnumbered and len(lone_right) == len(pending_left):
            rows.extend(Row(a, b) for a, b in zip(pending_left, lone_right, strict=True))
        else:
            rows.extend(Row(a, None) for a in pending_left)
            rows.extend(Row(None, b) for b in lone_right)
        pending_left.clear()

    for u in left:
        j = twin_at.get(u.anchor, -1) if u.anchor else -1
        if j < 0 or j in used:
            pending_left.append(u)
            continue
        gap(j)
        used.add(j)
        next_right = max(next_right, j + 1)
        rows.append(Row(u, right[j]))
    gap(len(right))
    return rows
