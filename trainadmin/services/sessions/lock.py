"""The lock that protects a session once someone is enrolled: only an operations manager or an
administrator may then change it, its dates or its slots, and they say why."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import (
    RequestStatus,
    Role,
    TrainingRequest,
    TrainingSession,
    User,
)
from ..errors import DomainError

UNLOCKED_ROLES = {Role.ADMIN, Role.OPS_MANAGER}


class SessionLocked(DomainError):
    """A manager may not change a session once a collaborator is enrolled."""


def is_locked(session: TrainingSession) -> bool:
    """At least one collaborator is enrolled."""
    if session.id is None:
        return False
    return db.session.scalar(
        sa.select(
            sa.exists().where(
                TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED
            )
        )
    )


def locked_session_ids(session_ids: list[int]) -> set[int]:
    if not session_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(TrainingRequest.session_id)
            .where(
                TrainingRequest.session_id.in_(session_ids), TrainingRequest.status == RequestStatus.ENROLLED
            )
            .distinct()
        )
    )


def lock_message(session: TrainingSession) -> str:
    return gettext(
        "Session %(code)s has enrolled collaborators: only an operations manager or an "
        "administrator can change it, its dates or its slots.",
        code=session.code,
    )


def ensure_can_change(session: TrainingSession, user: User | None, reason: str | None = None) -> None:
    """The lock after enrolment: every path that changes a session or its planning calls this.

    Workers and imports act as the system (user None) and are bound by the same rule as a manager.
    An operations manager or an administrator may change a locked session, with a reason.
    """
    if not is_locked(session):
        return
    if user is None or user.role not in UNLOCKED_ROLES:
        raise SessionLocked(lock_message(session))
    if not (reason or "").strip():
        raise DomainError(
            gettext("This session has enrolled collaborators: say why you change it."), field="change_reason"
        )
