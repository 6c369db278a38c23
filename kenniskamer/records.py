"""What a terminal shows: a document as plain text (the `show` record, the dry-run record, the line of an
addition), the lines of a search, and the progress line of a batch.

The text twin of kenniskamer/documents.py: each value beside where it came from
(``[layout]``, ``[curator]``, ...) and each theme with the terms that put it there.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kenniskamer.models import FLAG_NEEDS_OCR, STUDY_FIELDS, Document, ThemeMatch

if TYPE_CHECKING:
    from kenniskamer.search.results import Hit, SearchPage

EVIDENCE_SHOWN = 120  # characters of an evidence sentence in a terminal


def evidence_text(match: ThemeMatch) -> str:
    """The terms that put a theme on a document, the most frequent first: ``muslim* x12, islam* x4``."""
    terms = sorted(match.evidence.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{term} x{count}" for term, count in terms) or "set by curator"


def study_lines(doc: Document, width: int) -> list[str]:
    """The study profile: each field with its values and origin, then the sentences it was read from."""
    lines = []
    for name in STUDY_FIELDS:
        value = doc.study.kind if name == "kind" else ", ".join(getattr(doc.study, name))
        lines.append(_field_line(doc, name, value, width))
        for evidence in doc.study.evidence.get(name, ()):
            text = evidence.text if len(evidence.text) <= EVIDENCE_SHOWN else evidence.text[: EVIDENCE_SHOWN - 1] + "…"
            where = f"p. {evidence.page}" if evidence.page else "title/summary"
            lines.append(f"{'':{width}}   {evidence.value}: \"{text}\" ({where})")
    return lines


def _field_line(doc: Document, label: str, value: Any, width: int) -> str:
    origin = doc.provenance.get("doc_type" if label == "type" else label)
    shown = value if value not in (None, "") else "-"
    return f"{label:{width}} {shown}" + (f"  [{origin}]" if origin else "")


def show_lines(doc: Document, original: Path) -> list[str]:
    """Every metadata value with its origin, then the themes and the study profile with their evidence (`kenniskamer show`)."""
    rows = [
        ("id", doc.doc_id), ("title", doc.title), ("authors", "; ".join(doc.authors)), ("date", doc.date),
        ("year", doc.year), ("publisher", doc.publisher), ("language", doc.language), ("type", doc.doc_type),
        ("pages", doc.page_count), ("source", doc.source), ("added", doc.added), ("summary", doc.summary),
        ("flags", ", ".join(doc.flags)), ("ocr", ocr_text(doc)), ("original", original),
    ]
    lines = [_field_line(doc, label, value, 10) for label, value in rows if label != "ocr" or value]
    lines += [f"{'theme':10} {match.theme_id}: {evidence_text(match)}" for match in doc.themes]
    return lines + study_lines(doc, 10)


def dry_run_record(doc: Document, note: str = "") -> str:
    """What `add --dry-run` would store: the values with their origin, themes with score and evidence, flags."""
    lines = [f"would add {doc.source}" + (f"; {note}" if note else "")]
    for label, value in (
        ("title", doc.title), ("authors", "; ".join(doc.authors)), ("date", doc.date), ("publisher", doc.publisher),
        ("language", doc.language), ("type", doc.doc_type), ("pages", doc.page_count), ("summary", doc.summary),
    ):
        lines.append("  " + _field_line(doc, label, value, 9))
    for match in doc.themes:
        lines.append(f"  theme     {match.theme_id} ({match.score:.2f}): {evidence_text(match)}")
    lines += ["  " + line for line in study_lines(doc, 9)]
    if doc.flags:
        lines.append(f"  flags     {', '.join(doc.flags)}")
    return "\n".join(lines)


def ocr_text(doc: Document) -> str:
    """Which pages are from OCR, with what, and which wait for it: "pages 1-2 (tesseract 5.3.0, nld+eng)" ("" if none)."""
    if doc.ocr is None:
        return ""
    read = f"{page_list(doc.ocr.pages)} ({doc.ocr.engine}, {doc.ocr.languages})" if doc.ocr.pages else ""
    waiting = f"{page_list(doc.ocr.pending)} waiting" if doc.ocr.pending and FLAG_NEEDS_OCR in doc.flags else ""
    return "; ".join(part for part in (read, waiting) if part)


def added_line(doc: Document, note: str = "", *, verb: str = "added") -> str:
    """The one line that reports an added (or updated) document: id, title, year, pages, language, themes."""
    themes = ", ".join(doc.theme_ids) or "-"
    year = doc.year or "n.d."
    line = f"{verb} {doc.doc_id}  {doc.title[:90]} ({year}; {doc.page_count} p.; {doc.language or '?'}; themes: {themes})"
    return f"{line}; {note}" if note else line


def page_list(numbers: Sequence[int], language: str = "en") -> str:
    """ "page 3", "pages 1-2", "pages 1-4, 7" (page numbers from 1, sorted); "pagina's 1-2" in Dutch."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    dash = "–" if language == "nl" else "-"
    text = ", ".join(f"{run[0]}{dash}{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)
    one, more = ("pagina", "pagina's") if language == "nl" else ("page", "pages")
    return f"{one if len(numbers) == 1 else more} {text}"


def search_notices(result: SearchPage) -> list[str]:
    """What a search says about how it read the query, for stderr."""
    notices = []
    if result.read_as is not None:
        notices.append(f"Read as: {result.read_as} (a quote or bracket without its partner was left out).")
    if result.corrected_from:
        notices.append(f"Nothing found for {result.corrected_from!r}; showing results for {result.suggestion!r}.")
    elif result.suggestion:
        notices.append(f"Did you mean: {result.suggestion}")
    if result.expansions:
        notices.append(f"Also searched for: {', '.join(result.expansions)}")
    if "no-document-has-all-words" in result.notices:
        notices.append("No document holds every word; showing documents with some of them.")
    return notices


def hit_lines(hits: Iterable[Hit], *, first: int = 1) -> list[str]:
    """Three lines a hit, numbered from ``first``: title, file and page, the best passage (words marked **so**)."""
    lines = []
    for number, hit in enumerate(hits, start=first):
        doc = hit.doc
        where = f"p. {hit.page}" if hit.page else ""
        lines.append(f"{number}. {doc.title} ({doc.year or 'n.d.'})  [{doc.doc_id}]")
        lines.append(f"   {doc.filename}  {where}{'  (found by meaning)' if hit.by_meaning else ''}".rstrip())
        for passage in hit.passages[:1]:
            ocr = " (text from OCR)" if doc.from_ocr(passage.page) else ""
            lines.append(f"   p. {passage.page}{ocr}: {passage.marked('**', '**')}")
    return lines


class Progress:
    """A one-line progress display on a terminal (files, pages, ETA; pages being OCR'd); silent otherwise."""

    def __init__(self, total: int, *, enabled: bool):
        self.total, self.enabled = total, enabled
        self.done = self.pages = 0
        self.started = time.monotonic()

    def step(self, pages: int) -> None:
        self.done += 1
        self.pages += pages
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        width = 24
        filled = int(width * self.done / max(1, self.total))
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} files, {self.pages} pages, ETA {eta:.0f} s ")
        sys.stderr.flush()

    def reading(self, location: str, done: int, total: int) -> None:
        """A worker is reading a file's scanned pages by OCR."""
        if self.enabled and done < total:
            sys.stderr.write(f"\r\033[KOCR {Path(location).name[:50]}: page {done + 1} of {total} ")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
