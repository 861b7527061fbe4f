"""Sequences and slots (créneaux) with their dates."""

from __future__ import annotations

from flask import abort, request
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import TextAreaField
from wtforms.validators import URL, Optional, ValidationError

from ..extensions import db
from ..models import Sequence, Slot, SlotDate
from ..services import planning
from ..services.errors import DomainError
from ..services.history import change_reason
from ..services.sessions import UNLOCKED_ROLES, ensure_can_change, is_locked, lock_message
from .base import SecureModelView, enum_selects, parse_id
from .validators import NumberRange

SEQUENCE_LABELS = {
    "label": _l("Title"),
    "position": _l("Order"),
    "teaching_mode": _l("Teaching method"),
    "url": _l("Training URL"),
    "status": _l("Sequence status"),
    "is_prework": _l("Pre-work"),
    "hot_survey_enabled": _l("Hot survey"),
    "hot_survey_evaluation": _l("Hot survey questionnaire"),
    "hot_survey_delay_days": _l("Hot survey delay (days after the end)"),
    "cold_survey_enabled": _l("Cold survey"),
    "cold_survey_evaluation": _l("Cold survey questionnaire"),
    "cold_survey_delay_days": _l("Cold survey delay (days after the end)"),
}

DELAY_ARGS = {"validators": [NumberRange(min=-365, max=365)]}


class SequenceInline(InlineFormAdmin):
    form_columns = (
        "id",
        "position",
        "label",
        "teaching_mode",
        "url",
        "status",
        "is_prework",
        "hot_survey_enabled",
        "hot_survey_evaluation",
        "hot_survey_delay_days",
        "cold_survey_enabled",
        "cold_survey_evaluation",
        "cold_survey_delay_days",
    )
    form_label = _l("Sequence")
    column_labels = SEQUENCE_LABELS
    form_args = {
        "url": {
            "validators": [
                Optional(),
                URL(require_tld=False, message=_l("Enter an address starting with http:// or https://.")),
            ]
        },
        "position": {"validators": [Optional(), NumberRange(min=0, max=1000)]},
        "hot_survey_delay_days": DELAY_ARGS,
        "cold_survey_delay_days": DELAY_ARGS,
    }

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.form_overrides, self.form_args = enum_selects(
            model, getattr(self, "form_overrides", None), self.form_args
        )


SLOT_LABELS = {
    "sequence.session.code": _l("Session"),
    "sequence": _l("Sequence"),
    "dates": _l("Dates"),
    "location": _l("Location"),
    "room": _l("Room"),
    "trainers": _l("Trainers"),
    "co_trainer": _l("Co-trainer"),
    "host_name": _l("Host"),
    "host_email": _l("Host e-mail"),
    "organisation": _l("Training organisation"),
    "organisation_comment": _l("Training organisation notification comment"),
    "location_comment": _l("Location notification comment"),
    "trainer_comment": _l("Trainer file notification comment"),
    "duration_days": _l("Duration in days"),
    "duration_hours": _l("Duration in hours"),
}


class SlotDateInline(InlineFormAdmin):
    form_columns = ("id", "day", "start_time", "end_time", "break_minutes")
    form_label = _l("Date")
    column_labels = {
        "day": _l("Date"),
        "start_time": _l("Start time"),
        "end_time": _l("End time"),
        "break_minutes": _l("Break (minutes)"),
    }
    form_args = {"break_minutes": {"validators": [NumberRange(min=0, max=1440)]}}


class SlotView(SecureModelView):
    column_list = ("sequence.session.code", "sequence", "dates", "location", "room", "trainers")
    column_labels = SLOT_LABELS
    column_sortable_list = ()
    form_columns = (
        "sequence",
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
        "change_reason",
    )
    form_extra_fields = {"change_reason": TextAreaField(_l("Reason for the change"))}
    form_ajax_refs = {"sequence": {"fields": ("label",), "page_size": 15}}
    form_args = {
        "duration_days": {"validators": [Optional(), NumberRange(min=0, max=365)]},
        "duration_hours": {"validators": [Optional(), NumberRange(min=0, max=5000)]},
    }
    inline_models = (SlotDateInline(SlotDate),)
    list_loader_options = (
        selectinload(Slot.sequence).selectinload(Sequence.session),
        selectinload(Slot.dates),
        selectinload(Slot.location),
        selectinload(Slot.room),
        selectinload(Slot.trainers),
    )

    def _handle_view(self, name, **kwargs):
        """A manager's direct POST on a slot of a session with enrolled people is refused outright."""
        response = super()._handle_view(name, **kwargs)
        if (
            response is None
            and request.method == "POST"
            and name in {"create_view", "edit_view", "delete_view"}
        ):
            session = self._session_of_request(name)
            if session is not None and current_user.role not in UNLOCKED_ROLES and is_locked(session):
                abort(403, description=lock_message(session))
        return response

    def _session_of_request(self, name):
        if name == "create_view":
            sequence_id = request.form.get("sequence", "")
            sequence = db.session.get(Sequence, parse_id(sequence_id) or 0)
            return sequence.session if sequence else None
        slot_id = request.args.get("id", "") if name == "edit_view" else request.form.get("id", "")
        slot = db.session.get(Slot, parse_id(slot_id) or 0)
        return slot.sequence.session if slot else None

    def create_form(self, obj=None):
        form = super().create_form(obj)
        sequence_id = request.args.get("sequence_id", "")
        if request.method == "GET" and parse_id(sequence_id):
            form.sequence.data = db.session.get(Sequence, int(sequence_id))
        return form

    def form_checks(self, form):
        sequence = form.sequence.data
        errors = {}
        if (
            sequence is not None
            and is_locked(sequence.session)
            and not (form.change_reason.data or "").strip()
        ):
            errors["change_reason"] = gettext(
                "This session has enrolled collaborators: say why you change it."
            )
        return errors | planning.slot_form_errors(
            location=form.location.data,
            room=form.room.data,
            dates=[
                (
                    f"{entry.name}-",
                    entry.form.day.data,
                    entry.form.start_time.data,
                    entry.form.end_time.data,
                    entry.form.break_minutes.data,
                )
                for entry in form.dates
                if not form.dates.should_delete(entry)
            ],
        )

    def apply_rules(self, form, model, is_created):
        ensure_can_change(model.sequence.session, current_user, form.change_reason.data)
        db.session.flush()
        planning.refresh_session(model.sequence.session)

    def update_model(self, form, model):
        with change_reason(form.change_reason.data):
            return super().update_model(form, model)

    def create_model(self, form):
        with change_reason(form.change_reason.data):
            return super().create_model(form)

    def on_model_delete(self, model):
        try:
            ensure_can_change(model.sequence.session, current_user, request.form.get("change_reason"))
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def delete_model(self, model):
        session = model.sequence.session
        if not super().delete_model(model):
            return False
        planning.refresh_session(session)
        db.session.commit()
        return True
