"""Whole posting lists as arrays, and BM25F scores computed on them in bulk.

Whoosh scores one posting at a time in Python, a few microseconds each: fine for a
thousand pages, too slow for a word that occurs on a hundred thousand. This module
reads a term's posting blocks straight into numpy arrays (record numbers and term
frequencies) and applies Whoosh's own BM25F formula, with Whoosh's own statistics
(idf, average field length, the byte-coded field lengths), to all of them at once.
The scores are the ones ``searcher.search(Term(...))`` gives, to float precision;
``tests/test_search.py`` holds the two side by side.

With kenniskamer.index.codec, it is one of the two modules that read Whoosh's on-disk
structures below the public API: the posting blocks that codec writes, and the
field-length columns of Whoosh's ``W3`` codec (unchanged since Whoosh 2.5; 2.7.4 is
the last release). Postings of any other codec are read through the public
per-posting API, which is slower but gives the same arrays.
"""

from __future__ import annotations

import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from io import BytesIO
from typing import TYPE_CHECKING, Any

import numpy as np

from kenniskamer.index.codec import PackedCodec
from kenniskamer.startup import importing_whoosh

if TYPE_CHECKING:
    from kenniskamer.index.read import Snapshot

with importing_whoosh():
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
    from whoosh.columns import NumericColumn, VarBytesColumn
    from whoosh.matching.wrappers import FilterMatcher
    from whoosh.reading import SegmentReader, TermNotFound
    from whoosh.searching import Searcher
    from whoosh.util.numeric import byte_to_length

# Whoosh's BM25F defaults, which the index is searched with.
B = 0.75
K1 = 1.2
CACHE_BYTES = 256 * 1024 * 1024  # posting and position arrays kept per commit, most recently used first

_BYTE_LENGTHS = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.float64)
_BYTE_LENGTHS[0] = 0.0

Postings = tuple[np.ndarray, np.ndarray]  # record numbers (int64, ascending), term frequencies (float64)
_EMPTY: Postings = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


class PostingCache:
    """The posting arrays and field lengths read from one commit, shared by all threads.

    Reading goes through the calling thread's own snapshot (Whoosh's file handles are
    not safe to share); what was read is kept here, the most recently used first.
    """

    def __init__(self, record_count: int, max_bytes: int = CACHE_BYTES):
        self.record_count = record_count
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._postings: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._bytes = 0
        self._lengths: dict[str, np.ndarray] = {}

    def postings(self, snapshot: Snapshot, fieldname: str, text: str) -> Postings:
        """Record numbers and term frequencies of every record holding the term (deleted ones too)."""
        found = self._cached((fieldname, text))
        if found is None:
            ids, freqs, _ = _read_term(snapshot.searcher, fieldname, text, positions=False)
            found = (ids, freqs)
            self._keep((fieldname, text), found)
        return found

    def positions(self, snapshot: Snapshot, fieldname: str, text: str) -> np.ndarray:
        """``record << 32 | position`` of every occurrence of the term (ascending), for phrases."""
        key = ("positions:" + fieldname, text)
        found = self._cached(key)
        if found is not None:
            return found[0]
        ids, freqs, keys = _read_term(snapshot.searcher, fieldname, text, positions=True)
        self._keep((fieldname, text), (ids, freqs))
        self._keep(key, (keys, _EMPTY[1]))
        return keys

    def _cached(self, key: tuple[str, str]) -> Postings | None:
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
            return found

    def _keep(self, key: tuple[str, str], found: Postings) -> None:
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._bytes += found[0].nbytes + found[1].nbytes
            while self._bytes > self.max_bytes and len(self._postings) > 1:
                _, (ids, freqs) = self._postings.popitem(last=False)
                self._bytes -= ids.nbytes + freqs.nbytes

    def field_lengths(self, snapshot: Snapshot, fieldname: str) -> np.ndarray:
        """Every record's length in the field, as Whoosh stores it (one byte, log-scaled)."""
        with self._lock:
            found = self._lengths.get(fieldname)
        if found is None:
            found = np.concatenate(
                [_segment_lengths(segment, fieldname) for segment, _ in snapshot.searcher.reader().leaf_readers()]
            )
            with self._lock:
                self._lengths[fieldname] = found
        return found

    def scores(self, snapshot: Snapshot, fieldname: str, text: str, boost: float = 1.0) -> Postings:
        """(records, BM25F scores times ``boost``) of a one-term query, as Whoosh scores it."""
        ids, freqs = self.postings(snapshot, fieldname, text)
        return ids, self._bm25(snapshot, fieldname, text, ids, freqs, boost)

    def _bm25(
        self, snapshot: Snapshot, fieldname: str, text: str, ids: np.ndarray, freqs: np.ndarray, boost: float
    ) -> np.ndarray:
        if not len(ids):
            return freqs
        searcher = snapshot.searcher
        if not searcher.schema[fieldname].scorable:  # Whoosh scores a field without lengths by its weight alone
            return freqs * boost
        idf = searcher.idf(fieldname, text)
        average = searcher.avg_field_length(fieldname) or 1
        lengths = self.field_lengths(snapshot, fieldname)[ids]
        scores = idf * (freqs * (K1 + 1)) / (freqs + K1 * ((1 - B) + B * lengths / average))
        return scores * boost if boost != 1.0 else scores

    def phrase_scores(self, snapshot: Snapshot, fieldname: str, terms: Sequence[str], boost: float = 1.0) -> Postings:
        """(records, scores) of a phrase query, as Whoosh's ``Phrase`` scores it.

        A record matches when the terms stand at consecutive positions; its score is the
        sum of the terms' BM25F scores (what Whoosh's span matcher adds up), times ``boost``.
        A term read from disk now is read with its positions: they come in the same blocks,
        and decoding them costs little next to reading the blocks a second time later.
        """
        for term in set(terms):
            if self._cached((fieldname, term)) is None:
                self.positions(snapshot, fieldname, term)  # keeps the postings too
        scored = [self.scores(snapshot, fieldname, term) for term in terms]
        candidates = scored[0][0]
        for ids, _ in scored[1:]:
            candidates = np.intersect1d(candidates, ids, assume_unique=True)
        if not len(candidates):
            return _EMPTY
        keys = [self.positions(snapshot, fieldname, term) for term in terms]
        keys[0] = keys[0][_in_sorted(keys[0] >> _SHIFT, candidates)]
        starts = keys[0]  # record << 32 | position of the first term
        for offset, later in enumerate(keys[1:], start=1):
            starts = starts[_in_sorted(starts + offset, later)]
        keep = _in_sorted(candidates, starts >> _SHIFT)
        records = candidates[keep]
        total = np.zeros(len(records))
        for ids, scores in scored:
            total += scores[np.searchsorted(ids, records)]
        return records, total * boost if boost != 1.0 else total


def _in_sorted(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    """Which of ``values`` occur in ``sorted_array`` (ascending): a binary search each, no hashing."""
    if not len(sorted_array):
        return np.zeros(len(values), dtype=bool)
    where = np.minimum(np.searchsorted(sorted_array, values), len(sorted_array) - 1)
    return sorted_array[where] == values


def _read_term(searcher: Searcher, fieldname: str, text: str, *, positions: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Record numbers and term frequencies of a term in all segments, and with ``positions``
    its position keys (``record << 32 | position``, ascending); else an empty array.

    Deleted records are included; the caller maps them to no document.
    """
    parts: list[_Block] = []
    for segment, base in searcher.reader().leaf_readers():
        try:
            terminfo = segment.term_info(fieldname, text)
        except TermNotFound:  # not in this segment (or an index without any)
            continue
        if isinstance(segment, SegmentReader) and type(segment.codec()) is PackedCodec and not terminfo.is_inlined():
            ids, freqs, counts, steps = _packed_postings(segment, terminfo, positions)
        else:
            matcher = segment.postings(fieldname, text)
            if isinstance(matcher, FilterMatcher):  # cheaper to map deleted records to no document than to skip them
                matcher = matcher.child
            ids, freqs, counts, steps = _matcher_postings(matcher, positions)
        parts.append((ids + base if base else ids, freqs, counts, steps))
    if not parts:
        return _EMPTY[0], _EMPTY[1], _EMPTY[0]
    ids, freqs, counts, steps = (np.concatenate(column) for column in zip(*parts)) if len(parts) > 1 else parts[0]
    return ids, freqs, _position_keys(ids, counts, steps) if positions else _EMPTY[0]


_Block = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # ids, freqs, positions per posting, position deltas


def _packed_postings(segment: SegmentReader, terminfo: Any, positions: bool) -> _Block:
    """A term's postings in one segment, from one read of its blocks (written by kenniskamer.index.codec).

    The posting list is Whoosh's 4-byte tag, then blocks: a block's length (negative for
    the last), a pickled header (count, last id, max weight, compression, lengths) and
    the pickled (id deltas, weights, (joined values, value lengths)). The blocks' arrays
    are joined and decoded once; ids restart their running sum at every block.
    """
    offset, length = terminfo.extent()
    length = length[0] if isinstance(length, tuple) else length  # Whoosh unpacks it as a 1-tuple
    raw = segment._terms._postfile.get(offset, length)
    stream = BytesIO(raw)
    sizes: list[int] = []
    deltas: list[bytes] = []
    weights: list[bytes] = []
    joined: list[bytes] = []
    lengths: list[bytes] = []
    position = _TAG_SIZE
    while position < len(raw):
        (size,) = _BLOCK_LENGTH.unpack_from(raw, position)
        stream.seek(position + _BLOCK_LENGTH.size)
        count, _, _, compression, _, _ = pickle.load(stream)
        end = position + _BLOCK_LENGTH.size + abs(size)
        data = raw[stream.tell() : end]
        block_ids, block_weights, values = pickle.loads(zlib.decompress(data) if compression else data)
        sizes.append(count)
        deltas.append(block_ids)
        if block_weights is None:  # all 1.0
            block_weights = _ONE * count
        elif isinstance(block_weights, float):  # all the same
            block_weights = _FLOAT32_STRUCT.pack(block_weights) * count
        weights.append(block_weights)
        if positions:
            joined.append(values[0])
            lengths.append(values[1])
        if size < 0:
            break
        position = end
    ids = _restarting_cumsum(np.frombuffer(b"".join(deltas), dtype=_UINT32).astype(np.int64), np.array(sizes))
    freqs = np.frombuffer(b"".join(weights), dtype=_FLOAT32).astype(np.float64)
    if not positions:
        return ids, freqs, _EMPTY[0], _EMPTY[0]
    counts = np.frombuffer(b"".join(lengths), dtype=_UINT32).astype(np.int64) // 4
    return ids, freqs, counts, np.frombuffer(b"".join(joined), dtype=_UINT32).astype(np.int64)


def _matcher_postings(matcher: Any, positions: bool) -> _Block:
    """The postings of any matcher, one at a time (the slow, public way)."""
    ids: list[int] = []
    freqs: list[float] = []
    counts: list[int] = []
    steps: list[int] = []
    while matcher.is_active():
        ids.append(matcher.id())
        freqs.append(matcher.weight())
        if positions:
            found = matcher.value_as("positions")
            counts.append(len(found))
            steps.extend(after - before for before, after in zip([0, *found], found))
        matcher.next()
    return (np.array(ids, dtype=np.int64), np.array(freqs, dtype=np.float64), np.array(counts, dtype=np.int64),
            np.array(steps, dtype=np.int64))


def _position_keys(records: np.ndarray, counts: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """``record << 32 | position`` of every position: ``counts[i]`` deltas in ``steps`` belong to ``records[i]``."""
    if not len(steps):
        return _EMPTY[0]
    return (np.repeat(records, counts) << _SHIFT) | _restarting_cumsum(steps, counts)


def _restarting_cumsum(steps: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sums of ``steps`` that start again with each group: group i is the next ``counts[i]`` steps."""
    running = np.cumsum(steps)
    firsts = np.cumsum(counts) - counts  # where each group starts
    before = np.where(firsts > 0, running[np.maximum(firsts - 1, 0)], 0)
    return running - np.repeat(before, counts)


_SHIFT = 32  # positions in a record stay far below 2**32
_BLOCK_LENGTH = struct.Struct("!i")
_TAG_SIZE = len(WHOOSH3_HEADER_MAGIC)  # before a term's first block
_UINT32 = np.dtype("<u4")
_FLOAT32_STRUCT = struct.Struct("<f")
_ONE = _FLOAT32_STRUCT.pack(1.0)
_FLOAT32 = np.dtype("<f4")


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


def column_values(searcher: Searcher, fieldname: str) -> list[Any]:
    """Every record's value in a column field, translated as Whoosh does (``column_reader``).

    Whoosh reads a column one record at a time (a file seek and read each, 10-40 us);
    here each segment's column comes in one read, and numbers are translated once per
    distinct value.
    """
    found: list[Any] = []
    field = searcher.schema[fieldname]
    for segment, _ in searcher.reader().leaf_readers():
        count = segment.doc_count_all()
        if not count:  # an index without documents has no columns at all
            continue
        reader = segment.column_reader(fieldname, translate=False)
        if isinstance(reader, VarBytesColumn.Reader):
            lengths, offsets = reader._lengths, reader._offsets
            raw = reader._dbfile.get(reader._basepos, max(o + n for o, n in zip(offsets, lengths)))
            found.extend(field.from_column_value(raw[o : o + n]) for o, n in zip(offsets, lengths))
        elif isinstance(reader, NumericColumn.Reader):
            dtype = np.dtype(reader._typecode).newbyteorder(">")
            stored = min(reader._count, count)
            codes = np.full(count, int.from_bytes(reader._defaultbytes, "big"), dtype=dtype.newbyteorder("="))
            codes[:stored] = np.frombuffer(reader._dbfile.get(reader._basepos, stored * dtype.itemsize), dtype=dtype)
            distinct, where = np.unique(codes, return_inverse=True)
            translated = [field.from_column_value(int(code)) for code in distinct.tolist()]
            found.extend(translated[i] for i in where.tolist())
        else:
            found.extend(segment.column_reader(fieldname))
    return found
