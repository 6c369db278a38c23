"""The vectors folder of a library: derived data beside the index, rebuilt from the catalog when it is missing.

``<library>/vectors/``

- ``vectors.sqlite3``: one row per document: the model id, the hash of the document text, its
  vector (float16), and where its passage vectors are: a passage file, a byte offset and a
  count, the passages' (page, start, end) and the hash of each passage's text.
- ``vectors.sqlite3``, table ``retrieval``: a document's vector by the retrieval encoder
  (kenniskamer.meaning.e5), with its model id and the hash of its text; a store made before
  it existed gains the table at its first write, and `check` finds its rows missing.
- ``passages-<n>.f16``: passage vectors, float16 rows, appended document after document and
  memory-mapped by readers, who read only the rows of the documents they show. A removed
  document's rows stay until :meth:`VectorStore.compact` (run by reindex and repair) copies
  the live rows to the next file.

A document's passage rows are appended (and flushed) before its row is committed, so a row
never points at bytes not written; a crash in between leaves unreferenced bytes at the end of
the file, which the next append skips. The catalog stays the source of truth: `kenniskamer
check` compares these rows with it, and `check --repair` or `reindex` encodes what is missing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kenniskamer.errors import StorageError
from kenniskamer.meaning.vectors import DocumentVectors, Retrieval

STORE_NAME = "vectors.sqlite3"
STORE_VERSION = 1
_ALIGN = 64  # each document's passage rows start at a multiple of this many bytes
COMPACT_SHARE = 0.5  # compact when more than this share of the passage files is dead rows

_SQL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id     TEXT PRIMARY KEY,
    model_id   TEXT NOT NULL,
    dimensions INTEGER NOT NULL,
    text_hash  BLOB NOT NULL,
    vector     BLOB NOT NULL,
    file       TEXT NOT NULL,
    offset     INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    spans      BLOB NOT NULL,
    hashes     BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS retrieval (
    doc_id    TEXT PRIMARY KEY,
    model_id  TEXT NOT NULL,
    text_hash BLOB NOT NULL,
    vector    BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class StoredVectors:
    """What the store holds about one document, without its passage vectors."""

    doc_id: str
    model_id: str
    text_hash: bytes
    hashes: bytes
    file: str
    offset: int
    count: int
    dimensions: int
    retrieval_model: str | None = None  # the retrieval vector's model and text hash, None without one
    retrieval_hash: bytes | None = None


class VectorStore:
    """Reads and writes a library's vectors folder; writers hold the library's write lock."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / STORE_NAME
        self._local = threading.local()

    def exists(self) -> bool:
        """True if the folder holds a store."""
        return self.path.exists()

    def stamp(self) -> tuple[int, ...]:
        """Modification times and sizes of the store and its write-ahead log: a commit changes it."""
        marks: list[int] = []
        for path in (self.path, self.path.with_name(STORE_NAME + "-wal")):
            try:
                stat = os.stat(path)
            except OSError:
                marks.extend((0, 0))
            else:
                marks.extend((stat.st_mtime_ns, stat.st_size))
        return tuple(marks)

    def connect(self, *, create: bool = False) -> sqlite3.Connection:
        """This thread's connection (WAL; synchronous NORMAL: derived data, a lost commit is repaired).

        ``create``: a writer's, with the folder and the schema made (a store from before the
        retrieval table gains it here, also on a connection first opened to read).
        """
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if create:
                try:
                    self.folder.mkdir(parents=True, exist_ok=True)
                except OSError as err:
                    raise StorageError(f"Could not create {self.folder}: {err}.") from err
            elif not self.path.exists():
                raise FileNotFoundError(self.path)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.schema, self._local.retrieval = conn, False, False
        if create and not self._local.schema:  # a writer: readers (the site) never take the write lock, not even to see the schema
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SQL)
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('version', ?)", (str(STORE_VERSION),))
            self._local.schema = self._local.retrieval = True
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- reading -------------------------------------------------------------------

    def entries(self) -> dict[str, StoredVectors]:
        """Every document's row, without the vectors (what `check` compares with the catalog)."""
        if not self.exists():
            return {}
        columns = "documents.doc_id, documents.model_id, documents.text_hash, hashes, file, offset, count, dimensions"
        if not self._has_retrieval():
            return {row[0]: StoredVectors(*row) for row in self.connect().execute(f"SELECT {columns} FROM documents")}
        rows = self.connect().execute(
            f"SELECT {columns}, retrieval.model_id, retrieval.text_hash FROM documents LEFT JOIN retrieval USING (doc_id)"
        )
        return {row[0]: StoredVectors(*row) for row in rows}

    def _has_retrieval(self) -> bool:
        """Whether the store has its retrieval table (a store written before it existed has not, until written to)."""
        conn = self.connect()
        if not getattr(self._local, "retrieval", False):  # once there, it stays: asked once a connection
            self._local.retrieval = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'retrieval'").fetchone() is not None
        return bool(self._local.retrieval)

    def retrieval_matrix(self, model_id: str) -> tuple[list[str], np.ndarray]:
        """The doc ids with a retrieval vector of ``model_id`` and those vectors as one float32 matrix."""
        if not self._has_retrieval():
            return [], np.zeros((0, 0), dtype=np.float32)
        return self._matrix("retrieval", model_id)

    def document_matrix(self, model_id: str) -> tuple[list[str], np.ndarray]:
        """The doc ids with vectors of ``model_id`` and their vectors as one float32 matrix, row by row."""
        return self._matrix("documents", model_id)

    def _matrix(self, table: str, model_id: str) -> tuple[list[str], np.ndarray]:
        rows = self.connect().execute(
            f"SELECT doc_id, vector FROM {table} WHERE model_id = ? ORDER BY doc_id", (model_id,)
        ).fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float16).reshape(len(rows), -1)
        return [row[0] for row in rows], matrix.astype(np.float32)

    def spans(self, doc_id: str) -> tuple[StoredVectors, np.ndarray] | None:
        """A document's row and its passages' (page, start, end), or None."""
        row = self.connect().execute(
            "SELECT doc_id, model_id, text_hash, hashes, file, offset, count, dimensions, spans FROM documents "
            "WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredVectors(*row[:8]), np.frombuffer(row[8], dtype=np.int32).reshape(-1, 3)

    def get(self, doc_id: str) -> DocumentVectors | None:
        """A document's vectors as stored, or None (also when its passage rows cannot be read)."""
        if not self.exists():
            return None
        found = self.spans(doc_id)
        if found is None:
            return None
        entry, spans = found
        vector = self.connect().execute("SELECT vector FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()[0]
        passages = self.read_passages(entry)
        if passages is None:
            return None
        retrieval = None
        if self._has_retrieval():
            row = self.connect().execute("SELECT model_id, text_hash, vector FROM retrieval WHERE doc_id = ?", (doc_id,)).fetchone()
            if row is not None:
                retrieval = Retrieval(row[0], row[1], np.frombuffer(row[2], dtype=np.float16))
        return DocumentVectors(
            model_id=entry.model_id,
            text_hash=entry.text_hash,
            vector=np.frombuffer(vector, dtype=np.float16),
            spans=spans,
            hashes=entry.hashes,
            passages=passages,
            retrieval=retrieval,
        )

    def read_passages(self, entry: StoredVectors) -> np.ndarray | None:
        """A document's passage vectors read from its file (float16), or None if the file lacks them."""
        size = entry.count * entry.dimensions * 2
        try:
            with (self.folder / entry.file).open("rb") as handle:
                handle.seek(entry.offset)
                data = handle.read(size)
        except OSError:
            return None
        if len(data) != size:
            return None
        return np.frombuffer(data, dtype=np.float16).reshape(entry.count, entry.dimensions)

    def passage_files(self) -> list[Path]:
        """The passage files in the folder, oldest first."""
        return sorted(self.folder.glob("passages-*.f16"), key=lambda path: int(path.stem.split("-")[1]))

    # -- writing -------------------------------------------------------------------

    def _current_file(self) -> Path:
        files = self.passage_files()
        return files[-1] if files else self.folder / "passages-1.f16"

    def _append(self, path: Path, data: bytes) -> int:
        """Append ``data`` at the next aligned offset of ``path`` and flush it; return the offset."""
        with path.open("ab") as out:
            end = out.tell()
            offset = -(-end // _ALIGN) * _ALIGN
            out.write(b"\0" * (offset - end) + data)
            out.flush()
        return offset

    def put(self, doc_id: str, vectors: DocumentVectors) -> None:
        """Store a document's vectors (replacing any it had): passage rows first, then its row."""
        conn = self.connect(create=True)
        path = self._current_file()
        passages = np.ascontiguousarray(vectors.passages, dtype=np.float16)
        try:
            offset = self._append(path, passages.tobytes())
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT OR REPLACE INTO documents (doc_id, model_id, dimensions, text_hash, vector, file, offset, count, "
                "spans, hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc_id, vectors.model_id, int(passages.shape[1]) if passages.ndim == 2 else len(vectors.vector),
                    vectors.text_hash, np.asarray(vectors.vector, dtype=np.float16).tobytes(), path.name, offset,
                    len(passages), np.ascontiguousarray(vectors.spans, dtype=np.int32).tobytes(), vectors.hashes,
                ),
            )
            if vectors.retrieval is None:
                conn.execute("DELETE FROM retrieval WHERE doc_id = ?", (doc_id,))
            else:
                retrieval = vectors.retrieval
                conn.execute(
                    "INSERT OR REPLACE INTO retrieval (doc_id, model_id, text_hash, vector) VALUES (?, ?, ?, ?)",
                    (doc_id, retrieval.model_id, retrieval.text_hash, np.asarray(retrieval.vector, dtype=np.float16).tobytes()),
                )
            conn.execute("COMMIT")
        except (OSError, sqlite3.Error) as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StorageError(f"Could not write the vectors of {doc_id}: {err}. Free some disk space, then run "
                               "`kenniskamer check --repair`.") from err

    def remove(self, doc_id: str) -> None:
        """Forget a document's vectors (its passage rows become dead until the next compaction)."""
        self.remove_many([doc_id])

    def remove_many(self, doc_ids: list[str]) -> None:
        """Forget several documents' vectors in one transaction."""
        if doc_ids and self.exists():
            conn = self.connect(create=True)
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("DELETE FROM documents WHERE doc_id = ?", ((doc_id,) for doc_id in doc_ids))
            conn.executemany("DELETE FROM retrieval WHERE doc_id = ?", ((doc_id,) for doc_id in doc_ids))
            conn.execute("COMMIT")

    def dead_share(self) -> float:
        """The share of the passage files' bytes that no row refers to."""
        total = sum(path.stat().st_size for path in self.passage_files())
        if not total or not self.exists():
            return 0.0
        live = self.connect().execute("SELECT COALESCE(SUM(count * dimensions * 2), 0) FROM documents").fetchone()[0]
        return max(0.0, 1 - live / total)

    def compact(self, *, force: bool = False) -> bool:
        """Copy the live passage rows to a new file if many are dead (or ``force``); True if it did.

        Readers that mapped an older file keep reading it (the file stays readable while mapped);
        a reader that opens the store afterwards sees the new rows and the new file.
        """
        if not self.exists() or not force and self.dead_share() <= COMPACT_SHARE:
            return False
        old = self.passage_files()
        number = int(old[-1].stem.split("-")[1]) + 1 if old else 1
        fresh = self.folder / f"passages-{number}.f16"
        conn = self.connect(create=True)
        moves = []
        with fresh.open("wb") as out:
            for entry in self._iter_entries():
                data = self.read_passages(entry)
                if data is None:
                    continue  # check reports it, repair encodes it again
                offset = -(-out.tell() // _ALIGN) * _ALIGN
                out.write(b"\0" * (offset - out.tell()) + data.tobytes())
                moves.append((fresh.name, offset, entry.doc_id))
            out.flush()
            os.fsync(out.fileno())
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("UPDATE documents SET file = ?, offset = ? WHERE doc_id = ?", moves)
        conn.execute("COMMIT")
        for path in old:
            path.unlink(missing_ok=True)
        return True

    def _iter_entries(self) -> Iterator[StoredVectors]:
        yield from sorted(self.entries().values(), key=lambda entry: (entry.file, entry.offset))
