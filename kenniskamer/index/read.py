"""Creating and opening the index: its Whoosh schema, its schema version, its latest commit, and what it holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from kenniskamer.errors import IndexMissingError, SchemaVersionError, StorageError
from kenniskamer.index.analysis import analyzer_for
from kenniskamer.index.codec import PackedPositions
from kenniskamer.index.postings import column_values
from kenniskamer.index.schema import FIELDS, SCHEMA_VERSION, FieldSpec
from kenniskamer.library.catalog import Library
from kenniskamer.startup import importing_whoosh

with importing_whoosh():
    from whoosh import fields as wf
    from whoosh import index as wi
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex
    from whoosh.index import IndexError as WhooshIndexError
    from whoosh.reading import ReaderClosed, TermNotFound
    from whoosh.searching import Searcher



VERSION_FILE = "kenniskamer-schema.json"


def _check_version(index_dir: Path) -> None:
    try:
        version = json.loads((index_dir / VERSION_FILE).read_text())["version"]
    except (OSError, ValueError, KeyError, TypeError):
        version = None
    if version != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"The index in {index_dir} was written by another version of kenniskamer "
            f"(schema {version}, this version uses {SCHEMA_VERSION}). Run `kenniskamer reindex`."
        )


def open_index(library: Library, *, create: bool = False) -> FileIndex:
    """Open the library's index; with ``create``, make an empty one if there is none."""
    index_dir = library.index_dir
    if latest_generation(index_dir) < 0:  # from the file names; wi.exists_in would read the commit once more
        if create:
            return create_index(index_dir)
        raise IndexMissingError(
            f"No index in {index_dir}. Run `kenniskamer reindex --library {library.root}` to build it "
            "from the catalog, or add documents first."
        )
    _check_version(index_dir)
    return _storage(index_dir).open_index()


def _storage(index_dir: Path) -> FileStorage:
    """The index folder as Whoosh storage, without memory maps.

    With them, Whoosh opens a compound segment by copying each of its files out of
    the map into memory (``BufferFile`` wraps it in a ``BytesIO``): a searcher on a
    10,000-document index took 3.5 s and 3.5 GB. Plain reads take 75 ms and 30 MB.
    """
    return FileStorage(str(index_dir), supports_mmap=False)


def indexed_stamps(library: Library) -> dict[str, str]:
    """doc_id -> stamp of every document that has a doc record in the index."""
    ix = open_index(library)
    try:
        with ix.searcher() as searcher:
            return {fields["doc_id"]: fields.get("stamp", "") for fields in searcher.documents(record="doc")}
    finally:
        ix.close()


def latest_generation(index_dir: Path) -> int:
    """The number of the index's latest commit (Whoosh's newest TOC file); -1 without one.

    Read from the file names alone, so it works for an index of another schema version too.
    """
    try:
        return int(wi.TOC._latest_generation(_storage(index_dir), wi._DEF_INDEX_NAME))
    except OSError:  # no index folder
        return -1


def create_index(index_dir: Path, *, generation: int = 0) -> FileIndex:
    """Create an empty index (with its schema version) in ``index_dir``, its commits numbered from ``generation``."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        ix = _storage(index_dir).create_index(build_schema())
        if generation > 0:
            wi.TOC(ix.schema, [], generation).write(ix.storage, ix.indexname)
        (index_dir / VERSION_FILE).write_text(json.dumps({"version": SCHEMA_VERSION}))
    except OSError as err:
        raise StorageError(f"Could not create the index in {index_dir}: {err}.") from err
    return ix


def _whoosh_field(spec: FieldSpec) -> Any:
    if spec.kind == "id":
        return wf.ID(stored=spec.stored, unique=spec.name == "key", sortable=spec.sortable)
    if spec.kind == "keyword":
        return wf.KEYWORD(stored=spec.stored, commas=True, scorable=False)
    if spec.kind == "number":
        return wf.NUMERIC(int, bits=32, stored=spec.stored, sortable=spec.sortable, signed=False)
    assert spec.language is not None
    language = "other" if spec.language == "name" else spec.language
    field = wf.TEXT(analyzer=analyzer_for(language), stored=False, phrase=True)
    field.format = PackedPositions(field_boost=field.format.field_boost)
    return field


def build_schema() -> wf.Schema:
    """The Whoosh schema made from :data:`kenniskamer.schema.FIELDS`."""
    return wf.Schema(**{spec.name: _whoosh_field(spec) for spec in FIELDS})


class CommitUnavailable(Exception):
    """No searcher could be opened on the newest commit just now (a writer was swapping files)."""


class Snapshot:
    """One commit of the index as one thread reads it: what the search engine needs, in plain values.

    Whoosh searchers are not safe to share between threads, so each thread holds its own
    snapshot; what depends only on the commit (the posting arrays) is shared through a
    :class:`~kenniskamer.index.postings.PostingCache` the caller keeps per commit.
    """

    def __init__(self, searcher: Searcher):
        self.searcher = searcher

    @property
    def generation(self) -> int:
        """The commit this snapshot reads; -1 for an index without documents (Whoosh says None)."""
        generation = self.searcher.reader().generation()
        return -1 if generation is None else int(generation)

    @property
    def record_count(self) -> int:
        """How many records the commit holds, deleted ones included (record numbers run below it)."""
        return int(self.searcher.reader().doc_count_all())

    def doc_records(self) -> Iterator[dict[str, Any]]:
        """The stored fields of every document's doc record (not its page records)."""
        for docnum in self.searcher.document_numbers(record="doc"):
            yield self.searcher.stored_fields(docnum)

    def column(self, fieldname: str) -> list[Any]:
        """Every record's value of a column field, in record order."""
        return column_values(self.searcher, fieldname)

    def live_records(self) -> np.ndarray | None:
        """The record numbers not deleted, or None when nothing is deleted."""
        reader = self.searcher.reader()
        if not reader.has_deletions():
            return None
        return np.fromiter(reader.all_doc_ids(), dtype=np.int64)

    def has_term(self, fieldname: str, text: str) -> bool:
        """True if the term occurs in the field at all."""
        # Membership stops at the first segment that has the term and reads no term info
        # (doc_frequency decodes the info in every segment).
        return (fieldname, text) in self.searcher.reader()

    def key_terms(self, fieldname: str, text: str, count: int) -> list[tuple[str, float]]:
        """The terms of ``text`` that best tell it apart in this index, with their weights ("more like this")."""
        return [(str(term), float(weight)) for term, weight in self.searcher.key_terms_from_text(fieldname, text, numterms=count)]

    def close(self) -> None:
        """Release the commit's files."""
        self.searcher.close()


class OpenIndex:
    """A library's index, open for reading: snapshots of its newest commit."""

    def __init__(self, library: Library):
        self._index = open_index(library)

    def snapshot(self) -> Snapshot:
        """A snapshot of the newest commit; CommitUnavailable if a writer is swapping files at this moment."""
        try:
            return Snapshot(self._index.searcher())
        except (OSError, EOFError, ValueError, ReaderClosed, TermNotFound, WhooshIndexError) as err:
            # (WhooshIndexError: no commit at all, e.g. for the instant `reindex` swaps folders)
            raise CommitUnavailable(str(err)) from err

    def latest_generation(self) -> int:
        """The number of the newest commit on disk."""
        return int(self._index.latest_generation())
