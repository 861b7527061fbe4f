"""« Par collaborateur »: the trainings each collaborator followed in the period and their hours,
for the annual interview. A collaborator follows a session when enrolled in it (the demande's status
« Inscrit »), the session not cancelled and starting in the period; its hours are the session's
« Durée en heures », as its page shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from ...extensions import db
from ...models import Collaborator, RequestStatus, Training, TrainingRequest, TrainingSession
from .activity import percent, rounded
from .filters import ReportFilters
from .scope import session_conditions

#: Collaborators shown on the page; the exports hold all of them.
PAGE_ROWS = 100


@dataclass
class CollaboratorLine:
    last_name: str
    first_name: str
    email: str
    employee_number: str | None
    department: str | None
    sessions: int
    trainings: int
    hours: Decimal
    present: int
    recorded: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.present, self.recorded)


@dataclass
class FollowedLine:
    last_name: str
    first_name: str
    email: str
    employee_number: str | None
    code: str
    label: str
    training: str
    start: date | None
    end: date | None
    hours: Decimal
    present: int
    recorded: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.present, self.recorded)


@dataclass
class CollaboratorsReport:
    total: int
    lines: list[CollaboratorLine]


def _recorded():
    """A demande's recorded half-days (services/tallies.py keeps them)."""
    request = TrainingRequest
    return request.present_half_days + request.absent_half_days + request.excused_half_days


def _followed(filters: ReportFilters):
    """The enrolled demandes of the sessions of the filters."""
    return (
        sa.select()
        .select_from(TrainingRequest)
        .join(TrainingSession, TrainingSession.id == TrainingRequest.session_id)
        .where(TrainingRequest.status == RequestStatus.ENROLLED, *session_conditions(filters))
    )


def collaborators_report(filters: ReportFilters, limit: int | None = PAGE_ROWS) -> CollaboratorsReport:
    """Per collaborator, by name: sessions, distinct formations, hours, attendance (summed from their
    demandes' tallies), and how many collaborators in all. One statement: the demandes are summed
    per collaborator before their names are joined."""
    per_collaborator = (
        _followed(filters)
        .add_columns(
            TrainingRequest.collaborator_id,
            sa.func.count().label("sessions"),
            sa.func.count(sa.distinct(TrainingSession.training_id)).label("trainings"),
            sa.func.sum(TrainingSession.duration_hours).label("hours"),
            sa.func.sum(TrainingRequest.present_half_days).label("present"),
            sa.func.sum(_recorded()).label("recorded"),
        )
        .group_by(TrainingRequest.collaborator_id)
        .subquery("per_collaborator")
    )
    query = (
        sa.select(
            Collaborator.last_name,
            Collaborator.first_name,
            Collaborator.email,
            Collaborator.employee_number,
            Collaborator.department,
            per_collaborator.c.sessions,
            per_collaborator.c.trainings,
            per_collaborator.c.hours,
            per_collaborator.c.present,
            per_collaborator.c.recorded,
            sa.func.count().over().label("total"),
        )
        .join(per_collaborator, per_collaborator.c.collaborator_id == Collaborator.id)
        .order_by(Collaborator.last_name, Collaborator.first_name, Collaborator.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    lines = [
        CollaboratorLine(last, first, email, number, department, int(s), int(t), rounded(h), int(p), int(r))
        for last, first, email, number, department, s, t, h, p, r, _total in rows
    ]
    return CollaboratorsReport(total=int(rows[0].total) if rows else 0, lines=lines)


def followed_sessions(filters: ReportFilters) -> list[FollowedLine]:
    """One line per collaborator and session followed, by name then date: the export."""
    rows = db.session.execute(
        _followed(filters)
        .join(Collaborator, Collaborator.id == TrainingRequest.collaborator_id)
        .add_columns(
            Collaborator.last_name,
            Collaborator.first_name,
            Collaborator.email,
            Collaborator.employee_number,
            TrainingSession.code,
            TrainingSession.label,
            Training.name,
            TrainingSession.start_date,
            TrainingSession.end_date,
            TrainingSession.duration_hours,
            TrainingRequest.present_half_days,
            _recorded(),
        )
        .join(Training, Training.id == TrainingSession.training_id)
        .order_by(
            Collaborator.last_name,
            Collaborator.first_name,
            Collaborator.id,
            TrainingSession.start_date,
            TrainingSession.code,
        )
    )
    return [
        FollowedLine(
            last, first, email, number, code, label, training, start, end, rounded(h), int(p), int(r)
        )
        for last, first, email, number, code, label, training, start, end, h, p, r in rows
    ]
