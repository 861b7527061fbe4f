"""« Historique »: every action on the session and on what belongs to it — who, when, what it was
about, each field « Libellé : avant → après » as a person reads it, and the reason given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import request
from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l

from ... import models
from ...i18n import show_date, show_decimal
from ...ids import parse_id
from ...models import EmailKind, SessionHistory, TrainingSession
from ...services.history import actor_label, session_history
from ..field_labels import FIELD_LABELS
from ..labels import enum_label
from .part import SessionTab

PER_PAGE = 50

ACTIONS = {
    "created": lazy_pgettext("history", "Created"),
    "duplicated": lazy_pgettext("history", "Duplicated"),
    "imported": lazy_pgettext("history", "Imported"),
    "added": _l("Added"),
    "changed": _l("Changed"),
    "removed": _l("Removed"),
    # entries written before each action had one entry
    "calendar_update": _l("Place or dates changed: calendar invitations to update"),
    "calendar_silent": _l("Place or dates changed: calendar invitations not updated (as asked)"),
}

TARGETS = {
    "sequence": _l("Sequence « %(name)s »"),
    "slot": _l("Slot of the sequence « %(name)s »"),
    "slot_date": _l("Date « %(name)s »"),
    "cost": _l("Cost « %(name)s »"),
    "financing": _l("Financing « %(name)s »"),
    "email_rule": _l("E-mail « %(name)s »"),
    "participant": _l("Participant « %(name)s »"),
    "document": _l("Document « %(name)s »"),
    "attendance": _l("Attendance and certifications"),
}

HALF_DAYS = {"am": _l("morning"), "pm": _l("afternoon")}

EMAIL_ACTIONS = {
    "send_now": _l("Send now"),
    "skip": _l("Do not send"),
    "replan": _l("Plan again"),
}


@dataclass
class HistoryRow:
    at: datetime
    actor: str
    action: str
    target: str
    changes: list[str]
    reason: str


def target_text(target: str | None) -> str:
    """« Séquence « Module 1 » », « E-mail « Convocation » »…"""
    if not target:
        return ""
    kind, _, name = target.partition(":")
    if kind == "email_rule" and name in {member.value for member in EmailKind}:
        name = enum_label(EmailKind(name))
    template = TARGETS.get(kind)
    return str(template) % {"name": name} if template is not None else name


def _enum(name: str, value: str) -> str:
    enum_cls = getattr(models, name, None)
    try:
        return enum_label(enum_cls(value)) if enum_cls is not None else value
    except ValueError:
        return value


def _dates(rows: list) -> str:
    return ", ".join(
        f"{show_date(date.fromisoformat(day))} {start}–{end}" for day, start, end, _pause in rows
    )


def _certification(value: dict) -> str:
    if not value["obtained"]:
        return gettext("not obtained")
    if value["on"]:
        return gettext("obtained on %(date)s", date=show_date(date.fromisoformat(value["on"])))
    return gettext("obtained")


def value_text(value, field: str | None = None) -> str:
    """A value as the history keeps it (services/history/values.py), in the reader's language."""
    if value is None or value == "":
        return gettext("(empty)")
    if not isinstance(value, dict):
        return str(value)
    kind, inner = value.get("t"), value.get("v")
    if kind == "bool":
        if field == "calendar_update":
            return gettext("updated") if inner else gettext("not updated (as asked)")
        return gettext("Yes") if inner else gettext("No")
    texts = {
        "enum": lambda: _enum(value.get("e", ""), inner),
        "date": lambda: show_date(date.fromisoformat(inner)),
        "decimal": lambda: show_decimal(Decimal(inner)),
        "money": lambda: f"{show_decimal(Decimal(inner))} €",
        "dates": lambda: _dates(inner),
        "names": lambda: ", ".join(inner),
        "target": lambda: target_text(inner),
        "certification": lambda: _certification(inner),
        "action": lambda: str(EMAIL_ACTIONS.get(inner, inner)),
    }
    text = texts.get(kind)
    return text() if text is not None else str(inner)


def field_label(field: str, target_kind: str, item: dict | None = None) -> str:
    item = item or {}
    if field == "attendance":
        when = show_date(date.fromisoformat(item["day"]))
        return f"{item['who']} — {when} {HALF_DAYS.get(item.get('half'), '')}".rstrip()
    if field == "certification" and "who" in item:
        return f"{item['who']} — {gettext('Certification')}"
    if item.get("label"):
        return item["label"]
    labels = FIELD_LABELS.get(target_kind) or FIELD_LABELS["session"]
    return str(labels.get(field) or FIELD_LABELS["session"].get(field) or field)


#: Lines that say what happened rather than a value that changed: shown without « before ».
NOTES = {"sequence", "email_action", "calendar_update", "attachment"}
SHOWING_NEW = {"created", "duplicated", "imported", "added"}


def change_texts(entry: SessionHistory) -> list[str]:
    """« Lieu : Lyon → Nantes », one per field the action changed."""
    kind = (entry.target or "").partition(":")[0] or "session"
    items = entry.changes
    if items is None:  # an entry written before each action had one entry
        if not entry.field:
            return [entry.new_value] if entry.new_value else []
        items = [
            {
                "field": entry.field,
                "old": _legacy(entry.field, kind, entry.old_value),
                "new": _legacy(entry.field, kind, entry.new_value),
            }
        ]
    texts = []
    for item in items:
        field = item["field"]
        label = field_label(field, kind, item)
        old, new = value_text(item.get("old"), field), value_text(item.get("new"), field)
        if entry.action in SHOWING_NEW or field in NOTES:
            texts.append(f"{label} : {new}")
        elif entry.action == "removed":
            texts.append(f"{label} : {old}")
        else:
            texts.append(f"{label} : {old} → {new}")
    return texts


LEGACY_ENUMS = {
    "publication": "Publication",
    "session_type": "SessionType",
    "origin": "Origin",
    "split": "CostSplit",
}


def _legacy(field: str, kind: str, value):
    """The text an older entry kept, as a typed value."""
    if value in (None, ""):
        return None
    if value in ("true", "false"):
        return {"t": "bool", "v": value == "true"}
    if field == "status":
        return {"t": "enum", "e": "SequenceStatus" if kind == "sequence" else "WorkflowStatus", "v": value}
    if field in LEGACY_ENUMS:
        return {"t": "enum", "e": LEGACY_ENUMS[field], "v": value}
    return value


def history_rows(session_id: int, page: int) -> dict:
    rows, total = session_history(session_id, page, PER_PAGE)
    return {
        "rows": [
            HistoryRow(
                at=row.at,
                actor=actor_label(row.actor),
                action=str(ACTIONS.get(row.action, row.action)),
                target=target_text(row.target),
                changes=change_texts(row),
                reason=row.reason or "",
            )
            for row in rows
        ],
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "total": total,
    }


class HistoryTab(SessionTab):
    name = "history"
    label = _l("History")

    def context(self, session: TrainingSession) -> dict:
        return {"history": history_rows(session.id, parse_id(request.args.get("page", "1"), 5) or 1)}
