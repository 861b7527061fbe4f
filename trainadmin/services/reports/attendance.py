"""« Présences »: attendance per formation over the sessions of the period, counted as the
« Présences » tab of each session counts it (services/participants/attendance): recorded
half-days of enrolled participants on taught dates, a signature without a mark by hand counting as
present. Two statements."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from ...extensions import db
from ...models import Training, TrainingSession
from .activity import percent
from .filters import ReportFilters
from .scope import marks, session_conditions


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
    """Two statements: the marks counted per formation (before the formation's name is joined, so
    the database groups the marks first), and the enrolled participants per formation."""
    recorded = marks(filters)
    counted = (
        sa.select(
            recorded.c.training_id,
            sa.func.count().filter(recorded.c.value == "present").label("present"),
            sa.func.count().filter(recorded.c.value == "absent").label("absent"),
            sa.func.count().filter(recorded.c.value == "excused").label("excused"),
        )
        .group_by(recorded.c.training_id)
        .subquery("counted")
    )
    rows = db.session.execute(
        sa.select(Training.id, Training.name, counted.c.present, counted.c.absent, counted.c.excused)
        .join(counted, counted.c.training_id == Training.id)
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
