"""Conflict checks: a slot may not book a trainer or a room already busy at the same hours."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from trainadmin.models import Location, SequenceStatus, WorkflowStatus
from trainadmin.services.planning.conflicts import (
    Clash,
    clash_message,
    find_clashes,
    room_capacity_warning,
)

from . import factories

MONDAY = date(2027, 3, 15)
TUESDAY = date(2027, 3, 16)
WEDNESDAY = date(2027, 3, 17)


def rhone():
    return factories.make_room(
        name="Salle Rhône", capacity=12, location=factories.make_named(Location, name="Campus Lyon")
    )


def booked(db, days=(MONDAY,), start=time(9), end=time(17), *, sequence=None, room=None, trainers=(), **kw):
    """A slot already saved, with the same hours on each of its days."""
    slot = factories.make_slot(
        sequence, days=list(days), room=room, location=room.location if room else None, **kw
    )
    for slot_date in slot.dates:
        slot_date.start_time, slot_date.end_time = start, end
    slot.trainers.extend(trainers)
    db.session.flush()
    return slot


def test_a_room_booked_at_overlapping_hours_clashes(db):
    room = rhone()
    other = booked(db, start=time(9), end=time(12), room=room)
    booked(db, start=time(9), end=time(12), room=factories.make_room())  # another room, same hours
    session = other.sequence.session

    clashes = find_clashes([(MONDAY, time(11), time(15))], room.id, [])

    assert clashes == [
        Clash(
            kind="room",
            resource="Salle Rhône (Campus Lyon)",
            session_id=session.id,
            session_code=session.code,
            session_label=session.label,
            day=MONDAY,
            start=time(9),
            end=time(12),
            slot_id=other.id,
        )
    ]


@pytest.mark.parametrize(
    ("existing", "checked"),
    [((time(9), time(12)), (time(12), time(17))), ((time(12), time(17)), (time(9), time(12)))],
    ids=["after", "before"],
)
def test_touching_hours_do_not_clash(db, existing, checked):
    room, trainer = rhone(), factories.make_trainer()
    booked(db, start=existing[0], end=existing[1], room=room, trainers=[trainer])

    assert find_clashes([(MONDAY, *checked)], room.id, [trainer.id]) == []


def test_another_day_does_not_clash(db):
    room, trainer = rhone(), factories.make_trainer()
    booked(db, days=[MONDAY], room=room, trainers=[trainer])

    assert find_clashes([(TUESDAY, time(9), time(17))], room.id, [trainer.id]) == []


@pytest.mark.parametrize("cancelled", ["session", "sequence"])
def test_cancelled_sessions_and_sequences_free_their_resources(db, cancelled):
    room, trainer = rhone(), factories.make_trainer()
    slot = booked(db, room=room, trainers=[trainer])
    if cancelled == "session":
        slot.sequence.session.status = WorkflowStatus.CANCELLED
    else:
        slot.sequence.status = SequenceStatus.CANCELLED
    db.session.flush()

    assert find_clashes([(MONDAY, time(9), time(17))], room.id, [trainer.id]) == []


def test_a_trainer_of_another_slot_clashes(db):
    claire = factories.make_trainer(first_name="Claire", last_name="Martin")
    other = booked(db, trainers=[claire, factories.make_trainer()])

    clashes = find_clashes([(MONDAY, time(14), time(18))], None, [claire.id])

    assert [(c.kind, c.resource, c.slot_id, c.day) for c in clashes] == [
        ("trainer", "Claire Martin", other.id, MONDAY)
    ]


def test_a_trainer_who_is_co_trainer_of_another_slot_clashes(db):
    claire = factories.make_trainer(first_name="Claire", last_name="Martin")
    other = booked(db, co_trainer=claire)

    clashes = find_clashes([(MONDAY, time(9), time(10))], None, [claire.id])

    assert [(c.kind, c.resource, c.slot_id) for c in clashes] == [("trainer", "Claire Martin", other.id)]


def test_a_co_trainer_who_trains_in_another_slot_clashes(db):
    claire = factories.make_trainer(first_name="Claire", last_name="Martin")
    other = booked(db, trainers=[claire])
    trainers, co_trainer = [factories.make_trainer()], claire  # the slot being saved

    clashes = find_clashes([(MONDAY, time(16), time(18))], None, [t.id for t in trainers] + [co_trainer.id])

    assert [(c.resource, c.slot_id) for c in clashes] == [("Claire Martin", other.id)]


def test_a_trainer_listed_twice_on_the_other_slot_is_one_clash(db):
    claire = factories.make_trainer()
    booked(db, trainers=[claire], co_trainer=claire)

    assert len(find_clashes([(MONDAY, time(9), time(17))], None, [claire.id, claire.id])) == 1


def test_the_slot_being_edited_does_not_clash_with_itself(db):
    room, trainer = rhone(), factories.make_trainer()
    slot = booked(db, room=room, trainers=[trainer])
    dates = [(d.day, d.start_time, d.end_time) for d in slot.dates]

    assert find_clashes(dates, room.id, [trainer.id], exclude_slot_id=slot.id) == []
    assert {c.slot_id for c in find_clashes(dates, room.id, [trainer.id])} == {slot.id}


def test_other_slots_of_the_same_session_clash(db):
    room, trainer = rhone(), factories.make_trainer()
    first = booked(db, room=room, trainers=[trainer])
    sequence = factories.make_sequence(first.sequence.session)
    second = booked(db, sequence=sequence, room=factories.make_room(), trainers=[trainer])

    clashes = find_clashes([(MONDAY, time(9), time(17))], None, [trainer.id], exclude_slot_id=second.id)

    assert [(c.session_id, c.slot_id) for c in clashes] == [(first.sequence.session_id, first.id)]


def test_several_dates_at_once_sorted_by_day_kind_and_resource(db):
    room = rhone()
    ana = factories.make_trainer(first_name="Ana", last_name="Blanc")
    zoe = factories.make_trainer(first_name="Zoé", last_name="Arnaud")
    on_monday = booked(db, days=[MONDAY], start=time(14), end=time(17), trainers=[zoe, ana])
    on_wednesday = booked(db, days=[WEDNESDAY, TUESDAY], start=time(9), end=time(12), room=room)
    booked(db, days=[TUESDAY], start=time(13), end=time(17), trainers=[ana])  # afternoon: free

    clashes = find_clashes(
        [(MONDAY, time(9), time(17)), (TUESDAY, time(9), time(12)), (WEDNESDAY, time(10), time(11))],
        room.id,
        [ana.id, zoe.id],
    )

    assert [(c.day, c.kind, c.resource, c.slot_id) for c in clashes] == [
        (MONDAY, "trainer", "Ana Blanc", on_monday.id),
        (MONDAY, "trainer", "Zoé Arnaud", on_monday.id),
        (TUESDAY, "room", "Salle Rhône (Campus Lyon)", on_wednesday.id),
        (WEDNESDAY, "room", "Salle Rhône (Campus Lyon)", on_wednesday.id),
    ]


def test_nothing_to_check_runs_no_query(db, count_queries):
    with count_queries() as counter:
        assert find_clashes([(MONDAY, time(9), time(17))], None, []) == []
        assert find_clashes([], 1, [1]) == []
    assert counter.count == 0


def test_one_statement_for_one_date_or_twenty(db, count_queries):
    room, trainer, co_trainer = rhone(), factories.make_trainer(), factories.make_trainer()
    days = [MONDAY + timedelta(days=i) for i in range(20)]
    booked(db, days=days[::5], room=room, trainers=[trainer], co_trainer=co_trainer)

    counts = []
    for checked, expected in ((days[:1], 3), (days, 12)):
        with count_queries() as counter:
            clashes = find_clashes(
                [(d, time(9), time(17)) for d in checked], room.id, [trainer.id, co_trainer.id]
            )
        assert len(clashes) == expected  # room, trainer and co-trainer on each booked day
        counts.append(counter.count)
    assert counts == [1, 1]


def test_a_room_smaller_than_the_maximum_capacity_gets_a_warning(db):
    room = rhone()  # 12 places

    warning = room_capacity_warning(room, 14)

    assert warning is not None
    assert "Salle Rhône (Campus Lyon)" in warning and "12" in warning and "14" in warning
    assert room_capacity_warning(room, 12) is None
    assert room_capacity_warning(room, None) is None
    assert room_capacity_warning(None, 14) is None
    room.capacity = None
    assert room_capacity_warning(room, 14) is None


@pytest.mark.parametrize("kind", ["room", "trainer"])
def test_the_message_names_the_session_the_date_and_the_hours(db, kind):
    clash = Clash(
        kind=kind,
        resource="Salle Rhône (Campus Lyon)" if kind == "room" else "Claire Martin",
        session_id=7,
        session_code="2027-0042",
        session_label="Management d'équipe",
        day=MONDAY,
        start=time(9),
        end=time(12, 30),
        slot_id=3,
    )

    message = clash_message(clash)

    for text in (clash.resource, "2027-0042", "Management d'équipe", "15/03/2027", "09:00–12:30"):
        assert text in message
