"""Publication (Brouillon / Publié, manual only) and the workflow créé → confirmé → en cours →
clôturé, or annulé."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import (
    Publication,
    Sequence,
    Slot,
    SlotDate,
    TrainingSession,
    User,
    WorkflowStatus,
)
from .. import history
from ..errors import DomainError
from ..history import snapshots
from ..notifications import calendar, events, outbox, refresh_schedule
from ..planning.date_state import refresh_date_state
from .lock import UNLOCKED_ROLES, ensure_can_change, locked_session_ids

# Workflow: from → allowed targets. Cancelling is possible from any state before « clôturé ».
TRANSITIONS = {
    WorkflowStatus.CREATED: {WorkflowStatus.CONFIRMED, WorkflowStatus.CANCELLED},
    WorkflowStatus.CONFIRMED: {WorkflowStatus.IN_PROGRESS, WorkflowStatus.CREATED, WorkflowStatus.CANCELLED},
    WorkflowStatus.IN_PROGRESS: {WorkflowStatus.CLOSED, WorkflowStatus.CANCELLED},
    WorkflowStatus.CLOSED: set(),
    WorkflowStatus.CANCELLED: set(),
}


def set_publication(
    sessions: list[TrainingSession], publication: Publication, user: User | None
) -> tuple[list[TrainingSession], list[TrainingSession]]:
    """Publish or put back to draft; never automatic. Returns (changed, skipped because locked).
    Publishing sends the calendar invitations a draft holds back; back to draft, the messages not
    sent yet are cancelled (a draft sends nothing but cancellations)."""
    locked = locked_session_ids([s.id for s in sessions])
    changed, skipped = [], []
    for session in sessions:
        if session.publication == publication:
            continue
        if session.id in locked and (user is None or user.role not in UNLOCKED_ROLES):
            skipped.append(session)
            continue
        before = snapshots.session_fields(session)
        session.publication = publication
        history.record_changes(session, None, before, snapshots.session_fields(session))
        changed.append(session)
    db.session.flush()
    for session in changed:
        refresh_schedule(session)  # published: its e-mails are planned; back to draft: cancelled
        if publication == Publication.DRAFT:
            outbox.cancel_pending(session_id=session.id)
        elif session.enrolled_count:
            # what a draft held back: the invitations and their updates
            calendar.invite_all(session)
            calendar.refresh_invitations(session, notify=True)
    return changed, skipped


def last_slot_end(session: TrainingSession) -> datetime | None:
    row = db.session.execute(
        sa.select(SlotDate.day, SlotDate.end_time)
        .join(Slot, Slot.id == SlotDate.slot_id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .where(Sequence.session_id == session.id)
        .order_by(SlotDate.day.desc(), SlotDate.end_time.desc())
        .limit(1)
    ).first()
    return datetime.combine(row.day, row.end_time) if row else None


def change_status(
    session: TrainingSession,
    target: WorkflowStatus,
    user: User | None,
    now: datetime,
    reason: str | None = None,
    change_reason: str | None = None,
) -> None:
    """Move the workflow, with the guards a manager expects. `now` is local wall-clock time.
    `reason` is the cancellation's; once someone is enrolled only an operations manager or an
    administrator moves it, saying why (`change_reason`, or the cancellation's reason)."""
    if target == WorkflowStatus.CANCELLED and not change_reason:
        change_reason = reason
    ensure_can_change(session, user, change_reason)
    if target not in TRANSITIONS[session.status]:
        raise DomainError(
            gettext("A session cannot go from this status to the one requested."), field="status"
        )
    if target == WorkflowStatus.CONFIRMED and last_slot_end(session) is None:
        raise DomainError(gettext("Add at least one slot before confirming the session."), field="status")
    if target == WorkflowStatus.CLOSED:
        end = last_slot_end(session)
        if end is None or end > now:
            raise DomainError(
                gettext("The session can be closed once its last slot has ended."), field="status"
            )
    before = snapshots.session_fields(session)
    if target == WorkflowStatus.CANCELLED:
        if not (reason or "").strip():
            raise DomainError(gettext("Give the reason of the cancellation."), field="cancel_reason")
        session.cancel_reason = reason.strip()
    session.status = target
    db.session.flush()
    refresh_date_state([session.id])
    history.record_changes(session, None, before, snapshots.session_fields(session), reason=change_reason)
    refresh_schedule(session)
    if target == WorkflowStatus.CANCELLED:
        events.on_session_cancelled(session)
