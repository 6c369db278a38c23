"""Facets, one small class each: how a filter value is read, which documents have it, how values are counted.

A facet's values combine with OR, facets with AND. Counts leave out the facet's own
filter (the other facets' filters apply): with ``language=en`` chosen, the language facet
still says how many Dutch documents adding ``nl`` would bring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from kenniskamer.errors import QueryError
from kenniskamer.index.schema import FACET_FIELDS
from kenniskamer.search.results import FacetCount
from kenniskamer.search.table import DocTable

Resolver = Callable[[str, str], str]  # (field, value typed) -> the value as the index holds it


class Facet:
    """A single-valued facet whose values are stored as typed (publisher)."""

    def __init__(self, name: str):
        self.name = name

    def parse(self, value: str, resolve: Resolver) -> Any:
        """A filter value as the index holds it; QueryError if it cannot be one."""
        return value

    def mask(self, table: DocTable, wanted: Iterable[Any]) -> np.ndarray:
        """Documents with any of the wanted values."""
        chosen = self._codes(table, wanted)
        return np.isin(table.codes[self.name], chosen) if chosen else table.none.copy()

    def _codes(self, table: DocTable, wanted: Iterable[Any]) -> list[int]:
        wanted = set(wanted)
        return [i for i, v in enumerate(table.values[self.name]) if v in wanted]

    def counts(self, table: DocTable, matched: np.ndarray) -> list[tuple[Any, int]]:
        """(value, documents) of every value among the matched documents, most frequent first."""
        codes = table.codes[self.name][matched]
        counts = np.bincount(codes[codes >= 0], minlength=len(table.values[self.name]))
        return self._ordered(table, counts)

    def _ordered(self, table: DocTable, counts: np.ndarray) -> list[tuple[Any, int]]:
        present = [(value, int(n)) for value, n in zip(table.values[self.name], counts.tolist()) if n]
        present.sort(key=lambda item: (-item[1], str(item[0])))
        return present


class ResolvedFacet(Facet):
    """A facet whose values may be typed as labels in Dutch or English (type, language)."""

    def parse(self, value: str, resolve: Resolver) -> Any:
        return resolve(self.name, value)


class MultiFacet(ResolvedFacet):
    """A facet of which a document has several values (themes, methods, countries, groups):
    sets come from a document x value matrix."""

    def mask(self, table: DocTable, wanted: Iterable[Any]) -> np.ndarray:
        chosen = self._codes(table, wanted)
        return np.asarray(table.matrices[self.name][:, chosen].any(axis=1)) if chosen else table.none.copy()

    def counts(self, table: DocTable, matched: np.ndarray) -> list[tuple[Any, int]]:
        return self._ordered(table, table.matrices[self.name][matched].sum(axis=0))


class YearFacet(Facet):
    """Publication year or decade: four digits, newest first."""

    def parse(self, value: str, resolve: Resolver) -> Any:
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) <= 4):
            raise QueryError(f"{self.name}={value!r} is not a year; use four digits, e.g. 2020.")
        return int(value)

    def _ordered(self, table: DocTable, counts: np.ndarray) -> list[tuple[Any, int]]:
        return sorted(super()._ordered(table, counts), key=lambda item: item[0], reverse=True)


_KINDS: dict[str, type[Facet]] = {"theme": MultiFacet, "type": ResolvedFacet, "language": ResolvedFacet,
                                   "year": YearFacet, "publisher": Facet, "decade": YearFacet, "kind": ResolvedFacet,
                                   "method": MultiFacet, "country": MultiFacet, "group": MultiFacet}
# The index's facet fields, and the decade derived from the year.
FACETS: dict[str, Facet] = {name: _KINDS[name](name) for name in (*FACET_FIELDS, "decade")}
FILTER_FIELDS = tuple(FACETS)


def year_mask(table: DocTable, low: int | None, high: int | None) -> np.ndarray:
    """Documents published from ``low`` to ``high`` (inclusive; None: open)."""
    years = table.years
    mask = years > 0
    if low is not None:
        mask &= years >= low
    if high is not None:
        mask &= years <= high
    return mask


def chosen_values(filters: Mapping[str, Iterable[str]], resolve: Resolver) -> dict[str, set[Any]]:
    """Per filtered facet, its chosen values as the index holds them; QueryError for an unknown facet."""
    chosen = {}
    for name, values in filters.items():
        values = tuple(values)
        if not values:
            continue
        if name not in FACETS:
            raise QueryError(f"Unknown filter {name!r}; use one of {', '.join(FILTER_FIELDS)}.")
        chosen[name] = {FACETS[name].parse(value, resolve) for value in values}
    return chosen


def facet_counts(
    table: DocTable, found: np.ndarray, masks: Mapping[str, np.ndarray], chosen: Mapping[str, set[Any]]
) -> dict[str, list[FacetCount]]:
    """Counts per facet value among the documents the query finds, each facet under the other facets' filters."""
    result: dict[str, list[FacetCount]] = {}
    for name, facet in FACETS.items():
        matched = found & table.all_of([mask for other, mask in masks.items() if other != name])
        selected = {str(value) for value in chosen.get(name, ())}
        counts = [FacetCount(str(value), n, str(value) in selected) for value, n in facet.counts(table, matched)]
        missing = selected - {c.value for c in counts}
        counts.extend(FacetCount(v, 0, True) for v in sorted(missing))
        result[name] = counts
    return result
