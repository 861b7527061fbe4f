"""Structured logs: one line per request, per job and per e-mail, as JSON (production) or text.

TRAINADMIN_LOG_FORMAT=json|text chooses; json is the default, `flask demo` uses text unless told.
Records carry their fields as `extra={...}`; the JSON formatter writes them next to the message.
The formatter is ours (twenty lines over the standard `json` module) rather than a dependency: it
only has to add the record's extra fields to a few fixed keys.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request

FORMATS = ("json", "text")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

request_log = logging.getLogger("trainadmin.request")
job_log = logging.getLogger("trainadmin.job")
email_log = logging.getLogger("trainadmin.email")


def extra_fields(record: logging.LogRecord) -> dict:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, then the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **extra_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The usual one-line text, the extra fields appended as key=value."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{key}={value}" for key, value in extra_fields(record).items())
        return f"{line} {fields}" if fields else line


def configure(log_format: str) -> None:
    """Send the `trainadmin` loggers to stderr in this format (once per process; again replaces)."""
    logger = logging.getLogger("trainadmin")
    handler = next((h for h in logger.handlers if getattr(h, "_trainadmin", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._trainadmin = True
        logger.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


#: A link's token in a path (`/l/<token>…`), the sign-in's QR code (`/l/signin/<code>`) and the page
#: of its e-mailed code (`/l/signin/check/<token>`): never written to a log.
_LINK_TOKEN = re.compile(r"^/l/(?:signin/(?:check/)?)?[^/]+")


def redacted_path(path: str) -> str:
    """The path as logs write it: a link's token replaced by `…`."""
    return _LINK_TOKEN.sub(lambda found: found.group(0)[: found.group(0).rfind("/") + 1] + "…", path)


class RedactLinkTokens(logging.Filter):
    """For the loggers that write a request's path themselves: the development server's access log
    (werkzeug: `GET /l/<token> HTTP/1.1`) and Flask's « Exception on /l/<token> [GET] »."""

    _IN_LINE = re.compile(r"(\s/l/(?:signin/(?:check/)?)?)[^/\s?\]]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "/l/" in record.msg:
            record.msg = self._IN_LINE.sub(r"\1…", record.msg)
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                self._IN_LINE.sub(r"\1…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def _request_id() -> str:
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex


def identify(user) -> None:
    """Remember who makes this request, when the user is loaded: the log line is written after the
    commit and must not read the user again (the connection may be gone by then)."""
    g.user_identity = user.email


def _user() -> str | None:
    """The user this request loaded, as remembered then (never reads the database)."""
    return g.get("user_identity")


def init_app(app: Flask) -> None:
    configure(app.config["TRAINADMIN_LOG_FORMAT"])
    for logger in (logging.getLogger("werkzeug"), app.logger):
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        g.request_id = _request_id()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        fields = {
            "method": request.method,
            "path": redacted_path(request.path),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "user": _user(),
            "request_id": g.get("request_id"),
        }
        if g.get("session_code"):
            fields["session_code"] = g.session_code
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        request_log.info("%s %s %s", request.method, fields["path"], response.status_code, extra=fields)
        return response


def recipient_domain(address: str | None) -> str | None:
    """Only the domain of an address goes to the logs (no personal data)."""
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().strip(">").lower() or None
