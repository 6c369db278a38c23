"""The Whoosh index: analyzers, schema, writing and rebuilding from the catalog.

The index is derived data: everything in it can be rebuilt from the catalog with
:func:`rebuild_index`, and the catalog wins whenever the two disagree.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kenniskamer.codec import PackedCodec, PackedPositions, importing_whoosh
from kenniskamer.errors import IndexMissingError, LibraryBusyError, SchemaVersionError, StorageError
from kenniskamer.library import Library
from kenniskamer.models import Document
from kenniskamer.schema import FIELDS, SCHEMA_VERSION, FieldSpec, text_suffix
from kenniskamer.text import fold, reference_pages

with importing_whoosh():
    from whoosh import fields as wf
    from whoosh import index as wi
    from whoosh.analysis import Analyzer, RegexTokenizer, StemFilter, StopFilter
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex
    from whoosh.lang import stemmer_for_language, stopwords_for_language
    from whoosh.writing import IndexWriter, LockError

VERSION_FILE = "kenniskamer-schema.json"
TOKEN_PATTERN = r"\w+"


class FoldingTokenizer(RegexTokenizer):
    """Splits folded text (lower case, no accents) into words: one fold per text, not per token."""

    def __call__(self, value: str, **kwargs: Any) -> Any:
        return super().__call__(fold(value), **kwargs)


@cache
def analyzer_for(language: str) -> Analyzer:
    """The analyzer of a text field: accent and case folding, plus stop words and stemming for en/nl."""
    base = FoldingTokenizer(TOKEN_PATTERN)
    if language in ("en", "nl"):
        return base | StopFilter(stoplist=stopwords(language), minsize=2) | StemFilter(lang=language, cachesize=200_000)
    return base


@cache
def stopwords(language: str) -> frozenset[str]:
    """The folded stop words of a language (empty for languages without a list)."""
    if language not in ("en", "nl"):
        return frozenset()
    return frozenset(fold(word) for word in stopwords_for_language(language))


def analyze(text: str, language: str) -> list[str]:
    """The index terms a text turns into under a field language's analyzer."""
    return [token.text for token in analyzer_for(language)(text)]


_STEMS: dict[str, dict[str, str]] = {}  # per language: folded word -> stem, for analyze_words


def analyze_words(words: Sequence[str], language: str) -> list[str]:
    """The index terms of already folded words (``text.words(text)``): what :func:`analyze` gives for the text.

    Lets an extraction worker analyse a document once, beside everything else it derives
    from the folded words, so the process that writes the index only adds terms.
    """
    language = "other" if language == "name" else language
    if language not in ("en", "nl"):
        return list(words)
    _tokenizer, stop, stemmer = analyzer_for(language).items
    stops, minsize = stop.stops | stemmer.ignore, stop.min
    stem_word = stemmer_for_language(stemmer.lang) if stemmer.lang else stemmer.stemfn
    stems = _STEMS.setdefault(language, {})
    if len(stems) > 500_000:
        stems.clear()
    terms = []
    for word in words:
        if len(word) < minsize or word in stops:
            continue
        term = stems.get(word)
        if term is None:
            term = stems[word] = stem_word(word)
        terms.append(term)
    return terms


@dataclass(frozen=True)
class Terms:
    """Index terms of a document worked out in advance, each text's terms joined by spaces.

    ``None`` for a part means "analyse the text when indexing" (e.g. a curator's title).
    """

    language: str | None  # the document language the terms were analysed for
    title: str | None = None
    summary: str | None = None
    pages: tuple[str, ...] | None = None  # one per page, page 1 first


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


def records_for(doc: Document, pages: Iterable[str], *, terms: Terms | None = None) -> Iterator[dict[str, Any]]:
    """The index records of a document: one doc record and one per page with text.

    With ``terms`` (analysed for the document's language), text fields get those terms
    instead of text to analyse: Whoosh indexes a list of strings as given.
    """
    suffix = text_suffix(doc.language)
    if terms is not None and text_suffix(terms.language) != suffix:
        terms = None
    pre_title = terms.title.split() if terms is not None and terms.title is not None else None
    pre_summary = terms.summary.split() if terms is not None and terms.summary is not None else None
    pre_pages = terms.pages if terms is not None else None
    facets: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "theme": ",".join(doc.theme_ids),
        "type": doc.doc_type or "",
        "language": doc.language or "",
        "publisher": doc.publisher or "",
        "added": doc.added,
        "date": doc.date or "",
    }
    if doc.year is not None:
        facets["year"] = doc.year
    authors = "; ".join(doc.authors)
    yield {
        **facets,
        "key": f"d:{doc.doc_id}",
        "kind": "doc",
        "stamp": stamp(doc),
        "page": 0,
        f"title_{suffix}": doc.title if pre_title is None else pre_title,
        f"summary_{suffix}": (doc.summary or "") if pre_summary is None else pre_summary,
        "author": authors,
    }
    pages = tuple(pages)
    references = reference_pages(pages)
    for number, text in enumerate(pages, start=1):
        if text.strip():
            yield {
                **facets,
                "key": f"p:{doc.doc_id}:{number}",
                "kind": "page",
                "page": number,
                "refs": int(number in references),
                f"title_{suffix}": doc.title if pre_title is None else pre_title,
                f"body_{suffix}": text if pre_pages is None else pre_pages[number - 1].split(),
                "author": authors,
            }


class IndexUpdater:
    """Adds and removes documents in one open Whoosh writer; commit or cancel at the end."""

    def __init__(self, writer: IndexWriter):
        self._writer = writer
        self.pending = 0
        self.merge = True  # False: commit as a new segment without merging small ones (cheaper, for batches)

    def add(self, doc: Document, pages: Iterable[str], *, terms: Terms | None = None, replace: bool = True) -> None:
        """Index a document, replacing any earlier records of it (``replace=False``: it has none)."""
        if replace:
            self._writer.delete_by_term("doc_id", doc.doc_id)
        for record in records_for(doc, pages, terms=terms):
            self._writer.add_document(**record)
        self.pending += 1

    def remove(self, doc_id: str) -> None:
        """Remove every record of a document."""
        self._writer.delete_by_term("doc_id", doc_id)
        self.pending += 1


@contextmanager
def updating(library: Library, *, procs: int = 1) -> Iterator[IndexUpdater]:
    """An index writer that commits when the block ends and cancels if it raises."""
    ix = open_index(library, create=True)
    try:
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=256, codec=_codec())
        else:
            writer = ix.writer(timeout=10.0, limitmb=128, codec=_codec())
    except LockError as err:
        raise LibraryBusyError(
            f"The index of {library.root} is being written by another process. Wait and try again."
        ) from err
    updater = IndexUpdater(writer)
    try:
        yield updater
    except BaseException:
        writer.cancel()
        raise
    try:
        writer.commit(merge=updater.merge)
    except OSError as err:
        raise StorageError(f"Could not write the index: {err}. Free some disk space, then run `kenniskamer check --repair`.") from err
    finally:
        ix.close()


def _codec() -> Any:
    """The codec every writer uses: posting blocks as packed arrays, without zlib (kenniskamer.codec).

    (Leaving out the per-block field-length statistics, ``length_stats = False``, would save
    another quarter of a commit, but looser block score bounds would slow top-N searches.)
    """
    return PackedCodec()


def stamp(doc: Document) -> str:
    """A short hash of everything the index holds about a document but its page text."""
    values = [doc.title, doc.authors, doc.summary, doc.theme_ids, doc.doc_type, doc.language, doc.year,
              doc.publisher, doc.added, doc.date, doc.page_count]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()[:16]


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


def rebuild_index(library: Library, *, on_item: Callable[[Document], None] | None = None, procs: int = 1) -> int:
    """Rebuild the index from the catalog alone (no PDF is read again); return the document count.

    The new index is built beside the old one and swapped in when complete, so
    searches keep working during the rebuild.
    """
    fresh = library.root / "index.new"
    shutil.rmtree(fresh, ignore_errors=True)
    # Commit numbers go on from the old index's, so a running search engine, which
    # tells commits apart by their number, sees the swap as one more commit.
    ix = create_index(fresh, generation=latest_generation(library.index_dir) + 1)
    options: dict[str, Any] = {"procs": procs, "multisegment": True} if procs > 1 else {}
    writer = ix.writer(limitmb=256, codec=_codec(), **options)
    count = 0
    try:
        for doc in library.documents():
            for record in records_for(doc, library.pages(doc.doc_id)):
                writer.add_document(**record)
            count += 1
            if on_item:
                on_item(doc)
    except BaseException:
        writer.cancel()
        ix.close()
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    writer.commit()
    ix.close()
    old = library.root / "index.old"
    shutil.rmtree(old, ignore_errors=True)
    if library.index_dir.exists():
        library.index_dir.rename(old)
    fresh.rename(library.index_dir)
    shutil.rmtree(old, ignore_errors=True)
    return count
