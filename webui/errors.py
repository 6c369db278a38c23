"""One place that turns errors into pages (or JSON for the API)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kenniskamer.errors import KennisError
from webui.i18n import translate

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _page(message: str, status: int, headers: dict[str, str] | None = None) -> Any:
    if _wants_json():
        return jsonify({"error": message, "status": status}), status, headers or {}
    bad_query = request.args.get("q", "")[:500] if status == 400 else ""
    return render_template("error.html", message=message, status=status, bad_query=bad_query), status, headers or {}


@bp.app_errorhandler(KennisError)
def show_error(err: KennisError) -> Any:
    """A user-fixable problem: its message and its HTTP status."""
    return _page(str(err), err.http_status)


@bp.app_errorhandler(HTTPException)
def show_http_error(err: HTTPException) -> Any:
    """404, 405 and friends in the site's layout (werkzeug's stock texts in the interface language)."""
    status = err.code or 500
    message = err.description or err.name
    if message == type(err).description:
        message = translate(f"http_{status}", getattr(g, "ui", "nl")) if status in (404, 405) else err.name
    # werkzeug's own headers, such as the Allow that a 405 must carry (RFC 9110, 15.5.6)
    headers = {name: value for name, value in err.get_headers() if name.lower() != "content-type"}
    return _page(message, status, headers)


@bp.app_errorhandler(Exception)
def show_crash(err: Exception) -> Any:
    """Anything unexpected: logged with its traceback; the page only says something went wrong."""
    log.exception("unexpected error on %s", request.path)
    return _page(translate("error_500", "en") if _wants_json() else "", 500)
