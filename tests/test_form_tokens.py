"""A create form sent twice is applied once: each rendering carries a `form_token`, the first sending
records it with the change, the second is answered like the first (same redirect) with « Ce
formulaire a déjà été enregistré. »; a refused form can be corrected and sent again."""

from __future__ import annotations

import re
import threading
from datetime import date
from html import unescape
from io import BytesIO

import pytest
import sqlalchemy as sa

from trainadmin.models import (
    Cost,
    CostType,
    Document,
    EmailSchedule,
    Financing,
    FormToken,
    ImportRun,
    Location,
    OutboxMessage,
    Publication,
    Role,
    Sequence,
    Slot,
    SurveyResponse,
    TrainingRequest,
    TrainingSession,
)

from . import factories
from .conftest import count_rows, csrf_token, login

ALREADY = "Ce formulaire a déjà été enregistré."
FORM_RE = re.compile(r'<form\b[^>]*\baction="([^"]*)"[^>]*>(.*?)</form>', re.S)
TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def world(db, storage):
    session = factories.make_session(label="Session", publication=Publication.PUBLISHED, capacity_max=10)
    sequence = factories.make_sequence(session, label="Jour 1")
    factories.make_slot(sequence, days=[date(2027, 5, 10)], location=factories.make_location())
    enrolled = factories.enrol(session)
    session.evaluation = factories.make_named(factories.Evaluation, questions="Clarté\nUtilité")
    document = factories.make_document(session=session)
    from trainadmin.services.notifications.rules import copy_rules

    copy_rules(session)
    db.session.flush()
    return {
        "session": session,
        "sequence": sequence,
        "enrolled": enrolled,
        "cost_type": factories.make_named(CostType, name="Formateur"),
        "document_type_id": document.document_type_id,
        "partner": factories.make_partner(name="Partenaire"),
        "collaborator": factories.make_collaborator(),
        "schedule": db.session.scalars(sa.select(EmailSchedule)).first(),
        "training": session.training,
    }


def _file(name: str, data: bytes):
    return (BytesIO(data), name)


#: name → (address, what is posted, rows that the form creates, page where the form is shown).
def forms(w) -> dict:
    s = w["session"].id
    return {
        "cost": (
            f"/admin/sessions/cost/add/?id={s}",
            lambda: {"cost_type_id": str(w["cost_type"].id), "amount": "250", "split": "global"},
            Cost,
            f"/admin/sessions/details/?id={s}&tab=costs&cost_type={w['cost_type'].id}",
        ),
        "financing": (
            f"/admin/sessions/financing/add/?id={s}",
            lambda: {"funder": "OPCO", "amount": "100", "status": "requested"},
            Financing,
            f"/admin/sessions/details/?id={s}&tab=costs",
        ),
        "enrolment": (
            f"/admin/sessions/enrol/?id={s}",
            lambda: {"collaborator_ids": str(w["collaborator"].id)},
            TrainingRequest,
            f"/admin/sessions/details/?id={s}&tab=participants&q={w['collaborator'].last_name}",
        ),
        "sequence": (
            f"/admin/sessions/sequence/save/?id={s}",
            lambda: {"label": "Jour 2", "status": "planned", "change_reason": "Demande du client"},
            Sequence,
            f"/admin/sessions/details/?id={s}",
        ),
        "slot": (
            f"/admin/sessions/slot/save/?id={s}&amp;sequence={w['sequence'].id}",
            lambda: {
                "dates-0-day": "2027-05-11",
                "dates-0-start_time": "09:00",
                "dates-0-end_time": "17:00",
                "dates-0-break_minutes": "60",
                "change_reason": "Demande du client",
            },
            Slot,
            f"/admin/sessions/slot/form/?id={s}&sequence={w['sequence'].id}",
        ),
        "document": (
            "/admin/documents/upload/",
            lambda: {
                "owner": "session",
                "owner_id": str(s),
                "document_type_id": str(w["document_type_id"]),
                "file": _file("programme.pdf", factories.PDF_BYTES),
            },
            Document,
            f"/admin/sessions/details/?id={s}&tab=documents",
        ),
        "response": (
            f"/admin/sessions/evaluation/response/?id={s}",
            lambda: {"request_id": str(w["enrolled"].id), "kind": "session", "score:Clarté": "4"},
            SurveyResponse,
            f"/admin/sessions/details/?id={s}&tab=evaluation",
        ),
        "responses import": (
            f"/admin/sessions/evaluation/import/?id={s}",
            lambda: {
                "file": _file(
                    "reponses.csv",
                    f"email;type;Clarté;Utilité\n{w['enrolled'].collaborator.email};session;4;5\n".encode(),
                )
            },
            SurveyResponse,
            f"/admin/sessions/details/?id={s}&tab=evaluation",
        ),
        "duplicate": (
            f"/admin/sessions/duplicate/?source={s}",
            lambda: {"source": str(s), "year": "2028", "start_date": "2028-01-03", "end_date": "2028-01-04"},
            TrainingSession,
            f"/admin/sessions/duplicate/?source={s}",
        ),
        "session": (
            "/admin/sessions/new/",
            lambda: {
                "training": str(w["training"].id),
                "year": "2027",
                "label": "Nouvelle",
                "session_type": "intra",
                "capacity_min": "1",
                "capacity_target": "5",
                "capacity_max": "10",
                "_prefilled": "1",
            },
            TrainingSession,
            "/admin/sessions/new/",
        ),
        "location": (
            "/admin/locations/new/",
            lambda: {"name": "Campus Nord"},
            Location,
            "/admin/locations/new/",
        ),
        "cost type": (
            "/admin/cost_types/new/",
            lambda: {"name": "Salle"},
            CostType,
            "/admin/cost_types/new/",
        ),
        "import": (
            "/admin/imports/start/",
            lambda: {"partner": str(w["partner"].id), "file": _file("flux.csv", b"reference\n")},
            ImportRun,
            "/admin/imports/start/",
        ),
        "send now": (
            f"/admin/sessions/emails/send-now/?id={s}&amp;schedule={w['schedule'].id}",
            dict,
            OutboxMessage,
            f"/admin/sessions/details/?id={s}&tab=emails",
        ),
    }


def rendered_token(client, page: str, action: str) -> str:
    """The token of the form posted to `action`, as the page renders it."""
    html = client.get(page).get_data(as_text=True)
    for form_action, body in FORM_RE.findall(html):
        if form_action.startswith(action) or (form_action == "" and page.startswith(action)):
            match = TOKEN_RE.search(body)
            assert match, f"the form to {action} on {page} has no form_token"
            return match.group(1)
    raise AssertionError(f"no form to {action} on {page}")


@pytest.mark.parametrize(
    "name",
    [
        "cost",
        "financing",
        "enrolment",
        "sequence",
        "slot",
        "document",
        "response",
        "responses import",
        "duplicate",
        "session",
        "location",
        "cost type",
        "import",
        "send now",
    ],
)
def test_a_create_form_sent_twice_with_its_token_is_applied_once(db, world, login_as, name):
    client = login_as(Role.ADMIN)
    action, data, model, page = forms(world)[name]
    token = rendered_token(client, page, action)
    url = unescape(action)
    before = count_rows(db, model)

    first = client.post(url, data={"csrf_token": client.csrf, "form_token": token, **data()})
    if name == "duplicate":  # its success is a page: « Session dupliquée », with a link to the copy
        assert first.status_code == 200 and "duplicate-done" in first.get_data(as_text=True)
        copy = db.session.scalar(sa.select(sa.func.max(TrainingSession.id)))
        first.headers["Location"] = f"/admin/sessions/details/?id={copy}"
    else:
        assert first.status_code == 302, (name, first.status_code)
    assert count_rows(db, model) > before, f"{name}: the first sending saved nothing"
    after_first = count_rows(db, model)

    again = client.post(url, data={"csrf_token": client.csrf, "form_token": token, **data()})
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]  # answered like the first
    assert count_rows(db, model) == after_first  # applied once
    shown = unescape(client.get(again.headers["Location"]).get_data(as_text=True))
    assert ALREADY in shown

    # A new rendering of the form is a new form: it is applied again.
    fresh = rendered_token(client, page, action)
    assert fresh != token


def test_a_refused_form_keeps_its_token_free_for_the_corrected_sending(db, world, login_as):
    client = login_as(Role.MANAGER)
    action, data, model, page = forms(world)["cost"]
    token = rendered_token(client, page, action)
    refused = client.post(
        action, data={"csrf_token": client.csrf, "form_token": token, **data(), "amount": "beaucoup"}
    )
    assert refused.status_code == 302 and count_rows(db, Cost) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FormToken)) == 0
    corrected = client.post(action, data={"csrf_token": client.csrf, "form_token": token, **data()})
    assert corrected.status_code == 302 and count_rows(db, Cost) == 1


def test_the_planning_editor_sent_twice_by_its_script_is_told_and_sent_to_the_page(db, world, login_as):
    client = login_as(Role.OPS_MANAGER)
    action, data, model, page = forms(world)["sequence"]
    token = rendered_token(client, page, action)
    json = {"Accept": "application/json"}
    body = {"csrf_token": client.csrf, "form_token": token, **data()}
    first = client.post(action, data=body, headers={**json, "Referer": f"http://localhost{page}"})
    assert first.get_json()["ok"]
    again = client.post(action, data=body, headers={**json, "Referer": f"http://localhost{page}"})
    answer = again.get_json()
    assert answer["applied"] and answer["redirect"] == page and answer["message"] == ALREADY
    assert count_rows(db, Sequence) == 2


def test_a_form_without_token_is_applied_as_before(db, world, login_as):
    client = login_as(Role.MANAGER)
    action, data, model, page = forms(world)["financing"]
    for _ in range(2):
        assert client.post(action, data={"csrf_token": client.csrf, **data()}).status_code == 302
    assert count_rows(db, Financing) == 2


def test_every_create_form_of_the_lists_carries_a_token(app, db, login_as):
    client = login_as(Role.ADMIN)
    pages = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.endswith(".create_view") and "GET" in rule.methods and not rule.arguments
    )
    checked = 0
    for page in pages:
        response = client.get(page)
        if response.status_code != 200:
            continue  # a list without « Créer »
        assert TOKEN_RE.search(response.get_data(as_text=True)), f"{page}: no form_token"
        checked += 1
    assert checked >= 10


def test_two_sendings_at_the_same_moment_apply_the_form_once(app, committed_db):
    """Two gunicorn workers get the same form at once: the second waits on the token's key and is
    answered like the first."""
    from .test_faults import committed_client, need_postgresql

    need_postgresql(app)
    session = factories.make_session(label="Double clic")
    committed_db.session.commit()
    session_id = session.id
    first = committed_client(app)
    second = app.test_client()  # the same user, in another worker
    assert login(second, first.email).status_code == 302
    second.csrf = csrf_token(second, "/admin/")
    clients = [first, second]
    token = "double-click-token-0123456789"
    answers: list = []
    barrier = threading.Barrier(2)

    def send(client):
        with app.app_context():
            barrier.wait()
            answers.append(
                client.post(
                    f"/admin/sessions/financing/add/?id={session_id}",
                    data={
                        "csrf_token": client.csrf,
                        "form_token": token,
                        "funder": "OPCO",
                        "amount": "100",
                        "status": "requested",
                    },
                )
            )

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [answer.status_code for answer in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert (
        committed_db.session.scalar(sa.select(sa.func.count()).where(Financing.session_id == session_id)) == 1
    )


def test_tokens_older_than_a_week_are_forgotten_when_their_user_posts_again(db, world, login_as, users):
    from datetime import timedelta

    from trainadmin.form_tokens import KEEP
    from trainadmin.models import utcnow

    manager = users[Role.MANAGER]
    other = users[Role.ADMIN]
    old = utcnow() - KEEP - timedelta(hours=1)
    for token, user in (("old-token-of-the-manager-0001", manager), ("old-token-of-the-admin-00001", other)):
        db.session.add(FormToken(token=token, user_id=user.id, created_at=old))
    db.session.add(FormToken(token="recent-token-of-the-manager-1", user_id=manager.id, created_at=utcnow()))
    db.session.flush()
    client = login_as(Role.MANAGER)
    action, data, model, page = forms(world)["financing"]
    token = rendered_token(client, page, action)
    assert (
        client.post(action, data={"csrf_token": client.csrf, "form_token": token, **data()}).status_code
        == 302
    )
    kept = set(db.session.scalars(sa.select(FormToken.token)))
    assert kept == {"old-token-of-the-admin-00001", "recent-token-of-the-manager-1", token}
