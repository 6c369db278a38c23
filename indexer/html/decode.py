"""HTML bytes to text: byte-order marks, UTF-8, declared and detected charsets."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from kenniskamer.errors import ExtractionError

SAVE_AGAIN = "save the page from a browser (File > Save as) or print it to PDF, and add that file."
EMPTY_MESSAGE = f"This HTML file is empty; {SAVE_AGAIN}"
BINARY_MESSAGE = (
    "This file is not a readable HTML page (it holds binary data, perhaps compressed or damaged); "
    f"{SAVE_AGAIN}"
)

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


def _is_binary(text: str) -> bool:
    """Whether decoded "HTML" is full of control characters, as random or compressed bytes are."""
    sample = text[:100_000]
    return len(_CONTROL.findall(sample)) > max(len(sample) // 100, 8)


def _prepare(text: str) -> str:
    """Decoded HTML made acceptable to lxml: no control characters, no XML declaration."""
    return _XML_DECLARATION.sub("", _CONTROL.sub("", text.lstrip("\ufeff")), count=1)


def decode_page(data: bytes) -> str:
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
