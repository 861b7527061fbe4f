"""Login rate limits, sessions ended on logout / new password / inactivity, cookies and headers."""

from __future__ import annotations

import re
import time

import pytest
from redis import Redis

from trainadmin import create_app
from trainadmin.extensions import db as _db
from trainadmin.models import Role, User

from . import factories
from .conftest import PASSWORD, IsolatedClient, _test_config, csrf_token, login

ERROR_RE = re.compile(r'id="login-error">([^<]*)<')


def login_error(response) -> str:
    match = ERROR_RE.search(response.get_data(as_text=True))
    return match.group(1) if match else ""


@pytest.fixture
def any_client(any_app, any_db):
    return any_app.test_client()


def test_five_failures_per_minute_lock_the_account_even_with_the_right_password(any_client):
    user = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    for _ in range(5):
        assert login(any_client, user.email, "wrong-password").status_code == 401
    refused = login(any_client, user.email.upper() + "  ", PASSWORD)
    assert refused.status_code == 429
    assert 'name="email"' in refused.get_data(as_text=True), "the login page, not an error page"
    assert login_error(refused)
    assert any_client.get("/admin/").status_code == 302, "still not logged in"
    # Another account from the same address is not locked by this one's failures.
    other = factories.make_user(role=Role.VIEWER, password=PASSWORD)
    assert login(any_client, other.email).status_code == 302


def test_an_unknown_account_is_limited_like_a_known_one(any_client):
    user = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    pages = {}
    for email in (user.email, "nobody@example.com"):
        for _ in range(5):
            login(any_client, email, "wrong-password")
        response = login(any_client, email, "wrong-password")
        pages[email] = (response.status_code, login_error(response))
    assert pages[user.email] == pages["nobody@example.com"]
    assert pages[user.email][0] == 429


def test_successful_logins_are_not_counted(any_client):
    user = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    for _ in range(7):
        assert login(any_client, user.email).status_code == 302
        any_client.post("/logout", data={"csrf_token": csrf_token(any_client, "/admin/")})


def test_the_address_limit_covers_every_account(any_app, any_client, monkeypatch):
    monkeypatch.setitem(any_app.config, "TRAINADMIN_LOGIN_LIMIT_ADDRESS", "3/hour")
    for index in range(3):
        assert login(any_client, f"guess{index}@example.com", "x").status_code == 401
    user = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    assert login(any_client, user.email).status_code == 429
    other_address = any_app.test_client()
    token = csrf_token(other_address)
    response = other_address.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 302


def test_limits_are_kept_in_redis_when_configured(app, redis_url, tmp_path):
    """Several workers share the counts: they live in Redis, and a fresh app sees them."""
    redis = Redis.from_url(redis_url)
    for key in redis.scan_iter("LIMITS:LIMITER/trainadmin-limits/*"):
        redis.delete(key)
    config = {**_test_config(app.config["DATABASE_URL"], str(tmp_path)), "REDIS_URL": redis_url}
    first = create_app(config)
    first.test_client_class = IsolatedClient
    client = first.test_client()
    for _ in range(5):
        assert login(client, "redis-locked@example.com", "x").status_code == 401
    keys = list(redis.scan_iter("LIMITS:LIMITER/trainadmin-limits/*"))
    assert any(b"redis-locked@example.com" in key for key in keys)
    second = create_app(config)
    second.test_client_class = IsolatedClient
    assert login(second.test_client(), "redis-locked@example.com", "x").status_code == 429
    for key in redis.scan_iter("LIMITS:LIMITER/trainadmin-limits/*"):
        redis.delete(key)
    redis.close()
    for extra in (first, second):
        close(extra)


def close(extra_app) -> None:
    with extra_app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    storage = extra_app.extensions["trainadmin_limiter"].storage
    if hasattr(storage, "storage") and hasattr(storage.storage, "connection_pool"):
        storage.storage.connection_pool.disconnect()


def test_logout_ends_the_session_everywhere(any_app, any_client):
    user = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    other_browser = any_app.test_client()
    assert login(any_client, user.email).status_code == 302
    assert login(other_browser, user.email).status_code == 302
    with any_client.session_transaction() as cookie_session:
        stolen = dict(cookie_session)
    any_client.post("/logout", data={"csrf_token": csrf_token(any_client, "/admin/")})
    assert other_browser.get("/admin/").status_code == 302
    replay = any_app.test_client()
    with replay.session_transaction() as cookie_session:
        cookie_session.update(stolen)
    response = replay.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_new_password_ends_the_open_sessions(any_client, any_db):
    user = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    assert login(any_client, user.email).status_code == 302
    assert any_client.get("/admin/").status_code == 200
    stored = any_db.session.get(User, user.id)
    stored.set_password("a-brand-new-password")
    any_db.session.flush()
    assert any_client.get("/admin/").status_code == 302
    assert login(any_client, user.email, "a-brand-new-password").status_code == 302


def test_a_deactivated_user_is_logged_out(any_client, any_db):
    user = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    login(any_client, user.email)
    any_db.session.get(User, user.id).active = False
    any_db.session.flush()
    assert any_client.get("/admin/").status_code == 302


def test_an_idle_session_goes_back_to_the_login_page(any_app, any_client):
    user = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    login(any_client, user.email)
    assert any_client.get("/admin/").status_code == 200
    idle = any_app.config["TRAINADMIN_IDLE_MINUTES"]
    assert idle == 60
    with any_client.session_transaction() as cookie_session:
        cookie_session["last_seen"] = int(time.time()) - idle * 60 + 120
    assert any_client.get("/admin/sessions/").status_code == 200, "not idle long enough"
    with any_client.session_transaction() as cookie_session:
        cookie_session["last_seen"] = int(time.time()) - idle * 60 - 5
    response = any_client.get("/admin/sessions/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/sessions/")
    assert any_client.get("/admin/").status_code == 302, "the session is over, not just this request"


def test_session_cookie_flags(client, users):
    response = login(client, users[Role.MANAGER].email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize("setting", [{"TRAINADMIN_HTTPS": True}, {"PREFERRED_URL_SCHEME": "https"}])
def test_session_cookie_is_secure_behind_https(app, tmp_path, setting):
    https_app = create_app({**_test_config(app.config["DATABASE_URL"], str(tmp_path)), **setting})
    assert https_app.config["SESSION_COOKIE_SECURE"] is True
    client = https_app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    close(https_app)


def test_a_default_limit_set_by_configuration_still_applies_to_every_page(app, tmp_path):
    """Only the login has limits, so only the login is checked against them; a default limit set
    by configuration (RATELIMIT_DEFAULT) makes every page checked again."""
    config = {**_test_config(app.config["DATABASE_URL"], str(tmp_path)), "RATELIMIT_STORAGE_URI": "memory://"}
    limited_app = create_app({**config, "RATELIMIT_DEFAULT": "2/minute"})
    client = limited_app.test_client()
    assert [client.get("/admin/").status_code for _ in range(3)] == [302, 302, 429]
    close(limited_app)
    free_app = create_app(config)
    client = free_app.test_client()
    assert {client.get("/admin/").status_code for _ in range(3)} == {302}
    close(free_app)
