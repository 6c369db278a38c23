"""Worker processes that read files: a time and memory limit per file, restarted when they crash.

Hand-made, not pebble's ProcessPool (5.2): its workers share one task pipe behind a lock, and a
worker killed while holding it stalls the pool (pebble #163), which our limits do on purpose; it
has no per-worker queue depth, no start event, no way for a worker to end itself after answering
(out of memory), and fails every task when workers die between tasks (we fail one, after MAX_RESTARTS).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import queue
import resource
import signal
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kenniskamer.index.write import Terms
from kenniskamer.meaning.vectors import DocumentVectors
from kenniskamer.models import Document, Fetched
from kenniskamer.startup import one_blas_thread

QUEUE_DEPTH = 2  # tasks handed to a worker at once, so it never waits for the parent
WAITING_LIMIT = 16  # finished files held back while an earlier one is still being read
MAX_RESTARTS = 3  # workers in a row that end before starting a task: then the task fails
WORKER_NICENESS = 4  # workers yield the CPU to the parent, which does the serial part (the writes)


# -- what goes between the processes ---------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One file for a worker: where it is, its ingest time, and the (source, filename) to keep, if read again."""

    seq: int
    location: str
    added: str
    keep: tuple[str, str] | None = None


@dataclass(frozen=True)
class Prepared:
    """A file ready to store: the document and everything derived from its folded text."""

    fetched: Fetched
    doc: Document  # with its content key
    pages: tuple[str, ...]
    sample: str  # the text sample near-duplicate checks compare
    vocabulary: str  # the distinct folded words for "did you mean", space-separated
    terms: Terms  # the index terms, analysed for the document's language
    vectors: DocumentVectors | None = None  # for search by meaning; None with meaning off


@dataclass(frozen=True)
class Duplicate:
    """The file's bytes are already in the library: not worth extracting."""

    sha256: str


@dataclass(frozen=True)
class Failed:
    """The file could not be read; ``message`` is shown to the curator."""

    message: str


@dataclass(frozen=True)
class OutOfMemory:
    """Reading the file ran into the worker's memory limit."""

    limit_mb: int

    @property
    def message(self) -> str:
        """The line shown to the curator."""
        return f"Reading the file needed more than the {self.limit_mb} MB memory limit; it may be damaged or a decompression bomb."


@dataclass(frozen=True)
class TimedOut:
    """Reading the file took longer than the time limit: the parent killed its worker."""

    limit: float  # seconds

    @property
    def message(self) -> str:
        """The line shown to the curator."""
        return f"Reading the file took longer than {self.limit:g} s (it may be damaged or hostile); skipped."


@dataclass(frozen=True)
class Crashed:
    """The worker ended while reading the file (or before it could start, MAX_RESTARTS times)."""

    @property
    def message(self) -> str:
        """The line shown to the curator."""
        return "Reading the file crashed its worker (it may be damaged or a decompression bomb); skipped."


Failure = Failed | OutOfMemory | TimedOut | Crashed
Outcome = Prepared | Duplicate | Failure


@dataclass(frozen=True)
class Started:
    """A worker began a task: its time limit runs from now."""

    seq: int


@dataclass(frozen=True)
class Progress:
    """A worker is reading a long file page by page (OCR): how far it is; its time limit runs from now again."""

    seq: int
    location: str
    done: int  # pages read so far
    total: int  # pages to read
    seconds: float  # the time the next step may take, if longer than the file's time limit


@dataclass(frozen=True)
class Finished:
    """A task's outcome, sent by the worker (or made by the parent when the worker ended)."""

    seq: int
    location: str
    outcome: Outcome


class Reader(Protocol):
    """What a worker runs: set up once (in the worker, before any limit), then called per task."""

    def warm_up(self) -> Reader:
        """Load what every task needs; return the reader to use."""

    def __call__(self, task: Task, progress: Callable[[int, int, float], None]) -> Prepared | Duplicate | Failed:
        """Read one file; ``progress(done, total, seconds)`` reports pages read one by one and restarts its clock."""


# -- the worker side -------------------------------------------------------------------


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


def _worker_main(
    tasks: multiprocessing.connection.Connection,
    results: multiprocessing.connection.Connection,
    reader: Reader,
    memory_mb: int,
    parent: int,
    inherited: Sequence[multiprocessing.connection.Connection],
) -> None:
    """A worker's life: set up, then read tasks until the pipe closes, a None comes, or memory ran out."""
    _die_with_parent(parent)
    for conn in inherited:  # other workers' pipes: keep them from seeing this process as a reader/writer
        conn.close()
    os.nice(WORKER_NICENESS)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # numpy (language model, encoder) in each worker: one thread is plenty
    one_blas_thread()  # ... and numpy, imported before the fork, has already started its threads
    _quiet()
    reader = reader.warm_up()  # before the first task, so its time limit counts reading the file only
    _limit_memory(memory_mb)
    while True:
        try:
            task: Task | None = tasks.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        results.send(Started(task.seq))
        exhausted = False
        outcome: Outcome

        def progress(done: int, total: int, seconds: float, task: Task = task) -> None:
            results.send(Progress(task.seq, task.location, done, total, seconds))

        try:
            outcome = reader(task, progress)
        except MemoryError:
            exhausted = True
            outcome = OutOfMemory(memory_mb)
        try:
            results.send(Finished(task.seq, task.location, outcome))
        except MemoryError:
            exhausted = True
            too_large = Failed("The extracted text is too large to transfer; the file may be damaged.")
            results.send(Finished(task.seq, task.location, too_large))
        if exhausted:  # a process that ran out of memory may be left in a bad state: the parent starts another
            return


# -- the parent side -------------------------------------------------------------------

Message = Started | Progress | Finished | None  # None: the worker's pipe closed (it ended)


class _Worker:
    """One worker process, the tasks it holds (the first one running) and a thread reading its messages."""

    def __init__(
        self,
        context: Any,
        reader: Reader,
        memory_mb: int,
        on_message: Callable[[_Worker, Message], None],
        others: Sequence[_Worker],
    ):
        tasks_reader, self.tasks = context.Pipe(duplex=False)
        self.results, results_writer = context.Pipe(duplex=False)
        inherited = [conn for other in others for conn in (other.tasks, other.results)]
        self.process = context.Process(
            target=_worker_main,
            args=(tasks_reader, results_writer, reader, memory_mb, os.getpid(), inherited),
            daemon=True,
        )
        self.process.start()
        tasks_reader.close()
        results_writer.close()
        self.queue: deque[tuple[int, str]] = deque()  # (seq, location), in the order sent
        self.deadline: float | None = None  # when the running task (the first queued) runs out of time
        self.killed: tuple[int, TimedOut] | None = None  # (seq, why) if the parent killed it
        self.reader = threading.Thread(target=self._read, args=(on_message,), daemon=True)
        self.reader.start()

    def _read(self, on_message: Callable[[_Worker, Message], None]) -> None:
        while True:
            try:
                message = self.results.recv()
            except Exception:  # EOF, or a message cut off by the worker's death
                on_message(self, None)
                return
            on_message(self, message)

    def send(self, task: Task) -> None:
        """Queue a task on this worker."""
        self.queue.append((task.seq, task.location))
        # A worker that just ended (out of memory) closed its end: the reader thread reports
        # its end, and the task, not started, goes to the next worker.
        with contextlib.suppress(OSError):
            self.tasks.send(task)

    def kill(self, why: TimedOut) -> None:
        """Kill the process; the task it is on fails with ``why``."""
        if self.queue and self.killed is None:
            self.killed = (self.queue[0][0], why)
        self.process.kill()

    def stop(self) -> None:
        """End the process (killing it if busy) and close its pipes."""
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


class Pool:
    """Worker processes with the files handed to them; started before the parent's own preparations.

    Each worker's reader thread hands the worker its next file as soon as a result comes in,
    so workers keep reading while the parent stores documents or commits the index. The
    parent's main thread takes the results in order, restarts workers that ended, and
    enforces the time limit. ``lock`` guards the task queues shared by these threads.
    """

    def __init__(
        self,
        locations: Sequence[str],
        reader: Reader,
        *,
        jobs: int,
        timeout: float,
        memory_mb: int,
        clock: Callable[[], str],
        keep: dict[str, tuple[str, str, str]] | None = None,
        on_progress: Callable[[str, int, int], None] | None = None,
    ):
        self.reader, self.timeout, self.memory_mb, self.clock = reader, timeout, memory_mb, clock
        self.on_progress = on_progress  # (location, pages done, pages to read), in the main thread
        self.keep = keep or {}  # location -> (source, filename, added) of an original read again
        self.context = _context()
        self.lock = threading.Lock()
        self.events: queue.Queue[tuple[_Worker, Finished | Progress | None]] = queue.Queue()
        self.pending = deque(enumerate(locations))
        self.finished: dict[int, Finished] = {}  # until the ones before it are in
        self.next_seq = 0
        self.restarts = 0  # workers that ended between tasks, in a row
        self.workers: list[_Worker] = []
        with self.lock:
            for _ in range(min(max(1, jobs), len(locations))):
                self.workers.append(self._new_worker(self.workers))
            self._top_up()

    def _new_worker(self, others: Sequence[_Worker]) -> _Worker:
        return _Worker(self.context, self.reader, self.memory_mb, self._on_message, others)

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
                    worker.send(Task(seq, location, self.clock()))
                else:
                    worker.send(Task(seq, location, kept[2], (kept[0], kept[1])))

    def _on_message(self, worker: _Worker, message: Message) -> None:
        """A worker's message, in its reader thread: note it, pass results on, hand out the next file."""
        with self.lock:
            if worker not in self.workers:
                return
            match message:
                case None:  # the process ended: the main thread replaces it
                    self.events.put((worker, None))
                case Started():
                    worker.deadline = time.monotonic() + self.timeout
                case Progress(seconds=seconds):
                    worker.deadline = time.monotonic() + max(self.timeout, seconds)
                    self.events.put((worker, message))
                case Finished(seq=seq):
                    head, _ = worker.queue.popleft()
                    assert head == seq, (head, seq)
                    worker.deadline = None
                    self.restarts = 0
                    self.events.put((worker, message))
                    self._top_up()

    def results(self, *, idle: Callable[[], None] | None = None) -> Iterator[Finished]:
        """Every location's outcome, in the order given.

        Files are read in parallel, but handed over in order: which of two copies in one batch is
        added, and the order of the report, do not depend on which worker was faster. ``idle`` is
        called when nothing has come in for a moment.
        """
        for finished in self._finishing(idle):
            with self.lock:
                self.finished[finished.seq] = finished
            while True:
                with self.lock:
                    if self.next_seq not in self.finished:
                        break
                    item = self.finished.pop(self.next_seq)
                    self.next_seq += 1
                    self._top_up()
                yield item

    def _finishing(self, idle: Callable[[], None] | None) -> Iterator[Finished]:
        """Outcomes as workers finish, in any order."""
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
                match result:
                    case None:
                        yield from self._replace(worker)
                    case Progress(location=location, done=done, total=total):
                        if self.on_progress is not None:
                            self.on_progress(location, done, total)
                    case Finished():
                        yield result
            now = time.monotonic()
            with self.lock:  # so that the task killed for is the one that ran over
                for worker in self.workers:
                    if worker.deadline is not None and worker.killed is None and now > worker.deadline:
                        worker.kill(TimedOut(self.timeout))

    def _wait(self) -> float:
        """Seconds until the earliest time limit of a running task (at most a quarter second)."""
        now = time.monotonic()
        deadlines = [w.deadline for w in self.workers if w.deadline is not None and w.killed is None]
        return max(0.0, min([now + 0.25, *deadlines]) - now)

    def _replace(self, worker: _Worker) -> Iterator[Finished]:
        """A worker ended: the task it was on failed, its other tasks go back; start another worker."""
        worker.stop()
        failed = None
        with self.lock:
            if worker.queue:
                seq, location = worker.queue.popleft()
                if worker.killed is not None and worker.killed[0] == seq:
                    failed = Finished(seq, location, worker.killed[1])
                elif worker.killed is None and (worker.deadline is not None or self.restarts >= MAX_RESTARTS):
                    failed = Finished(seq, location, Crashed())
                else:  # it had not started this one (or was killed for one that had just finished)
                    self.pending.appendleft((seq, location))
                    self.restarts += 1
            self.pending.extendleft(reversed(worker.queue))
            worker.queue.clear()
            others = [w for w in self.workers if w is not worker]
            self.workers[self.workers.index(worker)] = self._new_worker(others)
        if failed is not None:
            yield failed

    def close(self) -> None:
        """Stop every worker (killing those still busy)."""
        with self.lock:
            workers = list(self.workers)
            self.workers = []  # messages still coming in are ignored
        for worker in workers:
            worker.stop()
