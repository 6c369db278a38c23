"""Text normalisation shared by the index, search, dedupe and the vocabulary."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower-case, compatibility-normalise and strip accents: ``Coöperatie`` -> ``cooperatie``."""
    text = unicodedata.normalize("NFKD", text.lower())
    return _COMBINING.sub("", text).translate(_SPECIAL)


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return WORD.findall(fold(text))


def vocabulary(pages: Iterable[str], *, min_length: int = 3, max_length: int = 30) -> set[str]:
    """The distinct folded words of a document that "did you mean" may suggest."""
    found: set[str] = set()
    for page in pages:
        found.update(w for w in WORD.findall(fold(page)) if min_length <= len(w) <= max_length and not w.isdigit())
    return found
