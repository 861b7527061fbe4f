"""Error pages in the user's language; a refused request always says why."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException

from .transaction import committed_in_this_request

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _saved_but_not_shown(status: int):
    """The request's commit happened before the failure: its change is saved and must not be tried
    again (a second cost, a second enrolment); only the answer page is missing."""
    return _page(
        status,
        gettext("Saved, page not shown"),
        gettext(
            "Your change was saved, but the page could not be shown. "
            "Do not send the form again: open the page anew to see the change."
        ),
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _page(
            400,
            gettext("Form expired"),
            gettext(
                "The form could not be verified (missing or expired security token). "
                "Reload the page and try again."
            ),
        )

    @app.errorhandler(403)
    def forbidden(exc: HTTPException):
        description = (
            exc.description if isinstance(exc.description, str) and exc.description != _default(403) else None
        )
        return _page(
            403, gettext("Access denied"), description or gettext("Your role does not allow this action.")
        )

    @app.errorhandler(404)
    def not_found(exc: HTTPException):
        return _page(404, gettext("Page not found"), gettext("This page does not exist or was deleted."))

    @app.errorhandler(405)
    def method_not_allowed(exc: HTTPException):
        body, status = _page(
            405, gettext("Action not allowed"), gettext("This address does not accept this kind of request.")
        )
        # RFC 9110: a 405 names the methods the address accepts (werkzeug puts them on the exception).
        allowed = {name: value for name, value in exc.get_headers() if name.lower() == "allow"}
        return body, status, allowed

    @app.errorhandler(413)
    def too_large(exc: HTTPException):
        return _page(
            413,
            gettext("File too large"),
            gettext(
                "What you sent is larger than the limit of %(max)s MB per file. Nothing was saved: "
                "go back and choose a smaller file.",
                max=current_app.config["TRAINADMIN_MAX_UPLOAD_MB"],
            ),
        )

    @app.errorhandler(DBAPIError)
    def database_unavailable(exc: DBAPIError):
        """The connection was dropped or the server is away: the transaction is gone on the server's
        side, so nothing of this request was saved. The pool drops the broken connection (and checks
        the next one before use), so the next request works once the database answers."""
        if isinstance(exc, IntegrityError):
            return server_error(exc)
        from .extensions import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 (the connection is already dead; the session is reset anyway)
            log.debug("rollback after a dropped connection failed", exc_info=True)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        log.warning("database unavailable: %s", reason[0] if reason else type(exc).__name__)
        if committed_in_this_request():
            return _saved_but_not_shown(503)
        return _page(
            503,
            gettext("Database unavailable"),
            gettext("The database did not answer. Nothing was saved: try again in a moment."),
        )

    @app.errorhandler(500)
    def server_error(exc):
        if committed_in_this_request():
            return _saved_but_not_shown(500)
        return _page(
            500, gettext("Unexpected error"), gettext("Something went wrong on our side. Nothing was saved.")
        )


def _default(status: int) -> str:
    from werkzeug.exceptions import default_exceptions

    return default_exceptions[status].description
