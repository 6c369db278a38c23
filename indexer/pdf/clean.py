"""Page text made searchable: joined hyphenation, repaired accents, NFKC."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# pypdfium2 marks a soft hyphen at a line end with \x02 (older pdfium) or U+FFFE and
# drops or keeps the line break; U+00AD is a real soft hyphen that some files print.
# (Patterns start with a literal or a rare character so that re can scan for them fast.)
_SOFT_HYPHEN = re.compile(r"[\x02\ufffe\xad][ \t]*\n?")
_EOL_HYPHEN = re.compile(r"-\n")


JUNK_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\uffff]|\(cid:\d+\)")


_SPACES = re.compile(r"[ \t\u00a0]{2,}|[\t\u00a0]")
_BLANK_LINES = re.compile(r"\n{3,}")

# Spacing diacritics as TeX and some typesetters print them beside the letter, the
# combining mark they stand for, and the letters they may sit on (vowels mostly, so that
# an apostrophe typed as an acute, as in "don´t", is left alone).
_VOWELS = "aeiouyAEIOUYı"
_MARKS: dict[str, tuple[str, str]] = {
    "\u00a8": ("\u0308", _VOWELS),  # diaeresis
    "\u00b4": ("\u0301", _VOWELS),  # acute
    "\u02ca": ("\u0301", _VOWELS),
    "`": ("\u0300", _VOWELS),  # grave
    "\u02cb": ("\u0300", _VOWELS),
    "\u02c6": ("\u0302", _VOWELS),  # circumflex
    "\u02dc": ("\u0303", "aonAON"),  # tilde
    "\u00b8": ("\u0327", "cstCST"),  # cedilla
    "\u02c7": ("\u030c", "cszrendtCSZRENDT"),  # caron
    "\u02da": ("\u030a", "auAU"),  # ring
    "\u02dd": ("\u030b", "ouOU"),  # double acute
    "\u00af": ("\u0304", _VOWELS),  # macron
    "\u02d8": ("\u0306", "aguAGU"),  # breve
    "\u02d9": ("\u0307", "zegiZEGI"),  # dot above
    "\u02db": ("\u0328", "aeiuAEIU"),  # ogonek
}
_MARK_CLASS = "[" + re.escape("".join(_MARKS)) + "]"
_MARK_CHARS = re.compile(_MARK_CLASS)
_ACCENT = re.compile(rf"([^\W\d_])?({_MARK_CLASS})( ?)([^\W\d_])?")
# NFKC turns a lone spacing mark into space + combining mark; put the spacing mark back.
_LONE_MARKS = {unicodedata.normalize("NFKC", mark): mark for mark in _MARKS if mark != "`"}
_LONE_MARK = re.compile("|".join(re.escape(decomposed) for decomposed in _LONE_MARKS))


def clean_text(text: str) -> str:
    """Page text made searchable: joined hyphenation, repaired accents, NFKC, \\n line ends."""
    # The guards skip patterns that are rare; page text is megabytes per document.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n\xad\n", "\xad")
    text = _SOFT_HYPHEN.sub("", text)
    if "-\n" in text:
        text = _EOL_HYPHEN.sub(_join_hyphenated, text)
    text = JUNK_CHARS.sub("", text)
    if _MARK_CHARS.search(text):
        text = _repair_accents(text)
    if not unicodedata.is_normalized("NFKC", text):
        text = _LONE_MARK.sub(lambda m: _LONE_MARKS[m.group(0)], unicodedata.normalize("NFKC", text))
    if "\u2010" in text or "\u2011" in text:
        text = text.replace("\u2010", "-").replace("\u2011", "-")
    if "  " in text or "\t" in text or "\xa0" in text:
        text = _SPACES.sub(" ", text)
    text = text.replace(" \n", "\n")
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _join_hyphenated(match: re.Match[str]) -> str:
    # Only a lower-case continuation is hyphenation; "Schmidt-\nCatran" keeps its hyphen.
    text, start, end = match.string, match.start(), match.end()
    before, after = text[start - 1 : start], text[end : end + 1]
    return "" if before.islower() and after.islower() else match.group(0)


def _compose(letter: str | None, mark: str) -> str | None:
    """The single character for letter + spacing mark, if the mark may sit on it."""
    if not letter:
        return None
    combining, bases = _MARKS[mark]
    if letter not in bases:
        return None
    composed = unicodedata.normalize("NFC", ("i" if letter == "ı" else letter) + combining)
    return composed if len(composed) == 1 else None


def _repair_accents(text: str) -> str:
    """Combine a spacing diacritic with the letter before or after it (a¨ -> ä, L´o -> Ló)."""
    # Typesetters put the mark after its letter (Universita¨t) or, like TeX, before it
    # (L´opez). Unambiguous cases vote for the side used on this page; ties follow the vote.
    votes: Counter[str] = Counter()
    for m in _ACCENT.finditer(text):
        before, after = _compose(m.group(1), m.group(2)), _compose(m.group(4), m.group(2))
        if bool(before) != bool(after):
            votes["before" if before else "after"] += 1
    prefer_before = votes["before"] >= votes["after"]
    return _ACCENT.sub(lambda m: _accent_replacement(m, prefer_before), text)


def _accent_replacement(m: re.Match[str], prefer_before: bool) -> str:
    prev, mark, space, nxt = m.group(1) or "", m.group(2), m.group(3), m.group(4) or ""
    if mark == "`" and not prev:
        return m.group(0)  # `quoted' in TeX style, not a grave accent
    before, after = _compose(prev or None, mark), _compose(nxt or None, mark)
    # A dotless i only ever carries an accent in TeX output, where the mark comes first.
    if before and (prefer_before or not after) and nxt != "ı":
        # "a¨ t" (pdfminer puts a space after the mark) is one word: "ät".
        return before + ("" if nxt and nxt.islower() else space) + nxt
    if after and not space:
        return prev + after
    return m.group(0)


def count_letters(text: str) -> int:
    """How many letters a text has."""
    return sum(ch.isalpha() for ch in text)
