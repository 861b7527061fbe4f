"""What every report reads: the sessions of the period under the filters, and the SQL pieces that
differ between PostgreSQL and SQLite (minutes between two times, a month, JSON answers).

A session belongs to a period when its start date lies in it; a cancelled session counts only in
« Sessions par statut ». A slot date belongs to the month of its day."""

from __future__ import annotations

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Sequence,
    SequenceStatus,
    Slot,
    SlotDate,
    TrainingSession,
    WorkflowStatus,
    session_population,
)
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


def worked_hours(columns=SlotDate):
    """Hours of a slot date: its end − its start − its break (of `columns`: the table or a subquery's
    columns with the same names)."""
    return (minutes_between(columns.start_time, columns.end_time) - columns.break_minutes) / 60.0


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
