"""A search engine that lives across writes (the web site's) follows every commit, and survives a failed refresh.

Both found by bench/soak.py (issue 7): a reindex started the commit numbers again at 1, so
threads stayed on the old index or took another commit's table; and a thread whose
``Searcher.refresh()`` failed once (a writer merged a segment away) failed every search after.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest

import kenniskamer.search.engine as search_module
from kenniskamer.index.write import rebuild_index
from kenniskamer.library import Library
from kenniskamer.library.curate import edit_document
from kenniskamer.search import SearchEngine, SearchQuery


class _Thread:
    """A long-lived thread that runs the engine's searches, as a waitress worker does."""

    def __init__(self, engine: SearchEngine):
        self.engine = engine
        self.asked: queue.Queue[str] = queue.Queue()
        self.answers: queue.Queue[object] = queue.Queue()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            text = self.asked.get()
            try:
                page = self.engine.search(SearchQuery(text, expand=False, page_size=50))
                self.answers.put(sorted(hit.doc.doc_id for hit in page.hits))
            except Exception as err:  # the answer the test looks at
                self.answers.put(err)

    def search(self, text: str) -> object:
        self.asked.put(text)
        return self.answers.get(timeout=60)


def test_threads_follow_commits_across_a_reindex(writable_sample: Path, monkeypatch) -> None:
    monkeypatch.setattr(search_module, "FRESHNESS_SECONDS", 0.0)  # look for a new commit at every search
    library = Library.open(writable_sample)
    first, second = sorted(library.doc_ids())[:2]
    engine = SearchEngine(Library.open(writable_sample))
    one, two = _Thread(engine), _Thread(engine)
    with library.writing():
        rebuild_index(library)  # a new index
    assert one.search("titel:zzuniek") == two.search("titel:zzuniek") == []
    edit_document(library, first, {"title": "Zzuniek een"})
    assert one.search("titel:zzuniek") == [first]
    with library.writing():
        rebuild_index(library)  # another new index
    edit_document(library, second, {"title": "Zzuniek twee"})
    expected = sorted([first, second])
    assert two.search("titel:zzuniek") == expected  # not another index's table of the same commit number
    assert one.search("titel:zzuniek") == expected  # not the first index, the edit unseen


def test_a_refresh_that_fails_once_does_not_break_the_thread(writable_sample: Path, monkeypatch) -> None:
    import whoosh.reading

    monkeypatch.setattr(search_module, "FRESHNESS_SECONDS", 0.0)
    library = Library.open(writable_sample)
    engine = SearchEngine(Library.open(writable_sample))
    query = SearchQuery("polarisatie", page_size=5)
    before = engine.search(query).total
    edit_document(library, sorted(library.doc_ids())[0], {"year": 2001})  # a new commit to refresh to
    opening = whoosh.reading.SegmentReader.__init__
    failures = iter([FileNotFoundError("a segment file a writer has just merged away")])

    def flaky(self, *args, **kwargs):  # the first segment opened fails, as in a race with a writer
        failure = next(failures, None)
        if failure is not None:
            raise failure
        opening(self, *args, **kwargs)

    monkeypatch.setattr(whoosh.reading.SegmentReader, "__init__", flaky)
    for _ in range(3):  # Whoosh retries; at worst one search may fail, never every later one
        try:
            total = engine.search(query).total
        except Exception:
            continue
        break
    else:
        pytest.fail("every search failed after one failed refresh")
    assert total == before
    assert engine.search(query).total == before


def test_a_moment_without_an_index_folder_keeps_the_old_searcher(writable_sample: Path, monkeypatch) -> None:
    """`reindex` renames the old index away before it moves the new one in: a search in that
    instant answers from the searcher it has, not with an error."""
    monkeypatch.setattr(search_module, "FRESHNESS_SECONDS", 0.0)
    library = Library.open(writable_sample)
    engine = SearchEngine(library)
    query = SearchQuery("polarisatie", page_size=5)
    before = [hit.doc.doc_id for hit in engine.search(query).hits]
    library.index_dir.rename(writable_sample / "index.old")
    try:
        assert [hit.doc.doc_id for hit in engine.search(query).hits] == before
    finally:
        (writable_sample / "index.old").rename(library.index_dir)
    assert [hit.doc.doc_id for hit in engine.search(query).hits] == before
    engine.close()
