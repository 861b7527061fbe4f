"""Dates and durations derived from the slots, and the checks a slot must pass."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import Room, Sequence, Slot, SlotDate, TrainingSession
from .. import tallies
from ..notifications import refresh_schedule
from .date_state import refresh_date_state


def planning_loaders() -> tuple:
    """Load a session with its whole planning in a fixed number of queries (pages, API, PDFs)."""
    from sqlalchemy.orm import selectinload

    return (
        selectinload(TrainingSession.training),
        selectinload(TrainingSession.populations),
        selectinload(TrainingSession.sequences).options(
            selectinload(Sequence.teaching_mode),
            selectinload(Sequence.slots).options(
                selectinload(Slot.dates),
                selectinload(Slot.trainers),
                selectinload(Slot.location),
                selectinload(Slot.room),
                selectinload(Slot.co_trainer),
            ),
        ),
    )


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


def _hours(day: date, start: time, end: time, pause: int | None) -> Decimal:
    return _span_hours(start, end, pause)


@functools.lru_cache(maxsize=1024)
def _span_hours(start: time, end: time, pause: int | None) -> Decimal:
    """The hours between two local times of one day, the break taken off (the same on every day: an
    import of 30,000 slot dates has a few dozen distinct spans)."""
    day = EARLIEST_DAY
    minutes = (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() / 60 - (pause or 0)
    return (Decimal(max(minutes, 0)) / 60).quantize(Decimal("0.01"))


def refresh_session(session: TrainingSession) -> None:
    """Recompute start, end and durations of a session and its sequences from their slots.

    Start and end span every sequence, pre-work included (the planned dates while no slot exists);
    durations count only the sequences that are not pre-work. Reads every slot date of the session
    in one query, so the cost does not grow with the number of sequences or slots. The e-mails due
    for each sequence follow its new dates, the attendance tallies their dates and hours
    (services/tallies.py), and the copies of what each date books (date_state.py).
    """
    db.session.flush()
    rows = db.session.execute(
        sa.select(
            Slot.sequence_id,
            Slot.id,
            Slot.duration_days,
            Slot.duration_hours,
            SlotDate.day,
            SlotDate.start_time,
            SlotDate.end_time,
            SlotDate.break_minutes,
        )
        .select_from(Slot)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .outerjoin(SlotDate, SlotDate.slot_id == Slot.id)
        .where(Sequence.session_id == session.id)
    ).all()
    slots: dict[int, dict] = {}
    for row in rows:
        slot = slots.setdefault(
            row.id,
            {
                "sequence": row.sequence_id,
                "days": row.duration_days,
                "hours": row.duration_hours,
                "dates": [],
            },
        )
        if row.day is not None:
            slot["dates"].append((row.day, row.start_time, row.end_time, row.break_minutes))
    derived = derive_planning([(s.id, s.is_prework) for s in session.sequences], list(slots.values()))
    for sequence in session.sequences:
        sequence.start_date, sequence.end_date = derived.sequences[sequence.id]
    session.start_date = derived.start or session.planned_start_date
    session.end_date = derived.end or session.planned_end_date
    session.duration_days = derived.days
    session.duration_hours = derived.hours
    session.sequence_count = len(session.sequences)
    refresh_schedule(session)
    refresh_date_state([session.id])
    if session.enrolled_count:
        # Dates, hours or a sequence's status decide which half-days count. Without an enrolled
        # participant no tally can change: the last cancellation recounted them.
        tallies.recount_attendance(session.id)


@dataclass
class DerivedPlanning:
    sequences: dict  # sequence key -> (start, end)
    start: date | None
    end: date | None
    days: Decimal
    hours: Decimal


def derive_planning(sequences: list[tuple], slots: list[dict]) -> DerivedPlanning:
    """The dates and durations of a session from its slots (the rule of `refresh_session`, on plain
    values): `sequences` holds (key, is_prework), each slot {"sequence": key, "days", "hours",
    "dates": [(day, start, end, break)]}."""
    all_days: list[date] = []
    total_days = Decimal(0)
    total_hours = Decimal(0)
    spans = {}
    for key, is_prework in sequences:
        mine = [slot for slot in slots if slot["sequence"] == key]
        days = [values[0] for slot in mine for values in slot["dates"]]
        spans[key] = (min(days), max(days)) if days else (None, None)
        all_days.extend(days)
        if not is_prework:
            for slot in mine:
                total_days += (
                    Decimal(slot["days"]) if slot["days"] is not None else Decimal(len(slot["dates"]))
                )
                total_hours += (
                    Decimal(slot["hours"])
                    if slot["hours"] is not None
                    else sum((_hours(*values) for values in slot["dates"]), Decimal(0))
                )
    return DerivedPlanning(
        sequences=spans,
        start=min(all_days) if all_days else None,
        end=max(all_days) if all_days else None,
        days=total_days,
        hours=total_hours,
    )


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
