"""Who acts and why, for the history: the logged-in user, or the system when no user is behind the
change (workers, imports); the reason a user gave for changing a session with participants."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context
from flask_login import current_user

SYSTEM_ACTOR = "system"

_reason: ContextVar[str | None] = ContextVar("history_reason", default=None)
_actor: ContextVar[tuple[int | None, str] | None] = ContextVar("history_actor", default=None)


@contextmanager
def change_reason(reason: str | None) -> Iterator[None]:
    """Attach a reason (why a session with participants was changed) to what is recorded inside."""
    token = _reason.set((reason or "").strip() or None)
    try:
        yield
    finally:
        _reason.reset(token)


@contextmanager
def acting_as(user_id: int | None, label: str) -> Iterator[None]:
    """Record the changes made inside under an explicit actor (a job acting for a user, or the system)."""
    token = _actor.set((user_id, label))
    try:
        yield
    finally:
        _actor.reset(token)


def actor_label(actor: str | None) -> str:
    """Who acted, as the history shows it: « Système », « <e-mail> via le lien » (a manager
    deciding from their link), or the user's e-mail."""
    from flask_babel import gettext

    if actor == SYSTEM_ACTOR:
        return gettext("System")
    if actor and actor.startswith("link:"):
        return gettext("%(email)s via the link", email=actor.removeprefix("link:"))
    return actor or ""


def current_reason() -> str | None:
    return _reason.get()


def current_actor() -> tuple[int | None, str]:
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    return None, SYSTEM_ACTOR
