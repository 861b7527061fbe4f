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

from dataclasses import dataclass, field
from datetime import datetime, time
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
    Signature,
    Slot,
    SlotDate,
    Trainer,
    TrainingRequest,
    TrainingSession,
)
from ..tallies import AFTERNOON_STARTS, MORNING_ENDS

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


def half_day_hours(start: time, end: time, half: HalfDay) -> tuple[time, time]:
    """The hours of one half-day of a date: the morning from its start to 12:00, the afternoon from
    13:00 to its end; a date covering one half-day only gives it all its hours."""
    halves = covered_half_days(start, end)
    if len(halves) == 1:
        return start, end
    return (start, MORNING_ENDS) if half == HalfDay.MORNING else (AFTERNOON_STARTS, end)


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
    """Everything the « Présences » tab shows, read in a fixed number of queries.

    `values` are the marks set by hand; `signed` the times of the participants' own signatures;
    `countersigned` the trainers' (name, time) per half-day. A half-day signed and not marked by hand
    counts as present; a mark set by hand counts whatever the signature says (both are shown)."""

    days: list[AttendanceDay]
    lines: list[ParticipantLine]
    values: dict[CellKey, Presence]
    signed: dict[CellKey, datetime] = field(default_factory=dict)
    countersigned: dict[tuple[int, HalfDay], list[tuple[str, datetime]]] = field(default_factory=dict)

    def value(self, request_id: int, slot_date_id: int, half_day: HalfDay) -> Presence | None:
        """The mark set by hand."""
        return self.values.get((request_id, slot_date_id, half_day))

    def signed_at(self, request_id: int, slot_date_id: int, half_day: HalfDay) -> datetime | None:
        return self.signed.get((request_id, slot_date_id, half_day))

    def effective(self, request_id: int, slot_date_id: int, half_day: HalfDay) -> Presence | None:
        """What counts: the mark set by hand, else present when the participant signed."""
        key = (request_id, slot_date_id, half_day)
        return self.values.get(key) or (Presence.PRESENT if key in self.signed else None)

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
    sheet = AttendanceSheet(days, list(lines.values()), values)
    _read_signatures(sheet, covered, lines)
    for key in values.keys() | sheet.signed.keys():
        line = lines[key[0]]
        line.recorded += 1
        if sheet.effective(*key) == Presence.PRESENT:
            line.present += 1
    return sheet


def _read_signatures(sheet: AttendanceSheet, covered: set, lines: dict[int, ParticipantLine]) -> None:
    """The signatures of the sheet's half-days, in one query (their images are not read)."""
    if not covered:
        return
    rows = db.session.execute(
        sa.select(
            Signature.request_id,
            Signature.trainer_id,
            Signature.slot_date_id,
            Signature.half_day,
            Signature.signed_at,
            Trainer.first_name,
            Trainer.last_name,
        )
        .outerjoin(Trainer, Trainer.id == Signature.trainer_id)
        .where(Signature.slot_date_id.in_(sorted({slot_date_id for slot_date_id, _half in covered})))
        .order_by(Signature.signed_at)
    )
    for request_id, trainer_id, slot_date_id, half, signed_at, first_name, last_name in rows:
        if (slot_date_id, half) not in covered:
            continue
        if trainer_id is not None:
            names = sheet.countersigned.setdefault((slot_date_id, half), [])
            names.append((f"{first_name} {last_name}", signed_at))
        elif request_id in lines:
            sheet.signed[(request_id, slot_date_id, half)] = signed_at


# --- Recording ------------------------------------------------------------------------------
