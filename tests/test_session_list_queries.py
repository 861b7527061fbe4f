"""The SQL and the rows of the session list at 100,000 sessions: a count that stops at a bound
(« plus de 10 000 »), a search whose pattern the planner sees, rows drawn as Flask-Admin drew them."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa
from markupsafe import escape

from trainadmin.models import Publication, Role, SessionType, TrainingSession, WorkflowStatus

from . import factories

LIST = "/admin/sessions/"


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page))).replace("\u202f", " ")


@pytest.fixture
def small_bound(app, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINADMIN_LIST_COUNT_LIMIT", 3)


def test_past_the_bound_the_list_says_more_than_and_counts_no_further(
    small_bound, db, login_as, count_queries
):
    for _ in range(5):
        factories.make_session(publication=Publication.DRAFT)
    client = login_as(Role.ADMIN)
    with count_queries() as queries:
        page = _text(client.get(f"{LIST}?page_size=2").get_data(as_text=True))
    assert "Liste (plus de 3)" in page
    assert "Plus de 3 sessions en brouillon exclues de cet export." in page
    counts = [s for s in queries.statements if "count(" in s.lower()]
    assert counts and all("LIMIT" in s.upper() for s in counts), counts
    # The pager still leads further than the bound.
    assert "page=2" in client.get(f"{LIST}?page_size=2&page=1").get_data(as_text=True)


def test_past_the_bound_one_statement_counts_the_list_and_the_drafts_left_out(
    small_bound, db, login_as, count_queries
):
    for _ in range(5):
        factories.make_session(publication=Publication.PUBLISHED)
    for _ in range(2):
        factories.make_session(publication=Publication.DRAFT)
    client = login_as(Role.ADMIN)
    with count_queries() as queries:
        page = _text(client.get(LIST).get_data(as_text=True))
    assert "Liste (plus de 3)" in page
    assert "2 sessions en brouillon exclues de cet export." in page
    assert sum("count(" in q.lower() for q in queries.statements) == 1, queries.statements


def test_under_the_bound_the_count_is_exact_and_the_query_count_holds(
    small_bound, db, login_as, count_queries
):
    factories.make_session(publication=Publication.DRAFT)
    factories.make_session(publication=Publication.PUBLISHED)
    client = login_as(Role.ADMIN)
    with count_queries() as few:
        page = _text(client.get(LIST).get_data(as_text=True))
    assert "Liste (2)" in page
    assert "1 session en brouillon exclue de cet export." in page
    # One reading counts the list and the drafts the exports leave out; no second count.
    assert sum("count(" in q.lower() for q in few.statements) == 1
    with count_queries() as many:
        assert client.get(f"{LIST}?page_size=50").status_code == 200
    assert many.count == few.count
    for _ in range(5):
        factories.make_session(publication=Publication.PUBLISHED)
    assert "Liste (plus de 3)" in _text(client.get(LIST).get_data(as_text=True))


def test_the_search_pattern_is_in_the_statement_and_quotes_stay_text(db, login_as, count_queries):
    factories.make_session(label="Excel : tableaux croisés")
    factories.make_session(label="Accueil d'O'Brien")
    client = login_as(Role.ADMIN)
    with count_queries() as queries:
        page = _text(client.get(f"{LIST}?search=Excel").get_data(as_text=True))
    assert "Excel : tableaux croisés" in page and "O'Brien" not in page
    assert any(re.search(r"'%+Excel%+'", s) for s in queries.statements), "the planner must see it"
    response = client.get(f"{LIST}?search=d'O'Brien")
    assert response.status_code == 200
    page = _text(response.get_data(as_text=True))
    assert "Accueil d'O'Brien" in page and "Excel" not in page.split("Rechercher")[-1]


def test_rows_show_the_cells_flask_admin_showed(app, db):
    sessions = [
        factories.make_session(
            label="<b>Gras</b> & co",
            publication=Publication.DRAFT,
            session_type=SessionType.INTER,
            start_date=date(2027, 3, 15),
            end_date=date(2027, 3, 16),
            duration_days=Decimal("1.5"),
        ),
        factories.make_session(status=WorkflowStatus.CONFIRMED, publication=Publication.PUBLISHED),
    ]
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "sessions")
    for locale in ("fr", "en"):
        with app.test_request_context(headers={"Accept-Language": locale}):
            from flask_babel import force_locale

            with force_locale(locale):
                columns = view.get_list_columns()
                rows = view.page_rows(sessions, columns)
                for session, (pk, cells) in zip(sessions, rows, strict=True):
                    assert pk == session.id
                    for (name, _label), cell in zip(columns, cells, strict=True):
                        expected = view.get_list_value(None, session, name)
                        assert escape(cell) == escape(expected), (locale, name, cell, expected)


def test_the_rows_and_their_training_come_in_one_statement(db, login_as, count_queries):
    for _ in range(3):
        factories.make_session()
    client = login_as(Role.MANAGER)
    with count_queries() as queries:
        page = client.get(LIST).get_data(as_text=True)
    rows = [s for s in queries.statements if "FROM training_session" in s and "count(" not in s.lower()]
    assert len(rows) == 1, rows
    assert "JOIN training" in rows[0]
    assert not [s for s in queries.statements if re.search(r"FROM training\s+WHERE", s)]
    session = db.session.scalars(sa.select(TrainingSession).order_by(TrainingSession.id.desc())).first()
    assert str(escape(session.training.name)) in page


def test_rows_escape_user_text_and_show_only_the_actions_of_the_role(db, login_as):
    session = factories.make_session(label='<b>Gras</b> & "co"')
    manager_page = login_as(Role.MANAGER).get(LIST).get_data(as_text=True)
    assert "&lt;b&gt;Gras&lt;/b&gt; &amp; &#34;co&#34;" in manager_page
    assert "<b>Gras</b>" not in manager_page
    assert f'href="/admin/sessions/edit/?id={session.id}"' in manager_page
    assert f'class="action-checkbox" value="{session.id}"' in manager_page
    viewer_page = login_as(Role.VIEWER).get(LIST).get_data(as_text=True)
    assert f'href="/admin/sessions/details/?id={session.id}"' in viewer_page
    assert f"/admin/sessions/edit/?id={session.id}" not in viewer_page
    assert f"?source={session.id}" not in viewer_page
