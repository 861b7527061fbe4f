"""What each slot date books (services/planning/date_state.py), recomputed from the slots as they
stand and compared with the copies the calendar reads."""

from __future__ import annotations

import sqlalchemy as sa

from trainadmin.extensions import db
from trainadmin.models import SequenceStatus, SlotDate, TrainerBooking, WorkflowStatus


def stale_copies() -> list[tuple]:
    """The dates and trainer bookings whose copies differ from their slot, sequence and session
    (an empty list: the calendar reads the truth)."""
    db.session.flush()
    db.session.expire_all()
    wanted_dates, wanted_bookings = {}, set()
    for slot_date in db.session.scalars(sa.select(SlotDate)):
        slot = slot_date.slot
        cancelled = (
            slot.sequence.status == SequenceStatus.CANCELLED
            or slot.sequence.session.status == WorkflowStatus.CANCELLED
        )
        wanted_dates[slot_date.id] = (slot.room_id, cancelled)
        holders = {trainer.id for trainer in slot.trainers} | ({slot.co_trainer_id} - {None})
        wanted_bookings |= {
            (slot_date.id, trainer_id, slot_date.day, slot_date.start_time, slot_date.end_time, cancelled)
            for trainer_id in holders
        }
    dates = {
        row.id: (row.room_id, row.cancelled)
        for row in db.session.execute(sa.select(SlotDate.id, SlotDate.room_id, SlotDate.cancelled))
    }
    bookings = {
        tuple(row)
        for row in db.session.execute(
            sa.select(
                TrainerBooking.slot_date_id,
                TrainerBooking.trainer_id,
                TrainerBooking.day,
                TrainerBooking.start_time,
                TrainerBooking.end_time,
                TrainerBooking.cancelled,
            )
        )
    }
    stale = [
        ("date", key, dates.get(key), value) for key, value in wanted_dates.items() if dates.get(key) != value
    ]
    stale += [("booking missing", *row) for row in wanted_bookings - bookings]
    stale += [("booking extra", *row) for row in bookings - wanted_bookings]
    return stale
