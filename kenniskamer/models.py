"""Domain values: plain frozen dataclasses shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

# Where a metadata value came from; a curator's value always wins.
ORIGINS = ("metadata", "layout", "heuristic", "curator")

# Flags a document can carry.
FLAG_NEEDS_OCR = "needs-ocr"
PDF = "application/pdf"  # the two types the extractors read, sniffed from the bytes
HTML = "text/html"


@dataclass(frozen=True)
class Fetched:
    """Bytes read from a file or URL, with their sniffed type."""

    data: bytes
    mime: str  # sniffed from the bytes: "application/pdf" or "text/html"
    source: str  # the path (absolute) or URL it came from
    filename: str  # base name shown to users, e.g. "report.pdf"
    content_type: str | None = None  # what a web server claimed, if any


@dataclass(frozen=True)
class Ocr:
    """Which pages of a PDF were read by OCR (page numbers from 1), with what, and which still wait for it."""

    pages: tuple[int, ...] = ()  # text from OCR
    pending: tuple[int, ...] = ()  # without a text layer and not read yet (no engine, out of time, failed)
    engine: str = ""  # e.g. "tesseract 5.3.0"; "" when none is installed
    languages: str = ""  # e.g. "nld+eng"
    reason: str = ""  # why pages are pending: "missing", "time" or "failed"

    def stored(self) -> dict[str, Any]:
        """The catalog's (and JSON's) form."""
        return {"pages": list(self.pages), "pending": list(self.pending), "engine": self.engine,
                "languages": self.languages, "reason": self.reason}

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> Ocr | None:
        """The OCR record from its catalog form (None for ``{}``: no page needed OCR)."""
        if not data:
            return None
        return cls(tuple(data.get("pages") or ()), tuple(data.get("pending") or ()), str(data.get("engine") or ""),
                   str(data.get("languages") or ""), str(data.get("reason") or ""))


@dataclass(frozen=True)
class Extracted:
    """Text per page and the raw metadata an extractor found in a file."""

    mime: str
    pages: tuple[str, ...]  # text per page; an HTML page is one page
    title: str | None = None
    authors: tuple[str, ...] = ()
    date: str | None = None  # ISO: "2020-05-01", "2020-05" or "2020"
    publisher: str | None = None
    language_hint: str | None = None  # e.g. PDF /Lang or <html lang>, as found
    summary: str | None = None  # an abstract or description found in metadata
    keywords: tuple[str, ...] = ()
    doc_type_hint: str | None = None  # e.g. "article" from og:type or citation_*
    provenance: dict[str, str] = field(default_factory=dict)  # field -> origin
    flags: tuple[str, ...] = ()
    ocr: Ocr | None = None  # set when some page had no text layer


@dataclass(frozen=True)
class ThemeMatch:
    """A theme assigned to a document, with the evidence that put it there."""

    theme_id: str
    score: float
    evidence: dict[str, int]  # matched term -> count


@dataclass(frozen=True)
class Evidence:
    """Where a value of a study profile was read: the sentence and its page (0: the title or summary)."""

    value: str
    text: str
    page: int


# The fields of a study profile, as the catalog, JSON and curator edits name them.
STUDY_FIELDS = ("kind", "methods", "countries", "groups")


@dataclass(frozen=True)
class StudyProfile:
    """What kind of document it is, how a study knows, where it looked and about whom (kenniskamer.study)."""

    kind: str | None = None  # research, review, manifesto, policy, article or other
    methods: tuple[str, ...] = ()  # research only, the main one first, at most two
    countries: tuple[str, ...] = ()  # ISO 3166 alpha-2, "EU" or "multi"
    groups: tuple[str, ...] = ()
    evidence: dict[str, tuple[Evidence, ...]] = field(default_factory=dict)  # study field -> evidence
    rules: str = ""  # the vocabulary and rules it was read with; another one: `reindex` reads it again

    def values(self) -> dict[str, Any]:
        """The profile as JSON shows it: {"kind": ..., "methods": [...], "countries": [...], "groups": [...]}."""
        return {"kind": self.kind, "methods": list(self.methods), "countries": list(self.countries),
                "groups": list(self.groups)}

    def stored(self) -> dict[str, Any]:
        """The catalog's form: the values, the evidence and the rules they were read with."""
        evidence = {name: [{"value": e.value, "text": e.text, "page": e.page} for e in found]
                    for name, found in self.evidence.items()}
        return {**self.values(), "evidence": evidence, "rules": self.rules}

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> StudyProfile:
        """A profile from its catalog form (an empty one for ``{}``: not read yet)."""
        evidence = {name: tuple(Evidence(str(e["value"]), str(e["text"]), int(e["page"])) for e in found)
                    for name, found in (data.get("evidence") or {}).items()}
        return cls(data.get("kind"), tuple(data.get("methods") or ()), tuple(data.get("countries") or ()),
                   tuple(data.get("groups") or ()), evidence, str(data.get("rules") or ""))

    def edited(self, values: dict[str, Any]) -> StudyProfile:
        """The profile with a curator's values (study field -> value) in place of the ones read."""
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name == "kind":
                changes["kind"] = value
            elif name in STUDY_FIELDS:
                changes[name] = tuple(value)
        return replace(self, **changes)


@dataclass(frozen=True)
class Document:
    """A document as the catalog holds it (curator edits applied)."""

    doc_id: str  # stable id, kept across re-ingests and edits
    title: str
    source: str  # path or URL it came from
    filename: str
    sha256: str
    mime: str
    size: int
    added: str  # ISO 8601 UTC time of ingest
    page_count: int = 0
    authors: tuple[str, ...] = ()
    date: str | None = None
    year: int | None = None
    publisher: str | None = None
    language: str | None = None  # "nl", "en", "de", "fr", "es" or None
    doc_type: str | None = None
    summary: str | None = None
    themes: tuple[ThemeMatch, ...] = ()
    study: StudyProfile = StudyProfile()
    provenance: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    ocr: Ocr | None = None  # the pages read by OCR (and waiting for it), if any
    content_key: str = ""
    pages: tuple[str, ...] = ()  # filled only when asked for

    def from_ocr(self, page: int) -> bool:
        """Whether the text of page ``page`` (from 1) was read by OCR."""
        return self.ocr is not None and page in self.ocr.pages

    @property
    def theme_ids(self) -> tuple[str, ...]:
        """The ids of the document's themes, strongest first."""
        return tuple(match.theme_id for match in self.themes)

    @property
    def is_pdf(self) -> bool:
        """True for a PDF (pages, a viewer that opens at ``#page=N``); else it is an HTML page."""
        return self.mime == PDF

    @property
    def url(self) -> str:
        """The web address it was fetched from; empty for a file added from disk."""
        return self.source if self.source.startswith(("http://", "https://")) else ""

    @property
    def is_web(self) -> bool:
        """True for a web document: a saved HTML page, or anything fetched from a URL."""
        return self.mime == HTML or bool(self.url)


# Document types: id -> (Dutch label, English label).
DOC_TYPES: dict[str, tuple[str, str]] = {
    "study": ("Studie", "Study"),
    "report": ("Rapport", "Report"),
    "article": ("Artikel", "Article"),
    "webpage": ("Webpagina", "Web page"),
    "manifesto": ("Verkiezingsprogramma", "Party manifesto"),
    "slides": ("Presentatie", "Slides"),
    "other": ("Overig", "Other"),
}

# Languages of documents: code -> (Dutch label, English label).
LANGUAGES: dict[str, tuple[str, str]] = {
    "nl": ("Nederlands", "Dutch"),
    "en": ("Engels", "English"),
    "de": ("Duits", "German"),
    "fr": ("Frans", "French"),
    "es": ("Spaans", "Spanish"),
}
