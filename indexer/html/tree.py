"""Decoded HTML as trees: lxml for the whole page, beautifulsoup4 for the head."""

from __future__ import annotations

import re
import warnings

import lxml.etree
import lxml.html
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from indexer.html.decode import SAVE_AGAIN
from kenniskamer.errors import ExtractionError

UNREADABLE_MESSAGE = f"This file could not be read as an HTML page; {SAVE_AGAIN}"
_BODY_START = re.compile(r"<body[\s>/]", re.IGNORECASE)

# When a page has no <body> tag, bs4 still only needs the start of it for the head.
_HEAD_CAP = 262_144

# Dropped before trafilatura runs: it removes them too, but copies the tree several
# times first, so the 1.6 MB Yahoo page with 62 scripts costs less this way.
NOT_CONTENT = ("script", "style", "noscript", "template", "svg")


def parse_tree(text: str) -> lxml.html.HtmlElement:
    """The page as an lxml tree; ExtractionError when lxml cannot build one."""
    # A parser per call: lxml parsers must not be shared between threads.
    parser = lxml.html.HTMLParser(
        collect_ids=False, remove_comments=True, remove_pis=True, default_doctype=False
    )
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.LxmlError, ValueError) as err:
        raise ExtractionError(UNREADABLE_MESSAGE) from err


def parse_soup(markup: str) -> BeautifulSoup:
    """A bs4 tree (lxml parser) without bs4's hints about what the markup resembles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(markup, "lxml")


def head_soup(text: str) -> BeautifulSoup:
    """The head of the page (everything before <body>) as a bs4 tree."""
    # bs4 over a whole 400 KB page costs 40-220 ms here; the head alone 2-20 ms.
    found = _BODY_START.search(text)
    return parse_soup(text[: found.start()] if found else text[:_HEAD_CAP])
