"""The search engine: a query and filters in, ranked hits with passages and facet counts out.

Shells import from here; the modules inside are the engine's own business.
"""

from kenniskamer.search.engine import (
    FILTER_FIELDS,
    FRESHNESS_SECONDS,
    SORTS,
    FacetCount,
    Hit,
    Passage,
    SearchEngine,
    SearchPage,
    SearchQuery,
)

__all__ = ["FILTER_FIELDS", "FRESHNESS_SECONDS", "SORTS", "FacetCount", "Hit", "Passage", "SearchEngine", "SearchPage",
           "SearchQuery"]
