"""Counts over a library: documents, pages, languages, types, themes, size on disk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kenniskamer.library.catalog import Library
from kenniskamer.models import FLAG_NEEDS_OCR


@dataclass(frozen=True)
class LibraryStats:
    """What `kenniskamer stats` shows; the field order is the order it is shown in."""

    documents: int
    pages: int
    languages: dict[str, int] = field(default_factory=dict)  # "?" for unknown, most first
    types: dict[str, int] = field(default_factory=dict)  # "?" for unknown, most first
    needs_ocr: int = 0
    bytes_on_disk: int = 0


def count_values(values: Iterable[str]) -> dict[str, int]:
    """How often each value occurs, the most frequent first (ties in order of first occurrence)."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def library_stats(library: Library) -> LibraryStats:
    """Counts of the library's documents, pages, languages and types, and its size on disk."""
    docs = library.documents()
    return LibraryStats(
        documents=len(docs),
        pages=sum(d.page_count for d in docs),
        languages=count_values(d.language or "?" for d in docs),
        types=count_values(d.doc_type or "?" for d in docs),
        needs_ocr=sum(1 for d in docs if FLAG_NEEDS_OCR in d.flags),
        bytes_on_disk=sum(p.stat().st_size for p in library.root.rglob("*") if p.is_file()),
    )


def theme_counts(library: Library | None) -> dict[str, int]:
    """How many documents have each theme (a theme no document has is left out); {} without a library."""
    counts: dict[str, int] = {}
    for doc in library.documents() if library is not None else ():
        for theme_id in doc.theme_ids:
            counts[theme_id] = counts.get(theme_id, 0) + 1
    return counts
