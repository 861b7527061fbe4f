"""E-mail templates: a sandboxed Jinja environment, plain text, with only the variables of
`variables.py`; a template is checked against sample values before it is saved."""

from __future__ import annotations

import re
from datetime import date, time

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from ...models import EmailAnchor, EmailKind
from .mail_headers import one_line
from .variables import COMMENTS_BY_KIND, SEQUENCE_ANCHORS, day_line, long_date, short_date

#: Templates are written by the staff: no loop or product big enough to hold a worker for long.
MAX_REPEAT = 10_000
MAX_EXPONENT = 64


class _TemplateEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError("exponent too large")
        big = any(isinstance(v, int) and abs(v) > MAX_REPEAT for v in (left, right))
        if operator == "*" and big and any(isinstance(v, str | list | tuple) for v in (left, right)):
            raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


_ENV = _TemplateEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)
for _name in ("range", "lipsum", "cycler", "joiner", "namespace", "dict"):
    _ENV.globals.pop(_name, None)


class TemplateProblem(Exception):
    """A template cannot be rendered: the message says why, in the user's words."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- Sample values, to check a template before it is saved -------------------------------------


def sample_context(kind: EmailKind, anchor: EmailAnchor) -> dict:
    day = date(2027, 5, 15)
    sequence = {
        "label": "Séquence 1",
        "start_date": short_date(day),
        "end_date": short_date(day),
        "first_day": long_date(day),
        "last_day": long_date(day),
        "dates": [day_line(day, time(9), time(17))],
        "schedule": "- " + day_line(day, time(9), time(17)),
        "timetable": "de 09h00 à 17h00",
        "hours_per_day": "7",
        "place": "Campus Lyon — Salle Rhône, 10 rue de la Formation, 69007 Lyon",
        "url": "https://example.com/formation",
        "teaching_mode": "Présentiel",
        "is_prework": False,
    }
    person = {"first_name": "Camille", "last_name": "Martin", "email": "camille.martin@example.com"}
    context = {
        "session": {
            "code": "2027-0001",
            "label": "Management d'équipe",
            "formation": "Management d'équipe",
            "type": "INTRA",
            "organisation": "Organisme",
            "start_date": short_date(day),
            "end_date": short_date(day),
            "first_day": long_date(day),
            "last_day": long_date(day),
            "duration_days": "1",
            "duration_hours": "7",
        },
        "sequences": [sequence],
        "planning": f"- {sequence['dates'][0]} — Séquence 1",
        "participant": person,
        "participants": [person],
        "recipient": {"email": person["email"], "name": "Camille Martin"},
        "comments": {name: "Commentaire" for name in COMMENTS_BY_KIND.get(kind, ())},
    }
    if anchor in SEQUENCE_ANCHORS:
        context["sequence"] = sequence
        context["slots"] = [
            {
                "place": sequence["place"],
                "room": "Salle Rhône",
                "trainers": "Claire Martin",
                "co_trainer": "",
                "host": "Accueil accueil@example.com",
                "dates": sequence["dates"],
            }
        ]
    return context


# --- Rendering -----------------------------------------------------------------------------------


def _undefined_name(exc: UndefinedError) -> str:
    text = str(exc)
    match = re.search(r"has no attribute '([^']+)'", text) or re.search(r"'([^']+)' is undefined", text)
    return match.group(1) if match else text


def compile_template(source: str, field: str):
    from flask_babel import gettext

    try:
        return _ENV.from_string(source or "")
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            gettext("Template error at line %(line)s: %(detail)s", line=exc.lineno, detail=exc.message),
            field,
        ) from exc


def render_template(template, context: dict, field: str) -> str:
    from flask_babel import gettext

    try:
        return template.render(context)
    except UndefinedError as exc:
        raise TemplateProblem(
            gettext("Unknown variable in the template: %(name)s.", name=_undefined_name(exc)), field
        ) from exc
    except SecurityError as exc:
        raise TemplateProblem(
            gettext("The template uses something that is not allowed: %(detail)s", detail=str(exc)), field
        ) from exc
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        message = gettext("The template cannot be rendered: %(detail)s", detail=str(exc))
        raise TemplateProblem(message, field) from exc


def render_text(source: str, context: dict, field: str) -> str:
    return render_template(compile_template(source, field), context, field)


def check_template(kind: EmailKind, anchor: EmailAnchor, subject: str, body: str) -> dict[str, str]:
    """Problems of a subject and body, {field: message}: syntax, unknown variables, render errors."""
    from flask_babel import gettext

    errors: dict[str, str] = {}
    context = sample_context(kind, anchor)
    for field, source in (("subject", subject), ("body", body)):
        if not (source or "").strip():
            errors[field] = gettext("This field is required.")
            continue
        try:
            template_ast = _ENV.parse(source)
        except TemplateSyntaxError as exc:
            errors[field] = gettext(
                "Template error at line %(line)s: %(detail)s", line=exc.lineno, detail=exc.message
            )
            continue
        unknown = sorted(meta.find_undeclared_variables(template_ast) - set(context))
        if unknown:
            errors[field] = gettext("Unknown variable in the template: %(name)s.", name=", ".join(unknown))
            continue
        try:
            rendered = render_text(source, context, field)
        except TemplateProblem as exc:
            errors[field] = exc.message
            continue
        if field == "subject" and len(one_line(rendered)) > 250:
            errors[field] = gettext("At most %(n)s characters.", n=250)
    return errors
