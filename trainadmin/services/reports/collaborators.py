"""« Par collaborateur »: the trainings each collaborator followed in the period and their hours,
for the annual interview. A collaborator follows a session when enrolled in it (the demande's status
« Inscrit »), the session not cancelled and starting in the period; its hours are the session's
« Durée en heures », as its page shows them."""

from __future__ import annotations

import gc
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
    demandes' tallies). Two statements: the collaborators listed (the first `limit` by name) and how
    many in all, then the figures of those listed only."""
    chosen = (
        sa.select(
            Collaborator.id,
            Collaborator.last_name,
            Collaborator.first_name,
            Collaborator.email,
            Collaborator.employee_number,
            Collaborator.department,
            sa.func.count().over().label("total"),
        )
        .where(Collaborator.id.in_(_followed(filters).add_columns(TrainingRequest.collaborator_id)))
        .order_by(Collaborator.last_name, Collaborator.first_name, Collaborator.id)
    )
    if limit is not None:
        chosen = chosen.limit(limit)
    people = db.session.execute(chosen).all()
    if not people:
        return CollaboratorsReport(total=0, lines=[])
    ids = [row.id for row in people] if limit is not None else None
    figures = {
        row[0]: row[1:]
        for row in db.session.execute(
            _followed(filters)
            .add_columns(
                TrainingRequest.collaborator_id,
                sa.func.count(),
                sa.func.count(sa.distinct(TrainingSession.training_id)),
                sa.func.sum(TrainingSession.duration_hours),
                sa.func.sum(TrainingRequest.present_half_days),
                sa.func.sum(_recorded()),
            )
            .where(TrainingRequest.collaborator_id.in_(ids) if ids is not None else sa.true())
            .group_by(TrainingRequest.collaborator_id)
        )
    }
    lines = []
    for cid, last, first, email, number, department, _total in people:
        s, t, h, p, r = figures[cid]
        lines.append(
            CollaboratorLine(
                last, first, email, number, department, int(s), int(t), rounded(h), int(p), int(r)
            )
        )
    return CollaboratorsReport(total=int(people[0].total), lines=lines)


def followed_sessions(filters: ReportFilters) -> list[FollowedLine]:
    """One line per collaborator and session followed, by name then date: the export. Three
    statements: the demandes in order, then the collaborators' names (the directory, a row each)
    and the details of the sessions, each read once however many lines name them.

    The collaborators are ranked by name first (a few thousand names compared), so the demandes are
    sorted by that rank rather than by comparing names line by line, and the sort carries only
    numbers, dates and codes."""
    by_name = sa.func.row_number().over(
        order_by=(Collaborator.last_name, Collaborator.first_name, Collaborator.id)
    )
    ranked = sa.select(Collaborator.id, by_name.label("rank")).subquery("ranked")
    connection = db.session.connection()
    demandes = connection.execute(
        _followed(filters)
        .join(ranked, ranked.c.id == TrainingRequest.collaborator_id)
        .add_columns(
            TrainingRequest.collaborator_id,
            TrainingRequest.session_id,
            TrainingRequest.present_half_days,
            _recorded(),
        )
        .order_by(ranked.c.rank, TrainingSession.start_date, TrainingSession.code)
    ).all()
    people = {
        row[0]: row[1:]
        for row in connection.execute(
            sa.select(
                Collaborator.id,
                Collaborator.last_name,
                Collaborator.first_name,
                Collaborator.email,
                Collaborator.employee_number,
            )
        )
    }
    sessions = {
        row[0]: (*row[1:6], rounded(row[6]))
        for row in connection.execute(
            sa.select(
                TrainingSession.id,
                TrainingSession.code,
                TrainingSession.label,
                Training.name,
                TrainingSession.start_date,
                TrainingSession.end_date,
                TrainingSession.duration_hours,
            )
            .join(Training, Training.id == TrainingSession.training_id)
            .where(*session_conditions(filters))
        )
    }
    # Hundreds of thousands of new objects, none in a cycle: the collector is paused meanwhile
    # (otherwise it scans them again and again as they are made).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return [
            FollowedLine(*people[collaborator_id], *sessions[session_id], present, recorded)
            for collaborator_id, session_id, present, recorded in demandes
        ]
    finally:
        if collecting:
            gc.enable()
