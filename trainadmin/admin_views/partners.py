"""Partners whose sessions are imported."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from wtforms.validators import Email, Optional

from ..models import Partner
from .base import AdminOnlyView


class PartnerView(AdminOnlyView):
    column_list = ("name", "feed_format", "source_kind", "schedule", "organisation", "publication", "active")
    column_searchable_list = ("name",)
    column_sortable_list = ("name",)
    column_default_sort = "name"
    column_labels = {
        "name": _l("Name"),
        "feed_format": _l("Format"),
        "source_kind": _l("Feed source"),
        "source": _l("Path or address of the feed"),
        "schedule": _l("Schedule (cron expression)"),
        "organisation": _l("Training organisation"),
        "unknown_policy": _l("Unknown trainings, locations or trainers"),
        "publication": _l("Publication of imported sessions"),
        "active": _l("Active"),
        "contact_email": _l("Contact e-mail"),
    }
    form_columns = (
        "name",
        "feed_format",
        "source_kind",
        "source",
        "schedule",
        "organisation",
        "unknown_policy",
        "publication",
        "active",
        "contact_email",
    )
    form_args = {"contact_email": {"validators": [Optional(), Email(message=_l("Invalid e-mail address."))]}}
    list_loader_options = (selectinload(Partner.organisation),)

    def form_checks(self, form):
        from ..services.imports import partner_source_errors

        return partner_source_errors(form.source_kind.data, form.source.data, form.schedule.data)
