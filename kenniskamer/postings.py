"""Whole posting lists as arrays, and BM25F scores computed on them in bulk.

Whoosh scores one posting at a time in Python, a few microseconds each: fine for a
thousand pages, too slow for a word that occurs on a hundred thousand. This module
reads a term's posting blocks straight into numpy arrays (record numbers and term
frequencies) and applies Whoosh's own BM25F formula, with Whoosh's own statistics
(idf, average field length, the byte-coded field lengths), to all of them at once.
The scores are the ones ``searcher.search(Term(...))`` gives, to float precision;
``tests/test_search.py`` holds the two side by side.

It is the one module that reads Whoosh's on-disk structures below the public API
(``W3LeafMatcher`` blocks and the field-length columns of the ``W3`` codec, unchanged
since Whoosh 2.5; 2.7.4 is the last release). Anything else falls back to the public
per-posting API, which is slower but gives the same arrays.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from itertools import chain
from pickle import loads
from typing import Any

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
    from whoosh.formats import Positions
    from whoosh.matching.wrappers import FilterMatcher
    from whoosh.reading import TermNotFound
    from whoosh.searching import Searcher
    from whoosh.system import _INT_SIZE
    from whoosh.util.numeric import byte_to_length

# Whoosh's BM25F defaults, which the index is searched with.
B = 0.75
K1 = 1.2
CACHE_BYTES = 64 * 1024 * 1024  # posting arrays kept per commit, most recently used first

_BYTE_LENGTHS = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.float64)
_BYTE_LENGTHS[0] = 0.0

Postings = tuple[np.ndarray, np.ndarray]  # record numbers (int64, ascending), term frequencies (float64)
_EMPTY: Postings = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


class PostingCache:
    """The posting arrays and field lengths read from one commit, shared by all threads.

    Reading goes through the calling thread's own searcher (Whoosh's file handles are
    not safe to share); what was read is kept here, the most recently used first.
    """

    def __init__(self, record_count: int, max_bytes: int = CACHE_BYTES):
        self.record_count = record_count
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._postings: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._bytes = 0
        self._lengths: dict[str, np.ndarray] = {}

    def postings(self, searcher: Searcher, fieldname: str, text: str) -> Postings:
        """Record numbers and term frequencies of every record holding the term (deleted ones too)."""
        key = (fieldname, text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        parts = [_segment_postings(segment, base, fieldname, text) for segment, base in searcher.reader().leaf_readers()]
        parts = [part for part in parts if len(part[0])]
        if not parts:
            found = _EMPTY
        elif len(parts) == 1:
            found = parts[0]
        else:
            found = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._bytes += found[0].nbytes + found[1].nbytes
            while self._bytes > self.max_bytes and len(self._postings) > 1:
                _, (ids, freqs) = self._postings.popitem(last=False)
                self._bytes -= ids.nbytes + freqs.nbytes
        return found

    def field_lengths(self, searcher: Searcher, fieldname: str) -> np.ndarray:
        """Every record's length in the field, as Whoosh stores it (one byte, log-scaled)."""
        with self._lock:
            found = self._lengths.get(fieldname)
        if found is None:
            found = np.concatenate(
                [_segment_lengths(segment, fieldname) for segment, _ in searcher.reader().leaf_readers()]
            )
            with self._lock:
                self._lengths[fieldname] = found
        return found

    def scores(self, searcher: Searcher, fieldname: str, text: str, boost: float = 1.0) -> Postings:
        """(records, BM25F scores times ``boost``) of a one-term query, as Whoosh scores it."""
        ids, freqs = self.postings(searcher, fieldname, text)
        if not len(ids):
            return ids, freqs
        idf = searcher.idf(fieldname, text)
        average = searcher.avg_field_length(fieldname) or 1
        lengths = self.field_lengths(searcher, fieldname)[ids]
        scores = idf * (freqs * (K1 + 1)) / (freqs + K1 * ((1 - B) + B * lengths / average))
        return ids, scores * boost if boost != 1.0 else scores


    def phrase_scores(self, searcher: Searcher, fieldname: str, terms: Sequence[str], boost: float = 1.0) -> Postings:
        """(records, scores) of a phrase query, as Whoosh's ``Phrase`` scores it.

        A record matches when the terms stand at consecutive positions; its score is the
        sum of the terms' BM25F scores (what Whoosh's span matcher adds up), times ``boost``.
        Only the records holding every term have their positions read.
        """
        scored = [self.scores(searcher, fieldname, term) for term in terms]
        candidates = scored[0][0]
        for ids, _ in scored[1:]:
            candidates = np.intersect1d(candidates, ids, assume_unique=True)
        if not len(candidates):
            return _EMPTY
        fmt = searcher.schema[fieldname].format
        keys = [_position_keys(searcher, fieldname, term, candidates, fmt) for term in terms]
        starts = keys[0]  # record << 32 | position of the first term
        for offset, later in enumerate(keys[1:], start=1):
            starts = starts[np.isin(starts + offset, later)]
        keep = np.isin(candidates, np.unique(starts >> _SHIFT))
        records = candidates[keep]
        total = np.zeros(len(records))
        for ids, scores in scored:
            total += scores[np.searchsorted(ids, records)]
        return records, total * boost if boost != 1.0 else total


def _segment_postings(segment: Any, base: int, fieldname: str, text: str) -> Postings:
    try:
        matcher = segment.postings(fieldname, text)
    except TermNotFound:  # not in this segment
        return _EMPTY
    if isinstance(matcher, FilterMatcher):  # deleted records: the caller maps them to no document
        matcher = matcher.child
    ids, freqs = _block_arrays(matcher) if isinstance(matcher, W3LeafMatcher) else _posting_arrays(matcher)
    return (ids + base if base else ids), freqs


def _block_arrays(matcher: W3LeafMatcher) -> Postings:
    """The arrays of a fresh block matcher, one block at a time."""
    ids: list[np.ndarray] = []
    freqs: list[np.ndarray] = []
    while not matcher._atend:
        matcher._read_data()
        deltas, weights, _values = matcher._data
        block = np.cumsum(np.fromiter(deltas, dtype=np.int64, count=len(deltas)))
        ids.append(block)
        if weights is None:
            freqs.append(np.ones(len(block)))
        elif isinstance(weights, float):
            freqs.append(np.full(len(block), weights))
        else:
            freqs.append(np.fromiter(weights, dtype=np.float64, count=len(weights)))
        if matcher._lastblock:
            break
        matcher._next_block()
    if not ids:
        return _EMPTY
    return np.concatenate(ids), np.concatenate(freqs)


def _posting_arrays(matcher: Any) -> Postings:
    """The arrays of any matcher, one posting at a time (the slow, public way)."""
    ids: list[int] = []
    freqs: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        freqs.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(freqs, dtype=np.float64)


def _position_keys(searcher: Searcher, fieldname: str, text: str, wanted: np.ndarray, fmt: Any) -> np.ndarray:
    """``record << 32 | position`` for every position of the term in the wanted records (ascending)."""
    records: list[np.ndarray] = []
    values: list[bytes] = []
    for segment, base in searcher.reader().leaf_readers():
        count = segment.doc_count_all()
        local = wanted[(wanted >= base) & (wanted < base + count)] - base
        if not len(local):
            continue
        matcher = segment.postings(fieldname, text)
        if isinstance(matcher, FilterMatcher):
            matcher = matcher.child
        if not isinstance(matcher, W3LeafMatcher):  # the public way, one posting at a time
            for record in local.tolist():
                matcher.skip_to(record)
                values.append(matcher.value())
            records.append(local + base)
            continue
        position = 0
        while position < len(local):
            if local[position] <= matcher._maxid:  # this block holds the next wanted record
                matcher._read_data()
                deltas, _weights, block_values = matcher._data
                block = np.cumsum(np.fromiter(deltas, dtype=np.int64, count=len(deltas)))
                end = int(np.searchsorted(local, block[-1], side="right"))
                chunk = local[position:end]
                values.extend(block_values[i] for i in np.searchsorted(block, chunk).tolist())
                records.append(chunk + base)
                position = end
            if matcher._lastblock or position >= len(local):
                break
            matcher._next_block()
    if not values:
        return np.zeros(0, dtype=np.int64)
    if type(fmt) is Positions and all(value.startswith(_PROTOCOL_2, _INT_SIZE) for value in values):
        # Each value is a count and a pickled list of position deltas (its final STOP
        # sometimes cut off): their bodies strung together unpickle as one list of lists.
        body = b"".join(value[_INT_SIZE + 2 : -1] if value.endswith(b".") else value[_INT_SIZE + 2 :] for value in values)
        lists = loads(_PROTOCOL_2 + b"](" + body + b"e.")
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        steps = np.cumsum(np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lengths.sum())))
        firsts = np.cumsum(lengths) - lengths
        before = np.where(firsts > 0, steps[np.maximum(firsts - 1, 0)], 0)
        positions = steps - np.repeat(before, lengths)
    else:
        lists = [fmt.decode_positions(value) for value in values]
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        positions = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lengths.sum()))
    owners = np.repeat(np.concatenate(records), lengths)
    return (owners << _SHIFT) | positions


_SHIFT = 32  # positions in a record stay far below 2**32
_PROTOCOL_2 = b"\x80\x02"


def _segment_lengths(segment: Any, fieldname: str) -> np.ndarray:
    count = segment.doc_count_all()
    perdoc = getattr(segment, "_perdoc", None)
    reader = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc is not None else None
    if reader is None:
        codes = np.zeros(count, dtype=np.uint8)
    elif hasattr(reader, "_dbfile") and hasattr(reader, "_count"):
        stored = min(reader._count, count)
        codes = np.zeros(count, dtype=np.uint8)
        if stored:
            codes[:stored] = np.frombuffer(reader._dbfile.get(reader._basepos, stored), dtype=np.uint8)
    else:
        codes = np.fromiter((reader[n] for n in range(count)), dtype=np.uint8, count=count)
    return _BYTE_LENGTHS[codes]
