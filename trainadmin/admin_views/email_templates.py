"""« Modèles d'e-mails » (Paramètres): the global defaults each new session copies. Everyone reads
them, only administrators change them; the checks are those of `services.notifications.rules`."""

from __future__ import annotations

from flask_admin.form import Select2Widget
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..models import EmailAnchor, EmailKind, EmailTemplate
from ..services.documents import document_types, documents_of
from ..services.evaluations import SURVEY_LINK_DAYS
from ..services.notifications import (
    COMMENTS_BY_KIND,
    RECIPIENT_KINDS,
    SEQUENCE_ANCHORS,
    SURVEY_URL_KINDS,
    recipient_kinds,
    save_email_template,
    template_errors,
)
from .base import AdminOnlyView
from .labels import enum_label

RECIPIENT_LABELS = {
    "participants": _l("Participants"),
    "trainers": _l("Trainers of the sequence"),
    "organisation": _l("Training organisation"),
    "location": _l("Location contact and host"),
    "manager": _l("Collaborator's manager"),
    "training": _l("Training department"),
}

TEMPLATE_LABELS = {
    "name": _l("Name"),
    "kind": _l("E-mail"),
    "anchor": _l("Sent"),
    "delay_days": _l("Delay in days"),
    "send_time": _l("Sending time"),
    "recipients": _l("Recipients"),
    "enabled": _l("Enabled"),
    "subject": _l("Subject"),
    "body": _l("Body"),
}

#: Variables of the templates, shown next to the body (see `services.notifications.variables`).
COMMON_HELP = (
    ("session.code", _l("session code")),
    ("session.label", _l("session title")),
    ("session.formation", _l("training")),
    ("session.type", _l("INTRA or INTER")),
    ("session.organisation", _l("training organisation")),
    ("session.start_date", _l("first day of the session (15/05/2027)")),
    ("session.end_date", _l("last day of the session")),
    ("session.first_day", _l("first day, written out (samedi 15 mai 2027)")),
    ("session.last_day", _l("last day, written out")),
    ("session.duration_days", _l("duration in days")),
    ("session.duration_hours", _l("duration in hours")),
    ("planning", _l("the whole planning, one line per day")),
    ("sequences", _l("every sequence, each with the sequence variables below")),
    ("participant.first_name", _l("first name of the participant the message is for (empty otherwise)")),
    ("participant.last_name", _l("last name of the participant")),
    ("participant.email", _l("e-mail of the participant")),
    (
        "participants",
        _l(
            "enrolled participants, each with first_name, last_name and email — the addresses only in "
            "e-mails to the trainers and the training organisation (empty in the others)"
        ),
    ),
    ("recipient.name", _l("name of whoever receives the message")),
    ("recipient.email", _l("e-mail of whoever receives the message")),
)
SEQUENCE_HELP = (
    ("sequence.label", _l("sequence title")),
    ("sequence.start_date", _l("first day of the sequence (15/05/2027)")),
    ("sequence.end_date", _l("last day of the sequence")),
    ("sequence.first_day", _l("first day, written out")),
    ("sequence.last_day", _l("last day, written out")),
    ("sequence.schedule", _l("each day with its hours, one per line")),
    ("sequence.dates", _l("the same, as a list")),
    ("sequence.timetable", _l("hours of the first day (de 09h00 à 17h00)")),
    ("sequence.hours_per_day", _l("hours per day, breaks excluded")),
    ("sequence.place", _l("location, address and room")),
    ("sequence.url", _l("address of the training (optional)")),
    ("sequence.teaching_mode", _l("teaching method")),
    ("slots", _l("slots of the sequence, each with place, room, trainers, co_trainer, host, dates")),
)
SURVEY_HELP = (
    (
        "survey_url",
        _l(
            "the participant's own link to answer the survey, valid %(days)s days (empty for others)",
            days=SURVEY_LINK_DAYS,
        ),
    ),
)
COMMENT_HELP = {
    "convocation_comment": _l("convocation notification comment of the session"),
    "organisation_comment": _l("training organisation notification comments (session and slots)"),
    "location_comment": _l("location notification comments of the slots"),
    "trainer_comment": _l("trainer file notification comments of the slots"),
}


DELAY_HELP = _l("Days from the start (or the end) of each sequence: −7 is 7 days before.")


REQUEST_HELP = (
    ("demande.collaborator", _l("first and last name of the collaborator who asks")),
    ("demande.collaborator_email", _l("the collaborator's e-mail address")),
    ("demande.manager_email", _l("the manager's e-mail address")),
    ("demande.place", _l("the places of the session")),
    ("demande.cost_per_trainee", _l("cost per trainee (450,00 €), empty without costs")),
    ("demande.decision_url", _l("the manager's personal link to accept or refuse")),
    ("demande.link_expires_on", _l("last day the link works")),
    ("demande.decision", _l("the manager's decision (acceptée / refusée)")),
    ("demande.comment", _l("the manager's comment")),
)


def variable_help(kind: EmailKind, anchor: EmailAnchor) -> list[tuple[str, str]]:
    """The variables a template of this kind may use, with what they hold."""
    rows = [(name, str(text)) for name, text in COMMON_HELP]
    if anchor == EmailAnchor.REQUEST:
        rows += [(name, str(text)) for name, text in REQUEST_HELP]
    if anchor in SEQUENCE_ANCHORS:
        rows += [(name, str(text)) for name, text in SEQUENCE_HELP]
    if kind in SURVEY_URL_KINDS:
        rows += [(name, str(text)) for name, text in SURVEY_HELP]
    rows += [(f"comments.{name}", str(COMMENT_HELP[name])) for name in COMMENTS_BY_KIND.get(kind, ())]
    return rows


def delay_is_set_per_sequence(kind: EmailKind) -> bool:
    return kind in (EmailKind.HOT_SURVEY, EmailKind.COLD_SURVEY)


def has_delay(kind: EmailKind, anchor: EmailAnchor) -> bool:
    return anchor in SEQUENCE_ANCHORS and not delay_is_set_per_sequence(kind)


class RecipientKindsField(SelectMultipleField):
    """The recipient kinds, stored as « participants,trainers »."""

    widget = Select2Widget(multiple=True)

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("choices", [SelectChoice(kind, RECIPIENT_LABELS[kind]) for kind in RECIPIENT_KINDS])
        super().__init__(label, validators, **kwargs)

    def process_data(self, value):
        self.data = recipient_kinds(value) if isinstance(value, str) or value is None else list(value)

    def populate_obj(self, obj, name):
        chosen = set(self.data or [])
        setattr(obj, name, ",".join(kind for kind in RECIPIENT_KINDS if kind in chosen))


def _recipients_text(view, context, model, name):
    return ", ".join(str(RECIPIENT_LABELS[kind]) for kind in recipient_kinds(model.recipients))


def _delay_text(view, context, model, name):
    if model.anchor not in SEQUENCE_ANCHORS:
        return ""
    if delay_is_set_per_sequence(model.kind):
        return gettext("Set on each sequence")
    return str(model.delay_days)


class EmailTemplateView(AdminOnlyView):
    """The nine default e-mails: edited, never created or deleted here (the kinds are fixed)."""

    allow_create = False
    allow_delete = False
    can_export = False
    edit_template = "admin/email_templates/edit.html"
    details_template = "admin/email_templates/details.html"
    column_list = ("name", "anchor", "delay_days", "send_time", "recipients", "enabled")
    column_details_list = (
        "name",
        "kind",
        "anchor",
        "delay_days",
        "send_time",
        "recipients",
        "enabled",
        "subject",
    )
    column_sortable_list = ("name",)
    column_default_sort = "id"
    column_labels = TEMPLATE_LABELS
    column_formatters = {"recipients": _recipients_text, "delay_days": _delay_text}
    column_formatters_detail = {"recipients": _recipients_text, "delay_days": _delay_text}
    column_descriptions = {"delay_days": DELAY_HELP}
    form_columns = ("name", "enabled", "recipients", "delay_days", "send_time", "subject", "body")
    form_overrides = {"recipients": RecipientKindsField, "body": TextAreaField}
    form_args = {
        "delay_days": {"description": DELAY_HELP},
        "send_time": {"description": _l("Local time; 08:00 when empty.")},
        "body": {"description": _l("Plain text. The variables you may use are listed below the form.")},
    }
    form_widget_args = {"body": {"rows": 16, "class": "form-control text-monospace"}}

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and not has_delay(obj.kind, obj.anchor) and "delay_days" in form:
            delattr(form, "delay_days")
        return form

    def form_checks(self, form):
        model = self.get_one(self._edit_id()) if self._edit_id() else None
        if model is None:
            return {}
        delay = form.delay_days.data if "delay_days" in form else model.delay_days
        recipients = ",".join(form.recipients.data or [])
        return template_errors(model.kind, model.anchor, form.subject.data, form.body.data, delay, recipients)

    def _edit_id(self):
        from flask import request

        return request.args.get("id", "")

    def apply_rules(self, form, model, is_created):
        save_email_template(model)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if isinstance(model, EmailTemplate) and template in (self.edit_template, self.details_template):
            kwargs.update(
                kind_label=enum_label(model.kind),
                anchor_label=enum_label(model.anchor),
                variables=variable_help(model.kind, model.anchor),
                attachments=documents_of(email_template_ids=[model.id]),
                document_types=document_types(),
                attachments_back_url=self.get_url(".edit_view", id=model.id),
            )
        return super().render(template, **kwargs)
