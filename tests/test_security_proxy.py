"""Login limits behind a reverse proxy, counted in Redis as in production (several gunicorn workers):
the client address is taken from X-Forwarded-For only when TRAINADMIN_TRUSTED_PROXIES says how many
proxies to trust, and an attacker's failures cannot keep the real user out of a known browser."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from redis import Redis

from trainadmin import create_app
from trainadmin.models import Role

from . import factories
from .conftest import PASSWORD, IsolatedClient, _test_config, csrf_token, rolled_back
from .test_security_login import close

PROXY = "10.0.0.1"  # the company's reverse proxy, as gunicorn sees the socket
PREFIX = "LIMITS:LIMITER/trainadmin-limits/*"


def _forget_limits(redis: Redis) -> None:
    for key in redis.scan_iter(PREFIX):
        redis.delete(key)


@pytest.fixture
def limited_app(app, redis_url, tmp_path):
    """limited_app(trusted_proxies=1, address_limit=...) -> an app whose limits live in Redis."""
    redis = Redis.from_url(redis_url)
    _forget_limits(redis)
    made = []

    @contextmanager
    def make(trusted_proxies: int = 0, address_limit: str = "60/hour"):
        config = {
            **_test_config(app.config["DATABASE_URL"], str(tmp_path)),
            "REDIS_URL": redis_url,
            "TRAINADMIN_TRUSTED_PROXIES": trusted_proxies,
            "TRAINADMIN_LOGIN_LIMIT_ADDRESS": address_limit,
        }
        extra = create_app(config)
        extra.test_client_class = IsolatedClient
        made.append(extra)
        with rolled_back(extra):
            yield extra

    yield make
    _forget_limits(redis)
    redis.close()
    for extra in made:
        close(extra)


def attempt(client, email: str, password: str, forwarded_for: str | None = None, socket: str = PROXY):
    """A login POST as it reaches gunicorn: from `socket`, with the header the proxy (or the client) set."""
    environ = {"REMOTE_ADDR": socket}
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    client.get("/login", environ_base=environ, headers=headers)
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
        headers=headers,
    )


def test_behind_one_trusted_proxy_each_client_has_its_own_address_bucket(limited_app):
    with limited_app(trusted_proxies=1, address_limit="3/hour") as app:
        user = factories.make_user(role=Role.ADMIN, password=PASSWORD)
        attacker = app.test_client()
        for index in range(3):
            assert attempt(attacker, f"guess{index}@example.com", "x", "203.0.113.5").status_code == 401
        assert attempt(attacker, "guess9@example.com", "x", "203.0.113.5").status_code == 429
        # A spoofed header from the client: the proxy appends the real address, the last hop counts.
        spoofed = attempt(attacker, "guess10@example.com", "x", "198.51.100.7, 203.0.113.5")
        assert spoofed.status_code == 429, "a forged X-Forwarded-For does not open a new bucket"
        # A colleague behind the same proxy is not locked out by the attacker.
        colleague = app.test_client()
        assert attempt(colleague, user.email, PASSWORD, "198.51.100.7").status_code == 302


def test_without_a_trusted_proxy_the_header_is_ignored(limited_app):
    with limited_app(trusted_proxies=0, address_limit="3/hour") as app:
        client = app.test_client()
        for index in range(3):
            forged = f"192.0.2.{index + 1}"
            assert (
                attempt(client, f"guess{index}@example.com", "x", forged, socket="203.0.113.9").status_code
                == 401
            )
        # Varying X-Forwarded-For does not escape the socket address's bucket.
        assert (
            attempt(client, "guess3@example.com", "x", "192.0.2.77", socket="203.0.113.9").status_code == 429
        )
        other = app.test_client()
        assert attempt(other, "guess4@example.com", "x", socket="203.0.113.10").status_code == 401


def test_an_attacker_cannot_keep_the_user_out_of_a_known_browser(limited_app):
    """55 wrong passwords from ever-changing addresses; the administrator's own browser still logs in."""
    with limited_app(trusted_proxies=1) as app:
        admin = factories.make_user(role=Role.ADMIN, password=PASSWORD)
        browser = app.test_client()
        assert attempt(browser, admin.email, PASSWORD, "198.51.100.20").status_code == 302
        browser.post("/logout", data={"csrf_token": csrf_token(browser, "/admin/")})

        attacker = app.test_client()
        statuses = [
            attempt(attacker, admin.email, f"guess-{index}", f"203.0.113.{index + 1}").status_code
            for index in range(55)
        ]
        assert statuses[:5] == [401] * 5
        assert set(statuses[5:]) == {429}, "the account is locked for unknown browsers"

        # The real user, from the browser where they logged in before, with the right password.
        assert attempt(browser, admin.email, PASSWORD, "198.51.100.20").status_code == 302
        assert browser.get("/admin/").status_code == 200
        # A new browser (no cookie) is still held back: the lock stays for strangers.
        assert attempt(app.test_client(), admin.email, PASSWORD, "198.51.100.21").status_code == 429


def test_the_known_browser_has_its_own_limit_and_cannot_be_forged(limited_app):
    with limited_app(trusted_proxies=1) as app:
        admin = factories.make_user(role=Role.ADMIN, password=PASSWORD)
        other = factories.make_user(role=Role.VIEWER, password=PASSWORD)
        browser = app.test_client()
        assert attempt(browser, other.email, PASSWORD, "198.51.100.30").status_code == 302
        cookie = browser.get_cookie("trainadmin_browser", path="/login")
        assert cookie is not None and cookie.http_only
        browser.post("/logout", data={"csrf_token": csrf_token(browser, "/admin/")})
        for index in range(5):
            assert (
                attempt(app.test_client(), admin.email, "wrong", f"203.0.113.{index + 1}").status_code == 401
            )
        # A known browser of another account does not pass the lock of this one.
        assert attempt(browser, admin.email, PASSWORD, "198.51.100.30").status_code == 429
        # Nor does a cookie written by hand.
        forged = app.test_client()
        forged.set_cookie("trainadmin_browser", cookie.value[:-4] + "AAAA", path="/login")
        assert attempt(forged, admin.email, PASSWORD, "198.51.100.31").status_code == 429
        # Guessing from the known browser itself is limited like an account: 5 a minute.
        for _ in range(5):
            assert attempt(browser, other.email, "wrong", "198.51.100.30").status_code == 401
        assert attempt(browser, other.email, PASSWORD, "198.51.100.30").status_code == 429
