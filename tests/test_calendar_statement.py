"""The « Planning » statement: the dates kept per day (`per_day`) are those of the whole range, with
the same clashes and details, whatever the filters; the clashes are those of the rule (same day,
room or trainer, overlapping hours, neither cancelled); PostgreSQL's JIT is off for it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest
import sqlalchemy as sa

from trainadmin.driver_sql import without_jit
from trainadmin.models import Publication, SequenceStatus, WorkflowStatus
from trainadmin.services.planning import refresh_date_state
from trainadmin.services.planning.bookings import BookingFilters, find_bookings
from trainadmin.services.planning.occupation import SHOWN_PER_CELL, resource_grid

from . import factories
from .conftest import rolled_back

MONDAY, TUESDAY = date(2027, 5, 10), date(2027, 5, 11)
END = date(2027, 5, 17)


@pytest.fixture
def busy(db):
    """Monday: six dates in one room (overlapping, touching, nested), one of them a draft, one in a
    cancelled session, one in a cancelled sequence; a trainer held twice (once as co-trainer); a
    second room. Tuesday: two dates, apart."""
    location = factories.make_location(name="Campus Lyon")
    room, other_room = location.rooms[0], factories.make_room(location=location)
    claire = factories.make_trainer(first_name="Claire", last_name="Martin")
    paul = factories.make_trainer(first_name="Paul", last_name="Durand")
    training = factories.make_training()

    def book(day, start, end, *, room=room, trainers=(), co_trainer=None, **session):
        session.setdefault("publication", Publication.PUBLISHED)
        sequence_status = session.pop("sequence_status", SequenceStatus.PLANNED)
        sequence = factories.make_sequence(
            factories.make_session(
                training=session.pop("training", None) or factories.make_training(), **session
            ),
            status=sequence_status,
        )
        slot = factories.make_slot(sequence, days=[day], location=location, room=room, co_trainer=co_trainer)
        slot.dates[0].start_time, slot.dates[0].end_time = time(*start), time(*end)
        slot.trainers = list(trainers)
        return slot

    book(MONDAY, (9,), (12,), trainers=[claire])
    book(MONDAY, (12,), (17,), trainers=[paul])  # touches the first: no clash
    book(MONDAY, (10,), (11,), trainers=[claire, paul], co_trainer=claire, publication=Publication.DRAFT)
    book(MONDAY, (8,), (18,), status=WorkflowStatus.CANCELLED, trainers=[claire])
    book(MONDAY, (14,), (15,), sequence_status=SequenceStatus.CANCELLED, trainers=[paul])
    book(MONDAY, (13,), (16,), training=training, trainers=[paul])
    book(MONDAY, (9,), (17,), room=other_room, co_trainer=paul)
    book(TUESDAY, (9,), (12,), trainers=[claire], training=training)
    book(TUESDAY, (13,), (17,), room=other_room, trainers=[claire])
    # Hours and trainers were set by hand after the slots were saved: copy them as a save would.
    refresh_date_state()
    return {"room": room, "claire": claire, "paul": paul, "training": training, "location": location}


def comparable(booking):
    """A date as the user sees it; the names' order within a cell is not part of the answer."""
    return replace(
        booking,
        trainers=", ".join(sorted((booking.trainers or "").split(", "))),
        trainer_ids=",".join(sorted((booking.trainer_ids or "").split(","))),
        trainer_clashes=", ".join(sorted((booking.trainer_clashes or "").split(", "))),
    )


def filter_cases(busy):
    return [
        BookingFilters(),
        BookingFilters(show_cancelled=True),
        BookingFilters(room_id=busy["room"].id),
        BookingFilters(trainer_id=busy["claire"].id),
        BookingFilters(training_id=busy["training"].id),
        BookingFilters(status=WorkflowStatus.CANCELLED),
        BookingFilters(publication=Publication.DRAFT),
        BookingFilters(location_id=busy["location"].id, show_cancelled=True),
    ]


def test_the_dates_kept_per_day_are_the_first_of_the_whole_range(busy):
    for filters in filter_cases(busy):
        every = [comparable(booking) for booking in find_bookings(MONDAY, END, filters)]
        for per_day in (1, 2, 3, 10):
            expected = []
            for day in sorted({booking.day for booking in every}):
                expected += [booking for booking in every if booking.day == day][:per_day]
            kept = [comparable(booking) for booking in find_bookings(MONDAY, END, filters, per_day)]
            assert kept == expected, (filters, per_day)


def test_the_clashes_are_those_of_the_rule(busy):
    every = find_bookings(MONDAY, END, BookingFilters(show_cancelled=True))
    assert len(every) == 9
    assert {booking.day_total for booking in every if booking.day == MONDAY} == {7}

    def overlap(one, other):
        return one.day == other.day and other.start < one.end and other.end > one.start

    for booking in every:
        others = [o for o in every if o is not booking and not o.cancelled and not booking.cancelled]
        room_clash = any(o.room_id == booking.room_id and overlap(booking, o) for o in others)
        trainers = {
            trainer_id for o in others if overlap(booking, o) for trainer_id in booking.held_by & o.held_by
        }
        names = {"Claire Martin" if t == busy["claire"].id else "Paul Durand" for t in trainers}
        assert booking.room_clash == room_clash, booking
        assert set(filter(None, (booking.trainer_clashes or "").split(", "))) == names, booking
    clashing = [(b.start, b.room_clash) for b in every if b.day == MONDAY and b.room_id == busy["room"].id]
    assert clashing == [
        (time(8), False),  # cancelled: never a clash
        (time(9), True),
        (time(10), True),
        (time(12), True),  # touches 09:00–12:00, overlaps 13:00–16:00
        (time(13), True),
        (time(14), False),  # its sequence is cancelled
    ]


def test_the_filters_never_hide_a_clash(busy):
    (draft,) = find_bookings(MONDAY, END, BookingFilters(publication=Publication.DRAFT))
    assert draft.room_clash and set(draft.trainer_clashes.split(", ")) == {"Claire Martin", "Paul Durand"}


def jit_setting(database) -> str:
    return database.session.execute(sa.text("SHOW jit")).scalar()


def test_without_jit_sets_it_off_for_the_transaction_on_postgresql(any_app):
    statements = []
    with rolled_back(any_app) as database:
        engine = database.session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            if engine.dialect.name == "postgresql":
                database.session.execute(sa.text("SET LOCAL jit = on"))
                assert jit_setting(database) == "on"
                without_jit()
                assert jit_setting(database) == "off"
            else:
                without_jit()
                assert statements == []
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)


@pytest.mark.parametrize("kind", ["rooms", "trainers"])
def test_the_room_and_trainer_tables_are_ranked_and_summed_in_sql(busy, kind):
    """Each cell: the first dates by start of that room or trainer (cancelled ones never count), the
    day's count, and each row's booked minutes, as counted from every date of the range."""
    every = [b for b in find_bookings(MONDAY, END, BookingFilters()) if not b.cancelled]
    grid = resource_grid(kind, MONDAY, END, BookingFilters())
    assert grid.rows
    for row in grid.rows:
        held = [
            b
            for b in every
            if (b.room_id == row.resource_id if kind == "rooms" else row.resource_id in b.held_by)
        ]
        assert row.booked_minutes == sum(b.booked_minutes for b in held), row.name
        for day in grid.days:
            that_day = [b.slot_date_id for b in held if b.day == day]
            assert [b.slot_date_id for b in row.cells.get(day, [])] == that_day[:SHOWN_PER_CELL]
            assert row.counts.get(day, 0) == len(that_day)
    paul = (
        next(row for row in grid.rows if row.resource_id == busy["paul"].id) if kind == "trainers" else None
    )
    if paul:
        # 12:00–17:00, 10:00–11:00, 13:00–16:00 and the co-trainer's 09:00–17:00 less its hour's break.
        assert paul.counts[MONDAY] == 4 and len(paul.cells[MONDAY]) == SHOWN_PER_CELL
        assert paul.booked_minutes == (5 * 60 - 60) + (60 - 60) + (3 * 60 - 60) + (8 * 60 - 60)
