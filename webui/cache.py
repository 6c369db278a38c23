"""Rendered pages kept in memory until the library changes.

A search costs 10-80 ms of Python on the topical library and rendering it another 10-20;
the same few hundred URLs (a theme, a popular query, page 2) come back again and again.
Keeping the rendered bytes of a GET, keyed by path, query string and interface language,
and dropping them all when the index or catalog files change on disk, lets the site
answer a repeated request in about a millisecond and still see new documents at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from kenniskamer.library import Library


class PageCache:
    """A bounded LRU of rendered responses for one library, cleared when it changes on disk."""

    def __init__(self, library_root: Path, *, size: int = 512, settle: float = 0.0):
        self.size = size
        self.settle = settle  # seconds after a change during which nothing is stored
        self._library = Library(library_root)  # not opened: only its change stamp is read
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._generation: tuple[int, ...] | None = None
        self._rendering: dict[Hashable, threading.Event] = {}
        self._changed_at = float("-inf")
        self.hits = self.misses = 0

    def generation(self) -> tuple[int, ...]:
        """The library's change stamp (Library.change_stamp): a new commit changes it."""
        return self._library.change_stamp()

    def get(self, key: Hashable) -> Any:
        """The stored value for ``key``, or None (also after the library changed)."""
        if self.size <= 0:
            return None
        generation = self.generation()
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                if self._generation is not None:
                    self._changed_at = time.monotonic()
                self._generation = generation
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def get_or_wait(self, key: Hashable, *, timeout: float = 30.0) -> Any:
        """The stored value; on a miss, wait while another thread renders the same key.

        Returns None when the caller should render (it then must call ``done``): the
        same page asked by many clients at once is rendered once, not by each of them.
        """
        while True:
            value = self.get(key)
            if value is not None or self.size <= 0:
                return value
            with self._lock:
                event = self._rendering.get(key)
                if event is None:
                    self._rendering[key] = threading.Event()
                    return None
            if not event.wait(timeout):
                return None

    def done(self, key: Hashable) -> None:
        """The render of ``key`` is over (stored or not): wake those waiting for it."""
        with self._lock:
            event = self._rendering.pop(key, None)
        if event is not None:
            event.set()

    def put(self, key: Hashable, value: Any, generation: tuple[int, ...]) -> None:
        """Keep ``value`` if the library is still at ``generation`` (taken before rendering).

        Right after a change nothing is kept for ``settle`` seconds: the search engine
        looks for a new commit only about once a second, so a page rendered then may
        still show the old index.
        """
        if self.size <= 0:
            return
        with self._lock:
            if generation != self._generation or time.monotonic() - self._changed_at < self.settle:
                return
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
