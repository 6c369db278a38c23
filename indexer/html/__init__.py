"""HTML pages: main text with trafilatura, head metadata with beautifulsoup4, date with htmldate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import lxml.etree

from indexer.html.date import htmldate_date, time_date
from indexer.html.decode import decode_page
from indexer.html.head import (
    Fields,
    from_citation,
    from_dublin_core,
    from_opengraph,
    from_plain_meta,
    html_lang,
    meta_values,
)
from indexer.html.jsonld import from_json_ld, json_ld_nodes
from indexer.html.main import main_text
from indexer.html.plain import plain_value
from indexer.html.title import choose_title, h1_texts, site_names_of
from indexer.html.tree import NOT_CONTENT, head_soup, parse_tree
from kenniskamer.models import Extracted

MIME = "text/html"
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
    text = decode_page(data)
    tree = parse_tree(text)
    head = head_soup(text)
    meta = meta_values(head)
    json_ld = from_json_ld(json_ld_nodes(tree))
    og = from_opengraph(meta)
    found = _merge([from_citation(meta), from_dublin_core(meta), json_ld, og, from_plain_meta(meta)])
    origins = dict.fromkeys(found, "metadata")
    if "language_hint" not in found and (lang := html_lang(head)):
        found["language_hint"], origins["language_hint"] = lang, "metadata"
    if "date" not in found and (heuristic_date := htmldate_date(tree, url)):
        found["date"], origins["date"] = heuristic_date, "heuristic"

    # From here on the tree is read for text only (htmldate needed the JSON in scripts).
    lxml.etree.strip_elements(tree, *NOT_CONTENT, with_tail=False)
    if "date" not in found and (element_date := time_date(tree)):
        found["date"], origins["date"] = element_date, "heuristic"
    h1s = h1_texts(tree)
    site_names = site_names_of(meta, [found.get("publisher"), json_ld.get("publisher")], url)
    titles = [plain_value(tag.get_text(), markup=False) for tag in head.find_all("title")]
    shorter = [*h1s, *titles[1:], *meta.get("twitter:title", []), *meta.get("title", [])]
    choose_title(found, origins, og.get("title"), titles, h1s, site_names, shorter)

    return Extracted(
        mime=MIME,
        pages=(main_text(tree, text, url),),
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
