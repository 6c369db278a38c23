"""The library: a folder with the catalog (source of truth), the originals and the index.

Order of a write: original file (atomic rename) -> catalog row (one transaction per
document) -> index. The index is derived and can always be rebuilt from the catalog.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kenniskamer.config import meaning_enabled
from kenniskamer.errors import DocumentNotFoundError, KennisError, LibraryBusyError, StorageError
from kenniskamer.models import HTML, PDF, STUDY_FIELDS, Document, Ocr, StudyProfile, ThemeMatch
from kenniskamer.text.dates import year_of
from kenniskamer.text.prose import vocabulary
from kenniskamer.text.summary import clean_summary

CATALOG_NAME = "catalog.sqlite3"
OCR_SUFFIX = ".jsonl"  # <library>/ocr/<sha256>.jsonl: one JSON line per OCR'd page (indexer.ocr.OcrCache)
CATALOG_VERSION = 1

# Fields a curator may set; their values survive re-extraction and reindex.
EDITABLE_FIELDS = ("title", "authors", "date", "year", "publisher", "language", "doc_type", "summary", "themes",
                   *STUDY_FIELDS)

_CATALOG_SQL = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id      TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,
    filename    TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    added       TEXT NOT NULL,
    title       TEXT NOT NULL,
    authors     TEXT NOT NULL DEFAULT '[]',
    date        TEXT,
    year        INTEGER,
    publisher   TEXT,
    language    TEXT,
    doc_type    TEXT,
    summary     TEXT,
    themes      TEXT NOT NULL DEFAULT '[]',
    study       TEXT NOT NULL DEFAULT '{}',
    provenance  TEXT NOT NULL DEFAULT '{}',
    flags       TEXT NOT NULL DEFAULT '[]',
    ocr         TEXT NOT NULL DEFAULT '{}',
    page_count  INTEGER NOT NULL DEFAULT 0,
    content_key TEXT NOT NULL DEFAULT '',
    sample      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS documents_added ON documents(added);
CREATE INDEX IF NOT EXISTS documents_content_key ON documents(content_key);
CREATE TABLE IF NOT EXISTS pages (
    doc_id  TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    page_no INTEGER NOT NULL,
    text    TEXT NOT NULL,
    PRIMARY KEY (doc_id, page_no)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edits (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    field  TEXT NOT NULL,
    value  TEXT NOT NULL,
    edited TEXT NOT NULL,
    PRIMARY KEY (doc_id, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ingest_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    source  TEXT NOT NULL,
    outcome TEXT NOT NULL,
    doc_id  TEXT,
    message TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Document frequency of every folded word: the vocabulary "did you mean" draws on.
CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
"""

_JSON_COLUMNS = ("authors", "themes", "study", "provenance", "flags", "ocr")
# Columns added after version 1 of the catalog, added to an older one when it is opened.
_ADDED_COLUMNS = {"study": "TEXT NOT NULL DEFAULT '{}'", "ocr": "TEXT NOT NULL DEFAULT '{}'"}


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds, e.g. ``2026-11-28T19:30:00Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _storage_error(err: BaseException, what: str) -> StorageError:
    if isinstance(err, OSError) and err.errno == errno.ENOSPC or "full" in str(err):
        return StorageError(f"The disk is full while writing {what}; free some space and run the command again.")
    return StorageError(f"Could not write {what}: {err}. Check the folder's permissions and free space.")


class Library:
    """One knowledge room on disk: catalog, originals and index."""

    def __init__(self, root: Path, *, meaning: bool | None = None):
        self.root = Path(root)
        self.catalog_path = self.root / CATALOG_NAME
        self.originals_dir = self.root / "originals"
        self.index_dir = self.root / "index"
        self.vectors_dir = self.root / "vectors"  # derived, beside the index: kenniskamer.meaning.store
        self.ocr_dir = self.root / "ocr"  # OCR'd page text in <sha256>.jsonl, so an original is OCR'd once: indexer.ocr
        # Search by meaning: vectors at ingest, checked and used by search. Off: no encoder is
        # loaded, no vectors are written or checked. None: as KENNISKAMER_MEANING says (default on).
        self.meaning = meaning_enabled() if meaning is None else meaning
        self.lock_path = self.root / "write.lock"
        self._local = threading.local()
        self._lock_file: Any = None

    # -- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path | str, *, create: bool = False, meaning: bool | None = None) -> Library:
        """Open the library at ``root``; with ``create``, make it if it does not exist (``meaning``: see __init__)."""
        library = cls(Path(root).expanduser(), meaning=meaning)
        if not library.catalog_path.exists():
            if not create:
                raise KennisError(
                    f"No library at {library.root}. Add documents with `kenniskamer add FILE --library "
                    f"{library.root}`, or point --library (or KENNISKAMER_LIBRARY) at an existing one."
                )
            try:
                library.originals_dir.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise _storage_error(err, f"the library folder {library.root}") from err
        library._migrate()
        return library

    @classmethod
    def exists(cls, root: Path | str) -> bool:
        """True if ``root`` holds a library (its catalog); nothing is opened or created."""
        return cls(Path(root).expanduser()).catalog_path.exists()

    def change_stamp(self) -> tuple[int, ...]:
        """Modification times and sizes of the index folder, the catalog and its write-ahead log.

        A commit to the index or the catalog changes the stamp, so a reader that keeps
        derived results (the site's page cache) compares stamps to know when to drop them.
        A missing file counts as (0, 0): the stamp of a library not made yet is all zeros.
        """
        marks: list[int] = []
        for path in (self.index_dir, self.catalog_path, self.catalog_path.with_name(CATALOG_NAME + "-wal")):
            try:
                stat = os.stat(path)
            except OSError:
                marks.extend((0, 0))
            else:
                marks.extend((stat.st_mtime_ns, stat.st_size))
        return tuple(marks)

    def _migrate(self) -> None:
        conn = self.connect()
        try:
            conn.executescript(_CATALOG_SQL)
            present = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
            for column, declaration in _ADDED_COLUMNS.items():
                if column not in present:
                    conn.execute(f"ALTER TABLE documents ADD COLUMN {column} {declaration}")
            conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('catalog_version', ?)", (str(CATALOG_VERSION),)
            )
        except sqlite3.Error as err:
            raise KennisError(f"The catalog {self.catalog_path} cannot be read ({err}); restore it from a backup.") from err

    def connect(self) -> sqlite3.Connection:
        """This thread's connection to the catalog (WAL, foreign keys on)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: no implicit transactions; writes use BEGIN IMMEDIATE.
            conn = sqlite3.connect(self.catalog_path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's catalog connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- the write lock --------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the library's single write lock; raise LibraryBusyError if it is taken."""
        if self._lock_file is not None:  # re-entrant within one process
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise LibraryBusyError(
                    f"The library at {self.root} is busy: another kenniskamer command (pid {holder}) is writing "
                    "to it. Wait until it has finished and try again."
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            self._lock_file = handle
            try:
                yield
            finally:
                self._lock_file = None
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- originals ------------------------------------------------------------------

    def original_path(self, sha256: str, ext: str) -> Path:
        """Where the original bytes with this hash are kept."""
        return self.originals_dir / sha256[:2] / f"{sha256}.{ext}"

    def store_original(self, data: bytes, sha256: str, ext: str) -> Path:
        """Write the original bytes atomically (temp file, fsync, rename); return the path."""
        path = self.original_path(sha256, ext)
        if path.exists() and path.stat().st_size == len(data):
            return path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as err:
            raise _storage_error(err, f"the original {path.name}") from err
        return path

    def original_of(self, doc: Document) -> Path:
        """The path of a document's original."""
        return self.original_path(doc.sha256, extension_for(doc.mime))

    def ocr_file(self, sha256: str) -> Path:
        """Where the OCR cache (indexer.ocr.OcrCache) keeps the text read from the file with this checksum."""
        return self.ocr_dir / f"{sha256}{OCR_SUFFIX}"

    def ocr_files(self) -> dict[str, Path]:
        """The OCR cache's files, by the checksum of the file they were read from."""
        if not self.ocr_dir.is_dir():
            return {}
        return {path.name.removesuffix(OCR_SUFFIX): path for path in self.ocr_dir.iterdir() if path.name.endswith(OCR_SUFFIX)}

    # -- catalog: writes -------------------------------------------------------------

    def insert(
        self,
        doc: Document,
        pages: tuple[str, ...],
        *,
        sample: str = "",
        edits: Mapping[str, Any] | None = None,
        words: Iterable[str] | None = None,
        log: tuple[str, str] | None = None,
    ) -> None:
        """Insert a document, its pages and the curator's values in one transaction.

        ``words`` is the document's vocabulary if already worked out (``text.vocabulary``
        of its title and pages); ``log`` an ingest log line (source, message) to write with it.
        """
        row = _row_from_document(doc)
        row["sample"] = sample
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"INSERT INTO documents ({columns}) VALUES ({marks})", tuple(row.values()))
            conn.executemany(
                "INSERT INTO pages (doc_id, page_no, text) VALUES (?, ?, ?)",
                ((doc.doc_id, number, text) for number, text in enumerate(pages, start=1)),
            )
            conn.executemany(
                "INSERT INTO words (word, df) VALUES (?, 1) ON CONFLICT(word) DO UPDATE SET df = df + 1",
                ((word,) for word in (vocabulary((doc.title, *pages)) if words is None else words)),
            )
            now = utc_now()
            conn.executemany(
                "INSERT INTO edits (doc_id, field, value, edited) VALUES (?, ?, ?, ?)",
                ((doc.doc_id, key, json.dumps(value, ensure_ascii=False), now) for key, value in (edits or {}).items()),
            )
            if log is not None:
                conn.execute(
                    "INSERT INTO ingest_log (at, source, outcome, doc_id, message) VALUES (?, ?, 'added', ?, ?)",
                    (now, log[0], doc.doc_id, log[1]),
                )
            conn.execute("COMMIT")
        except sqlite3.IntegrityError as err:
            conn.execute("ROLLBACK")
            raise StorageError(f"Document {doc.doc_id} is already in the catalog ({err}).") from err
        except (sqlite3.Error, OSError) as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "the catalog") from err

    def update_extracted(
        self,
        doc: Document,
        pages: tuple[str, ...] | None = None,
        *,
        sample: str | None = None,
        words: Iterable[str] | None = None,
    ) -> None:
        """Replace the extracted (non-curator) metadata of a document, and with ``pages`` its text,
        in one transaction; the curator's values stay."""
        row = _row_from_document(doc)
        for key in ("doc_id", "sha256", "added", "source", "filename", "mime", "size"):
            row.pop(key)
        if sample is not None:
            row["sample"] = sample
        assignments = ", ".join(f"{key} = ?" for key in row)
        if pages is None:
            self._execute(f"UPDATE documents SET {assignments} WHERE doc_id = ?", (*row.values(), doc.doc_id))
            return
        gone = vocabulary((self._extracted_title(doc.doc_id), *self.pages(doc.doc_id)))
        new = set(vocabulary((doc.title, *pages)) if words is None else words)
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"UPDATE documents SET {assignments} WHERE doc_id = ?", (*row.values(), doc.doc_id))
            conn.execute("DELETE FROM pages WHERE doc_id = ?", (doc.doc_id,))
            conn.executemany(
                "INSERT INTO pages (doc_id, page_no, text) VALUES (?, ?, ?)",
                ((doc.doc_id, number, text) for number, text in enumerate(pages, start=1)),
            )
            conn.executemany("UPDATE words SET df = df - 1 WHERE word = ?", ((word,) for word in gone - new))
            conn.execute("DELETE FROM words WHERE df <= 0")
            conn.executemany(
                "INSERT INTO words (word, df) VALUES (?, 1) ON CONFLICT(word) DO UPDATE SET df = df + 1",
                ((word,) for word in new - gone),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "the catalog") from err

    def set_edits(self, doc_id: str, values: Mapping[str, Any]) -> None:
        """Record curator values (None removes the curator's value for that field)."""
        self.get(doc_id)  # raises DocumentNotFoundError
        unknown = set(values) - set(EDITABLE_FIELDS)
        if unknown:
            raise KennisError(f"Cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE_FIELDS)}.")
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for field_name, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM edits WHERE doc_id = ? AND field = ?", (doc_id, field_name))
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO edits (doc_id, field, value, edited) VALUES (?, ?, ?, ?)",
                        (doc_id, field_name, json.dumps(value, ensure_ascii=False), utc_now()),
                    )
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "the catalog") from err

    def delete(self, doc_id: str) -> None:
        """Delete a document, its pages and edits from the catalog."""
        self.get(doc_id)  # raises DocumentNotFoundError
        # The vocabulary counted the extracted title, not a curator's.
        gone = vocabulary((self._extracted_title(doc_id), *self.pages(doc_id)))
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            conn.executemany("UPDATE words SET df = df - 1 WHERE word = ?", ((word,) for word in gone))
            conn.execute("DELETE FROM words WHERE df <= 0")
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "the catalog") from err

    def word_frequencies(self, words: list[str]) -> dict[str, int]:
        """The document frequency of each of these folded words (0 if unknown)."""
        marks = ", ".join("?" for _ in words)
        rows = self.connect().execute(f"SELECT word, df FROM words WHERE word IN ({marks})", words) if words else []
        found = {row[0]: row[1] for row in rows}
        return {word: found.get(word, 0) for word in words}

    def _extracted_title(self, doc_id: str) -> str:
        row = self.connect().execute("SELECT title FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return "" if row is None else str(row[0])

    def vocabulary(self) -> dict[str, int]:
        """Every folded word of the library with the number of documents it occurs in."""
        return {row[0]: row[1] for row in self.connect().execute("SELECT word, df FROM words")}

    def log(self, source: str, outcome: str, doc_id: str | None = None, message: str = "") -> None:
        """Append a line to the ingest log."""
        self._execute(
            "INSERT INTO ingest_log (at, source, outcome, doc_id, message) VALUES (?, ?, ?, ?, ?)",
            (utc_now(), source, outcome, doc_id, message),
        )

    def clean_summaries(self) -> int:
        """Clean the stored summaries that are not clean yet (`kenniskamer reindex`); return how many changed.

        Summaries are cleaned at ingest; this brings those of older versions up to date. A
        curator's summary (in the edits table) is left as the curator wrote it.
        """
        conn = self.connect()
        curated = {row[0] for row in conn.execute("SELECT doc_id FROM edits WHERE field = 'summary'")}
        changed = []
        for doc_id, summary in conn.execute("SELECT doc_id, summary FROM documents WHERE summary IS NOT NULL"):
            cleaned = clean_summary(summary) or None
            if cleaned != summary and doc_id not in curated:
                changed.append((cleaned, doc_id))
        if not changed:
            return 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("UPDATE documents SET summary = ? WHERE doc_id = ?", changed)
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "the catalog") from err
        return len(changed)

    def study_rules(self) -> dict[str, str]:
        """doc_id -> the rules its stored study profile was read with ("" for none yet)."""
        rows = self.connect().execute("SELECT doc_id, json_extract(study, '$.rules') FROM documents")
        return {row[0]: row[1] or "" for row in rows}

    def set_studies(self, profiles: Mapping[str, StudyProfile]) -> None:
        """Store study profiles read again (doc_id -> profile) in one transaction; the curator's values stay."""
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "UPDATE documents SET study = ? WHERE doc_id = ?",
                ((json.dumps(profile.stored(), ensure_ascii=False), doc_id) for doc_id, profile in profiles.items()),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "the catalog") from err

    def set_meta(self, key: str, value: str) -> None:
        """Store a small library-wide value (e.g. the digest watermark)."""
        self._execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _execute(self, sql: str, params: tuple[Any, ...]) -> None:
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, params)
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(err, "the catalog") from err

    # -- catalog: reads --------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value stored with set_meta, or None."""
        row = self.connect().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def get(self, doc_id: str, *, with_pages: bool = False) -> Document:
        """The document with this id (curator edits applied)."""
        conn = self.connect()
        row = conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise DocumentNotFoundError(f"No document with id {doc_id!r}. `kenniskamer list` shows the ids.")
        doc = self._document(row, self._edits([doc_id]).get(doc_id, {}))
        if with_pages:
            doc = replace(doc, pages=self.pages(doc_id))
        return doc

    def documents(self, *, order: str = "added", since: str | None = None) -> list[Document]:
        """Every document (edits applied), oldest first by ``added`` or by title."""
        sql = "SELECT * FROM documents"
        params: tuple[Any, ...] = ()
        if since:
            sql += " WHERE added >= ?"
            params = (since,)
        sql += " ORDER BY added, doc_id" if order == "added" else " ORDER BY title COLLATE NOCASE"
        rows = self.connect().execute(sql, params).fetchall()
        edits = self._edits()
        return [self._document(row, edits.get(row["doc_id"], {})) for row in rows]

    def doc_ids(self) -> set[str]:
        """The ids of every document in the catalog."""
        return {row[0] for row in self.connect().execute("SELECT doc_id FROM documents")}

    def count(self) -> int:
        """How many documents the catalog holds."""
        return int(self.connect().execute("SELECT count(*) FROM documents").fetchone()[0])

    def find_sha(self, sha256: str) -> str | None:
        """The id of the document with these exact bytes, if any."""
        row = self.connect().execute("SELECT doc_id FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else str(row["doc_id"])

    def hashes(self) -> dict[str, str]:
        """sha256 -> doc_id of every document, for duplicate checks."""
        return {row[0]: row[1] for row in self.connect().execute("SELECT sha256, doc_id FROM documents")}

    def samples(self) -> list[tuple[str, str, str, str]]:
        """(doc_id, title, content_key, sample) of every document, for near-duplicate checks."""
        rows = self.connect().execute("SELECT doc_id, title, content_key, sample FROM documents")
        return [(r["doc_id"], r["title"], r["content_key"], r["sample"]) for r in rows]

    def pages(self, doc_id: str) -> tuple[str, ...]:
        """The text of every page of a document, page 1 first."""
        rows = self.connect().execute("SELECT text FROM pages WHERE doc_id = ? ORDER BY page_no", (doc_id,))
        return tuple(row[0] for row in rows)

    def page_texts(self, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The text of the given (doc_id, page_no) pages, in one query."""
        if not wanted:
            return {}
        conn = self.connect()
        clause = " OR ".join("(doc_id = ? AND page_no = ?)" for _ in wanted)
        params = [value for pair in wanted for value in pair]
        rows = conn.execute(f"SELECT doc_id, page_no, text FROM pages WHERE {clause}", params)
        return {(row[0], row[1]): row[2] for row in rows}

    def ingest_log(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest ingest log lines, newest first."""
        rows = self.connect().execute("SELECT * FROM ingest_log ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(row) for row in rows]

    def _edits(self, doc_ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        conn = self.connect()
        if doc_ids is None:
            rows = conn.execute("SELECT doc_id, field, value FROM edits")
        else:
            marks = ", ".join("?" for _ in doc_ids)
            rows = conn.execute(f"SELECT doc_id, field, value FROM edits WHERE doc_id IN ({marks})", doc_ids)
        edits: dict[str, dict[str, Any]] = {}
        for row in rows:
            edits.setdefault(row["doc_id"], {})[row["field"]] = json.loads(row["value"])
        return edits

    def edits_of(self, doc_id: str) -> dict[str, Any]:
        """The curator values recorded for a document."""
        return self._edits([doc_id]).get(doc_id, {})

    def _document(self, row: sqlite3.Row, edits: Mapping[str, Any]) -> Document:
        # sqlite3.Row iterates over its values, so the column names need .keys()
        values = {key: row[key] for key in row.keys() if key != "sample"}  # noqa: SIM118
        for key in _JSON_COLUMNS:
            values[key] = json.loads(values[key])
        themes = tuple(ThemeMatch(t["id"], float(t["score"]), dict(t["evidence"])) for t in values["themes"])
        doc = Document(
            doc_id=values["doc_id"],
            title=values["title"],
            source=values["source"],
            filename=values["filename"],
            sha256=values["sha256"],
            mime=values["mime"],
            size=values["size"],
            added=values["added"],
            page_count=values["page_count"],
            authors=tuple(values["authors"]),
            date=values["date"],
            year=values["year"],
            publisher=values["publisher"],
            language=values["language"],
            doc_type=values["doc_type"],
            summary=values["summary"],
            themes=themes,
            study=StudyProfile.from_stored(values["study"]),
            provenance=dict(values["provenance"]),
            flags=tuple(values["flags"]),
            ocr=Ocr.from_stored(values["ocr"]),
            content_key=values["content_key"],
        )
        return with_edits(doc, edits)


def with_edits(doc: Document, edits: Mapping[str, Any]) -> Document:
    """The document with a curator's values (field -> value) in place of the extracted ones.

    The catalog reads every document through it; `add --dry-run` shows with it what the
    catalog would give. A theme the curator adds has no score or evidence.
    """
    if not edits:
        return doc
    values: dict[str, Any] = {}
    study: dict[str, Any] = {}
    provenance = dict(doc.provenance)
    for name, value in edits.items():
        provenance[name] = "curator"
        if name in STUDY_FIELDS:
            study[name] = value
        elif name == "themes":
            extracted = {match.theme_id: match for match in doc.themes}
            values["themes"] = tuple(extracted.get(theme_id, ThemeMatch(theme_id, 0.0, {})) for theme_id in value)
        elif name == "authors":
            values["authors"] = tuple(value)
        else:
            values[name] = value
    if study:
        values["study"] = doc.study.edited(study)
    if "date" in edits and "year" not in edits:
        values["year"] = year_of(edits["date"])
    return replace(doc, provenance=provenance, **values)


def extension_for(mime: str) -> str:
    """The file extension used for an original of this type."""
    return {PDF: "pdf", HTML: "html"}.get(mime, "bin")


def _row_from_document(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "sha256": doc.sha256,
        "source": doc.source,
        "filename": doc.filename,
        "mime": doc.mime,
        "size": doc.size,
        "added": doc.added,
        "title": doc.title,
        "authors": json.dumps(list(doc.authors), ensure_ascii=False),
        "date": doc.date,
        "year": doc.year,
        "publisher": doc.publisher,
        "language": doc.language,
        "doc_type": doc.doc_type,
        "summary": doc.summary,
        "themes": json.dumps(
            [{"id": m.theme_id, "score": m.score, "evidence": m.evidence} for m in doc.themes], ensure_ascii=False
        ),
        "study": json.dumps(doc.study.stored(), ensure_ascii=False),
        "provenance": json.dumps(doc.provenance, ensure_ascii=False),
        "flags": json.dumps(list(doc.flags)),
        "ocr": json.dumps(doc.ocr.stored() if doc.ocr else {}),
        "page_count": doc.page_count,
        "content_key": doc.content_key,
    }
