"""Storing a batch: one index writer kept open and committed every few seconds, and what the catalog would hold."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace

from kenniskamer.index.schema import text_suffix
from kenniskamer.index.write import IndexUpdater, Terms, updating
from kenniskamer.library import Library
from kenniskamer.models import Document

COMMIT_SECONDS = 4.0  # a batch's new documents become searchable at least this often
IDLE_COMMIT_SECONDS = 2.0  # ... and sooner when the parent has nothing else to do


class IndexSession:
    """Keeps an index writer open across a batch and commits it every few seconds."""

    def __init__(self, library: Library):
        self.library = library
        self._stack: ExitStack | None = None
        self._updater: IndexUpdater | None = None
        self._since = time.monotonic()
        self._ending = False  # every file of the batch has been handed out

    def add(self, doc: Document, pages: Sequence[str], terms: Terms | None) -> None:
        """Index a new document: the batch began in step with the catalog, so it has no records yet."""
        if self._updater is None:
            self._stack = ExitStack()
            self._updater = self._stack.enter_context(updating(self.library))
            self._since = time.monotonic()
        self._updater.add(doc, pages, terms=terms, replace=False)

    def commit_if_due(self, *, idle: bool = False, ending: bool = False) -> None:
        """Commit what is pending if it has waited long enough: less long if the parent is idle.

        ``ending``: every file has been handed out. Then commit once at once, and whenever
        idle, so the last commit (which nothing overlaps) holds only the last few files.
        """
        if self._updater is None:
            return
        waited = time.monotonic() - self._since
        first_of_the_end = ending and not self._ending
        self._ending = self._ending or ending
        if waited > COMMIT_SECONDS or first_of_the_end or idle and (ending or waited > IDLE_COMMIT_SECONDS):
            self.commit(merge=False)

    def commit(self, *, merge: bool = True) -> None:
        """Commit (a new segment; ``merge`` lets Whoosh merge small segments, done once per batch)."""
        if self._stack is not None and self._updater is not None:
            self._updater.merge = merge
            stack, self._stack, self._updater = self._stack, None, None
            stack.close()

    def cancel(self, err: BaseException) -> None:
        """Drop what is pending, handing ``err`` to the writer so it cleans up."""
        if self._stack is not None:
            stack, self._stack, self._updater = self._stack, None, None
            stack.__exit__(type(err), err, err.__traceback__)


def terms_for(stored: Document, extracted: Document, terms: Terms) -> Terms | None:
    """The worker's index terms, without the parts a curator's value replaced."""
    if text_suffix(stored.language) != text_suffix(extracted.language):
        return None
    return replace(
        terms,
        title=terms.title if stored.title == extracted.title else None,
        summary=terms.summary if stored.summary == extracted.summary else None,
    )

