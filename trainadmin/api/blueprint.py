"""The blueprint of the learner API and its JSON error answers; the views register on it."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")


@api_bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """The API answers in JSON, never with the back office's HTML error pages."""
    return jsonify(error=exc.description or exc.name), exc.code or 500


@api_bp.errorhandler(500)
def server_error(exc):
    return jsonify(error="internal error"), 500
