"""The per-commit table of documents: facet values, sort keys and which record belongs to which document."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from kenniskamer.index.postings import PostingCache
from kenniskamer.index.read import Snapshot

TERM_CACHE_SIZE = 200_000  # (field, term) -> occurs at all, per commit
SINGLE_FACETS = ("type", "language", "year", "decade", "publisher", "kind")  # one value per document
MULTI_FACETS = ("theme", "method", "country", "group")  # several values per document, comma-separated


class DocTable:
    """What one commit's searches share: every document's facet values, the record -> document
    map, and the posting arrays read so far. Built once per commit, used by every thread.

    Documents are numbered 0..n-1 (ordinals); record numbers are Whoosh's. Sets of
    documents are boolean arrays over the ordinals.
    """

    def __init__(self, snapshot: Snapshot):
        self.doc_ids: list[str] = []
        self.ordinal: dict[str, int] = {}
        values: dict[str, list[Any]] = {name: [] for name in SINGLE_FACETS}
        several: dict[str, list[tuple[str, ...]]] = {name: [] for name in MULTI_FACETS}
        added: list[str] = []
        dated: list[str] = []
        for stored in snapshot.doc_records():
            self.ordinal[stored["doc_id"]] = len(self.doc_ids)
            self.doc_ids.append(stored["doc_id"])
            year = stored.get("year")
            values["type"].append(stored.get("type") or None)
            values["language"].append(stored.get("language") or None)
            values["year"].append(year or None)
            values["decade"].append(year // 10 * 10 if year else None)
            values["publisher"].append(stored.get("publisher") or None)
            values["kind"].append(stored.get("kind") or None)
            for name, column in several.items():
                column.append(tuple(v for v in (stored.get(name) or "").split(",") if v))
            added.append(stored.get("added") or "")
            dated.append(stored.get("date") or str(year or ""))
        count = self.size = len(self.doc_ids)
        # Each single-valued facet: its distinct values and every document's code (-1: none).
        self.values: dict[str, list[Any]] = {}
        self.codes: dict[str, np.ndarray] = {}
        for name, column in values.items():
            distinct = sorted({v for v in column if v is not None}, key=str)
            code = {v: i for i, v in enumerate(distinct)}
            self.values[name] = distinct
            self.codes[name] = np.array([code.get(v, -1) if v is not None else -1 for v in column], dtype=np.int64)
        # Each multi-valued facet: its distinct values and a document x value matrix.
        self.matrices: dict[str, np.ndarray] = {}
        for name, rows in several.items():
            self.values[name] = sorted({v for vs in rows for v in vs})
            index = {v: i for i, v in enumerate(self.values[name])}
            matrix = self.matrices[name] = np.zeros((count, len(self.values[name])), dtype=bool)
            for row, vs in enumerate(rows):
                matrix[row, [index[v] for v in vs]] = True
        # Sort keys as dense ranks: the newest publication date, the latest addition.
        self.date_rank = _ranks(dated)
        self.added_rank = _ranks(added)
        self.years = np.array([year or 0 for year in values["year"]], dtype=np.int64)  # 0: unknown
        # Records: their document (``size`` for a deleted or orphaned record), page and whether
        # they are a reference list.
        owners = np.array([self.ordinal.get(v, count) for v in snapshot.column("doc_id")], dtype=np.int64)
        live = snapshot.live_records()
        if live is not None:
            alive = np.zeros(len(owners), dtype=bool)
            alive[live] = True
            owners[~alive] = count
        self.record_doc = owners
        self.record_page = np.array(snapshot.column("page"), dtype=np.int64)
        self.record_refs = np.array(snapshot.column("refs"), dtype=np.int64) > 0
        self.references = _reference_spans(snapshot, owners, self.record_page, count)
        self.all = np.ones(count, dtype=bool)
        self.none = np.zeros(count, dtype=bool)
        self.postings = PostingCache(len(owners))
        self._terms: dict[tuple[str, str], bool] = {}

    def has_term(self, snapshot: Snapshot, fieldname: str, text: str) -> bool:
        """True if the term occurs in the field (cached for this commit)."""
        key = (fieldname, text)
        found = self._terms.get(key)
        if found is None:
            if len(self._terms) >= TERM_CACHE_SIZE:  # random queries must not grow it without end
                self._terms.clear()
            found = self._terms[key] = snapshot.has_term(fieldname, text)
        return found

    def documents_of(self, records: np.ndarray) -> np.ndarray:
        """The set of documents owning these records."""
        found = np.zeros(self.size + 1, dtype=bool)
        found[self.record_doc[records]] = True
        return found[: self.size]

    def only(self, ordinal: int) -> np.ndarray:
        """The set of one document."""
        found = self.none.copy()
        found[ordinal] = True
        return found

    def all_of(self, masks: Sequence[np.ndarray]) -> np.ndarray:
        """The documents in every one of the sets (all documents for none)."""
        result = self.all
        for mask in masks:
            result = result & mask
        return result


def _reference_spans(snapshot: Snapshot, owners: np.ndarray, pages: np.ndarray, count: int) -> dict[int, dict[int, tuple[int, int]]]:
    """Document ordinal -> page -> the characters (start, end) of the page's reference list, for pages with one.

    The end of a list that runs to the end of the page is ``sys.maxsize``.
    """
    starts = np.array(snapshot.column("refs_from"), dtype=np.int64)
    ends = np.array(snapshot.column("refs_to"), dtype=np.int64)
    found: dict[int, dict[int, tuple[int, int]]] = {}
    for record in np.flatnonzero((starts > 0) & (pages > 0) & (owners < count)).tolist():  # not doc records
        span = (int(starts[record]) - 1, int(ends[record]) or sys.maxsize)
        found.setdefault(int(owners[record]), {})[int(pages[record])] = span
    return found


def _ranks(keys: Sequence[str]) -> np.ndarray:
    """Each key's place among the distinct keys, in ascending order (equal keys, equal places)."""
    return np.unique(np.array(keys, dtype=str), return_inverse=True)[1].astype(np.int64)
