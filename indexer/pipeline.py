"""The one place that knows the order of the stages: fetch -> extract -> enrich -> dedupe -> store.

Worker processes, each file with a time and memory limit, fetch, extract and enrich a file
and prepare it for storage: its text is folded once, and the content key, the sample for
near-duplicate checks, the vocabulary and the index terms all come from that. So a
decompression bomb or a looping file fails that file only, and the parent process is left
with the writes: for each document, in this order, the original (atomic rename), the
catalog row (one transaction) and the index (one writer, committed every few seconds and
at the end). A crash between catalog and index is repaired at the start of the next write.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import queue
import resource
import signal
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any

from indexer.dedupe import KnownDocuments, content_key_of, page_words, sample_of
from indexer.fetch import expand_locations, fetch
from kenniskamer.errors import KennisError, StorageError
from kenniskamer.index.analysis import analyze_words
from kenniskamer.index.schema import text_suffix
from kenniskamer.index.write import IndexUpdater, Terms, rebuild_index, updating
from kenniskamer.library import Library, utc_now
from kenniskamer.library.catalog import extension_for, year_of
from kenniskamer.library.check import sync_index
from kenniskamer.models import FLAG_NEEDS_OCR, Document, Fetched, ThemeMatch
from kenniskamer.text.prose import words as folded_words
from kenniskamer.themes import Theme

COMMIT_SECONDS = 4.0  # a batch's new documents become searchable at least this often
IDLE_COMMIT_SECONDS = 2.0  # ... and sooner when the parent has nothing else to do
QUEUE_DEPTH = 2  # tasks handed to a worker at once, so it never waits for the parent
WAITING_LIMIT = 16  # finished files held back while an earlier one is still being read
MAX_RESTARTS = 3  # workers in a row that end before starting a task: then the task fails
WORKER_NICENESS = 4  # workers yield the CPU to the parent, which does the serial part (the writes)
VOCABULARY_LENGTHS = (3, 30)  # as kenniskamer.text.vocabulary
MIN_KEY_WORDS = 20  # documents with fewer words get no content key

NEEDS_OCR_MESSAGE = (
    "no text layer, needs OCR: stored with its metadata and flagged; run OCR on it (e.g. `ocrmypdf in.pdf out.pdf`) "
    "and add the result to make its text searchable"
)


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


@dataclass(frozen=True)
class Prepared:
    """A file ready to store: the document and everything derived from its folded text."""

    fetched: Fetched
    doc: Document  # with its content key
    pages: tuple[str, ...]
    sample: str  # the text sample near-duplicate checks compare
    vocabulary: str  # the distinct folded words for "did you mean", space-separated
    terms: Terms  # the index terms, analysed for the document's language


def process(fetched: Fetched, themes: Sequence[Theme], *, password: str | None, added: str) -> tuple[Document, tuple[str, ...]]:
    """Extract and enrich one fetched file: the CPU-heavy part, run in a worker."""
    # Imported here: the parent never extracts, so it starts the workers before these
    # imports, and the workers take them (about a second) in parallel.
    from indexer.enrich import enrich
    from indexer.extract import extract

    extracted = extract(fetched, password=password)
    doc = enrich(fetched, extracted, themes, added=added)
    return doc, extracted.pages


def prepare(fetched: Fetched, themes: Sequence[Theme], *, password: str | None, added: str) -> Prepared:
    """Extract and enrich a file, then fold its text once for the key, sample, vocabulary and index terms."""
    doc, pages = process(fetched, themes, password=password, added=added)
    per_page = page_words(pages)
    language = text_suffix(doc.language)
    title_words = folded_words(doc.title)
    low, high = VOCABULARY_LENGTHS
    vocabulary = {w for page in (title_words, *per_page) for w in page if low <= len(w) <= high and not w.isdigit()}
    terms = Terms(
        language=doc.language,
        title=" ".join(analyze_words(title_words, language)),
        summary=" ".join(analyze_words(folded_words(doc.summary or ""), language)),
        pages=tuple(" ".join(analyze_words(page, language)) for page in per_page),
    )
    # Too little text to tell works apart (scans, blank forms): no key, no near-duplicate check.
    key = content_key_of(per_page) if sum(len(page) for page in per_page) >= MIN_KEY_WORDS else ""
    return Prepared(
        fetched=fetched,
        doc=replace(doc, content_key=key),
        pages=pages,
        sample=sample_of(per_page) if key else "",
        vocabulary=" ".join(sorted(vocabulary)),
        terms=terms,
    )


@dataclass(frozen=True)
class _Setup:
    """What every worker is started with."""

    themes: tuple[Theme, ...] | None  # None: the worker loads data/themes.toml
    password: str | None
    allow_private: bool
    memory_mb: int
    known_hashes: frozenset[str]  # files with these bytes are duplicates: not worth extracting


def _limit_memory(extra_mb: int) -> None:
    """Cap this process's address space at its current size plus ``extra_mb``."""
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        current = 0
    limit = current + extra_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the parent dies (even by kill -9), so it releases the library."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker ends when its task pipe closes
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _quiet() -> None:
    """Parsers log and warn about every oddity of a damaged file, and C libraries (pdfium, OpenBLAS)
    print to stderr; the curator gets one line per file instead. KENNISKAMER_WORKER_STDERR=1 keeps it."""
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    if not os.environ.get("KENNISKAMER_WORKER_STDERR"):
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)


def _warm_up() -> None:
    """Import the extractors and load the language model (about a second, in each worker at once)."""
    from indexer import enrich, extract  # noqa: F401

    enrich.detect_language("warm up the language model with a few words of text")


def _worker_main(
    tasks: multiprocessing.connection.Connection,
    results: multiprocessing.connection.Connection,
    setup: _Setup,
    parent: int,
    inherited: Sequence[multiprocessing.connection.Connection],
) -> None:
    _die_with_parent(parent)
    for conn in inherited:  # other workers' pipes: keep them from seeing this process as a reader/writer
        conn.close()
    os.nice(WORKER_NICENESS)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # numpy (language model) in each worker: one thread is plenty
    _quiet()
    _warm_up()  # before the first task, so its time limit counts reading the file only
    if setup.themes is None:
        from kenniskamer.themes import load_themes

        setup = replace(setup, themes=load_themes())
    _limit_memory(setup.memory_mb)
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        seq, location, added, keep = task
        results.send((seq, "start", None))
        exhausted = False
        try:
            outcome = _work(location, setup, added, keep)
        except MemoryError:
            exhausted = True
            outcome = ("error", f"Reading the file needed more than the {setup.memory_mb} MB memory limit; it may be damaged or a decompression bomb.")
        try:
            results.send((seq, *outcome))
        except MemoryError:
            exhausted = True
            results.send((seq, "error", "The extracted text is too large to transfer; the file may be damaged."))
        if exhausted:  # a process that ran out of memory may be left in a bad state: the parent starts another
            return


def _work(location: str, setup: _Setup, added: str, keep: tuple[str, str] | None) -> tuple[str, Any]:
    """One task: ("ok", Prepared), ("duplicate", sha256) or ("error", message).

    ``keep``: the (source, filename) to keep when an original is read again.
    """
    try:
        fetched = fetch(location, allow_private=setup.allow_private)
        if keep is not None:
            fetched = replace(fetched, source=keep[0], filename=keep[1])
        if setup.known_hashes:
            sha256 = hashlib.sha256(fetched.data).hexdigest()
            if sha256 in setup.known_hashes:
                return "duplicate", sha256
        return "ok", prepare(fetched, setup.themes or (), password=setup.password, added=added)
    except KennisError as err:
        return "error", str(err)
    except MemoryError:
        raise
    except Exception as err:  # a bug or a library failure on hostile input: report it, keep going
        where = traceback.extract_tb(err.__traceback__)[-1]
        return "error", f"Could not read the file ({type(err).__name__}: {err} at {where.name}); it may be damaged."


class _Worker:
    """One extraction process, the tasks it holds (the first one running) and a thread reading its results."""

    def __init__(self, context: Any, setup: _Setup, on_message: Callable[[_Worker, Any], None], others: Sequence[_Worker]):
        tasks_reader, self.tasks = context.Pipe(duplex=False)
        self.results, results_writer = context.Pipe(duplex=False)
        inherited = [conn for other in others for conn in (other.tasks, other.results)]
        self.process = context.Process(
            target=_worker_main, args=(tasks_reader, results_writer, setup, os.getpid(), inherited), daemon=True
        )
        self.process.start()
        tasks_reader.close()
        results_writer.close()
        self.queue: deque[tuple[int, str]] = deque()  # (seq, location), in the order sent
        self.started: float | None = None  # when the first queued task started
        self.killed: tuple[int, str] | None = None  # (seq, reason) if the parent killed it
        self.reader = threading.Thread(target=self._read, args=(on_message,), daemon=True)
        self.reader.start()

    def _read(self, on_message: Callable[[_Worker, Any], None]) -> None:
        while True:
            try:
                message = self.results.recv()
            except Exception:  # EOF, or a message cut off by the worker's death
                on_message(self, None)
                return
            on_message(self, message)

    def send(self, seq: int, location: str, added: str, keep: tuple[str, str] | None) -> None:
        self.queue.append((seq, location))
        # A worker that just ended (out of memory) closed its end: the reader thread reports
        # its end, and the task, not started, goes to the next worker.
        with contextlib.suppress(OSError):
            self.tasks.send((seq, location, added, keep))

    def kill(self, reason: str) -> None:
        if self.queue and self.killed is None:
            self.killed = (self.queue[0][0], reason)
        self.process.kill()

    def stop(self) -> None:
        if self.queue:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.tasks.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.tasks.close()
        if self.reader is not threading.current_thread():
            self.reader.join(timeout=5)
        self.results.close()


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    # fork starts a worker in milliseconds and shares the loaded theme rules and models.
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


CRASHED = "Reading the file crashed its worker (it may be damaged or a decompression bomb); skipped."


class _Pool:
    """Worker processes with the files handed to them; started before the parent's own preparations.

    Each worker's reader thread hands the worker its next file as soon as a result comes in,
    so workers keep reading while the parent stores documents or commits the index. The
    parent's main thread takes the results in order, restarts workers that ended, and
    enforces the time limit. ``lock`` guards the task queues shared by these threads.
    """

    def __init__(
        self,
        locations: Sequence[str],
        setup: _Setup,
        options: AddOptions,
        *,
        keep: dict[str, tuple[str, str, str]] | None = None,
    ):
        self.setup, self.options = setup, options
        self.keep = keep or {}  # location -> (source, filename, added) of an original read again
        self.context = _context()
        self.lock = threading.Lock()
        self.events: queue.Queue[tuple[_Worker, tuple[int, str, str, Any] | None]] = queue.Queue()
        self.pending = deque(enumerate(locations))
        self.finished: dict[int, tuple[str, str, Any]] = {}  # seq -> result, until the ones before it are in
        self.next_seq = 0
        self.restarts = 0  # workers that ended between tasks, in a row
        self.workers: list[_Worker] = []
        with self.lock:
            for _ in range(min(max(1, options.jobs), len(locations))):
                self.workers.append(_Worker(self.context, setup, self._on_message, self.workers))
            self._top_up()

    @property
    def draining(self) -> bool:
        """True when every file has been handed to a worker: the batch is about to end."""
        return not self.pending

    def _top_up(self) -> None:
        """Hand out files to workers with room (the caller holds the lock)."""
        for worker in self.workers:
            while (
                self.pending
                and len(worker.queue) < QUEUE_DEPTH
                and worker.killed is None
                and (len(self.finished) + self.events.qsize() < WAITING_LIMIT or self.pending[0][0] == self.next_seq)
            ):
                seq, location = self.pending.popleft()
                kept = self.keep.get(location)
                if kept is None:
                    worker.send(seq, location, self.options.clock(), None)
                else:
                    worker.send(seq, location, kept[2], (kept[0], kept[1]))

    def _on_message(self, worker: _Worker, message: Any) -> None:
        """A worker's message, in its reader thread: note it, pass results on, hand out the next file."""
        with self.lock:
            if worker not in self.workers:
                return
            if message is None:  # the process ended: the main thread replaces it
                self.events.put((worker, None))
                return
            seq, status, payload = message
            if status == "start":
                worker.started = time.monotonic()
                return
            head, location = worker.queue.popleft()
            assert head == seq, (head, seq)
            worker.started = None
            self.restarts = 0
            self.events.put((worker, (seq, location, status, payload)))
            self._top_up()

    def results(self, *, idle: Callable[[], None] | None = None) -> Iterator[tuple[str, str, Any]]:
        """Yield (location, status, payload) for every location, in the order given.

        status is "ok" (payload: Prepared), "duplicate" (payload: sha256) or "error" (payload: message).
        Files are read in parallel, but handed over in order: which of two copies in one batch is
        added, and the order of the report, do not depend on which worker was faster. ``idle`` is
        called when nothing has come in for a moment.
        """
        for seq, location, status, payload in self._finishing(idle):
            with self.lock:
                self.finished[seq] = (location, status, payload)
            while True:
                with self.lock:
                    if self.next_seq not in self.finished:
                        break
                    item = self.finished.pop(self.next_seq)
                    self.next_seq += 1
                    self._top_up()
                yield item

    def _finishing(self, idle: Callable[[], None] | None) -> Iterator[tuple[int, str, str, Any]]:
        """(seq, location, status, payload) as workers finish, in any order."""
        while True:
            with self.lock:
                self._top_up()
                if not any(worker.queue for worker in self.workers) and self.events.empty():
                    return
            try:
                worker, result = self.events.get(timeout=self._wait())
            except queue.Empty:
                worker, result = None, None
                if idle is not None:
                    idle()
            if worker is not None:
                if result is None:
                    yield from self._replace(worker)
                else:
                    yield result
            now, limit = time.monotonic(), self.options.timeout
            with self.lock:  # so that the task killed for is the one that ran over
                for worker in self.workers:
                    if worker.started is not None and worker.killed is None and now - worker.started > limit:
                        worker.kill(f"Reading the file took longer than {limit:g} s (it may be damaged or hostile); skipped.")

    def _wait(self) -> float:
        """Seconds until the earliest time limit of a running task (at most a quarter second)."""
        now = time.monotonic()
        deadlines = [w.started + self.options.timeout for w in self.workers if w.started is not None and w.killed is None]
        return max(0.0, min([now + 0.25, *deadlines]) - now)

    def _replace(self, worker: _Worker) -> Iterator[tuple[int, str, str, Any]]:
        """A worker ended: the task it was on failed, its other tasks go back; start another worker."""
        worker.stop()
        failed = None
        with self.lock:
            if worker.queue:
                seq, location = worker.queue.popleft()
                if worker.killed is not None and worker.killed[0] == seq:
                    failed = (seq, location, "error", worker.killed[1])
                elif worker.killed is None and (worker.started is not None or self.restarts >= MAX_RESTARTS):
                    failed = (seq, location, "error", CRASHED)
                else:  # it had not started this one (or was killed for one that had just finished)
                    self.pending.appendleft((seq, location))
                    self.restarts += 1
            self.pending.extendleft(reversed(worker.queue))
            worker.queue.clear()
            others = [w for w in self.workers if w is not worker]
            self.workers[self.workers.index(worker)] = _Worker(self.context, self.setup, self._on_message, others)
        if failed is not None:
            yield failed

    def close(self) -> None:
        """Stop every worker (killing those still busy)."""
        with self.lock:
            workers = list(self.workers)
            self.workers = []  # messages still coming in are ignored
        for worker in workers:
            worker.stop()


# -- the parent side -------------------------------------------------------------------


class _IndexSession:
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
        if self._stack is not None:
            stack, self._stack, self._updater = self._stack, None, None
            stack.__exit__(type(err), err, err.__traceback__)


def _terms_for(stored: Document, extracted: Document, terms: Terms) -> Terms | None:
    """The worker's index terms, without the parts a curator's value replaced."""
    if text_suffix(stored.language) != text_suffix(extracted.language):
        return None
    return replace(
        terms,
        title=terms.title if stored.title == extracted.title else None,
        summary=terms.summary if stored.summary == extracted.summary else None,
    )


def run(
    library: Library | None,
    locations: Iterable[str],
    options: AddOptions,
    *,
    themes: Sequence[Theme] | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
) -> Report:
    """Add every file, folder (recursively) and URL; a bad one becomes a failed item and the run goes on.

    ``library`` may be None for a dry run without a library (no duplicate check against it).
    """
    targets = list(expand_locations(locations, pattern=options.pattern))
    if library is None and not options.dry_run:
        raise ValueError("a library is needed unless dry_run is set")
    with library.writing() if library is not None else ExitStack():
        return _run(library, targets, options, themes=themes, on_item=on_item)


def _run(
    library: Library | None,
    locations: Sequence[str],
    options: AddOptions,
    *,
    themes: Sequence[Theme] | None,
    on_item: Callable[[ItemResult], None] | None,
) -> Report:
    started = time.monotonic()
    report = Report()
    hashes = library.hashes() if library else {}
    setup = _Setup(
        themes=None if themes is None else tuple(themes),
        password=options.password,
        allow_private=options.allow_private,
        memory_mb=options.memory_mb,
        known_hashes=frozenset(hashes),
    )
    writing = library is not None and not options.dry_run
    pool = _Pool(locations, setup, options)  # the workers start on the first files right away
    index = _IndexSession(library) if writing and library is not None else None

    def finish(item: ItemResult, *, logged: bool = False) -> None:
        report.items.append(item)
        if writing and not logged:
            assert library is not None
            library.log(item.location, item.outcome, item.doc.doc_id if item.doc else item.existing_id, item.message)
        if on_item:
            on_item(item)

    try:
        if writing and library is not None:
            sync_index(library)  # repair what an interrupted earlier run left, before adding to it
        known = KnownDocuments.of(library.samples() if library else ())
        idle = (lambda: index.commit_if_due(idle=True, ending=pool.draining)) if index is not None else None
        for location, status, payload in pool.results(idle=idle):
            if status == "error":
                finish(ItemResult(location, "failed", payload))
            elif status == "duplicate":
                existing = hashes.get(payload) or payload[:12]
                finish(ItemResult(location, "duplicate", f"already in the library as {existing}", existing_id=existing))
            else:
                _add_one(library, location, payload, options, known, hashes, index, finish)
            if index is not None:
                index.commit_if_due(ending=pool.draining)
        if index is not None:
            index.commit()
    except BaseException as err:
        # What reached the catalog is added; keep its index records if the index can take them.
        if index is not None:
            try:
                index.commit()
            except Exception:
                index.cancel(err)
        raise
    finally:
        pool.close()
        report.seconds = time.monotonic() - started
    return report


def _add_one(
    library: Library | None,
    location: str,
    prepared: Prepared,
    options: AddOptions,
    known: KnownDocuments,
    hashes: dict[str, str],
    index: _IndexSession | None,
    finish: Callable[..., None],
) -> None:
    """Dedupe one prepared file, then store it: original, catalog row, index."""
    doc = prepared.doc
    existing = hashes.get(doc.sha256) or (library.find_sha(doc.sha256) if library else None)
    if existing:
        finish(ItemResult(location, "duplicate", f"already in the library as {existing}", existing_id=existing))
        return
    near = None if options.allow_duplicate else known.find(doc.title, doc.content_key, prepared.sample)
    if near:
        message = (
            f"looks like {near.doc_id} ({near.title[:60]}; {near.similarity:.0%} the same text); "
            "add it with --allow-duplicate if it is another work"
        )
        finish(ItemResult(location, "near-duplicate", message, doc=doc, existing_id=near.doc_id, similarity=near.similarity))
        return
    message = NEEDS_OCR_MESSAGE if FLAG_NEEDS_OCR in doc.flags else ""
    if options.dry_run or library is None:
        hashes[doc.sha256] = doc.doc_id
        known.add(doc.doc_id, doc.title, doc.content_key, prepared.sample)
        finish(ItemResult(location, "would-add", message, doc=_with_overrides(doc, options.overrides)))
        return
    assert index is not None
    try:
        library.store_original(prepared.fetched.data, doc.sha256, extension_for(doc.mime))
        library.insert(
            doc,
            prepared.pages,
            sample=prepared.sample,
            edits=options.overrides,
            words=prepared.vocabulary.split(),
            log=(location, message),
        )
    except StorageError as err:
        finish(ItemResult(location, "failed", str(err)))
        raise
    hashes[doc.sha256] = doc.doc_id
    known.add(doc.doc_id, doc.title, doc.content_key, prepared.sample)
    stored = library.get(doc.doc_id)
    index.add(stored, prepared.pages, _terms_for(stored, doc, prepared.terms))
    finish(ItemResult(location, "added", message, doc=stored), logged=True)


def reextract(
    library: Library,
    options: AddOptions,
    *,
    doc_ids: Sequence[str] = (),
    themes: Sequence[Theme] | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
) -> Report:
    """Read stored originals again (e.g. after the extractors improved) and replace each document's
    extracted metadata and text; the curator's values stay. Then rebuild the index from the catalog.

    Items end as "updated" or "failed" (the document keeps what it had).
    """
    started = time.monotonic()
    report = Report()
    with library.writing():
        docs = [library.get(doc_id) for doc_id in doc_ids] if doc_ids else library.documents()
        by_path = {str(library.original_of(doc)): doc for doc in docs}
        keep = {path: (doc.source, doc.filename, doc.added) for path, doc in by_path.items()}
        setup = _Setup(
            themes=None if themes is None else tuple(themes), password=options.password, allow_private=False,
            memory_mb=options.memory_mb, known_hashes=frozenset(),
        )
        pool = _Pool(list(by_path), setup, options, keep=keep)
        try:
            for location, status, payload in pool.results():
                doc = by_path[location]
                if status == "ok" and payload.doc.sha256 != doc.sha256:
                    status, payload = "error", "The original changed on disk; run `kenniskamer check`."
                if status != "ok":
                    item = ItemResult(doc.source, "failed", f"{doc.doc_id} keeps what it had: {payload}", existing_id=doc.doc_id)
                else:
                    fresh = replace(payload.doc, doc_id=doc.doc_id)
                    library.update_extracted(fresh, payload.pages, sample=payload.sample, words=payload.vocabulary.split())
                    item = ItemResult(doc.source, "updated", doc=library.get(doc.doc_id), existing_id=doc.doc_id)
                report.items.append(item)
                if on_item:
                    on_item(item)
        finally:
            pool.close()
        rebuild_index(library)
    report.seconds = time.monotonic() - started
    return report


def _with_overrides(doc: Document, overrides: dict[str, Any]) -> Document:
    """What the catalog would give for ``doc`` with the curator's values (for --dry-run)."""
    if not overrides:
        return doc
    values: dict[str, Any] = {}
    provenance = dict(doc.provenance)
    for name, value in overrides.items():
        provenance[name] = "curator"
        if name == "themes":
            extracted = {match.theme_id: match for match in doc.themes}
            values["themes"] = tuple(extracted.get(theme_id, ThemeMatch(theme_id, 0.0, {})) for theme_id in value)
        elif name == "authors":
            values["authors"] = tuple(value)
        else:
            values[name] = value
    if "date" in overrides and "year" not in overrides:
        values["year"] = year_of(overrides["date"])
    return replace(doc, provenance=provenance, **values)
