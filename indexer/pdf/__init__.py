"""PDF extraction: page text from pypdfium2; metadata, title layout and fallbacks from pdfminer.six."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from indexer.ocr import PageReader, PageTexts
from indexer.pdf.authors import choose_authors
from indexer.pdf.clean import clean_text
from indexer.pdf.metadata import Meta, metadata_date, metadata_keywords, metadata_publisher, metadata_summary, read_meta
from indexer.pdf.open import (
    check_textless,
    damaged_error,
    describe_error,
    open_pdfium,
    open_pdfminer_after,
    unreadable_error,
)
from indexer.pdf.pages import Pages, read_pdfium, with_fallback
from indexer.pdf.printed import find_printed_date, find_printed_venue
from indexer.pdf.publisher import find_running_publisher
from indexer.pdf.title import choose_title
from kenniskamer.errors import ExtractionError
from kenniskamer.models import FLAG_NEEDS_OCR, Extracted, Ocr
from kenniskamer.text.layout import strip_running_lines

MIME = "application/pdf"


_PROVENANCE_FIELDS = ("title", "authors", "date", "publisher", "language_hint", "summary", "keywords")


def extract_pdf(data: bytes, *, password: str | None = None, ocr: PageReader | None = None) -> Extracted:
    """Text per page and metadata of a PDF; raise ExtractionError with advice if it cannot be read.

    Pages without a usable text layer are read by ``ocr`` (indexer.ocr); without it they stay empty.
    """
    if not data:
        raise ExtractionError("The file is empty (0 bytes); check that it was saved or downloaded completely.")
    try:
        return _extract(data, password, ocr)
    except ExtractionError:
        raise
    except MemoryError as err:
        raise ExtractionError(
            "This PDF needs more memory than the limit allows; it may be damaged: try re-saving it from a PDF viewer."
        ) from err
    except RecursionError as err:
        raise damaged_error("its structure loops or is nested too deeply") from err
    except Exception as err:  # parsers raise anything on hostile files; the curator gets one line
        raise damaged_error(describe_error(err)) from err


def _extract(data: bytes, password: str | None, reader: PageReader | None) -> Extracted:
    pdf, pdfium_problem = open_pdfium(data, password)
    try:
        pages = read_pdfium(pdf) if pdf is not None else None
        doc, miner_problem = open_pdfminer_after(data, password, pdfium_read=pages is not None)
        pages = with_fallback(pages, doc)
        if pages is None or not pages.texts:
            raise unreadable_error(doc, miner_problem or pdfium_problem)
        texts = [clean_text(text or "") for text in pages.texts]
        scanned = sorted(pages.scanned) if pages.source == "pdfium" else []
        read = None
        if scanned and pdf is not None:
            read = (reader or PageReader(None)).read(pdf, scanned, hashlib.sha256(data).hexdigest())
            for index, text in read.texts.items():
                texts[index] = clean_text(text)
    finally:
        if pdf is not None:
            pdf.close()
    if not any(texts) and (read is None or read.pending):
        check_textless(pages, pdfium_problem)
    meta = read_meta(doc) if doc is not None else Meta()
    return _assemble(texts, pages, meta, _ocr_record(read, texts))


def _ocr_record(read: PageTexts | None, texts: list[str]) -> Ocr | None:
    """What OCR read and what still waits for it (page numbers from 1); None if no page needed it."""
    if read is None:
        return None
    return Ocr(
        pages=tuple(index + 1 for index in sorted(read.texts)),
        pending=tuple(index + 1 for index in sorted(read.pending)),
        engine=read.engine,
        languages=read.languages,
        reason=read.reason,
    )


def _assemble(texts: list[str], pages: Pages, meta: Meta, ocr: Ocr | None) -> Extracted:
    title, title_origin, spot = choose_title(meta, pages, texts)
    first_pages = "\n".join(texts[:2])
    authors, authors_origin = choose_authors(meta, pages.layouts, spot, first_pages)
    publisher, publisher_origin = metadata_publisher(meta), "metadata"
    if not publisher:
        publisher, publisher_origin = find_printed_venue(texts[0] if texts else "", authors=authors), "heuristic"
    if not publisher:
        publisher, publisher_origin = find_running_publisher(texts, title=title, authors=authors), "layout"
    printed_date = find_printed_date(first_pages)
    extracted = Extracted(
        mime=MIME,
        # Title, authors and dates above are read with the running lines still in place.
        pages=tuple(strip_running_lines(texts, keep=(title or "", *authors))),
        title=title,
        authors=authors,
        date=printed_date or metadata_date(meta, created=not _scanned(texts, ocr)),
        publisher=publisher,
        language_hint=meta.lang,
        summary=metadata_summary(meta),
        keywords=metadata_keywords(meta),
        flags=(FLAG_NEEDS_OCR,) if _needs_ocr(texts, ocr) else (),
        ocr=ocr,
    )
    provenance = {name: "metadata" for name in _PROVENANCE_FIELDS if getattr(extracted, name)}
    if title_origin:
        provenance["title"] = title_origin
    if authors_origin:
        provenance["authors"] = authors_origin
    if publisher:
        provenance["publisher"] = publisher_origin
    if printed_date:
        provenance["date"] = "heuristic"
    return replace(extracted, provenance=provenance)


def _scanned(texts: list[str], ocr: Ocr | None) -> bool:
    """Most pages are images without a text layer: the PDF was made by a scanner."""
    return ocr is not None and 2 * (len(ocr.pages) + len(ocr.pending)) > len(texts)


def _needs_ocr(texts: list[str], ocr: Ocr | None) -> bool:
    """Pages wait for OCR: it ran out of time or failed, or (no Tesseract) most pages are without text: a scan.

    A dry run's planned pages are not a flag, nor (without Tesseract) one image page of a text report.
    """
    if ocr is None or not ocr.pending:
        return False
    if ocr.reason in ("time", "failed"):
        return True
    return ocr.reason == "missing" and 2 * sum(not text for text in texts) > len(texts)
