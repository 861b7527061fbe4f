"""« E-mails envoyés »: every message of the outbox, read-only: when, what, to whom, its state, its
attempts and the error of a failed one; the details show the message itself."""

from __future__ import annotations

from flask import url_for
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from ..models import EmailKind, OutboxMessage
from ..services.participants.signin_codes import EMAIL_KIND as SIGNIN_EMAIL_KIND
from .base import STAFF, SecureModelView
from .labels import ENUM_LABELS, enum_label

CALENDAR_KIND = "calendar"
#: The one-time codes of the sign-in by QR code.
SIGNIN_CODE_KIND = SIGNIN_EMAIL_KIND
ERROR_PREVIEW = 160


def kind_label(kind: str | None) -> str:
    if kind == CALENDAR_KIND:
        return str(_l("Calendar invitation"))
    if kind == SIGNIN_CODE_KIND:
        return str(_l("Sign-in code"))
    try:
        return enum_label(EmailKind(kind))
    except ValueError:
        return kind or ""


def kind_options() -> list[tuple[str, object]]:
    """The filter's options, labels left lazy: Flask-Admin builds its filters once, outside any
    request, and translates them when it draws the page."""
    return [(kind.value, ENUM_LABELS.get((EmailKind, kind.value), kind.value)) for kind in EmailKind] + [
        (CALENDAR_KIND, _l("Calendar invitation")),
        (SIGNIN_CODE_KIND, _l("Sign-in code")),
    ]


class KindFilter(FilterEqual):
    url_name = "kind_equal"

    def get_options(self, view):
        return kind_options()


def _kind(view, context, model, name):
    return kind_label(model.kind)


def _session(view, context, model, name):
    if model.session is None:
        return ""
    url = url_for("sessions.details_view", id=model.session.id, tab="emails")
    return Markup('<a href="{}">{}</a>').format(url, model.session.code)


def _error(view, context, model, name):
    error = model.error or ""
    if len(error) <= ERROR_PREVIEW:
        return error
    return Markup('<span title="{}">{}…</span>').format(error, error[:ERROR_PREVIEW])


def _text(view, context, model, name):
    return Markup("<br>").join(escape(line) for line in str(getattr(model, name) or "").splitlines())


class OutboxView(SecureModelView):
    """Nothing is created, changed or deleted here: the outbox is the record of what was sent."""

    read_roles = STAFF
    allow_create = False
    allow_edit = False
    allow_delete = False
    can_export = False
    column_list = ("created_at", "kind", "recipient", "subject", "state", "attempts", "error", "session")
    column_details_list = (
        "created_at",
        "sent_at",
        "kind",
        "recipient",
        "bcc",
        "subject",
        "body",
        "calendar",
        "state",
        "attempts",
        "error",
        "session",
    )
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "recipient", "state", "attempts")
    column_searchable_list = ("recipient", "subject")
    column_filters = ("state", KindFilter(OutboxMessage.kind, _l("Kind")))
    column_labels = {
        "created_at": _l("Date"),
        "sent_at": _l("Sent at"),
        "kind": _l("Kind"),
        "recipient": _l("Recipient"),
        "bcc": _l("BCC"),
        "subject": _l("Subject"),
        "body": _l("Message"),
        "calendar": _l("Calendar invitation"),
        "state": _l("State"),
        "attempts": _l("Attempts"),
        "error": _l("Error"),
        "session": _l("Session"),
    }
    column_formatters = {"kind": _kind, "session": _session, "error": _error}
    column_formatters_detail = {"kind": _kind, "session": _session, "body": _text, "calendar": _text}
    list_loader_options = (joinedload(OutboxMessage.session),)
