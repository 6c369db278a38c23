"""Metadata from schema.org JSON-LD scripts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import lxml.html

from indexer.html.date import dated
from indexer.html.head import Fields
from indexer.html.plain import is_url, plain_value, unique

_JSON_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
_MAX_JSON_CHARS = 2_000_000

# Types of the node that describes the page itself; others (VideoObject, BreadcrumbList,
# Organization, ImageObject...) describe something on or around it.
_WORK_TYPES = ("Article", "BlogPosting", "Report", "Thesis", "Book", "Chapter", "CreativeWork", "Posting")


def json_ld_nodes(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
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


def from_json_ld(nodes: list[dict[str, Any]]) -> Fields:
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
        "authors": unique(_names(main.get("author"), by_id) or _names(main.get("creator"), by_id)),
        # Not dateCreated: the Telegraph's is a day after publication (a render time).
        "date": dated(_text_of(main.get("datePublished"))),
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
    return (plain_value(value) or None) if isinstance(value, str) else None


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
        if name and not is_url(name):
            names.append(name)
    return names


def _keywords(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else re.split(r"[,;]", value) if isinstance(value, str) else []
    return unique(text for item in items if (text := _text_of(item)))
