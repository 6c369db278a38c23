"""Text normalisation shared by the index, search, dedupe and the vocabulary."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

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


_REFERENCES_HEADING = re.compile(
    r"^\s*(?:\d+\.?\s*)?(references|bibliography|literature( cited)?|works cited|literatuur(lijst)?|bronnen"
    r"|literaturverzeichnis|literatur|bibliographie|références|referencias|reference list)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_BACK_MATTER = re.compile(r"^\s*(appendix|bijlage|supplementary|online appendix|anhang|annexe)\b", re.IGNORECASE | re.MULTILINE)


def reference_pages(pages: Sequence[str]) -> frozenset[int]:
    """Page numbers (1-based) of the reference list: from its heading to an appendix or the end.

    Only a heading in the second half of a document counts, so a table of contents
    that mentions "References" does not swallow the whole text.
    """
    start = None
    for number in range(len(pages), len(pages) // 2, -1):
        if _REFERENCES_HEADING.search(pages[number - 1]):
            start = number
            break
    if start is None:
        return frozenset()
    found = {start}
    for number in range(start + 1, len(pages) + 1):
        if _BACK_MATTER.search(pages[number - 1][:300]):
            break
        found.add(number)
    return frozenset(found)
