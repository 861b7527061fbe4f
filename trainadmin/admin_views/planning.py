"""« Créneaux »: every slot of every session, to look up who is where and when. Read-only: slots
are added, changed and deleted in the session's planning editor (« Gérer la planification de la
session »), which checks the room and trainer clashes, keeps the history and updates the
participants' calendar invitations; each row leads there."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from ..models import Sequence, Slot
from .base import SecureModelView
from .field_labels import SLOT_LABELS


def _planning_link(view, context, model, name):
    """The session's code, leading to the planning editor with this slot's sequence open."""
    session = model.sequence.session
    url = url_for("sessions.details_view", id=session.id, open=model.sequence_id)
    return Markup('<a href="{}#sequence-{}">{}</a>').format(url, model.sequence_id, escape(session.code))


class SlotView(SecureModelView):
    allow_create = False
    allow_edit = False
    allow_delete = False
    column_list = ("sequence.session.code", "sequence", "dates", "location", "room", "trainers")
    column_details_list = (
        "sequence.session.code",
        "sequence",
        "dates",
        "location",
        "room",
        "trainers",
        "co_trainer",
        "host_name",
        "host_email",
        "organisation",
        "organisation_comment",
        "location_comment",
        "trainer_comment",
        "duration_days",
        "duration_hours",
    )
    column_labels = {**SLOT_LABELS, "sequence.session.code": _l("Session")}
    column_formatters = {"sequence.session.code": _planning_link}
    column_sortable_list = ()
    list_loader_options = (
        selectinload(Slot.sequence).selectinload(Sequence.session),
        selectinload(Slot.dates),
        selectinload(Slot.location),
        selectinload(Slot.room),
        selectinload(Slot.trainers),
    )
