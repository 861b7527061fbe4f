"""Sessions with their sequences; slots and their dates."""

from __future__ import annotations

from flask import flash, request
from flask_admin.actions import action
from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import selectinload
from wtforms.validators import URL, NumberRange, Optional

from ..extensions import db
from ..jobs import enqueue
from ..jobs.sessions import recompute_session_dates
from ..models import Sequence, Slot, SlotDate, TrainingSession
from ..services import planning
from ..services.capacities import capacity_errors
from ..services.sessions import MAX_YEAR, MIN_YEAR, assign_code
from .base import SecureModelView, enum_selects
from .trainings import CAPACITY_ARGS, CAPACITY_LABELS

SESSION_LABELS = {
    "code": _l("Session code"),
    "year": _l("Year"),
    "training": _l("Training"),
    "label": _l("Title"),
    "certification": _l("Certification"),
    "session_type": _l("Session type"),
    "organisation": _l("Training organisation"),
    "dispositif": _l("Scheme"),
    "funding_eligible": _l("Eligible for funding"),
    "comments": _l("Comments"),
    "populations": _l("Population"),
    "publication": _l("Published in the client application"),
    "status": _l("Workflow status"),
    "evaluation": _l("Evaluation"),
    "convocation_comment": _l("Convocation notification comment"),
    "organisation_comment": _l("Training organisation notification comment"),
    "calendar_invitations": _l("Calendar invitations"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "duration_days": _l("Duration in days"),
    "duration_hours": _l("Duration in hours"),
    "sequence_count": _l("Sequences"),
    "enrolled_count": _l("Enrolled"),
    "origin": _l("Origin"),
    "sequences": _l("Sequences"),
    "training.name": _l("Training"),
    **CAPACITY_LABELS,
}

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


class SessionView(SecureModelView):
    column_list = (
        "code",
        "label",
        "training",
        "session_type",
        "start_date",
        "end_date",
        "duration_days",
        "sequence_count",
        "enrolled_count",
        "publication",
        "status",
    )
    column_searchable_list = ("code", "label")
    column_sortable_list = (
        "code",
        "label",
        "start_date",
        "end_date",
        "session_type",
        "publication",
        "status",
    )
    column_default_sort = ("code", True)
    column_filters = (
        "publication",
        "status",
        "session_type",
        "year",
        "start_date",
        "training.name",
        "origin",
    )
    column_labels = SESSION_LABELS
    form_columns = (
        "training",
        "year",
        "label",
        "certification",
        "session_type",
        "organisation",
        "capacity_min",
        "capacity_target",
        "capacity_max",
        "dispositif",
        "funding_eligible",
        "comments",
        "populations",
        "evaluation",
        "publication",
        "status",
        "convocation_comment",
        "organisation_comment",
        "calendar_invitations",
    )
    form_args = {
        "year": {"validators": [NumberRange(min=MIN_YEAR, max=MAX_YEAR)]},
        "capacity_min": CAPACITY_ARGS,
        "capacity_target": CAPACITY_ARGS,
        "capacity_max": CAPACITY_ARGS,
    }
    column_details_list = (
        "code",
        "label",
        "training",
        "year",
        "session_type",
        "certification",
        "organisation",
        "capacity_min",
        "capacity_target",
        "capacity_max",
        "dispositif",
        "funding_eligible",
        "populations",
        "evaluation",
        "publication",
        "status",
        "origin",
        "start_date",
        "end_date",
        "duration_days",
        "duration_hours",
        "comments",
        "convocation_comment",
        "organisation_comment",
        "calendar_invitations",
    )
    details_template = "admin/sessions/details.html"
    inline_models = (SequenceInline(Sequence),)
    list_loader_options = (selectinload(TrainingSession.training),)

    def get_one(self, id):
        if not str(id).isdigit():
            return None
        query = db.session.query(TrainingSession).options(
            selectinload(TrainingSession.training),
            selectinload(TrainingSession.populations),
            selectinload(TrainingSession.sequences).options(
                selectinload(Sequence.teaching_mode),
                selectinload(Sequence.slots).options(
                    selectinload(Slot.dates),
                    selectinload(Slot.trainers),
                    selectinload(Slot.location),
                    selectinload(Slot.room),
                    selectinload(Slot.co_trainer),
                ),
            ),
        )
        return query.filter(TrainingSession.id == int(id)).one_or_none()

    def form_checks(self, form):
        return capacity_errors(form.capacity_min.data, form.capacity_target.data, form.capacity_max.data)

    @action(
        "recompute_dates",
        _l("Recompute dates and durations"),
        _l("Recompute the dates and durations of the selected sessions from their slots?"),
    )
    def action_recompute_dates(self, ids):
        sessions = self.query_for_ids(ids).with_entities(TrainingSession.id).all()
        for (session_id,) in sessions:
            enqueue(recompute_session_dates, session_id)
        flash(
            ngettext(
                "%(num)s session queued for recomputation.",
                "%(num)s sessions queued for recomputation.",
                len(sessions),
            ),
            "success",
        )

    def apply_rules(self, form, model, is_created):
        if is_created:
            assign_code(model)
        for index, sequence in enumerate(model.sequences):
            if sequence.position is None:
                sequence.position = index
        planning.refresh_session(model)


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
    column_labels = {
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
    )
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

    def create_form(self, obj=None):
        form = super().create_form(obj)
        sequence_id = request.args.get("sequence_id", "")
        if request.method == "GET" and sequence_id.isdigit():
            form.sequence.data = db.session.get(Sequence, int(sequence_id))
        return form

    def form_checks(self, form):
        return planning.slot_form_errors(
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
        db.session.flush()
        planning.refresh_session(model.sequence.session)

    def delete_model(self, model):
        session = model.sequence.session
        if not super().delete_model(model):
            return False
        planning.refresh_session(session)
        db.session.commit()
        return True
