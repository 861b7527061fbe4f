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
from .scope import marks, session_conditions

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


def _presence(filters: ReportFilters):
    recorded = marks(filters)
    return (
        sa.select(
            recorded.c.request_id,
            sa.func.count().filter(recorded.c.value == "present").label("present"),
            sa.func.count().label("recorded"),
        )
        .group_by(recorded.c.request_id)
        .subquery("presence")
    )


def _followed(filters: ReportFilters):
    return (
        sa.select()
        .select_from(TrainingRequest)
        .join(TrainingSession, TrainingSession.id == TrainingRequest.session_id)
        .join(Collaborator, Collaborator.id == TrainingRequest.collaborator_id)
        .where(TrainingRequest.status == RequestStatus.ENROLLED, *session_conditions(filters))
    )


def collaborators_report(filters: ReportFilters, limit: int | None = PAGE_ROWS) -> CollaboratorsReport:
    """Per collaborator, by name: sessions, distinct formations, hours, attendance. Three statements:
    how many, their lines, then the attendance of the collaborators listed only."""
    total = db.session.scalar(
        _followed(filters).add_columns(sa.func.count(sa.distinct(TrainingRequest.collaborator_id)))
    )
    query = (
        _followed(filters)
        .add_columns(
            Collaborator.id,
            Collaborator.last_name,
            Collaborator.first_name,
            Collaborator.email,
            Collaborator.employee_number,
            Collaborator.department,
            sa.func.count(),
            sa.func.count(sa.distinct(TrainingSession.training_id)),
            sa.func.sum(TrainingSession.duration_hours),
        )
        .group_by(
            Collaborator.id,
            Collaborator.last_name,
            Collaborator.first_name,
            Collaborator.email,
            Collaborator.employee_number,
            Collaborator.department,
        )
        .order_by(Collaborator.last_name, Collaborator.first_name, Collaborator.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    presence = _presence_of(filters, [row[0] for row in rows] if limit is not None else None)
    lines = [
        CollaboratorLine(
            last, first, email, number, department, int(s), int(t), rounded(h), *presence.get(cid, (0, 0))
        )
        for cid, last, first, email, number, department, s, t, h in rows
    ]
    return CollaboratorsReport(total=int(total or 0), lines=lines)


def _presence_of(filters: ReportFilters, collaborator_ids: list[int] | None) -> dict[int, tuple[int, int]]:
    """Present and recorded half-days per collaborator (of those given, or all)."""
    if collaborator_ids == []:
        return {}
    recorded = marks(filters, collaborator_ids=collaborator_ids)
    return {
        collaborator_id: (int(present), int(n))
        for collaborator_id, present, n in db.session.execute(
            sa.select(
                recorded.c.collaborator_id,
                sa.func.count().filter(recorded.c.value == "present"),
                sa.func.count(),
            ).group_by(recorded.c.collaborator_id)
        )
    }


def followed_sessions(filters: ReportFilters) -> list[FollowedLine]:
    """One line per collaborator and session followed, by name then date: the export."""
    presence = _presence(filters)
    rows = db.session.execute(
        _followed(filters)
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
            sa.func.coalesce(presence.c.present, 0),
            sa.func.coalesce(presence.c.recorded, 0),
        )
        .join(Training, Training.id == TrainingSession.training_id)
        .outerjoin(presence, presence.c.request_id == TrainingRequest.id)
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
