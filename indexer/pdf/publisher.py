"""The publisher a report names in its running headers and footers ("12 Vooringenomenheid voorkomen – Algorithm Audit")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from indexer.pdf.names import surname_key
from kenniskamer.text.layout import find_running_lines
from kenniskamer.text.prose import words

MIN_PAGES = 3  # pages whose running lines name it
MIN_SHARE = 0.5  # of the pages with running lines
MAX_WORDS = 6

# Parts of a running line: "Title – Publisher", "Publisher | Title", columns set apart by spaces.
_SEPARATOR = re.compile(r"\s+[–—|·•]\s+|\s+-\s+|\s{3,}")
_PAGE_NUMBER = re.compile(r"^\s*(?:\d{1,4}|[ivxlc]{1,6})\s+|\s+(?:\d{1,4}|[ivxlc]{1,6})\s*$", re.IGNORECASE)
# Small words an organisation's name may hold in lower case (or in capitals, when all is).
_PARTICLES = frozenset((
    "van", "voor", "de", "der", "den", "het", "en", "in", "op", "te", "of", "and", "the", "for", "on", "at",
    "für", "und", "die", "das", "des", "du", "la", "le", "et", "y", "del",
))
_NOT_A_NAME = re.compile(r"\d|@|©|https?:|www\.|\.(?:org|nl|com|eu)\b|\bet al\b|(?i:downloaded|generiert|téléchargé)")


def find_running_publisher(pages: Sequence[str], *, title: str | None, authors: Sequence[str] = ()) -> str | None:
    """The organisation named in most pages' running lines, if it looks like one; None otherwise.

    A name is two to six words, each capitalised but for small words ("Sociaal en Cultureel
    Planbureau", "PARTIJ VOOR DE VRIJHEID"), with no digits, addresses, initials or an
    author's surname, and not the document's own title.
    """
    counts: Counter[str] = Counter()
    pages_with_lines = 0
    for page, drop in zip(pages, find_running_lines(pages)):
        lines = page.split("\n")
        found = {part for index in drop for part in _parts(lines[index])}
        counts.update(found)
        pages_with_lines += bool(drop)
    title_words = set(words(title or ""))
    surnames = {surname_key(author) for author in authors}
    for part, count in counts.most_common():
        if count < max(MIN_PAGES, MIN_SHARE * pages_with_lines):
            break
        if _is_name(part, title_words, surnames):
            return _readable(part)
    return None


def _parts(line: str) -> list[str]:
    return [part.strip(" .,:;|–—·•-") for part in _SEPARATOR.split(_PAGE_NUMBER.sub("", line.strip()))]


def _is_name(part: str, title_words: set[str], surnames: set[str]) -> bool:
    tokens = part.split()
    if not 2 <= len(tokens) <= MAX_WORDS or _NOT_A_NAME.search(part):
        return False
    if any(len(token.rstrip(".")) == 1 for token in tokens):  # initials: a person ("C. S. Czymara")
        return False
    content = [token for token in tokens if token.lower() not in _PARTICLES]
    if not content or not all(token[:1].isupper() for token in content) or not tokens[0][:1].isupper():
        return False
    folded = words(part)
    if surnames & {surname_key(token) for token in content}:
        return False
    return sum(word in title_words for word in folded) * 2 < len(folded)  # not a running title


def _readable(name: str) -> str:
    """A name set in capitals, in ordinary case: "PARTIJ VOOR DE VRIJHEID" -> "Partij voor de Vrijheid"."""
    if not name.isupper():
        return name
    return " ".join(
        token.lower() if index and token.lower() in _PARTICLES else token.capitalize()
        for index, token in enumerate(name.split())
    )
