"""OCR for PDF pages without a text layer: Tesseract 5 on pages rendered by pypdfium2, cached by the file's sha256.

Tesseract on rendered pages, not OCRmyPDF (bench/RESULTS.md, "OCR"): both gave back the same
words (0.996-1.000 of a page's words), but OCRmyPDF took 1.3-1.7x as long for the same pages,
rewrites the whole PDF through Ghostscript, and has no per-page time limit or progress. Here
only the pages asked for are rendered (at their scan's own resolution, 150-300 dpi) and piped
to ``tesseract`` as a greyscale image on stdin: no temporary files, one process per page, each
killed after PAGE_SECONDS, all of a file's OCR stopped after its time budget.

Each page read is appended to ``<library>/ocr/<sha256>.jsonl`` at once, so a file that ran
out of time, or a worker that was killed, keeps the pages already read: the next
`reindex --extract` starts where it stopped, and a re-read original is never OCR'd again.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kenniskamer.library.catalog import OCR_SUFFIX
from kenniskamer.models import Ocr
from kenniskamer.records import page_list

if TYPE_CHECKING:  # the parent process imports this module for its settings, and never renders
    import pypdfium2 as pdfium

LANGUAGES = ("nld", "eng")  # Dutch first: the knowledge room's reports; English for the rest
PAGE_SECONDS = 60.0  # tesseract on one page (2-4 s for an A4 page here): a hostile image fails its page only
DOCUMENT_SECONDS = 600.0  # all of one file's OCR; the pages left wait for the next `reindex --extract`
SECONDS_A_PAGE = 3.0  # what a page costs on one core here (2.3-3.7 s measured): for dry-run estimates
_DPI = (150, 300)  # rendered at the scan's own resolution within these; 300 when it has no image
_MAX_PIXELS = 40_000_000  # a huge page is rendered smaller (an A4 page at 300 dpi is 8.7 million)
PACKAGES = "tesseract-ocr tesseract-ocr-nld tesseract-ocr-eng"
MISSING_ADVICE = (
    f"install Tesseract (`apt-get install {PACKAGES}`), then run `kenniskamer reindex --extract --only needs-ocr`"
)


@dataclass(frozen=True)
class Engine:
    """An installed Tesseract and the wanted languages it has."""

    path: str
    version: str  # e.g. "5.3.0"
    languages: tuple[str, ...]  # e.g. ("nld", "eng")

    @property
    def name(self) -> str:
        """How provenance names it: "tesseract 5.3.0"."""
        return f"tesseract {self.version}"

    @property
    def language_arg(self) -> str:
        """Tesseract's -l argument: "nld+eng"."""
        return "+".join(self.languages)


def find_engine() -> Engine | None:
    """The Tesseract on PATH (or $KENNISKAMER_TESSERACT) with Dutch and/or English, or None (missing, or without either)."""
    return _engine(os.environ.get("KENNISKAMER_TESSERACT") or "tesseract")


@functools.cache
def _engine(command: str) -> Engine | None:
    path = shutil.which(command)
    if path is None:
        return None
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20, check=False)
        listed = subprocess.run([path, "--list-langs"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    words = (version.stdout or version.stderr).split()
    installed = set(listed.stdout.split())
    languages = tuple(language for language in LANGUAGES if language in installed)
    if len(words) < 2 or not languages:
        return None
    return Engine(path, words[1].removeprefix("v"), languages)


@dataclass(frozen=True)
class CachedPage:
    """A page's OCR'd text as cached, with what read it."""

    text: str
    engine: str
    languages: str


class OcrCache:
    """OCR'd text per page of a file, one JSON line per page in ``<folder>/<sha256>.jsonl`` (written in workers)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, sha256: str) -> Path:
        return self.folder / f"{sha256}{OCR_SUFFIX}"

    def pages(self, sha256: str) -> dict[int, CachedPage]:
        """Page index (from 0) -> what was read; a line cut off by a killed worker is skipped."""
        found: dict[int, CachedPage] = {}
        try:
            lines = self._path(sha256).read_text(encoding="utf-8").splitlines()
        except OSError:
            return found
        for line in lines:
            try:
                entry = json.loads(line)
                found[int(entry["page"])] = CachedPage(str(entry["text"]), str(entry["engine"]), str(entry["languages"]))
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def add(self, sha256: str, index: int, page: CachedPage) -> None:
        """Append one page's text (best effort: a cache that cannot be written costs time, not text)."""
        line = json.dumps({"page": index, "text": page.text, "engine": page.engine, "languages": page.languages},
                          ensure_ascii=False)
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self._path(sha256), "a", encoding="utf-8") as out:
                out.write(line + "\n")


@dataclass
class PageTexts:
    """What OCR gave for the pages asked for."""

    texts: dict[int, str] = field(default_factory=dict)  # page index -> text
    pending: list[int] = field(default_factory=list)  # page indexes not read
    reason: str = ""  # why pages are pending: "missing", "time", "failed" or "planned" (a dry run)
    engine: str = ""
    languages: str = ""


@dataclass
class PageReader:
    """Reads pages by OCR for one file: the engine (None: not installed), the cache, the budget, a progress callback."""

    engine: Engine | None
    cache: OcrCache | None = None
    budget: float = DOCUMENT_SECONDS
    progress: Callable[[int, int], None] | None = None  # (pages done, pages to read), before each page
    page_seconds: float = PAGE_SECONDS
    plan: bool = False  # a dry run: read none, leave them pending as "planned"

    def read(self, pdf: pdfium.PdfDocument, indexes: Sequence[int], sha256: str) -> PageTexts:
        """OCR'd text of these pages (cached ones from the cache); the rest pending, with the reason."""
        result = PageTexts()
        cached = self.cache.pages(sha256) if self.cache is not None else {}
        for index in indexes:
            if index in cached:
                result.texts[index] = cached[index].text
                result.engine, result.languages = cached[index].engine, cached[index].languages
        todo = [index for index in indexes if index not in cached]
        if not todo:
            return result
        if self.engine is None or self.plan:
            result.pending, result.reason = todo, "missing" if self.engine is None else "planned"
            return result
        result.engine, result.languages = self.engine.name, self.engine.language_arg
        deadline = time.monotonic() + self.budget
        for done, index in enumerate(todo):
            if time.monotonic() >= deadline:
                result.pending.extend(todo[done:])
                result.reason = result.reason or "time"
                break
            if self.progress is not None:
                self.progress(done, len(todo))
            text = self._read_page(pdf, index, self.page_seconds)  # a page begun gets its whole limit
            if text is None:
                result.pending.append(index)
                result.reason = "failed"
                continue
            result.texts[index] = text
            if self.cache is not None:
                self.cache.add(sha256, index, CachedPage(text, self.engine.name, self.engine.language_arg))
        if self.progress is not None:
            self.progress(len(todo), len(todo))  # the rest of the file gets its full time limit again
        return result

    def _read_page(self, pdf: pdfium.PdfDocument, index: int, seconds: float) -> str | None:
        """One page's text from tesseract, or None if it could not be rendered or read in time."""
        import pypdfium2 as pdfium

        assert self.engine is not None
        try:
            image = render_page(pdf, index)
        except (pdfium.PdfiumError, ValueError):
            return None
        env = dict(os.environ, OMP_THREAD_LIMIT="1")  # one core per worker; the pool keeps both busy
        command = [self.engine.path, "stdin", "stdout", "-l", self.engine.language_arg]
        try:
            done = subprocess.run(command, input=image, capture_output=True, timeout=seconds, env=env, check=False)
        except (OSError, subprocess.SubprocessError):  # timed out (killed), or could not start
            return None
        if done.returncode != 0:
            return None
        return done.stdout.decode("utf-8", errors="replace").replace("\f", "")


def ocr_message(ocr: Ocr | None, *, flagged: bool, seconds: float = DOCUMENT_SECONDS) -> str:
    """What a curator is told about a file's OCR: pages read, planned, or waiting and what to do ("" if none)."""
    if ocr is None:
        return ""
    said = []
    if ocr.pages:
        said.append(f"text of {page_list(ocr.pages)} read by OCR ({ocr.engine}, {ocr.languages})")
    if ocr.reason == "planned":
        estimate = len(ocr.pending) * SECONDS_A_PAGE
        said.append(f"would read {page_list(ocr.pending)} by OCR, about {estimate:.0f} s on one core")
    elif flagged and ocr.reason == "missing":
        said.append(f"no text layer on {page_list(ocr.pending)}: stored with its metadata and flagged needs-ocr; "
                    + MISSING_ADVICE)
    elif flagged and ocr.reason == "time":
        said.append(f"OCR stopped after {seconds:g} s with {page_list(ocr.pending)} left: flagged needs-ocr; run "
                    "`kenniskamer reindex --extract --only needs-ocr --ocr-time 3600` to read the rest")
    elif flagged:
        said.append(f"OCR could not read {page_list(ocr.pending)} (at most {PAGE_SECONDS:g} s a page): flagged needs-ocr; "
                    "`kenniskamer reindex --extract --only needs-ocr` tries again")
    return "; ".join(said)


def render_page(pdf: pdfium.PdfDocument, index: int) -> bytes:
    """Page ``index`` as a greyscale PGM image at its scan's resolution, for tesseract."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        scale = _dpi(page) / 72
        pixels = width * height * scale * scale
        if pixels > _MAX_PIXELS:
            scale *= math.sqrt(_MAX_PIXELS / pixels)
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            rows = bitmap.to_numpy()
            header = b"P5\n%d %d\n255\n" % (rows.shape[1], rows.shape[0])
            return header + rows.reshape(rows.shape[0], rows.shape[1]).tobytes()
        finally:
            bitmap.close()
    finally:
        page.close()


def _dpi(page: pdfium.PdfPage) -> float:
    """The resolution of the page's sharpest image as placed on the page, within _DPI (the upper bound without one)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    low, high = _DPI
    best = 0.0
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        try:
            pixels_wide, _ = image.get_px_size()
            left, _, right, _ = image.get_bounds()
        except (pdfium.PdfiumError, ValueError):
            continue
        if right - left > 36:  # half an inch: not a logo or a bullet
            best = max(best, pixels_wide / ((right - left) / 72))
    return min(high, max(low, best)) if best else high
