"""What every scaffolded form gets: enum selects with translated labels, a dash for an empty
choice, text stored without surrounding spaces, and errors the templates can print."""

from __future__ import annotations

from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_babel import gettext
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm
from wtforms.validators import DataRequired, InputRequired, ValidationError

from . import labels


def enum_selects(model, overrides: dict | None, args: dict | None) -> tuple[dict, dict]:
    """Enum columns become selects of translated labels that give back the enum member."""
    overrides = dict(overrides or {})
    args = {key: dict(value) for key, value in (args or {}).items()}
    for column in model.__table__.columns:
        enum_cls = getattr(column.type, "enum_class", None)
        if enum_cls is None or column.key in overrides:
            continue
        overrides[column.key] = SelectField
        field_args = args.setdefault(column.key, {})
        field_args.setdefault("choices", labels.enum_choices(enum_cls))
        field_args.setdefault("coerce", enum_cls)
    return overrides, args


def with_blank_choice_text(form_class):
    """Optional relation selects show a dash, not Flask-Admin's `__None` marker."""
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        if (
            isinstance(unbound, UnboundField)
            and isinstance(unbound.field_class, type)
            and issubclass(unbound.field_class, QuerySelectField)
            and unbound.kwargs.get("allow_blank")
        ):
            unbound.kwargs.setdefault("blank_text", "—")
    return form_class


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


def no_nul(form, field):
    """PostgreSQL cannot store a NUL character: refused next to the field, not a database error."""
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError(gettext("This text contains invisible control characters: type it again."))


def trimmed_text(form_class):
    """Text typed in a form is stored without its surrounding spaces, on creation and on edit alike
    (passwords excepted); a required text of spaces only is refused, not stored empty; a NUL
    character is refused."""
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        if (
            isinstance(unbound, UnboundField)
            and isinstance(unbound.field_class, type)
            and issubclass(unbound.field_class, StringField)
            and not issubclass(unbound.field_class, PasswordField)
        ):
            filters = tuple(unbound.kwargs.get("filters", ()))
            if strip_text not in filters:
                unbound.kwargs["filters"] = (*filters, strip_text)
            checks = list(unbound.kwargs.get("validators", ()))
            if no_nul not in checks:
                checks.append(no_nul)
                unbound.kwargs["validators"] = checks
            if any(isinstance(check, InputRequired) for check in checks) and not any(
                isinstance(check, DataRequired) for check in checks
            ):
                unbound.kwargs["validators"] = [*checks, DataRequired()]
    return form_class


def find_field(form, name: str):
    """A field by its full name, inline entries included (`dates-0-end_time`)."""
    for field in form:
        if field.name == name:
            return field
        for entry in getattr(field, "entries", ()):
            subform = getattr(entry, "form", None)
            if isinstance(subform, BaseForm):
                found = find_field(subform, name)
                if found is not None:
                    return found
    return None


def readable_errors(form) -> None:
    """Validator messages may be lazy strings, which the admin templates do not print: make them text."""
    for field in form:
        subform = getattr(field, "form", None)
        if isinstance(subform, BaseForm) and subform is not form:
            readable_errors(subform)
        for entry in getattr(field, "entries", ()):
            if isinstance(getattr(entry, "form", None), BaseForm):
                readable_errors(entry.form)
        if isinstance(field.errors, list) and all(
            not isinstance(e, (dict, list, tuple)) for e in field.errors
        ):
            field.errors = [str(e) for e in field.errors]
