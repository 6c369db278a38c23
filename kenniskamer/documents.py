"""JSON forms of search results and documents, shared by `kenniskamer search --json` and the web API.

Plain dicts of plain values. Highlighted text comes as fragments (text, match) and as
``marked``, an HTML string whose text is escaped, so a client can show either safely.
"""

from __future__ import annotations

import html
from typing import Any

from kenniskamer.models import Document
from kenniskamer.search import Hit, Passage, SearchPage


def passage_dict(passage: Passage) -> dict[str, Any]:
    """One highlighted passage: page, plain text, escaped HTML with <mark>, fragments."""
    return {
        "page": passage.page,
        "text": passage.text,
        "marked": "".join(
            f"<mark>{html.escape(text)}</mark>" if hit else html.escape(text) for text, hit in passage.fragments
        ),
        "fragments": [{"text": text, "match": hit} for text, hit in passage.fragments],
    }


def hit_dict(hit: Hit) -> dict[str, Any]:
    """One hit: the document's main metadata, its score and its passages."""
    doc = hit.doc
    from_web = doc.source.startswith(("http://", "https://"))
    return {
        "id": doc.doc_id,
        "title": doc.title,
        "source": doc.source if from_web else doc.filename,
        "url": doc.source if from_web else None,
        "page": hit.page,
        "score": round(hit.score, 4),
        "snippet": hit.passages[0].text if hit.passages else (doc.summary or "")[:300],
        "authors": list(doc.authors),
        "year": doc.year,
        "date": doc.date,
        "language": doc.language,
        "type": doc.doc_type,
        "themes": list(doc.theme_ids),
        "publisher": doc.publisher,
        "added": doc.added,
        "passages": [passage_dict(p) for p in hit.passages],
    }


def search_page_dict(result: SearchPage) -> dict[str, Any]:
    """A SearchPage: query, paging, hits, facets with counts, suggestion and expansions."""
    query = result.query
    return {
        "query": query.text,
        "filters": {name: list(values) for name, values in query.filters.items()},
        "sort": query.sort,
        "total": result.total,
        "page": query.page,
        "page_size": query.page_size,
        "page_count": result.page_count,
        "hits": [hit_dict(hit) for hit in result.hits],
        "facets": {
            name: [{"value": c.value, "count": c.count, "selected": c.selected} for c in counts]
            for name, counts in result.facets.items()
        },
        "suggestion": result.suggestion,
        "corrected_from": result.corrected_from,
        "expansions": list(result.expansions),
        "notices": list(result.notices),
        "elapsed_ms": round(result.elapsed_ms, 1),
    }


def document_dict(
    doc: Document, *, passages: tuple[Passage, ...] = (), related: list[Hit] | None = None
) -> dict[str, Any]:
    """A document with its theme evidence, and optionally passages for a query and related studies."""
    data = doc.to_dict()
    data["themes"] = [
        {"id": match.theme_id, "score": round(match.score, 4), "evidence": dict(match.evidence)} for match in doc.themes
    ]
    data.pop("theme_evidence", None)
    data["passages"] = [passage_dict(p) for p in passages]
    if related is not None:
        data["related"] = [
            {"id": hit.doc.doc_id, "title": hit.doc.title, "year": hit.doc.year, "score": round(hit.score, 4)}
            for hit in related
        ]
    return data
