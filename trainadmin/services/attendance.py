"""Présences and certification results of a session's participants.

These are run-time data: they are recorded while and after the session runs, so the enrolment lock
(only an operations manager or an administrator changes a session with participants) does not
apply to them; only the role matters (readers read, the training staff writes).

- Participants: the demandes of the session with status ENROLLED, nobody else.
- Dates: every slot date of every sequence except the pre-work ones (pre-work is done alone: nobody
  signs for it, and it would lower every rate).
- Half-days: a date covers the morning when it starts before 12:00, and the afternoon when it ends
  after 13:00 or starts at 12:00 or later (so every date covers at least one half-day). Only the
  half-days a date covers can be recorded.
- Attendance rate: present half-days / recorded half-days, for a participant and for the whole
  session. Absent and excused half-days both count as not present; half-days not recorded yet do
  not count at all, so the rate means something while the session runs. Nothing recorded: no rate.
- Certification result: obtained or not, with a date that is required when obtained and may lie
  neither in the future nor before the start of the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import (
    Attendance,
    CertificationResult,
    Collaborator,
    HalfDay,
    Presence,
    RequestStatus,
    Sequence,
    Slot,
    SlotDate,
    TrainingRequest,
    TrainingSession,
)
from .errors import DomainError, ValidationFailed

MORNING_ENDS = time(12)
AFTERNOON_STARTS = time(13)

CERTIFICATION_RESULTS = {
    "obtained": lazy_gettext("Obtained"),
    "not_obtained": lazy_gettext("Not obtained"),
}

CellKey = tuple[int, int, HalfDay]


def covered_half_days(start: time, end: time) -> tuple[HalfDay, ...]:
    halves = []
    if start < MORNING_ENDS:
        halves.append(HalfDay.MORNING)
    if end > AFTERNOON_STARTS or start >= MORNING_ENDS:
        halves.append(HalfDay.AFTERNOON)
    return tuple(halves)


def attendance_rate(present: int, recorded: int) -> Decimal | None:
    """Percentage of present half-days among the recorded ones, to one decimal; None if none recorded."""
    if not recorded:
        return None
    return (Decimal(present) * 100 / Decimal(recorded)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AttendanceDay:
    """A slot date of the session, with the half-days it covers."""

    slot_date: SlotDate
    slot: Slot
    sequence: Sequence
    half_days: tuple[HalfDay, ...]


def attendance_days(session: TrainingSession) -> list[AttendanceDay]:
    """The dates attendance is recorded for, in time order. Reads the session's planning as loaded
    (load it with `planning.planning_loaders()` to keep the query count fixed)."""
    days = [
        AttendanceDay(slot_date, slot, sequence, covered_half_days(slot_date.start_time, slot_date.end_time))
        for sequence in session.sequences
        if not sequence.is_prework
        for slot in sequence.slots
        for slot_date in slot.dates
    ]
    days.sort(key=lambda d: (d.slot_date.day, d.slot_date.start_time, d.slot_date.id))
    return days


def find_day(session: TrainingSession, slot_date_id) -> AttendanceDay | None:
    wanted = _id(slot_date_id)
    return next((day for day in attendance_days(session) if day.slot_date.id == wanted), None)


def enrolled_participants(session: TrainingSession) -> list[TrainingRequest]:
    """Enrolled demandes with their collaborator, by name, in one query."""
    return list(
        db.session.scalars(
            sa.select(TrainingRequest)
            .join(TrainingRequest.collaborator)
            .where(TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED)
            .options(contains_eager(TrainingRequest.collaborator))
            .order_by(Collaborator.last_name, Collaborator.first_name, TrainingRequest.id)
        )
    )


@dataclass
class ParticipantLine:
    request: TrainingRequest
    certification: CertificationResult | None
    present: int = 0
    recorded: int = 0

    @property
    def rate(self) -> Decimal | None:
        return attendance_rate(self.present, self.recorded)


@dataclass
class AttendanceSheet:
    """Everything the « Présences » tab shows, read in a fixed number of queries."""

    days: list[AttendanceDay]
    lines: list[ParticipantLine]
    values: dict[CellKey, Presence]

    def value(self, request_id: int, slot_date_id: int, half_day: HalfDay) -> Presence | None:
        return self.values.get((request_id, slot_date_id, half_day))

    @property
    def rate(self) -> Decimal | None:
        return attendance_rate(
            sum(line.present for line in self.lines), sum(line.recorded for line in self.lines)
        )


def _session_rows(model, session: TrainingSession):
    """Rows of `model` (attendance or certification) that belong to the session's enrolled demandes."""
    return (
        sa.select(model)
        .join(TrainingRequest, model.request_id == TrainingRequest.id)
        .where(TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED)
    )


def attendance_sheet(session: TrainingSession) -> AttendanceSheet:
    days = attendance_days(session)
    participants = enrolled_participants(session)
    if not participants:
        return AttendanceSheet(days, [], {})
    certifications = {
        row.request_id: row for row in db.session.scalars(_session_rows(CertificationResult, session))
    }
    lines = {r.id: ParticipantLine(r, certifications.get(r.id)) for r in participants}
    covered = {(day.slot_date.id, half) for day in days for half in day.half_days}
    rows = db.session.execute(
        _session_rows(Attendance, session).with_only_columns(
            Attendance.request_id, Attendance.slot_date_id, Attendance.half_day, Attendance.value
        )
    )
    values: dict[CellKey, Presence] = {}
    for request_id, slot_date_id, half, value in rows:
        # A value left on a half-day the date no longer covers (its hours changed) is not shown.
        if (slot_date_id, half) not in covered or request_id not in lines:
            continue
        values[(request_id, slot_date_id, half)] = value
        lines[request_id].recorded += 1
        if value == Presence.PRESENT:
            lines[request_id].present += 1
    return AttendanceSheet(days, list(lines.values()), values)


# --- Recording ------------------------------------------------------------------------------


def _id(value) -> int | None:
    text = "" if value is None else str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _invalid_reference() -> str:
    return gettext("The attendance sheet sent is not valid: reload the page and try again.")


def _not_a_date() -> str:
    return gettext("This date is not a date of this session.")


def _bad_value() -> str:
    return gettext("Choose present, absent or excused.")


def _not_covered(slot_date: SlotDate, half: HalfDay) -> str:
    day = slot_date.day.strftime("%d/%m/%Y")
    if half == HalfDay.MORNING:
        starts = slot_date.start_time.strftime("%H:%M")
        return gettext("No morning on %(date)s: the slot starts at %(time)s.", date=day, time=starts)
    ends = slot_date.end_time.strftime("%H:%M")
    return gettext("No afternoon on %(date)s: the slot ends at %(time)s.", date=day, time=ends)


def _check_cells(
    days: dict[int, AttendanceDay], enrolled: dict[int, TrainingRequest], cells: Iterable
) -> tuple[dict[CellKey, Presence | None], dict[str, str]]:
    """(request id, slot date id, half-day, value) as sent → {cell: value, None to clear}, errors."""
    plan: dict[CellKey, Presence | None] = {}
    errors: dict[str, str] = {}
    for request_id, slot_date_id, half_day, value in cells:
        request_key, date_key = _id(request_id), _id(slot_date_id)
        if request_key is None or date_key is None:
            errors.setdefault("reference", _invalid_reference())
            continue
        if request_key not in enrolled:
            errors.setdefault(
                "request",
                gettext("Attendance can only be recorded for the enrolled participants of this session."),
            )
            continue
        day = days.get(date_key)
        if day is None:
            errors.setdefault("slot_date", _not_a_date())
            continue
        try:
            half = HalfDay(str(half_day))
        except ValueError:
            errors.setdefault("half_day", gettext("Choose the morning or the afternoon."))
            continue
        if half not in day.half_days:
            errors.setdefault("half_day", _not_covered(day.slot_date, half))
            continue
        text = "" if value is None else str(value).strip()
        if not text:
            plan[(request_key, date_key, half)] = None
            continue
        try:
            plan[(request_key, date_key, half)] = Presence(text)
        except ValueError:
            errors.setdefault("value", _bad_value())
    return plan, errors


def _write_cells(session: TrainingSession, plan: dict[CellKey, Presence | None]) -> None:
    if not plan:
        return
    existing = {
        (row.request_id, row.slot_date_id, row.half_day): row
        for row in db.session.scalars(_session_rows(Attendance, session))
    }
    for (request_id, slot_date_id, half), value in plan.items():
        row = existing.get((request_id, slot_date_id, half))
        if value is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                Attendance(request_id=request_id, slot_date_id=slot_date_id, half_day=half, value=value)
            )
        else:
            row.value = value
    db.session.flush()


def parse_day(value) -> date | None:
    """A date as a date field sends it (2027-03-16) or as typed (16/03/2027); blank is None."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _check_certifications(
    session: TrainingSession, enrolled: dict[int, TrainingRequest], entries: Iterable, today: date
) -> tuple[dict[int, tuple[bool, date | None] | None], dict[str, str]]:
    """(request id, result, date) as sent → {request id: (obtained, date), None to clear}, errors."""
    plan: dict[int, tuple[bool, date | None] | None] = {}
    errors: dict[str, str] = {}
    for request_id, result, obtained_on in entries:
        key = _id(request_id)
        if key is None:
            errors.setdefault("reference", _invalid_reference())
            continue
        request = enrolled.get(key)
        if request is None:
            errors.setdefault(
                "certification",
                gettext(
                    "A certification result can only be recorded for the enrolled participants of this "
                    "session."
                ),
            )
            continue
        name = request.collaborator
        field = f"certification-{key}"
        result = "" if result is None else str(result).strip()
        if not result:
            plan[key] = None
            continue
        if result not in CERTIFICATION_RESULTS:
            errors[field] = gettext("%(name)s: choose obtained or not obtained.", name=name)
            continue
        try:
            day = parse_day(obtained_on)
        except ValueError:
            errors[field] = gettext("%(name)s: enter the certification date as dd/mm/yyyy.", name=name)
            continue
        if result == "obtained" and day is None:
            errors[field] = gettext("%(name)s: enter the date the certification was obtained.", name=name)
        elif day is not None and day > today:
            errors[field] = gettext("%(name)s: the certification date cannot be in the future.", name=name)
        elif day is not None and session.start_date is not None and day < session.start_date:
            start = session.start_date.strftime("%d/%m/%Y")
            errors[field] = gettext(
                "%(name)s: the certification date cannot be before the start of the session (%(start)s).",
                name=name,
                start=start,
            )
        else:
            plan[key] = (result == "obtained", day)
    return plan, errors


def _write_certifications(session: TrainingSession, plan: dict[int, tuple[bool, date | None] | None]) -> None:
    if not plan:
        return
    existing = {
        row.request_id: row for row in db.session.scalars(_session_rows(CertificationResult, session))
    }
    for request_id, result in plan.items():
        row = existing.get(request_id)
        if result is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                CertificationResult(request_id=request_id, obtained=result[0], obtained_on=result[1])
            )
        else:
            row.obtained, row.obtained_on = result
    db.session.flush()


def save_sheet(session: TrainingSession, cells: Iterable, certifications: Iterable, today: date) -> None:
    """« Sauvegarder » of the tab: every cell and certification result is checked first, then all are
    saved, or none (ValidationFailed lists what is wrong).

    cells: (request id, slot date id, half-day, presence or "" to clear), as sent;
    certifications: (request id, "obtained" / "not_obtained" / "" to clear, date), as sent.
    """
    days = {day.slot_date.id: day for day in attendance_days(session)}
    enrolled = {request.id: request for request in enrolled_participants(session)}
    cell_plan, errors = _check_cells(days, enrolled, cells)
    certification_plan, certification_errors = _check_certifications(session, enrolled, certifications, today)
    errors.update(certification_errors)
    if errors:
        raise ValidationFailed(errors)
    _write_cells(session, cell_plan)
    _write_certifications(session, certification_plan)


def set_whole_day(session: TrainingSession, slot_date_id, value) -> int:
    """« Tous présents » and the like: one value for every enrolled participant on every half-day the
    date covers. Returns the number of half-days set."""
    day = find_day(session, slot_date_id)
    if day is None:
        raise DomainError(_not_a_date(), field="slot_date")
    try:
        presence = Presence(str(value or "").strip())
    except ValueError:
        raise DomainError(_bad_value(), field="value") from None
    request_ids = db.session.scalars(
        sa.select(TrainingRequest.id).where(
            TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED
        )
    ).all()
    plan: dict[CellKey, Presence | None] = {
        (request_id, day.slot_date.id, half): presence for request_id in request_ids for half in day.half_days
    }
    _write_cells(session, plan)
    return len(plan)
