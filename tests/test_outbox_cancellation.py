"""Cancellations reach the outbox: a message written but not sent yet that no longer applies — its
session cancelled or back to draft, its sequence cancelled or deleted, its enrolment cancelled, its
dates moved, a newer version of the invitation written — is marked « Annulé (non envoyé) » and never
goes; what tells people of the cancellation goes (to a real SMTP server on loopback)."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes
from html import unescape

import sqlalchemy as sa

from trainadmin.models import (
    CalendarInvitation,
    EmailKind,
    EmailSchedule,
    OutboxMessage,
    OutboxState,
    Role,
    SequenceStatus,
    TrainingRequest,
    utcnow,
)
from trainadmin.services import participants, planning
from trainadmin.services.notifications import delivery
from trainadmin.services.notifications.schedule import refresh_schedule
from trainadmin.transaction import commit

from . import factories
from .conftest import post_form
from .delivery_support import make_rule, published_session


def pending_convocation(session, request, sequence=None):
    """A convocation written to the outbox and not sent yet (the SMTP server said « try later »)."""
    return factories.make_outbox_message(
        session,
        kind=EmailKind.CONVOCATION.value,
        recipient=request.collaborator.email,
        request_id=request.id,
        sequence_id=(sequence or session.sequences[0]).id,
    )


def states(db, **where) -> dict[int, OutboxState]:
    db.session.expire_all()
    query = sa.select(OutboxMessage)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return {row.id: row.state for row in db.session.scalars(query)}


def methods(smtp) -> list[str]:
    """The METHOD of each calendar invitation the SMTP server received."""
    found = []
    for item in smtp.received:
        for part in message_from_bytes(item.data).walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_payload(decode=True).decode()
                found.append(next(line for line in text.splitlines() if line.startswith("METHOD:"))[7:])
    return found


def test_cancelling_a_session_cancels_what_was_waiting_and_tells_the_participants(app, db, smtp, login_as):
    session = published_session(participants=2)
    session_requests = db.session.scalars(
        sa.select(TrainingRequest)
        .where(TrainingRequest.session_id == session.id)
        .order_by(TrainingRequest.id)
    ).all()
    waiting = [pending_convocation(session, request) for request in session_requests]
    make_rule(session, EmailKind.CANCELLATION, subject="Session annulée")
    db.session.flush()

    response = post_form(
        login_as(Role.OPS_MANAGER),
        f"/admin/sessions/status/?id={session.id}",
        {"status": "cancelled", "cancel_reason": "Formateur malade"},
    )

    assert response.status_code == 302
    assert {states(db)[message.id] for message in waiting} == {OutboxState.CANCELLED}
    subjects = sorted(item.message["Subject"] for item in smtp.received)
    assert subjects == ["Session annulée", "Session annulée"]  # the convocations never went
    assert {item.message["To"] for item in smtp.received} == {r.collaborator.email for r in session_requests}


def test_the_sent_e_mails_list_shows_a_cancelled_message_as_cancelled(app, db, login_as):
    session = published_session(participants=1)
    request = db.session.scalars(sa.select(TrainingRequest)).first()
    message = pending_convocation(session, request)
    factories.make_slot(session.sequences[0], days=[date(2027, 6, 1)])
    planning.save_sequence(
        session,
        {"label": "Annulée", "status": SequenceStatus.CANCELLED},
        factories.make_user(Role.ADMIN),
        "Salle indisponible",
        session.sequences[0],
    )
    db.session.flush()
    assert states(db)[message.id] == OutboxState.CANCELLED
    page = unescape(login_as(Role.MANAGER).get("/admin/outbox/").get_data(as_text=True))
    assert "Annulé (non envoyé)" in page
    filtered = (
        login_as(Role.MANAGER).get("/admin/outbox/?flt0_state_enumequal=CANCELLED").get_data(as_text=True)
    )
    assert request.collaborator.email in filtered


def test_back_to_draft_cancels_what_was_waiting(app, db, login_as):
    session = published_session(participants=0)
    request = factories.make_request(session)
    message = pending_convocation(session, request)
    response = post_form(
        login_as(Role.MANAGER), f"/admin/sessions/publication/?id={session.id}", {"publication": "draft"}
    )
    assert response.status_code == 302
    assert states(db)[message.id] == OutboxState.CANCELLED


def invited_session(db):
    """A published session with invitations on, one enrolled participant, two sequences with their
    invitation REQUESTs sent."""
    session = published_session(participants=0, calendar_invitations=True)
    other = factories.make_sequence(session, label="Jour 2")
    factories.make_slot(other, days=[date(2027, 6, 10)])
    [request], _ = participants.enrol(
        session, [factories.make_collaborator().id], factories.make_user(Role.ADMIN)
    )
    delivery.dispatch_tick(commit)
    return session, request, other


def test_deleting_a_sequence_in_the_planning_editor_sends_its_attendees_a_cancel(app, db, smtp, login_as):
    session, request, other = invited_session(db)
    assert sorted(methods(smtp)) == ["REQUEST", "REQUEST"]
    convocation = pending_convocation(session, request, other)

    response = post_form(
        login_as(Role.OPS_MANAGER),
        f"/admin/sessions/sequence/delete/?id={session.id}&sequence={other.id}",
        {"change_reason": "Journée supprimée"},
    )

    assert response.status_code == 302
    assert methods(smtp) == ["REQUEST", "REQUEST", "CANCEL"]
    cancel = smtp.received[-1]
    assert cancel.message["To"] == request.collaborator.email
    assert states(db)[convocation.id] == OutboxState.CANCELLED


def test_cancelling_an_enrolment_cancels_its_messages_and_invitations(app, db, smtp, login_as):
    session, request, _ = invited_session(db)
    convocation = pending_convocation(session, request)

    response = post_form(
        login_as(Role.MANAGER),
        f"/admin/demandes/cancel/?id={request.id}",
        {"cancel_reason": "illness", "cancel_details": ""},
    )

    assert response.status_code == 302
    assert states(db)[convocation.id] == OutboxState.CANCELLED
    assert methods(smtp) == ["REQUEST", "REQUEST", "CANCEL", "CANCEL"]


def test_a_newer_version_of_an_invitation_replaces_the_one_not_sent_yet(app, db):
    session, request, other = invited_session(db)
    invitation = db.session.scalars(
        sa.select(CalendarInvitation).where(CalendarInvitation.sequence_id == other.id)
    ).one()
    slot = other.slots[0]
    data = planning.SlotInput(
        dates=[(date(2027, 6, 11), slot.dates[0].start_time, slot.dates[0].end_time, 60)]
    )
    admin = factories.make_user(Role.ADMIN)
    planning.save_slot(other, data, admin, reason="Report", slot=slot)
    data.dates = [(date(2027, 6, 12), slot.dates[0].start_time, slot.dates[0].end_time, 60)]
    planning.save_slot(other, data, admin, reason="Report encore", slot=slot)

    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.invitation_id == invitation.id)
        .order_by(OutboxMessage.id)
    ).all()
    assert [row.state for row in rows] == [OutboxState.KEPT, OutboxState.CANCELLED, OutboxState.PENDING]
    assert "20270612" in rows[-1].calendar and "20270611" in rows[1].calendar


def test_a_schedule_moved_after_its_messages_were_written_cancels_them(app, db):
    session = published_session(participants=1)
    rule = make_rule(session, EmailKind.CONVOCATION, delay_days=-7)
    sequence = session.sequences[0]
    refresh_schedule(session, now=utcnow() - timedelta(days=400))
    row = db.session.scalars(sa.select(EmailSchedule).where(EmailSchedule.rule_id == rule.id)).one()
    row.prepared_at = utcnow()
    written = factories.make_outbox_message(
        session, schedule_id=row.id, sequence_id=sequence.id, rule_id=rule.id
    )
    slot = sequence.slots[0]
    data = planning.SlotInput(
        dates=[(date(2027, 5, 20), slot.dates[0].start_time, slot.dates[0].end_time, 60)]
    )
    planning.save_slot(sequence, data, factories.make_user(Role.ADMIN), reason="Report", slot=slot)
    assert states(db)[written.id] == OutboxState.CANCELLED
