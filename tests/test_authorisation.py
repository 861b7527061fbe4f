"""Authorisation beyond the role matrix: guessed ids, crafted parameters, bulk actions, the API,
and redirects that must stay on the site."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from trainadmin.models import (
    Cost,
    EmailSchedule,
    Population,
    Publication,
    Role,
    Sequence,
    Slot,
    TrainingSession,
)

from . import factories
from .conftest import PASSWORD, csrf_token
from .delivery_support import due_schedule

GARBAGE_IDS = ["", "abc", "-1", "0", "1.5", "99999999999999999999", "1;DROP TABLE cost", "%00", "1e3", "١٢"]


@pytest.fixture
def two_sessions(db):
    """Session A (the one in the address) and session B, whose objects are guessed."""
    mine = factories.make_session()
    factories.make_slot(factories.make_sequence(mine), days=[date(2027, 3, 1)])
    theirs = factories.make_session()
    slot = factories.make_slot(factories.make_sequence(theirs), days=[date(2027, 4, 1)])
    cost = Cost(session=theirs, cost_type=factories.make_named(factories.CostType), amount=Decimal("800"))
    db.session.add(cost)
    db.session.flush()
    schedule = due_schedule(theirs)
    return {
        "mine": mine.id,
        "theirs": theirs.id,
        "cost": cost.id,
        "sequence": slot.sequence_id,
        "slot": slot.id,
        "schedule": schedule.id,
        "slot_date": slot.dates[0].id,
    }


# (method, path, the query parameter that names B's object, its key in `two_sessions`, form data)
SUB_ENDPOINTS = [
    ("post", "/admin/sessions/cost/delete/", "cost", "cost", {}),
    ("post", "/admin/sessions/sequence/delete/", "sequence", "sequence", {"change_reason": "x"}),
    ("post", "/admin/sessions/sequence/move/", "sequence", "sequence", {"direction": "up"}),
    ("post", "/admin/sessions/sequence/save/", "sequence", "sequence", {"label": "Renamed by a guess"}),
    ("get", "/admin/sessions/sequence/form/", "sequence", "sequence", None),
    ("post", "/admin/sessions/slot/delete/", "slot", "slot", {"change_reason": "x"}),
    ("post", "/admin/sessions/slot/save/", "slot", "slot", {"dates": "2027-05-05"}),
    ("get", "/admin/sessions/slot/form/", "slot", "slot", None),
    ("post", "/admin/sessions/emails/send-now/", "schedule", "schedule", {}),
    ("post", "/admin/sessions/emails/skip/", "schedule", "schedule", {}),
    ("post", "/admin/sessions/emails/replan/", "schedule", "schedule", {}),
]


def snapshot(db) -> dict:
    db.session.expire_all()
    return {
        "costs": db.session.scalars(sa.select(Cost.id).order_by(Cost.id)).all(),
        "sequences": db.session.execute(
            sa.select(Sequence.id, Sequence.label, Sequence.position).order_by(Sequence.id)
        ).all(),
        "slots": db.session.scalars(sa.select(Slot.id).order_by(Slot.id)).all(),
        "schedules": db.session.execute(
            sa.select(EmailSchedule.id, EmailSchedule.state, EmailSchedule.due_at, EmailSchedule.skipped)
        ).all(),
    }


@pytest.mark.parametrize(("method", "path", "param", "key", "data"), SUB_ENDPOINTS)
def test_an_object_of_another_session_is_not_found_and_nothing_changes(
    login_as, db, two_sessions, method, path, param, key, data
):
    client = login_as(Role.ADMIN)
    before = snapshot(db)
    query = {"id": two_sessions["mine"], param: two_sessions[key]}
    if method == "post":
        response = client.post(path, query_string=query, data={**data, "csrf_token": client.csrf})
    else:
        response = client.get(path, query_string=query)
    assert response.status_code == 404
    assert snapshot(db) == before


@pytest.mark.parametrize(("method", "path", "param", "key", "data"), SUB_ENDPOINTS)
def test_garbage_ids_never_give_a_server_error(login_as, db, two_sessions, method, path, param, key, data):
    client = login_as(Role.ADMIN)
    before = snapshot(db)
    for garbage in GARBAGE_IDS:
        queries = [{"id": garbage, param: two_sessions[key]}]
        if garbage:  # no object id at all means "a new one" on the forms and saves
            queries.append({"id": two_sessions["mine"], param: garbage})
        for query in queries:
            if method == "post":
                response = client.post(path, query_string=query, data={**data, "csrf_token": client.csrf})
            else:
                response = client.get(path, query_string=query)
            assert response.status_code in {400, 404}, (path, query, response.status_code)
    assert snapshot(db) == before


def test_the_attendance_sheet_of_a_date_of_another_session_is_not_found(login_as, two_sessions):
    client = login_as(Role.ADMIN)
    sheet = "/admin/sessions/attendance/sheet/"
    response = client.get(sheet, query_string={"id": two_sessions["mine"], "date": two_sessions["slot_date"]})
    assert response.status_code == 404
    own = client.get(sheet, query_string={"id": two_sessions["theirs"], "date": two_sessions["slot_date"]})
    assert own.status_code == 200 and own.mimetype == "application/pdf"


def test_bulk_actions_with_foreign_and_garbage_ids_change_nothing(login_as, db):
    draft = factories.make_session()
    db.session.flush()
    client = login_as(Role.MANAGER)
    for ids in (["999999"], ["abc"], ["-1"], ["1 OR 1=1"], [""]):
        response = client.post(
            "/admin/sessions/action/",
            data={"action": "publish", "rowid": ids, "csrf_token": client.csrf},
        )
        assert response.status_code in {302, 400, 404}, (ids, response.status_code)
    db.session.expire_all()
    assert db.session.get(TrainingSession, draft.id).publication == Publication.DRAFT
    viewer = login_as(Role.VIEWER)
    response = viewer.post(
        "/admin/sessions/action/",
        data={"action": "publish", "rowid": [str(draft.id)], "csrf_token": viewer.csrf},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(TrainingSession, draft.id).publication == Publication.DRAFT


API_KEY = "learner-app-key-0123456789"


def test_the_api_never_returns_a_draft_or_another_population_whatever_the_parameters(
    app, db, client, monkeypatch
):
    monkeypatch.setitem(app.config, "TRAINADMIN_API_KEYS", [API_KEY])
    sales, finance = Population(name="Ventes"), Population(name="Finance")
    db.session.add_all([sales, finance])
    collaborator = factories.make_collaborator()
    collaborator.populations.append(sales)
    day = date.today() + timedelta(days=40)
    sessions = {}
    for name, publication, populations in (
        ("open", Publication.PUBLISHED, [sales]),
        ("draft", Publication.DRAFT, [sales]),
        ("foreign", Publication.PUBLISHED, [finance]),
    ):
        session = factories.make_session(year=day.year, publication=publication)
        factories.make_slot(factories.make_sequence(session), days=[day])
        session.populations.extend(populations)
        sessions[name] = session.code
    db.session.flush()
    crafted = [
        {},
        {"publication": "draft"},
        {"status": "draft", "population": "Finance"},
        {"populations": "Finance", "all": "1", "include_drafts": "true"},
        {"code": sessions["draft"]},
        {"id": "1 OR 1=1"},
        {"page_size": "100", "page": "1"},
    ]
    for params in crafted:
        response = client.get(
            "/api/v1/catalog",
            query_string={"collaborator": collaborator.email, **params},
            headers={"X-API-Key": API_KEY},
        )
        assert response.status_code == 200, params
        codes = [session["code"] for session in response.get_json()["sessions"]]
        assert codes == [sessions["open"]], params


HOSTILE_NEXT = [
    "//evil.example",
    "//evil.example/admin/",
    "https://evil.example",
    "http://evil.example/admin/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " //evil.example",
    "/%2F%2Fevil.example",
    "///evil.example",
    "https:evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "data:text/html,<script>alert(1)</script>",
]


def assert_on_site(response) -> None:
    assert response.status_code in {302, 303}
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
    # As a browser reads it: tabs and newlines dropped, backslashes as slashes.
    seen = urlsplit(re.sub(r"[\t\n\r]", "", location).replace("\\", "/"))
    assert not seen.scheme and not seen.netloc, location


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_next_stays_on_the_site(client, users, target):
    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": users[Role.MANAGER].email, "password": PASSWORD, "csrf_token": token},
    )
    assert_on_site(response)
    # Already logged in: the login page redirects again, to the site only.
    assert_on_site(client.get("/login", query_string={"next": target}))


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_language_switch_next_stays_on_the_site(client, db, target):
    token = csrf_token(client)
    response = client.post("/locale/en", data={"next": target, "csrf_token": token})
    assert_on_site(response)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_admin_url_parameters_do_not_redirect_off_site(login_as, db, target):
    client = login_as(Role.ADMIN)
    session = factories.make_session()
    db.session.flush()
    response = client.post(
        "/admin/sessions/publication/",
        query_string={"id": session.id, "url": target, "next": target},
        data={"csrf_token": client.csrf},
    )
    if response.status_code in {301, 302, 303}:
        assert_on_site(response)
