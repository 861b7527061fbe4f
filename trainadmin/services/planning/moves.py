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
    data = SlotInput.from_slot(slot)
    data.dates = sorted(dates, key=lambda values: values[0])
    return save_slot(
        slot.sequence,
        data,
        user,
        reason=reason,
        slot=slot,
        notify=notify,
        override_reason=override_reason,
    )
