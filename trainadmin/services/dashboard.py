"""What needs attention now, for the admin home page (« Tableau de bord »)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    Cost,
    ImportRun,
    ImportStatus,
    OutboxMessage,
    OutboxState,
    Publication,
    RequestStatus,
    TrainingRequest,
    TrainingSession,
    WorkflowStatus,
)

SOON_DAYS = 30
FAILED_IMPORT_DAYS = 7
TIMELINE_WEEKS = 12
ACTIVE = (WorkflowStatus.CREATED, WorkflowStatus.CONFIRMED, WorkflowStatus.IN_PROGRESS)


@dataclass
class TimelineBar:
    session: TrainingSession
    offset: float  # % of the window before the bar
    width: float  # % of the window the bar covers
    under_minimum: bool


def attention_counts(today: date) -> dict[str, int]:
    """One query for every count of the dashboard; cancelled and closed sessions need no attention."""
    soon = today + timedelta(days=SOON_DAYS)
    has_costs = sa.exists().where(Cost.session_id == TrainingSession.id)
    to_complete = sa.or_(TrainingSession.evaluation_id.is_(None), ~has_costs)
    under_minimum = sa.and_(
        TrainingSession.capacity_min.is_not(None),
        TrainingSession.enrolled_count < TrainingSession.capacity_min,
    )
    starting_soon = TrainingSession.start_date.between(today, soon)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(TrainingSession.publication == Publication.DRAFT),
            sa.func.count().filter(to_complete),
            sa.func.count().filter(sa.and_(starting_soon, under_minimum)),
            sa.func.count().filter(starting_soon),
        ).where(TrainingSession.status.in_(ACTIVE))
    ).one()
    pending = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TrainingRequest)
        .where(TrainingRequest.status.in_((RequestStatus.PENDING_MANAGER, RequestStatus.PENDING_TRAINING)))
    )
    failed_emails = db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED)
    )
    return {
        "failed_emails": failed_emails,
        "drafts": row[0],
        "to_complete": row[1],
        "soon_under_minimum": row[2],
        "soon": row[3],
        "requests_to_process": pending,
    }


def timeline(today: date) -> tuple[list[TimelineBar], list[date]]:
    """Sessions running in the next weeks, as bars over a window that starts this Monday."""
    start = today - timedelta(days=today.weekday())
    end = start + timedelta(weeks=TIMELINE_WEEKS)
    sessions = db.session.scalars(
        sa.select(TrainingSession)
        .where(
            TrainingSession.status.in_(ACTIVE),
            TrainingSession.start_date < end,
            TrainingSession.end_date >= today,
        )
        .order_by(TrainingSession.start_date, TrainingSession.code)
        .limit(40)
    ).all()
    span = (end - start).days
    bars = []
    for session in sessions:
        first = max(session.start_date, start)
        last = min(session.end_date or session.start_date, end - timedelta(days=1))
        bars.append(
            TimelineBar(
                session=session,
                offset=100 * (first - start).days / span,
                width=max(100 * ((last - first).days + 1) / span, 0.8),
                under_minimum=session.capacity_min is not None
                and session.enrolled_count < session.capacity_min,
            )
        )
    weeks = [start + timedelta(weeks=n) for n in range(TIMELINE_WEEKS)]
    return bars, weeks


def failed_imports(since: datetime) -> int:
    """Partner imports that failed since then (the dashboard shows them until they are a week old)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ImportRun)
        .where(ImportRun.status == ImportStatus.FAILED, ImportRun.queued_at >= since)
    )
