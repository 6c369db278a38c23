"""Curator operations on stored documents: edit and remove, catalog first, then index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kenniskamer.index.write import updating
from kenniskamer.library.catalog import Library
from kenniskamer.meaning.sync import remove_vectors, update_vectors
from kenniskamer.models import Document


def edit_document(library: Library, doc_id: str, values: Mapping[str, Any]) -> Document:
    """Record curator values (None clears one) and update the index; return the document."""
    with library.writing():
        library.set_edits(doc_id, values)
        doc = library.get(doc_id)
        with updating(library) as index:
            index.add(doc, library.pages(doc_id))
        update_vectors(library, [doc_id])  # a new title or summary: the document's vector is encoded again
    return doc


def edited_themes(
    library: Library, doc_id: str, *, base: Sequence[str] | None = None, add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> list[str]:
    """The themes after adding and removing some: from ``base``, or else the document's current themes."""
    themes = list(base or library.get(doc_id).theme_ids)
    themes += [theme for theme in add if theme not in themes]
    return [theme for theme in themes if theme not in set(remove)]


def remove_document(library: Library, doc_id: str, *, keep_original: bool = False) -> Document:
    """Remove a document: catalog (the source of truth) first, then index and vectors, then the original and its OCR text.

    A crash between the steps leaves at most an index record, an original file or OCR text
    without a catalog row, which `kenniskamer check --repair` removes.
    """
    with library.writing():
        doc = library.get(doc_id)
        library.delete(doc_id)
        with updating(library) as index:
            index.remove(doc_id)
        remove_vectors(library, doc_id)
        if not keep_original and library.find_sha(doc.sha256) is None:
            library.original_of(doc).unlink(missing_ok=True)
            if (ocr := library.ocr_files().get(doc.sha256)) is not None:
                ocr.unlink(missing_ok=True)
        library.log(doc.source, "removed", doc_id)
    return doc
