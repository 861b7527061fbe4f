"""« Présences »: attendance per formation over the sessions of the period, counted as the
« Présences » tab of each session counts it (services/participants/attendance): recorded
half-days of enrolled participants on taught dates, a signature without a mark by hand counting as
present. One statement."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from ...extensions import db
from ...models import Training
from .activity import percent
from .filters import ReportFilters
from .scope import marks


@dataclass
class AttendanceLine:
    training: str
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
    recorded = marks(filters)
    rows = db.session.execute(
        sa.select(
            Training.name,
            sa.func.count(sa.distinct(recorded.c.request_id)),
            sa.func.count().filter(recorded.c.value == "present"),
            sa.func.count().filter(recorded.c.value == "absent"),
            sa.func.count().filter(recorded.c.value == "excused"),
        )
        .select_from(recorded)
        .join(Training, Training.id == recorded.c.training_id)
        .group_by(Training.id, Training.name)
        .order_by(Training.name)
    ).all()
    return AttendanceReport(
        [AttendanceLine(name, int(p), int(a), int(b), int(c)) for name, p, a, b, c in rows]
    )
