"""Extract: text per page and raw metadata, by the type sniffed from the bytes."""

from __future__ import annotations

from collections.abc import Callable

from indexer.fetch import describe_unknown, is_url
from indexer.html import extract_html
from indexer.ocr import PageReader
from indexer.pdf import extract_pdf
from kenniskamer.errors import ExtractionError, UnsupportedTypeError
from kenniskamer.models import HTML, PDF, Extracted, Fetched


def _pdf(fetched: Fetched, password: str | None, ocr: PageReader | None) -> Extracted:
    return extract_pdf(fetched.data, password=password, ocr=ocr)


def _html(fetched: Fetched, password: str | None, ocr: PageReader | None) -> Extracted:
    return extract_html(fetched.data, url=fetched.source if is_url(fetched.source) else None)


EXTRACTORS: dict[str, Callable[[Fetched, str | None, PageReader | None], Extracted]] = {PDF: _pdf, HTML: _html}


def extract(fetched: Fetched, *, password: str | None = None, ocr: PageReader | None = None) -> Extracted:
    """Text per page and metadata of fetched bytes (``ocr`` reads PDF pages without text); raise ExtractionError if that fails."""
    if not fetched.data:
        raise ExtractionError("The file is empty; check that it was saved or downloaded completely.")
    extractor = EXTRACTORS.get(fetched.mime)
    if extractor is None:
        raise UnsupportedTypeError(
            f"Unsupported type: this is {describe_unknown(fetched.data)}; kenniskamer reads PDF and HTML, "
            "so save or export it as PDF first."
        )
    # A MemoryError is left to the worker, whose message names the limit it ran into.
    try:
        return extractor(fetched, password, ocr)
    except ExtractionError:
        raise
    except RecursionError as err:
        raise ExtractionError("The file's structure loops or is nested too deeply; it may be damaged.") from err
