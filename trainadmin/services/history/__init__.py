"""The history of a session: every change to it and to what belongs to it (sequences, slots,
participants, attendance, certifications, costs, financing, documents, e-mails), written by the
service that makes the change — one entry per user action, with who, when, each field before and
after as a person reads it, and the reason given."""

from __future__ import annotations

from . import snapshots
from .context import SYSTEM_ACTOR, acting_as, actor_label, change_reason, current_actor, current_reason
from .record import (
    ADDED,
    CHANGED,
    CREATED,
    DUPLICATED,
    IMPORTED,
    REMOVED,
    change,
    diff,
    record,
    record_changes,
    session_history,
)

__all__ = [
    "ADDED",
    "CHANGED",
    "CREATED",
    "DUPLICATED",
    "IMPORTED",
    "REMOVED",
    "SYSTEM_ACTOR",
    "actor_label",
    "acting_as",
    "change",
    "change_reason",
    "current_actor",
    "current_reason",
    "diff",
    "record",
    "record_changes",
    "session_history",
    "snapshots",
]
