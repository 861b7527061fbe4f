"""The session form (« Créer » and the pencil): its fields, the formation's defaults put in it, the
values it gives the session services, and the read-only form a manager sees once someone is enrolled."""

from __future__ import annotations

from ..extensions import db
from ..ids import parse_id
from ..models import Training
from ..services.sessions import training_defaults

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


#: Relations of the form, given to the services as the id of the chosen row.
RELATION_FIELDS = ("training", "certification", "organisation", "dispositif", "evaluation")


def form_values(form) -> dict:
    """What the form posts, as the session services take it: column values, ids for the relations,
    the populations as rows; text trimmed, empty text as None."""
    values: dict = {}
    for name in GENERAL_FIELDS:
        if name not in form:
            continue
        data = form[name].data
        if name in RELATION_FIELDS:
            values[f"{name}_id"] = data.id if data is not None else None
        elif name == "populations":
            values[name] = list(data or [])
        elif isinstance(data, str):
            values[name] = data.strip() or None
        else:
            values[name] = data
    return values


def disable_fields(form) -> None:
    """Every field read-only, inline sequences included (Select2 widgets start disabled too)."""
    for field in form:
        field.render_kw = {**(field.render_kw or {}), "disabled": True}
        for entry in getattr(field, "entries", ()):
            subform = getattr(entry, "form", None)
            if subform is not None:
                disable_fields(subform)


def training_from(value) -> Training | None:
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
