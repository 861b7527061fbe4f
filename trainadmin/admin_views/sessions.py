"""Sessions: « Créer » from a formation, the pencil, and the session page with its tabs (one module
each in session_page/). The list, its filters, exports and bulk actions are in session_list.py.

Creating and editing go through the session services (`new_session`, `update_session`), like every
other path: the form only reads what was typed."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, request
from flask_admin import expose
from flask_admin import helpers as admin_helpers
from flask_admin.form import FormOpts
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired

from ..clock import local_now
from ..extensions import db
from ..form_tokens import answer_with
from ..ids import parse_id
from ..models import Training, TrainingSession
from ..services import planning
from ..services.errors import DomainError, ValidationFailed
from ..services.sessions import (
    MAX_YEAR,
    MIN_YEAR,
    UNLOCKED_ROLES,
    SessionLocked,
    is_locked,
    lock_message,
    missing_items,
    new_session,
    update_session,
)
from ..transaction import commit, rollback
from .form_fields import find_field
from .session_form import (
    GENERAL_FIELDS,
    disable_fields,
    fill_from_training,
    form_values,
    training_form_values,
    training_from,
)
from .session_list import SessionListView
from .session_page import PARTS, SessionTab
from .trainings import CAPACITY_ARGS
from .validators import NumberRange


class SessionView(SessionListView):
    list_template = "admin/sessions/list.html"
    create_template = "admin/sessions/create.html"
    edit_template = "admin/sessions/edit.html"
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = [part(self) for part in PARTS]
        self.tabs = [part for part in self.parts if isinstance(part, SessionTab)]
        self._mount_parts()

    # --- The parts' routes ---------------------------------------------------------------------

    def _mount_parts(self) -> None:
        """Each part's routes become views of this endpoint, behind the same access checks (the
        blueprint is built from `_urls`)."""
        self._urls = list(self._urls)
        writes = set(self.extra_write_views)
        for part in self.parts:
            for name, url, methods, write in part.routes():
                self._urls.append((url, name, methods))
                setattr(self, name, self._guarded(name, part.handler(name)))
                if write:
                    writes.add(name)
        self.extra_write_views = frozenset(writes)

    def _guarded(self, name: str, handler):
        def view(*args, **kwargs):
            admin_helpers.set_current_view(self)
            refusal = self._handle_view(name, **kwargs)
            if refusal is not None:
                return refusal
            return handler(*args, **kwargs)

        view.__name__ = name
        return view

    def scaffold_form(self):
        """The formation select starts empty, so choosing one always fills the form."""
        form_class = super().scaffold_form()
        form_class.training.kwargs.update(allow_blank=True, blank_text=_l("— Choose a training —"))
        return form_class

    def get_one(self, id, loaders: tuple | None = None):
        """The session with its whole planning, or with `loaders` only (a tab that shows less; an
        empty tuple: the session's own columns)."""
        ident = parse_id(id)  # bounded: a 20-digit id is « not found », not a database error
        if ident is None:
            return None
        options = planning.planning_loaders() if loaders is None else loaders
        query = db.session.query(TrainingSession).options(*options)
        session = query.filter(TrainingSession.id == ident).one_or_none()
        if session is not None:
            g.session_code = session.code  # for the request's log line
        return session

    # --- « Créer » -----------------------------------------------------------------------------

    def create_form(self, obj=None):
        if request.method == "POST" and "_prefill" not in request.form and "_prefilled" not in request.form:
            # Posted without the live pre-fill (no JavaScript): empty fields take the formation's values.
            formdata = request.form.copy()
            training = training_from(formdata.get("training"))
            if training is not None:
                for name, value in training_form_values(training).items():
                    if not formdata.get(name) and value:
                        formdata[name] = value
            form = self._create_form_class(formdata, obj=obj)
        else:
            form = super().create_form(obj)
        for name in ("expected_version", "change_reason"):
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
        training = training_from(request.args.get("id"))
        if training is None:
            return jsonify({"error": gettext("Choose an existing training.")}), 404
        return jsonify(training_form_values(training))

    def create_model(self, form):
        values = form_values(form)
        training = db.session.get(Training, values.pop("training_id") or 0)
        try:
            if training is None:
                raise ValidationFailed({"training": gettext("Choose a training.")})
            session = new_session(training, values.pop("year"), current_user, **values)
        except DomainError as exc:
            return self._refused(form, exc)
        answer_with(lambda: self.get_save_return_url(session, is_created=True))
        commit()
        return session

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    # --- The pencil ----------------------------------------------------------------------------

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

    def update_model(self, form, model):
        reason = form.change_reason.data if "change_reason" in form else None
        try:
            update_session(model, form_values(form), current_user, reason, form.expected_version.data or "")
        except DomainError as exc:
            return self._refused(form, exc)
        commit()
        return True

    def _refused(self, form, exc: DomainError) -> bool:
        """Nothing saved: the form again, each message next to its field (or above the form)."""
        rollback()
        if isinstance(exc, SessionLocked):
            abort(403, description=exc.message)
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "": exc.message}
        for name, message in errors.items():
            field = find_field(form, name) if name else None
            if field is None:
                flash(message, "error")
            else:
                field.errors = [*field.errors, message]
        return False

    # --- The session page ----------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        tab = self._tab(request.args.get("tab", ""))
        session = self.get_one(request.args.get("id", ""), tab.loaders())
        if session is None:
            abort(404)
        return self.session_page(session, tab.name)

    def _tab(self, name: str) -> SessionTab:
        return next((t for t in self.tabs if t.name == name), self.tabs[0])

    def page_context(self, session: TrainingSession) -> dict:
        """What every tab of the page shows: the session, the boxes, the lock."""
        locked = is_locked(session)
        may_unlock = current_user.role in UNLOCKED_ROLES
        return {
            "model": session,
            "locked": locked,
            "may_unlock": may_unlock,
            "may_plan": self.can_edit and (not locked or may_unlock),
        }

    def session_page(self, session: TrainingSession, tab_name: str, **extra):
        """The session page on one tab; `extra` replaces that tab's context (a form shown again with
        its messages)."""
        tab = self._tab(tab_name)
        context = {**self.page_context(session), **(extra or tab.context(session))}
        return self.render(
            "admin/sessions/page.html",
            tab=tab.name,
            tabs=self.tabs,
            missing=missing_items(session),
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=self.get_url(".index_view"),
            **context,
        )
