"""Changes to an existing session: its form (the pencil) and its e-mail settings, under the lock
after enrolment, each with its history and what the change means for the invitations."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...models import TrainingSession, User
from .. import history
from ..errors import DomainError, ValidationFailed
from ..history import snapshots
from ..notifications import calendar
from .creation import FORM_FIELDS, check_session_values
from .lock import ensure_can_change

#: What the session form changes: what « Dupliquer » copies, the year, the populations (as rows).
EDITABLE_FIELDS = (*FORM_FIELDS, "year", "populations")


class SessionConflict(DomainError):
    """Someone else saved the session since the form was opened."""


def conflict_message() -> str:
    return gettext(
        "Someone saved this session while you were editing it. Your changes were not saved: they are "
        "still in the form below. Open the session again in a new tab to see the other changes, then "
        "save yours."
    )


def update_session(
    session: TrainingSession,
    values: dict,
    user: User | None,
    reason: str | None = None,
    expected_version: int | str | None = None,
) -> bool:
    """The pencil's « Sauvegarder »: the form's fields, checked as at creation, under the lock after
    enrolment (a reason from an operations manager or an administrator), refused when someone saved
    the session in the meantime. Returns whether anything changed; the history gets one entry."""
    if expected_version is not None and str(expected_version) != str(session.version):
        raise SessionConflict(conflict_message())
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not fields of the session form: {sorted(unknown)}")
    if "training_id" in values and values["training_id"] is None:
        raise ValidationFailed({"training": gettext("Choose a training.")})
    current = {name: getattr(session, name) for name in EDITABLE_FIELDS}
    check_session_values({**current, **values, "label": values.get("label", session.label)})
    ensure_can_change(session, user, reason)
    before = snapshots.session_fields(session)
    for name, value in values.items():
        if current[name] != value:
            setattr(session, name, value)
    try:
        db.session.flush()
    except StaleDataError:
        raise SessionConflict(conflict_message()) from None
    db.session.expire(session, ["training", "certification", "organisation", "dispositif", "evaluation"])
    entry = history.record_changes(session, None, before, snapshots.session_fields(session), reason=reason)
    if entry is not None:
        calendar.sync_session(session)  # invitations turned on: the enrolled get theirs
    return entry is not None


def set_calendar_invitations(
    session: TrainingSession, enabled: bool, user: User | None, reason: str | None = None
) -> None:
    """« Invitations Calendrier » on or off: a change of the session, under the enrolment lock.
    Turned on, the enrolled participants get the invitations they miss."""
    if session.calendar_invitations == bool(enabled):
        return
    ensure_can_change(session, user, reason)
    before = snapshots.session_fields(session)
    session.calendar_invitations = bool(enabled)
    db.session.flush()
    history.record_changes(session, None, before, snapshots.session_fields(session), reason=reason)
    calendar.sync_session(session)
