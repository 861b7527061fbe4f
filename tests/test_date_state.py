"""What each slot date books — its room, whether it is cancelled, its trainers and co-trainer — is
copied for the « Planning » calendar (services/planning/date_state.py); every change made through
the product leaves the copies equal to the slots, and the calendar shows what the editors saved."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import Role, SequenceStatus, SlotDate, TrainerBooking, WorkflowStatus
from trainadmin.services.planning import delete_slot, move_slot_date, save_sequence, save_slot
from trainadmin.services.planning.slots import SlotInput
from trainadmin.services.sessions.workflow import change_status

from . import factories
from .date_state_support import stale_copies

MONDAY = date(2027, 5, 10)
EVENTS = "/admin/calendar/events/"


@pytest.fixture
def planned(any_db):
    """A session with one slot on Monday: a room, two trainers, one of them also co-trainer."""
    location = factories.make_location(name="Campus Lyon")
    other_room = factories.make_room(location=location)
    claire, paul = factories.make_trainer(first_name="Claire"), factories.make_trainer(first_name="Paul")
    sequence = factories.make_sequence(factories.make_session())
    data = SlotInput(
        location_id=location.id,
        room_id=location.rooms[0].id,
        trainer_ids=[claire.id, paul.id],
        co_trainer_id=claire.id,
        dates=[(MONDAY, time(9), time(17), 60), (date(2027, 5, 11), time(9), time(12), 0)],
    )
    slot = save_slot(sequence, data, None).slot
    return {"slot": slot, "data": data, "other_room": other_room, "claire": claire, "paul": paul}


def bookings_of(slot_date_id) -> set[int]:
    return set(
        _db.session.scalars(
            sa.select(TrainerBooking.trainer_id).where(TrainerBooking.slot_date_id == slot_date_id)
        )
    )


def test_a_saved_slot_books_its_room_and_each_trainer_once(planned):
    monday = planned["slot"].dates[0]
    assert (monday.room_id, monday.cancelled) == (planned["data"].room_id, False)
    assert bookings_of(monday.id) == {planned["claire"].id, planned["paul"].id}
    assert stale_copies() == []


def test_the_copies_follow_the_planning_editor(planned):
    slot, data = planned["slot"], planned["data"]
    data.room_id, data.trainer_ids, data.co_trainer_id = planned["other_room"].id, [planned["paul"].id], None
    data.dates = [(MONDAY, time(13), time(18), 0)]
    save_slot(slot.sequence, data, None, slot=slot)
    (monday,) = slot.dates
    assert (monday.room_id, bookings_of(monday.id)) == (planned["other_room"].id, {planned["paul"].id})
    assert stale_copies() == []


def test_the_copies_follow_a_calendar_move(planned):
    slot = planned["slot"]
    move_slot_date(slot.dates[0].id, date(2027, 5, 12), time(10), time(16), None)
    booked = _db.session.execute(
        sa.select(TrainerBooking.day, TrainerBooking.start_time, TrainerBooking.end_time)
        .join(SlotDate, SlotDate.id == TrainerBooking.slot_date_id)
        .where(SlotDate.slot_id == slot.id)
        .distinct()
        .order_by(TrainerBooking.day)
    ).all()
    assert booked == [(date(2027, 5, 11), time(9), time(12)), (date(2027, 5, 12), time(10), time(16))]
    assert stale_copies() == []


def test_a_cancelled_sequence_or_session_books_nothing_and_back_again(planned):
    sequence = planned["slot"].sequence
    session = sequence.session
    save_sequence(
        session, {"label": sequence.label, "status": SequenceStatus.CANCELLED}, None, sequence=sequence
    )
    assert [d.cancelled for d in planned["slot"].dates] == [True, True] and stale_copies() == []
    save_sequence(
        session, {"label": sequence.label, "status": SequenceStatus.PLANNED}, None, sequence=sequence
    )
    assert [d.cancelled for d in planned["slot"].dates] == [False, False] and stale_copies() == []
    change_status(session, WorkflowStatus.CANCELLED, None, datetime(2027, 1, 4, 9), reason="Formateur absent")
    assert [d.cancelled for d in planned["slot"].dates] == [True, True] and stale_copies() == []


def test_a_deleted_slot_or_co_trainer_takes_its_bookings_along(planned, any_db):
    slot = planned["slot"]
    ids = [d.id for d in slot.dates]
    # A co-trainer leaves: his bookings go with him (he is not among the slot's trainers here).
    data = planned["data"]
    data.trainer_ids, data.co_trainer_id = [planned["claire"].id], planned["paul"].id
    save_slot(slot.sequence, data, None, slot=slot)
    any_db.session.delete(planned["paul"])
    any_db.session.flush()
    assert stale_copies() == []
    delete_slot(slot, None)
    assert any_db.session.scalar(sa.select(sa.func.count()).where(TrainerBooking.slot_date_id.in_(ids))) == 0
    assert any_db.session.scalar(sa.select(sa.func.count()).where(SlotDate.id.in_(ids))) == 0


def test_the_calendar_shows_the_clashes_the_planning_editor_made(login_as, db):
    """Two sessions on Monday in two rooms with two trainers: no clash. The planning editor puts
    the second in the first's room with the first's trainer: both dates show both clashes."""
    ops = login_as(Role.OPS_MANAGER)
    location = factories.make_location(name="Campus Lyon")
    room, other_room = location.rooms[0], factories.make_room(location=location)
    claire, paul = factories.make_trainer(first_name="Claire"), factories.make_trainer(first_name="Paul")
    first = factories.make_sequence(factories.make_session())
    save_slot(
        first, SlotInput(location.id, room.id, [claire.id], dates=[(MONDAY, time(9), time(17), 60)]), None
    )
    second = factories.make_sequence(factories.make_session())
    slot = save_slot(
        second,
        SlotInput(location.id, other_room.id, [paul.id], dates=[(MONDAY, time(14), time(18), 0)]),
        None,
    ).slot
    week = {"start": "2027-05-10", "end": "2027-05-17"}

    def flags():
        data = ops.get(EVENTS, query_string=week).get_json()
        return [dict(zip(data["fields"], row, strict=True))["flags"] & (8 | 16) for row in data["events"]]

    assert flags() == [0, 0]
    answer = ops.post(
        f"/admin/sessions/slot/save/?id={second.session_id}&sequence={second.id}&slot={slot.id}",
        data={
            "csrf_token": ops.csrf,
            "location_id": location.id,
            "room_id": room.id,
            "trainer_ids": [claire.id],
            "dates-0-day": "2027-05-10",
            "dates-0-start_time": "14:00",
            "dates-0-end_time": "18:00",
            "dates-0-break_minutes": "0",
            "override_reason": "Salle partagée ce jour-là",
        },
        headers={"Accept": "application/json"},
    )
    assert answer.get_json()["ok"], answer.get_json()
    assert flags() == [8 | 16, 8 | 16]
    assert stale_copies() == []
