"""How the index stores posting lists: Whoosh's W3 codec with blocks of packed arrays.

Whoosh 2.7 writes a term's postings in blocks of up to 128, each block a protocol-2
pickle of three tuples: document-number deltas, weights and values. Reading a block
makes a Python object of every posting's number, weight and value, and protocol 2
turns every bytes value into a call to ``codecs.encode``; the ``Positions`` format then
unpickles each value a second time into a list of position deltas. For a word on 20,000
pages of body text that was 25-45 ms to read the block and as much again for the
positions, on every cold search.

Here a block's numbers are little-endian arrays instead: uint32 number deltas, float32
weights (or Whoosh's own None / one float when they are all equal), and for variable
values all of them joined with a uint32 byte length each. Positions
(:class:`PackedPositions`) are uint32 deltas. A block is then a handful of bytes
objects, whatever its size, and ``kenniskamer.index.postings`` reads it into numpy arrays
without a Python object per posting. The block headers, term infos and every other
file are Whoosh's own, and :class:`PackedLeafMatcher` gives Whoosh's matchers the
postings in their usual form, so all of Whoosh's queries keep working on it.

Segments remember their codec (it is pickled into the index's table of contents), so
an index written with it is read with it; the schema version guards the change.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from kenniskamer.startup import importing_whoosh

with importing_whoosh():
    from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher, W3PerDocReader, W3PostingsWriter
    from whoosh.formats import Positions

_BIG_ENDIAN = sys.byteorder == "big"


def pack(typecode: str, values: Iterable[Any]) -> bytes:
    """``values`` as a little-endian array of ``typecode`` ("I": uint32, "f": float32)."""
    packed = array(typecode, values)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tobytes()


def unpack(typecode: str, data: bytes) -> array:
    """The array :func:`pack` wrote."""
    unpacked = array(typecode)
    unpacked.frombytes(data)
    if _BIG_ENDIAN:
        unpacked.byteswap()
    return unpacked


class PackedPositions(Positions):
    """Whoosh's ``Positions`` format, a posting's positions stored as uint32 deltas.

    (Whoosh's own stores a 4-byte count and a pickled list of the deltas.) The count is
    the value's length over four.
    """

    def encode(self, poslist: list[int]) -> bytes:
        return pack("I", [position - before for before, position in zip([0, *poslist], poslist)])

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(accumulate(unpack("I", valuestring)))

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4


class PackedPostingsWriter(W3PostingsWriter):
    """Writes each block's numbers, weights and values as packed arrays (see the module)."""

    def _mini_ids(self) -> Any:
        if self._byteids:  # term vectors (not used here): Whoosh's own layout
            return super()._mini_ids()
        ids = self._ids
        return pack("I", [number - before for before, number in zip([0, *ids], ids)])

    def _mini_weights(self) -> Any:
        weights = super()._mini_weights()  # None when all are 1.0, one float when all are equal
        if isinstance(weights, tuple) and not self._byteids:
            return pack("f", weights)
        return weights

    def _mini_values(self) -> Any:
        fixed = self._format.fixed_value_size()
        if self._byteids or (fixed is not None and fixed >= 0):
            return super()._mini_values()  # None, or one joined bytes object already
        values = self._values
        return b"".join(values), pack("I", map(len, values))


class PackedLeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher for blocks written by :class:`PackedPostingsWriter`."""

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        if self._byteids:
            super()._read_ids()
        else:
            self._ids = tuple(accumulate(unpack("I", self._data[0])))

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        if isinstance(self._data[1], bytes):
            self._weights = unpack("f", self._data[1])
        else:
            super()._read_weights()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        if self._byteids or not isinstance(self._data[2], tuple):  # fixed-size values: Whoosh's own layout
            super()._read_values()
            return
        joined, lengths = self._data[2]
        ends = list(accumulate(unpack("I", lengths), initial=0))
        self._values = tuple(joined[start:end] for start, end in zip(ends, ends[1:]))


class ColumnsKnownReader(W3PerDocReader):
    """Whoosh's per-document reader, remembering which columns a segment has (its files never change).

    Whoosh asks for each posting it writes whether the field has a lengths column, and for a
    field without one (an id, a facet) that is a file-system lookup each time: 84,000 of them
    when the topical corpus is added.
    """

    def __init__(self, storage: Any, segment: Any):
        super().__init__(storage, segment)
        self._has: dict[str, bool] = {}

    def has_column(self, fieldname: str) -> bool:
        known = self._has.get(fieldname)
        if known is None:
            known = self._has[fieldname] = super().has_column(fieldname)
        return known


class PackedCodec(W3Codec):
    """Whoosh's W3 codec with :class:`PackedPostingsWriter` blocks (no zlib by default).

    Without zlib a commit takes a quarter less CPU, for a third more disk.
    """

    def __init__(self, blocklimit: int = 128, compression: int = 0, inlinelimit: int = 1):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> PackedPostingsWriter:
        return PackedPostingsWriter(
            dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def per_document_reader(self, storage: Any, segment: Any) -> ColumnsKnownReader:
        return ColumnsKnownReader(storage, segment)

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return PackedLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
