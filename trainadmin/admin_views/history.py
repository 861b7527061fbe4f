"""The « Historique » tab: history rows made readable (labels, translated values, the system)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..models import EmailKind, Origin, Publication, SequenceStatus, SessionType, WorkflowStatus
from ..services.history import SYSTEM_ACTOR, session_history
from .labels import enum_label

PER_PAGE = 50

ACTIONS = {
    "created": _l("Created"),
    "duplicated": _l("Duplicated from"),
    "imported": _l("Imported"),
    "added": _l("Added"),
    "changed": _l("Changed"),
    "removed": _l("Removed"),
    "calendar_update": _l("Place or dates changed: calendar invitations to update"),
    "calendar_silent": _l("Place or dates changed: calendar invitations not updated (as asked)"),
}

TARGETS = {
    "sequence": _l("Sequence"),
    "slot": _l("Slot"),
    "slot_date": _l("Date"),
    "cost": _l("Cost"),
    "financing": _l("Financing"),
    "email_rule": _l("E-mail"),
}

ENUM_FIELDS = {
    "publication": Publication,
    "status": (WorkflowStatus, SequenceStatus),
    "session_type": SessionType,
    "origin": Origin,
}


@dataclass
class HistoryRow:
    at: datetime
    actor: str
    action: str
    target: str
    field: str
    old: str
    new: str
    reason: str


def _field_label(field: str | None, target: str | None) -> str:
    if not field:
        return ""
    from .planning import SEQUENCE_LABELS, SLOT_LABELS
    from .session_emails import EMAIL_RULE_LABELS
    from .sessions import SESSION_LABELS

    kind = (target or "").split(":", 1)[0]
    labels = {"sequence": SEQUENCE_LABELS, "slot": SLOT_LABELS, "email_rule": EMAIL_RULE_LABELS}.get(
        kind, SESSION_LABELS
    )
    return str(labels.get(field, SESSION_LABELS.get(field, field)))


def _value(field: str | None, target: str | None, value: str | None) -> str:
    if value is None:
        return "—"
    if value == "true":
        return gettext("Yes")
    if value == "false":
        return gettext("No")
    enums = ENUM_FIELDS.get(field or "")
    if enums is not None:
        kind = (target or "").split(":", 1)[0]
        enum_cls = enums if not isinstance(enums, tuple) else (enums[1] if kind == "sequence" else enums[0])
        try:
            return enum_label(enum_cls(value))
        except ValueError:
            return value
    return value


def _target(target: str | None) -> str:
    if not target:
        return ""
    kind, _, name = target.partition(":")
    if kind == "email_rule" and name in {member.value for member in EmailKind}:
        name = enum_label(EmailKind(name))
    return f"{TARGETS.get(kind, kind)} « {name} »"


def history_rows(session_id: int, page: int) -> dict:
    rows, total = session_history(session_id, page, PER_PAGE)
    return {
        "rows": [
            HistoryRow(
                at=row.at,
                actor=gettext("System") if row.actor == SYSTEM_ACTOR else row.actor,
                action=str(ACTIONS.get(row.action, row.action)),
                target=_target(row.target),
                field=_field_label(row.field, row.target),
                old=_value(row.field, row.target, row.old_value) if row.action == "changed" else "",
                new=_value(row.field, row.target, row.new_value),
                reason=row.reason or "",
            )
            for row in rows
        ],
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "total": total,
    }
