"""Opening a PDF with pypdfium2 and pdfminer.six, and the errors a curator sees when it cannot be read."""

from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1

from indexer.pdf.pages import Pages
from kenniskamer.errors import ExtractionError

_ENCRYPTED = "This PDF is encrypted; add it again with --password if you know the password."
_WRONG_PASSWORD = "The password for this PDF is wrong; add it again with the right --password."
_UNSUPPORTED_SECURITY = (
    "This PDF uses an encryption method that cannot be read; open it in a PDF viewer, "
    "save an unprotected copy and add that."
)
_NO_PAGES = "This PDF has no pages; check that it is the right file, or re-save it from a PDF viewer."
_BLANK = "This PDF has only blank pages (no text, no images); check that it is the right file."


def damaged_error(detail: str) -> ExtractionError:
    """The error for a PDF no text could be read from, with a short detail."""
    detail = " ".join(detail.split())[:120].rstrip(".") or "unknown problem"
    return ExtractionError(
        f"This PDF is damaged and no text could be read ({detail}); try re-saving it from a PDF viewer."
    )


def open_pdfium(data: bytes, password: str | None) -> tuple[pdfium.PdfDocument | None, str]:
    """The pdfium document, or None and why it could not be opened; raise for passwords."""
    try:
        return pdfium.PdfDocument(data, password=password), ""
    except pdfium.PdfiumError as err:
        code = getattr(err, "err_code", None)
        # pdfium does not reset its last error on every failure (a zero-page file then
        # reports the previous file's password error): an encrypted file has /Encrypt in
        # its trailer, which is never inside a compressed stream.
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY) and b"/Encrypt" not in data:
            code = None
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise ExtractionError(_WRONG_PASSWORD if password else _ENCRYPTED) from err
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise ExtractionError(_UNSUPPORTED_SECURITY) from err
        reason = re.search(r"PDFium: ([^)]*)", str(err))
        if reason is None or reason.group(1) == "Success":
            return None, "PDFium could not load it"
        return None, f"PDFium: {reason.group(1).lower()}"


def _open_pdfminer(data: bytes, password: str | None) -> tuple[PDFDocument | None, str]:
    """The pdfminer document, or None and why it could not be opened."""
    try:
        return PDFDocument(PDFParser(io.BytesIO(data)), password=password or ""), ""
    except PDFPasswordIncorrect:
        raise
    except Exception as err:  # pdfminer raises anything on broken files
        return None, describe_error(err)


def describe_error(err: BaseException) -> str:
    """An exception as a short detail for an error message: its type and text."""
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def open_pdfminer_after(data: bytes, password: str | None, *, pdfium_read: bool) -> tuple[PDFDocument | None, str]:
    """pdfminer's view of the file; its password errors count only if pdfium failed too."""
    try:
        return _open_pdfminer(data, password)
    except PDFPasswordIncorrect as err:
        if pdfium_read:
            return None, "password"  # pdfium read the text; only the metadata is lost
        raise ExtractionError(_WRONG_PASSWORD if password else _ENCRYPTED) from err


def check_textless(pages: Pages, pdfium_problem: str) -> None:
    """Raise unless a PDF without any text is a scan (then it gets the needs-ocr flag)."""
    if pages.source == "pdfminer" or not pages.readable():
        # pdfium could not read the pages and pdfminer found no text: nothing to OCR either.
        raise damaged_error(pdfium_problem or "none of its pages could be loaded")
    if pages.blank == len(pages.texts):
        raise ExtractionError(_BLANK)


def unreadable_error(doc: PDFDocument | None, problem: str) -> ExtractionError:
    """The error for a PDF without any readable page: empty, or damaged."""
    if doc is not None and _declared_pages(doc) == 0:
        return ExtractionError(_NO_PAGES)
    return damaged_error(problem or "no pages found")


def _declared_pages(doc: PDFDocument) -> int | None:
    """The /Count of the page tree (trusted only to tell an empty document)."""
    try:
        count = resolve1(resolve1(resolve1(doc.catalog.get("Pages")).get("Count")))
    except Exception:  # a broken page tree has no usable count
        return None
    return count if isinstance(count, int) else None
