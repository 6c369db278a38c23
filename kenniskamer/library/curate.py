"""Curator operations on stored documents: the values a curator gives, edit and remove (catalog first, then index)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kenniskamer.errors import QueryError
from kenniskamer.index.write import updating
from kenniskamer.library.catalog import EDITABLE_FIELDS, Library
from kenniskamer.meaning.sync import remove_vectors, update_vectors
from kenniskamer.models import Document

STUDY_OPTIONS = {"kind": "kind", "methods": "method", "countries": "country", "groups": "group"}  # field -> its option
_OPTION_FIELDS = {"type": "doc_type", "author": "authors", "theme": "themes", **{option: field for field, option in STUDY_OPTIONS.items()}}


class CuratorValueError(QueryError):
    """A curator's value that is not known; ``option`` names where it was given (``method``)."""

    def __init__(self, message: str, option: str):
        super().__init__(message)
        self.option = option


def curator_values(given: Mapping[str, Any], *, clear: Sequence[str] = ()) -> dict[str, Any]:
    """The values a curator gave (empty ones left out), themes and study values as their ids (labels and case accepted).

    ``clear``: fields (or their options' names: ``type``, ``method``) whose curator value is
    dropped, as None. Raises KennisError for an unknown theme, CuratorValueError for an
    unknown study value or field.
    """
    from kenniskamer.themes import theme_ids

    values = dict(given)
    values["themes"] = theme_ids(values.get("themes") or ())
    values.update(_study_ids(values))
    result: dict[str, Any] = {}
    for key in EDITABLE_FIELDS:
        value = values.get(key)
        if value in (None, (), []):
            continue
        result[key] = list(value) if isinstance(value, tuple) else value
    for name in clear:
        name = _OPTION_FIELDS.get(name, name)
        if name not in EDITABLE_FIELDS:
            raise CuratorValueError(f"{name!r} is not a field; use one of {', '.join(EDITABLE_FIELDS)}.", "clear")
        result[name] = None
    return result


def _study_ids(values: Mapping[str, Any]) -> dict[str, Any]:
    from kenniskamer.search.query import resolve_study

    checked: dict[str, Any] = {}
    for key, option in STUDY_OPTIONS.items():
        given = values.get(key)
        if given in (None, (), []):
            continue
        try:
            if key == "kind":
                checked[key] = resolve_study(option, given, typed=repr(given))
            else:
                checked[key] = list(dict.fromkeys(resolve_study(option, value, typed=repr(value)) for value in given))
        except QueryError as err:
            raise CuratorValueError(str(err), option) from None
    return checked


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
            library.ocr_file(doc.sha256).unlink(missing_ok=True)
        library.log(doc.source, "removed", doc_id)
    return doc
