"""« Paramètres › Organisation »: the name, address, logo, training department contact and signatory
printed on the convocations and sign-in sheets. The training staff read them; administrators change
them, through `services.organisation.update_organisation` only (one row: nothing to create or
delete)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..services.errors import DomainError, ValidationFailed
from ..services.organisation import (
    ADDRESS_MAX_LINES,
    DELAY_FIELDS,
    FIELDS,
    current_settings,
    logo_image,
    logo_limit,
    update_organisation,
)
from ..transaction import commits
from .base import ADMIN_ONLY, STAFF, SecureView

LABELS = {
    "name": _l("Organisation name"),
    "address": _l("Postal address"),
    "city": _l("City (for the date of the letters)"),
    "training_email": _l("Training department e-mail"),
    "training_phone": _l("Training department phone"),
    "signatory_name": _l("Signatory's name"),
    "signatory_title": _l("Signatory's title"),
    "logo": _l("Logo"),
    "manager_reminder_days": _l("Remind the manager after (days; 0: never)"),
    "manager_link_days": _l("A manager's link works for (days)"),
    "survey_reminder_days": _l("Remind a participant who has not answered a survey after (days; 0: never)"),
    "signin_tolerance_minutes": _l("Signing is open before and after each half-day for (minutes)"),
}
#: Every field of the form: the texts, then the links' delays.
FORM_FIELDS = (*FIELDS, *DELAY_FIELDS)


class OrganisationView(SecureView):
    read_roles = STAFF
    write_roles = ADMIN_ONLY
    write_views = frozenset({"save_view"})

    def _page(self, values: dict[str, str], errors: dict[str, str], remove_logo: bool = False):
        settings = current_settings()
        return self.render(
            "admin/organisation.html",
            fields=FIELDS,
            delay_fields=DELAY_FIELDS,
            labels=LABELS,
            values=values,
            errors=errors,
            settings=settings,
            remove_logo=remove_logo,
            may_edit=self.may_write(),
            address_lines=ADDRESS_MAX_LINES,
            logo_max_mb=f"{logo_limit() / (1024 * 1024):g}",
        )

    @expose("/")
    def index(self):
        settings = current_settings()
        values = {field: (getattr(settings, field) or "") if settings else "" for field in FIELDS}
        defaults = {"manager_reminder_days": 3, "manager_link_days": 14, "survey_reminder_days": 5}
        for field in DELAY_FIELDS:
            value = getattr(settings, field) if settings else defaults.get(field, 30)
            values[field] = str(value)
        return self._page(values, {})

    def _refused(self, exc: DomainError):
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "name": exc.message}
        values = {field: request.form.get(field, "") for field in FORM_FIELDS}
        return self._page(values, errors, remove_logo=bool(request.form.get("remove_logo")))

    @expose("/", methods=("POST",))
    @commits(refused="_refused")
    def save_view(self):
        logo = request.files.get("logo")
        try:
            update_organisation(
                {field: request.form[field] for field in FORM_FIELDS if field in request.form},
                logo=logo,
                remove_logo=bool(request.form.get("remove_logo")),
                user=current_user,
            )
        finally:
            if logo is not None:
                logo.close()
        flash(gettext("Organisation settings saved."), "success")
        return redirect(url_for(".index"))

    @expose("/logo")
    def logo_view(self):
        logo = logo_image()
        if logo is None:
            abort(404)
        data, content_type = logo
        response = Response(data, mimetype=content_type)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, no-cache"
        return response
