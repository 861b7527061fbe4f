"""Which sessions a collaborator sees in the learner catalogue (« Population » and draft rules).

`catalog_query` filters in SQL for lists; `is_visible_to` checks one loaded session. They state
the same rule twice and the tests hold them to the same answers.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ...models import (
    Collaborator,
    Publication,
    TrainingSession,
    WorkflowStatus,
    collaborator_population,
    session_population,
)

# A cancelled or closed session is no longer offered to learners.
OPEN_STATUSES = (WorkflowStatus.CREATED, WorkflowStatus.CONFIRMED, WorkflowStatus.IN_PROGRESS)


def catalog_query(collaborator: Collaborator, today: date) -> sa.Select[tuple[TrainingSession]]:
    """The sessions `collaborator` may see on `today`, ordered by start date (undated last), then code."""
    has_population = sa.exists().where(session_population.c.session_id == TrainingSession.id)
    shares_population = sa.exists().where(
        session_population.c.session_id == TrainingSession.id,
        session_population.c.population_id == collaborator_population.c.population_id,
        collaborator_population.c.collaborator_id == collaborator.id,
    )
    return (
        sa.select(TrainingSession)
        .where(
            TrainingSession.publication == Publication.PUBLISHED,
            TrainingSession.status.in_(OPEN_STATUSES),
            sa.or_(TrainingSession.end_date.is_(None), TrainingSession.end_date >= today),
            sa.or_(~has_population, shares_population),
        )
        .order_by(TrainingSession.start_date.asc().nulls_last(), TrainingSession.code)
    )


def is_visible_to(session: TrainingSession, collaborator: Collaborator, today: date) -> bool:
    """The same rule as `catalog_query`, for one session (e.g. before an enrolment)."""
    if session.publication != Publication.PUBLISHED or session.status not in OPEN_STATUSES:
        return False
    if session.end_date is not None and session.end_date < today:
        return False
    if not session.populations:
        return True
    collaborator_populations = {population.id for population in collaborator.populations}
    return any(population.id in collaborator_populations for population in session.populations)
