"""Errors a user can act on; ``str(err)`` is shown to them as-is."""

from __future__ import annotations


class KennisError(Exception):
    """A problem the user can fix; str(err) is shown to them as-is."""

    http_status = 500


class QueryError(KennisError):
    """The search query cannot be understood."""

    http_status = 400


class OptionsError(KennisError):
    """Options that do not go together (a usage error: exit status 2 on the command line)."""

    http_status = 400


class DocumentNotFoundError(KennisError):
    """No document has the given id."""

    http_status = 404


class IndexMissingError(KennisError):
    """The library has no (usable) index yet."""

    http_status = 503


class SchemaVersionError(IndexMissingError):
    """The index was written by another version of kenniskamer."""


class LibraryBusyError(KennisError):
    """Another process holds the library's write lock."""

    http_status = 503


class ExtractionError(KennisError):
    """A file or page could not be turned into text and metadata."""

    http_status = 422


class UnsupportedTypeError(ExtractionError):
    """The bytes are of a type kenniskamer cannot ingest."""


class FetchError(KennisError):
    """A path or URL could not be read."""

    http_status = 422


class DuplicateError(KennisError):
    """The document is already in the library."""

    http_status = 409

    def __init__(self, message: str, existing_id: str, similarity: float = 1.0):
        super().__init__(message)
        self.existing_id = existing_id
        self.similarity = similarity


class StorageError(KennisError):
    """The library could not be written (disk full, permissions, ...)."""
