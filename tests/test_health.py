"""`/healthz` and `/readyz`: open probes for the process manager and the load balancer."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from trainadmin.extensions import db as _db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def probe_redis(any_app):
    """Restores the app's Redis setting after a test that points it elsewhere."""
    yield any_app
    any_app.config["REDIS_URL"] = ""
    any_app.extensions.pop("trainadmin_redis", None)


def _use_redis(app, url: str) -> None:
    app.config["REDIS_URL"] = url
    app.extensions.pop("trainadmin_redis", None)


def test_healthz_answers_without_login_or_database(any_app):
    statements = []

    def listener(*args):
        statements.append(args[2])

    with any_app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = any_app.test_client().get("/healthz")
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert statements == []


def test_readyz_database_only_when_no_redis(any_app):
    response = any_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_with_redis_up(any_app, probe_redis, redis_url):
    _use_redis(any_app, redis_url)
    response = any_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_names_redis_when_it_is_down(any_app, probe_redis):
    _use_redis(any_app, f"redis://127.0.0.1:{_closed_port()}/0")
    response = any_app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["down"] == ["redis"]
    assert body["checks"] == {"database": "ok", "redis": "down"}


def test_readyz_names_the_database_when_it_is_down(tmp_path):
    from trainadmin import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "REDIS_URL": "",
            "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{_closed_port()}/none",
            "TRAINADMIN_STORAGE": str(tmp_path / "files"),
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["down"] == ["database"]


def test_probes_need_no_csrf_token_nor_session(any_app):
    client = any_app.test_client()
    assert client.get("/healthz").status_code == 200
    assert "Set-Cookie" not in client.get("/readyz").headers
