"""The app factory: create_app builds the Flask app over one library and registers the blueprints."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from flask import Flask, g, request, url_for

from kenniskamer.config import Settings, load_settings
from kenniskamer.library import Library
from kenniskamer.search import FRESHNESS_SECONDS, SearchEngine
from kenniskamer.themes import Theme
from webui.cache import PageCache

# Rendered pages kept in memory (see webui/cache.py); KENNISKAMER_PAGE_CACHE=0 turns it off.
PAGE_CACHE_SIZE = 512

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None, *, page_cache: int | None = None) -> Flask:
    """The Flask app serving the library named by ``settings``."""
    settings = settings or load_settings()
    if page_cache is None:
        page_cache = int(os.environ.get("KENNISKAMER_PAGE_CACHE", PAGE_CACHE_SIZE))
    app = Flask(__name__)
    app.config["KENNISKAMER"] = settings
    app.config["SECRET_KEY"] = secrets.token_hex(16)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 24 * 3600  # static files carry a version in their URL
    app.extensions["kenniskamer"] = _Holder(app, settings, page_cache)

    from webui import api, errors, feeds, site

    app.register_blueprint(site.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(errors.bp)
    app.register_blueprint(feeds.bp)

    @app.after_request
    def secure(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.path.startswith("/api/") or request.path.endswith((".json", ".atom")):
            response.headers["Access-Control-Allow-Origin"] = "*"  # public, read-only, no credentials
        if not request.path.startswith("/static/"):
            response.vary.add("Cookie")  # the interface language may come from a cookie
        return response

    @app.before_request
    def interface_language() -> None:
        wanted = request.args.get("lang")
        if wanted in settings.languages:
            g.ui = wanted
        else:
            cookie = request.cookies.get("ui")
            g.ui = cookie if cookie in settings.languages else settings.languages[0]

    @app.after_request
    def remember_language(response: Any) -> Any:
        if request.args.get("lang") in settings.languages:
            response.set_cookie("ui", request.args["lang"], max_age=365 * 24 * 3600, samesite="Lax")
        return response

    return app


class _Holder:
    """Opens the library and the search engine on first use, and keeps them."""

    def __init__(self, app: Flask, settings: Settings, page_cache: int):
        self.app = app
        self.settings = settings
        self.cache = PageCache(Path(settings.library).expanduser(), size=page_cache, settle=FRESHNESS_SECONDS + 1.0)
        self._library: Library | None = None
        self._engine: SearchEngine | None = None
        self._themes_by_id: dict[str, Theme] | None = None
        self._rules: set[str] | None = None
        self._static_versions: dict[str, str] = {}
        self._opening = threading.Lock()

    @property
    def themes_by_id(self) -> dict[str, Theme]:
        if self._themes_by_id is None:
            self._themes_by_id = {theme.id: theme for theme in self.engine.themes}
        return self._themes_by_id

    def has_route(self, path: str) -> bool:
        """True if the app answers ``path`` (a page another part of the site may add)."""
        if self._rules is None:
            self._rules = {rule.rule for rule in self.app.url_map.iter_rules()}
        return path in self._rules

    def static_url(self, filename: str) -> str:
        """The URL of a static file with a version that changes with its content."""
        version = self._static_versions.get(filename)
        if version is None:
            data = (Path(self.app.static_folder or "") / filename).read_bytes()
            version = self._static_versions[filename] = hashlib.sha256(data).hexdigest()[:10]
        return url_for("static", filename=filename, v=version)

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library.open(self.settings.library, meaning=self.settings.meaning)
        return self._library

    @property
    def engine(self) -> SearchEngine:
        if self._engine is None:
            with self._opening:
                if self._engine is None:
                    self._engine = SearchEngine(self.library)
        return self._engine


def serve(settings: Settings, host: str, port: int, threads: int, *, say: Any = print) -> None:
    """Serve the site with waitress until stopped; ``say`` gets the one line that says where."""
    import waitress

    Library.open(settings.library)  # a clear error before the server starts
    app = create_app(settings)
    say(f"Serving {settings.library} on http://{host}:{port}/ (Ctrl+C stops)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="kenniskamer")
