"""The one secured base every admin view inherits: access by role, CSRF, exports, eager loading
(formats in `formatters.py`, form scaffolding in `form_fields.py`)."""

from __future__ import annotations

import functools

from flask import abort, current_app, flash, has_request_context, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import DBAPIError, IntegrityError
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm
from wtforms.validators import ValidationError

from ..extensions import db
from ..form_tokens import answer_with
from ..ids import is_id, parse_id
from ..models import Role
from ..services.errors import DomainError
from ..transaction import unit_of_work
from . import labels
from .exports import ExportsMixin
from .form_fields import enum_selects, find_field, readable_errors, trimmed_text, with_blank_choice_text
from .formatters import EXPORT_FORMATTERS, TYPE_FORMATTERS
from .list_queries import LiteralSearchMixin
from .page_parts import FilterGroupsMixin, ListUrlMixin, StaticUrlMixin

ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.OPS_MANAGER, Role.MANAGER})
ADMIN_ONLY = frozenset({Role.ADMIN})

WRITE_VIEWS = {"create_view", "edit_view", "delete_view", "ajax_update"}


def current_role() -> Role | None:
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user.role


class AccessMixin:
    """Who may read and who may write; anonymous users go to the login page."""

    read_roles: frozenset[Role] = ALL_ROLES
    write_roles: frozenset[Role] = STAFF

    def is_accessible(self) -> bool:
        role = current_role()
        return role is not None and role in self.read_roles

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    def may_write(self) -> bool:
        if not has_request_context():
            return True
        role = current_role()
        return role is not None and role in self.write_roles


class SecureView(AccessMixin, StaticUrlMixin, BaseView):
    """Base of the views over no single model (documents…): the same roles as the model views."""

    #: Exposed views that change data (refused with 403 to roles that may not write).
    write_views: frozenset[str] = frozenset()

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        if name in self.write_views and not self.may_write():
            abort(403)
        return None


class SecureModelView(
    AccessMixin,
    ExportsMixin,
    LiteralSearchMixin,
    FilterGroupsMixin,
    ListUrlMixin,
    StaticUrlMixin,
    ModelView,
):
    """Base of every model view: roles on every method, French formats, safe exports, no N+1."""

    page_size = 20
    can_set_page_size = True
    can_view_details = True
    can_export = True
    export_types = ["csv", "xlsx"]
    details_modal = False
    create_modal = False
    edit_modal = False
    column_display_pk = False
    column_auto_select_related = False
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    list_template = "admin/model/ta_list.html"
    create_template = "admin/model/ta_create.html"  # the stock form with its form token

    #: Loader options (selectinload/joinedload) applied to list and detail queries.
    list_loader_options: tuple = ()

    def __init__(self, model, *args, **kwargs):
        self._use_enum_selects(model)
        super().__init__(model, db, *args, **kwargs)

    def scaffold_form(self):
        return trimmed_text(with_blank_choice_text(super().scaffold_form()))

    def scaffold_inline_form_models(self, form_class):
        form_class = super().scaffold_inline_form_models(form_class)
        for name in dir(form_class):
            unbound = getattr(form_class, name)
            if isinstance(unbound, UnboundField) and unbound.args:
                inline_form = unbound.args[0]
                if isinstance(inline_form, type) and issubclass(inline_form, BaseForm):
                    with_blank_choice_text(inline_form)
        return form_class

    def _use_enum_selects(self, model) -> None:
        self.form_overrides, self.form_args = enum_selects(
            model, getattr(self, "form_overrides", None), getattr(self, "form_args", None)
        )

    @property
    def export_max_rows(self):  # type: ignore[override]
        return current_app.config["EXPORT_MAX_ROWS"] if has_request_context() else 0

    # Writes are decided per request: a viewer sees no button and gets 403 on the URL.
    @property
    def can_create(self):  # type: ignore[override]
        return self.may_write() and self.allow_create

    @property
    def can_edit(self):  # type: ignore[override]
        return self.may_write() and self.allow_edit

    @property
    def can_delete(self):  # type: ignore[override]
        return self.may_write() and self.allow_delete

    allow_create = True
    allow_edit = True
    allow_delete = True

    #: Other exposed views that change data (refused with 403 to roles that may not write).
    extra_write_views: frozenset[str] = frozenset()

    #: Bulk actions that only read (exports); every other action is a write.
    read_actions: frozenset[str] = frozenset()

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        if name in WRITE_VIEWS | self.extra_write_views and not self.may_write():
            abort(403)
        if request.method == "POST" and not self._allows(name):
            abort(403)  # a read-only list: its rows are changed elsewhere (the planning editor…)
        if name == "action_view" and request.method == "POST":
            action = request.form.get("action", "")
            if action not in self.read_actions and not self.may_write():
                abort(403)
        return None

    def _allows(self, name: str) -> bool:
        allowed = {
            "create_view": self.allow_create,
            "edit_view": self.allow_edit,
            "delete_view": self.allow_delete,
        }
        return allowed.get(name, True)

    def is_action_allowed(self, name):
        if name not in self.read_actions and not self.may_write():
            return False
        return super().is_action_allowed(name)

    def handle_action(self, return_view=None):
        """A bulk action is one unit of work: committed once at its end."""
        with unit_of_work():
            return super().handle_action(return_view)

    @action(
        "delete", lazy_gettext("Delete"), lazy_gettext("Are you sure you want to delete selected records?")
    )
    def action_delete(self, ids):
        """Delete the selected rows (ids read as numbers, through this view's scoped query); a row
        still in use elsewhere is kept and named, the others go."""
        deleted, kept = 0, []
        for model in self.query_for_ids(ids).all():
            try:
                with db.session.begin_nested():
                    self.on_model_delete(model)
                    db.session.delete(model)
                    db.session.flush()
            except (IntegrityError, ValidationError, DomainError) as exc:
                kept.append((model, exc))
                continue
            self.after_model_delete(model)
            deleted += 1
        if deleted:
            flash(
                ngettext(
                    "Record was successfully deleted.",
                    "%(count)s records were successfully deleted.",
                    deleted,
                    count=deleted,
                ),
                "success",
            )
        for model, exc in kept:
            flash(
                gettext("« %(name)s » was not deleted: %(reason)s", name=model, reason=refusal_text(exc)),
                "error",
            )

    def form_checks(self, form) -> dict[str, str]:
        """Domain checks run after field validation; {field: message} shown next to the fields."""
        return {}

    def validate_form(self, form):
        if not super().validate_form(form):
            readable_errors(form)
            return False
        if request.method != "POST" or not isinstance(form, (self._create_form_class, self._edit_form_class)):
            return True
        errors = self.form_checks(form)
        for field_name, message in errors.items():
            field = find_field(form, field_name)
            if field is None:
                flash(message, "error")
            else:
                field.errors = [*field.errors, message]
        return not errors

    def _on_model_change(self, form, model, is_created):
        super()._on_model_change(form, model, is_created)
        if is_created:
            answer_with(lambda: self.created_answer(model))

    def created_answer(self, model) -> str:
        """Where Flask-Admin's « Créer » leads once the record is saved (its three buttons)."""
        if "_add_another" in request.form:
            return request.url
        if "_continue_editing" in request.form:
            return self.get_url(".edit_view", id=self.get_pk_value(model))
        return self.get_save_return_url(model, is_created=True)

    def on_model_change(self, form, model, is_created):
        try:
            self.apply_rules(form, model, is_created)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def apply_rules(self, form, model, is_created) -> None:
        """Call the services for this model; a DomainError refuses the save with its message."""

    def handle_view_exception(self, exc):
        if isinstance(exc, ValidationError):
            db.session.rollback()
            flash(str(exc), "error")
            return True
        if self._handle_integrity(exc):
            return True
        if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
            raise exc  # the database is away: the « database unavailable » page, not a raw message
        return super().handle_view_exception(exc)

    named_filter_urls = True

    def get_filter_arg(self, index, flt):
        """Filter URLs that do not change with the language: `<column>_<operation>`."""
        if getattr(flt, "url_name", None):
            return flt.url_name
        column = getattr(flt, "column", None)
        key = getattr(column, "key", None) or str(index)
        table = getattr(column, "table", None)
        if table is not None and table is not self.model.__table__:
            key = f"{table.name}_{key}"
        operation = type(flt).__name__.lower().replace("filter", "")
        return f"{key}_{operation}"

    def scaffold_filters(self, name):
        filters = super().scaffold_filters(name)
        for flt in filters or ():
            enum_cls = getattr(getattr(flt, "column", None), "type", None)
            enum_cls = getattr(enum_cls, "enum_class", None)
            if enum_cls is not None:
                flt.options = labels.enum_filter_options(enum_cls)
                flt.validate = functools.partial(valid_enum_value, flt)
        return filters

    def filter_url(self, column: str, operation: str, value: str, **kwargs) -> str:
        """Link to this list filtered on one column, e.g. filter_url("publication", "enumequal", "DRAFT")."""
        return url_for(f"{self.endpoint}.index_view", **{f"flt0_{column}_{operation}": value}, **kwargs)

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """Always end with the id, so rows sharing a sort value keep their place between pages."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(self.model.id.desc() if sort_desc else self.model.id), joins

    def get_query(self):
        query = super().get_query()
        if self.list_loader_options:
            query = query.options(*self.list_loader_options)
        return query

    def query_for_ids(self, ids):
        """Rows of a bulk action, looked up through this view's own (scoped) query."""
        clean = [int(i) for i in ids if is_id(i)]
        return self.get_query().filter(self.model.id.in_(clean))

    def get_one(self, id):
        ident = parse_id(id)  # bounded: a 20-digit id is "not found", not a database error
        if ident is None:
            return None
        return self.get_query().filter(self.model.id == ident).one_or_none()

    def _handle_integrity(self, exc):
        if isinstance(exc, IntegrityError):
            db.session.rollback()
            if current_app.config.get("FLASK_ADMIN_RAISE_ON_INTEGRITY_ERROR"):
                raise exc
            flash(labels.integrity_message(exc), "error")
            return True
        return False

    def render_text(self, value) -> Markup:
        """User text in a list cell, escaped, line breaks kept."""
        return Markup("<br>").join(escape(line) for line in str(value or "").splitlines())


def valid_enum_value(flt, value) -> bool:
    """Flask-Admin's enum filters raise KeyError for a name that is no member (an edited address
    gave a 500): such a value is refused as invalid, with Flask-Admin's message, like any other."""
    try:
        flt.clean(value)
    except (KeyError, ValueError):
        return False
    return True


def refusal_text(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return labels.integrity_message(exc)
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc)


class AdminOnlyView(SecureModelView):
    """Reference data that shapes others' work: everyone reads it, only administrators change it."""

    write_roles = ADMIN_ONLY


__all__ = [
    "ADMIN_ONLY",
    "ALL_ROLES",
    "STAFF",
    "AdminOnlyView",
    "SecureModelView",
    "SecureView",
    "lazy_gettext",
]
