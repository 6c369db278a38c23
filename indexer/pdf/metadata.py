"""What the information dictionary, XMP and catalog say: title, authors, dates, publisher, keywords."""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import PSLiteral
from pdfminer.utils import decode_text

from indexer.pdf.clean import clean_text, count_letters
from indexer.pdf.names import split_authors, unique
from kenniskamer.text.dates import parse_pdf_date, to_iso

_MAX_XMP_BYTES = 4_000_000


@dataclass
class Meta:
    """What the information dictionary, XMP and catalog say, decoded to text."""

    info: dict[str, str] = field(default_factory=dict)
    xmp: dict[str, list[str]] = field(default_factory=dict)
    lang: str | None = None


def read_meta(doc: PDFDocument) -> Meta:
    """Info dictionary, XMP and /Lang; parts that fail to parse are left out."""
    meta = Meta()
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


def metadata_authors(meta: Meta) -> tuple[str, ...]:
    """The authors XMP dc:creator names, else those of the info /Author."""
    creators = meta.xmp.get("dc:creator", [])
    names = [name for creator in creators for name in split_authors(creator)]
    if not names and meta.info.get("Author"):
        names = split_authors(meta.info["Author"])
    return tuple(unique(names))


_DOI = re.compile(r"(?i)\b(?:doi:?\s*)?10\.\d{4,9}/\S+")


def metadata_keywords(meta: Meta) -> tuple[str, ...]:
    """Keywords from pdf:Keywords, the info /Keywords or dc:subject, without DOIs."""
    raw = [*meta.xmp.get("pdf:Keywords", [])[:1], meta.info.get("Keywords", "")]
    text = next((value for value in raw if value), "")
    if text:
        parts = re.split(r";" if ";" in text else r",", _DOI.sub("", text))
    else:
        parts = meta.xmp.get("dc:subject", [])
    return tuple(unique(re.sub(r"^(?:and|und|en)\s+", "", " ".join(part.split())).strip(" .") for part in parts))


# "Journal of Ethnic and Migration Studies, 2015. doi:...", "Science 2016.354:217-222",
# "Nature Human Behaviour 1, (2017). doi:...", "Acta Politica, https://doi.org/..."
_VENUE_YEAR = re.compile(
    r"^\s*(?P<venue>[^\d,;]{3,90}?)[,\s]+(?:\d+,\s*)?\(?(?P<year>(?:19|20)\d\d)\)?"
    r"(?:\s*[.,]\s*(?:doi|https?:)|\.\d+:|[.,]?\s*$)"
)
_VENUE_ONLY = re.compile(r"^\s*(?P<venue>[^\d,;]{3,90}?),\s*(?:doi|https?://)")


def _venue(meta: Meta) -> tuple[str | None, str | None]:
    """Journal or book and year from a citation in /Subject or dc:description."""
    for text in (meta.info.get("Subject", ""), *meta.xmp.get("dc:description", [])[:1]):
        match = _VENUE_YEAR.match(text) or _VENUE_ONLY.match(text)
        if match and count_letters(match.group("venue")) >= 3 and not match.group("venue").lower().startswith("http"):
            year = match.groupdict().get("year")
            return match.group("venue").strip(" ,;"), to_iso(int(year)) if year else None
    return None, None


def metadata_publisher(meta: Meta) -> str | None:
    """The journal or publisher the XMP or info dictionary names, or a citation in /Subject."""
    for key in ("prism:publicationName", "dc:publisher"):
        values = meta.xmp.get(key)
        if values and values[0]:
            return values[0]
    return meta.info.get("Publisher") or _venue(meta)[0]


def metadata_date(meta: Meta, *, created: bool = True) -> str | None:
    """The best date the metadata offers: a publication date, else (``created``) the creation date.

    A scan's creation date is the day it was scanned, not the work's: no ``created`` for those.
    """
    for key in ("prism:publicationDate", "prism:coverDate", "dc:date"):
        for value in meta.xmp.get(key, []):
            found = parse_pdf_date(value)
            if found:
                return found
    year = _venue(meta)[1]
    if year:
        return year
    if not created:
        return None
    for value in (*meta.xmp.get("xmp:CreateDate", []), meta.info.get("CreationDate", "")):
        found = parse_pdf_date(value) if value else None
        if found:
            return found
    return None


def metadata_summary(meta: Meta) -> str | None:
    """A description from the metadata when it is prose, not a citation line."""
    for text in (*meta.xmp.get("dc:description", [])[:1], meta.info.get("Subject", "")):
        if len(text.split()) >= 20 and not _VENUE_YEAR.match(text) and not _DOI.search(text):
            return text
    return None
