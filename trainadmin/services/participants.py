"""Participants: enrolments behind « demandes », capacity and waiting list, cancellation."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext

from ..extensions import db
from ..models import (
    Collaborator,
    RequestStatus,
    RequestStep,
    TrainingRequest,
    TrainingSession,
    User,
    WorkflowStatus,
    collaborator_population,
    session_population,
)
from .errors import DomainError
from .history import current_actor

CANCEL_REASONS = {
    "collaborator": lazy_gettext("Withdrawn by the collaborator"),
    "manager": lazy_gettext("Refused by the manager"),
    "workload": lazy_gettext("Workload"),
    "illness": lazy_gettext("Illness or absence"),
    "session": lazy_gettext("Session cancelled or changed"),
    "other": lazy_gettext("Other"),
}
SEATED = (RequestStatus.ENROLLED,)


def _step(request: TrainingRequest, before: RequestStatus | None, comment: str | None = None) -> None:
    user_id, actor = current_actor()
    request.steps.append(
        RequestStep(
            user_id=user_id,
            actor=actor,
            from_status=before.value if before else None,
            to_status=request.status.value,
            comment=comment,
        )
    )


def allowed_by_populations(session: TrainingSession, collaborator_ids: list[int]) -> set[int]:
    """Collaborators the session is open to: everyone without populations, else members of one."""
    has_populations = db.session.scalar(
        sa.select(sa.exists().where(session_population.c.session_id == session.id))
    )
    if not has_populations:
        return set(collaborator_ids)
    return set(
        db.session.scalars(
            sa.select(collaborator_population.c.collaborator_id)
            .join(
                session_population,
                session_population.c.population_id == collaborator_population.c.population_id,
            )
            .where(
                session_population.c.session_id == session.id,
                collaborator_population.c.collaborator_id.in_(collaborator_ids),
            )
        )
    )


def enrol(session: TrainingSession, collaborator_ids: list[int], user: User | None) -> tuple[list, list[str]]:
    """Enrol collaborators (a demande validated in one step by the training staff). Past the maximum
    capacity they go to the waiting list, in order. Returns (requests made, refusals to show)."""
    if session.status in (WorkflowStatus.CANCELLED, WorkflowStatus.CLOSED):
        raise DomainError(
            gettext("Nobody can be enrolled in a cancelled or closed session."), field="collaborators"
        )
    ids = list(dict.fromkeys(collaborator_ids))
    collaborators = {
        c.id: c for c in db.session.scalars(sa.select(Collaborator).where(Collaborator.id.in_(ids)))
    }
    existing = set(
        db.session.scalars(
            sa.select(TrainingRequest.collaborator_id).where(
                TrainingRequest.session_id == session.id, TrainingRequest.collaborator_id.in_(ids)
            )
        )
    )
    allowed = allowed_by_populations(session, ids)
    made, refusals = [], []
    for collaborator_id in ids:
        collaborator = collaborators.get(collaborator_id)
        if collaborator is None:
            refusals.append(gettext("Unknown collaborator."))
        elif collaborator_id in existing:
            refusals.append(gettext("%(name)s already has a request for this session.", name=collaborator))
        elif collaborator_id not in allowed:
            refusals.append(
                gettext("%(name)s is not in the populations this session is open to.", name=collaborator)
            )
        else:
            made.append(_new_request(session, collaborator, user))
    db.session.flush()
    return made, refusals


def _new_request(session: TrainingSession, collaborator: Collaborator, user: User | None) -> TrainingRequest:
    full = session.capacity_max is not None and session.enrolled_count >= session.capacity_max
    request = TrainingRequest(session=session, collaborator=collaborator, created_by=user)
    if full:
        request.status = RequestStatus.WAITLISTED
        request.waitlist_position = _last_waitlist_position(session) + 1
    else:
        request.status = RequestStatus.ENROLLED
        session.enrolled_count += 1
    db.session.add(request)
    _step(request, None)
    return request


def _last_waitlist_position(session: TrainingSession) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(TrainingRequest.waitlist_position), 0)).where(
            TrainingRequest.session_id == session.id
        )
    )


def cancel_enrolment(
    request: TrainingRequest, reason: str | None, details: str | None
) -> TrainingRequest | None:
    """« Annuler l'inscription »: frees the seat, and the first person waiting takes it (returned)."""
    if reason not in CANCEL_REASONS:
        raise DomainError(gettext("Choose the reason of the cancellation."), field="cancel_reason")
    if request.status in (RequestStatus.CANCELLED, RequestStatus.REFUSED):
        raise DomainError(gettext("This request is already closed."), field="cancel_reason")
    before = request.status
    seated = before in SEATED
    request.status = RequestStatus.CANCELLED
    request.cancel_reason = reason
    request.cancel_details = (details or "").strip() or None
    request.waitlist_position = None
    _step(request, before, request.cancel_details)
    session = request.session
    promoted = None
    if seated:
        session.enrolled_count -= 1
        promoted = db.session.scalars(
            sa.select(TrainingRequest)
            .where(
                TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.WAITLISTED
            )
            .order_by(TrainingRequest.waitlist_position, TrainingRequest.id)
            .limit(1)
        ).first()
        if promoted is not None:
            promoted.status = RequestStatus.ENROLLED
            promoted.waitlist_position = None
            session.enrolled_count += 1
            _step(promoted, RequestStatus.WAITLISTED, gettext("A seat was freed."))
    db.session.flush()
    return promoted


def participants(session: TrainingSession) -> list[TrainingRequest]:
    return db.session.scalars(
        sa.select(TrainingRequest)
        .where(TrainingRequest.session_id == session.id)
        .options(sa.orm.selectinload(TrainingRequest.collaborator))
        .order_by(TrainingRequest.status, TrainingRequest.waitlist_position, TrainingRequest.id)
    ).all()


def search_collaborators(term: str | None, limit: int = 30) -> list[Collaborator]:
    term = (term or "").strip()[:100]
    query = sa.select(Collaborator).order_by(Collaborator.last_name, Collaborator.first_name).limit(limit)
    if term:
        pattern = "%" + term.replace("%", "").replace("_", "") + "%"
        query = query.where(
            sa.or_(
                Collaborator.last_name.ilike(pattern),
                Collaborator.first_name.ilike(pattern),
                Collaborator.email.ilike(pattern),
            )
        )
    return db.session.scalars(query).all()
