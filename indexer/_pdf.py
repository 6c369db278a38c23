"""PDF extraction: page text from pypdfium2; metadata, title layout and fallbacks from pdfminer.six."""

from __future__ import annotations

import contextlib
import ctypes
import io
import math
import re
import statistics
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTPage, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import PSLiteral
from pdfminer.utils import decode_text

from kenniskamer.errors import ExtractionError
from kenniskamer.models import FLAG_NEEDS_OCR, Extracted

MIME = "application/pdf"

# Pages whose lines (with font sizes) are kept for the title: a cover may push it to page 2.
_LAYOUT_PAGES = 2
# Below this many non-space characters per page (less than a line), pypdfium2 "found
# almost nothing" and pdfminer.six gets a try: it reads some CMaps and broken files that
# pdfium does not. Not higher: pdfminer is slow on pages with big content streams.
_SPARSE_CHARS_PER_PAGE = 32
# Characters per page checked for a font without a usable Unicode map (garbled text).
_MAP_CHECKS_PER_PAGE = 40
_GARBLED_SHARE = 0.3
_MAX_XMP_BYTES = 4_000_000

_ENCRYPTED = "This PDF is encrypted; add it again with --password if you know the password."
_WRONG_PASSWORD = "The password for this PDF is wrong; add it again with the right --password."
_UNSUPPORTED_SECURITY = (
    "This PDF uses an encryption method that cannot be read; open it in a PDF viewer, "
    "save an unprotected copy and add that."
)
_NO_PAGES = "This PDF has no pages; check that it is the right file, or re-save it from a PDF viewer."
_BLANK = "This PDF has only blank pages (no text, no images); check that it is the right file."


def _damaged(detail: str) -> ExtractionError:
    detail = " ".join(detail.split())[:120].rstrip(".") or "unknown problem"
    return ExtractionError(
        f"This PDF is damaged and no text could be read ({detail}); try re-saving it from a PDF viewer."
    )


# --------------------------------------------------------------------------- text cleaning

# pypdfium2 marks a soft hyphen at a line end with \x02 (older pdfium) or U+FFFE and
# drops or keeps the line break; U+00AD is a real soft hyphen that some files print.
# (Patterns start with a literal or a rare character so that re can scan for them fast.)
_SOFT_HYPHEN = re.compile(r"[\x02\ufffe\xad][ \t]*\n?")
_EOL_HYPHEN = re.compile(r"-\n")
_JUNK_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\uffff]|\(cid:\d+\)")
_SPACES = re.compile(r"[ \t\u00a0]{2,}|[\t\u00a0]")
_BLANK_LINES = re.compile(r"\n{3,}")

# Spacing diacritics as TeX and some typesetters print them beside the letter, the
# combining mark they stand for, and the letters they may sit on (vowels mostly, so that
# an apostrophe typed as an acute, as in "don´t", is left alone).
_VOWELS = "aeiouyAEIOUYı"
_MARKS: dict[str, tuple[str, str]] = {
    "\u00a8": ("\u0308", _VOWELS),  # diaeresis
    "\u00b4": ("\u0301", _VOWELS),  # acute
    "\u02ca": ("\u0301", _VOWELS),
    "`": ("\u0300", _VOWELS),  # grave
    "\u02cb": ("\u0300", _VOWELS),
    "\u02c6": ("\u0302", _VOWELS),  # circumflex
    "\u02dc": ("\u0303", "aonAON"),  # tilde
    "\u00b8": ("\u0327", "cstCST"),  # cedilla
    "\u02c7": ("\u030c", "cszrendtCSZRENDT"),  # caron
    "\u02da": ("\u030a", "auAU"),  # ring
    "\u02dd": ("\u030b", "ouOU"),  # double acute
    "\u00af": ("\u0304", _VOWELS),  # macron
    "\u02d8": ("\u0306", "aguAGU"),  # breve
    "\u02d9": ("\u0307", "zegiZEGI"),  # dot above
    "\u02db": ("\u0328", "aeiuAEIU"),  # ogonek
}
_MARK_CLASS = "[" + re.escape("".join(_MARKS)) + "]"
_MARK_CHARS = re.compile(_MARK_CLASS)
_ACCENT = re.compile(rf"([^\W\d_])?({_MARK_CLASS})( ?)([^\W\d_])?")
# NFKC turns a lone spacing mark into space + combining mark; put the spacing mark back.
_LONE_MARKS = {unicodedata.normalize("NFKC", mark): mark for mark in _MARKS if mark != "`"}
_LONE_MARK = re.compile("|".join(re.escape(decomposed) for decomposed in _LONE_MARKS))


def clean_text(text: str) -> str:
    """Page text made searchable: joined hyphenation, repaired accents, NFKC, \\n line ends."""
    # The guards skip patterns that are rare; page text is megabytes per document.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n\xad\n", "\xad")
    text = _SOFT_HYPHEN.sub("", text)
    if "-\n" in text:
        text = _EOL_HYPHEN.sub(_join_hyphenated, text)
    text = _JUNK_CHARS.sub("", text)
    if _MARK_CHARS.search(text):
        text = _repair_accents(text)
    if not unicodedata.is_normalized("NFKC", text):
        text = _LONE_MARK.sub(lambda m: _LONE_MARKS[m.group(0)], unicodedata.normalize("NFKC", text))
    if "\u2010" in text or "\u2011" in text:
        text = text.replace("\u2010", "-").replace("\u2011", "-")
    if "  " in text or "\t" in text or "\xa0" in text:
        text = _SPACES.sub(" ", text)
    text = text.replace(" \n", "\n")
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _join_hyphenated(match: re.Match[str]) -> str:
    # Only a lower-case continuation is hyphenation; "Schmidt-\nCatran" keeps its hyphen.
    text, start, end = match.string, match.start(), match.end()
    before, after = text[start - 1 : start], text[end : end + 1]
    return "" if before.islower() and after.islower() else match.group(0)


def _compose(letter: str | None, mark: str) -> str | None:
    """The single character for letter + spacing mark, if the mark may sit on it."""
    if not letter:
        return None
    combining, bases = _MARKS[mark]
    if letter not in bases:
        return None
    composed = unicodedata.normalize("NFC", ("i" if letter == "ı" else letter) + combining)
    return composed if len(composed) == 1 else None


def _repair_accents(text: str) -> str:
    """Combine a spacing diacritic with the letter before or after it (a¨ -> ä, L´o -> Ló)."""
    # Typesetters put the mark after its letter (Universita¨t) or, like TeX, before it
    # (L´opez). Unambiguous cases vote for the side used on this page; ties follow the vote.
    votes: Counter[str] = Counter()
    for m in _ACCENT.finditer(text):
        before, after = _compose(m.group(1), m.group(2)), _compose(m.group(4), m.group(2))
        if bool(before) != bool(after):
            votes["before" if before else "after"] += 1
    prefer_before = votes["before"] >= votes["after"]
    return _ACCENT.sub(lambda m: _accent_replacement(m, prefer_before), text)


def _accent_replacement(m: re.Match[str], prefer_before: bool) -> str:
    prev, mark, space, nxt = m.group(1) or "", m.group(2), m.group(3), m.group(4) or ""
    if mark == "`" and not prev:
        return m.group(0)  # `quoted' in TeX style, not a grave accent
    before, after = _compose(prev or None, mark), _compose(nxt or None, mark)
    # A dotless i only ever carries an accent in TeX output, where the mark comes first.
    if before and (prefer_before or not after) and nxt != "ı":
        # "a¨ t" (pdfminer puts a space after the mark) is one word: "ät".
        return before + ("" if nxt and nxt.islower() else space) + nxt
    if after and not space:
        return prev + after
    return m.group(0)


# --------------------------------------------------------------------------- page reading


@dataclass(frozen=True)
class _Line:
    """A printed line of a page, with its font size and height on the page."""

    text: str  # raw, uncleaned
    size: float  # font size in points as printed
    y: float  # baseline height, PDF units (larger is higher)
    # The text with superscripts (affiliation letters and numbers) replaced by "*", for
    # short lines near the title that may name the authors; None if it has none.
    plain: str | None = None


@dataclass
class _Pages:
    """Text per page (None: the page could not be read) and the lines of the first pages."""

    source: str  # "pdfium" or "pdfminer"
    texts: list[str | None] = field(default_factory=list)
    layouts: list[list[_Line]] = field(default_factory=list)
    blank: int = 0  # pages without text and without any page object
    checked: int = 0  # characters checked for a missing Unicode map ...
    unmapped: int = 0  # ... and how many had none: their text is garbage

    def char_count(self) -> int:
        """Non-space characters over all pages (pdfminer's "(cid:12)" junk not counted)."""
        return sum(len("".join(_JUNK_CHARS.sub("", text or "").split())) for text in self.texts)

    def readable(self) -> bool:
        """Whether any page could be loaded at all."""
        return any(text is not None for text in self.texts)

    def poor(self) -> bool:
        """Almost no text, or text in fonts pdfium cannot map to Unicode."""
        sparse = self.char_count() < _SPARSE_CHARS_PER_PAGE * len(self.texts)
        return sparse or self.unmapped > _GARBLED_SHARE * max(self.checked, 1)


def _open_pdfium(data: bytes, password: str | None) -> tuple[pdfium.PdfDocument | None, str]:
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


def _read_pdfium(pdf: pdfium.PdfDocument) -> _Pages:
    """Text of every page; the lines of the first pages with their font sizes."""
    pages = _Pages("pdfium")
    # len(pdf) counts the page objects pdfium found, not the /Count a file claims.
    for index in range(len(pdf)):
        try:
            page = pdf[index]
        except pdfium.PdfiumError:
            pages.texts.append(None)
            if index < _LAYOUT_PAGES:
                pages.layouts.append([])  # keep layouts[i] the lines of page i + 1
            continue
        try:
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
                if index < _LAYOUT_PAGES:
                    pages.layouts.append(_pdfium_lines(textpage, raw))
                _check_unicode_map(textpage, pages)
            finally:
                textpage.close()
            if not raw.strip() and pdfium_c.FPDFPage_CountObjects(page.raw) == 0:
                pages.blank += 1
            pages.texts.append(raw)
        except pdfium.PdfiumError:
            pages.texts.append(None)
        finally:
            page.close()
    return pages


def _check_unicode_map(textpage: pdfium.PdfTextPage, pages: _Pages) -> None:
    """Count sampled characters whose font has no usable Unicode map."""
    count = pdfium_c.FPDFText_CountChars(textpage.raw)
    for char in range(0, count, max(1, count // _MAP_CHECKS_PER_PAGE)):
        pages.checked += 1
        pages.unmapped += pdfium_c.FPDFText_HasUnicodeMapError(textpage.raw, char) == 1


def _pdfium_lines(textpage: pdfium.PdfTextPage, raw: str) -> list[_Line]:
    """The lines of a page in pdfium's order, each with its median font size."""
    lines: list[_Line] = []
    spans: list[tuple[int, int]] = []  # where each line starts and ends in raw
    matrix = pdfium_c.FS_MATRIX()
    x, y = ctypes.c_double(), ctypes.c_double()
    start = 0
    for part in raw.split("\r\n"):
        first, end = start, start + len(part)
        start = end + 2
        if not part.strip():
            continue
        # A few characters per line are enough for its size; sampling keeps this O(lines).
        picks = [i for i in range(first, end, max(1, len(part) // 5)) if not raw[i].isspace()][:6]
        sizes, heights = [], []
        for text_index in picks:
            char = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage.raw, text_index)
            if char < 0:
                continue
            font_size = pdfium_c.FPDFText_GetFontSize(textpage.raw, char)
            # The font size is often 1 with the size in the text matrix: scale by it.
            scale = 1.0
            if pdfium_c.FPDFText_GetMatrix(textpage.raw, char, ctypes.byref(matrix)):
                scale = math.hypot(matrix.c, matrix.d) or 1.0
            sizes.append(font_size * scale)
            if pdfium_c.FPDFText_GetCharOrigin(textpage.raw, char, ctypes.byref(x), ctypes.byref(y)):
                heights.append(y.value)
        if sizes:
            lines.append(_Line(part, statistics.median(sizes), statistics.median(heights) if heights else 0.0))
            spans.append((first, end))
    for index in _author_candidates(lines):
        plain = _without_superscripts(textpage, lines[index].text, spans[index][0])
        if plain is not None:
            lines[index] = replace(lines[index], plain=plain)
    return lines


def _author_candidates(lines: Sequence[_Line]) -> list[int]:
    """Short lines of capitalised words close to the largest type: where authors are printed."""
    sizes = sorted({round(line.size, 1) for line in lines})[-3:]
    near: set[int] = set()
    for index, line in enumerate(lines):
        if round(line.size, 1) in sizes:
            near.update(range(max(0, index - 3), min(len(lines), index + 11)))
    return sorted(index for index in near if _could_be_names(lines[index].text))


def _without_superscripts(textpage: pdfium.PdfTextPage, text: str, first: int) -> str | None:
    """The line with raised, smaller characters at word ends replaced by "*"; None if none.

    PNAS and others glue affiliation letters to names ("Hardera", "Hangartnerb,c,d"); only
    the characters' boxes tell them apart. Checking word ends only keeps this cheap.
    """
    raw = textpage.raw
    rect = pdfium_c.FS_RECTF()

    def box(text_index: int) -> tuple[float, float] | None:
        char = pdfium_c.FPDFText_GetCharIndexFromTextIndex(raw, first + text_index)
        if char < 0 or not pdfium_c.FPDFText_GetLooseCharBox(raw, char, ctypes.byref(rect)):
            return None
        return rect.bottom, rect.top - rect.bottom

    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    samples = [found for found in map(box, letters[:: max(1, len(letters) // 5)][:6]) if found]
    if not samples:
        return None
    bottom, height = statistics.median(b for b, _ in samples), statistics.median(h for _, h in samples)
    raised: set[int] = set()
    for word in re.finditer(r"\S+", text):
        for index in range(word.end() - 1, word.start(), -1):
            found = box(index)
            if found is not None and found[1] < 0.85 * height and found[0] > bottom + 0.2 * height:
                raised.add(index)
            elif found is None or text[index].isalnum() or index in raised or index + 1 in raised:
                break  # ("Hangartnerb,c,d," ends in a comma of normal size, after the letters)
    if not raised:
        return None
    return re.sub(r"\x00+", "*", "".join("\x00" if i in raised else ch for i, ch in enumerate(text)))


def _read_pdfminer(doc: PDFDocument) -> _Pages:
    """Text of every page by pdfminer.six layout analysis (the fallback, ~20 pages/s)."""
    manager = PDFResourceManager(caching=True)
    device = PDFPageAggregator(manager, laparams=LAParams(detect_vertical=True))
    interpreter = PDFPageInterpreter(manager, device)
    pages = _Pages("pdfminer")
    try:
        for page in PDFPage.create_pages(doc):
            try:
                interpreter.process_page(page)
                layout = device.get_result()
            except Exception:  # one broken page must not cost the others
                pages.texts.append(None)
                continue
            pages.texts.append(_layout_text(layout))
            if len(pages.layouts) < _LAYOUT_PAGES:
                pages.layouts.append(_layout_lines(layout))
    except Exception:  # a broken page tree: keep the pages read so far
        pass
    return pages


def _text_boxes(layout: LTPage) -> Iterable[LTTextBox]:
    return (item for item in layout if isinstance(item, LTTextBox))


def _layout_text(layout: LTPage) -> str:
    # Text boxes are paragraphs, more or less: keep them apart with a blank line.
    return "\n\n".join(box.get_text().strip() for box in _text_boxes(layout))


def _layout_lines(layout: LTPage) -> list[_Line]:
    lines: list[_Line] = []
    for box in _text_boxes(layout):
        for line in box:
            if not isinstance(line, LTTextLine):
                continue
            sizes = [char.size for char in line if isinstance(char, LTChar)]
            if sizes:
                lines.append(_Line(line.get_text().strip(), statistics.median(sizes), line.y0))
    return lines


# --------------------------------------------------------------------------- metadata


@dataclass
class _Meta:
    """What the information dictionary, XMP and catalog say, decoded to text."""

    info: dict[str, str] = field(default_factory=dict)
    xmp: dict[str, list[str]] = field(default_factory=dict)
    lang: str | None = None


def _open_pdfminer(data: bytes, password: str | None) -> tuple[PDFDocument | None, str]:
    """The pdfminer document, or None and why it could not be opened."""
    try:
        return PDFDocument(PDFParser(io.BytesIO(data)), password=password or ""), ""
    except PDFPasswordIncorrect:
        raise
    except Exception as err:  # pdfminer raises anything on broken files
        return None, _describe(err)


def _describe(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _read_meta(doc: PDFDocument) -> _Meta:
    """Info dictionary, XMP and /Lang; parts that fail to parse are left out."""
    meta = _Meta()
    with contextlib.suppress(Exception):  # metadata is optional; a broken dictionary is not fatal
        meta.info = _read_info(doc)
    try:
        catalog = doc.catalog
        meta.lang = _pdf_text(resolve1(catalog.get("Lang"))) or None
        stream = resolve1(catalog.get("Metadata"))
        if isinstance(stream, PDFStream):
            meta.xmp = parse_xmp(stream.get_data())
    except Exception:  # same: a broken catalog or XMP stream is not fatal
        pass
    return meta


def _read_info(doc: PDFDocument) -> dict[str, str]:
    info: dict[str, str] = {}
    # PDFDocument.info is a list: one dictionary per trailer, the newest first.
    for entries in doc.info:
        for key, value in entries.items():
            text = _pdf_text(resolve1(value))
            if text and str(key) not in info:
                info[str(key)] = text
    return info


def _pdf_text(value: object) -> str:
    """A PDF string (PDFDocEncoding, UTF-16 or UTF-8 with BOM) or name as clean text."""
    if isinstance(value, PSLiteral):
        value = value.name
    if isinstance(value, bytes):
        if value.startswith(b"\xef\xbb\xbf"):
            value = value[3:].decode("utf-8", "replace")
        elif value.startswith(b"\xff\xfe"):
            value = value[2:].decode("utf-16-le", "replace")
        else:
            value = decode_text(value)
    if not isinstance(value, str):
        return ""
    return " ".join(clean_text(value).split())


_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XMP_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
}
_XMP_WANTED = {
    "dc:title", "dc:creator", "dc:date", "dc:description", "dc:subject", "dc:publisher",
    "xmp:CreateDate", "pdf:Keywords",
    "prism:publicationName", "prism:coverDate", "prism:publicationDate",
}  # fmt: skip
_XML_DECLARATIONS = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def parse_xmp(data: bytes) -> dict[str, list[str]]:
    """The wanted XMP properties ("dc:title", ...) with their values; {} if unreadable."""
    start = data.find(b"<")
    if start < 0 or len(data) > _MAX_XMP_BYTES or _XML_DECLARATIONS.search(data):
        # A DOCTYPE is never needed in XMP and is how entity expansion attacks start.
        return {}
    try:
        root = ET.fromstring(data[start:].rstrip(b"\x00 \t\r\n"))
    except ET.ParseError:
        return {}
    found: dict[str, list[str]] = {}
    for description in root.iter(_RDF + "Description"):
        # A property is either an attribute of rdf:Description or a child element.
        for name, value in description.attrib.items():
            key = _xmp_key(name)
            if key and value.strip():
                found.setdefault(key, []).append(_clean_value(value))
        for child in description:
            key = _xmp_key(child.tag)
            if key:
                found.setdefault(key, []).extend(_xmp_values(child))
    return {key: values for key, values in found.items() if values}


def _xmp_key(tag: str) -> str | None:
    if not tag.startswith("{"):
        return None
    namespace, _, local = tag[1:].partition("}")
    prefix = _XMP_PREFIXES.get(namespace)
    if prefix is None and namespace.startswith("http://prismstandard.org/namespaces/"):
        prefix = "prism"
    key = f"{prefix}:{local}"
    return key if key in _XMP_WANTED else None


def _xmp_values(element: ET.Element) -> list[str]:
    items = list(element.iter(_RDF + "li"))
    if not items:
        text = _clean_value(element.text or "")
        return [text] if text else []
    # In an rdf:Alt the x-default language comes first.
    items.sort(key=lambda item: item.get(_XML_LANG) != "x-default")
    return [text for text in (_clean_value(item.text or "") for item in items) if text]


def _clean_value(text: str) -> str:
    return " ".join(clean_text(text).split())


# --------------------------------------------------------------------------- dates

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "january jan januari janvier januar jänner enero",
            "february feb februari février fevrier februar febrero",
            "march mar maart mrt mars märz marz marzo",
            "april apr avril abril",
            "may mei mai mayo",
            "june jun juni juin junio",
            "july jul juli juillet julio",
            "august aug augustus août aout agosto",
            "september sep sept septembre septiembre",
            "october oct oktober okt octobre octubre",
            "november nov novembre noviembre",
            "december dec dez december décembre decembre dezember diciembre",
        ],
        start=1,
    )
    for name in names.split()
}
_MONTH = r"(?P<month>[A-Za-zéûäè]{3,9})\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_FORMS = [
    re.compile(rf"(?P<day>\d{{1,2}})\.?\s+{_MONTH},?\s+{_YEAR}\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}),?\s+{_YEAR}\b"),
    re.compile(rf"\b{_YEAR}-(?P<monthnum>\d\d)-(?P<day>\d\d)\b"),
    re.compile(rf"\b{_MONTH}\s+{_YEAR}\b"),
]
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d\d)?(\d\d)?")
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d\d))?(?:-(\d\d))?")


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    """An ISO date of the precision given, or None if it is no real date."""
    if not 1900 <= year <= date.today().year + 1:
        return None
    if month is None or not 1 <= month <= 12:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return f"{year:04d}-{month:02d}"


def parse_pdf_date(text: str) -> str | None:
    """An ISO date from a PDF date ("D:20200512...") or an XMP date ("2020-05-12T...")."""
    text = text.strip()
    match = _PDF_DATE.match(text) if text.startswith("D:") or "-" not in text[:8] else None
    match = match or _ISO_DATE.match(text)
    if not match:
        return None
    year, month, day = (int(group) if group else None for group in match.groups())
    return _iso(year or 0, month, day)


def _find_date(text: str) -> str | None:
    """The first written date in text: "12 May 2020", "May 12, 2020", "2020-05-12", "May 2020"."""
    best: tuple[int, str] | None = None
    for form in _DATE_FORMS:
        for match in form.finditer(text):
            found = _date_from_match(match)
            if found and (best is None or match.start() < best[0]):
                best = (match.start(), found)
                break
    return best[1] if best else None


def _date_from_match(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    month = int(groups["monthnum"]) if groups.get("monthnum") else _MONTHS.get((groups.get("month") or "").lower())
    if month is None:
        return None
    day = int(groups["day"]) if groups.get("day") else None
    return _iso(int(groups["year"]), month, day)


_PUBLISHED = re.compile(
    r"(?i)\b(?:first\s+)?(?:published(?:\s+online)?|publication\s+date|advance\s+access\s+publication|"
    r"date\s+(?:of|de)\s+publication|publicatiedatum|"
    r"online\s+(?:publiziert|veröffentlicht)|veröffentlicht|gepubliceerd|publié(?:\s+en\s+ligne)?)"
    r"\b(?:\s+(?:on|in|am|op|le))?\s*[:.]?\s*(?P<rest>.{0,40})"
)
_CITATION_YEAR = [
    re.compile(r"(?i)to cite this article:[^\n]{0,200}?\(((?:19|20)\d\d)\)"),
    re.compile(r"\(((?:19|20)\d\d)\)\s*\d+\s*(?:\(\d+\))?\s*:\s*\w*\d+"),  # (2024) 7:1305–1325
    re.compile(r"\b((?:19|20)\d\d)\s*;\s*\d+\s*\(\d+\)"),  # 2022; 47(1)
]
_COPYRIGHT_YEAR = re.compile(r"(?i)(?:©|\(c\)|copyright\b)[^\n\d]{0,40}((?:19|20)\d\d)\b")
_DOWNLOAD_NOTE = re.compile(r"(?i)download|accessed|generiert|retrieved|this article was")


def find_printed_date(text: str) -> str | None:
    """The publication date printed on a first page ("Published: 12 May 2020", "© 2020"), ISO.

    An article published online first carries the year of its journal issue in the
    journal line or the suggested citation; that year wins, as citations use it.
    """
    lines = [line for line in text.splitlines() if not _DOWNLOAD_NOTE.search(line)]
    kept = "\n".join(lines)
    published = next(
        (
            found
            for match in _PUBLISHED.finditer(kept)
            if (found := _find_date(match.group("rest")) or _year_at_start(match.group("rest")))
            and not _in_future(found)
        ),
        None,
    )
    cited = _cited_year(kept, lines)
    if published and cited and 0 < int(cited[:4]) - int(published[:4]) <= 2:
        return cited
    if published or cited:
        return published or cited
    for pattern in (*_CITATION_YEAR[1:], _COPYRIGHT_YEAR):
        match = pattern.search(kept)
        if match and not _in_future(match.group(1)):
            return _iso(int(match.group(1)))
    for line in lines:
        if _is_date_line(line):
            found = _find_date(line)
            if found and not _in_future(found):
                return found
    return None


def _in_future(iso: str) -> bool:
    """Whether an ISO date (of any precision) lies after today: never a publication date."""
    return iso > date.today().isoformat()[: len(iso)]


def _cited_year(text: str, lines: Sequence[str]) -> str | None:
    """The year of a suggested citation or of the journal line ("Acta Politica (2023) 58:461")."""
    match = _CITATION_YEAR[0].search(text)
    if match and not _in_future(match.group(1)):
        return match.group(1)
    for venue in _venue_lines(lines):
        if venue.year and not _in_future(venue.year):
            return venue.year
    return None


def _year_at_start(text: str) -> str | None:
    match = re.match(rf"\s*{_YEAR}\b", text)
    return _iso(int(match.group("year"))) if match else None


def _is_date_line(line: str) -> bool:
    """A line that is only a date, like the version date under a working paper's title."""
    line = line.strip()
    if not line or len(line) > 30:
        return False
    found = _find_date(line)
    if not found:
        return False
    rest = line
    for form in _DATE_FORMS:
        rest = form.sub("", rest)
    return not re.search(r"[^\W\d_]{2,}", rest)


# --------------------------------------------------------------------------- title

_TITLE_FILE = re.compile(
    r"(?i)^(microsoft (word|powerpoint|excel)|untitled|title|no title|(powerpoint )?presentation|"
    r"document\d*|slide \d+|layout \d+|none|unknown)\b|\.(pdf|docx?|pptx?|xlsx?|tex|dvi|indd|rtf|odt|txt|e?ps|qxd)\b"
)
_ID_TOKEN = re.compile(r"(?=\S*\d{4})(?=\S*[A-Za-z])\S+|\d+\.\.\d+")
_JOURNAL = re.compile(
    r"(?i)^(?:the\s+)?(?:[\w-]+\s+){0,2}(?:journal|annals|proceedings|bulletin|annual\s+review)\s+(?:of|for|on)\b"
)
_FURNITURE = re.compile(
    r"(?ix) \bdoi\b | \b10\.\d{4,9}/ | https?:// | www\. | @ | © | \bopen\ access\b"
    r" | ^(?:research|original|review|short|brief)?\s*(?:research\ )?(?:article|paper|report|letters?|communication)\W*$"
    r" | ^(?:chapter|hoofdstuk|kapitel)\s+\d+ | ^(?:abstract|keywords?|key\ words|introduction|inleiding|einleitung"
    r"|contents|inhoud(?:sopgave)?|samenvatting|zusammenfassung|summary|résumé|preface|voorwoord)\b"
    r" | \b(?:accepted|author)\ manuscript\b | ^(?:pre-?print|draft)\W*$ | (?:click|check)\ for\ updates"
    r" | \b(?:downloaded|this\ article\ was|to\ cite\ this\ article|published\ online|issn|isbn|copyright"
    r"|all\ rights\ reserved|creative\ commons|licen[cs]ed?\b|e-?mail|corresponding\ author)"
    r" | \b(?:vol\.?|volume|issue|no\.)\s*\d | \d+\s*\(\d+\)\s*: | \(\s*(?:19|20)\d\d\s*\)\s*\d+\s*:"
    r" | working\ paper\s+(?:no|series|\d) | discussion\ paper\s+(?:no|series|\d)"
)
_SPACED_LETTERS = re.compile(r"^(?:\w{1,2} ){4,}")
_ONE_CAPS_WORD = re.compile(r"^[^\W\d_a-zß]{3,}\W*$")
_NAME_PARTICLES = set("van der den de von da di du la le y and und en et zu ten ter het".split())  # noqa: SIM905
_AUTHOR_JOINERS = re.compile(r",| and | und | en | et |&|·|\||[†‡§¶*]|\w\d")
_TRAILING_MARKS = re.compile(r"[\s*∗†‡§¶]+$")
_AFFILIATION = re.compile(
    r"\b(Univ\w*|Institut\w*|College|School|Department|Dept\.|Centre|Center|Faculty|Faculteit)\b"
)
_CAPS_NAME = re.compile(r"^(?:[A-Z][A-Z.'’-]+\s+){1,3}[A-Z][A-Z'’-]+\b")  # "JENS HAINMUELLER Harvard ..."


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


_NOT_ALNUM = re.compile(r"[\W_]+")
_NOT_LETTER = re.compile(r"[\W\d_]+")


def _squash(text: str) -> str:
    """Lower-case letters and digits only: for comparing titles across sources."""
    return _NOT_ALNUM.sub("", text.lower())


def _header_key(text: str) -> str:
    """A running header without its page number, for spotting it on several pages."""
    return _NOT_LETTER.sub("", text.lower())


def _running_headers(texts: Sequence[str | None]) -> set[str]:
    """Lines that open or close at least two of pages 2-6: running headers and footers."""
    seen: Counter[str] = Counter()
    for text in texts[1:6]:
        lines = [line for line in (text or "").splitlines() if line.strip()]
        seen.update({key for key in map(_header_key, lines[:2] + lines[-2:]) if len(key) >= 6})
    # Once is not running: an inner title page repeats the cover's title once.
    return {key for key, count in seen.items() if count >= 2}


def _is_furniture(text: str) -> bool:
    """A line that is never a title: labels, DOIs, dates, page numbers, journal lines."""
    stripped = text.strip()
    return (
        _letters(stripped) < 3
        or bool(_FURNITURE.search(stripped))
        or bool(_JOURNAL.search(stripped))
        or bool(_SPACED_LETTERS.search(stripped))
        or bool(_ONE_CAPS_WORD.match(stripped))
        or _is_date_line(stripped)
    )


def _is_year_line(text: str) -> bool:
    return bool(re.fullmatch(r"\W*(?:19|20)\d\d(?:\W+(?:19|20)\d\d)?\W*", text.strip()))


def _is_author_line(text: str) -> bool:
    """Names rather than a subtitle: capitalised words, with commas, "and", or markers."""
    words = re.findall(r"[^\W\d_][\w.'’-]*", text)
    if "@" in text or _AFFILIATION.search(text) or (_CAPS_NAME.match(text) and not text.isupper()):
        return True
    if not words or re.search(r"[?:!]", text):
        return False
    if any(word[0].islower() and word.lower() not in _NAME_PARTICLES for word in words):
        return False
    return bool(_AUTHOR_JOINERS.search(text)) or len(words) <= 4


def _body_size(lines: Sequence[_Line]) -> float:
    """The font size most running text on the page is set in; 0 on a cover without any."""
    weight: Counter[float] = Counter()
    for line in lines:
        if len(line.text.split()) >= 5:
            weight[round(line.size, 1)] += len(line.text)
    return weight.most_common(1)[0][0] if weight else 0.0


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.3, 0.03 * max(a, b))


def _join_title_lines(lines: Iterable[str]) -> str:
    """Title lines as one string, rejoining words hyphenated at a line end."""
    text = ""
    for line in lines:
        line = line.strip()
        if not text:
            text = line
        elif text[-1] in "\x02\ufffe\xad" or (
            text.endswith("-") and line[:1].islower() and text[-2:-1].isalpha()
        ):
            text = text[:-1] + line
        else:
            text = f"{text} {line}"
    return _TRAILING_MARKS.sub("", " ".join(clean_text(text).split()))


def _blocks(lines: Sequence[_Line], size: float) -> list[list[int]]:
    """Runs of consecutive, closely spaced lines in the given size (indexes into lines)."""
    blocks: list[list[int]] = []
    current: list[int] = []
    for index, line in enumerate(lines):
        fits = _same_size(line.size, size) and (_letters(line.text) > 0 or _is_year_line(line.text))
        if fits and current:
            gap = lines[current[-1]].y - line.y
            # Title lines run down the page, about a line apart; a jump starts a new block.
            if not -0.5 * size <= gap <= 2.6 * size:
                blocks.append(current)
                current = []
        if fits:
            current.append(index)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _subtitle(lines: Sequence[_Line], after: int, size: float, body: float) -> tuple[str, int]:
    """Lines right below a title in a smaller but not body size, unless they are names;
    and the index of the last title or subtitle line."""
    picked: list[int] = []
    for index in range(after + 1, min(after + 5, len(lines))):
        line, previous = lines[index], lines[picked[-1] if picked else after]
        sub_size = lines[picked[0]].size if picked else line.size
        gap = previous.y - line.y
        fits = (
            body + 0.5 <= line.size
            and 0.5 * size <= line.size < size - 0.3
            and _same_size(line.size, sub_size)
            and 0 < gap <= (2.2 if picked else 2.6) * (sub_size if picked else line.size)
            and not _is_furniture(line.text)
            and (picked or not _is_author_line(line.text))
        )
        if not fits:
            break
        picked.append(index)
    return _join_title_lines(lines[i].text for i in picked), (picked[-1] if picked else after)


def _combine(title: str, subtitle: str) -> str:
    if not subtitle:
        return title
    return f"{title} {subtitle}" if title[-1:] in ":?!.;" else f"{title}: {subtitle}"


@dataclass(frozen=True)
class _TitleSpot:
    """A title found in the layout, and where: the page and its first and last line
    (the subtitle included); page is None for a title taken from a running header."""

    text: str
    page: int | None = None
    first: int = 0
    last: int = 0


def _title_from_lines(lines: Sequence[_Line], headers: set[str]) -> _TitleSpot | None:
    """The largest-font block of lines that reads like a title, with its subtitle."""
    body = _body_size(lines)
    sizes = sorted({round(line.size, 1) for line in lines if line.size >= body + 0.5 and not _is_furniture(line.text)})
    for size in reversed(sizes[-3:]):
        for block in _blocks(lines, size):
            # Labels and DOIs go, but a year range set in the title's size is part of it.
            block = [i for i in block if _is_year_line(lines[i].text) or not _is_furniture(lines[i].text)]
            if not block:
                continue
            title = _join_title_lines(lines[i].text for i in block)
            if _letters(title) < 4 or _is_page_header(title, block, len(lines), headers):
                continue
            subtitle, last = _subtitle(lines, block[-1], lines[block[0]].size, body)
            return _TitleSpot(_combine(title, subtitle), None, block[0], last)
    return None


def _is_page_header(title: str, block: Sequence[int], count: int, headers: set[str]) -> bool:
    """A running header at the top or bottom of page 1 too (a title may also be a running
    header on later pages, but on page 1 it stands below the header, in large type)."""
    at_edge = block[0] < 2 or block[-1] >= count - 2
    return at_edge and _header_key(title) in headers


def _header_title(lines: Sequence[_Line], headers: set[str]) -> str | None:
    """On a cover with (almost) no text, the running header often names the document."""
    if sum(len(line.text.split()) for line in lines) > 40:
        return None
    named = [line.text for line in lines if _header_key(line.text) in headers and len(line.text.split()) >= 3]
    if not named:
        return None
    best = max(named, key=_letters)
    return _join_title_lines([re.sub(r"\s+\d{1,4}$", "", best)]) or None


def _layout_title(layouts: Sequence[Sequence[_Line]], headers: set[str]) -> _TitleSpot | None:
    """The title printed largest on page 1 (page 2 if page 1 is a cover without one)."""
    for page, lines in enumerate(layouts[:_LAYOUT_PAGES]):
        spot = _title_from_lines(lines, headers)
        if spot:
            return replace(spot, page=page)
    title = _header_title(layouts[0], headers) if layouts else None
    return _TitleSpot(title) if title else None


def _usable_title(title: str, first_pages: str) -> bool:
    """A metadata title worth showing: not a file name, an id, a journal or boilerplate."""
    words = title.split()
    if len(words) < 2 or _letters(title) < 6 or _TITLE_FILE.search(title) or _JOURNAL.search(title):
        return False
    if sum(bool(_ID_TOKEN.fullmatch(word)) for word in words) * 3 >= len(words):
        return False
    squashed_page = _squash(first_pages)
    if len(squashed_page) < 200:
        return len(words) >= 3  # nothing to check it against (a scan): trust a real-looking one
    # A real title is printed on the first pages; "Science Journals — AAAS" is not.
    return _squash(title) in squashed_page


def _metadata_title(meta: _Meta, first_pages: str) -> str | None:
    candidates = [*meta.xmp.get("dc:title", [])[:1], meta.info.get("Title", "")]
    usable = [title for title in candidates if title and _usable_title(title, first_pages)]
    if not usable:
        return None
    best = usable[0]
    for other in usable[1:]:
        # One of them may be cut short (info strings are often truncated at 100 characters).
        if len(other) > len(best) and _squash(other).startswith(_squash(best)):
            best = other
    return best


def _choose_title(
    meta: _Meta, pages: _Pages, texts: Sequence[str]
) -> tuple[str | None, str | None, _TitleSpot | None]:
    """The title, where it came from ("metadata" or "layout"), and where the layout has one."""
    first_pages = "\n".join(texts[:2])
    from_meta = _metadata_title(meta, first_pages)
    spot = _layout_title(pages.layouts, _running_headers(texts))
    from_layout = spot.text if spot else None
    # The layout often adds the subtitle the metadata left out.
    if (
        from_meta
        and from_layout
        and len(from_layout) > len(from_meta)
        and _squash(from_layout).startswith(_squash(from_meta))
    ):
        return from_layout, "layout", spot
    if from_meta:
        return from_meta, "metadata", spot
    return (from_layout, "layout", spot) if from_layout else (None, None, spot)


# --------------------------------------------------------------------------- authors and journal printed on page 1

# A name word: capitalised letters ("Czymara", "López-Ortega", "O’Brien"); initials ("S.",
# "A.C.G.", "J.-P.", "C"); and lower-case particles inside a name ("van der Velden").
_NAME_WORD = re.compile(r"[^\W\d_][^\W\d_]*(?:['’-][^\W\d_]+)*")
_INITIALS = re.compile(r"(?:[A-Z]\.-?){1,4}|[A-Z]{1,2}")
_PARTICLES = {
    "van", "der", "den", "de", "del", "della", "des", "di", "da", "dos", "du", "la", "le",
    "ten", "ter", "te", "'t", "von", "vom", "zu", "zur", "af", "av", "bin", "al", "el",
}  # fmt: skip
_NAME_JOINERS = {"and", "und", "en", "et", "&"}
# Footnote marks and affiliation numbers after a name: "Czymara1,2*", "Bansak,1,2*", "Kraft†".
_NAME_MARKS = re.compile(r"[\d*∗⁎†‡§¶#]+")
_NAME_SEPARATORS = re.compile(r"\s*(?:[,;|·•&]|(?<!\S)(?:and|und|en|et)(?!\S))\s*", re.IGNORECASE)
_NAME_NOISE = re.compile(
    r"\S+@\S+|https?://\S+|(?i:\borcid\b(?:\s*id)?:?)|\b\d{4}-\d{4}-\d{4}-\d{3}[\dX]\b|\(\s*[A-Za-z]?\s*\)"
    r"|[\ue000-\uf8ff\r\n\t()\[\]]"
)
# Words that are never part of a person's name, though printed with a capital.
_NOT_NAME_WORDS = set(
    """
    abstract access accepted appendix article articles association author authors brief center centre chapter
    citation college commons contents copyright correspondence creative data department discussion draft edited
    edition editor editors faculteit faculty figure foundation group gmbh inc institut institute instituut
    introduction issue journal keywords lab laboratory letter letters licence license ltd manuscript material
    media ministry news note notes open original paper partij politics political press print program programma
    programme project published received report research review reviewed reviews school science sciences section
    series social society special specialty studies study summary supplementary table universidad universiteit
    university universität université verkiezingsprogramma version volume working
    the of for in on to with from our your we het een voor onze naar met die das les des
    germany deutschland netherlands nederland belgium france israel switzerland kingdom states america europe
    european national public opinion policy evidence attitudes immigration immigrants migrants refugees asylum
    integration election elections voting voters democracy democratic populism populist polarization
    polarisation parties parliament government crisis analysis effects effect experiment survey theory approach
    perspective comparison comparative impact trust identity culture cultural economic threat framing discourse
    coverage methods results conclusion conference proceedings workshop thesis dissertation
    beleid onderzoek rapport verkiezingen migratie integratie samenleving forschung bericht studie gesellschaft
    politik
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_AFFILIATION_WORD = re.compile(
    r"\b(?:Univ\w*|Institut\w*|College|School|Department|Dept\.|Centre|Center|Faculty|Faculteit|Hochschule"
    r"|Laborator\w*|Academy|Akademie|GESIS|Ministry|Foundation)\b"
)
_AFFILIATION_LINE = re.compile(r"@|(?i:correspond|e-?mail\b|present address)")
_BYLINE_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_MARK_LINE = re.compile(r"[\W\d_]*[a-z]?[\W\d_]*")  # "*", "1", "a", "†", "1,2": marks on a line of their own


# A word of two letters or more that starts in lower case and is no particle: not a byline.
_LOWER_WORD = re.compile(
    r"(?<![\w'’-])(?!(?:" + "|".join(sorted(map(re.escape, _PARTICLES | _NAME_JOINERS))) + r")(?![\w'’-]))"
    r"[a-zß-öø-ÿ][\w'’-]"
)


def _could_be_names(text: str) -> bool:
    """A cheap first look: a short line without lower-case words other than particles."""
    return len(text) <= 200 and not _LOWER_WORD.search(text) and any(ch.isupper() for ch in text)


def _decapitalise(piece: str) -> str:
    """ "LISA JANSSEN" -> "Lisa Janssen", "VAN DER MEER" -> "van der Meer"; mixed case stays."""
    if any(ch.islower() for ch in piece):
        return piece
    words = []
    for index, word in enumerate(piece.split()):
        if _INITIALS.fullmatch(word) and (len(word) == 1 or "." in word):
            words.append(word)
        elif index and word.lower() in _PARTICLES:
            words.append(word.lower())
        else:
            words.append(re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word))
    return " ".join(words)


def _as_name(piece: str) -> str | None:
    """The piece if it reads as one person's name: 2-5 capitalised words and initials,
    particles inside; None for anything else."""
    words = _decapitalise(piece).split()
    if not 2 <= len(words) <= 7 or words[0].lower() in _PARTICLES:
        return None
    core = 0
    for index, word in enumerate(words):
        last = index == len(words) - 1
        if word in _PARTICLES and not last:
            continue
        if _INITIALS.fullmatch(word) and not last:
            core += 1
            continue
        if (
            not word[0].isupper()
            or not _NAME_WORD.fullmatch(word)
            or not any(ch.islower() for ch in word)
            or word.lower() in _NOT_NAME_WORDS
        ):
            return None
        core += 1
    return " ".join(words) if 2 <= core <= 5 else None


def _name_pieces(text: str, *, allow_tail: bool = False) -> list[str] | None:
    """The names in an author line, or None unless every part of it is a name.

    With allow_tail, an unfinished name at the end ("..., Alexandra" or "Denise J.", its
    rest on the next line) is allowed and left out.
    """
    text = _NAME_NOISE.sub(" ", clean_text(text))
    if _BYLINE_YEAR.search(text):
        return None  # "November 29, 2023": marks are small numbers, never years
    text = _NAME_MARKS.sub(",", re.sub(r"(?i)^\s*(?:by|door)\s+", "", text))
    names: list[str] = []
    pieces = [piece.strip(" .-–") for piece in _NAME_SEPARATORS.split(f" {text} ")]
    pieces = [re.sub(r"(?<=[^\W\d_]{2})\.$", "", piece) for piece in pieces if piece]
    for index, piece in enumerate(pieces):
        name = _as_name(piece)
        if name is None:
            unfinished = len(piece.split()) == 1 or _INITIALS.fullmatch(piece.split()[-1])
            if allow_tail and index == len(pieces) - 1 and unfinished and _as_name(f"{piece} Xx") is not None:
                break
            return None
        names.append(name)
    return _unique(names) if names else None


def parse_name_line(text: str) -> list[str]:
    """The authors in a printed byline ("LISA JANSSEN1 & EMMA TURKENBURG2"); [] if it is no byline."""
    name_part, _ = _split_affiliation(text)
    return (_name_pieces(name_part) or []) if name_part else []


def _split_affiliation(text: str) -> tuple[str | None, bool]:
    """The names in a line that may end in an affiliation, and whether it has one.

    "Christian S. Czymara, Goethe University Frankfurt", "JENS HAINMUELLER Massachusetts
    Institute of Technology", "Jens Hainmueller Stanford University"; None if the line is
    only an affiliation or cannot be split safely.
    """
    match = _AFFILIATION_WORD.search(text)
    if not match:
        return text, False
    before = text[: match.start()]
    cut = max(before.rfind(","), before.rfind(";"))
    if cut > 0 and _name_pieces(before[:cut]):
        return before[:cut], True
    words = before.split()
    caps = 0
    while caps < len(words) and words[caps].isupper():
        caps += 1
    if caps >= 2 and (caps < len(words) or not match.group(0).isupper()):
        return " ".join(words[:caps]), True
    if match.group(0) in ("University", "College") and not text[match.end() :].strip() and len(words) >= 3:
        return " ".join(words[:-1]), True  # "Daniel J. Hopkins Georgetown University"
    return None, True


def _join_name_lines(texts: Sequence[str]) -> str:
    """Byline lines as one: a name broken over two lines is joined, whole names are kept apart."""
    joined = ""
    for text in texts:
        text = text.strip()
        if not joined:
            joined = text
            continue
        pieces = _NAME_SEPARATORS.split(f" {_NAME_MARKS.sub(',', joined)} ")
        tail = pieces[-1].strip(" .") if pieces else ""
        continues = (
            not tail
            or _NAME_SEPARATORS.match(f" {text}")
            or len(tail.split()) == 1
            or _INITIALS.fullmatch(tail.split()[-1])
        )
        joined = f"{joined} {text}" if continues else f"{joined}, {text}"
    return joined


@dataclass
class _Byline:
    """Byline lines being collected below a title."""

    texts: list[str] = field(default_factory=list)
    size: float = 0.0
    marked: bool = False  # footnote marks or superscripts: names, not a subtitle
    affiliated: bool = False

    def take(self, line: _Line, text: str, affiliated: bool) -> None:
        self.texts.append(text)
        self.size = self.size or line.size
        self.marked = self.marked or line.plain is not None or bool(_NAME_MARKS.search(text))
        self.affiliated = self.affiliated or affiliated


def _byline_names(texts: Sequence[str]) -> list[str] | None:
    """The names in byline lines; a last line that only seemed to go on is left out."""
    for end in range(len(texts), 0, -1):
        names = _name_pieces(_join_name_lines(texts[:end]))
        if names:
            return names
    return None


def _names_below(lines: Sequence[_Line], last: int) -> tuple[list[str], bool]:
    """Names in the lines right below a title (lines[last] is its last line), and whether
    something beside the names (marks, an affiliation) says they are authors."""
    names: list[str] = []
    evidence = False
    byline, previous, skipped = _Byline(), lines[last], 0
    first_size = 0.0
    for line in lines[last + 1 : last + 14]:
        text = (line.plain or line.text).strip()
        if _MARK_LINE.fullmatch(text):
            byline.marked = byline.marked or bool(byline.texts)
            continue
        gap = previous.y - line.y
        if not -0.5 * line.size <= gap <= (4.5 if not names and not byline.texts else 3.0) * line.size:
            break
        previous = line
        name_part, affiliated = _split_affiliation(text)
        may_continue = not names or (
            len(names) == 1 and (_same_size(line.size, first_size) or (affiliated and evidence))
        )
        taken = bool(
            name_part
            and may_continue
            and _name_pieces(_join_name_lines([*byline.texts, name_part]), allow_tail=True)
        )
        if taken and name_part:
            byline.take(line, name_part, affiliated)
            if not affiliated:
                continue
        if byline.texts:
            found = _byline_names(byline.texts)
            if not found:
                break
            names.extend(found)
            evidence = evidence or byline.marked or byline.affiliated
            first_size = first_size or byline.size
            byline = _Byline()
            if len(names) >= 2 and len(found) >= 2:
                break
            if taken:
                continue
        if _AFFILIATION_WORD.search(text) or _AFFILIATION_LINE.search(text):
            if not names:
                break
            evidence = True
        elif names or skipped >= 2 or not _is_furniture(text):
            break
        else:
            skipped += 1
    if byline.texts:
        found = _byline_names(byline.texts)
        if found:
            names.extend(found)
            evidence = evidence or byline.marked or byline.affiliated
    return _unique(names), evidence


def _names_above(lines: Sequence[_Line], spot: _TitleSpot) -> tuple[list[str], bool]:
    """Names printed just before the title in reading order: above it, or (in some working
    papers) below it but read first."""
    top, bottom = lines[spot.first].y, lines[spot.last].y
    picked: list[_Line] = []
    for line in reversed(lines[max(0, spot.first - 3) : spot.first]):
        text = (line.plain or line.text).strip()
        if _MARK_LINE.fullmatch(text):
            continue
        if not _could_be_names(text):
            break
        picked.insert(0, line)
    # The lines nearest the title that read as names together ("Communications 2022; 47(1)"
    # above a byline does not).
    for start in range(len(picked)):
        named = picked[start:]
        names = _name_pieces(_join_name_lines([line.plain or line.text for line in named]))
        if not names:
            continue
        near = min(line.y - top if line.y > top else bottom - line.y for line in named)
        steps = [abs(a.y - b.y) for a, b in zip(named, named[1:])]
        if not 0 < near <= 4 * named[0].size or any(step > 2.5 * named[0].size for step in steps):
            return [], False
        return names, any(line.plain is not None or _NAME_MARKS.search(line.text) for line in named)
    return [], False


def _layout_authors(layouts: Sequence[Sequence[_Line]], spot: _TitleSpot | None) -> list[str]:
    """Authors printed with the title: below it, else just before it; one name only with
    marks or an affiliation beside it (a lone "Onze Welvaart" is no author)."""
    if spot is None or spot.page is None or spot.page >= len(layouts):
        return []
    lines = layouts[spot.page]
    names, evidence = _names_below(lines, spot.last)
    if not names:
        names, evidence = _names_above(lines, spot)
    return names if len(names) >= 2 or evidence else []


_TO_CITE = re.compile(
    r"(?is)\b(?:to\s+cite\s+this\s+article|cite\s+this\s+article(?:\s+as)?|how\s+to\s+cite(?:\s+this\s+article)?)"
    r"\s*:\s*(?P<names>.{3,400}?)\s*\(\s*(?:19|20)\d\d[a-z]?\s*\)"
)
_CITATION_LABEL = re.compile(r"(?s)\bCitation:\s*(?P<names>[^()]{3,300}?)\s*\((?:19|20)\d\d\)")
_AUTHORS_LABEL = re.compile(
    r"(?im)^(?:authors?|auteurs?|autor(?:en|innen)?)\s*:\s*"
    r"(?P<names>[^\n]+(?:,\s*\n[^\n]+|\n(?:and|en|und|&)\s[^\n]+)*)"  # on, after a comma or "and"
)
_COPYRIGHT_BY = re.compile(r"(?is)©\s*(?:19|20)\d\d\s+by\s+(?P<names>.{3,300}?)\.\s*All\s+rights\s+reserved")
# "Czymara CS and Eisentraut M", "van der Veen AM": surname, then initials without dots.
_VANCOUVER_NAME = re.compile(
    r"(?P<surname>(?:[a-z]+\s+)*[^\W\d_a-z][\w'’-]+(?:\s+[^\W\d_a-z][\w'’-]+)?)\s+(?P<initials>[A-Z]{1,3})\b"
)
# "Czymara, C. S., Gorodzeisky, A. & Leykin, I.": surname, comma, initials with dots.
_REFERENCE_NAME = re.compile(r"(?P<surname>(?:[a-z]+\s+)*[^\W\d_a-z][\w'’-]+),\s*(?P<initials>(?:[A-Z]\.\s?-?)+)")


def _cited_names(text: str) -> list[str] | None:
    """Names at the start of a suggested citation, in any of the three common forms."""
    text = " ".join(text.split()).strip(" ,.")
    return (
        _name_pieces(text)
        or _initialled_names(text, _REFERENCE_NAME, whole=False)
        or _initialled_names(text, _VANCOUVER_NAME, whole=True)
    )


_NAME_LIST_GAP = re.compile(r"\s*(?:,|&|\band\b)\s*")


def _initialled_names(text: str, pattern: re.Pattern[str], *, whole: bool) -> list[str] | None:
    """Names written surname first ("Czymara, C. S." or "Czymara CS") as "C. S. Czymara".

    The list must open the text; with whole, it must be all of it (a Vancouver list is
    too easily confused with other words to stop anywhere).
    """
    names: list[str] = []
    position = 0
    while match := pattern.match(text, position):
        initials = re.sub(r"[\s.-]", "", match.group("initials"))
        names.append(" ".join([*(f"{letter}." for letter in initials), match.group("surname")]))
        position = match.end()
        gap = _NAME_LIST_GAP.match(text, position)
        if not gap or gap.end() == position:
            break
        position = gap.end()
    if not names or (whole and text[position:].strip(" ,.")) or not all(_as_name(name) for name in names):
        return None
    return names


def find_cited_authors(text: str) -> list[str]:
    """Authors from "To cite this article:", "Citation:", "Authors:" or "© 2024 by" lines."""
    for pattern in (_TO_CITE, _CITATION_LABEL):
        match = pattern.search(text)
        if match:
            names = _cited_names(match.group("names"))
            if names:
                return names
    for pattern in (_AUTHORS_LABEL, _COPYRIGHT_BY):
        match = pattern.search(text)
        if match:
            names = _name_pieces(" ".join(match.group("names").split()))
            if names:
                return names
    return []


def _surname_key(name: str) -> str:
    """The last word of a name, lower case, without accents: "López-Ortega" -> "lopezortega"."""
    last = name.split()[-1] if name.split() else ""
    return "".join(ch for ch in unicodedata.normalize("NFKD", last.lower()) if ch.isalnum())


def _covers(more: Sequence[str], fewer: Sequence[str]) -> bool:
    """Whether every surname in fewer is among those in more."""
    return {_surname_key(name) for name in fewer} <= {_surname_key(name) for name in more}


def _choose_authors(
    meta: _Meta, layouts: Sequence[Sequence[_Line]], spot: _TitleSpot | None, first_pages: str
) -> tuple[tuple[str, ...], str | None]:
    """The authors and where they came from: metadata, else the byline under the title
    ("layout"), else a suggested citation ("heuristic"). A printed list that holds all the
    metadata names and more wins: metadata often names only the first author."""
    from_meta = _authors(meta)
    printed, origin = _layout_authors(layouts, spot), "layout"
    cited = find_cited_authors(first_pages)
    if not printed or (len(cited) > len(printed) and _covers(cited, printed)):
        printed, origin = cited, "heuristic"
    if from_meta and not (len(printed) > len(from_meta) and _covers(printed, from_meta)):
        return from_meta, "metadata"
    return (tuple(printed), origin) if printed else ((), None)


# The name of a journal or series: capitalised words, small joining words, abbreviations.
_JOURNAL_PART = r"(?P<venue>[^\W\d_a-z][\w.’'&-]*(?:\s+(?:&|[^\W\d_][\w.’'&-]*)){0,11})"
_YEAR_PART = r"(?P<year>(?:19|20)\d\d)"
_MONTH_PART = r"(?:(?P<month>[A-Z][a-z]{2,8})\.?\s+(?:\d{1,2},?\s+)?)?"
# Journal lines, in the forms publishers print them (the year in the group "year").
_VENUE_LINE_FORMS = [
    # Acta Politica (2023) 58:461–482; Politics and Religion (2022), 15, 441–461
    re.compile(rf"{_JOURNAL_PART}\s*\(\s*{_YEAR_PART}\s*\)\s*[,:]?\s*\d"),
    # European Sociological Review, 2017, Vol. 33, No. 6, 735–751
    re.compile(rf"{_JOURNAL_PART},\s*{_YEAR_PART},\s*Vol\b"),
    # Communications 2022; 47(1): 136–162; Nations and Nationalism. 2024;30:90–109
    re.compile(rf"{_JOURNAL_PART}\.?\s+{_YEAR_PART}\s*[;.]\s*\d+\s*[(:;]"),
    # American Political Science Review Vol. 104, No. 1 February 2010
    re.compile(rf"{_JOURNAL_PART},?\s+Vol\.?\s*\d+\b[^|]{{0,40}}?{_MONTH_PART}{_YEAR_PART}\b"),
    # Social Forces 99(3) 1306–1333, March 2021
    re.compile(rf"{_JOURNAL_PART}\s+\d+\s*\(\d+[-–]?\d*\)\s+\d+\s*[–-]\s*\d+,\s*{_MONTH_PART}{_YEAR_PART}"),
    # European Journal of Political Research : – , 2024
    re.compile(rf"{_JOURNAL_PART}\s*:\s*[–-]?\s*,\s*{_YEAR_PART}"),
    # PNAS | November 6, 2018 | vol. 115
    re.compile(rf"{_JOURNAL_PART}\s*\|\s*{_MONTH_PART}{_YEAR_PART}\s*\|"),
    # PNAS 2022 Vol. 119 No. 21
    re.compile(rf"^{_JOURNAL_PART}\s+{_YEAR_PART}\s+Vol\b"),
    # Frontiers in Sociology | www.frontiersin.org
    re.compile(rf"^{_JOURNAL_PART}\s*\|\s*www\."),
    # The Annual Review of Political Science is online at
    re.compile(rf"^(?:The\s+)?{_JOURNAL_PART}\s+is\s+online\s+at\b"),
]
# A journal's own header over the line that follows it (Taylor & Francis, SAGE, Cairn).
_VENUE_HEADER_NEXT = re.compile(
    r"(?i)^(?:ISSN\b|.*\bjournal\s+homepage\b|publication\s+details,\s+including\s+instructions"
    rf"|{_YEAR_PART}(?:,\s*Vol\b|/\d+\s+n°))"
)
# Cairn: "Éditions de l'Université de Lorraine | « Questions de communication »"
_GUILLEMETS = re.compile(r"«\s*([^»]+?)\s*»\s*$")
_VENUE_KEYWORDS = re.compile(
    r"(?i)\b(?:journal|review|studies|politics|political|politica|policy|sociology|sociological|soziologie"
    r"|sociologie|science|sciences|sci|quarterly|society|research|forces|communications?|nationalism|religion"
    r"|behaviou?r|affairs|annals|annu|bulletin|frontiers|tijdschrift|zeitschrift|revue|methods|migration"
    r"|psychology|economics|economic|opinion|democracy|media|nature|proceedings|proc|perspectives|pnas)\b"
)
_VENUE_HINT = re.compile(r"(?:19|20)\d\d|\|\s*www\.|\bis\s+online\s+at\b|«")
_VENUE_SMALL_WORDS = {
    "of", "and", "in", "for", "on", "the", "an", "a", "&", "de", "des", "du", "la", "für", "und", "voor", "en", "van",
}  # fmt: skip
# "To cite this article: ... (2025) Title, German Politics, 34:1, 128-155, DOI: ..."
_CITED_VENUE = re.compile(
    r"(?i)to\s+cite\s+this\s+article:.*?\(\s*(?:19|20)\d\d\s*\).*?,\s*([A-Z][^,]{2,80}?),\s*\d+\s*:\s*\d+\s*,"
)


@dataclass(frozen=True)
class _VenueLine:
    name: str
    year: str | None  # ISO year, or year and month


def _venue_lines(lines: Sequence[str], authors: Sequence[str] = ()) -> Iterable[_VenueLine]:
    """Journal lines in page text: "Journal of Computational Social Science (2024) 7:1305–1325"."""
    for index, line in enumerate(lines):
        # Cheap tests first: this runs over every line of the first pages.
        if not 3 <= len(line) <= 150:
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        hinted = bool(_VENUE_HINT.search(line))
        if not (hinted or _VENUE_HEADER_NEXT.match(following)) or not _VENUE_KEYWORDS.search(line):
            continue
        line = " ".join(line.split())
        found = _venue_in_line(line, authors) if hinted else None
        if found is None:
            found = _venue_over(line, following, authors)
        if found is not None:
            yield found


def _venue_in_line(line: str, authors: Sequence[str]) -> _VenueLine | None:
    for form in _VENUE_LINE_FORMS:
        match = form.search(line)
        name = _venue_name(match.group("venue"), authors) if match else None
        if match and name:
            groups = match.groupdict()
            year, month = groups.get("year"), _MONTHS.get((groups.get("month") or "").lower())
            return _VenueLine(name, _iso(int(year), month) if year else None)
    return None


def _venue_over(line: str, following: str, authors: Sequence[str]) -> _VenueLine | None:
    """A journal's name over its ISSN line, volume line or (Cairn) issue line."""
    header = _VENUE_HEADER_NEXT.match(following)
    if not header:
        return None
    quoted = _GUILLEMETS.search(line)
    name = _venue_name(quoted.group(1), authors, sentence_case=True) if quoted else _venue_name(line, authors)
    return _VenueLine(name, header.group("year")) if name else None


def _venue_name(text: str, authors: Sequence[str], *, sentence_case: bool = False) -> str | None:
    """A journal name from the start of a journal line, without an author prefix; None
    unless it reads as one ("Czymara et al. Comparative Migration Studies" -> the journal)."""
    text = text.strip(" .,;:|")
    if " et al" in text:
        text = text.split(" et al", 1)[1].lstrip(". ")
    words = text.split()
    surnames = {_surname_key(name) for name in authors}
    while words and (_surname_key(words[0]) in surnames or words[0].strip(",") in ("and", "&")):
        words.pop(0)  # "Nisar and Bleich Comparative Migration Studies"
    while words and words[0].isdigit():
        words.pop(0)
    name = " ".join(words).strip(" .,;:|")
    if not words or len(words) > 10 or _letters(name) < 3 or not _VENUE_KEYWORDS.search(name):
        return None
    if not words[0][0].isupper() or (
        not sentence_case and any(not (word[0].isupper() or word.lower() in _VENUE_SMALL_WORDS) for word in words)
    ):
        return None
    if re.search(r"(?i)\b(?:doi|https?|www|copyright|licen[cs]e|author|published|downloaded)\b", name):
        return None
    return name


def find_printed_venue(text: str, *, authors: Sequence[str] = ()) -> str | None:
    """The journal a first page names in its citation or journal line, or None."""
    match = _CITED_VENUE.search(" ".join(text.split()))
    if match and _venue_name(match.group(1), authors):
        return _venue_name(match.group(1), authors)
    lines = [line for line in text.splitlines() if not _DOWNLOAD_NOTE.search(line)]
    names = [venue.name for venue in _venue_lines(lines, authors)]
    # "The Annual Review of Political Science" rather than "Annu. Rev. Polit. Sci".
    return next((name for name in names if "." not in name), names[0] if names else None)



# --------------------------------------------------------------------------- other fields

_PAREN = re.compile(r"\([^)]*\)")


def split_authors(text: str) -> list[str]:
    """Names from an author string: "A and B", "A; B", "A, B" (full names), "A & B"."""
    text = _PAREN.sub(" ", text)
    names: list[str] = []
    for part in re.split(r";|&| and | und | en |\n", text):
        pieces = [piece.strip() for piece in part.split(",")]
        # "Czymara, Christian" is one name; "Jens Hainmueller, Michael Hiscox" are two.
        if len(pieces) > 1 and all(len(piece.split()) >= 2 for piece in pieces if piece):
            names.extend(pieces)
        elif len(pieces) == 2 and all(pieces):
            names.append(f"{pieces[1]} {pieces[0]}")
        else:
            names.append(part.strip())
    return _unique(_tidy_name(name) for name in names)


def _tidy_name(name: str) -> str:
    name = re.sub(r"[\d*†‡§¶]+", " ", name)
    name = " ".join(name.replace("·", " ").split()).strip(" ,.;")
    if name.isupper():
        name = " ".join(word.capitalize() if len(word) > 2 else word for word in name.split())
    return name if _letters(name) >= 2 and "@" not in name else ""


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        if item and item.lower() not in seen:
            seen[item.lower()] = item
    return list(seen.values())


def _authors(meta: _Meta) -> tuple[str, ...]:
    creators = meta.xmp.get("dc:creator", [])
    names = [name for creator in creators for name in split_authors(creator)]
    if not names and meta.info.get("Author"):
        names = split_authors(meta.info["Author"])
    return tuple(_unique(names))


_DOI = re.compile(r"(?i)\b(?:doi:?\s*)?10\.\d{4,9}/\S+")


def _keywords(meta: _Meta) -> tuple[str, ...]:
    raw = [*meta.xmp.get("pdf:Keywords", [])[:1], meta.info.get("Keywords", "")]
    text = next((value for value in raw if value), "")
    if text:
        parts = re.split(r";" if ";" in text else r",", _DOI.sub("", text))
    else:
        parts = meta.xmp.get("dc:subject", [])
    return tuple(_unique(re.sub(r"^(?:and|und|en)\s+", "", " ".join(part.split())).strip(" .") for part in parts))


# "Journal of Ethnic and Migration Studies, 2015. doi:...", "Science 2016.354:217-222",
# "Nature Human Behaviour 1, (2017). doi:...", "Acta Politica, https://doi.org/..."
_VENUE_YEAR = re.compile(
    r"^\s*(?P<venue>[^\d,;]{3,90}?)[,\s]+(?:\d+,\s*)?\(?(?P<year>(?:19|20)\d\d)\)?"
    r"(?:\s*[.,]\s*(?:doi|https?:)|\.\d+:|[.,]?\s*$)"
)
_VENUE_ONLY = re.compile(r"^\s*(?P<venue>[^\d,;]{3,90}?),\s*(?:doi|https?://)")


def _venue(meta: _Meta) -> tuple[str | None, str | None]:
    """Journal or book and year from a citation in /Subject or dc:description."""
    for text in (meta.info.get("Subject", ""), *meta.xmp.get("dc:description", [])[:1]):
        match = _VENUE_YEAR.match(text) or _VENUE_ONLY.match(text)
        if match and _letters(match.group("venue")) >= 3 and not match.group("venue").lower().startswith("http"):
            year = match.groupdict().get("year")
            return match.group("venue").strip(" ,;"), _iso(int(year)) if year else None
    return None, None


def _publisher(meta: _Meta) -> str | None:
    for key in ("prism:publicationName", "dc:publisher"):
        values = meta.xmp.get(key)
        if values and values[0]:
            return values[0]
    return meta.info.get("Publisher") or _venue(meta)[0]


def _metadata_date(meta: _Meta) -> str | None:
    """The best date the metadata offers: a publication date, else the creation date."""
    for key in ("prism:publicationDate", "prism:coverDate", "dc:date"):
        for value in meta.xmp.get(key, []):
            found = parse_pdf_date(value)
            if found:
                return found
    year = _venue(meta)[1]
    if year:
        return year
    for value in (*meta.xmp.get("xmp:CreateDate", []), meta.info.get("CreationDate", "")):
        found = parse_pdf_date(value) if value else None
        if found:
            return found
    return None


def _metadata_summary(meta: _Meta) -> str | None:
    """A description from the metadata when it is prose, not a citation line."""
    for text in (*meta.xmp.get("dc:description", [])[:1], meta.info.get("Subject", "")):
        if len(text.split()) >= 20 and not _VENUE_YEAR.match(text) and not _DOI.search(text):
            return text
    return None


# --------------------------------------------------------------------------- running headers and footers

# A journal prints its name, the authors, the short title, a "Downloaded from ... on ..."
# note and the page number on most pages; in the index they are noise and they crowd out
# the real passages of a hit. A line counts as running when it stands among the first or
# last lines of a page and comes back (its letters, that is: numbers change) on most odd or
# most even pages (left and right pages often carry different ones).
_RUNNING_MIN_PAGES = 4  # pages of _RUNNING_MIN_LINES lines or more; in fewer, a repeat says little
_RUNNING_MIN_LINES = 3  # on a shorter page (a cover, a picture) every line is at the edge
_RUNNING_EDGE_LINES = 5  # lines at the top and at the bottom of a page where one may stand
_RUNNING_SHARE = 0.6  # of the odd or of the even pages; table rows ("Observations") reach 0.3
_RUNNING_MIN_REPEATS = 3
# Page numbers: the same offset from the page index on this many pages, at most
# _NUMBER_GAP pages apart (a page with a full-page table or figure may have none).
_NUMBER_RUN = 3
_NUMBER_GAP = 4
_NUMBER_LIST = 3  # this many bare numbers at the edges of one page are a list or a table
_PAGE_NUMBER = re.compile(r"\W*(\d{1,4})\W*")  # "12", "- 12 -", "12 |"
_KEPT_WORD = re.compile(r"[^\W\d_]{2,}")
_NAME_JOINS = {"and", "und", "en", "et", "al"}


def _running_key(line: str) -> str:
    """What a running line keeps from page to page: its letters ("12 E. Bleich et al." and
    "E. Bleich et al. 13" are both "ebleichetal"); a line without letters is its own key."""
    return "".join(filter(str.isalpha, line)).casefold() or " ".join(line.split())


def _page_number(line: str) -> int | None:
    match = _PAGE_NUMBER.fullmatch(line)
    return int(match.group(1)) if match else None


def _words(text: str) -> set[str]:
    return set(_KEPT_WORD.findall(text.casefold())) - _NAME_JOINS


def _edge_lines(lines: Sequence[str]) -> list[int]:
    """Indexes of the first and last non-blank lines of a page (each once)."""
    filled = [index for index, line in enumerate(lines) if line.strip()]
    if len(filled) <= 2 * _RUNNING_EDGE_LINES:
        return filled
    return filled[:_RUNNING_EDGE_LINES] + filled[-_RUNNING_EDGE_LINES:]


def _running_keys(keys: Sequence[dict[int, str]]) -> set[str]:
    """The keys of edge lines that come back on enough of the even or of the odd pages."""
    seen: list[Counter[str]] = [Counter(), Counter()]
    counted = [0, 0]
    for number, page_keys in enumerate(keys):
        if len(page_keys) >= _RUNNING_MIN_LINES:
            counted[number % 2] += 1
            seen[number % 2].update(set(page_keys.values()))
    return {
        key
        for key in seen[0].keys() | seen[1].keys()
        if seen[0][key] + seen[1][key] >= _RUNNING_MIN_REPEATS
        and any(counted[side] and seen[side][key] >= _RUNNING_SHARE * counted[side] for side in (0, 1))
    }


def _page_numbers(split: Sequence[Sequence[str]], edges: Sequence[list[int]]) -> set[tuple[int, int]]:
    """(page, line) of the numbers that go up with the pages: the same offset from the page
    index on _NUMBER_RUN pages close together. A year or a count in a table does not."""
    spots: dict[int, dict[int, list[int]]] = {}  # offset -> page -> lines
    for number, edge in enumerate(edges):
        printed = [(index, value) for index in edge if (value := _page_number(split[number][index])) is not None]
        if len(printed) >= _NUMBER_LIST:
            continue
        for index, value in printed:
            spots.setdefault(value - number, {}).setdefault(number, []).append(index)
    found: set[tuple[int, int]] = set()
    for pages in spots.values():
        runs: list[list[int]] = []
        for number in pages:  # in page order
            if runs and number - runs[-1][-1] <= _NUMBER_GAP:
                runs[-1].append(number)
            else:
                runs.append([number])
        for run in runs:
            if len(run) >= _NUMBER_RUN:
                found.update((number, index) for number in run for index in pages[number])
    return found


def find_running_lines(pages: Sequence[str], *, keep: Sequence[str] = ()) -> list[set[int]]:
    """Per page, the indexes in page.split("\\n") of its running header, footer and page-number lines.

    keep: the title and the authors' names; on the first page with text and the first of a
    few lines, where the title is printed, a line made of their words stays even where it
    also runs as a header. A page of one or two lines (a cover) loses its running lines
    only if it holds nothing else.
    """
    split = [page.split("\n") for page in pages]
    found: list[set[int]] = [set() for _ in split]
    edges = [_edge_lines(lines) for lines in split]
    full = [number for number, edge in enumerate(edges) if len(edge) >= _RUNNING_MIN_LINES]
    if len(full) < _RUNNING_MIN_PAGES:
        return found
    keys = [{index: _running_key(split[number][index]) for index in edge} for number, edge in enumerate(edges)]
    running, numbers = _running_keys(keys), _page_numbers(split, edges)
    kept_words = set().union(*map(_words, keep))
    title_pages = {full[0], next(number for number, edge in enumerate(edges) if edge)}
    for number, edge in enumerate(edges):
        for index in edge:
            line = split[number][index]
            title_line = number in title_pages and len(words := _words(line)) >= 2 and words <= kept_words
            if (keys[number][index] in running and not title_line) or (number, index) in numbers:
                found[number].add(index)
        if len(edge) < _RUNNING_MIN_LINES and len(found[number]) < len(edge):
            found[number] = set()
    return found


def strip_running_lines(pages: Sequence[str], *, keep: Sequence[str] = ()) -> list[str]:
    """The pages without their running headers, footers and page numbers (same count, same order)."""
    stripped = list(pages)
    for number, drop in enumerate(find_running_lines(pages, keep=keep)):
        if drop:
            kept = "\n".join(line for index, line in enumerate(pages[number].split("\n")) if index not in drop)
            stripped[number] = (_BLANK_LINES.sub("\n\n", kept) if "\n\n\n" in kept else kept).strip()
    return stripped


# --------------------------------------------------------------------------- extract_pdf

_PROVENANCE_FIELDS = ("title", "authors", "date", "publisher", "language_hint", "summary", "keywords")


def extract_pdf(data: bytes, *, password: str | None = None) -> Extracted:
    """Text per page and metadata of a PDF; raise ExtractionError with advice if it cannot be read."""
    if not data:
        raise ExtractionError("The file is empty (0 bytes); check that it was saved or downloaded completely.")
    try:
        return _extract(data, password)
    except ExtractionError:
        raise
    except MemoryError as err:
        raise ExtractionError(
            "This PDF needs more memory than the limit allows; it may be damaged: try re-saving it from a PDF viewer."
        ) from err
    except RecursionError as err:
        raise _damaged("its structure loops or is nested too deeply") from err
    except Exception as err:  # parsers raise anything on hostile files; the curator gets one line
        raise _damaged(_describe(err)) from err


def _extract(data: bytes, password: str | None) -> Extracted:
    pdf, pdfium_problem = _open_pdfium(data, password)
    try:
        pages = _read_pdfium(pdf) if pdf is not None else None
    finally:
        if pdf is not None:
            pdf.close()
    doc, miner_problem = _open_pdfminer_after(data, password, pdfium_read=pages is not None)
    pages = _with_fallback(pages, doc)
    if pages is None or not pages.texts:
        raise _unreadable(doc, miner_problem or pdfium_problem)
    texts = [clean_text(text or "") for text in pages.texts]
    if not any(texts):
        _check_textless(pages, pdfium_problem)
    meta = _read_meta(doc) if doc is not None else _Meta()
    return _assemble(texts, pages, meta)


def _open_pdfminer_after(data: bytes, password: str | None, *, pdfium_read: bool) -> tuple[PDFDocument | None, str]:
    """pdfminer's view of the file; its password errors count only if pdfium failed too."""
    try:
        return _open_pdfminer(data, password)
    except PDFPasswordIncorrect as err:
        if pdfium_read:
            return None, "password"  # pdfium read the text; only the metadata is lost
        raise ExtractionError(_WRONG_PASSWORD if password else _ENCRYPTED) from err


def _with_fallback(pages: _Pages | None, doc: PDFDocument | None) -> _Pages | None:
    """pdfminer.six's pages where pypdfium2 could not read the file or read almost nothing."""
    if doc is None or (pages is not None and pages.readable() and not pages.poor()):
        return pages
    mined = _read_pdfminer(doc)
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


def _check_textless(pages: _Pages, pdfium_problem: str) -> None:
    """Raise unless a PDF without any text is a scan (then it gets the needs-ocr flag)."""
    if pages.source == "pdfminer" or not pages.readable():
        # pdfium could not read the pages and pdfminer found no text: nothing to OCR either.
        raise _damaged(pdfium_problem or "none of its pages could be loaded")
    if pages.blank == len(pages.texts):
        raise ExtractionError(_BLANK)


def _unreadable(doc: PDFDocument | None, problem: str) -> ExtractionError:
    if doc is not None and _declared_pages(doc) == 0:
        return ExtractionError(_NO_PAGES)
    return _damaged(problem or "no pages found")


def _declared_pages(doc: PDFDocument) -> int | None:
    """The /Count of the page tree (trusted only to tell an empty document)."""
    try:
        count = resolve1(resolve1(resolve1(doc.catalog.get("Pages")).get("Count")))
    except Exception:  # a broken page tree has no usable count
        return None
    return count if isinstance(count, int) else None


def _assemble(texts: list[str], pages: _Pages, meta: _Meta) -> Extracted:
    title, title_origin, spot = _choose_title(meta, pages, texts)
    first_pages = "\n".join(texts[:2])
    authors, authors_origin = _choose_authors(meta, pages.layouts, spot, first_pages)
    publisher, publisher_origin = _publisher(meta), "metadata"
    if not publisher:
        publisher, publisher_origin = find_printed_venue(texts[0] if texts else "", authors=authors), "heuristic"
    printed_date = find_printed_date(first_pages)
    extracted = Extracted(
        mime=MIME,
        # Title, authors and dates above are read with the running lines still in place.
        pages=tuple(strip_running_lines(texts, keep=(title or "", *authors))),
        title=title,
        authors=authors,
        date=printed_date or _metadata_date(meta),
        publisher=publisher,
        language_hint=meta.lang,
        summary=_metadata_summary(meta),
        keywords=_keywords(meta),
        # Scans: most pages without a text layer.
        flags=(FLAG_NEEDS_OCR,) if 2 * sum(not text for text in texts) > len(texts) else (),
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
