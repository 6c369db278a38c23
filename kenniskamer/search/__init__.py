"""The search engine: a query and filters in, ranked hits with passages and facet counts out.

The tree is the engine: ``query`` parses, ``table`` holds a commit's documents, ``facets``
filter and count, ``rank`` is the one ranker, ``passages`` highlights, ``suggest`` corrects,
``related`` finds more like this, and ``engine`` puts them together. Shells import from here.
"""

from kenniskamer.search.engine import FILTER_FIELDS, FRESHNESS_SECONDS, SORTS, SearchEngine
from kenniskamer.search.results import FacetCount, Hit, Passage, SearchPage, SearchQuery

__all__ = ["FILTER_FIELDS", "FRESHNESS_SECONDS", "SORTS", "FacetCount", "Hit", "Passage", "SearchEngine", "SearchPage",
           "SearchQuery"]
