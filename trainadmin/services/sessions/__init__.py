"""Sessions: codes, creation from a formation and duplication, the lock after enrolment,
publication and workflow, capacities, and what the learners' catalogue shows."""

from __future__ import annotations

from .capacities import MAX_CAPACITY, capacity_errors
from .codes import MAX_YEAR, MIN_YEAR, allocate_code, allocate_codes, assign_code
from .creation import (
    SEQUENCE_FIELDS,
    TRAINING_DEFAULT_FIELDS,
    check_session_values,
    duplicate_session,
    missing_items,
    new_session,
    training_defaults,
)
from .editing import SessionConflict, set_calendar_invitations, update_session
from .lock import (
    UNLOCKED_ROLES,
    SessionLocked,
    ensure_can_change,
    is_locked,
    lock_message,
    locked_session_ids,
)
from .visibility import catalog_query, is_visible_to
from .workflow import TRANSITIONS, change_status, set_publication

__all__ = [
    "MAX_CAPACITY",
    "MAX_YEAR",
    "MIN_YEAR",
    "SEQUENCE_FIELDS",
    "SessionConflict",
    "SessionLocked",
    "TRAINING_DEFAULT_FIELDS",
    "TRANSITIONS",
    "UNLOCKED_ROLES",
    "allocate_code",
    "allocate_codes",
    "assign_code",
    "capacity_errors",
    "catalog_query",
    "change_status",
    "check_session_values",
    "duplicate_session",
    "ensure_can_change",
    "is_locked",
    "is_visible_to",
    "lock_message",
    "locked_session_ids",
    "missing_items",
    "new_session",
    "set_calendar_invitations",
    "set_publication",
    "training_defaults",
    "update_session",
]
