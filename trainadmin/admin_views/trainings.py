"""Formations and their defaults."""

from __future__ import annotations

from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from wtforms.validators import Optional

from ..models import Training, TrainingDefaultCost
from ..services.sessions import MAX_CAPACITY, capacity_errors
from .base import SecureModelView
from .field_labels import CAPACITY_LABELS
from .validators import NumberRange

CAPACITY_ARGS = {"validators": [Optional(), NumberRange(min=0, max=MAX_CAPACITY)]}


class DefaultCostInline(InlineFormAdmin):
    form_columns = ("id", "cost_type", "amount")
    form_label = _l("Default cost")
    column_labels = {"cost_type": _l("Cost type"), "amount": _l("Amount (€)")}
    form_args = {"amount": {"validators": [NumberRange(min=0, max=10_000_000)]}}


class TrainingView(SecureModelView):
    column_list = (
        "name",
        "reference",
        "session_type",
        "organisation",
        "certification",
        "capacity_max",
        "active",
    )
    column_searchable_list = ("name", "reference")
    column_sortable_list = ("name", "reference", "session_type")
    column_default_sort = "name"
    column_filters = ("session_type", "active", "funding_eligible")
    column_labels = {
        "name": _l("Title"),
        "reference": _l("Reference"),
        "certification": _l("Certification"),
        "session_type": _l("Session type"),
        "organisation": _l("Training organisation"),
        "dispositif": _l("Scheme"),
        "funding_eligible": _l("Eligible for funding"),
        "comments": _l("Comments"),
        "evaluation": _l("Evaluation"),
        "duration_hours": _l("Duration (hours)"),
        "active": _l("Active"),
        "default_costs": _l("Default costs"),
        **CAPACITY_LABELS,
    }
    form_columns = (
        "name",
        "reference",
        "certification",
        "session_type",
        "organisation",
        "capacity_min",
        "capacity_target",
        "capacity_max",
        "dispositif",
        "funding_eligible",
        "comments",
        "evaluation",
        "duration_hours",
        "active",
    )
    form_args = {
        "capacity_min": CAPACITY_ARGS,
        "capacity_target": CAPACITY_ARGS,
        "capacity_max": CAPACITY_ARGS,
        "duration_hours": {"validators": [Optional(), NumberRange(min=0, max=10_000)]},
    }
    inline_models = (DefaultCostInline(TrainingDefaultCost),)
    column_export_list = (
        "name",
        "reference",
        "session_type",
        "organisation",
        "certification",
        "dispositif",
        "capacity_min",
        "capacity_target",
        "capacity_max",
        "duration_hours",
        "funding_eligible",
        "active",
    )
    list_loader_options = (
        selectinload(Training.organisation),
        selectinload(Training.certification),
        selectinload(Training.dispositif),
    )

    def form_checks(self, form):
        errors = capacity_errors(form.capacity_min.data, form.capacity_target.data, form.capacity_max.data)
        cost_types = [
            entry.form.cost_type.data
            for entry in getattr(form, "default_costs", [])
            if entry.form.cost_type.data
        ]
        if len({c.id for c in cost_types}) != len(cost_types):
            errors["default_costs"] = _l("Each cost type can have only one default amount.")
        return {key: str(value) for key, value in errors.items()}
