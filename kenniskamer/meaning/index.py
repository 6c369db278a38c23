"""What the search engine asks of the vectors: a query's vector, cosines of documents, the best passages of one.

Document vectors are held in memory as one float32 matrix (2 KB a document: 20 MB at 10,000;
the retrieval vectors beside it, 1.5 KB a document;
stored as float16, but numpy has no float16 matrix product: scoring 10,000 float16 rows took
44 ms, converting them first 25 ms, float32 rows 2.7 ms). Passage vectors stay in their files,
memory-mapped, and only the rows of the documents asked for are read.

Thread-safe: a search reads one immutable snapshot (doc ids, matrix), swapped whole by
:meth:`MeaningIndex.refresh`; catalog-like reads go through per-thread SQLite connections.
"""

from __future__ import annotations

import logging
import mmap
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kenniskamer.meaning import e5
from kenniskamer.meaning.encoder import MODEL_ID, Encoder, load_encoder
from kenniskamer.meaning.store import VectorStore
from kenniskamer.startup import once

if TYPE_CHECKING:
    from kenniskamer.library.catalog import Library
    from kenniskamer.meaning.e5 import E5Small

log = logging.getLogger(__name__)

# Converted passage vectors kept in memory, most recently used first (a 30-page study: 0.4 MB).
PASSAGE_CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class _Snapshot:
    stamp: tuple[int, ...]
    rows: dict[str, int]  # doc id -> row of the matrix
    matrix: np.ndarray  # (documents, dimensions) float32
    retrieval_rows: dict[str, int]  # the same for the retrieval vectors (kenniskamer.meaning.e5)
    retrieval: np.ndarray


class MeaningIndex:
    """The vectors of a library for one encoder, ready to score queries against."""

    def __init__(self, store: VectorStore, encoder: Encoder | None = None, *, model_id: str = MODEL_ID,
                 retriever: E5Small | None = None):
        self._store = store
        self._encoder = encoder
        self._retriever = retriever
        self.model_id = encoder.model_id if encoder is not None else model_id
        self.retrieval_model = retriever.model_id if retriever is not None else e5.MODEL_ID
        self._retrieval_failed = False
        self._lock = threading.Lock()
        self._maps: dict[str, mmap.mmap] = {}  # passage file name -> its mapping, grown when the file grows
        self._cache: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()  # doc id -> spans, float32 rows
        self._cached_bytes = 0
        self._snapshot = self._load()

    @classmethod
    def open(cls, library: Library, encoder: Encoder | None = None) -> MeaningIndex | None:
        """The library's meaning index; None if meaning is off or the library has no vectors (yet: open again later).

        Cheap: the encoder (if not given) is loaded on the first :meth:`encode_query`.
        """
        if not library.meaning:
            return None
        store = VectorStore(library.vectors_dir)
        if not store.exists():
            return None
        index = cls(store, encoder)
        if not index._snapshot.rows:
            return None
        return index

    def __len__(self) -> int:
        return len(self._snapshot.rows)

    def _load(self) -> _Snapshot:
        stamp = self._store.stamp()
        doc_ids, matrix = self._store.document_matrix(self.model_id)
        retrieval_ids, retrieval = self._store.retrieval_matrix(self.retrieval_model)
        return _Snapshot(stamp, {doc_id: row for row, doc_id in enumerate(doc_ids)}, matrix,
                         {doc_id: row for row, doc_id in enumerate(retrieval_ids)}, retrieval)

    def refresh(self) -> None:
        """Pick up vectors written since open (two file stats if nothing changed)."""
        if self._store.stamp() == self._snapshot.stamp:
            return
        with self._lock:
            if self._store.stamp() != self._snapshot.stamp:
                self._snapshot = self._load()
                self._maps = {}  # map files afresh (compaction makes new ones); old views keep their maps alive
                self._cache.clear()  # a document's passages may have been written again
                self._cached_bytes = 0

    def encode_query(self, text: str) -> np.ndarray:
        """The query's vector: (dimensions,) float32, L2-normalised."""
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = load_encoder()
        return self._encoder.encode([text])[0]

    def document_scores(self, query: np.ndarray, doc_ids: Sequence[str]) -> np.ndarray:
        """The cosine of the query with each document, in the order given; NaN for a document without a vector."""
        snapshot = self._snapshot
        return _cosines(snapshot.rows, snapshot.matrix, query, doc_ids)

    def retrieval_scores(self, text: str, doc_ids: Sequence[str]) -> np.ndarray | None:
        """The cosine of the query (text) with each document by the retrieval encoder; None if no document has its vector.

        NaN for a document without one. The encoder (~0.15 s) loads on the first query that needs it.
        """
        snapshot = self._snapshot
        if not snapshot.retrieval_rows or self._retrieval_failed:
            return None
        try:
            if self._retriever is None:
                self._retriever = e5.load_retriever()  # which has its own lock
            query = self._retriever.encode_query(text)
        except Exception as err:  # no e5 here (a damaged model file, an onnxruntime without MatMulNBits): USE alone
            self._retrieval_failed = True
            log.warning("Search by meaning goes on without multilingual-e5-small: %s", err)
            return None
        return _cosines(snapshot.retrieval_rows, snapshot.retrieval, query, doc_ids)

    def retrieval_scores_later(self, text: str, doc_ids: Sequence[str]) -> Callable[[], np.ndarray | None]:
        """:meth:`retrieval_scores` started on a thread now; call what this returns for them.

        e5's query encoding (~15 ms) is onnxruntime's, which lets go of the GIL: it runs beside
        USE's encoding and the reading of passages (measured on /api/search: p95 45 -> 38 ms).
        """
        if not self._snapshot.retrieval_rows:
            return lambda: None
        return _background().submit(self.retrieval_scores, text, doc_ids).result

    def passages(self, query: np.ndarray, doc_id: str, limit: int) -> list[tuple[int, int, int, float]]:
        """The document's best passages for the query: (page, start, end, cosine), best first, at most ``limit``."""
        if limit <= 0:
            return []
        found = self._passage_rows(doc_id)
        if found is None:
            return []
        spans, vectors = found
        cosines = vectors @ np.asarray(query, dtype=np.float32)
        best = np.argsort(-cosines, kind="stable")[:limit] if limit > 1 else [int(np.argmax(cosines))]
        return [(int(spans[i, 0]), int(spans[i, 1]), int(spans[i, 2]), float(cosines[i])) for i in best]

    def _passage_rows(self, doc_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A document's passage spans and float32 vectors, from the cache or read and converted once.

        Converting float16 rows is most of scoring them (0.2 of 0.25 ms for a 30-page study),
        and a search scores the passages of its REFINED closest documents: the converted rows
        of the documents asked for most recently are kept, up to PASSAGE_CACHE_BYTES.
        """
        with self._lock:
            cached = self._cache.get(doc_id)
            if cached is not None:
                self._cache.move_to_end(doc_id)
                return cached
        found = self._store.spans(doc_id) if self._store.exists() else None
        if found is None or found[0].model_id != self.model_id or not found[0].count:
            return None
        entry, spans = found
        vectors = self._rows(entry.file, entry.offset, entry.count, entry.dimensions)
        if vectors is None:
            return None
        rows = (spans, vectors.astype(np.float32))
        with self._lock:
            self._cache[doc_id] = rows
            self._cached_bytes += rows[1].nbytes
            while self._cached_bytes > PASSAGE_CACHE_BYTES and len(self._cache) > 1:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cached_bytes -= dropped.nbytes
        return rows

    def _rows(self, name: str, offset: int, count: int, dimensions: int) -> np.ndarray | None:
        """``count`` float16 rows at ``offset`` of a passage file, from its memory map (None if the file lacks them)."""
        end = offset + count * dimensions * 2
        mapping = self._maps.get(name)
        if mapping is None or len(mapping) < end:
            with self._lock:
                mapping = self._maps.get(name)
                if mapping is None or len(mapping) < end:
                    mapping = _map(self._store.folder / name)
                    if mapping is None or len(mapping) < end:
                        return None
                    self._maps[name] = mapping  # the older, shorter mapping stays valid for whoever holds it
        return np.frombuffer(mapping, dtype=np.float16, count=count * dimensions, offset=offset).reshape(count, dimensions)


# The process's threads for e5's query encodings (two: a server's searches may overlap).
_background = once(lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="kenniskamer-e5"))


def _cosines(rows_of: dict[str, int], matrix: np.ndarray, query: np.ndarray, doc_ids: Sequence[str]) -> np.ndarray:
    """The cosine of ``query`` with each document's row of ``matrix``, in the order given; NaN for a document without one."""
    rows = np.fromiter((rows_of.get(doc_id, -1) for doc_id in doc_ids), dtype=np.int64, count=len(doc_ids))
    scores = np.full(len(doc_ids), np.nan, dtype=np.float32)
    found = rows >= 0
    if not found.any():
        return scores
    query = np.asarray(query, dtype=np.float32)
    if found.sum() * 4 < len(rows_of):  # a few documents: only their rows
        scores[found] = matrix[rows[found]] @ query
    else:
        scores[found] = (matrix @ query)[rows[found]]
    return scores


def _map(path: Path) -> mmap.mmap | None:
    try:
        with path.open("rb") as handle:
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # missing, or empty (an empty file cannot be mapped)
        return None
