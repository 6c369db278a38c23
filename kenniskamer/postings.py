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

import pickle
import struct
import threading
import warnings
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from io import BytesIO
from itertools import chain
from typing import Any

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
    from whoosh.columns import NumericColumn, VarBytesColumn
    from whoosh.formats import Positions
    from whoosh.matching.wrappers import FilterMatcher
    from whoosh.reading import TermNotFound
    from whoosh.searching import Searcher
    from whoosh.system import _INT_SIZE
    from whoosh.util.numeric import byte_to_length

# Whoosh's BM25F defaults, which the index is searched with.
B = 0.75
K1 = 1.2
CACHE_BYTES = 256 * 1024 * 1024  # posting and position arrays kept per commit, most recently used first

_BYTE_LENGTHS = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.float64)
_BYTE_LENGTHS[0] = 0.0

Postings = tuple[np.ndarray, np.ndarray]  # record numbers (int64, ascending), term frequencies (float64)
_Read = tuple[np.ndarray, np.ndarray, list[bytes]]  # the same and each posting's encoded positions
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
        found = self._cached((fieldname, text))
        if found is None:
            ids, freqs, _ = _read_term(searcher, fieldname, text, values=False)
            found = (ids, freqs)
            self._keep((fieldname, text), found)
        return found

    def positions(self, searcher: Searcher, fieldname: str, text: str, read: _Read | None = None) -> np.ndarray:
        """``record << 32 | position`` of every occurrence of the term (ascending), for phrases.

        ``read`` is the term's posting list if the caller has just read it with its values.
        """
        key = ("positions:" + fieldname, text)
        found = self._cached(key)
        if found is not None:
            return found[0]
        ids, freqs, values = read or _read_term(searcher, fieldname, text, values=True)
        self._keep((fieldname, text), (ids, freqs))
        keys = _position_keys(ids, values, searcher.schema[fieldname].format)
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
        return ids, self._bm25(searcher, fieldname, text, ids, freqs, boost)

    def _bm25(
        self, searcher: Searcher, fieldname: str, text: str, ids: np.ndarray, freqs: np.ndarray, boost: float
    ) -> np.ndarray:
        if not len(ids):
            return freqs
        idf = searcher.idf(fieldname, text)
        average = searcher.avg_field_length(fieldname) or 1
        lengths = self.field_lengths(searcher, fieldname)[ids]
        scores = idf * (freqs * (K1 + 1)) / (freqs + K1 * ((1 - B) + B * lengths / average))
        return scores * boost if boost != 1.0 else scores

    def phrase_scores(self, searcher: Searcher, fieldname: str, terms: Sequence[str], boost: float = 1.0) -> Postings:
        """(records, scores) of a phrase query, as Whoosh's ``Phrase`` scores it.

        A record matches when the terms stand at consecutive positions; its score is the
        sum of the terms' BM25F scores (what Whoosh's span matcher adds up), times ``boost``.
        The positions of a term are read once for all its records and kept with its postings.
        """
        # A word read from disk now is read with its positions: its blocks hold both, and
        # unpickling them is most of what reading costs.
        read = {
            term: _read_term(searcher, fieldname, term, values=True)
            for term in set(terms)
            if self._cached((fieldname, term)) is None and self._cached(("positions:" + fieldname, term)) is None
        }
        for term, (ids, freqs, _) in read.items():
            self._keep((fieldname, term), (ids, freqs))
        scored = [self.scores(searcher, fieldname, term) for term in terms]
        candidates = scored[0][0]
        for ids, _ in scored[1:]:
            candidates = np.intersect1d(candidates, ids, assume_unique=True)
        if not len(candidates):
            return _EMPTY
        keys = [self.positions(searcher, fieldname, term, read.get(term)) for term in terms]
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


def _read_term(searcher: Searcher, fieldname: str, text: str, *, values: bool) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """Record numbers, term frequencies and (with ``values``) the encoded positions of a term, all segments."""
    ids: list[np.ndarray] = []
    freqs: list[np.ndarray] = []
    found: list[bytes] = []
    for segment, base in searcher.reader().leaf_readers():
        try:
            matcher = segment.postings(fieldname, text)
        except TermNotFound:  # not in this segment
            continue
        if isinstance(matcher, FilterMatcher):  # deleted records: the caller maps them to no document
            matcher = matcher.child
        read = _block_postings if isinstance(matcher, W3LeafMatcher) else _matcher_postings
        for block_ids, block_freqs, block_values in read(matcher, values):
            ids.append(block_ids + base if base else block_ids)
            freqs.append(block_freqs)
            found.extend(block_values)
    if not ids:
        return _EMPTY[0], _EMPTY[1], found
    return np.concatenate(ids), np.concatenate(freqs), found


def _block_postings(matcher: W3LeafMatcher, values: bool) -> Iterator[tuple[np.ndarray, np.ndarray, Sequence[bytes]]]:
    """The blocks of a fresh block matcher, parsed from one read of its whole posting list.

    (The matcher itself reads each block's header with pickle.load on the file, which
    costs one small read per pickle opcode.) A block is: its length (negative for the
    last), a pickled header (count, last id, max weight, compression, lengths), and
    the pickled (id deltas, weights, values) data.
    """
    start = matcher._baseoffset
    extent = matcher._length[0] if isinstance(matcher._length, tuple) else matcher._length  # stored as a 1-tuple
    raw = matcher._postfile.get(start, matcher._startoffset + extent - start)
    stream = BytesIO(raw)
    position = 0
    while position < len(raw):
        (length,) = _BLOCK_LENGTH.unpack_from(raw, position)
        stream.seek(position + _BLOCK_LENGTH.size)
        header = pickle.load(stream)
        end = position + _BLOCK_LENGTH.size + abs(length)
        data = raw[stream.tell() : end]
        deltas, weights, block_values = pickle.loads(zlib.decompress(data) if header[3] else data)
        block = np.cumsum(np.fromiter(deltas, dtype=np.int64, count=len(deltas)))
        if weights is None:
            freqs = np.ones(len(block))
        elif isinstance(weights, float):
            freqs = np.full(len(block), weights)
        else:
            freqs = np.fromiter(weights, dtype=np.float64, count=len(weights))
        yield block, freqs, (block_values if values else ())
        if length < 0:
            break
        position = end


def _matcher_postings(matcher: Any, values: bool) -> Iterator[tuple[np.ndarray, np.ndarray, Sequence[bytes]]]:
    """The postings of any matcher, one at a time (the slow, public way)."""
    ids: list[int] = []
    freqs: list[float] = []
    found: list[bytes] = []
    while matcher.is_active():
        ids.append(matcher.id())
        freqs.append(matcher.weight())
        if values:
            found.append(matcher.value())
        matcher.next()
    yield np.array(ids, dtype=np.int64), np.array(freqs, dtype=np.float64), found


def _position_keys(records: np.ndarray, values: list[bytes], fmt: Any) -> np.ndarray:
    """``record << 32 | position`` for every position in ``values`` (one encoded value per record)."""
    if not values:
        return np.zeros(0, dtype=np.int64)
    lists = _delta_lists(values) if type(fmt) is Positions else None
    if lists is not None:
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        steps = np.cumsum(np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lengths.sum())))
        firsts = np.cumsum(lengths) - lengths
        before = np.where(firsts > 0, steps[np.maximum(firsts - 1, 0)], 0)
        positions = steps - np.repeat(before, lengths)
    else:  # another format: Whoosh's own decoder, one value at a time
        decoded = [fmt.decode_positions(value) for value in values]
        lengths = np.fromiter(map(len, decoded), dtype=np.int64, count=len(decoded))
        positions = np.fromiter(chain.from_iterable(decoded), dtype=np.int64, count=int(lengths.sum()))
    return (np.repeat(records, lengths) << _SHIFT) | positions


def _delta_lists(values: list[bytes]) -> list[list[int]] | None:
    """The position deltas of every ``Positions`` value, in one unpickling; None if they look otherwise.

    Each value is a 4-byte count and a protocol-2 pickle of a list of deltas, its final
    STOP sometimes cut off. Cutting every value's count, protocol mark and STOP (as byte
    masks over the joined values) leaves list bodies that unpickle as one list of lists.
    """
    joined = np.frombuffer(b"".join(values), dtype=np.uint8)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    starts = np.cumsum(lengths) - lengths
    if (lengths < _INT_SIZE + 3).any():
        return None
    marks = starts + _INT_SIZE
    if not ((joined[marks] == _PROTOCOL_2[0]) & (joined[marks + 1] == _PROTOCOL_2[1])).all():
        return None
    keep = np.ones(len(joined), dtype=bool)
    keep[(starts[:, None] + np.arange(_INT_SIZE + len(_PROTOCOL_2))).ravel()] = False
    ends = starts + lengths - 1
    keep[ends[joined[ends] == ord(".")]] = False
    try:
        lists = pickle.loads(_PROTOCOL_2 + b"](" + joined[keep].tobytes() + b"e.")
    except (pickle.UnpicklingError, ValueError, EOFError, IndexError, KeyError, TypeError):
        return None
    return lists if isinstance(lists, list) and len(lists) == len(values) else None


_SHIFT = 32  # positions in a record stay far below 2**32
_PROTOCOL_2 = b"\x80\x02"
_BLOCK_LENGTH = struct.Struct("!i")


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
