"""Back-office accounts: administrators only. A user's page also shows whether they have a calendar
feed of their own sessions (« Mon calendrier ») and lets the administrator revoke it — an address
lost or passed on; only the user can make one, and see it."""

from __future__ import annotations

from flask import abort, redirect, request
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, ValidationError

from ..models import Role
from ..services.errors import DomainError
from ..services.links import FeedOf, FeedSubject, current_feed_link
from ..services.users import normalise_email, password_error, set_password
from ..transaction import commits
from .base import ADMIN_ONLY, SecureModelView
from .calendar_feeds import revoke_link


class UserView(SecureModelView):
    read_roles = ADMIN_ONLY
    write_roles = ADMIN_ONLY
    can_export = False
    details_template = "admin/users/details.html"
    extra_write_views = frozenset({"feed_revoke_view"})
    column_list = ("email", "full_name", "role", "locale", "active", "created_at")
    column_searchable_list = ("email", "full_name")
    column_sortable_list = ("email", "full_name", "role", "created_at")
    column_default_sort = "email"
    column_filters = ("role", "active")
    column_details_exclude_list = ("password_hash", "session_token")
    column_labels = {
        "email": _l("E-mail"),
        "full_name": _l("Full name"),
        "role": _l("Role"),
        "locale": _l("Language"),
        "active": _l("Active"),
        "created_at": _l("Created on"),
        "password": _l("Password"),
    }
    form_columns = ("email", "full_name", "role", "locale", "active", "password")
    form_extra_fields = {"password": PasswordField(_l("Password"))}
    form_overrides = {"locale": SelectField}
    form_args = {
        "email": {"validators": [Email(message=_l("Invalid e-mail address."))]},
        "locale": {"choices": [SelectChoice("fr", "Français"), SelectChoice("en", "English")]},
    }

    def form_checks(self, form):
        errors = {}
        password = form.password.data or ""
        creating = getattr(form, "_obj", None) is None and not (form.email.object_data)
        if creating and not password:
            errors["password"] = gettext("A password is required for a new user.")
        elif password:
            message = password_error(password)
            if message:
                errors["password"] = message
        if form.email.data:
            try:
                normalise_email(form.email.data)
            except DomainError as exc:
                errors["email"] = exc.message
        return errors

    def on_model_change(self, form, model, is_created):
        model.email = normalise_email(model.email)
        if form.password.data:
            set_password(model, form.password.data)
        if not is_created and model.id == current_user.id and (model.role != Role.ADMIN or not model.active):
            raise ValidationError(
                gettext("You cannot remove your own administrator rights or deactivate yourself.")
            )
        model.password = None  # the clear text never stays on the object

    @expose("/feed/revoke/", methods=("POST",))
    @commits
    def feed_revoke_view(self):
        model = self.get_one(request.args.get("id", ""))
        if model is None:
            abort(404)
        revoke_link(FeedSubject(FeedOf.USER, model.id))
        return redirect(self.get_url(".details_view", id=model.id) + "#calendar-feeds")

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if model is not None and template == self.details_template:
            kwargs["feed_link"] = current_feed_link(FeedSubject(FeedOf.USER, model.id))
        return super().render(template, **kwargs)
