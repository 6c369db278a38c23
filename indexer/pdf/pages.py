"""Text per page: pypdfium2 first, pdfminer.six where pypdfium2 reads almost nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTPage
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage

from indexer.pdf.clean import JUNK_CHARS
from indexer.pdf.lines import LAYOUT_PAGES, Line, pdfium_lines, pdfminer_lines, text_boxes

# Below this many non-space characters per page (less than a line), pypdfium2 "found
# almost nothing" and pdfminer.six gets a try: it reads some CMaps and broken files that
# pdfium does not. Not higher: pdfminer is slow on pages with big content streams.
_SPARSE_CHARS_PER_PAGE = 32
# Characters per page checked for a font without a usable Unicode map (garbled text).
_MAP_CHECKS_PER_PAGE = 40
_GARBLED_SHARE = 0.3
_SCAN_SHARE = 0.5  # of the page an image covers, on a page with almost no text: OCR it


@dataclass
class Pages:
    """Text per page (None: the page could not be read) and the lines of the first pages."""

    source: str  # "pdfium" or "pdfminer"
    texts: list[str | None] = field(default_factory=list)
    layouts: list[list[Line]] = field(default_factory=list)
    blank: int = 0  # pages without text and without any page object
    scanned: set[int] = field(default_factory=set)  # pages (from 0) with almost no text and a page-sized image: OCR them
    checked: int = 0  # characters checked for a missing Unicode map ...
    unmapped: int = 0  # ... and how many had none: their text is garbage

    def char_count(self) -> int:
        """Non-space characters over all pages (pdfminer's "(cid:12)" junk not counted)."""
        return sum(len("".join(JUNK_CHARS.sub("", text or "").split())) for text in self.texts)

    def readable(self) -> bool:
        """Whether any page could be loaded at all."""
        return any(text is not None for text in self.texts)

    def poor(self) -> bool:
        """Almost no text, or text in fonts pdfium cannot map to Unicode."""
        sparse = self.char_count() < _SPARSE_CHARS_PER_PAGE * len(self.texts)
        return sparse or self.unmapped > _GARBLED_SHARE * max(self.checked, 1)


def read_pdfium(pdf: pdfium.PdfDocument) -> Pages:
    """Text of every page; the lines of the first pages with their font sizes."""
    pages = Pages("pdfium")
    # len(pdf) counts the page objects pdfium found, not the /Count a file claims.
    for index in range(len(pdf)):
        try:
            page = pdf[index]
        except pdfium.PdfiumError:
            pages.texts.append(None)
            if index < LAYOUT_PAGES:
                pages.layouts.append([])  # keep layouts[i] the lines of page i + 1
            continue
        try:
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
                if index < LAYOUT_PAGES:
                    pages.layouts.append(pdfium_lines(textpage, raw))
                _check_unicode_map(textpage, pages)
            finally:
                textpage.close()
            if not raw.strip() and pdfium_c.FPDFPage_CountObjects(page.raw) == 0:
                pages.blank += 1
            elif len("".join(raw.split())) < _SPARSE_CHARS_PER_PAGE and _has_scan(page):
                pages.scanned.add(index)
            pages.texts.append(raw)
        except pdfium.PdfiumError:
            pages.texts.append(None)
        finally:
            page.close()
    return pages


def _has_scan(page: pdfium.PdfPage) -> bool:
    """Whether an image covers at least half the page: a scan, or a picture with text in it, for OCR.

    Not vector drawings (charts, text as outlines) and small images: on the topical corpus this
    leaves 2 of the 9 pages with almost no text (a raster chart, a poster page) and saves OCR'ing
    7 (patterns, photos, outlined headings): 8.7 s of one core.
    """
    width, height = page.get_size()
    area = max(width * height, 1.0)
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = image.get_bounds()
        if (right - left) * (top - bottom) >= _SCAN_SHARE * area:
            return True
    return False


def _check_unicode_map(textpage: pdfium.PdfTextPage, pages: Pages) -> None:
    """Count sampled characters whose font has no usable Unicode map."""
    count = pdfium_c.FPDFText_CountChars(textpage.raw)
    for char in range(0, count, max(1, count // _MAP_CHECKS_PER_PAGE)):
        pages.checked += 1
        pages.unmapped += pdfium_c.FPDFText_HasUnicodeMapError(textpage.raw, char) == 1


def read_pdfminer(doc: PDFDocument) -> Pages:
    """Text of every page by pdfminer.six layout analysis (the fallback, ~20 pages/s)."""
    manager = PDFResourceManager(caching=True)
    device = PDFPageAggregator(manager, laparams=LAParams(detect_vertical=True))
    interpreter = PDFPageInterpreter(manager, device)
    pages = Pages("pdfminer")
    try:
        for page in PDFPage.create_pages(doc):
            try:
                interpreter.process_page(page)
                layout = device.get_result()
            except Exception:  # one broken page must not cost the others
                pages.texts.append(None)
                continue
            pages.texts.append(_layout_text(layout))
            if len(pages.layouts) < LAYOUT_PAGES:
                pages.layouts.append(pdfminer_lines(layout))
    except Exception:  # a broken page tree: keep the pages read so far
        pass
    return pages


def _layout_text(layout: LTPage) -> str:
    # Text boxes are paragraphs, more or less: keep them apart with a blank line.
    return "\n\n".join(box.get_text().strip() for box in text_boxes(layout))


def with_fallback(pages: Pages | None, doc: PDFDocument | None) -> Pages | None:
    """pdfminer.six's pages where pypdfium2 could not read the file or read almost nothing."""
    if doc is None or (pages is not None and pages.readable() and not pages.poor()):
        return pages
    mined = read_pdfminer(doc)
    if pages is None or not pages.readable():
        return mined
    if pages.unmapped > _GARBLED_SHARE * max(pages.checked, 1):
        # Fonts without a Unicode map: pdfium's text may be garbage ("3HQČåQtSURV" for
        # "Peněžní") or right (it guesses from glyph names). pdfminer decodes some of these
        # fonts itself; where it cannot, it says so with "(cid:224)".
        unknown = sum((text or "").count("(cid:") for text in mined.texts)
        better = mined.char_count() >= pages.char_count() and unknown * 10 <= mined.char_count()
        return mined if better else pages
    # Otherwise keep pdfium's pages (and page count) unless pdfminer read clearly more.
    return mined if mined.char_count() > 2 * pages.char_count() + 20 else pages
