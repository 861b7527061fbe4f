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

    Start and end span every sequence, pre-work included (the planned dates while no slot exists);
    durations count only the sequences that are not pre-work.
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
    session.start_date = min(all_days) if all_days else session.planned_start_date
    session.end_date = max(all_days) if all_days else session.planned_end_date
    session.duration_days = total_days
    session.duration_hours = total_hours
    session.sequence_count = len(session.sequences)


def slot_date_error(
    day: date | None, start: time | None, end: time | None, pause: int | None
) -> tuple[str, str] | None:
    """(field, message) for the first problem of one slot date, or None."""
    if day is None:
        return "day", gettext("Enter the date.")
    if start is None:
        return "start_time", gettext("Enter the start time.")
    if end is None:
        return "end_time", gettext("Enter the end time.")
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        return "day", gettext("The date %(day)s is outside the allowed range.", day=day.strftime("%d/%m/%Y"))
    if end <= start:
        return "end_time", gettext("The end time must be after the start time.")
    length = (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() / 60
    if (pause or 0) >= length:
        return "break_minutes", gettext("The break must be shorter than the day.")
    return None


def slot_form_errors(
    location, room: Room | None, dates: list[tuple[str, date | None, time | None, time | None, int | None]]
) -> dict[str, str]:
    """Problems of a slot, keyed by form field; `dates` holds (field prefix, day, start, end, break)."""
    errors: dict[str, str] = {}
    if room is not None and (location is None or room.location_id != location.id):
        errors["room"] = gettext("This room does not belong to the chosen location.")
    seen: set[date] = set()
    for prefix, day, start, end, pause in dates:
        problem = slot_date_error(day, start, end, pause)
        if problem is None and day in seen:
            problem = "day", gettext("The date %(day)s appears twice.", day=day.strftime("%d/%m/%Y"))
        if problem is not None:
            field, message = problem
            errors[f"{prefix}{field}"] = message
        seen.add(day)
    if not dates:
        errors["dates"] = gettext("Add at least one date.")
    return errors
