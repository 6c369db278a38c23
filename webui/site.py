"""The pages blueprint: each view turns request arguments into a core call and renders a template.

The reading of request arguments (query_from_request) and the page cache (cached) are
shared with the JSON API in webui/api.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    render_template,
    request,
    send_file,
    url_for,
)

from kenniskamer.cite import STYLES, format_citation
from kenniskamer.errors import QueryError
from kenniskamer.models import DOC_TYPES, LANGUAGES, Document
from kenniskamer.records import page_list
from kenniskamer.search import FILTER_FIELDS, SearchEngine, SearchPage, SearchQuery
from kenniskamer.search.query import STUDY_FACETS
from kenniskamer.study import default_vocabulary
from webui.chart import year_chart
from webui.i18n import translate

bp = Blueprint("site", __name__)

SEARCH_ARGS = ("q", "sort", "page", "size", "lang", "expand")
FACET_ORDER = ("theme", "kind", "method", "country", "group", "type", "language", "decade", "year", "publisher")
CITATION_FILES = {  # style -> (content type, file extension)
    "apa": ("text/plain; charset=utf-8", "txt"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
}


def current_holder() -> Any:
    """The app's holder of the library and search engine (webui.app._Holder)."""
    return current_app.extensions["kenniskamer"]


# -- template helpers ---------------------------------------------------------------------------


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    """Functions the templates use: t() for texts, labels for facet values, URL builders."""
    ui = getattr(g, "ui", "nl")
    holder = current_holder()

    def label(facet: str, value: Any) -> str:
        value = str(value)
        if facet == "theme":
            theme = holder.themes_by_id.get(value)
            return theme.label(ui) if theme else value
        if facet == "type" and value in DOC_TYPES:
            return DOC_TYPES[value][1 if ui == "en" else 0]
        if facet == "language" and value in LANGUAGES:
            return LANGUAGES[value][1 if ui == "en" else 0]
        if facet == "decade":
            return f"{value}–{int(value) + 9}" if value.isdigit() else value
        if facet in STUDY_FACETS:
            return default_vocabulary().label(facet, value, ui)
        return value

    return {
        "t": lambda key: translate(key, ui),
        "ui": ui,
        "label": label,
        "search_url": search_url,
        "toggle_url": toggle_url,
        "clear_filters_url": lambda: search_url(**{name: None for name in FILTER_FIELDS}),
        "lang_url": lang_url,
        "doc_lang": doc_lang,
        "file_size": file_size,
        "page_list": lambda numbers: page_list(numbers, ui),
        "has_route": holder.has_route,
        "static_url": holder.static_url,
    }


def lang_url(language: str) -> str:
    """The current page in another interface language."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [language]
    return url_for(request.endpoint or "site.search", **(request.view_args or {}), **args)


def search_url(endpoint: str = "site.search", **changes: Any) -> str:
    """The current search URL with some arguments changed (None removes one); page 1 unless given.

    Built with urlencode on the endpoint's path: a results page links to itself a hundred
    times (facets, chips, chart, pager), and url_for each time cost a third of rendering.
    """
    args = request.args.to_dict(flat=False)
    args.pop("lang", None)
    for key, value in changes.items():
        if value is None or value == []:
            args.pop(key, None)
        else:
            args[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if "page" not in changes:
        args.pop("page", None)
    paths = g.setdefault("endpoint_paths", {})
    path = paths.get(endpoint) or paths.setdefault(endpoint, url_for(endpoint))
    query = urlencode([(key, value) for key, values in args.items() for value in values])
    return f"{path}?{query}" if query else path


def toggle_url(name: str, value: Any) -> str:
    """The current search with one filter value added, or removed if it is there."""
    current = request.args.getlist(name)
    value = str(value)
    return search_url(**{name: [v for v in current if v != value] if value in current else current + [value]})


def doc_lang(doc: Document) -> str:
    """The BCP 47 code of a document's language, or '' when unknown (for lang attributes)."""
    return doc.language if doc.language in LANGUAGES else ""


def file_size(size: int) -> str:
    """A byte count for people: 834 kB, 2.1 MB."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"


def page_window(current: int, count: int, *, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and a few around the current one (None: a gap)."""
    shown = sorted({1, count, *range(max(1, current - around), min(count, current + around) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


# -- reading the request --------------------------------------------------------------------------


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


def query_text(allowed: tuple[str, ...]) -> str:
    """The stripped q argument; a QueryError for an argument not in ``allowed`` or a query too long."""
    settings = current_holder().settings
    unknown = set(request.args) - set(allowed)
    if unknown:
        raise QueryError(
            f"Unknown parameter {sorted(unknown)[0]!r}; use q, sort, page, size or a filter: {', '.join(FILTER_FIELDS)}."
        )
    text = request.args.get("q", "")
    if len(text) > settings.max_query_length:  # before stripping: the API description promises this limit
        raise QueryError(f"The query is too long ({len(text)} characters); the limit is {settings.max_query_length}.")
    return text.strip()


def _filter_args() -> dict[str, tuple[str, ...]]:
    """The filter values of the URL, empty ones dropped (the search engine checks the values)."""
    filters = {name: tuple(v for v in request.args.getlist(name) if v) for name in FILTER_FIELDS}
    return {k: v for k, v in filters.items() if v}


def query_from_request(*, default_sort: str = "relevance") -> SearchQuery:
    """A SearchQuery from the URL's arguments (the same for pages, JSON and feeds)."""
    settings = current_holder().settings
    text = query_text(SEARCH_ARGS + FILTER_FIELDS)
    return SearchQuery(
        text=text,
        filters=_filter_args(),
        sort=request.args.get("sort") or default_sort,
        page=_int_arg("page", 1, 1, settings.max_page),
        page_size=_int_arg("size", settings.page_size, 1, settings.max_page_size),
        expand=request.args.get("expand", "1") != "0",
        passages=settings.passages_per_hit,
    )


def cached(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve a GET from the page cache; store the view's 200 answers there."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache = current_holder().cache
        key = (request.endpoint, request.full_path, g.ui)
        stored = cache.get_or_wait(key)
        if stored is not None:
            body, content_type, headers = stored
            return Response(body, content_type=content_type, headers={**headers, "X-Page-Cache": "hit"})
        try:
            generation = cache.generation()
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200 and not response.direct_passthrough:
                kept = {k: v for k, v in response.headers.items() if k in ("Content-Disposition", "Link")}
                cache.put(key, (response.get_data(), response.content_type, kept), generation)
        finally:
            cache.done(key)
        response.headers["X-Page-Cache"] = "miss"
        return response

    return wrapper


# -- pages ---------------------------------------------------------------------------------------


@bp.route("/")
@cached
def search() -> Any:
    """The search page; without a query or filters, the newest additions and the themes."""
    query = query_from_request()
    engine: SearchEngine = current_holder().engine
    if not query.text and not query.filters and not (set(request.args) & {"sort", "page", "size"}):
        return render_template("home.html", **_home(engine))
    result = engine.search(query)
    return render_template(
        "search.html", result=result, query=query, facets=_facets(result), chart=_chart(engine, query, result),
        pages=page_window(query.page, min(result.page_count, current_holder().settings.max_page)),
    )


def _home(engine: SearchEngine) -> dict[str, Any]:
    everything = engine.search(SearchQuery(sort="added", page_size=8, passages=0))
    counts = {c.value: c.count for c in everything.facets.get("theme", [])}
    years = {int(c.value): c.count for c in everything.facets.get("year", [])}
    return {
        "newest": everything.hits, "total": everything.total, "themes": engine.themes, "theme_counts": counts,
        "chart": year_chart(years), "query": None,
    }


def _facets(result: SearchPage) -> list[tuple[str, list[Any]]]:
    return [(name, result.facets[name]) for name in FACET_ORDER if result.facets.get(name)]


def _chart(engine: SearchEngine, query: SearchQuery, result: SearchPage) -> Any:
    """The year chart: counts without the year filter, so another year can be picked."""
    counts = result.facets.get("year", [])
    if query.filters.get("year"):
        others = {k: v for k, v in query.filters.items() if k != "year"}
        counts = engine.search(replace(query, filters=others, page=1, page_size=1, passages=0)).facets.get("year", [])
    years = {int(c.value): c.count for c in counts if c.value.isdigit()}
    return year_chart(years, {int(y) for y in query.filters.get("year", ()) if y.isdigit()})


@bp.route("/doc/<doc_id>")
@cached
def document(doc_id: str) -> Any:
    """A document: metadata, summary, themes with evidence, matching passages, pages, related, citations."""
    holder = current_holder()
    doc = holder.library.get(doc_id)
    text = query_text(("q", "lang"))
    passages = holder.engine.passages(doc_id, text, limit=10) if text else ()
    return render_template(
        "document.html", doc=doc, passages=passages, related=holder.engine.related(doc_id, limit=5), q=text,
        citations={style: format_citation(doc, style) for style in STYLES},
        theme_descriptions={t.id: t.description(g.ui) for t in holder.engine.themes},
    )


@bp.route("/doc/<doc_id>/cite/<any(apa, bibtex, ris):style>")
def citation(doc_id: str, style: str) -> Any:
    """A citation of the document as a file to download (APA as text, BibTeX, RIS)."""
    doc = current_holder().library.get(doc_id)
    content_type, extension = CITATION_FILES[style]
    name = f"{doc.doc_id}-apa.txt" if style == "apa" else f"{doc.doc_id}.{extension}"
    response = make_response(format_citation(doc, style))
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/doc/<doc_id>/original")
def original(doc_id: str) -> Any:
    """The original file of a document, by id only (PDFs inline, so #page=N works)."""
    holder = current_holder()
    doc = holder.library.get(doc_id)
    path = holder.library.original_of(doc)
    if not path.is_file():
        abort(404, description="The original file of this document is missing; a curator can run `kenniskamer check`.")
    is_pdf = doc.is_pdf
    name = doc.filename if doc.filename.lower().endswith((".pdf", ".html", ".htm")) else f"{doc.doc_id}.{path.suffix[1:]}"
    response = send_file(path, mimetype=doc.mime, as_attachment=not is_pdf, download_name=name, max_age=3600)
    if not is_pdf:  # a stored web page must not run as our origin
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.route("/themes")
@cached
def themes() -> Any:
    """Every theme with its description, Dutch and English terms and number of documents."""
    engine: SearchEngine = current_holder().engine
    query_text(("lang",))
    counts = {c.value: c.count for c in engine.search(SearchQuery(page_size=1, passages=0)).facets.get("theme", [])}
    return render_template("themes.html", themes=engine.themes, counts=counts)


@bp.route("/help")
@cached
def help_page() -> Any:
    """How to search (syntax, fields, examples), the API and feeds, and what this site is."""
    query_text(("lang",))
    return render_template("help.html", filter_fields=FILTER_FIELDS)


# -- feeds ------------------------------------------------------------------------------------------


@bp.route("/search.atom")
@cached
def search_feed() -> Any:
    """Any search as an Atom feed, newest additions first (for alerts); built by webui.feeds."""
    from webui.feeds import search_feed as feed

    query = query_from_request(default_sort="added")
    result = current_holder().engine.search(replace(query, page_size=max(query.page_size, 20), passages=0))
    base = (current_holder().settings.base_url.strip() or request.url_root).rstrip("/")
    return feed(result, base + request.full_path.rstrip("?"))
