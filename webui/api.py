"""The JSON API blueprint: search and documents as JSON, described by /api/openapi.json.

The dicts come from kenniskamer.documents (the one JSON shape of a document, shared with
`kenniskamer ... --json`); this module adds only the links between the site's URLs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, url_for

from kenniskamer.cite import STYLES, format_citation
from kenniskamer.documents import document_dict, search_page_dict
from webui.site import cached, current_holder, query_from_request, query_text, search_url

bp = Blueprint("api", __name__)


@bp.route("/api/search")
@bp.route("/search.json")
@cached
def search() -> Any:
    """The search page's data as JSON: hits with passages, facets, paging, suggestions."""
    query = query_from_request()
    result = current_holder().engine.search(query)
    data = search_page_dict(result)
    for hit in data["hits"]:
        hit["links"] = _document_links(hit["id"])
    data["links"] = {"html": search_url(), "atom": search_url("site.search_feed")}
    if query.page < min(result.page_count, current_holder().settings.max_page):
        data["links"]["next"] = search_url("api.search", page=query.page + 1)
    if query.page > 1:
        data["links"]["prev"] = search_url("api.search", page=query.page - 1)
    return jsonify(data)


@bp.route("/api/documents/<doc_id>")
@cached
def document(doc_id: str) -> Any:
    """A document as JSON: metadata, themes with evidence, passages for q, related studies, citations."""
    holder = current_holder()
    doc = holder.library.get(doc_id)
    text = query_text(("q", "lang"))
    passages = holder.engine.passages(doc_id, text, limit=10) if text else ()
    data = document_dict(doc, themes="matches", passages=passages, related=holder.engine.related(doc_id, limit=5))
    data["citations"] = {style: format_citation(doc, style) for style in STYLES}
    data["links"] = _document_links(doc_id)
    return jsonify(data)


def _document_links(doc_id: str) -> dict[str, str]:
    return {
        "html": url_for("site.document", doc_id=doc_id),
        "api": url_for("api.document", doc_id=doc_id),
        "original": url_for("site.original", doc_id=doc_id),
    }


@bp.route("/api/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 description of the JSON API."""
    from webui.openapi import spec

    holder = current_holder()
    return jsonify(spec(holder.settings, themes=[theme.id for theme in holder.engine.themes]))
