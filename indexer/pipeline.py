"""The one place that knows the order of the stages: fetch -> extract -> enrich -> dedupe -> store.

Extraction and enrichment run in worker processes with a time and memory limit, so a
decompression bomb or a looping file fails that file only. The parent process fetches,
checks for duplicates and writes, one document at a time: original, catalog row, index.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import resource
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any

from indexer.dedupe import content_key, find_near_duplicate, text_sample
from indexer.enrich import enrich
from indexer.extract import extract
from indexer.fetch import expand_locations, fetch
from kenniskamer.check import sync_index
from kenniskamer.errors import KennisError, StorageError
from kenniskamer.index import IndexUpdater, updating
from kenniskamer.library import Library, extension_for, utc_now
from kenniskamer.models import Document, Fetched
from kenniskamer.taxonomy import Theme, load_themes

COMMIT_EVERY = 25  # documents between index commits during a batch
COMMIT_SECONDS = 5.0  # or seconds, whichever comes first


@dataclass(frozen=True)
class AddOptions:
    """How a batch is added."""

    password: str | None = None
    allow_duplicate: bool = False
    allow_private: bool = False
    dry_run: bool = False
    pattern: str = "*"  # which files to take from folders
    overrides: dict[str, Any] = field(default_factory=dict)  # curator values for every document
    jobs: int = max(1, os.cpu_count() or 1)
    timeout: float = 120.0  # seconds of extraction per file
    memory_mb: int = 2048  # extra address space a worker may use per file
    clock: Callable[[], str] = utc_now  # the ingest time; tests set it


@dataclass(frozen=True)
class ItemResult:
    """What happened to one location."""

    location: str
    outcome: str  # "added", "would-add", "duplicate", "near-duplicate", "failed"
    message: str = ""
    doc: Document | None = None
    existing_id: str | None = None
    similarity: float | None = None

    @property
    def ok(self) -> bool:
        """True unless the item failed."""
        return self.outcome != "failed"


@dataclass
class Report:
    """The outcome of a batch."""

    items: list[ItemResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, *outcomes: str) -> int:
        """How many items ended in one of these outcomes."""
        return sum(1 for item in self.items if item.outcome in outcomes)

    @property
    def pages(self) -> int:
        """Pages of the documents added (or that would be added)."""
        return sum(item.doc.page_count for item in self.items if item.doc and item.outcome in ("added", "would-add"))

    @property
    def failed(self) -> bool:
        """True if any item failed."""
        return any(not item.ok for item in self.items)

    def summary(self) -> str:
        """One line: added, duplicates, failed, pages, seconds."""
        added = self.count("added", "would-add")
        verb = "would add" if self.count("would-add") else "added"
        return (
            f"{verb} {added}, duplicates {self.count('duplicate', 'near-duplicate')}, "
            f"failed {self.count('failed')}, pages {self.pages}, {self.seconds:.1f} s"
        )


# -- the worker side ----------------------------------------------------------------


def _limit_memory(extra_mb: int) -> None:
    """Cap this process's address space at its current size plus ``extra_mb``."""
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        current = 0
    limit = current + extra_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def process(fetched: Fetched, themes: Sequence[Theme], *, password: str | None, added: str) -> tuple[Document, tuple[str, ...]]:
    """Extract and enrich one fetched file: the CPU-heavy part, run in a worker."""
    extracted = extract(fetched, password=password)
    doc = enrich(fetched, extracted, themes, added=added)
    return doc, extracted.pages


def _worker(conn: multiprocessing.connection.Connection, themes: Sequence[Theme], memory_mb: int) -> None:
    _limit_memory(memory_mb)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        fetched, password, added = task
        try:
            result: tuple[str, Any] = ("ok", process(fetched, themes, password=password, added=added))
        except KennisError as err:
            result = ("error", str(err))
        except MemoryError:
            result = ("error", f"Reading the file needed more than the {memory_mb} MB memory limit; it may be damaged or a decompression bomb.")
        except Exception as err:  # a bug or a library failure on hostile input: report it, keep going
            where = traceback.extract_tb(err.__traceback__)[-1]
            result = ("error", f"Could not read the file ({type(err).__name__}: {err} at {where.name}); it may be damaged.")
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("error", "The extracted text is too large to transfer; the file may be damaged."))


class _Worker:
    """One extraction process and the task it is working on."""

    def __init__(self, context: Any, themes: Sequence[Theme], memory_mb: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, themes, memory_mb), daemon=True)
        self.process.start()
        child.close()
        self.task: tuple[str, Fetched] | None = None
        self.started = 0.0

    def send(self, location: str, fetched: Fetched, password: str | None, added: str) -> None:
        self.task = (location, fetched)
        self.started = time.monotonic()
        self.conn.send((fetched, password, added))

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    # fork starts a worker in milliseconds and shares the loaded theme rules.
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _extract_all(
    locations: Iterable[str], themes: Sequence[Theme], options: AddOptions
) -> Iterator[tuple[str, Fetched | None, tuple[Document, tuple[str, ...]] | str]]:
    """Yield (location, fetched, (doc, pages) or error message) as workers finish, in any order."""
    context = _context()
    pending = iter(locations)
    workers = [_Worker(context, themes, options.memory_mb) for _ in range(max(1, options.jobs))]
    exhausted = False
    try:
        while True:
            for worker in workers:
                while worker.task is None and not exhausted:
                    location = next(pending, None)
                    if location is None:
                        exhausted = True
                        break
                    try:
                        fetched = fetch(location, allow_private=options.allow_private)
                    except KennisError as err:
                        yield location, None, str(err)
                        continue
                    worker.send(location, fetched, options.password, options.clock())
            busy = [worker for worker in workers if worker.task is not None]
            if not busy:
                return
            ready = multiprocessing.connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.5)
            now = time.monotonic()
            for index, worker in enumerate(workers):
                if worker.task is None:
                    continue
                location, fetched = worker.task
                outcome: tuple[Document, tuple[str, ...]] | str | None = None
                if worker.conn in ready:
                    try:
                        status, payload = worker.conn.recv()
                        outcome = payload
                    except (EOFError, OSError):
                        outcome = None
                if outcome is None and (worker.process.sentinel in ready or not worker.process.is_alive()):
                    outcome = "Reading the file crashed its worker (it may be damaged or a decompression bomb); skipped."
                elif outcome is None and now - worker.started > options.timeout:
                    outcome = f"Reading the file took longer than {options.timeout:.0f} s (it may be damaged or hostile); skipped."
                if outcome is None:
                    continue
                dead = isinstance(outcome, str) and not (worker.conn in ready and worker.process.is_alive())
                worker.task = None
                if dead:
                    worker.stop(kill=True)
                    workers[index] = _Worker(context, themes, options.memory_mb)
                yield location, fetched, outcome
    finally:
        for worker in workers:
            worker.stop(kill=worker.task is not None)


# -- the parent side -------------------------------------------------------------------


class _IndexSession:
    """Keeps an index writer open across a batch and commits it every few documents."""

    def __init__(self, library: Library):
        self.library = library
        self._stack: ExitStack | None = None
        self._updater: IndexUpdater | None = None
        self._since = time.monotonic()

    def add(self, doc: Document, pages: Sequence[str]) -> None:
        if self._updater is None:
            self._stack = ExitStack()
            self._updater = self._stack.enter_context(updating(self.library))
            self._since = time.monotonic()
        self._updater.add(doc, pages)
        if self._updater.pending >= COMMIT_EVERY or time.monotonic() - self._since > COMMIT_SECONDS:
            self.commit()

    def commit(self) -> None:
        if self._stack is not None:
            stack, self._stack, self._updater = self._stack, None, None
            stack.close()

    def cancel(self, err: BaseException) -> None:
        if self._stack is not None:
            stack, self._stack, self._updater = self._stack, None, None
            stack.__exit__(type(err), err, err.__traceback__)


def _store(library: Library, doc: Document, pages: tuple[str, ...], data: bytes, options: AddOptions) -> Document:
    """Original (atomic) -> catalog row with the curator's values (one transaction)."""
    library.store_original(data, doc.sha256, extension_for(doc.mime))
    library.insert(doc, pages, sample=text_sample(pages), edits=options.overrides)
    return library.get(doc.doc_id)


def run(
    library: Library,
    locations: Iterable[str],
    options: AddOptions,
    *,
    themes: Sequence[Theme] | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
) -> Report:
    """Add every file, folder (recursively) and URL; a bad one becomes a failed item and the run goes on."""
    locations = expand_locations(locations, pattern=options.pattern)
    with library.writing():
        if not options.dry_run:
            sync_index(library)
        return _run(library, locations, options, themes=load_themes() if themes is None else themes, on_item=on_item)


def _run(
    library: Library,
    locations: Iterable[str],
    options: AddOptions,
    *,
    themes: Sequence[Theme],
    on_item: Callable[[ItemResult], None] | None,
) -> Report:
    started = time.monotonic()
    report = Report()
    known = library.samples()
    index = _IndexSession(library)

    def finish(item: ItemResult) -> None:
        report.items.append(item)
        if not options.dry_run:
            library.log(item.location, item.outcome, item.doc.doc_id if item.doc else item.existing_id, item.message)
        if on_item:
            on_item(item)

    try:
        for location, fetched, outcome in _extract_all(locations, themes, options):
            if isinstance(outcome, str):
                finish(ItemResult(location, "failed", outcome))
                continue
            assert fetched is not None
            doc, pages = outcome
            existing = library.find_sha(doc.sha256)
            if existing:
                finish(ItemResult(location, "duplicate", f"already in the library as {existing}", existing_id=existing))
                continue
            key, sample = content_key(pages), text_sample(pages)
            doc = replace(doc, content_key=key)
            near = None if options.allow_duplicate else find_near_duplicate(doc.title, key, sample, known)
            if near:
                message = (
                    f"looks like {near.doc_id} ({near.title[:60]}; {near.similarity:.0%} the same text); "
                    "add it with --allow-duplicate if it is another work"
                )
                finish(ItemResult(location, "near-duplicate", message, doc=doc, existing_id=near.doc_id, similarity=near.similarity))
                continue
            if options.dry_run:
                finish(ItemResult(location, "would-add", doc=doc))
                known.append((doc.doc_id, doc.title, key, sample))
                continue
            try:
                stored = _store(library, doc, pages, fetched.data, options)
            except StorageError as err:
                finish(ItemResult(location, "failed", str(err)))
                raise
            known.append((doc.doc_id, doc.title, key, sample))
            index.add(stored, pages)
            finish(ItemResult(location, "added", doc=stored))
        index.commit()
    except BaseException as err:
        # What reached the catalog is added; keep its index records if the index can take them.
        try:
            index.commit()
        except Exception:
            index.cancel(err)
        raise
    finally:
        report.seconds = time.monotonic() - started
    return report
