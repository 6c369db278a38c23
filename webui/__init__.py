"""The search site: a Flask app over one library. It reads; it never writes the library."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, g, request

from kenniskamer.config import Settings, load_settings
from kenniskamer.library import Library
from kenniskamer.search import SearchEngine

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None) -> Flask:
    """The Flask app serving the library named by ``settings``."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["KENNISKAMER"] = settings
    app.config["SECRET_KEY"] = secrets.token_hex(16)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.extensions["kenniskamer"] = _Holder(settings)

    from webui import errors, views

    app.register_blueprint(views.bp)
    app.register_blueprint(errors.bp)

    @app.after_request
    def secure(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
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

    def __init__(self, settings: Settings):
        self.settings = settings
        self._library: Library | None = None
        self._engine: SearchEngine | None = None

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library.open(self.settings.library)
        return self._library

    @property
    def engine(self) -> SearchEngine:
        if self._engine is None:
            self._engine = SearchEngine(self.library)
        return self._engine
