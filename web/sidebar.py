"""The facet sidebar: which values to show at once, which behind "show all".

Long lists (a few hundred persons) would bury the results on a phone, so each facet
shows its top values and folds the rest into a <details> element, which needs no
JavaScript. A ticked value is always among those shown, so it can be unticked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transcripts.search.results import FacetValue
from transcripts.web.links import Links

TOP_VALUES = 10
FILTER_BOX_FROM = 12  # values in a facet before it gets a type-to-filter box


@dataclass
class FacetView:
    name: str
    label: str
    shown: list[FacetValue]
    more: list[FacetValue] = field(default_factory=list)
    is_year: bool = False

    @property
    def size(self) -> int:
        return len(self.shown) + len(self.more)

    @property
    def filterable(self) -> bool:
        return self.size >= FILTER_BOX_FROM


def facet_views(
    facets: dict[str, list[FacetValue]], labels: dict[str, str], links: Links
) -> list[FacetView]:
    views = []
    for name, label in labels.items():
        values = facets.get(name, [])
        if name == "year":
            values = sorted(
                (FacetValue(v.value, v.count, links.year_selected(v.value)) for v in values),
                key=lambda v: v.value,
                reverse=True,
            )
        if not values:
            continue
        shown, more = _split(values)
        views.append(FacetView(name, label, shown, more, is_year=name == "year"))
    return views


def _split(values: list[FacetValue]) -> tuple[list[FacetValue], list[FacetValue]]:
    top = values[:TOP_VALUES]
    rest = values[TOP_VALUES:]
    promoted = [v for v in rest if v.selected]
    return top + promoted, [v for v in rest if not v.selected]
