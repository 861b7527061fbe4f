"""Writing the history: one entry per user action — who, when, what it is about, each changed field
with its value before and after, and the reason given — and reading it back, newest first."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from ...extensions import db
from ...models import SessionHistory, TrainingSession
from .context import current_actor, current_reason

CREATED = "created"
DUPLICATED = "duplicated"
IMPORTED = "imported"
ADDED = "added"
CHANGED = "changed"
REMOVED = "removed"


def change(field: str, old=None, new=None, *, label: str | None = None) -> dict:
    """One line of an entry: a field (by its key, labelled by the history tab) or, for values that
    are not fields (a participant's half-day), a label written out."""
    item = {"field": field, "old": old, "new": new}
    if label is not None:
        item["label"] = label
    return item


def diff(before: dict | None, after: dict | None) -> list[dict]:
    """The fields whose values differ, in the order of the snapshot."""
    before, after = before or {}, after or {}
    keys = list(after) + [key for key in before if key not in after]
    return [change(key, before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)]


def record(
    session: TrainingSession,
    action: str,
    target: str | None = None,
    changes: list[dict] | None = None,
    reason: str | None = None,
) -> SessionHistory:
    """Add one entry to the session's history (flushed with the change it describes). A change to an
    imported session makes the next import compare it with its feed again (`forget_import_digest`)."""
    if session.import_digest is not None:
        forget_import_digest(session)
    user_id, actor = current_actor()
    entry = SessionHistory(
        session=session,
        user_id=user_id,
        actor=actor,
        action=action,
        target=target,
        changes=changes or None,
        reason=(reason or "").strip() or current_reason(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def forget_import_digest(session: TrainingSession) -> None:
    """The session no longer is what its feed's rows gave: the partner import will read it again. A
    column of its own, cleared without touching its version (the change recorded bumps it if it
    changes the session's row)."""
    table = TrainingSession.__table__
    db.session.execute(sa.update(table).where(table.c.id == session.id).values(import_digest=None))
    set_committed_value(session, "import_digest", None)


def record_changes(
    session: TrainingSession,
    target: str | None,
    before: dict | None,
    after: dict | None,
    extra: list[dict] | None = None,
    reason: str | None = None,
) -> SessionHistory | None:
    """One entry for an object that was added (before None), removed (after None) or changed;
    nothing when nothing a person would notice changed."""
    changes = diff(before, after) if before is not None and after is not None else []
    if before is None:
        action = ADDED
        changes = [change(key, None, value) for key, value in (after or {}).items() if value is not None]
    elif after is None:
        action = REMOVED
        changes = [change(key, value, None) for key, value in before.items() if value is not None]
    else:
        action = CHANGED
        if not changes:
            return None
    return record(session, action, target, [*changes, *(extra or [])], reason)


def session_history(session_id: int, page: int = 1, per_page: int = 50) -> tuple[list[SessionHistory], int]:
    """Newest first, with the total count for pagination."""
    base = sa.select(SessionHistory).where(SessionHistory.session_id == session_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = db.session.scalars(
        base.order_by(SessionHistory.at.desc(), SessionHistory.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return rows, total
