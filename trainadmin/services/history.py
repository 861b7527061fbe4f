"""The history of a session: every change to it and to what belongs to it, written at flush time.

Changes are captured in one place, whatever the path (admin form, bulk action, job, import), by a
`before_flush` hook that reads SQLAlchemy's attribute history. Who acted comes from the logged-in
user, or is the system when no user is behind the change (workers, imports).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import inspect
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import NO_VALUE

from ..models import (
    Cost,
    Financing,
    Origin,
    Sequence,
    SessionHistory,
    Slot,
    SlotDate,
    TrainingSession,
)

SYSTEM_ACTOR = "system"

# Derived or technical columns: their changes are consequences, not edits.
IGNORED_FIELDS = {
    "id",
    "version",
    "updated_at",
    "created_at",
    "created_by_id",
    "start_date",
    "end_date",
    "duration_days",
    "duration_hours",
    "sequence_count",
    "enrolled_count",
    "code",
    "session_id",
    "sequence_id",
    "slot_id",
}

_reason: ContextVar[str | None] = ContextVar("history_reason", default=None)
_actor: ContextVar[tuple[int | None, str] | None] = ContextVar("history_actor", default=None)


@contextmanager
def change_reason(reason: str | None):
    """Attach a reason (e.g. why a session with participants was changed) to what is flushed inside."""
    token = _reason.set(reason or None)
    try:
        yield
    finally:
        _reason.reset(token)


@contextmanager
def acting_as(user_id: int | None, label: str):
    """Record changes made inside under an explicit actor (a job acting for a user, or the system)."""
    token = _actor.set((user_id, label))
    try:
        yield
    finally:
        _actor.reset(token)


def current_reason() -> str | None:
    return _reason.get()


def current_actor() -> tuple[int | None, str]:
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.email
    return None, SYSTEM_ACTOR


def render(value) -> str | None:
    if value is None or value is NO_VALUE:
        return None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple | set):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def _owner(obj) -> TrainingSession | None:
    if isinstance(obj, TrainingSession):
        return obj
    if isinstance(obj, Sequence):
        return obj.session
    if isinstance(obj, Slot):
        return obj.sequence.session if obj.sequence else None
    if isinstance(obj, SlotDate):
        return obj.slot.sequence.session if obj.slot and obj.slot.sequence else None
    if isinstance(obj, Cost | Financing):
        return obj.session
    return None


def _target(obj) -> str | None:
    """What the change is about, cut to fit its column (a slot with many dates is a long name)."""
    target = _describe(obj)
    if target is not None and len(target) > TARGET_LENGTH:
        target = target[: TARGET_LENGTH - 1] + "…"
    return target


TARGET_LENGTH = 200


def _describe(obj) -> str | None:
    if isinstance(obj, Sequence):
        return f"sequence:{obj.label}"
    if isinstance(obj, Slot):
        return f"slot:{obj}"
    if isinstance(obj, SlotDate):
        return f"slot_date:{obj}"
    if isinstance(obj, Cost):
        return f"cost:{obj.cost_type}"
    if isinstance(obj, Financing):
        return f"financing:{obj.funder}"
    return None


def _field_changes(obj) -> list[tuple[str, str | None, str | None]]:
    """(field, old, new) for every edited attribute, relations shown by their label."""
    state = inspect(obj)
    changes = []
    for attr in state.mapper.column_attrs:
        if attr.key in IGNORED_FIELDS or attr.key.endswith("_id"):
            continue
        history = state.attrs[attr.key].history
        if history.has_changes() and history.deleted:
            old, new = render(history.deleted[0]), render(history.added[0] if history.added else None)
            if old != new:
                changes.append((attr.key, old, new))
    for rel in state.mapper.relationships:
        if rel.key in {"session", "sequence", "slot", "sequences", "slots", "dates", "created_by"}:
            continue
        if rel.key in {"duplicated_from", "partner"}:
            continue
        history = state.attrs[rel.key].history
        if not history.has_changes():
            continue
        if rel.uselist:
            before = list(history.unchanged) + list(history.deleted)
            after = list(history.unchanged) + list(history.added)
            old, new = render(before), render(after)
        else:
            old = render(history.deleted[0]) if history.deleted else None
            new = render(history.added[0]) if history.added else None
        if old != new:
            changes.append((rel.key, old, new))
    return changes


def _entry(session_obj: TrainingSession, action: str, **values) -> SessionHistory:
    user_id, actor = current_actor()
    return SessionHistory(
        session=session_obj, user_id=user_id, actor=actor, action=action, reason=_reason.get(), **values
    )


TRACKED = (TrainingSession, Sequence, Slot, SlotDate, Cost, Financing)


def track_changes(session: OrmSession, flush_context, instances) -> None:
    entries: list[SessionHistory] = []
    for obj in list(session.new):
        if not isinstance(obj, TRACKED):
            continue
        owner = _owner(obj)
        if owner is None:
            continue
        if obj is owner:
            if owner.origin == Origin.DUPLICATED and owner.duplicated_from is not None:
                entries.append(_entry(owner, "duplicated", new_value=owner.duplicated_from.code))
            elif owner.origin == Origin.IMPORTED:
                entries.append(_entry(owner, "imported", new_value=owner.external_ref))
            else:
                entries.append(_entry(owner, "created", new_value=owner.code))
        elif not (owner in session.new and owner.origin == Origin.DUPLICATED):
            # (what is copied with a duplicated session is covered by its "duplicated" entry)
            entries.append(_entry(owner, "added", target=_target(obj)))
    for obj in list(session.dirty):
        if not isinstance(obj, TRACKED) or not session.is_modified(obj, include_collections=True):
            continue
        owner = _owner(obj)
        if owner is None or owner in session.deleted:
            continue
        for field, old, new in _field_changes(obj):
            entries.append(
                _entry(owner, "changed", target=_target(obj), field=field, old_value=old, new_value=new)
            )
    for obj in list(session.deleted):
        if not isinstance(obj, TRACKED) or isinstance(obj, TrainingSession):
            continue
        owner = _owner(obj)
        if owner is None or owner in session.deleted or inspect(owner).deleted:
            continue
        entries.append(_entry(owner, "removed", target=_target(obj)))
    session.add_all(entries)


def install() -> None:
    if not sa.event.contains(OrmSession, "before_flush", track_changes):
        sa.event.listen(OrmSession, "before_flush", track_changes)


def session_history(session_id: int, page: int = 1, per_page: int = 50) -> tuple[list[SessionHistory], int]:
    """Newest first, with the total count for pagination."""
    from ..extensions import db

    base = sa.select(SessionHistory).where(SessionHistory.session_id == session_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = db.session.scalars(
        base.order_by(SessionHistory.at.desc(), SessionHistory.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return rows, total
