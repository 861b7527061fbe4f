"""The session list's own page (admin_views/session_list_page.py) draws what Flask-Admin's list page
drew: the same markup, normalised, for several pages, roles and languages; the same rows for the
same role (through the view's scoped queries); the same number of statements."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from trainadmin.models import Origin, Publication, Role, SessionType, TrainingSession, WorkflowStatus

from . import factories

LIST = "/admin/sessions/"
PAGES = [
    "",
    "?page_size=2",
    "?page_size=2&page=1",
    "?page=1&page_size=2&sort=1&desc=1",
    "?sort=4",
    "?search=Excel",
    "?search=nothing-matches",
    "?flt0_publication_enumequal=DRAFT",
    "?flt0_publication_enumequal=DRAFT&search=Excel&sort=1&desc=1&page_size=50",
    "?flt0_year_intequal=not-a-year",
    "?flt0_training_name_like=Bureautique&page_size=100",
    "?flt0_training_name_like=Bureautique&search=Excel&flt1_status_enumequal=CONFIRMED",
]


def normalised(page: str) -> str:
    """The markup without what changes between two requests (nonce, CSRF token's time) and with
    the whitespace around tags removed."""
    page = re.sub(r"<!--.*?-->", "", page, flags=re.S)
    page = re.sub(r'nonce="[^"]*"', 'nonce=""', page)
    page = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', page)
    page = re.sub(r"\s+", " ", page)
    return re.sub(r"\s*(<[^>]*>)\s*", r"\1\n", page).strip()


@pytest.fixture
def session_view(app):
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "sessions")
    yield view
    view.own_list_page = True


@pytest.fixture
def sessions(db):
    office = factories.make_training(name="Bureautique avancée", session_type=SessionType.INTER)
    partner = factories.make_partner()
    made = [
        factories.make_session(
            training=office,
            label="Excel : tableaux croisés <b>& « Paris »</b>",
            publication=Publication.DRAFT,
            start_date=date(2027, 3, 1),
            end_date=date(2027, 3, 2),
            duration_days=Decimal("1.5"),
        ),
        factories.make_session(
            training=office,
            label="Excel : formules — Lyon",
            publication=Publication.PUBLISHED,
            status=WorkflowStatus.CONFIRMED,
        ),
        factories.make_session(label="Management d'équipe", year=2026),
        factories.make_session(label="Prise de parole", origin=Origin.IMPORTED, partner=partner),
        factories.make_session(label="Sécurité", publication=Publication.DRAFT, year=2028),
    ]
    return made


def both_pages(client, view, url: str) -> tuple[str, str]:
    view.own_list_page = False
    flask_admin = client.get(url)
    view.own_list_page = True
    own = client.get(url)
    assert flask_admin.status_code == own.status_code == 200
    return normalised(flask_admin.get_data(as_text=True)), normalised(own.get_data(as_text=True))


@pytest.mark.parametrize(
    "role, locale",
    [(Role.ADMIN, None), (Role.MANAGER, "en"), (Role.VIEWER, None), (Role.OPS_MANAGER, "en")],
)
def test_the_own_page_is_flask_admins_page(sessions, login_as, session_view, role, locale):
    client = login_as(role, locale)
    for query in PAGES:
        flask_admin, own = both_pages(client, session_view, LIST + query)
        assert own == flask_admin, query


def test_a_filter_on_the_training_joins_it_beside_the_trainings_name_of_each_row(sessions, login_as):
    page = login_as(Role.ADMIN).get(f"{LIST}?flt0_training_name_like=Bureautique").get_data(as_text=True)
    assert page.count('name="rowid"') == 2
    assert page.count('<td class="col-training">Bureautique avancée</td>') == 2


def test_a_viewer_gets_no_checkbox_and_no_bulk_action(sessions, login_as, session_view):
    page = login_as(Role.VIEWER).get(LIST).get_data(as_text=True)
    assert 'name="rowid"' not in page and 'id="action_form"' not in page
    assert 'id="create-session"' not in page
    page = login_as(Role.MANAGER).get(LIST).get_data(as_text=True)
    assert page.count('name="rowid"') == len(sessions)
    assert "modelActions.execute('publish')" in page and 'id="action_form"' in page


def test_user_text_is_escaped(sessions, login_as):
    page = login_as(Role.ADMIN).get(LIST).get_data(as_text=True)
    assert "<b>&" not in page
    assert "Excel : tableaux croisés &lt;b&gt;&amp; « Paris »&lt;/b&gt;" in page


def test_the_message_of_a_bulk_action_shows_on_the_own_page(sessions, login_as, session_view):
    client = login_as(Role.MANAGER)
    alerts = []
    for own, action in ((False, "publish"), (True, "unpublish")):
        session_view.own_list_page = own
        response = client.post(
            f"{LIST}action/",
            data={"action": action, "rowid": [str(sessions[4].id)], "csrf_token": client.csrf, "url": LIST},
        )
        assert response.status_code == 302
        page = normalised(client.get(LIST).get_data(as_text=True))
        alerts.append(re.findall(r'<div class="alert[^>]*>.*?</div>', page, flags=re.S))
    assert alerts[0] and alerts[0] == alerts[1], alerts


def test_the_rows_are_read_through_the_views_scoped_queries(sessions, login_as, session_view, monkeypatch):
    """A scope added to the view's queries (as a role's would be) holds on the own page: its rows
    and its count."""
    hidden = sessions[2]
    scoped = session_view._scoped

    def without_hidden(query):
        return scoped(query).filter(type(hidden).id != hidden.id)

    monkeypatch.setattr(session_view, "_scoped", without_hidden)
    page = login_as(Role.ADMIN).get(LIST).get_data(as_text=True)
    assert f'value="{sessions[0].id}"' in page
    assert f'value="{hidden.id}"' not in page and hidden.code not in page
    assert f"Liste ({len(sessions) - 1})" in page


def test_the_own_page_runs_the_statements_of_flask_admins(sessions, login_as, session_view, count_queries):
    client = login_as(Role.ADMIN)
    counts = []
    for own in (False, True):
        session_view.own_list_page = own
        client.get(LIST)  # the chrome drawn once
        with count_queries() as queries:
            assert client.get(f"{LIST}?search=Excel").status_code == 200
        counts.append(queries.count)
    assert counts[1] <= counts[0] == 3, counts


def test_the_search_finds_what_ilike_finds_on_the_label(db, login_as):
    """The label is searched through its lower-case copy (`label_search`): the same rows as ILIKE,
    accents and case included."""
    labels = ["Éco-conduite (Paris)", "ÉCO-CONDUITE — Lyon", "Management (PARIS 8e)", "Comparaison", "Lyon"]
    made = {label: factories.make_session(label=label) for label in labels}
    client = login_as(Role.ADMIN)
    for term in ("paris", "PARIS", "éco", "ÉCO-c", "Conduite", "aris 8", "ison", "zzz"):
        page = client.get(f"{LIST}?search={term}").get_data(as_text=True)
        found = {label for label, session in made.items() if f'value="{session.id}"' in page}
        with_ilike = (
            db.session.query(TrainingSession.label)
            .filter(TrainingSession.id.in_([s.id for s in made.values()]))
            .filter(TrainingSession.label.ilike(f"%{term}%"))
        )
        assert found == {label for (label,) in with_ilike}, term
    assert made["Lyon"].label_search == "lyon"


@pytest.mark.parametrize(
    "query, refused",
    [
        ("?flt0_status_enumequal=bogus", True),
        ("?flt0_publication_enuminlist=DRAFT,nope", True),
        ("?flt0_status_enumequal=created", True),
        ("?page=-5", False),
    ],
)
def test_an_edited_address_gets_the_list_and_a_message_not_an_error(
    sessions, login_as, session_view, query, refused
):
    client = login_as(Role.ADMIN)
    for own in (False, True):
        session_view.own_list_page = own
        response = client.get(LIST + query)
        assert response.status_code == 200, (own, query)
        page = response.get_data(as_text=True)
        assert ('class="alert alert-danger' in page) is refused, (own, query)
        assert page.count('name="rowid"') == len(sessions)
