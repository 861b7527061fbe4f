"""Login rate limits, idle sessions, cookies and the security headers of every response."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time

from flask import Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from .known_browsers import known_browser, posted_email

#: How often (seconds) the idle clock in the session cookie is moved on: not on every request.
_TOUCH_EVERY = 30


def login_account_key() -> str:
    """The posted e-mail as the login compares it; an unknown address counts like a known one."""
    return f"account:{posted_email()}"


def login_address_key() -> str:
    """The client's address: the socket's, or the one the trusted proxies report (`trust_proxies`)."""
    return f"address:{get_remote_address()}"


def login_browser_key() -> str:
    return f"browser:{known_browser()}"


def _from_known_browser() -> bool:
    return known_browser() is not None


def _from_stranger() -> bool:
    return known_browser() is None


def _failed(response) -> bool:
    """Only refused logins count: a user who logs in and out often is never locked out."""
    return response.status_code != 302


def account_limit() -> str:
    return current_app.config["TRAINADMIN_LOGIN_LIMIT_ACCOUNT"]


def address_limit() -> str:
    return current_app.config["TRAINADMIN_LOGIN_LIMIT_ADDRESS"]


def limit_login(limiter: Limiter, view):
    """On POST only: from a stranger's browser, per account and per client address; from a browser
    known for the account being logged into, per browser (with the account's limit), so that the
    failures of strangers, wherever they come from, never lock the owner out of their browser."""
    post = {"methods": ["POST"], "deduct_when": _failed}
    stranger = {**post, "exempt_when": _from_known_browser}
    view = limiter.limit(account_limit, key_func=login_account_key, scope="login-account", **stranger)(view)
    view = limiter.limit(address_limit, key_func=login_address_key, scope="login-address", **stranger)(view)
    known = {**post, "exempt_when": _from_stranger}
    return limiter.limit(account_limit, key_func=login_browser_key, scope="login-browser", **known)(view)


def link_limit() -> str:
    return current_app.config["TRAINADMIN_LINK_LIMIT"]


def link_failure_limit() -> str:
    return current_app.config["TRAINADMIN_LINK_FAILURE_LIMIT"]


def _link_refused(response) -> bool:
    """An unknown token (404): what guessing gives. An expired, used or replaced link (410) comes from
    a real one — a calendar service fetching a replaced feed for many subscribers from one address
    must not lock the others' feeds out."""
    return response.status_code == 404


def limit_links(limiter: Limiter, view):
    """Every request on a link's pages counts against the address's limit; unknown tokens against a
    stricter one, shared by all the link pages: an address guessing tokens is stopped after a few
    dozen tries."""
    view = limiter.limit(link_limit, key_func=login_address_key, scope="links")(view)
    return limiter.shared_limit(
        link_failure_limit, "links-refused", key_func=login_address_key, deduct_when=_link_refused
    )(view)


def trust_proxies(app: Flask) -> None:
    """With N trusted proxies in front, the client address (and scheme) is the N-th hop from the end
    of X-Forwarded-For (X-Forwarded-Proto), as the nearest proxy appended it; with none, these headers
    are ignored: anyone can send them."""
    count = app.config["TRAINADMIN_TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


#: Flask-Admin's own templates still write a few event handlers inline (bulk actions, filter links,
#: the delete confirmation, "add" of inline forms). Only these exact shapes are allowed, by hash.
#: The page is searched, as bytes, for the two ways those handlers begin (a fast literal search:
#: 0.07 ms for an 87 KiB list page where matching every attribute took 0.56 ms); a value found is
#: kept only when it is the whole value of an `on...` attribute and has one of the exact shapes.
_HANDLER_VALUE = re.compile(rb'="((?:return |faForm\.addInlineField\()[^"]*)"')
_HANDLER_NAME = re.compile(rb"\son[a-z]+$")
_ALLOWED_HANDLERS = re.compile(
    r"return false;"
    r"|return modelActions\.execute\('[A-Za-z0-9_]+'\);"
    r"|return faHelpers\.safeConfirm\('[^'\"<>\\]*'\);"
    r"|faForm\.addInlineField\(this, '[A-Za-z0-9_-]+'\);"
)


def allowed_handler_hashes(body: str | bytes) -> list[str]:
    page = body.encode() if isinstance(body, str) else body
    hashes = set()
    for found in _HANDLER_VALUE.finditer(page):
        if not _HANDLER_NAME.search(page, max(0, found.start() - 40), found.start()):
            continue
        handler = html.unescape(found.group(1).decode(errors="replace"))
        if _ALLOWED_HANDLERS.fullmatch(handler):
            digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
            hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def content_security_policy(nonce: str, handler_hashes: list[str] = ()) -> str:
    # Inline style attributes (timeline bars, widths computed on the server) need 'unsafe-inline' for
    # styles; scripts, the real danger, only run from this site or with the request's nonce, and the
    # few inline handlers of Flask-Admin's templates only with their exact hash ('unsafe-hashes').
    hashes = " 'unsafe-hashes' " + " ".join(handler_hashes) if handler_hashes else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'{hashes}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def check_only_limited_endpoints(app: Flask, limiter: Limiter, endpoints: set[str]) -> None:
    """Flask-Limiter checks every request against the limits that could apply to it (about 0.12 ms:
    its default, application and blueprint limits, exemptions, the view's own). This app sets no
    default, application or blueprint limit, only the view limits of `endpoints` (the login), so
    any other request has nothing to check: its check is skipped. Configured default or application
    limits (RATELIMIT_DEFAULT, RATELIMIT_APPLICATION) keep the check on every request."""
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return
    checks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in checks:
        return

    def check_limited_endpoint() -> None:
        if request.endpoint in endpoints:
            check()

    checks[checks.index(check)] = check_limited_endpoint


def init_app(app: Flask) -> None:
    trust_proxies(app)
    https = app.config["TRAINADMIN_HTTPS"] or app.config.get("PREFERRED_URL_SCHEME") == "https"
    app.config["SESSION_COOKIE_SECURE"] = https
    app.config["REMEMBER_COOKIE_SECURE"] = https
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    # Redis down must not stop the logins: the limits fall back to the process's memory.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # One limiter per app (its own storage); the login view registered by the auth blueprint is wrapped.
    limiter = Limiter(key_func=get_remote_address, key_prefix="trainadmin-limits", app=app)
    app.extensions["trainadmin_limiter"] = limiter
    app.view_functions["auth.login"] = limit_login(limiter, app.view_functions["auth.login"])
    link_endpoints = {endpoint for endpoint in app.view_functions if endpoint.startswith("links.")}
    for endpoint in link_endpoints:
        app.view_functions[endpoint] = limit_links(limiter, app.view_functions[endpoint])
    check_only_limited_endpoints(app, limiter, {"auth.login", *link_endpoints})

    @app.errorhandler(429)
    def too_many_attempts(exc):
        from .auth import LoginForm

        if request.blueprint == "links":
            message = gettext("Too many requests from your connection. Wait a few minutes, then try again.")
            return render_template("links/refused.html", message=message, refusal="limited"), 429
        message = gettext("Too many login attempts. Wait a few minutes before trying again.")
        if request.endpoint == "auth.login":
            return render_template("auth/login.html", form=LoginForm(), error=message, next=None), 429
        from .errors import _page

        return _page(429, gettext("Too many requests"), message)

    @app.before_request
    def end_idle_session():
        if not current_user.is_authenticated or request.endpoint == "static":
            return None
        now = int(time.time())
        last_seen = session.get("last_seen")
        idle = app.config["TRAINADMIN_IDLE_MINUTES"] * 60
        if isinstance(last_seen, int) and now - last_seen > idle:
            logout_user()
            session.clear()
            if request.endpoint == "auth.login":
                return None
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not isinstance(last_seen, int) or now - last_seen >= _TOUCH_EVERY:
            session["last_seen"] = now
        return None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        if "Content-Security-Policy" not in headers:
            hashes: list[str] = []
            if response.mimetype == "text/html" and not response.is_streamed:
                hashes = allowed_handler_hashes(response.get_data())
            headers["Content-Security-Policy"] = content_security_policy(csp_nonce(), hashes)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config["TRAINADMIN_HTTPS"]:
            # Browsers then refuse plain HTTP to this host (and hosts under it) for a year.
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
