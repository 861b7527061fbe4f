"""Pieces of the « Planning » statement (`bookings.bookings_statement`): the columns of a date read
from its session (joined to the dates kept only, unless a filter needs them), its booked minutes,
the overlap test of clashes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ...models import Sequence, SequenceStatus, Slot, TrainerBooking, TrainingSession

#: The columns of `details` the filters test: with one of them chosen, every date of the range is
#: joined to its session.
FILTERED = ("location_id", "training_id", "status", "publication")


def details() -> list[sa.ColumnElement]:
    """The columns of a date sent but not needed to rank the dates or find their clashes."""
    return [
        Slot.sequence_id,
        (Sequence.status == SequenceStatus.CANCELLED).label("sequence_cancelled"),
        Sequence.session_id,
        Slot.location_id,
        TrainingSession.code,
        TrainingSession.label,
        TrainingSession.status,
        TrainingSession.publication,
        TrainingSession.training_id,
        TrainingSession.enrolled_count,
    ]


def booked_minutes(dated: sa.CTE) -> sa.ColumnElement[int]:
    """`Booking.booked_minutes` in SQL: the date's hours less its break, never below 0."""

    def clock(column):
        return sa.extract("hour", column) * 60 + sa.extract("minute", column)

    minutes = clock(dated.c.end_time) - clock(dated.c.start_time) - dated.c.break_minutes
    return sa.case((minutes > 0, minutes), else_=0)


def overlapping(mine, theirs, *same) -> sa.ColumnElement[bool]:
    """Another live date of `theirs` with the same `same` columns as `mine` at overlapping hours
    (touching hours do not clash: 09:00–12:00 and 12:00–17:00)."""
    return sa.exists().where(
        *[theirs.c[name] == mine.c[name] for name in ("day", *same)],
        theirs.c.id != mine.c.id,
        theirs.c.live,
        theirs.c.start_time < mine.c.end_time,
        theirs.c.end_time > mine.c.start_time,
    )


def trainer_elsewhere(mine) -> sa.ColumnElement[bool]:
    """The trainer of the booking `mine` holds another live date of that day at overlapping hours:
    one probe of the index on trainer_booking(day, trainer_id)."""
    theirs = aliased(TrainerBooking, name="theirs")
    return sa.exists().where(
        theirs.day == mine.day,
        theirs.trainer_id == mine.trainer_id,
        theirs.slot_date_id != mine.slot_date_id,
        ~theirs.cancelled,
        theirs.start_time < mine.end_time,
        theirs.end_time > mine.start_time,
    )
