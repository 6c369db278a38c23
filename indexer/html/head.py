"""Metadata from <meta> tags: Highwire citation_*, Dublin Core, OpenGraph and plain names."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag

from indexer.html.date import dated
from indexer.html.plain import plain_value, unique

Fields = dict[str, Any]  # Extracted field name -> str, or tuple[str, ...] for authors/keywords
Meta = dict[str, list[str]]  # lower-cased meta name/property -> contents in page order


def meta_values(soup: BeautifulSoup) -> Meta:
    """Every <meta> content by name, property and http-equiv (lower-cased, dc: as dc.)."""
    found: Meta = {}
    for tag in soup.find_all("meta"):
        content = attribute(tag, "content")
        if not content:
            continue
        value = plain_value(content)
        if not value:
            continue
        keys = f"{attribute(tag, 'name')} {attribute(tag, 'property')}".lower().split()
        if equiv := attribute(tag, "http-equiv").lower().strip():
            keys.append(f"http-equiv:{equiv}")
        for key in keys:
            # RDFa writes dc:title, HTML meta names DC.title; treat them alike.
            key = re.sub(r"^(dc|dcterms):", r"\1.", key)
            found.setdefault(key, []).append(value)
    return found


def attribute(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if isinstance(value, list):
        return " ".join(value)
    return value or ""


def _first(meta: Meta, *keys: str) -> str | None:
    for key in keys:
        if meta.get(key):
            return meta[key][0]
    return None


def _all(meta: Meta, *keys: str, split: str | None = None) -> tuple[str, ...]:
    """Every value of the first key that has any, split on ``split`` characters if given."""
    for key in keys:
        values = meta.get(key)
        if values:
            if split:
                values = [part.strip() for value in values for part in re.split(f"[{split}]", value)]
            return unique(values)
    return ()


def from_citation(meta: Meta) -> Fields:
    """Highwire Press citation_* tags (Google Scholar's)."""
    kind = None
    if "citation_journal_title" in meta or "citation_conference_title" in meta:
        kind = "ScholarlyArticle"
    elif "citation_technical_report_institution" in meta:
        kind = "Report"
    elif "citation_dissertation_institution" in meta:
        kind = "Thesis"
    return {
        "title": _first(meta, "citation_title"),
        "authors": _all(meta, "citation_author") or _all(meta, "citation_authors", split=";"),
        "date": dated(_first(meta, "citation_publication_date", "citation_date", "citation_online_date")),
        "publisher": _first(
            meta,
            "citation_journal_title",
            "citation_publisher",
            "citation_technical_report_institution",
            "citation_dissertation_institution",
        ),
        "summary": _first(meta, "citation_abstract"),
        "language_hint": _first(meta, "citation_language"),
        "keywords": _all(meta, "citation_keywords", split=";,"),
        "doc_type_hint": kind,
    }


def from_dublin_core(meta: Meta) -> Fields:
    """Dublin Core: DC.* and dcterms.* names."""
    return {
        "title": _first(meta, "dc.title", "dcterms.title"),
        "authors": _all(meta, "dc.creator", "dcterms.creator", "dc.creator.personalname", split=";"),
        "date": dated(
            _first(meta, "dcterms.issued", "dc.date.issued", "dc.date", "dcterms.date", "dcterms.created")
        ),
        "publisher": _first(meta, "dc.publisher", "dcterms.publisher"),
        "summary": _first(meta, "dcterms.abstract", "dc.description", "dcterms.description"),
        "language_hint": _first(meta, "dc.language", "dcterms.language"),
        "keywords": _all(meta, "dc.subject", "dcterms.subject", split=";"),
    }


def from_opengraph(meta: Meta) -> Fields:
    """OpenGraph og:* and article:* properties."""
    return {
        "title": _first(meta, "og:title"),
        "authors": _all(meta, "article:author"),
        "date": dated(_first(meta, "article:published_time", "og:article:published_time")),
        "publisher": _first(meta, "og:site_name"),
        "summary": _first(meta, "og:description"),
        "language_hint": _first(meta, "og:locale"),
        "keywords": _all(meta, "article:tag"),
        "doc_type_hint": _first(meta, "og:type"),
    }


def from_plain_meta(meta: Meta) -> Fields:
    """The plain author, description, keywords and content-language meta tags."""
    return {
        "authors": _all(meta, "author", split=";"),
        "summary": _first(meta, "description"),
        "language_hint": _first(meta, "http-equiv:content-language", "language"),
        "keywords": _all(meta, "keywords", split=";,"),
    }


def html_lang(head: BeautifulSoup) -> str | None:
    """The language declared on the <html> element (lang or xml:lang)."""
    root = head.find("html")
    if not isinstance(root, Tag):
        return None
    return plain_value(attribute(root, "lang") or attribute(root, "xml:lang")) or None
