"""The JSON forms of documents and search results: the one place that turns them into dicts.

Used by the CLI's ``--json`` (add, list, show, search) and the web API alike, so a field
has one key and one format wherever it appears. Plain dicts of plain values. Highlighted
text comes as fragments (text, match) and as ``marked``, an HTML string whose text is
escaped, so a client can show either safely.

Two forms of a document: the full one (``document_dict``: `show`, `add`, /api/documents)
and the short one of a list or hit (``listing_dict``, ``hit_dict``), whose ``source`` is the
file name or, for a web page, the URL.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Literal

from kenniskamer.models import Document
from kenniskamer.search import Hit, Passage, SearchPage


def passage_dict(passage: Passage, doc: Document) -> dict[str, Any]:
    """One highlighted passage: page, whether its text is from OCR, plain text, escaped HTML with <mark>, fragments."""
    return {
        "page": passage.page,
        "ocr": doc.from_ocr(passage.page),
        "text": passage.text,
        "marked": "".join(
            f"<mark>{html.escape(text)}</mark>" if hit else html.escape(text) for text, hit in passage.fragments
        ),
        "fragments": [{"text": text, "match": hit} for text, hit in passage.fragments],
    }


def _short_source(doc: Document) -> tuple[str, str | None]:
    """The source as a list shows it (file name, or URL of a web page) and the URL or None."""
    return (doc.url, doc.url) if doc.url else (doc.filename, None)


def listing_dict(doc: Document) -> dict[str, Any]:
    """A document as a list shows it (`kenniskamer list --json`): main metadata, no text."""
    source, _ = _short_source(doc)
    return {
        "id": doc.doc_id,
        "title": doc.title,
        "source": source,
        "language": doc.language,
        "year": doc.year,
        "added": doc.added,
        "type": doc.doc_type,
        "themes": list(doc.theme_ids),
        "study": doc.study.values(),
        "page_count": doc.page_count,
    }


def hit_dict(hit: Hit) -> dict[str, Any]:
    """One hit: the document's main metadata, its score and its passages."""
    doc = hit.doc
    source, url = _short_source(doc)
    return {
        "id": doc.doc_id,
        "title": doc.title,
        "source": source,
        "url": url,
        "page": hit.page,
        "score": round(hit.score, 4),
        "snippet": hit.passages[0].text if hit.passages else (doc.summary or "")[:300],
        "authors": list(doc.authors),
        "year": doc.year,
        "date": doc.date,
        "language": doc.language,
        "type": doc.doc_type,
        "themes": list(doc.theme_ids),
        "study": doc.study.values(),
        "publisher": doc.publisher,
        "added": doc.added,
        "passages": [passage_dict(p, doc) for p in hit.passages],
        "found_by_meaning": hit.by_meaning,
    }


def evidence_dict(doc: Document) -> dict[str, list[dict[str, Any]]]:
    """Per study field, where its values were read: [{value, text, page}] (page 0: the title or summary)."""
    return {name: [{"value": e.value, "text": e.text, "page": e.page} for e in found]
            for name, found in doc.study.evidence.items()}


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
        "read_as": result.read_as,
        "elapsed_ms": round(result.elapsed_ms, 1),
    }


def document_dict(
    doc: Document,
    *,
    themes: Literal["ids", "matches"] = "ids",
    pages: bool = False,
    passages: tuple[Passage, ...] | None = None,
    related: list[Hit] | None = None,
    original: Path | None = None,
) -> dict[str, Any]:
    """A document with all its metadata, where each value came from, its themes and its study profile.

    ``themes="ids"`` (the CLI's form) gives ``themes`` as a list of ids beside
    ``theme_evidence`` {id: {term: count}}; ``"matches"`` (the API's form) gives ``themes``
    as a list of {id, score, evidence}. ``pages`` adds the text of every page, ``passages``
    (even empty) the passages for a query, ``related`` related studies, ``original`` the
    path of the stored file. ``study`` is the profile ({kind, methods, countries, groups}),
    ``study_evidence`` the sentences its values were read from.
    """
    data: dict[str, Any] = {
        "id": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "filename": doc.filename,
        "sha256": doc.sha256,
        "mime": doc.mime,
        "size": doc.size,
        "added": doc.added,
        "page_count": doc.page_count,
        "authors": list(doc.authors),
        "date": doc.date,
        "year": doc.year,
        "publisher": doc.publisher,
        "language": doc.language,
        "type": doc.doc_type,
        "summary": doc.summary,
    }
    if themes == "matches":
        data["themes"] = [
            {"id": match.theme_id, "score": round(match.score, 4), "evidence": dict(match.evidence)}
            for match in doc.themes
        ]
    else:
        data["themes"] = list(doc.theme_ids)
        data["theme_evidence"] = {match.theme_id: match.evidence for match in doc.themes}
    data["study"] = doc.study.values()
    data["study_evidence"] = evidence_dict(doc)
    data["provenance"] = dict(doc.provenance)
    data["flags"] = list(doc.flags)
    data["ocr"] = doc.ocr.stored() if doc.ocr else None
    if pages:
        data["pages"] = list(doc.pages)
    if passages is not None:
        data["passages"] = [passage_dict(p, doc) for p in passages]
    if related is not None:
        data["related"] = [
            {"id": hit.doc.doc_id, "title": hit.doc.title, "year": hit.doc.year, "score": round(hit.score, 4)}
            for hit in related
        ]
    if original is not None:
        data["original"] = str(original)
    return data
