"""« Heures de formation » and « Sessions »: hours taught and trainee-hours per month, sessions by
status, fill rate and sessions under their minimum. A fixed number of statements each."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from ...extensions import db
from ...models import SlotDate, Training, TrainingSession, WorkflowStatus
from .filters import ReportFilters
from .scope import session_conditions, taught_dates, worked_hours

HUNDREDTH = Decimal("0.01")


def rounded(value, step: Decimal = HUNDREDTH) -> Decimal:
    return Decimal(str(value or 0)).quantize(step, rounding=ROUND_HALF_UP)


def percent(part, whole) -> Decimal | None:
    """part / whole in per cent, to one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class MonthHours:
    year: int
    month: int
    dates: int
    hours: Decimal
    trainee_hours: Decimal


@dataclass
class HoursReport:
    months: list[MonthHours]

    @property
    def hours(self) -> Decimal:
        return sum((m.hours for m in self.months), Decimal(0))

    @property
    def trainee_hours(self) -> Decimal:
        return sum((m.trainee_hours for m in self.months), Decimal(0))


def month_span(filters: ReportFilters) -> list[tuple[int, int]]:
    """Every (year, month) of the period, in order."""
    first = filters.start.year * 12 + filters.start.month - 1
    last = filters.end.year * 12 + filters.end.month - 1
    return [(n // 12, n % 12 + 1) for n in range(first, last + 1)]


def hours_report(filters: ReportFilters) -> HoursReport:
    """Per month of the period: the hours of the slot dates taught that month, and those hours times
    the participants — present (at least one half-day) when attendance was recorded for the date,
    else the enrolled ones (`SlotDate.present_participants`, kept by services/tallies.py). One
    statement."""
    # The dates are counted per day and hours first, and the hours computed once per group: the
    # same sums, without computing the hours of each of the period's dates.
    people = sa.func.coalesce(SlotDate.present_participants, TrainingSession.enrolled_count)
    spans = (
        taught_dates(filters, by_day=True)
        .add_columns(
            SlotDate.day,
            SlotDate.start_time,
            SlotDate.end_time,
            SlotDate.break_minutes,
            sa.func.count().label("dates"),
            sa.func.sum(people).label("people"),
        )
        .group_by(SlotDate.day, SlotDate.start_time, SlotDate.end_time, SlotDate.break_minutes)
        .subquery("spans")
    )
    hours = worked_hours(spans.c)
    year = sa.extract("year", spans.c.day)
    month = sa.extract("month", spans.c.day)
    rows = db.session.execute(
        sa.select(
            year.label("year"),
            month.label("month"),
            sa.func.sum(spans.c.dates).label("dates"),
            sa.func.sum(hours * spans.c.dates).label("hours"),
            sa.func.sum(hours * spans.c.people).label("trainee_hours"),
        ).group_by(year, month)
    ).all()
    found = {(int(r.year), int(r.month)): r for r in rows}
    months = []
    for key in month_span(filters):
        row = found.get(key)
        months.append(
            MonthHours(
                year=key[0],
                month=key[1],
                dates=int(row.dates) if row else 0,
                hours=rounded(row.hours if row else 0),
                trainee_hours=rounded(row.trainee_hours if row else 0),
            )
        )
    return HoursReport(months)


@dataclass
class StatusLine:
    status: WorkflowStatus
    sessions: int


@dataclass
class FillLine:
    """Sessions of one formation (not cancelled)."""

    training: str
    sessions: int
    enrolled: int
    #: Enrolled participants and places of the sessions that have a maximum capacity.
    enrolled_with_capacity: int
    capacity: int
    under_minimum: int

    @property
    def fill_rate(self) -> Decimal | None:
        return percent(self.enrolled_with_capacity, self.capacity)


@dataclass
class SessionsReport:
    by_status: list[StatusLine]
    by_training: list[FillLine] = field(default_factory=list)

    @property
    def total(self) -> FillLine:
        lines = self.by_training
        return FillLine(
            training="",
            sessions=sum(line.sessions for line in lines),
            enrolled=sum(line.enrolled for line in lines),
            enrolled_with_capacity=sum(line.enrolled_with_capacity for line in lines),
            capacity=sum(line.capacity for line in lines),
            under_minimum=sum(line.under_minimum for line in lines),
        )


def sessions_report(filters: ReportFilters) -> SessionsReport:
    """Sessions starting in the period: by status (cancelled ones included), then per formation
    (cancelled ones left out) their enrolled participants, places and those under their minimum.
    Two statements."""
    counts = dict(
        db.session.execute(
            sa.select(TrainingSession.status, sa.func.count())
            .where(*session_conditions(filters, cancelled=True))
            .group_by(TrainingSession.status)
        ).all()
    )
    by_status = [StatusLine(status, counts.get(status, 0)) for status in WorkflowStatus]
    has_capacity = TrainingSession.capacity_max.is_not(None)
    under = sa.and_(
        TrainingSession.capacity_min.is_not(None),
        TrainingSession.enrolled_count < TrainingSession.capacity_min,
    )
    rows = db.session.execute(
        sa.select(
            Training.name,
            sa.func.count(),
            sa.func.sum(TrainingSession.enrolled_count),
            sa.func.coalesce(
                sa.func.sum(sa.case((has_capacity, TrainingSession.enrolled_count), else_=0)), 0
            ),
            sa.func.coalesce(sa.func.sum(TrainingSession.capacity_max), 0),
            sa.func.count().filter(under),
        )
        .join(Training, Training.id == TrainingSession.training_id)
        .where(*session_conditions(filters))
        .group_by(Training.id, Training.name)
        .order_by(Training.name)
    ).all()
    return SessionsReport(
        by_status=by_status,
        by_training=[
            FillLine(name, int(n), int(e or 0), int(ec), int(c), int(u)) for name, n, e, ec, c, u in rows
        ],
    )
