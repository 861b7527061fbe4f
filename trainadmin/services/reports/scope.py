"""What every report reads: the sessions of the period under the filters, and the SQL pieces that
differ between PostgreSQL and SQLite (minutes between two times, a month, JSON answers).

A session belongs to a period when its start date lies in it; a cancelled session counts only in
« Sessions par statut ». A slot date belongs to the month of its day."""

from __future__ import annotations

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Attendance,
    HalfDay,
    Presence,
    RequestStatus,
    Sequence,
    SequenceStatus,
    Signature,
    Slot,
    SlotDate,
    TrainingRequest,
    TrainingSession,
    WorkflowStatus,
    session_population,
)
from ..participants.attendance import AFTERNOON_STARTS, MORNING_ENDS
from .filters import ReportFilters


def session_conditions(filters: ReportFilters, *, cancelled: bool = False, period: bool = True) -> list:
    """WHERE conditions on TrainingSession for the filters, and for the period (its start date in
    it) unless `period` is False."""
    conditions = []
    if period:
        conditions.append(TrainingSession.start_date.between(filters.start, filters.end))
    if not cancelled:
        conditions.append(TrainingSession.status != WorkflowStatus.CANCELLED)
    if filters.training_id is not None:
        conditions.append(TrainingSession.training_id == filters.training_id)
    if filters.dispositif_id is not None:
        conditions.append(TrainingSession.dispositif_id == filters.dispositif_id)
    if filters.organisation_id is not None:
        conditions.append(TrainingSession.organisation_id == filters.organisation_id)
    if filters.session_type is not None:
        conditions.append(TrainingSession.session_type == filters.session_type)
    if filters.population_id is not None:
        conditions.append(
            sa.exists().where(
                session_population.c.session_id == TrainingSession.id,
                session_population.c.population_id == filters.population_id,
            )
        )
    return conditions


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def minutes_between(start, end):
    """end − start in minutes, for two TIME columns."""
    if is_postgresql():
        return sa.extract("epoch", end - start) / 60
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 1440


def worked_hours():
    """Hours of a slot date: its end − its start − its break."""
    return (minutes_between(SlotDate.start_time, SlotDate.end_time) - SlotDate.break_minutes) / 60.0


def taught_dates(filters: ReportFilters, *, by_day: bool = False):
    """The slot dates taught in the sessions of the filters: neither pre-work nor cancelled sequences
    (pre-work is done alone, a cancelled sequence was not taught). The dates of the sessions that
    start in the period, or with `by_day` the dates that lie in it, whatever their session's start."""
    by_period = SlotDate.day.between(filters.start, filters.end) if by_day else sa.true()
    return (
        sa.select()
        .select_from(SlotDate)
        .join(Slot, Slot.id == SlotDate.slot_id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(
            Sequence.is_prework.is_(False),
            Sequence.status != SequenceStatus.CANCELLED,
            by_period,
            *session_conditions(filters, period=not by_day),
        )
    )


def _covered(half_day):
    """The half-day is one the date covers (services/participants/attendance.covered_half_days)."""
    morning = sa.and_(half_day == HalfDay.MORNING, SlotDate.start_time < MORNING_ENDS)
    afternoon = sa.and_(
        half_day == HalfDay.AFTERNOON,
        sa.or_(SlotDate.end_time > AFTERNOON_STARTS, SlotDate.start_time >= MORNING_ENDS),
    )
    return sa.or_(morning, afternoon)


def marks(filters: ReportFilters, *, by_day: bool = False, collaborator_ids: list[int] | None = None):
    """Every half-day recorded for an enrolled participant on a taught date of the filters' sessions,
    as the « Présences » tab counts it: the mark set by hand, else present when the participant
    signed. Columns: session_id, training_id, request_id, collaborator_id, slot_date_id, value
    ('present', 'absent', 'excused'); only those of `collaborator_ids` when given.

    Each part starts from the marks and reaches the session through the demande, so the database
    keeps only the sessions of the filters before it looks at the dates (a mark's date is one of its
    session's: the « Présences » tab records no other)."""
    by_period = SlotDate.day.between(filters.start, filters.end) if by_day else sa.true()
    whose = (
        TrainingRequest.collaborator_id.in_(collaborator_ids) if collaborator_ids is not None else sa.true()
    )

    def part(model, value):
        return (
            sa.select(
                TrainingSession.id.label("session_id"),
                TrainingSession.training_id.label("training_id"),
                model.request_id.label("request_id"),
                TrainingRequest.collaborator_id.label("collaborator_id"),
                model.slot_date_id.label("slot_date_id"),
                value.label("value"),
            )
            .join(TrainingRequest, TrainingRequest.id == model.request_id)
            .join(TrainingSession, TrainingSession.id == TrainingRequest.session_id)
            .join(SlotDate, SlotDate.id == model.slot_date_id)
            .join(Slot, Slot.id == SlotDate.slot_id)
            .join(Sequence, Sequence.id == Slot.sequence_id)
            .where(
                TrainingRequest.status == RequestStatus.ENROLLED,
                Sequence.is_prework.is_(False),
                Sequence.status != SequenceStatus.CANCELLED,
                by_period,
                whose,
                _covered(model.half_day),
                *session_conditions(filters, period=not by_day),
            )
        )

    by_hand = part(Attendance, sa.cast(Attendance.value, sa.String(10)))
    hand_mark = sa.exists().where(
        Attendance.request_id == Signature.request_id,
        Attendance.slot_date_id == Signature.slot_date_id,
        Attendance.half_day == Signature.half_day,
    )
    signed = part(Signature, sa.literal(Presence.PRESENT.value, sa.String(10))).where(
        Signature.request_id.is_not(None), ~hand_mark
    )
    return sa.union_all(by_hand, signed).subquery("marks")


#: Memory for each sort and hash of a report's statements (PostgreSQL's default, 4 MB, sends the
#: grouping of a two-year report to disk).
REPORT_WORK_MEM = "32MB"


def prepare_reading() -> None:
    """For the rest of the transaction, on PostgreSQL: room to group in memory, and no JIT
    compilation (it costs more than it saves on these statements). One statement; nothing on SQLite."""
    if is_postgresql():
        db.session.execute(
            sa.select(
                sa.func.set_config("work_mem", REPORT_WORK_MEM, True), sa.func.set_config("jit", "off", True)
            )
        )
