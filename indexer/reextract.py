"""Reading stored originals again, after the extractors improved: the curator's values stay."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from indexer.ocr import ocr_message
from indexer.pipeline import AddOptions, FileReader, ItemResult, Report, ocr_settings, start_pool
from indexer.workers import Duplicate, Failed, Prepared
from kenniskamer.index.write import rebuild_index
from kenniskamer.library import Library
from kenniskamer.meaning.sync import check_vectors, repair_vectors
from kenniskamer.models import FLAG_NEEDS_OCR
from kenniskamer.themes import Theme


def reextract(
    library: Library,
    options: AddOptions,
    *,
    doc_ids: Sequence[str] = (),
    themes: Sequence[Theme] | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Report:
    """Read stored originals again (e.g. after the extractors improved) and replace each document's
    extracted metadata and text; the curator's values stay. Then rebuild the index from the catalog,
    and bring the vectors up to date: only texts that changed are encoded again (in this process).

    Items end as "updated" or "failed" (the document keeps what it had).
    """
    started = time.monotonic()
    report = Report()
    with library.writing():
        docs = [library.get(doc_id) for doc_id in doc_ids] if doc_ids else library.documents()
        by_path = {str(library.original_of(doc)): doc for doc in docs}
        keep = {path: (doc.source, doc.filename, doc.added) for path, doc in by_path.items()}
        reader = FileReader(
            themes=None if themes is None else tuple(themes), password=options.password, allow_private=False,
            known_hashes=frozenset(), **ocr_settings(library, options),
        )
        pool = start_pool(list(by_path), reader, options, keep=keep, on_progress=on_progress)
        try:
            for finished in pool.results():
                doc = by_path[finished.location]
                outcome = finished.outcome
                if isinstance(outcome, Prepared) and outcome.doc.sha256 != doc.sha256:
                    outcome = Failed("The original changed on disk; run `kenniskamer check`.")
                match outcome:
                    case Prepared():
                        fresh = replace(outcome.doc, doc_id=doc.doc_id)
                        library.update_extracted(fresh, outcome.pages, sample=outcome.sample, words=outcome.vocabulary.split())
                        stored = library.get(doc.doc_id)
                        message = ocr_message(stored.ocr, flagged=FLAG_NEEDS_OCR in stored.flags, seconds=options.ocr_seconds)
                        item = ItemResult(doc.source, "updated", message, doc=stored, existing_id=doc.doc_id)
                    case Duplicate():  # the reader was given no known hashes
                        raise AssertionError("a re-read original was taken for a duplicate")
                    case _:
                        message = f"{doc.doc_id} keeps what it had: {outcome.message}"
                        item = ItemResult(doc.source, "failed", message, existing_id=doc.doc_id)
                report.items.append(item)
                if on_item:
                    on_item(item)
        finally:
            pool.close()
        rebuild_index(library)
        if library.meaning:
            repair_vectors(library, check_vectors(library))
    report.seconds = time.monotonic() - started
    return report
