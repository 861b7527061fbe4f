"""Every admin page renders with the demo data, in French and in English, on both databases,
with a number of SQL queries that does not grow with the page size."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask import url_for
from markupsafe import escape

from trainadmin.demo import seed_demo
from trainadmin.models import Role, TrainingSession, User

from .conftest import login
from .test_roles import model_views

TODAY = date(2026, 11, 28)


@pytest.fixture
def demo(any_db):
    seed_demo(admin_password="demo-password-1", today=TODAY)
    any_db.session.flush()
    return any_db


def _admin_client(app, db, locale):
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    admin.locale = locale
    db.session.flush()
    client = app.test_client()
    assert login(client, admin.email, "demo-password-1").status_code == 302
    return client


@pytest.mark.parametrize(
    ("locale", "words"),
    [("fr", ["Tableau de bord", "Sessions", "Formations"]), ("en", ["Dashboard", "Sessions", "Trainings"])],
)
def test_every_page_renders_with_demo_data(any_app, demo, locale, words):
    client = _admin_client(any_app, demo, locale)
    dashboard = client.get("/admin/").get_data(as_text=True)
    for word in words:
        assert word in dashboard
    session = demo.session.scalar(sa.select(TrainingSession).where(TrainingSession.sequence_count > 1))
    for view in model_views(any_app):
        with any_app.test_request_context():
            list_url = url_for(f"{view.endpoint}.index_view")
        response = client.get(list_url)
        assert response.status_code == 200, view.endpoint
    page = client.get(f"/admin/sessions/details/?id={session.id}").get_data(as_text=True)
    assert session.code in page
    for sequence in session.sequences:
        assert str(escape(sequence.label)) in page


def test_details_and_edit_pages_render(any_app, demo):
    client = _admin_client(any_app, demo, "fr")
    for view in model_views(any_app):
        obj_id = demo.session.scalar(sa.select(view.model.id).order_by(view.model.id).limit(1))
        assert obj_id is not None, f"the demo has no {view.model.__name__}"
        for endpoint in ("details_view", "edit_view") if view.allow_edit else ("details_view",):
            with any_app.test_request_context():
                url = url_for(f"{view.endpoint}.{endpoint}", id=obj_id)
            assert client.get(url).status_code == 200, url


def test_french_dates_on_the_session_list(app, db, login_as):
    from . import factories

    factories.make_slot(days=[date(2027, 3, 15)])
    page = login_as(Role.VIEWER).get("/admin/sessions/").get_data(as_text=True)
    assert "15/03/2027" in page


def test_list_pages_run_a_constant_number_of_queries(app, demo, count_queries):
    client = _admin_client(app, demo, "fr")
    for view in model_views(app):
        with app.test_request_context():
            small = url_for(f"{view.endpoint}.index_view", page_size=5)
            large = url_for(f"{view.endpoint}.index_view", page_size=50)
        with count_queries() as few:
            assert client.get(small).status_code == 200
        with count_queries() as many:
            assert client.get(large).status_code == 200
        assert many.count == few.count, (
            f"{view.endpoint}: {few.count} queries for 5 rows, {many.count} for 50"
        )


def test_buttons_use_the_guide_words(app, db, login_as):
    page = login_as(Role.ADMIN).get("/admin/trainings/new/").get_data(as_text=True)
    assert 'value="Sauvegarder"' in page
    assert "Enregistrer" not in page


def test_pages_load_nothing_from_outside(app, db, login_as):
    """No font, script or style from another site: privacy of the users, and it works offline."""
    client = login_as(Role.ADMIN)
    for url in ("/admin/", "/admin/sessions/", "/admin/sessions/new/", "/login"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', page), url
    theme = app.config["FLASK_ADMIN_SWATCH"]
    css_url = f"/admin/static/bootstrap/bootstrap4/swatch/{theme}/bootstrap.min.css"
    css = client.get(css_url).get_data(as_text=True)
    assert "googleapis" not in css and "@import url(http" not in css
