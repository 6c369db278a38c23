"""What a search takes and gives: the query, hits with their passages, facet counts and the result page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kenniskamer.models import Document


@dataclass(frozen=True)
class SearchQuery:
    """What a user asked for."""

    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    page_size: int = 10
    expand: bool = True  # use the thesaurus
    passages: int = 3  # highlighted passages per hit


@dataclass(frozen=True)
class Passage:
    """A highlighted stretch of one page: fragments of (text, is_match)."""

    page: int
    fragments: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        """The passage as plain text."""
        return "".join(text for text, _ in self.fragments)

    def marked(self, before: str = "[", after: str = "]") -> str:
        """The passage with matches wrapped in ``before`` and ``after``."""
        return "".join(f"{before}{text}{after}" if hit else text for text, hit in self.fragments)


@dataclass(frozen=True)
class Hit:
    """One document in a result list."""

    doc: Document
    score: float
    passages: tuple[Passage, ...] = ()
    by_meaning: bool = False  # found by meaning alone: no word of the query matched it

    @property
    def page(self) -> int | None:
        """The page of the best passage, if any."""
        return self.passages[0].page if self.passages else None


@dataclass(frozen=True)
class FacetCount:
    """One value of a facet with the number of matching documents."""

    value: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class SearchPage:
    """One page of results with everything a shell needs to draw it."""

    query: SearchQuery
    hits: tuple[Hit, ...]
    total: int
    facets: dict[str, list[FacetCount]]
    suggestion: str | None = None  # "did you mean"
    corrected_from: str | None = None  # the results are for `suggestion`, not for this
    expansions: tuple[str, ...] = ()  # what the thesaurus added ("ook gezocht op")
    notices: tuple[str, ...] = ()  # e.g. "no document holds every word"
    read_as: str | None = None  # the query as it was read, when an unpaired quote or bracket was dropped
    elapsed_ms: float = 0.0

    @property
    def page_count(self) -> int:
        """How many result pages there are."""
        return max(1, -(-self.total // max(1, self.query.page_size)))
