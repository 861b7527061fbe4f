"""What each slot date books, as the « Planning » calendar reads it: the slot's room and whether the
date is cancelled (its sequence or its session is) on `slot_date`, and each trainer and co-trainer
of the slot, with the date's day, hours and state, in `trainer_booking`.

They are copies: the calendar reads a month of a large organisation's dates (thousands) from one
index, and joining each date to its slot, sequence and session cost more than the rest of its
statement. Every path that changes a slot's room, trainers or dates, or the status of a sequence
or a session, ends with `refresh_date_state` for the sessions it touched: `refresh_session` (slot and
sequence editors, calendar moves, partner imports updating a session, the session jobs), the
workflow's status change and the partner imports' bulk inserts. Deleted slots, dates, sequences,
sessions and trainers take their rows with them (ON DELETE CASCADE)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Sequence,
    SequenceStatus,
    Slot,
    SlotDate,
    TrainerBooking,
    TrainingSession,
    WorkflowStatus,
    slot_trainer,
)


def refresh_date_state(session_ids: Iterable[int] | None = None) -> None:
    """Copy the room, state and trainers of every slot date of these sessions (None: of all) from
    their slots as they stand, in three statements whatever the number of dates."""
    db.session.flush()
    slots = sa.select(Slot.id).join(Sequence, Sequence.id == Slot.sequence_id)
    if session_ids is not None:
        ids = list(dict.fromkeys(session_ids))
        if not ids:
            return
        slots = slots.where(Sequence.session_id.in_(ids))
    state = (
        sa.select(Slot.id, Slot.room_id, date_cancelled().label("cancelled"))
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(Slot.id.in_(slots))
        .subquery("state")
    )
    dates = SlotDate.__table__
    db.session.execute(
        sa.update(dates)
        .where(
            dates.c.slot_id == state.c.id,
            sa.or_(dates.c.room_id.is_distinct_from(state.c.room_id), dates.c.cancelled != state.c.cancelled),
        )
        .values(room_id=state.c.room_id, cancelled=state.c.cancelled)
    )
    bookings = TrainerBooking.__table__
    db.session.execute(
        sa.delete(bookings).where(
            bookings.c.slot_date_id.in_(sa.select(dates.c.id).where(dates.c.slot_id.in_(slots)))
        )
    )
    columns = (dates.c.id, dates.c.day, dates.c.start_time, dates.c.end_time, dates.c.cancelled)
    held = sa.union(
        # A co-trainer also listed among the slot's trainers is booked once.
        sa.select(*columns, slot_trainer.c.trainer_id)
        .join(slot_trainer, slot_trainer.c.slot_id == dates.c.slot_id)
        .where(dates.c.slot_id.in_(slots)),
        sa.select(*columns, Slot.co_trainer_id)
        .join(Slot, Slot.id == dates.c.slot_id)
        .where(Slot.co_trainer_id.is_not(None), dates.c.slot_id.in_(slots)),
    )
    db.session.execute(
        sa.insert(bookings).from_select(
            ["slot_date_id", "day", "start_time", "end_time", "cancelled", "trainer_id"], held
        )
    )
    # The dates loaded in this session read their copies again if they are asked for.
    for instance in db.session.identity_map.values():
        if isinstance(instance, SlotDate):
            db.session.expire(instance, ["room_id", "cancelled"])


def date_cancelled() -> sa.ColumnElement[bool]:
    """Whether a slot's dates book nothing: its sequence or its session is cancelled."""
    return sa.or_(
        Sequence.status == SequenceStatus.CANCELLED, TrainingSession.status == WorkflowStatus.CANCELLED
    )
