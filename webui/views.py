"""Routes: each turns request arguments into a core call and renders the result."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, send_file, url_for

from kenniskamer.errors import QueryError
from kenniskamer.models import DOC_TYPES, LANGUAGES
from kenniskamer.search import FILTER_FIELDS, SearchEngine, SearchPage, SearchQuery
from webui.i18n import translate

bp = Blueprint("site", __name__)


def _holder() -> Any:
    return current_app.extensions["kenniskamer"]


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    """Functions the templates use: t() for texts, labels for facet values, URL builders."""
    ui = getattr(g, "ui", "nl")
    engine: SearchEngine | None = None

    def theme_label(theme_id: str) -> str:
        nonlocal engine
        engine = engine or _holder().engine
        for theme in engine.themes:
            if theme.id == theme_id:
                return theme.label_en if ui == "en" else theme.label_nl
        return theme_id

    def label(facet: str, value: str) -> str:
        if facet == "theme":
            return theme_label(value)
        if facet == "type" and value in DOC_TYPES:
            return DOC_TYPES[value][1 if ui == "en" else 0]
        if facet == "language" and value in LANGUAGES:
            return LANGUAGES[value][1 if ui == "en" else 0]
        if facet == "decade":
            return f"{value}–{int(value) + 9}" if value.isdigit() else value
        return value

    return {"t": lambda key: translate(key, ui), "ui": ui, "label": label, "search_url": search_url, "lang_url": lang_url}


def lang_url(language: str) -> str:
    """The current page in another interface language."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [language]
    return url_for(request.endpoint or "site.search", **(request.view_args or {}), **args)


def search_url(**changes: Any) -> str:
    """The current search URL with some arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    args.pop("lang", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    if "page" not in changes:
        args.pop("page", None)
    return url_for("site.search", **args)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{name}={raw!r} is not a number.") from None
    if not low <= value <= high:
        raise QueryError(f"{name} must be between {low} and {high}.")
    return value


def query_from_request() -> SearchQuery:
    """A SearchQuery from the URL's arguments (the same for pages, JSON and feeds)."""
    settings = _holder().settings
    text = request.args.get("q", "").strip()
    if len(text) > settings.max_query_length:
        raise QueryError(f"The query is too long ({len(text)} characters); the limit is {settings.max_query_length}.")
    filters = {name: tuple(v for v in request.args.getlist(name) if v) for name in FILTER_FIELDS}
    unknown = set(request.args) - set(FILTER_FIELDS) - {"q", "sort", "page", "size", "lang", "expand"}
    if unknown:
        raise QueryError(f"Unknown parameter {sorted(unknown)[0]!r}; use q, sort, page, size or a filter: {', '.join(FILTER_FIELDS)}.")
    return SearchQuery(
        text=text,
        filters={k: v for k, v in filters.items() if v},
        sort=request.args.get("sort", "relevance"),
        page=_int_arg("page", 1, 1, settings.max_page),
        page_size=_int_arg("size", settings.page_size, 1, settings.max_page_size),
        expand=request.args.get("expand", "1") != "0",
    )


@bp.route("/")
def search() -> Any:
    """The search page (an empty query lists the newest additions)."""
    query = query_from_request()
    result: SearchPage = _holder().engine.search(query)
    return render_template("search.html", result=result, query=query)


@bp.route("/search.json")
def search_json() -> Any:
    """The search page's data as JSON."""
    from cli import search_json as to_json

    return jsonify(to_json(_holder().engine.search(query_from_request())))


@bp.route("/doc/<doc_id>")
def document(doc_id: str) -> Any:
    """A document: metadata, summary, themes with evidence, matching passages, related studies."""
    holder = _holder()
    doc = holder.library.get(doc_id)
    text = request.args.get("q", "").strip()[: holder.settings.max_query_length]
    passages: tuple[Any, ...] = ()
    if text:
        found = holder.engine.passages(doc_id, text, limit=10)
        passages = found
    related = holder.engine.related(doc_id, limit=5)
    return render_template("document.html", doc=doc, passages=passages, related=related, q=text)


@bp.route("/doc/<doc_id>/original")
def original(doc_id: str) -> Any:
    """The original file of a document, by id only (PDFs inline, so #page=N works)."""
    holder = _holder()
    doc = holder.library.get(doc_id)
    path = holder.library.original_of(doc)
    if not path.is_file():
        abort(404, description="The original file of this document is missing; a curator can run `kenniskamer check`.")
    is_pdf = doc.mime == "application/pdf"
    name = doc.filename if doc.filename.lower().endswith((".pdf", ".html", ".htm")) else f"{doc.doc_id}.{path.suffix[1:]}"
    response = send_file(path, mimetype=doc.mime, as_attachment=not is_pdf, download_name=name, max_age=3600)
    if not is_pdf:  # a stored web page must not run as our origin
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
