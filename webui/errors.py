"""One place that turns errors into pages (or JSON for the API)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kenniskamer.errors import KennisError

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _page(message: str, status: int) -> Any:
    if _wants_json():
        return jsonify({"error": message, "status": status}), status
    return render_template("error.html", message=message, status=status), status


@bp.app_errorhandler(KennisError)
def show_error(err: KennisError) -> Any:
    """A user-fixable problem: its message and its HTTP status."""
    return _page(str(err), err.http_status)


@bp.app_errorhandler(HTTPException)
def show_http_error(err: HTTPException) -> Any:
    """404, 405 and friends in the site's layout."""
    return _page(err.description or err.name, err.code or 500)


@bp.app_errorhandler(Exception)
def show_crash(err: Exception) -> Any:
    """Anything unexpected: logged with its traceback; the page only says something went wrong."""
    log.exception("unexpected error on %s", request.path)
    return _page("", 500)
