"""Curator operations on stored documents: edit and remove, catalog first, then index."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kenniskamer.index.write import updating
from kenniskamer.library.catalog import Library
from kenniskamer.models import Document


def edit_document(library: Library, doc_id: str, values: Mapping[str, Any]) -> Document:
    """Record curator values (None clears one) and update the index; return the document."""
    with library.writing():
        library.set_edits(doc_id, values)
        doc = library.get(doc_id)
        with updating(library) as index:
            index.add(doc, library.pages(doc_id))
    return doc


def remove_document(library: Library, doc_id: str, *, keep_original: bool = False) -> Document:
    """Remove a document: catalog (the source of truth) first, then index, then the original.

    A crash between the steps leaves at most an index record or an original file
    without a catalog row, which `kenniskamer check --repair` removes.
    """
    with library.writing():
        doc = library.get(doc_id)
        library.delete(doc_id)
        with updating(library) as index:
            index.remove(doc_id)
        if not keep_original and library.find_sha(doc.sha256) is None:
            library.original_of(doc).unlink(missing_ok=True)
        library.log(doc.source, "removed", doc_id)
    return doc
