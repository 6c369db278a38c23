"""What is new: the /nieuw page (week by week, by theme, ready to copy) and Atom feeds.

The feeds are Atom 1.0 (RFC 4287) built with xml.etree, so every value is escaped by the
serializer. An entry's id is the document page's address, the same in every feed; its
``updated`` and ``published`` times are the time the document was added to the library,
so a curator's edit does not push an old document to the top of a reader again.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from werkzeug.exceptions import NotFound

from kenniskamer import digest
from kenniskamer.errors import KennisError, QueryError
from kenniskamer.library import utc_now
from kenniskamer.models import Document
from kenniskamer.search import SearchPage
from kenniskamer.themes import Theme, load_themes
from webui.i18n import translate

bp = Blueprint("feeds", __name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50  # entries in the recent and per-theme feeds
WEEKS = 8  # weeks on /nieuw unless ?weeks= asks for more
MAX_WEEKS = 52
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@lru_cache(maxsize=1)
def _themes() -> tuple[Theme, ...]:
    return load_themes()


def _holder() -> Any:
    return current_app.extensions["kenniskamer"]


def _ui() -> str:
    return getattr(g, "ui", "nl")


def public_base() -> str:
    """The site's public address (settings.base_url, else this request's), without a trailing slash."""
    configured = _holder().settings.base_url.strip()
    return (configured or request.url_root).rstrip("/")


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute public address of a route."""
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    return public_base() + path


def _theme_ids(values: Iterable[str]) -> list[str]:
    known = {theme.id for theme in _themes()}
    wanted = [value for value in values if value]
    unknown = [value for value in wanted if value not in known]
    if unknown:
        raise QueryError(f"Unknown theme {unknown[0]!r}. Valid themes are: {', '.join(sorted(known))}.")
    return wanted


def _check_args(allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed - {"lang"})
    if unknown:
        raise QueryError(f"Unknown parameter {unknown[0]!r}; this page takes: {', '.join(sorted(allowed))}.")


# -- /nieuw ------------------------------------------------------------------------------------------


@bp.route("/nieuw")
def nieuw() -> Any:
    """The additions week by week, grouped by theme, with copy and download per week."""
    _check_args({"theme", "weeks"})
    wanted = _theme_ids(request.args.getlist("theme"))
    raw = request.args.get("weeks", str(WEEKS))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WEEKS:
        raise QueryError(f"weeks must be a number from 1 to {MAX_WEEKS}.")
    count = int(raw)
    docs = _holder().library.documents()
    weeks = digest.weekly(docs, _themes(), weeks=count + 1, only=wanted, base_url=public_base())
    more = len(weeks) > count
    ui = _ui()
    feed = url_for("feeds.theme_feed", theme_id=wanted[0]) if len(wanted) == 1 else url_for("feeds.recent_feed")
    labels = dict((theme.id, theme.label(ui)) for theme in _themes())
    return render_template(
        "nieuw.html", static_file=_static_file, theme_label=labels.get,
        weeks=[(key, week_label(key, ui), found) for key, found in weeks[:count]],
        themes=[(theme.id, theme.label(ui)) for theme in _themes()],
        selected=wanted, more=more, weeks_shown=count, feed_url=feed,
        long_date=lambda value: digest.long_date(value, ui), details=lambda item: digest.details(item, ui),
        published=lambda doc: published_on(doc, ui),
    )


def published_on(doc: Document, language: str) -> str:
    """The publication date as a reader wants it: ``17 mei 2022``, ``2016`` or ``z.j.``."""
    if doc.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc.date):
        return digest.long_date(doc.date, language)
    return str(doc.year) if doc.year else digest.text("nd", language)


def _static_file(name: str) -> str:
    """A static file's URL, with the site's content version when the app offers one."""
    versioned = getattr(_holder(), "static_url", None)
    return str(versioned(name)) if callable(versioned) else url_for("static", filename=name)


def week_label(key: str, language: str) -> str:
    """``Week 45: 3–9 november 2025`` (or ``27 oktober – 2 november 2025``)."""
    window = digest.week_window(key)
    monday = digest.parse_time(window.since or "")
    sunday = monday + timedelta(days=6)
    end = digest.long_date(sunday.isoformat(), language)
    if monday.month == sunday.month:
        span = f"{monday.day}–{end}"
    else:
        start = digest.long_date(monday.isoformat(), language)
        span = f"{start.rsplit(' ', 1)[0] if monday.year == sunday.year else start} – {end}"
    return f"Week {int(key[-2:])}: {span}"


@bp.route("/nieuw/<week>.<fmt>")
def week_export(week: str, fmt: str) -> Any:
    """One week's digest as Markdown or e-mail HTML (``?fragment=1``: the part to paste)."""
    _check_args({"theme", "fragment"})
    if fmt not in ("md", "html"):
        raise QueryError(f"Unknown format {fmt!r}; use .md or .html.")
    wanted = _theme_ids(request.args.getlist("theme"))
    try:
        window = digest.week_window(week)
    except KennisError as err:
        raise NotFound(str(err)) from None
    library = _holder().library
    docs = digest.select(library, window, themes=wanted)
    found = digest.build(docs, _themes(), window=window, only=wanted, base_url=public_base())
    ui = _ui()
    name = f"kenniskamer-{week}" + (f"-{'-'.join(wanted)}" if wanted else "")
    if fmt == "md":
        body, mimetype = digest.render_markdown(found, language=ui), "text/markdown; charset=utf-8"
    else:
        fragment = request.args.get("fragment") == "1"
        body, mimetype = digest.render_html(found, language=ui, fragment=fragment), "text/html; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    # The e-mail HTML styles itself inline and runs nothing; allow exactly that if it is opened here.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return response


# -- Atom --------------------------------------------------------------------------------------------


def _newest(docs: Iterable[Document], limit: int = FEED_SIZE) -> list[Document]:
    return sorted(docs, key=lambda d: (digest.parse_time(d.added), d.doc_id), reverse=True)[:limit]


@bp.route("/feed.atom")
def recent_feed() -> Any:
    """The newest additions to the library, newest first."""
    _check_args(set())
    ui = _ui()
    docs = _newest(_holder().library.documents())
    return atom_response(
        docs, title=f"{translate('site', ui)}: {translate('feed_recent_title', ui)}",
        subtitle=translate("feed_recent_subtitle", ui), self_url=public_url("feeds.recent_feed"),
        alternate=public_url("feeds.nieuw"),
    )


@bp.route("/themes/<theme_id>.atom")
def theme_feed(theme_id: str) -> Any:
    """The newest additions with one theme, newest first."""
    _check_args(set())
    theme = next((t for t in _themes() if t.id == theme_id), None)
    if theme is None:
        raise NotFound(f"No theme {theme_id!r}. The themes are listed on the page /nieuw.")
    ui = _ui()
    docs = _newest(d for d in _holder().library.documents() if theme_id in d.theme_ids)
    return atom_response(
        docs, title=f"{translate('site', ui)}: {theme.label(ui)}", subtitle=theme.description(ui),
        self_url=public_url("feeds.theme_feed", theme_id=theme_id),
        alternate=public_url("feeds.nieuw", theme=theme_id),
    )


def search_feed(result: SearchPage, url: str) -> Response:
    """A search result page as an Atom feed response; ``url`` is the feed's own absolute address.

    Entries keep the result's order (ask the search for sort="added" to get newest first).
    """
    ui = _ui()
    query = result.query
    described = query.text or ", ".join(v for values in query.filters.values() for v in values)
    title = f"{translate('site', ui)}: {translate('feed_search', ui)} {described}".rstrip()
    alternate = public_base() + "/" + ("?" + url.split("?", 1)[1] if "?" in url else "")
    return atom_response([hit.doc for hit in result.hits], title=title, subtitle=translate("feed_search_subtitle", ui),
                         self_url=url, alternate=alternate)


def atom_response(docs: Sequence[Document], *, title: str, subtitle: str, self_url: str, alternate: str) -> Response:
    """An Atom response with one entry per document."""
    body = build_atom(docs, title=title, subtitle=subtitle, self_url=self_url, alternate=alternate,
                      base_url=public_base(), language=_ui())
    return Response(body, mimetype=ATOM_TYPE)


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _text(text)
    return element


def build_atom(
    docs: Sequence[Document], *, title: str, subtitle: str, self_url: str, alternate: str, base_url: str,
    language: str = "nl",
) -> bytes:
    """An Atom 1.0 document (UTF-8 bytes): one entry per document, in the order given."""
    labels = {theme.id: theme.label(language) for theme in _themes()}
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": language})
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    if subtitle:
        _add(feed, "subtitle", subtitle)
    newest = max((digest.parse_time(doc.added) for doc in docs), default=None)
    _add(feed, "updated", digest.format_time(newest) if newest else utc_now())
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=alternate)
    _add(_add(feed, "author"), "name", translate("site", language))
    _add(feed, "generator", "kenniskamer")
    for doc in docs:
        url = digest.document_url(base_url, doc.doc_id)
        added = digest.format_time(digest.parse_time(doc.added))
        entry = _add(feed, "entry")
        _add(entry, "id", url)
        _add(entry, "title", doc.title, type="text")
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        _add(entry, "published", added)
        _add(entry, "updated", added)
        for name in doc.authors:
            _add(_add(entry, "author"), "name", name)
        for theme_id in doc.theme_ids:
            _add(entry, "category", term=theme_id, label=labels.get(theme_id, theme_id))
        summary = digest.digest_summary(doc)
        if summary:
            _add(entry, "summary", summary, type="text")
        _add(entry, "content", _entry_html(doc, summary, labels, language), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry_html(doc: Document, summary: str, labels: dict[str, str], language: str) -> str:
    """The entry's content: details, summary, themes, added and publication date (escaped HTML)."""
    item = digest.DigestItem(doc=doc, summary=summary, theme="", other_themes=doc.theme_ids, url="")
    parts = [f"<p>{html.escape(' · '.join(digest.details(item, language)))}</p>"]
    if summary:
        parts.append(f"<p>{html.escape(summary)}</p>")
    if doc.theme_ids:
        themes = ", ".join(labels.get(t, t) for t in doc.theme_ids)
        parts.append(f"<p>{html.escape(translate('themes', language))}: {html.escape(themes)}</p>")
    added = digest.long_date(doc.added, language)
    published = published_on(doc, language)
    parts.append(
        f"<p>{html.escape(translate('added', language))}: {html.escape(added)} · "
        f"{html.escape(translate('feed_published', language))}: {html.escape(published)}</p>"
    )
    return "".join(parts)
