"""Plain one-line text from markup values, and text blocks with tidy whitespace."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

import lxml.html

_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*|!--.*?--)>", re.DOTALL)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")

# Controls and lone surrogates (JSON "\\ud800") in text; values also lose U+FFFD ("&#x0;").
_UNWANTED_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_UNWANTED_IN_VALUES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufffe\uffff]")


def plain_value(value: str, *, markup: bool = True) -> str:
    """One-line plain text: entities decoded, tags stripped (if ``markup``), whitespace collapsed."""
    # Parsers decode entities once; CMSs often escape twice ("&amp;#8217;"), so decode again.
    if _ENTITY.search(value):
        value = html.unescape(value)
    if markup:
        # Attribute and JSON values may carry HTML ("<p>Abstract</p>"); their text is kept.
        value = _TAG.sub(" ", value)
    value = _UNWANTED_IN_VALUES.sub("", value)
    return unicodedata.normalize("NFC", " ".join(value.split()))


def plain_block(block: str) -> str:
    """A text block with whitespace collapsed per line and empty lines dropped."""
    lines = (" ".join(line.split()) for line in _UNWANTED_CHARS.sub("", block).splitlines())
    return unicodedata.normalize("NFC", "\n".join(line for line in lines if line))


def is_url(value: str) -> bool:
    return bool(re.match(r"(?i)(https?:)?//|www\.", value))


def unique(values: Iterable[str], *, limit: int = 100) -> tuple[str, ...]:
    """Values in order without (case-insensitive) repeats or URLs, at most ``limit``."""
    seen: dict[str, str] = {}
    for value in values:
        if value and not is_url(value) and value.casefold() not in seen:
            seen[value.casefold()] = value
    return tuple(seen.values())[:limit]


def element_text(element: lxml.html.HtmlElement) -> str:
    return plain_value(element.text_content(), markup=False)
