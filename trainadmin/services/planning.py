"""Dates and durations derived from the slots, and the checks a slot must pass."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import gettext

from ..models import Room, Slot, SlotDate, TrainingSession

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def slot_date_hours(slot_date: SlotDate) -> Decimal:
    start = datetime.combine(slot_date.day, slot_date.start_time)
    end = datetime.combine(slot_date.day, slot_date.end_time)
    minutes = (end - start).total_seconds() / 60 - (slot_date.break_minutes or 0)
    return (Decimal(max(minutes, 0)) / 60).quantize(Decimal("0.01"))


def slot_days(slot: Slot) -> Decimal:
    if slot.duration_days is not None:
        return Decimal(slot.duration_days)
    return Decimal(len(slot.dates))


def slot_hours(slot: Slot) -> Decimal:
    if slot.duration_hours is not None:
        return Decimal(slot.duration_hours)
    return sum((slot_date_hours(d) for d in slot.dates), Decimal(0))


def refresh_session(session: TrainingSession) -> None:
    """Recompute start, end and durations of a session and its sequences from their slots.

    Start and end span every sequence, pre-work included; durations count only the sequences
    that are not pre-work.
    """
    all_days: list[date] = []
    total_days = Decimal(0)
    total_hours = Decimal(0)
    for sequence in session.sequences:
        days = [d.day for slot in sequence.slots for d in slot.dates if d.day is not None]
        sequence.start_date = min(days) if days else None
        sequence.end_date = max(days) if days else None
        all_days.extend(days)
        if not sequence.is_prework:
            total_days += sum((slot_days(slot) for slot in sequence.slots), Decimal(0))
            total_hours += sum((slot_hours(slot) for slot in sequence.slots), Decimal(0))
    session.start_date = min(all_days) if all_days else None
    session.end_date = max(all_days) if all_days else None
    session.duration_days = total_days
    session.duration_hours = total_hours
    session.sequence_count = len(session.sequences)


def slot_form_errors(
    location, room: Room | None, dates: list[tuple[date | None, time | None, time | None, int | None]]
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if room is not None and (location is None or room.location_id != location.id):
        errors["room"] = gettext("This room does not belong to the chosen location.")
    seen: set[date] = set()
    for day, start, end, pause in dates:
        if day is None or start is None or end is None:
            errors["dates"] = gettext("Each date needs a day, a start time and an end time.")
            break
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            errors["dates"] = gettext("The date %(day)s is outside the allowed range.", day=day.strftime("%d/%m/%Y"))
            break
        if end <= start:
            errors["dates"] = gettext("The end time must be after the start time.")
            break
        length = (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() / 60
        if (pause or 0) >= length:
            errors["dates"] = gettext("The break must be shorter than the day.")
            break
        if day in seen:
            errors["dates"] = gettext("The date %(day)s appears twice.", day=day.strftime("%d/%m/%Y"))
            break
        seen.add(day)
    return errors
