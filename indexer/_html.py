"""HTML pages: main text with trafilatura, head metadata with beautifulsoup4, date with htmldate."""

from __future__ import annotations

import calendar
import codecs
import html
import json
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import charset_normalizer
import htmldate
import lxml.etree
import lxml.html
import trafilatura
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag, XMLParsedAsHTMLWarning
from trafilatura.xml import xmltotxt

from kenniskamer.errors import ExtractionError
from kenniskamer.models import Extracted

MIME = "text/html"

_SAVE_AGAIN = "save the page from a browser (File > Save as) or print it to PDF, and add that file."
EMPTY_MESSAGE = f"This HTML file is empty; {_SAVE_AGAIN}"
UNREADABLE_MESSAGE = f"This file could not be read as an HTML page; {_SAVE_AGAIN}"
NO_TEXT_MESSAGE = f"This HTML page has no readable text (it may be built by JavaScript); {_SAVE_AGAIN}"
BINARY_MESSAGE = (
    "This file is not a readable HTML page (it holds binary data, perhaps compressed or damaged); "
    f"{_SAVE_AGAIN}"
)
GARBLED_MESSAGE = f"This HTML page's text could not be decoded (unknown character set); {_SAVE_AGAIN}"

# --- decoding -------------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# Where pages declare their charset; real pages put the meta after long comments or
# scripts, so look further than the 1024 bytes of the HTML standard's prescan.
_PRESCAN_BYTES = 16_384
_DECLARED = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.+-]+)""",
    re.IGNORECASE,
)
# Browsers read these labels as the superset on the right (WHATWG Encoding); so do we,
# or a page labelled iso-8859-1 that uses curly quotes would fail to decode.
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "big5": "big5hkscs",
}
# A declared charset is only believable if the declaration itself reads the same in it
# (rules out utf-16/utf-32/utf-7 labels on ASCII-compatible bytes, and non-text codecs).
_PROBE = bytes(range(0x20, 0x7F))
_DETECT_BYTES = 200_000
# Characters lxml refuses (it raises on NUL and most C0 controls) and that no text needs.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


def decode_html(data: bytes) -> str:
    """The text of HTML bytes: BOM, then UTF-8, then the declared charset (checked), then detection."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    utf16 = _sniff_utf16(data)
    if utf16:
        return data.decode(utf16, "replace")
    declared = _declared_charset(data)
    if data.isascii():
        # Every ASCII-compatible charset reads ASCII bytes alike; the declaration only
        # matters for 7-bit encodings such as ISO-2022-JP.
        return data.decode(declared or "ascii", "replace")
    # UTF-8 first: multi-byte UTF-8 almost never decodes by accident, while declarations
    # are often stale (a page declared gb2312 whose bytes are UTF-8).
    for candidate in ("utf-8", declared):
        if candidate:
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
    return data.decode(_detect_charset(data) or "cp1252", "replace")


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: markup is ASCII, so every other byte is zero."""
    sample = data[:1024]
    half = len(sample) // 2
    if half < 2:
        return None
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    if zeros_even > 0.4 * half and zeros_odd < 0.05 * half:
        return "utf-16-be"
    if zeros_odd > 0.4 * half and zeros_even < 0.05 * half:
        return "utf-16-le"
    return None


def _declared_charset(data: bytes) -> str | None:
    """The charset named in a meta tag or XML declaration, as a usable Python codec."""
    match = _DECLARED.search(data[:_PRESCAN_BYTES])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").strip(" .:").lower()
    try:
        codec = _SUPERSETS.get(codecs.lookup(label).name, label)
        if _PROBE.decode(codec) != _PROBE.decode("ascii"):
            return None
    except (LookupError, UnicodeDecodeError, ValueError):
        return None
    return codec


def _detect_charset(data: bytes) -> str | None:
    """The charset charset_normalizer finds most plausible, or None."""
    try:
        best = charset_normalizer.from_bytes(data[:_DETECT_BYTES]).best()
    except (LookupError, ValueError, UnicodeError):
        return None
    return best.encoding if best is not None else None


# --- parsing --------------------------------------------------------------------------

_BODY_START = re.compile(r"<body[\s>/]", re.IGNORECASE)
# When a page has no <body> tag, bs4 still only needs the start of it for the head.
_HEAD_CAP = 262_144
# Dropped before trafilatura runs: it removes them too, but copies the tree several
# times first, so the 1.6 MB Yahoo page with 62 scripts costs less this way.
_NOT_CONTENT = ("script", "style", "noscript", "template", "svg")


def _is_binary(text: str) -> bool:
    """Whether decoded "HTML" is full of control characters, as random or compressed bytes are."""
    sample = text[:100_000]
    return len(_CONTROL.findall(sample)) > max(len(sample) // 100, 8)


def _prepare(text: str) -> str:
    """Decoded HTML made acceptable to lxml: no control characters, no XML declaration."""
    return _XML_DECLARATION.sub("", _CONTROL.sub("", text.lstrip("\ufeff")), count=1)


def _parse_tree(text: str) -> lxml.html.HtmlElement:
    """The page as an lxml tree; ExtractionError when lxml cannot build one."""
    # A parser per call: lxml parsers must not be shared between threads.
    parser = lxml.html.HTMLParser(
        collect_ids=False, remove_comments=True, remove_pis=True, default_doctype=False
    )
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.LxmlError, ValueError) as err:
        raise ExtractionError(UNREADABLE_MESSAGE) from err


def _soup(markup: str) -> BeautifulSoup:
    """A bs4 tree (lxml parser) without bs4's hints about what the markup resembles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(markup, "lxml")


def _head_soup(text: str) -> BeautifulSoup:
    """The head of the page (everything before <body>) as a bs4 tree."""
    # bs4 over a whole 400 KB page costs 40-220 ms here; the head alone 2-20 ms.
    found = _BODY_START.search(text)
    return _soup(text[: found.start()] if found else text[:_HEAD_CAP])


# --- plain-text values ----------------------------------------------------------------

_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*|!--.*?--)>", re.DOTALL)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
# Controls and lone surrogates (JSON "\\ud800") in text; values also lose U+FFFD ("&#x0;").
_UNWANTED_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_UNWANTED_IN_VALUES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufffe\uffff]")


def _plain_value(value: str, *, markup: bool = True) -> str:
    """One-line plain text: entities decoded, tags stripped (if ``markup``), whitespace collapsed."""
    # Parsers decode entities once; CMSs often escape twice ("&amp;#8217;"), so decode again.
    if _ENTITY.search(value):
        value = html.unescape(value)
    if markup:
        # Attribute and JSON values may carry HTML ("<p>Abstract</p>"); their text is kept.
        value = _TAG.sub(" ", value)
    value = _UNWANTED_IN_VALUES.sub("", value)
    return unicodedata.normalize("NFC", " ".join(value.split()))


def _plain_block(block: str) -> str:
    """A text block with whitespace collapsed per line and empty lines dropped."""
    lines = (" ".join(line.split()) for line in _UNWANTED_CHARS.sub("", block).splitlines())
    return unicodedata.normalize("NFC", "\n".join(line for line in lines if line))


def _is_url(value: str) -> bool:
    return bool(re.match(r"(?i)(https?:)?//|www\.", value))


def _unique(values: Iterable[str], *, limit: int = 100) -> tuple[str, ...]:
    """Values in order without (case-insensitive) repeats or URLs, at most ``limit``."""
    seen: dict[str, str] = {}
    for value in values:
        if value and not _is_url(value) and value.casefold() not in seen:
            seen[value.casefold()] = value
    return tuple(seen.values())[:limit]


# --- dates ----------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            (),
            ("january", "januari", "januar", "janvier", "enero", "jan", "ene"),
            ("february", "februari", "februar", "février", "fevrier", "febrero", "feb", "fév", "fev"),
            ("march", "maart", "märz", "maerz", "mars", "marzo", "mar", "mrt", "mär", "maa"),
            ("april", "avril", "abril", "apr", "avr", "abr"),
            ("may", "mei", "mai", "mayo"),
            ("june", "juni", "juin", "junio", "jun"),
            ("july", "juli", "juillet", "julio", "jul"),
            ("august", "augustus", "août", "aout", "agosto", "aug", "ago"),
            ("september", "septembre", "septiembre", "sep", "sept"),
            ("october", "oktober", "octobre", "octubre", "oct", "okt"),
            ("november", "novembre", "noviembre", "nov"),
            ("december", "dezember", "décembre", "decembre", "diciembre", "dec", "dez", "déc", "dic"),
        )
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?![\d])")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?!\d)")
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_DAY_MONTH = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]{3,})\.?,?\s+(\d{4})(?!\d)")
_MONTH_DAY = re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")


def iso_date(value: str) -> str | None:
    """An ISO date ("2020-05-01", "2020-05" or "2020") from a metadata date string, or None."""
    value = value.strip()
    if found := _COMPACT.match(value):
        return _checked(found.group(1), found.group(2), found.group(3))
    if found := _ISO.match(value):
        return _checked(*found.groups())
    if found := _DAY_FIRST.match(value):
        day, month, year = (int(part) for part in found.groups())
        if month > 12 >= day:  # 12/31/2019: an American date
            day, month = month, day
        return _checked(str(year), str(month), str(day))
    if found := _DAY_MONTH.search(value):
        return _named_month(found.group(3), found.group(2), found.group(1))
    if found := _MONTH_DAY.search(value):
        return _named_month(found.group(3), found.group(1), found.group(2))
    return None


def _named_month(year: str, month_name: str, day: str) -> str | None:
    month = _MONTHS.get(month_name.casefold().rstrip("."))
    return _checked(year, str(month), day) if month else None


def _checked(year: str, month: str | None, day: str | None) -> str | None:
    """The ISO form of a date whose parts exist on the calendar, else None."""
    number = int(year)
    if not 1000 <= number <= date.today().year + 1:
        return None
    if month is None:
        return f"{number:04d}"
    if not 1 <= int(month) <= 12:
        return None
    if day is None:
        return f"{number:04d}-{int(month):02d}"
    if not 1 <= int(day) <= calendar.monthrange(number, int(month))[1]:
        return None
    return f"{number:04d}-{int(month):02d}-{int(day):02d}"


# --- metadata sources -----------------------------------------------------------------

Fields = dict[str, Any]  # Extracted field name -> str, or tuple[str, ...] for authors/keywords
Meta = dict[str, list[str]]  # lower-cased meta name/property -> contents in page order


def _meta_values(soup: BeautifulSoup) -> Meta:
    """Every <meta> content by name, property and http-equiv (lower-cased, dc: as dc.)."""
    found: Meta = {}
    for tag in soup.find_all("meta"):
        content = _attribute(tag, "content")
        if not content:
            continue
        value = _plain_value(content)
        if not value:
            continue
        keys = f"{_attribute(tag, 'name')} {_attribute(tag, 'property')}".lower().split()
        if equiv := _attribute(tag, "http-equiv").lower().strip():
            keys.append(f"http-equiv:{equiv}")
        for key in keys:
            # RDFa writes dc:title, HTML meta names DC.title; treat them alike.
            key = re.sub(r"^(dc|dcterms):", r"\1.", key)
            found.setdefault(key, []).append(value)
    return found


def _attribute(tag: Tag, name: str) -> str:
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
            return _unique(values)
    return ()


def _dated(value: str | None) -> str | None:
    return iso_date(value) if value else None


def _from_citation(meta: Meta) -> Fields:
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
        "date": _dated(_first(meta, "citation_publication_date", "citation_date", "citation_online_date")),
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


def _from_dublin_core(meta: Meta) -> Fields:
    """Dublin Core: DC.* and dcterms.* names."""
    return {
        "title": _first(meta, "dc.title", "dcterms.title"),
        "authors": _all(meta, "dc.creator", "dcterms.creator", "dc.creator.personalname", split=";"),
        "date": _dated(
            _first(meta, "dcterms.issued", "dc.date.issued", "dc.date", "dcterms.date", "dcterms.created")
        ),
        "publisher": _first(meta, "dc.publisher", "dcterms.publisher"),
        "summary": _first(meta, "dcterms.abstract", "dc.description", "dcterms.description"),
        "language_hint": _first(meta, "dc.language", "dcterms.language"),
        "keywords": _all(meta, "dc.subject", "dcterms.subject", split=";"),
    }


def _from_opengraph(meta: Meta) -> Fields:
    """OpenGraph og:* and article:* properties."""
    return {
        "title": _first(meta, "og:title"),
        "authors": _all(meta, "article:author"),
        "date": _dated(_first(meta, "article:published_time", "og:article:published_time")),
        "publisher": _first(meta, "og:site_name"),
        "summary": _first(meta, "og:description"),
        "language_hint": _first(meta, "og:locale"),
        "keywords": _all(meta, "article:tag"),
        "doc_type_hint": _first(meta, "og:type"),
    }


def _from_plain_meta(meta: Meta) -> Fields:
    """The plain author, description, keywords and content-language meta tags."""
    return {
        "authors": _all(meta, "author", split=";"),
        "summary": _first(meta, "description"),
        "language_hint": _first(meta, "http-equiv:content-language", "language"),
        "keywords": _all(meta, "keywords", split=";,"),
    }


# --- JSON-LD --------------------------------------------------------------------------

_JSON_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
_MAX_JSON_CHARS = 2_000_000
# Types of the node that describes the page itself; others (VideoObject, BreadcrumbList,
# Organization, ImageObject...) describe something on or around it.
_WORK_TYPES = ("Article", "BlogPosting", "Report", "Thesis", "Book", "Chapter", "CreativeWork", "Posting")


def _json_ld_nodes(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """The objects of every JSON-LD script, with @graph and mainEntity unpacked."""
    nodes: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = _JSON_WRAPPER.sub("", script.text or "")
        if not raw or len(raw) > _MAX_JSON_CHARS:
            continue
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common (the Telegraph's has HTML entities in it)
        nodes.extend(_unpack(data))
    return nodes


def _unpack(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 3:
        return
    if isinstance(data, list):
        for item in data:
            yield from _unpack(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if key in data:
                yield from _unpack(data[key], depth + 1)


def _types(node: Mapping[str, Any]) -> list[str]:
    kind = node.get("@type")
    values = kind if isinstance(kind, list) else [kind]
    return [value.rsplit("/", 1)[-1] for value in values if isinstance(value, str)]


def _rank(node: Mapping[str, Any]) -> int:
    """How well a node describes the page: 0 (an article-like work) to 2 (something else)."""
    types = _types(node)
    if any(kind.endswith(_WORK_TYPES) for kind in types):
        return 0
    if any(kind.endswith("Page") for kind in types):
        return 1
    return 2


def _from_json_ld(nodes: list[dict[str, Any]]) -> Fields:
    """schema.org JSON-LD: the first article-like node, else the first web page node."""
    ranked = sorted((node for node in nodes if _rank(node) < 2), key=_rank)
    if not ranked:
        return {}
    main = ranked[0]
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    types = _types(main)
    language = main.get("inLanguage")
    if isinstance(language, dict):
        language = language.get("alternateName") or language.get("name")
    return {
        "title": _text_of(main.get("headline")) or _text_of(main.get("name")),
        "authors": _unique(_names(main.get("author"), by_id) or _names(main.get("creator"), by_id)),
        # Not dateCreated: the Telegraph's is a day after publication (a render time).
        "date": _dated(_text_of(main.get("datePublished"))),
        "publisher": next(iter(_names(main.get("publisher"), by_id)), None),
        "summary": _text_of(main.get("description")) or _text_of(main.get("abstract")),
        "language_hint": _text_of(language),
        "keywords": _keywords(main.get("keywords")),
        "doc_type_hint": next((kind for kind in types if kind.endswith(_WORK_TYPES)), None),
    }


def _text_of(value: Any) -> str | None:
    """A plain-text value from a JSON string (or the first string of a list)."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str)), None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return (_plain_value(value) or None) if isinstance(value, str) else None


def _names(value: Any, by_id: Mapping[str, dict[str, Any]]) -> list[str]:
    """Names from a JSON-LD person/organisation value: a string, an object, a reference or a list."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items[:100]:
        if isinstance(item, dict) and set(item) <= {"@id", "@type"} and item.get("@id") in by_id:
            item = by_id[item["@id"]]
        if isinstance(item, dict):
            given, family = _text_of(item.get("givenName")), _text_of(item.get("familyName"))
            name = _text_of(item.get("name")) or " ".join(part for part in (given, family) if part)
        else:
            name = _text_of(item) or ""
        if name and not _is_url(name):
            names.append(name)
    return names


def _keywords(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else re.split(r"[,;]", value) if isinstance(value, str) else []
    return _unique(text for item in items if (text := _text_of(item)))


# --- titles ---------------------------------------------------------------------------

# Separators between a title and a site name: "Title - BBC News", "Title | DW | 19.01.2020",
# "标题_科技_腾讯网". A hyphen counts only with spaces around it ("U.S.-Israeli").
_SEPARATOR = re.compile(r"\s*(?:\||_|::|·|•|»|«)\s*|\s+[-–—~]\s+")
_DATE_ONLY = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$")
_ELLIPSIS = re.compile(r"\s*(?:\.{3}|…)$")


def _squeeze(value: str) -> str:
    """Only letters and digits, case-folded: for comparing names and titles."""
    return "".join(char for char in value.casefold() if char.isalnum())


def _site_names(meta: Meta, publishers: Iterable[str | None], url: str | None) -> list[str]:
    """Names the site goes by, squeezed: og:site_name, application-name, publisher, host."""
    keys = ("og:site_name", "application-name", "apple-mobile-web-app-title")
    names = [value for key in keys for value in meta.get(key, [])]
    names += [value.lstrip("@") for value in meta.get("twitter:site", [])]
    names += [value for value in publishers if value]
    host = (urlsplit(url).hostname or "") if url else ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    if labels:
        names += [labels[0], "".join(labels)]
    return [squeezed for name in names if len(squeezed := _squeeze(name)) >= 2]


def _is_affix(segment: str, site_names: list[str]) -> bool:
    """Whether a title segment is the site's name ("The Washington Post", "DW") or a date."""
    squeezed = _squeeze(segment)
    if not squeezed:
        return True
    if _DATE_ONLY.match(segment.strip()):
        return True
    short = len(segment.split()) <= 4
    return any(
        squeezed == name
        or (short and len(name) >= 3 and name in squeezed)  # "The Washington Post"
        or (len(squeezed) >= 2 and name.startswith(squeezed))  # "DW" for "DW.COM"
        for name in site_names
    )


def clean_title(title: str, site_names: list[str], shorter: Iterable[str] = ()) -> str:
    """A title without site-name affixes, e.g. "Obama admits ... - BBC News" -> "Obama admits ..."."""
    # A shorter title elsewhere on the page (h1, a second <title>, twitter:title) that the
    # title starts with tells where the suffix begins, even for an unknown site name.
    cuts = [found.start() for found in _SEPARATOR.finditer(title)]
    wanted = {_squeeze(value) for value in shorter if len(_squeeze(value)) >= 3}
    for cut in cuts:
        if _squeeze(title[:cut]) in wanted:
            return title[:cut].strip()
    segments = [part.strip() for part in _SEPARATOR.split(title)]
    while len(segments) > 1 and _is_affix(segments[-1], site_names):
        segments.pop()
    if len(segments) == len(cuts) + 1:
        return title.strip()
    # Cut the original at the separator before the first dropped segment, so inner
    # separators survive ("Woonfraude in Nederland - Een Analyse ... - Bonnies Smarties").
    # Leading segments stay: "Yahoo News - Latest News" names the page it is.
    return title[: cuts[len(segments) - 1]].strip()


def _untruncated(title: str, candidates: Iterable[str]) -> str | None:
    """A longer candidate that a title cut off with "..." is the start of."""
    stem = _squeeze(_ELLIPSIS.sub("", title))
    for candidate in candidates:
        if len(_squeeze(candidate)) > len(stem) and _squeeze(candidate).startswith(stem):
            return candidate
    return None


# --- heuristics from the body ----------------------------------------------------------


def _element_text(element: lxml.html.HtmlElement) -> str:
    return _plain_value(element.text_content(), markup=False)


def _h1_texts(tree: lxml.html.HtmlElement) -> list[str]:
    return [text for element in tree.iter("h1") if (text := _element_text(element))][:5]


def _time_date(tree: lxml.html.HtmlElement) -> str | None:
    """The date of the first <time datetime>, preferring one marked as the publication date."""
    times = [element for element in tree.iter("time") if element.get("datetime")]
    marked = [element for element in times if "publish" in (element.get("itemprop") or "").lower()]
    for element in marked + times:
        if found := iso_date(element.get("datetime", "")):
            return found
    return None


def _htmldate(tree: lxml.html.HtmlElement, url: str | None) -> str | None:
    """The publication date htmldate finds (never fetching: it gets a tree, not a URL string)."""
    try:
        # original_date: the default took the modified date on 4 of 11 pages measured here.
        # extensive_search stays on: it dated 2 of 20 pages the fast mode left undated, at 0-40 ms
        # a page, but its first use in a process loads dateparser (0.6-1.5 s, once).
        found = htmldate.find_date(tree, original_date=True, url=url)
    except Exception:  # htmldate raises assorted errors on odd trees; the date is optional
        return None
    return iso_date(found) if found else None


# --- main text ------------------------------------------------------------------------

_FALLBACK_DROP = (
    "script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg", "iframe"
)  # fmt: skip
_FALLBACK_BLOCKS = frozenset(
    "p div section article main li dd dt tr th td pre blockquote "  # noqa: SIM905 - a word list reads better as text
    "h1 h2 h3 h4 h5 h6 table ul ol dl figcaption textarea body".split()
)
# How far up a string looks for its block; deeper inline nesting only loses a paragraph
# break, while an unbounded walk is quadratic on thousands of nested inline tags.
_MAX_INLINE_DEPTH = 50
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _trafilatura_text(tree: lxml.html.HtmlElement, url: str | None) -> str:
    """The main text by trafilatura, one blank-line separated block per paragraph, list or table."""
    try:
        # Defaults otherwise: favor_recall added navigation and "Print this page" lines.
        document = trafilatura.bare_extraction(
            tree, url=url, include_comments=False, include_tables=True, with_metadata=False
        )
    except Exception:  # trafilatura fails in many ways on junk; the bs4 fallback takes over
        return ""
    # trafilatura 2 returns a Document, 1.x a dict; both carry the main text as an XML body.
    body = document.get("body") if isinstance(document, dict) else getattr(document, "body", None)
    if body is None:
        return ""
    return "\n\n".join(block for child in body if (block := _plain_block(xmltotxt(child, False))))


def _fallback_text(text: str) -> str:
    """The page's text by a bs4 heuristic: without scripts, navigation, headers and footers."""
    soup = _soup(_BR.sub("\n", text))
    for tag in soup.find_all(_FALLBACK_DROP):
        if not tag.decomposed:  # a dropped tag inside another dropped tag is gone already
            tag.decompose()
    root = soup.body or soup
    # Strings are grouped by the block element they sit in: a new block, a new paragraph.
    # No marker nodes are inserted: bs4 insertions walk the tree and were quadratic.
    paragraphs: list[list[str]] = []
    current_block: object = None
    for string in root.find_all(string=True):
        if type(string) is not NavigableString:
            continue  # comments, CDATA, doctype
        block = _block_of(string)
        if block is not current_block or not paragraphs:
            paragraphs.append([])
            current_block = block
        paragraphs[-1].append(str(string))
    blocks = (_plain_value("".join(parts), markup=False) for parts in paragraphs)
    return "\n\n".join(block for block in blocks if block)


def _block_of(string: NavigableString) -> object:
    """The nearest block-level ancestor of a string (or its parent, if that is too far up)."""
    parent = string.parent
    for _ in range(_MAX_INLINE_DEPTH):
        if parent is None or parent.name in _FALLBACK_BLOCKS:
            return parent
        parent = parent.parent
    return string.parent


def _main_text(tree: lxml.html.HtmlElement, text: str, url: str | None) -> str:
    """The page's main text; ExtractionError when there is none worth keeping."""
    main = _trafilatura_text(tree, url) or _fallback_text(text)
    letters = sum(1 for char in main if char.isalnum())
    if not letters:
        raise ExtractionError(NO_TEXT_MESSAGE)
    if main.count("\ufffd") > max(letters // 10, 3):
        raise ExtractionError(GARBLED_MESSAGE)
    return main


# --- putting it together --------------------------------------------------------------

_FIELDS = ("title", "authors", "date", "publisher", "language_hint", "summary", "keywords", "doc_type_hint")
# Provenance is keyed by the Document field a value ends up in (enrich copies it over).
_PROVENANCE_KEY = {"language_hint": "language", "doc_type_hint": "doc_type"}


def _merge(sources: Iterable[Fields]) -> dict[str, Any]:
    """Per field, the value of the first source that has one."""
    merged: dict[str, Any] = {}
    for fields in sources:
        for name in _FIELDS:
            value = fields.get(name)
            if value and name not in merged:
                merged[name] = value
    return merged


def extract_html(data: bytes, *, url: str | None = None) -> Extracted:
    """The main text (one page) and the metadata of an HTML page."""
    text = _decoded(data)
    tree = _parse_tree(text)
    head = _head_soup(text)
    meta = _meta_values(head)
    json_ld = _from_json_ld(_json_ld_nodes(tree))
    og = _from_opengraph(meta)
    found = _merge([_from_citation(meta), _from_dublin_core(meta), json_ld, og, _from_plain_meta(meta)])
    origins = dict.fromkeys(found, "metadata")
    if "language_hint" not in found and (lang := _html_lang(head)):
        found["language_hint"], origins["language_hint"] = lang, "metadata"
    if "date" not in found and (heuristic_date := _htmldate(tree, url)):
        found["date"], origins["date"] = heuristic_date, "heuristic"

    # From here on the tree is read for text only (htmldate needed the JSON in scripts).
    lxml.etree.strip_elements(tree, *_NOT_CONTENT, with_tail=False)
    if "date" not in found and (time_date := _time_date(tree)):
        found["date"], origins["date"] = time_date, "heuristic"
    h1s = _h1_texts(tree)
    site_names = _site_names(meta, [found.get("publisher"), json_ld.get("publisher")], url)
    titles = [_plain_value(tag.get_text(), markup=False) for tag in head.find_all("title")]
    shorter = [*h1s, *titles[1:], *meta.get("twitter:title", []), *meta.get("title", [])]
    _choose_title(found, origins, og.get("title"), titles, h1s, site_names, shorter)

    return Extracted(
        mime=MIME,
        pages=(_main_text(tree, text, url),),
        title=found.get("title"),
        authors=found.get("authors", ()),
        date=found.get("date"),
        publisher=found.get("publisher"),
        language_hint=found.get("language_hint"),
        summary=found.get("summary"),
        keywords=found.get("keywords", ()),
        doc_type_hint=found.get("doc_type_hint"),
        provenance={_PROVENANCE_KEY.get(name, name): origin for name, origin in origins.items()},
    )


def _decoded(data: bytes) -> str:
    """The page's text ready for lxml; ExtractionError when it is empty or binary."""
    if not data.strip():
        raise ExtractionError(EMPTY_MESSAGE)
    text = decode_html(data)
    if _is_binary(text):
        raise ExtractionError(BINARY_MESSAGE)
    text = _prepare(text)
    if not text.strip():
        raise ExtractionError(EMPTY_MESSAGE)
    return text


def _html_lang(head: BeautifulSoup) -> str | None:
    """The language declared on the <html> element (lang or xml:lang)."""
    root = head.find("html")
    if not isinstance(root, Tag):
        return None
    return _plain_value(_attribute(root, "lang") or _attribute(root, "xml:lang")) or None


def _choose_title(
    found: dict[str, Any],
    origins: dict[str, str],
    og_title: str | None,
    titles: list[str],
    h1s: list[str],
    site_names: list[str],
    shorter: list[str],
) -> None:
    """Set the title: metadata first (OpenGraph's without site suffix), then <title>, then <h1>."""
    if og_title and found.get("title") == og_title:
        found["title"] = clean_title(og_title, site_names, shorter) or og_title
    if not found.get("title"):
        page_title = next((clean_title(title, site_names, shorter) for title in titles if title), "")
        fallback = page_title or (h1s[0] if h1s else "")
        if fallback:
            found["title"], origins["title"] = fallback, "heuristic"
    title = found.get("title")
    if title and _ELLIPSIS.search(title):
        # JSON-LD headlines are sometimes cut off ("...leader..."); the page has the rest.
        longer = _untruncated(title, [*h1s, *(clean_title(t, site_names, shorter) for t in titles)])
        if longer:
            found["title"], origins["title"] = longer, "heuristic"
