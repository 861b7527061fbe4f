"""The database lost just after a commit: the change is saved, so the user gets the success answer
(redirect and message), the request's log line names them, and nothing after the commit turns the
success into an error page. When something after the commit does fail, the page says the change was
saved — never « Rien n'a été enregistré »."""

from __future__ import annotations

import html
import logging
from contextlib import contextmanager, suppress

import psycopg
import pytest
import sqlalchemy as sa
from flask import redirect
from sqlalchemy.orm import Session as OrmSession

from trainadmin import create_app
from trainadmin.extensions import db as _db
from trainadmin.models import Cost, CostType, Location, Role, TrainingSession
from trainadmin.transaction import commits, unit_of_work

from . import factories
from .conftest import PG_URL, _test_config, need, post_form
from .test_faults import committed_client, need_postgresql

NOTHING_SAVED = ("Rien n'a été enregistré", "Nothing was saved")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@contextmanager
def database_lost_after_commit(app, plain_url: str):
    """At the first commit, every connection of the app to its database is terminated by
    PostgreSQL (`pg_terminate_backend`, from another connection) and new connections are refused
    until the block ends: the server went away right after saving."""
    with app.app_context():
        engine = _db.engine
    lost: list[int] = []

    def terminate(session):
        if lost or session.in_nested_transaction():  # a savepoint released is no commit
            return
        with psycopg.connect(plain_url, autocommit=True) as other:
            pids = other.execute(
                "SELECT pg_terminate_backend(pid, 5000), pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            ).fetchall()
        lost.extend(pid for _, pid in pids)
        lost.append(0)  # even with no other backend, the cut has happened

    def refuse(dialect, connection_record, cargs, cparams):
        if lost:
            raise psycopg.OperationalError("connection refused: the database server is unreachable")

    sa.event.listen(OrmSession, "after_commit", terminate)
    sa.event.listen(engine, "do_connect", refuse)
    try:
        yield lost
    finally:
        sa.event.remove(OrmSession, "after_commit", terminate)
        sa.event.remove(engine, "do_connect", refuse)
        with suppress(sa.exc.DBAPIError):  # the test's own connection was terminated too
            _db.session.close()
        engine.dispose()  # the database is back: the terminated connections are not reused


def _cost_count(session_id: int) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).where(Cost.session_id == session_id))


def test_a_cost_saved_just_before_the_database_is_lost_answers_saved_and_logs_its_user(
    app, committed_db, caplog
):
    plain_url = need_postgresql(app)
    session = factories.make_session(label="Coupure après l'enregistrement")
    cost_type = factories.make_named(CostType, name="Formateur")
    committed_db.session.commit()
    session_id, cost_type_id = session.id, cost_type.id
    client = committed_client(app)
    committed_db.session.rollback()

    caplog.clear()
    with (
        caplog.at_level(logging.INFO, logger="trainadmin.request"),
        database_lost_after_commit(app, plain_url) as lost,
    ):
        response = post_form(
            client,
            f"/admin/sessions/cost/add/?id={session_id}",
            {"cost_type_id": str(cost_type_id), "amount": "250", "split": "global"},
        )

    assert lost, "the commit never happened"
    page = text(response)
    assert not any(words in page for words in NOTHING_SAVED)
    assert response.status_code == 302, page
    assert response.headers["Location"].endswith(f"id={session_id}&tab=costs")
    lines = [r for r in caplog.records if r.name == "trainadmin.request"]
    assert len(lines) == 1, caplog.text
    line = lines[0]
    assert line.status == 302 and line.user and line.user.endswith("@example.com")

    # The database is back: the cost is there once, and the page shows the success message.
    assert _cost_count(session_id) == 1
    committed_db.session.rollback()
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Coût sauvegardé" in shown or "Cost saved" in shown


def test_a_record_created_in_a_list_form_just_before_the_database_is_lost_answers_saved(app, committed_db):
    plain_url = need_postgresql(app)
    client = committed_client(app, Role.ADMIN)
    with database_lost_after_commit(app, plain_url) as lost:
        response = post_form(client, "/admin/locations/new/", {"name": "Campus coupé"})
    assert lost
    assert response.status_code == 302, text(response)
    assert _db.session.scalar(sa.select(sa.func.count()).where(Location.name == "Campus coupé")) == 1
    committed_db.session.rollback()


def test_a_session_created_just_before_the_database_is_lost_opens_its_page(app, committed_db):
    plain_url = need_postgresql(app)
    training = factories.make_training(name="Sécurité incendie")
    committed_db.session.commit()
    training_id = training.id
    client = committed_client(app)
    committed_db.session.rollback()
    with database_lost_after_commit(app, plain_url) as lost:
        response = post_form(
            client,
            "/admin/sessions/new/",
            {
                "training": str(training_id),
                "year": "2027",
                "label": "Sécurité incendie 2027",
                "session_type": "intra",
                "capacity_min": "3",
                "capacity_target": "6",
                "capacity_max": "10",
                "_prefilled": "1",
            },
        )
    assert lost, text(response)
    assert response.status_code == 302, text(response)
    created = _db.session.scalar(
        sa.select(TrainingSession.id).where(TrainingSession.training_id == training_id)
    )
    assert response.headers["Location"].endswith(f"/admin/sessions/details/?id={created}")
    committed_db.session.rollback()


@pytest.fixture(scope="module")
def fragile_app(tmp_path_factory):
    """The real app with one more endpoint that reads the database after its commit, as a careless
    view would: what the user is told when that read fails."""
    if not PG_URL:
        need("PostgreSQL", "set TRAINADMIN_TEST_DATABASE_URL")
    app = create_app(_test_config(PG_URL, str(tmp_path_factory.mktemp("files"))))

    @commits
    def save_then_read():
        with unit_of_work():
            factories.make_named(CostType, name="Lu après l'enregistrement")
        _db.session.scalar(sa.select(sa.func.count()).select_from(CostType))  # after the commit
        return redirect("/admin/")

    app.add_url_rule("/test/save-then-read", view_func=save_then_read, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_a_failure_after_the_commit_says_the_change_was_saved(app, fragile_app, committed_db):
    plain_url = need_postgresql(app)
    with database_lost_after_commit(fragile_app, plain_url) as lost:
        response = fragile_app.test_client().post("/test/save-then-read")
    assert lost
    page = text(response)
    assert response.status_code >= 500
    assert not any(words in page for words in NOTHING_SAVED)
    assert "Votre modification a été enregistrée" in page
    with fragile_app.app_context():
        assert (
            _db.session.scalar(sa.select(sa.func.count()).where(CostType.name == "Lu après l'enregistrement"))
            == 1
        )
        _db.session.remove()


def test_a_failure_before_any_commit_still_says_nothing_was_saved(app, fragile_app, committed_db):
    """The other side: a cut before the commit saved nothing, and the page says so."""
    need_postgresql(app)
    with fragile_app.app_context():
        engine = _db.engine

    def refuse(dialect, connection_record, cargs, cparams):
        raise psycopg.OperationalError("connection refused: the database server is unreachable")

    with fragile_app.app_context():
        engine.dispose()
    sa.event.listen(engine, "do_connect", refuse)
    try:
        response = fragile_app.test_client().post("/test/save-then-read")
    finally:
        sa.event.remove(engine, "do_connect", refuse)
    assert response.status_code == 503
    assert any(words in text(response) for words in NOTHING_SAVED)
