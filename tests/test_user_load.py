"""The user of each request is read as a row on the request's connection (auth.load_user): one
statement, refused at once when the account is deactivated or its sessions were ended, and given
to the pages as the session's own object, which can be changed and saved."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa

from trainadmin.models import Role, User

from .conftest import csrf_token, login
from .test_faults import committed_client, need_postgresql


def _forget(db) -> None:
    """The next request loads its user from the database, not from the test's identity map."""
    db.session.expunge_all()


def test_the_user_is_one_statement_and_a_deactivated_account_is_refused_at_once(
    client, users, db, count_queries
):
    manager = users[Role.MANAGER]
    ident = manager.id
    login(client, manager.email)
    _forget(db)
    with count_queries() as queries:
        assert client.get("/admin/sessions/").status_code == 200
    assert sum("FROM user_account" in s for s in queries.statements) == 1, queries.statements
    db.session.execute(sa.update(User).where(User.id == ident).values(active=False))
    _forget(db)
    response = client.get("/admin/sessions/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_ended_sessions_are_refused_at_once(client, users, db):
    manager = users[Role.MANAGER]
    ident = manager.id
    login(client, manager.email)
    _forget(db)
    assert client.get("/admin/").status_code == 200
    db.session.execute(sa.update(User).where(User.id == ident).values(session_token="f" * 32))
    _forget(db)
    assert client.get("/admin/").status_code == 302


def test_the_user_of_a_request_is_the_sessions_own_object_and_is_saved(client, users, db):
    viewer = users[Role.VIEWER]
    ident = viewer.id
    login(client, viewer.email)
    token = csrf_token(client, "/admin/")
    _forget(db)
    response = client.post("/locale/en", data={"csrf_token": token, "next": "/admin/"})
    assert response.status_code == 302
    _forget(db)
    assert db.session.scalar(sa.select(User.locale).where(User.id == ident)) == "en"
    assert "Dashboard" in client.get("/admin/").get_data(as_text=True)


def test_a_pooled_connection_dropped_while_idle_is_replaced_and_the_page_is_shown(app, committed_db):
    """PostgreSQL restarted, or an idle connection cut by a firewall: the connections waiting in the
    pool are dead. The next request gets a live one, with no error page."""
    plain_url = need_postgresql(app)
    client = committed_client(app)
    for _ in range(2):
        assert client.get("/admin/sessions/").status_code == 200
        committed_db.session.remove()  # the request's connection back to the pool, as at its end
        with psycopg.connect(plain_url, autocommit=True) as other:
            killed = other.execute(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        assert killed
        assert client.get("/admin/sessions/").status_code == 200
        assert client.get("/admin/").status_code == 200
        committed_db.session.remove()
