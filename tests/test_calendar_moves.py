"""« Planning »: a slot date dragged on the calendar is moved by `move_slot_date`, which saves the
slot through the planning editor's service — the same lock, clashes, signed dates and calendar
updates."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from trainadmin.models import (
    HalfDay,
    OutboxMessage,
    Publication,
    Role,
    SessionHistory,
    Signature,
    SignatureVia,
    SlotChange,
    SlotDate,
)
from trainadmin.services.errors import DomainError, ValidationFailed
from trainadmin.services.notifications import calendar as invitations
from trainadmin.services.planning import move_slot_date
from trainadmin.services.sessions import SessionLocked

from . import factories
from .conftest import history_lines
from .signin_support import signature_png


def _two_dates():
    slot = factories.make_slot(days=[date(2027, 5, 10), date(2027, 5, 11)])
    return slot, slot.dates[0], slot.dates[1]


def test_a_date_moves_to_another_day_and_hours_the_others_stay(db):
    slot, first, second = _two_dates()
    user = factories.make_user(Role.MANAGER)
    result = move_slot_date(first.id, date(2027, 5, 12), time(10), time(16), user)
    assert result.slot.id == slot.id
    assert [(d.day, d.start_time, d.end_time, d.break_minutes) for d in slot.dates] == [
        (date(2027, 5, 11), time(9), time(17), 60),
        (date(2027, 5, 12), time(10), time(16), 60),
    ]
    assert slot.sequence.session.start_date == date(2027, 5, 11)
    assert slot.sequence.session.end_date == date(2027, 5, 12)
    entry = db.session.scalars(sa.select(SessionHistory).order_by(SessionHistory.id.desc())).first()
    assert entry.action == "changed"


def test_the_slot_keeps_its_place_and_people(db):
    location = factories.make_location()
    trainer = factories.make_trainer()
    slot = factories.make_slot(days=[date(2027, 5, 10)], location=location, room=location.rooms[0])
    slot.trainers = [trainer]
    slot.host_name = "Accueil"
    db.session.flush()
    move_slot_date(slot.dates[0].id, date(2027, 5, 14), time(9), time(17), factories.make_user(Role.MANAGER))
    assert slot.room_id == location.rooms[0].id and slot.trainers == [trainer] and slot.host_name == "Accueil"


def test_a_room_already_booked_refuses_the_move(db):
    location = factories.make_location()
    room = location.rooms[0]
    factories.make_slot(days=[date(2027, 5, 12)], location=location, room=room)
    slot = factories.make_slot(days=[date(2027, 5, 10)], location=location, room=room)
    with pytest.raises(ValidationFailed) as refusal:
        move_slot_date(
            slot.dates[0].id, date(2027, 5, 12), time(10), time(12), factories.make_user(Role.MANAGER)
        )
    assert "est déjà réservée le 12/05/2027" in refusal.value.errors["room"]
    db.session.expire_all()
    assert [d.day for d in slot.dates] == [date(2027, 5, 10)]


def test_an_operations_manager_overrides_a_booked_room_with_a_reason(db):
    location = factories.make_location()
    room = location.rooms[0]
    factories.make_slot(days=[date(2027, 5, 12)], location=location, room=room)
    slot = factories.make_slot(days=[date(2027, 5, 10)], location=location, room=room)
    ops = factories.make_user(Role.OPS_MANAGER)
    with pytest.raises(ValidationFailed) as refusal:
        move_slot_date(slot.dates[0].id, date(2027, 5, 12), time(10), time(12), ops)
    assert "indiquez le motif de la dérogation" in refusal.value.errors["room"]
    result = move_slot_date(
        slot.dates[0].id, date(2027, 5, 12), time(10), time(12), ops, override_reason="Salle partagée"
    )
    assert [d.day for d in result.slot.dates] == [date(2027, 5, 12)]
    assert any("déjà réservée" in warning for warning in result.warnings)


def test_a_manager_cannot_move_a_date_of_a_session_with_participants(db):
    slot = factories.make_slot(days=[date(2027, 5, 10)])
    factories.enrol(slot.sequence.session)
    with pytest.raises(SessionLocked):
        move_slot_date(
            slot.dates[0].id, date(2027, 5, 11), time(9), time(17), factories.make_user(Role.MANAGER)
        )


def test_an_operations_manager_must_say_why(db):
    slot = factories.make_slot(days=[date(2027, 5, 10)])
    factories.enrol(slot.sequence.session)
    ops = factories.make_user(Role.OPS_MANAGER)
    with pytest.raises(DomainError) as refusal:
        move_slot_date(slot.dates[0].id, date(2027, 5, 11), time(9), time(17), ops)
    assert refusal.value.field == "change_reason"
    move_slot_date(slot.dates[0].id, date(2027, 5, 11), time(9), time(17), ops, reason="Formateur malade")
    assert [d.day for d in slot.dates] == [date(2027, 5, 11)]


def test_a_date_signed_online_does_not_move(db):
    slot = factories.make_slot(days=[date(2027, 5, 10)])
    signed = slot.dates[0]
    db.session.add(
        Signature(
            slot_date_id=signed.id,
            half_day=HalfDay.MORNING,
            request_id=factories.enrol(slot.sequence.session).id,
            image=signature_png(),
            image_sha256="0" * 64,
            ip="192.0.2.1",
            user_agent="test",
            via=SignatureVia.LINK,
        )
    )
    db.session.flush()
    with pytest.raises(ValidationFailed) as refusal:
        move_slot_date(
            signed.id, date(2027, 5, 11), time(9), time(17), factories.make_user(Role.ADMIN), reason="Report"
        )
    assert "Le 10/05/2027 a été émargé en ligne" in refusal.value.errors["dates"]
    db.session.expire_all()
    assert db.session.get(SlotDate, signed.id).day == date(2027, 5, 10)


def _calendar_messages(db, request):
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.kind == "calendar", OutboxMessage.request_id == request.id)
        .order_by(OutboxMessage.id)
    ).all()


def test_participants_get_the_calendar_update_or_not_as_asked(db):
    session = factories.make_session(publication=Publication.PUBLISHED, calendar_invitations=True)
    slot = factories.make_slot(factories.make_sequence(session), days=[date(2027, 5, 10)])
    request = factories.enrol(session)
    invitations.invite(request)
    assert len(_calendar_messages(db, request)) == 1
    ops = factories.make_user(Role.OPS_MANAGER)

    move_slot_date(slot.dates[0].id, date(2027, 5, 11), time(9), time(17), ops, reason="Report")
    loud = db.session.scalars(sa.select(SlotChange).where(SlotChange.session_id == session.id)).one()
    assert loud.notify is True and loud.processed_at is not None
    assert loud.changes["dates"] == [["10/05/2027 09:00–17:00"], ["11/05/2027 09:00–17:00"]]
    update = _calendar_messages(db, request)[-1]
    assert len(_calendar_messages(db, request)) == 2
    assert "20270511" in update.calendar  # the participant's invitation now says the 11th

    move_slot_date(slot.dates[0].id, date(2027, 5, 12), time(9), time(17), ops, reason="Encore", notify=False)
    silent = db.session.scalars(sa.select(SlotChange).order_by(SlotChange.id.desc())).first()
    assert silent.notify is False
    assert len(_calendar_messages(db, request)) == 2  # « ne pas envoyer »: nothing new to send
    silent_line, loud_line = history_lines(session.id)[:2]
    assert "Invitations calendrier : mises à jour [Report]" in loud_line
    assert "Invitations calendrier : non mises à jour (à la demande) [Encore]" in silent_line


def test_a_date_that_no_longer_exists(db):
    with pytest.raises(DomainError) as refusal:
        move_slot_date(999_999, date(2027, 5, 11), time(9), time(17), factories.make_user(Role.ADMIN))
    assert refusal.value.field == "slot_date"
