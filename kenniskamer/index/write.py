"""Writing the index: records of a document, adding and removing them, rebuilding from the catalog.

The index is derived data: everything in it can be rebuilt from the catalog with
:func:`rebuild_index`, and the catalog wins whenever the two disagree.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kenniskamer.errors import LibraryBusyError, StorageError
from kenniskamer.index.codec import PackedCodec
from kenniskamer.index.read import create_index, latest_generation, open_index
from kenniskamer.index.schema import text_suffix
from kenniskamer.library.catalog import Library
from kenniskamer.models import Document
from kenniskamer.startup import importing_whoosh
from kenniskamer.text.layout import MOSTLY_REFERENCES, reference_share, reference_spans

with importing_whoosh():
    from whoosh.writing import IndexWriter, LockError


@dataclass(frozen=True)
class Terms:
    """Index terms of a document worked out in advance, each text's terms joined by spaces.

    ``None`` for a part means "analyse the text when indexing" (e.g. a curator's title).
    """

    language: str | None  # the document language the terms were analysed for
    title: str | None = None
    summary: str | None = None
    pages: tuple[str, ...] | None = None  # one per page, page 1 first
    references: tuple[tuple[int, int] | None, ...] | None = None  # text.layout.reference_spans of the pages


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
        "kind": doc.study.kind or "",
        "method": ",".join(doc.study.methods),
        "country": ",".join(doc.study.countries),
        "group": ",".join(doc.study.groups),
        "added": doc.added,
        "date": doc.date or "",
    }
    if doc.year is not None:
        facets["year"] = doc.year
    authors = "; ".join(doc.authors)
    yield {
        **facets,
        "key": f"d:{doc.doc_id}",
        "record": "doc",
        "stamp": stamp(doc),
        "page": 0,
        f"title_{suffix}": doc.title if pre_title is None else pre_title,
        f"summary_{suffix}": (doc.summary or "") if pre_summary is None else pre_summary,
        "author": authors,
    }
    pages = tuple(pages)
    spans = terms.references if terms is not None and terms.references is not None else reference_spans(pages)
    for number, (text, span) in enumerate(zip(pages, spans), start=1):
        if text.strip():
            yield {
                **facets,
                "key": f"p:{doc.doc_id}:{number}",
                "record": "page",
                "page": number,
                "refs": int(reference_share(text, span) >= MOSTLY_REFERENCES),
                "refs_from": 0 if span is None else span[0] + 1,
                "refs_to": 0 if span is None or span[1] >= len(text) else span[1],
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
    """The codec every writer uses: posting blocks as packed arrays, without zlib (kenniskamer.index.codec).

    (Leaving out the per-block field-length statistics, ``length_stats = False``, would save
    another quarter of a commit, but looser block score bounds would slow top-N searches.)
    """
    return PackedCodec()


def stamp(doc: Document) -> str:
    """A short hash of everything the index holds about a document but its page text."""
    values = [doc.title, doc.authors, doc.summary, doc.theme_ids, doc.doc_type, doc.language, doc.year,
              doc.publisher, doc.added, doc.date, doc.page_count, doc.study.values()]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()[:16]


def rebuild_index(library: Library, *, on_item: Callable[[Document], None] | None = None, procs: int = 1) -> int:
    """Rebuild the index from the catalog alone (no PDF is read again); return the document count.

    The new index is built beside the old one and swapped in when complete, so
    searches keep working during the rebuild. Stored summaries are cleaned first, so a
    library from before summaries were cleaned at ingest shows clean ones after it.
    """
    library.clean_summaries()
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
