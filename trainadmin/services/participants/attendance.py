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

from dataclasses import dataclass
from datetime import time
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext
from sqlalchemy.orm import contains_eager

from ...extensions import db
from ...ids import parse_id
from ...models import (
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
    wanted = parse_id(slot_date_id)
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


def session_rows(model, session: TrainingSession):
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
        row.request_id: row for row in db.session.scalars(session_rows(CertificationResult, session))
    }
    lines = {r.id: ParticipantLine(r, certifications.get(r.id)) for r in participants}
    covered = {(day.slot_date.id, half) for day in days for half in day.half_days}
    rows = db.session.execute(
        session_rows(Attendance, session).with_only_columns(
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
