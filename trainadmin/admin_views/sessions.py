"""Sessions: list with drafts, creation from a formation, the session page, publication, workflow."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, g, jsonify, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired

from ..extensions import db
from ..jobs import enqueue
from ..jobs.sessions import recompute_session_dates
from ..models import Origin, Publication, Sequence, Training, TrainingSession, WorkflowStatus
from ..services import history as history_service
from ..services import planning
from ..services.capacities import capacity_errors
from ..services.documents import document_types, documents_of
from ..services.errors import DomainError
from ..services.notifications import calendar
from ..services.notifications.delivery import kick
from ..services.notifications.rules import copy_rules
from ..services.sessions import (
    MAX_YEAR,
    MIN_YEAR,
    UNLOCKED_ROLES,
    assign_code,
    change_status,
    ensure_can_change,
    is_locked,
    lock_message,
    missing_items,
    set_publication,
    training_defaults,
)
from .base import SecureModelView, parse_id
from .history import history_rows
from .labels import enum_label
from .planning import SequenceInline
from .planning_editor import PlanningEditorMixin
from .session_attendance import AttendanceMixin
from .session_costs import CostsMixin
from .session_emails import EmailsMixin
from .session_filters import MissingSetupFilter, UnderMinimumFilter
from .session_participants import ParticipantsMixin
from .session_wizards import SessionWizardsMixin
from .trainings import CAPACITY_ARGS, CAPACITY_LABELS
from .validators import NumberRange

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
    "missing_from_feed": _l("Absent from the partner's feed"),
    "sequences": _l("Sequences"),
    "training.name": _l("Training"),
    "change_reason": _l("Reason for the change"),
    "cancel_reason": _l("Reason for the cancellation"),
    **CAPACITY_LABELS,
}

GENERAL_FIELDS = (
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
    "convocation_comment",
    "organisation_comment",
    "calendar_invitations",
)

TABS = (
    "general",
    "planning",
    "participants",
    "attendance",
    "costs",
    "evaluation",
    "emails",
    "documents",
    "history",
)


def local_now() -> datetime:
    """Wall-clock time where the sessions take place (slot hours are local)."""
    return datetime.now(ZoneInfo(current_app.config["TRAINADMIN_TZ"])).replace(tzinfo=None)


def _publication_badge(view, context, model, name):
    from markupsafe import Markup, escape

    if model.publication == Publication.DRAFT:
        return Markup('<span class="badge ta-badge-draft">{}</span>').format(
            escape(enum_label(model.publication))
        )
    return Markup('<span class="badge badge-success">{}</span>').format(escape(enum_label(model.publication)))


def _origin(view, context, model, name):
    """« Importé » says from which partner and under which reference."""
    label = enum_label(model.origin)
    if model.origin == Origin.IMPORTED and model.partner_id is not None:
        return gettext(
            "%(origin)s from %(partner)s (reference %(reference)s)",
            origin=label,
            partner=model.partner.name if model.partner else "—",
            reference=model.external_ref or "—",
        )
    return label


class ExportNote:
    """A last line in an export that tells what was left out."""

    def __init__(self, text: str):
        self.text = text


class SessionView(
    ParticipantsMixin,
    AttendanceMixin,
    CostsMixin,
    EmailsMixin,
    PlanningEditorMixin,
    SessionWizardsMixin,
    SecureModelView,
):
    extra_write_views = (
        SessionWizardsMixin.extra_write_views
        | PlanningEditorMixin.planning_write_views
        | CostsMixin.costs_write_views
        | EmailsMixin.emails_write_views
        | ParticipantsMixin.participants_write_views
        | AttendanceMixin.attendance_write_views
        | {"publication_view", "status_view"}
    )
    list_template = "admin/sessions/list.html"
    create_template = "admin/sessions/create.html"
    edit_template = "admin/sessions/edit.html"
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
    # Newest first: by year then creation order (codes past 9999 in a year would sort wrongly as text).
    column_default_sort = [("year", True), ("id", True)]
    column_filters = (
        "publication",
        "status",
        "session_type",
        "year",
        "start_date",
        "training.name",
        "origin",
        "missing_from_feed",
        MissingSetupFilter(_l("Costs or evaluation to enter")),
        UnderMinimumFilter(_l("Under the minimum capacity")),
    )
    column_labels = SESSION_LABELS
    column_formatters = {"publication": _publication_badge, "origin": _origin}
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
    column_export_list = (
        "code",
        "label",
        "training",
        "session_type",
        "start_date",
        "end_date",
        "duration_days",
        "duration_hours",
        "sequence_count",
        "enrolled_count",
        "capacity_min",
        "capacity_max",
        "status",
    )
    column_formatters_export = {}
    form_columns = (*GENERAL_FIELDS, "change_reason", "expected_version")
    form_extra_fields = {
        "expected_version": HiddenField(),
        "change_reason": TextAreaField(_l("Reason for the change")),
    }
    form_args = {
        "training": {"validators": [DataRequired(message=_l("Choose a training."))]},
        "year": {"validators": [NumberRange(min=MIN_YEAR, max=MAX_YEAR)]},
        "capacity_min": CAPACITY_ARGS,
        "capacity_target": CAPACITY_ARGS,
        "capacity_max": CAPACITY_ARGS,
    }
    inline_models = (SequenceInline(Sequence),)
    list_loader_options = (selectinload(TrainingSession.training),)

    def scaffold_form(self):
        """The formation select starts empty, so choosing one always fills the form."""
        form_class = super().scaffold_form()
        form_class.training.kwargs.update(allow_blank=True, blank_text=_l("— Choose a training —"))
        return form_class

    # --- Queries ---------------------------------------------------------------------------

    def get_one(self, id):
        ident = parse_id(id)  # bounded: a 20-digit id is "not found", not a database error
        if ident is None:
            return None
        query = db.session.query(TrainingSession).options(*planning.planning_loaders())
        session = query.filter(TrainingSession.id == ident).one_or_none()
        if session is not None:
            g.session_code = session.code  # for the request's log line
        return session

    # --- Create ----------------------------------------------------------------------------

    def create_form(self, obj=None):
        if request.method == "POST" and "_prefill" not in request.form and "_prefilled" not in request.form:
            # Posted without the live pre-fill (no JavaScript): empty fields take the formation's values.
            formdata = request.form.copy()
            training = _training_from(formdata.get("training"))
            if training is not None:
                for name, value in training_form_values(training).items():
                    if not formdata.get(name) and value:
                        formdata[name] = value
            form = self._create_form_class(formdata, obj=obj)
        else:
            form = super().create_form(obj)
        for name in ("expected_version", "change_reason", "sequences"):
            if name in form:
                delattr(form, name)
        if request.method == "GET" and form.year.data is None:
            form.year.data = local_now().year
        return form

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if request.method == "POST" and "_prefill" in request.form:
            return self._prefilled_create_form()
        return super().create_view()

    def _prefilled_create_form(self):
        """« Préremplir » without JavaScript: the form again, filled from the chosen formation."""
        from flask_admin.form import FormOpts

        form = self.create_form()
        training = form.training.data
        if isinstance(training, Training):
            fill_from_training(form, training, overwrite=True)
        for field in form:
            field.errors = []
        return self.render(
            self.create_template,
            form=form,
            form_opts=FormOpts(widget_args=self.form_widget_args, form_rules=self._form_create_rules),
            return_url=get_redirect_target() or self.get_url(".index_view"),
        )

    @expose("/training-defaults/")
    def training_defaults_view(self):
        """What choosing a formation puts in the form, for the live pre-fill."""
        training = _training_from(request.args.get("id"))
        if training is None:
            return jsonify({"error": gettext("Choose an existing training.")}), 404
        return jsonify(training_form_values(training))

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    # --- Edit ------------------------------------------------------------------------------

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            form.expected_version.data = obj.version
        if obj is not None and not is_locked(obj) and "change_reason" in form:
            delattr(form, "change_reason")
        return form

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is not None and current_user.role not in UNLOCKED_ROLES and is_locked(session):
            if request.method == "POST":
                abort(403, description=lock_message(session))
            return self._read_only_form(session)
        return super().edit_view()

    def _read_only_form(self, session):
        from flask_admin.form import FormOpts

        form = self.edit_form(session)
        disable_fields(form)
        return self.render(
            self.edit_template,
            form=form,
            form_opts=FormOpts(widget_args=self.form_widget_args, form_rules=self._form_edit_rules),
            model=session,
            read_only_reason=lock_message(session),
            return_url=self.get_url(".details_view", id=session.id),
        )

    def form_checks(self, form):
        errors = capacity_errors(form.capacity_min.data, form.capacity_target.data, form.capacity_max.data)
        label = form.label.data if "label" in form else None
        if (
            label and not label.strip()
        ):  # only spaces: the same rule as services.sessions.check_session_values
            errors["label"] = gettext("This field is required.")
        if "change_reason" in form and not (form.change_reason.data or "").strip():
            errors["change_reason"] = gettext(
                "This session has enrolled collaborators: say why you change it."
            )
        return errors

    def update_model(self, form, model):
        if str(form.expected_version.data or "") != str(model.version):
            flash(conflict_message(), "error")
            return False
        reason = form.change_reason.data if "change_reason" in form else None
        try:
            ensure_can_change(model, current_user, reason)
        except DomainError as exc:
            flash(exc.message, "error")
            return False
        with history_service.change_reason(reason):
            try:
                return super().update_model(form, model)
            except StaleDataError:
                db.session.rollback()
                flash(conflict_message(), "error")
                return False

    def handle_view_exception(self, exc):
        if isinstance(exc, StaleDataError):
            db.session.rollback()
            flash(conflict_message(), "error")
            return True
        return super().handle_view_exception(exc)

    def apply_rules(self, form, model, is_created):
        if is_created:
            if model.training is not None:
                fill_missing_from_training(model, model.training)
            model.created_by_id = current_user.id
            assign_code(model)
        for index, sequence in enumerate(model.sequences):
            if sequence.position is None:
                sequence.position = index
        planning.refresh_session(model)
        if is_created:
            copy_rules(model)
        else:  # sequences cancelled or restored, invitations turned on
            db.session.flush()
            calendar.sync_session(model)

    def after_model_change(self, form, model, is_created):
        kick()  # committed: the invitations and e-mails it queued go now

    # --- The session page ------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        tab = request.args.get("tab", "general")
        if tab not in TABS:
            tab = "general"
        return self.session_page(session, tab)

    def session_page(self, session, tab: str, **extra):
        """The session page on one tab; `extra` replaces that tab's context (a form shown again with
        its messages)."""
        page = request.args.get("page", "1")
        page = parse_id(page, 5) or 1
        history = history_rows(session.id, page) if tab == "history" else None
        open_sequence = request.args.get("open", "")
        context = self.planning_context(session)
        if tab == "costs":
            context.update(self.costs_context(session))
        if tab == "evaluation":
            context.update(self.evaluation_context(session))
        if tab == "participants":
            context.update(self.participants_context(session))
        if tab == "documents":
            context.update(
                documents=documents_of(session_id=session.id),
                document_types=document_types(),
                documents_back_url=self.get_url(".details_view", id=session.id, tab="documents"),
            )
        if tab == "attendance":
            context.update(self.attendance_context(session))
        if tab == "emails" and not extra:
            context.update(self.emails_context(session))
        for name in ("edit_slot", "new_slot", "edit_sequence"):
            value = request.args.get(name, "")
            context[name] = parse_id(value)
        context.update(extra)
        return self.render(
            "admin/sessions/page.html",
            tab=tab,
            missing=missing_items(session),
            history=history,
            open_sequence=parse_id(open_sequence),
            **context,
            transitions=available_transitions(session),
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=self.get_url(".index_view"),
        )

    @expose("/publication/", methods=("POST",))
    def publication_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        try:
            publication = Publication(request.form.get("publication", ""))
        except ValueError:
            flash(gettext("Choose Draft or Published."), "error")
            return redirect(self.get_url(".details_view", id=session.id, tab="planning"))
        reason = request.form.get("change_reason")
        try:
            ensure_can_change(session, current_user, reason)
        except DomainError as exc:
            if current_user.role not in UNLOCKED_ROLES:
                abort(403, description=exc.message)
            flash(exc.message, "error")
            return redirect(self.get_url(".details_view", id=session.id, tab="planning"))
        with history_service.change_reason(reason):
            set_publication([session], publication, current_user)
            db.session.commit()
        kick()
        flash(gettext("Publication saved: %(state)s.", state=enum_label(publication)), "success")
        return redirect(self.get_url(".details_view", id=session.id, tab="planning"))

    @expose("/status/", methods=("POST",))
    def status_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        back = self.get_url(".details_view", id=session.id, tab="planning")
        try:
            target = WorkflowStatus(request.form.get("status", ""))
            change_status(
                session, target, current_user, local_now(), reason=request.form.get("cancel_reason")
            )
        except ValueError:
            flash(gettext("A session cannot go from this status to the one requested."), "error")
            return redirect(back)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(back)
        db.session.commit()
        kick()
        flash(gettext("Workflow status: %(state)s.", state=enum_label(target)), "success")
        return redirect(back)

    # --- Bulk actions ----------------------------------------------------------------------

    def _bulk_publication(self, ids, publication: Publication):
        sessions = self.query_for_ids(ids).all()
        changed, skipped = set_publication(sessions, publication, current_user)
        db.session.commit()
        kick()
        if changed:
            flash(
                ngettext("%(num)s session updated.", "%(num)s sessions updated.", len(changed)),
                "success",
            )
        if skipped:
            flash(
                gettext(
                    "Not changed because collaborators are enrolled (only an operations manager or an "
                    "administrator can change them): %(codes)s",
                    codes=", ".join(s.code for s in skipped),
                ),
                "warning",
            )

    @action("publish", _l("Publish"), _l("Publish the selected sessions in the client application?"))
    def action_publish(self, ids):
        self._bulk_publication(ids, Publication.PUBLISHED)

    @action("unpublish", _l("Back to draft"), _l("Put the selected sessions back to draft?"))
    def action_unpublish(self, ids):
        self._bulk_publication(ids, Publication.DRAFT)

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

    def is_action_allowed(self, name):
        if name == "delete":
            return False  # sessions are cancelled, never deleted from the list
        return super().is_action_allowed(name)

    allow_delete = False

    # --- Exports: drafts never leave the back office ----------------------------------------

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        if getattr(self, "_exporting", False):
            count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
            published = [row for row in rows if row.publication != Publication.DRAFT]
            left_out = len(rows) - len(published)
            if left_out:
                published.append(
                    ExportNote(
                        ngettext(
                            "%(num)s draft session left out of this export.",
                            "%(num)s draft sessions left out of this export.",
                            left_out,
                        )
                    )
                )
            return count, published
        return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)

    def _export_data(self):
        self._exporting = True
        try:
            return super()._export_data()
        finally:
            self._exporting = False

    def get_export_value(self, model, name):
        if isinstance(model, ExportNote):
            return model.text if name == self._export_columns[0][0] else ""
        return super().get_export_value(model, name)

    def row_action_urls(self) -> dict:
        """Address prefixes of the row actions, computed once per request."""
        if "session_row_urls" not in g:
            g.session_row_urls = {
                "details": self.get_url(".details_view") + "?id=",
                "details_title": gettext("Open the session"),
                "edit": self.get_url(".edit_view") + "?id=" if self.can_edit else "",
                "edit_title": gettext("Edit the session"),
                "duplicate": self.get_url(".duplicate_view") + "?source=" if self.can_create else "",
                "duplicate_title": gettext("Duplicate"),
            }
        return g.session_row_urls

    def get_drafts_url(self) -> str:
        return self.filter_url("publication", "enumequal", "DRAFT")


def disable_fields(form) -> None:
    """Every field read-only, inline sequences included (Select2 widgets start disabled too)."""
    for field in form:
        field.render_kw = {**(field.render_kw or {}), "disabled": True}
        for entry in getattr(field, "entries", ()):
            subform = getattr(entry, "form", None)
            if subform is not None:
                disable_fields(subform)


def conflict_message() -> str:
    return gettext(
        "Someone saved this session while you were editing it. Your changes were not saved: they are "
        "still in the form below. Open the session again in a new tab to see the other changes, then "
        "save yours."
    )


def _training_from(value) -> Training | None:
    training_id = parse_id(value)
    return db.session.get(Training, training_id) if training_id else None


def training_form_values(training: Training) -> dict[str, str]:
    """The formation's defaults as the creation form posts them (ids, codes, "y" for a ticked box)."""
    values = training_defaults(training)

    def text(value) -> str:
        return "" if value is None else str(value)

    return {
        "label": values["label"],
        "certification": text(values["certification_id"]),
        "session_type": values["session_type"].value,
        "organisation": text(values["organisation_id"]),
        "capacity_min": text(values["capacity_min"]),
        "capacity_target": text(values["capacity_target"]),
        "capacity_max": text(values["capacity_max"]),
        "dispositif": text(values["dispositif_id"]),
        "funding_eligible": "y" if values["funding_eligible"] else "",
        "comments": values["comments"] or "",
        "evaluation": text(values["evaluation_id"]),
    }


def fill_from_training(form, training: Training, overwrite: bool) -> None:
    """Put the formation's defaults in a creation form (the no-JavaScript pre-fill)."""
    values = training_defaults(training)
    relation_fields = {
        "certification": training.certification,
        "organisation": training.organisation,
        "dispositif": training.dispositif,
        "evaluation": training.evaluation,
    }
    plain_fields = {
        "label": values["label"],
        "session_type": values["session_type"],
        "capacity_min": values["capacity_min"],
        "capacity_target": values["capacity_target"],
        "capacity_max": values["capacity_max"],
        "funding_eligible": values["funding_eligible"],
        "comments": values["comments"],
    }
    for name, value in {**relation_fields, **plain_fields}.items():
        field = form[name]
        if overwrite or field.data in (None, ""):
            field.data = value


def fill_missing_from_training(session: TrainingSession, training: Training) -> None:
    """Fields left empty on a new session take the formation's values."""
    for field, value in training_defaults(training).items():
        if value is not None and getattr(session, field) in (None, ""):
            setattr(session, field, value)


def available_transitions(session: TrainingSession) -> list[WorkflowStatus]:
    from ..services.sessions import TRANSITIONS

    order = [
        WorkflowStatus.CREATED,
        WorkflowStatus.CONFIRMED,
        WorkflowStatus.IN_PROGRESS,
        WorkflowStatus.CLOSED,
    ]
    targets = TRANSITIONS[session.status]
    return [s for s in order if s in targets] + (
        [WorkflowStatus.CANCELLED] if WorkflowStatus.CANCELLED in targets else []
    )
