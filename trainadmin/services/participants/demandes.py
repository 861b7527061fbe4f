"""Participants: enrolments behind « demandes », their validation workflow, capacity and waiting list,
cancellation.

A demande goes: en attente de validation manager → en attente de validation service formation →
validée → inscrit (or liste d'attente past the maximum capacity); or refusée / annulée. The
collaborator's manager is not a user of the back office: the training staff record the manager's
answer (the step keeps who recorded it). Demandes made by the staff themselves are validated in one
step. Every change of status is a RequestStep (who, when, from → to, comment).

Seats are counted on the session row, which is locked (SELECT … FOR UPDATE on PostgreSQL) while a
seat is taken or freed, so two staff members enrolling at once never exceed the maximum capacity."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext

from ...extensions import db
from ...models import (
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
from .. import history, tallies
from ..errors import DomainError
from ..history import current_actor, snapshots, values
from ..notifications import events
from .manager_links import ask_manager

CANCEL_REASONS = {
    "collaborator": lazy_gettext("Withdrawn by the collaborator"),
    "manager": lazy_gettext("Refused by the manager"),
    "workload": lazy_gettext("Workload"),
    "illness": lazy_gettext("Illness or absence"),
    "session": lazy_gettext("Session cancelled or changed"),
    "other": lazy_gettext("Other"),
}
SEATED = (RequestStatus.ENROLLED,)
PENDING = (RequestStatus.PENDING_MANAGER, RequestStatus.PENDING_TRAINING)
OPEN = (*PENDING, RequestStatus.VALIDATED, RequestStatus.ENROLLED, RequestStatus.WAITLISTED)
CLOSED_SESSION = (WorkflowStatus.CANCELLED, WorkflowStatus.CLOSED)

EXPECTED_ACTIONS = {
    RequestStatus.PENDING_MANAGER: lazy_gettext("Validation by the collaborator's manager"),
    RequestStatus.PENDING_TRAINING: lazy_gettext("Validation by the training department"),
    RequestStatus.VALIDATED: lazy_gettext("Enrolment"),
    RequestStatus.ENROLLED: lazy_gettext("None: the collaborator is enrolled"),
    RequestStatus.WAITLISTED: lazy_gettext("A seat to free up"),
    RequestStatus.REFUSED: lazy_gettext("None"),
    RequestStatus.CANCELLED: lazy_gettext("None"),
}


def expected_action(request: TrainingRequest) -> str:
    return str(EXPECTED_ACTIONS[request.status])


def _lock_seats(session: TrainingSession) -> None:
    """Reload the session's seat count under a row lock before taking or freeing a seat."""
    db.session.refresh(session, attribute_names=["enrolled_count", "version"], with_for_update=True)


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


def _record(request: TrainingRequest, before: RequestStatus | None, comment: str | None = None) -> None:
    """The session's history: a participant added, or their demande moving on (one entry per action,
    whatever the steps in between)."""
    history.record(
        request.session,
        history.ADDED if before is None else history.CHANGED,
        snapshots.participant_target(request),
        [history.change("request_status", values.enum_value(before), values.enum_value(request.status))],
        reason=comment,
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


def enrol(
    session: TrainingSession, collaborator_ids: list[int], user: User | None, one_step: bool = True
) -> tuple[list, list[str]]:
    """Demandes for collaborators. Made by the training staff, they are validated in one step: the
    collaborators are enrolled, or past the maximum capacity put on the waiting list, in order.
    With one_step=False they start the workflow at the manager's validation.
    Returns (requests made, refusals to show)."""
    if session.status in CLOSED_SESSION:
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
    if one_step:
        _lock_seats(session)
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
            made.append(_new_request(session, collaborator, user, one_step))
    db.session.flush()
    for request in made:
        _record(request, None)
        if request.status == RequestStatus.ENROLLED:
            events.on_enrolment(request)
        elif request.status == RequestStatus.PENDING_MANAGER:
            ask_manager(request)  # the manager's link, by e-mail
    return made, refusals


def _new_request(
    session: TrainingSession, collaborator: Collaborator, user: User | None, one_step: bool
) -> TrainingRequest:
    request = TrainingRequest(session=session, collaborator=collaborator, created_by=user)
    db.session.add(request)
    if one_step:
        _seat(request, None)
    else:
        request.status = RequestStatus.PENDING_MANAGER
        _step(request, None)
    return request


def _seat(request: TrainingRequest, before: RequestStatus | None, comment: str | None = None) -> None:
    """A validated demande takes a seat, or the next place on the waiting list when the session is full."""
    session = request.session
    full = session.capacity_max is not None and session.enrolled_count >= session.capacity_max
    if full:
        request.status = RequestStatus.WAITLISTED
        request.waitlist_position = _last_waitlist_position(session) + 1
    else:
        request.status = RequestStatus.ENROLLED
        session.enrolled_count += 1
    _step(request, before, comment)


def ensure_still_as_seen(request: TrainingRequest, seen: str | None) -> None:
    """A decision taken on a page that showed the demande at status `seen`: refused when someone
    (the manager from their link, a colleague) acted first — their decision stands."""
    if seen and seen != request.status.value:
        raise DomainError(gettext("This request has already been dealt with."))


def validate(request: TrainingRequest, comment: str | None = None) -> None:
    """The next validation of the workflow: the manager's, then the training department's (which
    enrols, or puts on the waiting list when the session is full)."""
    comment = _clean(comment)
    session = request.session
    before = request.status
    if request.status == RequestStatus.PENDING_MANAGER:
        request.status = RequestStatus.PENDING_TRAINING
        _step(request, RequestStatus.PENDING_MANAGER, comment)
    elif request.status == RequestStatus.PENDING_TRAINING:
        if session.status in CLOSED_SESSION:
            raise DomainError(
                gettext("Nobody can be enrolled in a cancelled or closed session."), field="comment"
            )
        _lock_seats(session)
        request.status = RequestStatus.VALIDATED
        _step(request, RequestStatus.PENDING_TRAINING, comment)
        _seat(request, RequestStatus.VALIDATED)
    else:
        raise DomainError(gettext("This request is not waiting for a validation."), field="comment")
    db.session.flush()
    _record(request, before, comment)
    if request.status == RequestStatus.ENROLLED:
        events.on_enrolment(request)


def refuse(request: TrainingRequest, comment: str | None) -> None:
    """Refuse a demande waiting for a validation or for a seat; the comment says why."""
    comment = _clean(comment)
    if not comment:
        raise DomainError(gettext("Say why the request is refused."), field="comment")
    if request.status not in (*PENDING, RequestStatus.WAITLISTED):
        raise DomainError(gettext("Only a request waiting for a validation or a seat can be refused."))
    before = request.status
    request.status = RequestStatus.REFUSED
    request.waitlist_position = None
    _step(request, before, comment)
    db.session.flush()
    _record(request, before, comment)


def _clean(text: str | None, field: str = "comment") -> str | None:
    text = (text or "").strip()
    if len(text) > 2000:
        raise DomainError(gettext("At most %(n)s characters.", n=2000), field=field)
    return text or None


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
    details = _clean(details, "cancel_details")
    session = request.session
    if request.status in SEATED:
        _lock_seats(session)
    before = request.status
    seated = before in SEATED
    request.status = RequestStatus.CANCELLED
    request.cancel_reason = reason
    request.cancel_details = details
    request.waitlist_position = None
    _step(request, before, details)
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
    if seated:  # their half-days and survey links no longer count
        tallies.recount_attendance(session.id)
        tallies.recount_surveys(session.id)
    _record(request, before, " — ".join(filter(None, [str(CANCEL_REASONS[reason]), details])))
    if promoted is not None:
        _record(promoted, RequestStatus.WAITLISTED, gettext("A seat was freed."))
    events.on_enrolment_cancelled(request)
    if promoted is not None:
        events.on_enrolment(promoted)  # the seat is theirs: the enrolment e-mail tells them
    return promoted


def participants(session: TrainingSession) -> list[TrainingRequest]:
    """The session's requests with their collaborator, in one statement (joined: a list of ids
    sent back for hundreds of rows costs more than the join)."""
    return db.session.scalars(
        sa.select(TrainingRequest)
        .where(TrainingRequest.session_id == session.id)
        .options(sa.orm.joinedload(TrainingRequest.collaborator, innerjoin=True))
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
