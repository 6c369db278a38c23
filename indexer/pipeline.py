"""The one place that knows the order of the stages: fetch -> extract -> enrich -> encode -> dedupe -> store.

Worker processes (indexer.workers), each file with a time and memory limit, fetch, extract
and enrich a file and prepare it for storage: its text is folded once, and the content key,
the sample for near-duplicate checks, the vocabulary and the index terms all come from that;
with meaning on, the document and its passages are encoded too (kenniskamer.meaning). So a
decompression bomb or a looping file fails that file only, and the parent process is left
with the writes: for each document, in this order, the original (atomic rename), the catalog
row (one transaction), then the index (one writer, committed every few seconds and at the
end) and the vectors (beside the index). A crash between catalog and index is repaired at
the start of the next write; missing vectors by `check --repair` or `reindex`.
"""

from __future__ import annotations

import hashlib
import os
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from indexer.dedupe import KnownDocuments, content_key_of, page_words, sample_of
from indexer.fetch import expand_locations, fetch
from indexer.ocr import DOCUMENT_SECONDS, PAGE_SECONDS, Engine, OcrCache, PageReader, find_engine, ocr_message
from indexer.store import IndexSession, terms_for
from indexer.workers import Crashed, Duplicate, Failed, OutOfMemory, Pool, Prepared, Task, TimedOut
from kenniskamer.errors import KennisError, StorageError
from kenniskamer.index.analysis import analyze_words
from kenniskamer.index.schema import text_suffix
from kenniskamer.index.write import Terms
from kenniskamer.library import Library, utc_now
from kenniskamer.library.catalog import extension_for, with_edits
from kenniskamer.library.check import sync_index
from kenniskamer.meaning.encoder import Encoder
from kenniskamer.meaning.store import VectorStore
from kenniskamer.meaning.vectors import (
    DocumentVectors,
    Retriever,
    document_text,
    encode_document,
    retrieval_text,
    text_hash,
)
from kenniskamer.models import FLAG_NEEDS_OCR, Document, Fetched
from kenniskamer.text.layout import reference_spans
from kenniskamer.text.prose import words as folded_words
from kenniskamer.themes import Theme

VOCABULARY_LENGTHS = (3, 30)  # as kenniskamer.text.vocabulary
MIN_KEY_WORDS = 20  # documents with fewer words get no content key


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
    ocr: bool = True  # read pages without a text layer by OCR, if Tesseract is installed
    ocr_seconds: float = DOCUMENT_SECONDS  # OCR time per file (each page also has its own limit)
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

    def to_dict(self) -> dict[str, Any]:
        """The batch as `kenniskamer add --json` prints it: documents added, duplicates, failures, pages, seconds."""
        from kenniskamer.documents import document_dict

        return {
            "added": [document_dict(i.doc) for i in self.items if i.outcome in ("added", "would-add") and i.doc],
            "duplicates": [{"location": i.location, "existing_id": i.existing_id, "similarity": i.similarity,
                            "message": i.message} for i in self.items if i.outcome in ("duplicate", "near-duplicate")],
            "failed": [{"location": i.location, "message": i.message} for i in self.items if not i.ok],
            "pages": self.pages, "seconds": round(self.seconds, 2),
        }

    def summary(self) -> str:
        """One line: added, duplicates, failed, pages, seconds."""
        added = self.count("added", "would-add")
        verb = "would add" if self.count("would-add") else "added"
        return (
            f"{verb} {added}, duplicates {self.count('duplicate', 'near-duplicate')}, "
            f"failed {self.count('failed')}, pages {self.pages}, {self.seconds:.1f} s"
        )


# -- the worker side ----------------------------------------------------------------


def process(
    fetched: Fetched, themes: Sequence[Theme], *, password: str | None, added: str, ocr: PageReader | None = None
) -> tuple[Document, tuple[str, ...], tuple[tuple[int, int] | None, ...]]:
    """Extract (with OCR where a page has no text layer) and enrich one fetched file: the CPU-heavy part, run in a worker.

    Returns the document, its pages and their reference lists, found once here for the study
    profile, the passage vectors and the index records.
    """
    # Imported here: the parent never extracts, so it starts the workers before these
    # imports, and the workers take them (about a second) in parallel.
    from indexer.enrich import enrich
    from indexer.extract import extract

    extracted = extract(fetched, password=password, ocr=ocr)
    references = tuple(reference_spans(extracted.pages))
    doc = enrich(fetched, extracted, themes, added=added, references=references)
    return doc, extracted.pages, references


def prepare(
    fetched: Fetched,
    themes: Sequence[Theme],
    *,
    password: str | None,
    added: str,
    encoder: Encoder | None = None,
    retriever: Retriever | None = None,
    ocr: PageReader | None = None,
) -> Prepared:
    """Extract and enrich a file, fold its text once for the key, sample, vocabulary and index terms; encode it."""
    doc, pages, references = process(fetched, themes, password=password, added=added, ocr=ocr)
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
        references=references,
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
        vectors=encode_document(doc, pages, encoder, references=references, retriever=retriever) if encoder else None,
    )


@dataclass(frozen=True)
class FileReader:
    """What every worker is started with, and the task it runs: fetch and prepare one file."""

    themes: tuple[Theme, ...] | None  # None: the worker loads data/themes.toml
    password: str | None
    allow_private: bool
    known_hashes: frozenset[str]  # files with these bytes are duplicates: not worth extracting
    encode: bool = False  # compute the vectors for search by meaning
    encoder: Encoder | None = None  # set by warm_up in the worker when ``encode``
    retriever: Retriever | None = None  # likewise: the document's retrieval vector (kenniskamer.meaning.e5)
    ocr: bool = True  # read pages without a text layer by OCR (off: they wait, flagged needs-ocr)
    ocr_cache: str | None = None  # the library's OCR cache folder (none: a dry run without a library)
    ocr_seconds: float = DOCUMENT_SECONDS  # OCR time of one file
    ocr_plan: bool = False  # a dry run: say which pages OCR would read, read none
    engine: Engine | None = None  # set by warm_up in the worker when ``ocr``

    def warm_up(self) -> FileReader:
        """Import the extractors, load the language model and encoder (in each worker at once) and the themes."""
        from indexer import enrich, extract  # noqa: F401
        from kenniskamer.themes import load_themes

        enrich.detect_language("warm up the language model with a few words of text")
        reader = self if self.themes is not None else replace(self, themes=load_themes())
        if self.encode:
            from kenniskamer.meaning.e5 import retriever_or_none
            from kenniskamer.meaning.encoder import load_encoder

            encoder = load_encoder()
            encoder.warm_up()
            reader = replace(reader, encoder=encoder, retriever=retriever_or_none())  # its graph loaded before the first file
        if self.ocr:
            reader = replace(reader, engine=find_engine())
        return reader

    def page_reader(self, progress: Callable[[int, int, float], None] | None) -> PageReader | None:
        """What reads a file's pages without a text layer; None with OCR off."""
        if not self.ocr:
            return None

        def step(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total, PAGE_SECONDS + 10)

        cache = OcrCache(Path(self.ocr_cache)) if self.ocr_cache else None
        return PageReader(self.engine, cache, budget=self.ocr_seconds, progress=step, plan=self.ocr_plan)

    def __call__(self, task: Task, progress: Callable[[int, int, float], None] | None = None) -> Prepared | Duplicate | Failed:
        """Fetch and prepare one file; a file whose bytes are known is a Duplicate, a bad one Failed."""
        try:
            fetched = fetch(task.location, allow_private=self.allow_private)
            if task.keep is not None:  # an original read again keeps its source and filename
                fetched = replace(fetched, source=task.keep[0], filename=task.keep[1])
            if self.known_hashes:
                sha256 = hashlib.sha256(fetched.data).hexdigest()
                if sha256 in self.known_hashes:
                    return Duplicate(sha256)
            prepared = prepare(fetched, self.themes or (), password=self.password, added=task.added,
                               encoder=self.encoder, retriever=self.retriever, ocr=self.page_reader(progress))
            return prepared
        except KennisError as err:
            return Failed(str(err))
        except MemoryError:
            raise
        except Exception as err:  # a bug or a library failure on hostile input: report it, keep going
            where = traceback.extract_tb(err.__traceback__)[-1]
            return Failed(f"Could not read the file ({type(err).__name__}: {err} at {where.name}); it may be damaged.")


def ocr_settings(library: Library | None, options: AddOptions) -> dict[str, Any]:
    """The FileReader's OCR fields for a batch: a dry run only plans (and reads the cache)."""
    return {
        "ocr": options.ocr,
        "ocr_cache": str(library.ocr_dir) if library is not None else None,
        "ocr_seconds": options.ocr_seconds,
        "ocr_plan": options.dry_run,
    }


def start_pool(
    locations: Sequence[str],
    reader: FileReader,
    options: AddOptions,
    *,
    keep: dict[str, tuple[str, str, str]] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Pool:
    """Workers started on ``locations`` with the options' limits (``keep``: originals read again)."""
    return Pool(
        locations,
        reader,
        jobs=options.jobs,
        timeout=options.timeout,
        memory_mb=options.memory_mb,
        clock=options.clock,
        keep=keep,
        on_progress=on_progress,
    )


# -- the parent side -------------------------------------------------------------------


def run(
    library: Library | None,
    locations: Iterable[str],
    options: AddOptions,
    *,
    themes: Sequence[Theme] | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Report:
    """Add every file, folder (recursively) and URL; a bad one becomes a failed item and the run goes on.

    ``library`` may be None for a dry run without a library (no duplicate check against it).
    ``on_progress(location, done, total)`` follows the pages of a file being read by OCR.
    """
    targets = list(expand_locations(locations, pattern=options.pattern))
    if library is None and not options.dry_run:
        raise ValueError("a library is needed unless dry_run is set")
    with library.writing() if library is not None else ExitStack():
        return _run(library, targets, options, themes=themes, on_item=on_item, on_progress=on_progress)


def _run(
    library: Library | None,
    locations: Sequence[str],
    options: AddOptions,
    *,
    themes: Sequence[Theme] | None,
    on_item: Callable[[ItemResult], None] | None,
    on_progress: Callable[[str, int, int], None] | None,
) -> Report:
    started = time.monotonic()
    report = Report()
    hashes = library.hashes() if library else {}
    reader = FileReader(
        themes=None if themes is None else tuple(themes),
        password=options.password,
        allow_private=options.allow_private,
        known_hashes=frozenset(hashes),
        encode=library is not None and library.meaning and not options.dry_run,
        **ocr_settings(library, options),
    )
    writing = library is not None and not options.dry_run
    pool = start_pool(locations, reader, options, on_progress=on_progress)  # the workers start on the first files right away
    index = IndexSession(library) if writing and library is not None else None

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
        for finished in pool.results(idle=idle):
            location = finished.location
            match finished.outcome:
                case Prepared() as prepared:
                    _add_one(library, location, prepared, options, known, hashes, index, finish)
                case Duplicate(sha256=sha256):
                    existing = hashes.get(sha256) or sha256[:12]
                    finish(ItemResult(location, "duplicate", f"already in the library as {existing}", existing_id=existing))
                case Failed() | OutOfMemory() | TimedOut() | Crashed() as failure:
                    finish(ItemResult(location, "failed", failure.message))
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
    index: IndexSession | None,
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
    message = ocr_message(doc.ocr, flagged=FLAG_NEEDS_OCR in doc.flags, seconds=options.ocr_seconds)
    if options.dry_run or library is None:
        hashes[doc.sha256] = doc.doc_id
        known.add(doc.doc_id, doc.title, doc.content_key, prepared.sample)
        finish(ItemResult(location, "would-add", message, doc=with_edits(doc, options.overrides)))
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
    index.add(stored, prepared.pages, terms_for(stored, doc, prepared.terms))
    if prepared.vectors is not None:
        VectorStore(library.vectors_dir).put(doc.doc_id, vectors_for(stored, prepared))
    finish(ItemResult(location, "added", message, doc=stored), logged=True)


def vectors_for(stored: Document, prepared: Prepared) -> DocumentVectors:
    """The worker's vectors, with the document's encoded again if a curator's title or summary changed its text."""
    vectors = prepared.vectors
    assert vectors is not None
    if text_hash(document_text(stored, prepared.pages)) == vectors.text_hash and (
        vectors.retrieval is None or text_hash(retrieval_text(stored, prepared.pages)) == vectors.retrieval.text_hash
    ):
        return vectors
    from kenniskamer.meaning.e5 import retriever_or_none
    from kenniskamer.meaning.encoder import load_encoder

    retriever = retriever_or_none() if vectors.retrieval is not None else None
    return encode_document(stored, prepared.pages, load_encoder(), previous=vectors, retriever=retriever)
