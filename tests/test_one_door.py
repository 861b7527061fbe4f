"""One door per change: every POST endpoint of the back office is walked, and no request writes a
session, its planning, its participants, its money, its documents, its e-mails or the links sent
to people without an account except through a service of its domain. A room already booked and a
slot move give the same answer whichever screen they are posted to.

The guard watches every flush: one that carries a domain object must come from code under
`trainadmin/services/` (the service that applies the rules). Endpoints that cannot go through a
service do not write (they answer 403)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, time
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession

from trainadmin.models import (
    AccessLink,
    Attendance,
    CalendarInvitation,
    CertificationResult,
    Cost,
    Document,
    EmailRule,
    EmailSchedule,
    Financing,
    OutboxMessage,
    Publication,
    RequestStep,
    Role,
    Sequence,
    SessionHistory,
    Slot,
    SlotChange,
    SlotDate,
    SurveyResponse,
    TrainingRequest,
    TrainingSession,
)
from trainadmin.services import planning

from . import factories
from .conftest import count_rows, post_form

DOMAIN = (
    TrainingSession,
    Sequence,
    Slot,
    SlotDate,
    SlotChange,
    TrainingRequest,
    RequestStep,
    Attendance,
    CertificationResult,
    Cost,
    Financing,
    Document,
    EmailRule,
    EmailSchedule,
    OutboxMessage,
    CalendarInvitation,
    SessionHistory,
    SurveyResponse,
    AccessLink,
)
SERVICES = "/trainadmin/services/"


def _from_a_service() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if SERVICES in frame.f_code.co_filename.replace("\\", "/"):
            return True
        frame = frame.f_back
    return False


def _caller() -> str:
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename.replace("\\", "/")
        if "/trainadmin/" in name:
            return f"{name.split('/trainadmin/')[1]}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back
    return "(tests)"


@contextmanager
def guarded() -> list[str]:
    """Collect the changes to a domain object made outside the services: an attribute set (or a
    collection changed) by other code, or a flush of domain objects started by other code."""
    violations: list[str] = []

    def changed(target, *args, **kwargs):
        if not _from_a_service():
            violations.append(f"{type(target).__name__} changed from {_caller()}")

    attributes = [
        (getattr(model, prop.key), event)
        for model in DOMAIN
        for prop in sa.inspect(model).attrs
        for event in (
            ("set", "append", "remove") if hasattr(prop, "direction") and prop.uselist else ("set",)
        )
    ]
    for attribute, event in attributes:
        sa.event.listen(attribute, event, changed)

    def before_flush(session, flush_context, instances):
        touched = [
            obj
            for obj in [*session.new, *session.deleted, *session.dirty]
            if isinstance(obj, DOMAIN) and (obj not in session.dirty or session.is_modified(obj))
        ]
        if touched and not _from_a_service():
            names = sorted({type(obj).__name__ for obj in touched})
            violations.append(f"{', '.join(names)} flushed from {_caller()}")

    sa.event.listen(OrmSession, "before_flush", before_flush)
    try:
        yield violations
    finally:
        sa.event.remove(OrmSession, "before_flush", before_flush)
        for attribute, event in attributes:
            sa.event.remove(attribute, event, changed)


def test_the_guard_sees_a_change_made_outside_the_services(db):
    session = factories.make_session(label="Avant")
    with guarded() as violations:
        session.label = "Changée par un écran"
        db.session.flush()
    assert violations == [
        "TrainingSession changed from (tests)",
        "TrainingSession flushed from (tests)",
    ]


# --- The world every endpoint is posted to ------------------------------------------------------


@pytest.fixture
def world(db, storage):
    session = factories.make_session(label="Session", publication=Publication.PUBLISHED, capacity_max=10)
    sequence = factories.make_sequence(session, label="Jour 1")
    slot = factories.make_slot(sequence, days=[date(2027, 5, 10)], location=factories.make_location())
    enrolled = factories.enrol(session)
    pending = factories.make_request(session)
    cost = factories.make_named(factories.CostType, name="Formateur")
    evaluation = factories.make_named(factories.Evaluation, questions="Clarté\nUtilité")
    session.evaluation = evaluation
    document = factories.make_document(session=session)
    from trainadmin.services.money import add_cost
    from trainadmin.services.notifications.rules import copy_rules, session_rules

    copy_rules(session)
    rules = session_rules(session)
    cost_line = add_cost(session, cost.id, Decimal(100), "global", None, None)
    db.session.flush()
    schedule = db.session.scalars(sa.select(EmailSchedule)).first()
    partner = factories.make_partner(name="Partenaire")
    run = factories.make_import_run(partner)
    return {
        "session": session,
        "sequence": sequence,
        "slot": slot,
        "enrolled": enrolled,
        "pending": pending,
        "cost_type": cost,
        "cost": cost_line,
        "evaluation": evaluation,
        "document": document,
        "rule": rules[0],
        "schedule": schedule,
        "partner": partner,
        "run": run,
        "collaborator": factories.make_collaborator(),
        "training": session.training,
        "trainer": factories.make_trainer(),
        "user": factories.make_user(role=Role.MANAGER),
    }


def _slot_form(day: str = "2027-05-11") -> dict:
    return {
        "dates-0-day": day,
        "dates-0-start_time": "09:00",
        "dates-0-end_time": "17:00",
        "dates-0-break_minutes": "60",
        "change_reason": "Demande du client",
    }


def _session_form(w) -> dict:
    s = w["session"]
    return {
        "training": str(s.training_id),
        "year": "2027",
        "label": "Session modifiée",
        "session_type": "intra",
        "capacity_min": "1",
        "capacity_target": "5",
        "capacity_max": "10",
        "calendar_invitations": "y",
        "expected_version": str(s.version),
        "change_reason": "Demande du client",
    }


def _file(name: str, data: bytes):
    return (BytesIO(data), name)


Recipe = Callable[[object, dict], object]

# What a user posts to each endpoint of the session's domain (a request that writes).
RECIPES: dict[str, Recipe] = {
    "sessions.create_view": lambda c, w: post_form(
        c, "/admin/sessions/new/", {"training": str(w["training"].id), "year": "2027", "_prefilled": "1"}
    ),
    "sessions.edit_view": lambda c, w: post_form(
        c, f"/admin/sessions/edit/?id={w['session'].id}", _session_form(w)
    ),
    "sessions.duplicate_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/duplicate/?source={w['session'].id}",
        {"source": w["session"].id, "year": "2028", "start_date": "2028-01-03", "end_date": "2028-01-04"},
    ),
    "sessions.publication_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/publication/?id={w['session'].id}",
        {"publication": "draft", "change_reason": "Demande du client"},
    ),
    "sessions.status_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/status/?id={w['session'].id}",
        {"status": "cancelled", "cancel_reason": "Formateur malade"},
    ),
    "sessions.action_view": lambda c, w: post_form(
        c, "/admin/sessions/action/", {"action": "recompute_dates", "rowid": [str(w["session"].id)]}
    ),
    "sessions.sequence_save_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/sequence/save/?id={w['session'].id}&sequence={w['sequence'].id}",
        {"label": "Jour 1 bis", "status": "planned", "change_reason": "Demande du client"},
    ),
    "sessions.sequence_move_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/sequence/move/?id={w['session'].id}&sequence={w['sequence'].id}",
        {"offset": "1", "change_reason": "Demande du client"},
    ),
    "sessions.sequence_delete_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/sequence/delete/?id={w['session'].id}&sequence={w['sequence'].id}",
        {"change_reason": "Demande du client"},
    ),
    "sessions.slot_save_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/slot/save/?id={w['session'].id}&sequence={w['sequence'].id}&slot={w['slot'].id}",
        _slot_form(),
    ),
    "calendar.move_view": lambda c, w: c.post(
        "/admin/calendar/move/",
        json={
            "slot_date": w["slot"].dates[0].id,
            "day": "2027-05-11",
            "start": "10:00",
            "end": "16:00",
            "change_reason": "Demande du client",
        },
        headers={"X-CSRFToken": c.csrf},
    ),
    "sessions.slot_delete_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/slot/delete/?id={w['session'].id}&slot={w['slot'].id}",
        {"change_reason": "Demande du client"},
    ),
    "sessions.enrol_view": lambda c, w: post_form(
        c, f"/admin/sessions/enrol/?id={w['session'].id}", {"collaborator_ids": str(w["collaborator"].id)}
    ),
    "sessions.attendance_save_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/attendance/?id={w['session'].id}",
        {f"attendance-{w['enrolled'].id}-{w['slot'].dates[0].id}-am": "present"},
    ),
    "sessions.signin_links_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/attendance/links/?id={w['session'].id}",
        {"slot_date_id": w["slot"].dates[0].id, "half_day": "am", "for": "participants"},
    ),
    "sessions.attendance_day_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/attendance/day/?id={w['session'].id}",
        {"slot_date_id": str(w["slot"].dates[0].id), "value": "present"},
    ),
    "sessions.cost_add_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/cost/add/?id={w['session'].id}",
        {"cost_type_id": str(w["cost_type"].id), "amount": "250", "split": "global"},
    ),
    "sessions.cost_delete_view": lambda c, w: post_form(
        c, f"/admin/sessions/cost/delete/?id={w['session'].id}&cost={w['cost'].id}", {}
    ),
    "sessions.financing_add_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/financing/add/?id={w['session'].id}",
        {"funder": "OPCO", "amount": "100", "status": "requested"},
    ),
    "sessions.evaluation_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/evaluation/?id={w['session'].id}",
        {"evaluation_id": "", "change_reason": "Demande du client"},
    ),
    "sessions.response_add_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/evaluation/response/?id={w['session'].id}",
        {"request_id": str(w["enrolled"].id), "kind": "session", "score:Clarté": "4", "score:Utilité": "5"},
    ),
    "sessions.responses_import_view": lambda c, w: c.post(
        f"/admin/sessions/evaluation/import/?id={w['session'].id}",
        data={
            "csrf_token": c.csrf,
            "file": _file(
                "reponses.csv",
                f"email;type;Clarté;Utilité\n{w['enrolled'].collaborator.email};session;4;5\n".encode(),
            ),
        },
    ),
    "sessions.emails_settings_view": lambda c, w: post_form(
        c, f"/admin/sessions/emails/settings/?id={w['session'].id}", {"change_reason": "Demande du client"}
    ),
    "sessions.emails_rules_view": lambda c, w: post_form(
        c,
        f"/admin/sessions/emails/rules/?id={w['session'].id}",
        {f"rule-{w['rule'].id}-present": "1", f"rule-{w['rule'].id}-bcc": "rh@example.com"},
    ),
    "sessions.emails_send_now_view": lambda c, w: post_form(
        c, f"/admin/sessions/emails/send-now/?id={w['session'].id}&schedule={w['schedule'].id}", {}
    ),
    "sessions.emails_skip_view": lambda c, w: post_form(
        c, f"/admin/sessions/emails/skip/?id={w['session'].id}&schedule={w['schedule'].id}", {}
    ),
    "sessions.emails_replan_view": lambda c, w: post_form(
        c, f"/admin/sessions/emails/replan/?id={w['session'].id}&schedule={w['schedule'].id}", {}
    ),
    "sessions.emails_defaults_view": lambda c, w: post_form(
        c, f"/admin/sessions/emails/defaults/?id={w['session'].id}", {}
    ),
    "demandes.validate_view": lambda c, w: post_form(
        c, f"/admin/demandes/validate/?id={w['pending'].id}", {}
    ),
    "demandes.refuse_view": lambda c, w: post_form(
        c, f"/admin/demandes/refuse/?id={w['pending'].id}", {"comment": "Pas cette année"}
    ),
    "demandes.manager_link_view": lambda c, w: post_form(
        c, f"/admin/demandes/manager-link/?id={w['pending'].id}", {}
    ),
    "demandes_todo.manager_link_view": lambda c, w: post_form(
        c, f"/admin/demandes_todo/manager-link/?id={w['pending'].id}", {}
    ),
    "links.page": lambda c, w: post_form(c, f"/l/{manager_token(w)}", {}),
    "links.subpage": lambda c, w: post_form(c, f"/l/{manager_token(w)}/accept", {"comment": "D'accord"}),
    "demandes.cancel_view": lambda c, w: post_form(
        c,
        f"/admin/demandes/cancel/?id={w['enrolled'].id}",
        {"cancel_reason": "illness", "cancel_details": ""},
    ),
    "demandes.action_view": lambda c, w: post_form(
        c, "/admin/demandes/action/", {"action": "validate", "rowid": [str(w["pending"].id)]}
    ),
    "documents.upload_view": lambda c, w: c.post(
        "/admin/documents/upload/",
        data={
            "csrf_token": c.csrf,
            "owner": "session",
            "owner_id": str(w["session"].id),
            "document_type_id": str(w["document"].document_type_id),
            "file": _file("programme.pdf", factories.PDF_BYTES),
        },
    ),
    "documents.delete_view": lambda c, w: post_form(c, f"/admin/documents/{w['document'].id}/delete", {}),
    "demandes_todo.validate_view": lambda c, w: post_form(
        c, f"/admin/demandes_todo/validate/?id={w['pending'].id}", {"comment": "Accord du manager"}
    ),
    "demandes_todo.refuse_view": lambda c, w: post_form(
        c, f"/admin/demandes_todo/refuse/?id={w['pending'].id}", {"comment": "Pas cette année"}
    ),
    "demandes_todo.cancel_view": lambda c, w: post_form(
        c,
        f"/admin/demandes_todo/cancel/?id={w['pending'].id}",
        {"cancel_reason": "workload", "cancel_details": ""},
    ),
    "demandes_todo.action_view": lambda c, w: post_form(
        c, "/admin/demandes_todo/action/", {"action": "validate", "rowid": [str(w["pending"].id)]}
    ),
    "imports.start_view": lambda c, w: c.post(
        "/admin/imports/start/",
        data={
            "csrf_token": c.csrf,
            "partner": str(w["partner"].id),
            "file": _file("flux.csv", b"reference\n"),
        },
    ),
    "imports.rerun_view": lambda c, w: post_form(c, "/admin/imports/rerun/", {"id": str(w["run"].id)}),
    "trainers.trainer_link_view": lambda c, w: post_form(
        c, f"/admin/trainers/link/?id={w['trainer'].id}", {}
    ),
    "trainers.feed_new_view": lambda c, w: post_form(
        c, f"/admin/trainers/feed/new/?id={w['trainer'].id}", {}
    ),
    "trainers.feed_revoke_view": lambda c, w: post_form(
        c, f"/admin/trainers/feed/revoke/?id={w['trainer'].id}", {}
    ),
    "locations.feed_new_view": lambda c, w: post_form(
        c,
        f"/admin/locations/feed/new/?id={w['slot'].location_id}&room={w['slot'].location.rooms[0].id}",
        {},
    ),
    "locations.feed_revoke_view": lambda c, w: post_form(
        c, f"/admin/locations/feed/revoke/?id={w['slot'].location_id}", {}
    ),
    "users.feed_revoke_view": lambda c, w: post_form(c, f"/admin/users/feed/revoke/?id={w['user'].id}", {}),
    "my_calendar.new_view": lambda c, w: post_form(c, "/admin/my-calendar/new/", {}),
    "my_calendar.revoke_view": lambda c, w: post_form(c, "/admin/my-calendar/revoke/", {}),
}

#: Screens over domain rows that cannot go through a service: they do not write.
READ_ONLY_VIEWS = ("slots", "outbox", "imports", "demandes", "demandes_todo")
GENERIC = ("create_view", "edit_view", "delete_view", "ajax_update")
#: Endpoints that write no session data.
OUTSIDE_THE_SESSIONS = ("auth.login", "auth.logout", "auth.set_locale")


def manager_token(world) -> str:
    """A manager's link to the pending demande (what the « Demande au manager » e-mail carries)."""
    from trainadmin.models import LinkPurpose
    from trainadmin.services import links

    pending = world["pending"]
    return links.issue(LinkPurpose.MANAGER_DECISION, "chef@example.com", request_id=pending.id)[1]


def post_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def refused(endpoint: str) -> bool:
    view, _, name = endpoint.partition(".")
    if view in ("slots", "outbox", "imports") and name == "action_view":
        return True  # no bulk action writes there (their « Supprimer » is not offered)
    return name in GENERIC and (
        view in READ_ONLY_VIEWS or view == "sessions" and name in ("delete_view", "ajax_update")
    )


def reference_endpoint(app, endpoint: str) -> bool:
    """Endpoints of the reference lists (formations, lieux, formateurs, users…): they write their
    own tables, never a session's."""
    view = endpoint.partition(".")[0]
    return view not in ("sessions", "documents", *READ_ONLY_VIEWS) and view not in ("auth",)


def test_every_post_endpoint_is_walked(app):
    unknown = sorted(
        endpoint
        for endpoint in post_endpoints(app)
        if endpoint not in RECIPES
        and not refused(endpoint)
        and not reference_endpoint(app, endpoint)
        and endpoint not in OUTSIDE_THE_SESSIONS
    )
    assert unknown == [], "a new POST endpoint: give it a recipe in RECIPES (or make it read-only)"


@pytest.mark.parametrize("endpoint", sorted(RECIPES))
def test_each_write_goes_through_its_service(app, world, login_as, endpoint):
    client = login_as(Role.ADMIN)
    with guarded() as violations:
        response = RECIPES[endpoint](client, world)
    assert response.status_code < 500
    assert response.status_code != 403, f"{endpoint}: refused to an administrator"
    assert violations == []


def generic_requests(app) -> list[tuple[str, str, dict]]:
    """(endpoint, url, form) of the generic create/edit/delete/inline-edit of every list."""
    found = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.arguments:
            continue
        view, _, name = rule.endpoint.partition(".")
        if name in GENERIC:
            found.append((rule.endpoint, rule.rule, {}))
    return sorted(found)


def test_read_only_screens_over_domain_rows_refuse_every_write(app, db, world, login_as):
    client = login_as(Role.ADMIN)
    ids = {
        "slots": world["slot"].id,
        "outbox": factories.make_outbox_message(world["session"]).id,
        "imports": world["run"].id,
        "demandes": world["pending"].id,
        "demandes_todo": world["pending"].id,
        "sessions": world["session"].id,
    }
    checked = 0
    before = {
        model: count_rows(db, model) for model in (Slot, OutboxMessage, TrainingRequest, TrainingSession)
    }
    with guarded() as violations:
        for view in ("slots", "outbox", "imports"):
            response = post_form(
                client, f"/admin/{view}/action/", {"action": "delete", "rowid": [str(ids[view])]}
            )
            assert response.status_code < 500
        for endpoint, url, _ in generic_requests(app):
            if not refused(endpoint):
                continue
            view = endpoint.partition(".")[0]
            data = {
                "id": str(ids[view]),
                "list_form_pk": str(ids[view]),
                "label": "x",
                "sequence": str(world["sequence"].id),
            }
            response = post_form(client, f"{url}?id={ids[view]}", data)
            assert response.status_code in (403, 404, 405), (endpoint, response.status_code)
            checked += 1
    assert violations == [] and checked == 4 * len(READ_ONLY_VIEWS) + 2
    assert {model: count_rows(db, model) for model in before} == before


def test_reference_lists_never_write_a_session(app, world, login_as):
    """Their forms, deletes and bulk deletes write their own tables; a row a session uses is kept."""
    client = login_as(Role.ADMIN)
    location = world["slot"].location
    with guarded() as violations:
        response = post_form(
            client, "/admin/locations/action/", {"action": "delete", "rowid": [str(location.id)]}
        )
        assert response.status_code == 302
        response = post_form(
            client, "/admin/trainings/action/", {"action": "delete", "rowid": [str(world["training"].id)]}
        )
        assert response.status_code == 302
    assert violations == []
    assert world["slot"].location_id == location.id


# --- A room already booked, a slot moved: the same answer from every screen ---------------------


def _booked(db):
    location = factories.make_location(name="Campus Lyon")
    room = location.rooms[0]
    taken = factories.make_slot(days=[date(2027, 3, 15)], location=location, room=room)
    taken.dates[0].start_time, taken.dates[0].end_time = time(9), time(17)
    other = factories.make_sequence(label="Autre session")
    db.session.flush()
    return location, room, other


def test_a_room_already_booked_is_refused_by_every_screen_that_takes_a_slot(db, login_as):
    location, room, sequence = _booked(db)
    manager = login_as(Role.MANAGER)
    clash = {
        "location_id": str(location.id),
        "room_id": str(room.id),
        "dates-0-day": "2027-03-15",
        "dates-0-start_time": "10:00",
        "dates-0-end_time": "12:00",
        "dates-0-break_minutes": "0",
    }
    editor = manager.post(
        f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}",
        data={"csrf_token": manager.csrf, **clash},
        headers={"Accept": "application/json"},
    )
    assert editor.status_code == 422 and "room" in editor.get_json()["errors"]
    mine = factories.make_slot(sequence, days=[date(2027, 3, 16)], location=location, room=room)
    dragged = manager.post(
        "/admin/calendar/move/",
        json={"slot_date": mine.dates[0].id, "day": "2027-03-15", "start": "10:00", "end": "12:00"},
        headers={"X-CSRFToken": manager.csrf},
    )
    assert (
        dragged.status_code == 422
        and dragged.get_json()["errors"]["room"] == editor.get_json()["errors"]["room"]
    )
    generic = {**clash, "sequence": str(sequence.id), "location": str(location.id), "room": str(room.id)}
    for url in ("/admin/slots/new/", f"/admin/slots/edit/?id={sequence.id}"):
        assert post_form(manager, url, generic).status_code == 403
    with pytest.raises(Exception) as service_refusal:
        planning.save_slot(
            sequence,
            planning.SlotInput(
                location_id=location.id, room_id=room.id, dates=[(date(2027, 3, 15), time(10), time(12), 0)]
            ),
            None,
        )
    assert "room" in service_refusal.value.errors
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Slot.sequence_id == sequence.id)) == 1
    assert [d.day for d in db.session.get(Slot, mine.id).dates] == [date(2027, 3, 16)]


def test_a_slot_move_on_a_session_with_participants_is_recorded_the_same_by_every_screen(db, login_as):
    ops = login_as(Role.OPS_MANAGER)
    slot = factories.make_slot(days=[date(2027, 3, 15)])
    session = slot.sequence.session
    factories.enrol(session)
    db.session.flush()
    move = _slot_form("2027-03-16")
    answer = ops.post(
        f"/admin/sessions/slot/save/?id={session.id}&sequence={slot.sequence_id}&slot={slot.id}",
        data={"csrf_token": ops.csrf, **move},
        headers={"Accept": "application/json"},
    )
    assert answer.get_json()["ok"]
    assert (
        post_form(
            ops, f"/admin/slots/edit/?id={slot.id}", {**move, "sequence": str(slot.sequence_id)}
        ).status_code
        == 403
    )
    changes = db.session.scalars(sa.select(SlotChange).where(SlotChange.session_id == session.id)).all()
    assert [change.changes["dates"] for change in changes] == [
        [["15/03/2027 09:00–17:00"], ["16/03/2027 09:00–17:00"]]
    ]
    entries = db.session.scalars(
        sa.select(SessionHistory).where(
            SessionHistory.session_id == session.id, SessionHistory.action == "changed"
        )
    ).all()
    assert len(entries) == 1 and entries[0].reason == "Demande du client"

    dragged = ops.post(  # the same move, dragged on « Planning »
        "/admin/calendar/move/",
        json={
            "slot_date": db.session.get(Slot, slot.id).dates[0].id,
            "day": "2027-03-17",
            "start": "09:00",
            "end": "17:00",
            "change_reason": "Demande du client",
        },
        headers={"X-CSRFToken": ops.csrf},
    )
    assert dragged.get_json()["ok"]
    changes = db.session.scalars(
        sa.select(SlotChange).where(SlotChange.session_id == session.id).order_by(SlotChange.id)
    ).all()
    assert changes[-1].changes["dates"] == [["16/03/2027 09:00–17:00"], ["17/03/2027 09:00–17:00"]]
    assert changes[-1].notify is True
    entries = db.session.scalars(
        sa.select(SessionHistory).where(
            SessionHistory.session_id == session.id, SessionHistory.action == "changed"
        )
    ).all()
    assert len(entries) == 2 and entries[-1].reason == "Demande du client"


def test_a_partner_feed_booking_a_taken_room_gets_the_planning_editors_refusal(db, login_as):
    from trainadmin.models import ImportRejection
    from trainadmin.services.imports import perform_run, queue_run

    location, room, sequence = _booked(db)
    training = factories.make_training(name="Cybersécurité", reference="NUM-CYBER")
    partner = factories.make_partner(name="Campus Partenaires")
    manager = login_as(Role.MANAGER)
    editor = manager.post(
        f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}",
        data={
            "csrf_token": manager.csrf,
            "location_id": str(location.id),
            "room_id": str(room.id),
            "dates-0-day": "2027-03-15",
            "dates-0-start_time": "10:00",
            "dates-0-end_time": "12:00",
            "dates-0-break_minutes": "0",
        },
        headers={"Accept": "application/json"},
    ).get_json()["errors"]["room"]
    feed = (
        "reference;training;title;sequence;slot;date;start_time;end_time;break_minutes;location;room;trainers\n"
        f"R1;{training.reference};Cyber;Jour 1;1;2027-03-15;10:00;12:00;0;{location.name};{room.name};\n"
    )
    run = perform_run(
        queue_run(partner, data=feed.encode(), filename="flux.csv", start=False).id,
        checkpoint=db.session.flush,
    )
    [reason] = db.session.scalars(sa.select(ImportRejection.reason).where(ImportRejection.run_id == run.id))
    assert editor in reason  # the same words from the editor and from the import
