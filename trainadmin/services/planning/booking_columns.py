"""Pieces of the « Planning » statement (`bookings.bookings_statement`): whether a date is live, the
columns of a date joined only to the dates kept, its booked minutes, the overlap test of clashes."""

from __future__ import annotations

import sqlalchemy as sa

from ...models import Sequence, SequenceStatus, Slot, TrainingSession, WorkflowStatus


def live() -> sa.ColumnElement[bool]:
    return sa.and_(
        Sequence.status != SequenceStatus.CANCELLED, TrainingSession.status != WorkflowStatus.CANCELLED
    )


def details() -> list[sa.ColumnElement]:
    """The columns of a date sent but not needed to rank the dates or find their clashes."""
    return [
        Slot.sequence_id,
        (Sequence.status == SequenceStatus.CANCELLED).label("sequence_cancelled"),
        Sequence.session_id,
        TrainingSession.code,
        TrainingSession.label,
        TrainingSession.enrolled_count,
    ]


def booked_minutes(dated: sa.CTE) -> sa.ColumnElement[int]:
    """`Booking.booked_minutes` in SQL: the date's hours less its break, never below 0."""

    def clock(column):
        return sa.extract("hour", column) * 60 + sa.extract("minute", column)

    minutes = clock(dated.c.end_time) - clock(dated.c.start_time) - dated.c.break_minutes
    return sa.case((minutes > 0, minutes), else_=0)


def overlapping(mine, theirs, *same) -> sa.ColumnElement[bool]:
    """Another live row of `theirs` with the same `same` columns as `mine` at overlapping hours
    (touching hours do not clash: 09:00–12:00 and 12:00–17:00)."""
    return sa.exists().where(
        *[theirs.c[name] == mine.c[name] for name in ("day", *same)],
        theirs.c.id != mine.c.id,
        theirs.c.live,
        theirs.c.start_time < mine.c.end_time,
        theirs.c.end_time > mine.c.start_time,
    )
