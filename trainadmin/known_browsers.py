"""Known browsers: a browser where a user logged in keeps a signed cookie naming that account, so
that strangers' wrong passwords, which lock the account for unknown browsers, never lock its owner
out of their own browser. Attempts from a known browser are counted per browser instead."""

from __future__ import annotations

import secrets

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "trainadmin_browser"
MAX_AGE = 180 * 24 * 3600  # seconds: half a year without logging in from it, and it is a stranger again
_SALT = "trainadmin-known-browser"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def posted_email() -> str:
    """The posted e-mail as the login compares it."""
    return (request.form.get("email") or "").strip().lower()[:254]


def known_browser() -> str | None:
    """This browser's token when its cookie is valid and names the account being logged into."""
    if "known_browser" not in g:
        g.known_browser = None
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                value = _serializer().loads(raw, max_age=MAX_AGE)
            except BadSignature:
                value = None
            if isinstance(value, dict) and value.get("email") == posted_email() and value.get("token"):
                g.known_browser = str(value["token"])
    return g.known_browser


def remember_browser(response, email: str):
    """After a successful login: this browser is now known for this account."""
    value = _serializer().dumps({"email": email.strip().lower(), "token": secrets.token_urlsafe(16)})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        path="/login",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
    return response
