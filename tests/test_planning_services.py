"""Derived dates and durations, at the service level."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from trainadmin.models import Role
from trainadmin.services.planning import dates as planning
from trainadmin.services.planning import sequences
from trainadmin.services.planning.slots import SlotInput, save_slot

from . import factories


def test_several_dates_count_days_and_hours(db):
    slot = factories.make_slot(days=[date(2027, 5, 3), date(2027, 5, 4), date(2027, 5, 5)])
    session = slot.sequence.session
    assert (session.start_date, session.end_date) == (date(2027, 5, 3), date(2027, 5, 5))
    assert (session.duration_days, session.duration_hours) == (Decimal(3), Decimal(21))
    assert (slot.sequence.start_date, slot.sequence.end_date) == (date(2027, 5, 3), date(2027, 5, 5))


def test_overrides_win(db):
    slot = factories.make_slot(days=[date(2027, 5, 3), date(2027, 5, 4)], duration_days=Decimal("1.5"))
    slot.duration_hours = Decimal("10.5")
    planning.refresh_session(slot.sequence.session)
    assert (slot.sequence.session.duration_days, slot.sequence.session.duration_hours) == (
        Decimal("1.5"),
        Decimal("10.5"),
    )


def test_prework_moves_the_dates_not_the_duration(db):
    session = factories.make_session()
    prework = factories.make_sequence(session, is_prework=True, position=0)
    main = factories.make_sequence(session, position=1)
    factories.make_slot(prework, days=[date(2027, 4, 26)])
    factories.make_slot(main, days=[date(2027, 5, 3)])
    assert (session.start_date, session.end_date) == (date(2027, 4, 26), date(2027, 5, 3))
    assert session.duration_days == Decimal(1)


def test_discontinuous_sequences(db):
    session = factories.make_session()
    first, second = factories.make_sequence(session, position=0), factories.make_sequence(session, position=1)
    factories.make_slot(first, days=[date(2027, 5, 15)])
    factories.make_slot(second, days=[date(2027, 6, 27)])
    assert (session.start_date, session.end_date) == (date(2027, 5, 15), date(2027, 6, 27))
    assert session.duration_days == Decimal(2) and session.sequence_count == 2
    assert (second.start_date, second.end_date) == (date(2027, 6, 27), date(2027, 6, 27))


def test_no_slot_keeps_the_planned_dates(db):
    session = factories.make_session(planned_start_date=date(2027, 9, 6), planned_end_date=date(2027, 9, 10))
    planning.refresh_session(session)
    assert (session.start_date, session.end_date) == (date(2027, 9, 6), date(2027, 9, 10))


def test_services_recompute_on_every_change(db):
    session = factories.make_session()
    user = factories.make_user(role=Role.MANAGER)
    sequence = sequences.save_sequence(session, {"label": "Jour 1"}, user)
    result = save_slot(sequence, SlotInput(dates=[(date(2027, 3, 1), time(9), time(12), 0)]), user)
    assert session.start_date == date(2027, 3, 1) and session.duration_hours == Decimal(3)
    save_slot(sequence, SlotInput(dates=[(date(2027, 3, 8), time(9), time(12), 0)]), user, slot=result.slot)
    assert session.start_date == date(2027, 3, 8)
    sequences.delete_sequence(sequence, user)
    assert session.start_date is None and session.duration_hours == 0 and session.sequence_count == 0


def test_a_sequence_back_from_cancelled_cannot_take_a_room_booked_meanwhile(db):
    from datetime import time

    from trainadmin.models import SequenceStatus
    from trainadmin.services.errors import ValidationFailed
    from trainadmin.services.planning import SlotInput, save_slot

    admin = factories.make_user(Role.ADMIN)
    room = factories.make_room(name="Salle Rhône")
    day = [(date(2027, 3, 15), time(9), time(12), 0)]
    first = factories.make_sequence(label="Jour 1")
    save_slot(first, SlotInput(location_id=room.location_id, room_id=room.id, dates=day), admin)
    sequences.save_sequence(
        first.session, {"label": "Jour 1", "status": SequenceStatus.CANCELLED}, admin, "x", first
    )
    other = factories.make_sequence(label="Autre session")
    save_slot(
        other, SlotInput(location_id=room.location_id, room_id=room.id, dates=day), admin
    )  # the room is free

    with pytest.raises(ValidationFailed) as refused:
        sequences.save_sequence(
            first.session, {"label": "Jour 1", "status": SequenceStatus.PLANNED}, admin, "x", first
        )

    assert "Salle Rhône" in refused.value.errors["status"] and first.status == SequenceStatus.CANCELLED
