"""The session list's statements compiled once per shape of request (admin_views/list_statements.py)
and run with each request's values on the request's connection (driver_sql.py)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from trainadmin.admin_views.base import current_role
from trainadmin.driver_sql import Prepared, run
from trainadmin.models import Role, TrainingSession

from . import factories

LIST = "/admin/sessions/"


def shown(page: str) -> set[int]:
    return {int(value) for value in re.findall(r'name="rowid"[^>]*value="(\d+)"', page)}


def shown_to(client, url: str) -> set[int]:
    """The sessions a page shows (the row actions' links, whether or not rows have a checkbox)."""
    page = client.get(url).get_data(as_text=True)
    return {int(value) for value in re.findall(r"details/\?id=(\d+)", page)}


@pytest.fixture
def session_view(app):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "sessions")


def test_a_kept_statement_shows_each_requests_words_and_page(db, login_as):
    made = {
        label: factories.make_session(label=label).id
        for label in (
            "Excel avancé",
            "Excel débutant",
            "Word (Lyon)",
            "PowerPoint (Lyon)",
            "Accueil d'O'Brien",
        )
    }
    client = login_as(Role.ADMIN)
    for words, expected in (
        ("Excel", {"Excel avancé", "Excel débutant"}),
        ("Lyon", {"Word (Lyon)", "PowerPoint (Lyon)"}),
        ("O'Brien", {"Accueil d'O'Brien"}),
        ("100%", set()),
        ("Excel Lyon", set()),
        ("point lyon", {"PowerPoint (Lyon)"}),
    ):
        page = client.get(LIST, query_string={"search": words}).get_data(as_text=True)
        assert shown(page) == {made[label] for label in expected}, words
    more = {factories.make_session(label=f"Session {number}").id for number in range(17)}
    pages = [shown(client.get(f"{LIST}?page={page}").get_data(as_text=True)) for page in range(2)]
    assert [len(ids) for ids in pages] == [20, 2]
    assert set().union(*pages) == set(made.values()) | more


def test_a_scope_by_role_holds_for_each_role(db, login_as, session_view, monkeypatch):
    """The statements are kept per role: a scope that hides a row from viewers hides it from them
    only, whichever role asks first."""
    hidden = factories.make_session(label="Réservé").id
    other = factories.make_session(label="Ouvert").id
    scoped = session_view._scoped

    def hidden_from_viewers(query):
        query = scoped(query)
        return query.filter(TrainingSession.id != hidden) if current_role() == Role.VIEWER else query

    monkeypatch.setattr(session_view, "_scoped", hidden_from_viewers)
    admin, viewer = login_as(Role.ADMIN), login_as(Role.VIEWER)
    for _ in range(2):
        assert shown_to(admin, LIST) == {hidden, other}
        assert shown_to(viewer, LIST) == {other}
        assert "Liste (1)" in viewer.get(LIST).get_data(as_text=True)


def test_a_statement_run_on_the_connection_is_counted_and_fails_as_sqlalchemy_does(app, db, count_queries):
    connection = db.session.connection()
    number = sa.bindparam("number", type_=sa.Integer)
    prepared = Prepared(sa.select(sa.literal_column("1") + number), connection.dialect, params=("number",))
    with count_queries() as queries:
        assert run(connection, prepared, {"number": 41}) == [(42,)]
    assert queries.count == 1
    failing = Prepared(
        sa.select(sa.literal_column("no_such_column") + number), connection.dialect, params=("number",)
    )
    with pytest.raises(sa.exc.DBAPIError), db.session.begin_nested():
        run(db.session.connection(), failing, {"number": 0})


def test_hostile_search_words_are_answered_as_the_text_typed(db, login_as):
    """Words written into the kept statement's text are quoted as SQLAlchemy quotes literals: quotes,
    backslashes, a NUL, comments and very long words give a page, never a 500 or another query."""
    slash = factories.make_session(label=r"Chemin C:\Formations\2027").id
    quote = factories.make_session(label="L'atelier « sécurité »").id
    client = login_as(Role.ADMIN)
    for words, expected in (
        ("Formations", {slash}),
        ("L'atelier", {quote}),
        ("'; DROP TABLE training_session; --", set()),
        ("\x00", {slash, quote}),  # no character at all: no search
        ("L'at\x00elier", {quote}),
        ("é" * 2000, set()),
        ("$$", set()),
    ):
        response = client.get(LIST, query_string={"search": words})
        assert response.status_code == 200, words
        assert shown(response.get_data(as_text=True)) == expected, words
    for name in ("training_name_like", "training_name_equal"):  # filters with a NUL too
        assert client.get(LIST, query_string={f"flt0_{name}": "a\x00"}).status_code == 200, name
    for words in (r"C:\Formations", "\\", "\\'", "'\\"):  # LIKE's escape character: a page, no error
        assert client.get(LIST, query_string={"search": words}).status_code == 200, words
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) == 2
