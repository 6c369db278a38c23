"""The main text: trafilatura first, a beautifulsoup4 heuristic when it finds nothing."""

from __future__ import annotations

import re

import lxml.html
import trafilatura
from bs4 import NavigableString
from trafilatura.xml import xmltotxt

from indexer.html.decode import SAVE_AGAIN
from indexer.html.plain import plain_block, plain_value
from indexer.html.tree import parse_soup
from kenniskamer.errors import ExtractionError

NO_TEXT_MESSAGE = f"This HTML page has no readable text (it may be built by JavaScript); {SAVE_AGAIN}"
GARBLED_MESSAGE = f"This HTML page's text could not be decoded (unknown character set); {SAVE_AGAIN}"
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
    return "\n\n".join(block for child in body if (block := plain_block(xmltotxt(child, False))))


def _fallback_text(text: str) -> str:
    """The page's text by a bs4 heuristic: without scripts, navigation, headers and footers."""
    soup = parse_soup(_BR.sub("\n", text))
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
    blocks = (plain_value("".join(parts), markup=False) for parts in paragraphs)
    return "\n\n".join(block for block in blocks if block)


def _block_of(string: NavigableString) -> object:
    """The nearest block-level ancestor of a string (or its parent, if that is too far up)."""
    parent = string.parent
    for _ in range(_MAX_INLINE_DEPTH):
        if parent is None or parent.name in _FALLBACK_BLOCKS:
            return parent
        parent = parent.parent
    return string.parent


def main_text(tree: lxml.html.HtmlElement, text: str, url: str | None) -> str:
    """The page's main text; ExtractionError when there is none worth keeping."""
    main = _trafilatura_text(tree, url) or _fallback_text(text)
    letters = sum(1 for char in main if char.isalnum())
    if not letters:
        raise ExtractionError(NO_TEXT_MESSAGE)
    if main.count("\ufffd") > max(letters // 10, 3):
        raise ExtractionError(GARBLED_MESSAGE)
    return main
