"""The printed lines of the first pages with their font sizes, for the title and the byline."""

from __future__ import annotations

import ctypes
import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.layout import LTChar, LTPage, LTTextBox, LTTextLine

from indexer.pdf.names import could_be_names

# Pages whose lines (with font sizes) are kept for the title: a cover may push it to page 2.
LAYOUT_PAGES = 2


@dataclass(frozen=True)
class Line:
    """A printed line of a page, with its font size and height on the page."""

    text: str  # raw, uncleaned
    size: float  # font size in points as printed
    y: float  # baseline height, PDF units (larger is higher)
    # The text with superscripts (affiliation letters and numbers) replaced by "*", for
    # short lines near the title that may name the authors; None if it has none.
    plain: str | None = None


def pdfium_lines(textpage: pdfium.PdfTextPage, raw: str) -> list[Line]:
    """The lines of a page in pdfium's order, each with its median font size."""
    lines: list[Line] = []
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
            lines.append(Line(part, statistics.median(sizes), statistics.median(heights) if heights else 0.0))
            spans.append((first, end))
    for index in _author_candidates(lines):
        plain = _without_superscripts(textpage, lines[index].text, spans[index][0])
        if plain is not None:
            lines[index] = replace(lines[index], plain=plain)
    return lines


def _author_candidates(lines: Sequence[Line]) -> list[int]:
    """Short lines of capitalised words close to the largest type: where authors are printed."""
    sizes = sorted({round(line.size, 1) for line in lines})[-3:]
    near: set[int] = set()
    for index, line in enumerate(lines):
        if round(line.size, 1) in sizes:
            near.update(range(max(0, index - 3), min(len(lines), index + 11)))
    return sorted(index for index in near if could_be_names(lines[index].text))


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


def text_boxes(layout: LTPage) -> Iterable[LTTextBox]:
    """The text boxes of a pdfminer page: paragraphs, more or less."""
    return (item for item in layout if isinstance(item, LTTextBox))


def pdfminer_lines(layout: LTPage) -> list[Line]:
    """The lines of a pdfminer page, each with its median font size."""
    lines: list[Line] = []
    for box in text_boxes(layout):
        for line in box:
            if not isinstance(line, LTTextLine):
                continue
            sizes = [char.size for char in line if isinstance(char, LTChar)]
            if sizes:
                lines.append(Line(line.get_text().strip(), statistics.median(sizes), line.y0))
    return lines
