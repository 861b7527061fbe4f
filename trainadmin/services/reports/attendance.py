"""« Présences »: attendance per formation over the sessions of the period, counted as the
« Présences » tab of each session counts it (services/participants/attendance): recorded
half-days of enrolled participants on taught dates, a signature without a mark by hand counting as
present — summed from each demande's tally (services/tallies.py). Two statements."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from ...extensions import db
from ...models import RequestStatus, Training, TrainingRequest, TrainingSession
from .activity import percent
from .filters import ReportFilters
from .scope import session_conditions


@dataclass
class AttendanceLine:
    training: str
    #: Enrolled participants of the formation's sessions.
    participants: int
    present: int
    absent: int
    excused: int

    @property
    def recorded(self) -> int:
        return self.present + self.absent + self.excused

    @property
    def rate(self) -> Decimal | None:
        """Present half-days / recorded half-days, in per cent."""
        return percent(self.present, self.recorded)


@dataclass
class AttendanceReport:
    by_training: list[AttendanceLine]

    @property
    def total(self) -> AttendanceLine:
        lines = self.by_training
        return AttendanceLine(
            "",
            sum(line.participants for line in lines),
            sum(line.present for line in lines),
            sum(line.absent for line in lines),
            sum(line.excused for line in lines),
        )


def attendance_report(filters: ReportFilters) -> AttendanceReport:
    """Two statements: the enrolled participants' half-days summed per formation (the formations
    with at least one recorded), and the enrolled participants per formation."""
    present = sa.func.sum(TrainingRequest.present_half_days)
    absent = sa.func.sum(TrainingRequest.absent_half_days)
    excused = sa.func.sum(TrainingRequest.excused_half_days)
    rows = db.session.execute(
        sa.select(Training.id, Training.name, present, absent, excused)
        .select_from(TrainingRequest)
        .join(TrainingSession, TrainingSession.id == TrainingRequest.session_id)
        .join(Training, Training.id == TrainingSession.training_id)
        .where(TrainingRequest.status == RequestStatus.ENROLLED, *session_conditions(filters))
        .group_by(Training.id, Training.name)
        .having(present + absent + excused > 0)
        .order_by(Training.name)
    ).all()
    enrolled = dict(
        db.session.execute(
            sa.select(TrainingSession.training_id, sa.func.sum(TrainingSession.enrolled_count))
            .where(*session_conditions(filters))
            .group_by(TrainingSession.training_id)
        ).all()
    )
    return AttendanceReport(
        [
            AttendanceLine(name, int(enrolled.get(training_id) or 0), int(p), int(a), int(e))
            for training_id, name, p, a, e in rows
        ]
    )
