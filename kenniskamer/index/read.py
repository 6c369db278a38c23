"""Creating and opening the index: its Whoosh schema, its schema version, its latest commit, and what it holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kenniskamer.errors import IndexMissingError, SchemaVersionError, StorageError
from kenniskamer.index.analysis import analyzer_for
from kenniskamer.index.codec import PackedPositions, importing_whoosh
from kenniskamer.index.schema import FIELDS, SCHEMA_VERSION, FieldSpec
from kenniskamer.library.catalog import Library

with importing_whoosh():
    from whoosh import fields as wf
    from whoosh import index as wi
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex



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
            return {fields["doc_id"]: fields.get("stamp", "") for fields in searcher.documents(kind="doc")}
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
