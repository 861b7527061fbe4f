"""A slot date moved on the « Planning » calendar (dragged to another day or hour, or stretched):
the slot as it is, with that one date changed, saved through `save_slot` — the same rules as the
planning editor (the lock after enrolment, room clashes and their override, signed dates, the
participants' calendar updates)."""

from __future__ import annotations

from datetime import date, time

from flask_babel import gettext

from ...extensions import db
from ...models import SlotDate, User
from ..errors import DomainError
from .slots import SlotInput, SlotResult, save_slot


def move_slot_date(
    slot_date_id: int,
    day: date,
    start: time,
    end: time,
    user: User | None,
    reason: str | None = None,
    notify: bool = True,
    override_reason: str | None = None,
) -> SlotResult:
    """Move one date of a slot to `day`, from `start` to `end` (local wall-clock hours)."""
    moved = db.session.get(SlotDate, slot_date_id)
    if moved is None:
        raise DomainError(gettext("This date no longer exists: reload the calendar."), field="slot_date")
    slot = moved.slot
    dates = [(d.day, d.start_time, d.end_time, d.break_minutes) for d in slot.dates if d.id != moved.id]
    dates.append((day, start, end, moved.break_minutes))
    data = SlotInput(
        location_id=slot.location_id,
        room_id=slot.room_id,
        trainer_ids=[trainer.id for trainer in slot.trainers],
        co_trainer_id=slot.co_trainer_id,
        host_name=slot.host_name,
        host_email=slot.host_email,
        organisation_id=slot.organisation_id,
        organisation_comment=slot.organisation_comment,
        location_comment=slot.location_comment,
        trainer_comment=slot.trainer_comment,
        duration_days=slot.duration_days,
        duration_hours=slot.duration_hours,
        dates=sorted(dates, key=lambda values: values[0]),
    )
    return save_slot(
        slot.sequence,
        data,
        user,
        reason=reason,
        slot=slot,
        notify=notify,
        override_reason=override_reason,
    )
