"""E-mail templates: a sandboxed Jinja environment, plain text, with only the variables of
`variables.py`; a template is checked against sample values before it is saved."""

from __future__ import annotations

import re
from datetime import date, time
from time import monotonic

from flask import current_app, g, has_app_context, has_request_context
from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SecurityError

from ...models import EmailAnchor, EmailKind
from . import render_budget
from .mail_headers import one_line
from .render_budget import RenderBudgetExceeded
from .sandbox import TemplateEnvironment
from .variables import COMMENTS_BY_KIND, SEQUENCE_ANCHORS, SURVEY_URL_KINDS, day_line, long_date, short_date

#: The budget of one rendering when the configuration does not say (tests outside an app).
DEFAULT_RENDER_MS = 300
DEFAULT_RENDER_KB = 256
#: One save request spends at most this many renderings' budget on checking templates (a form
#: saves every rule of a session at once): past it, a template that still loops is refused at once.
CHECK_RENDERS = 4
#: How many sequences, days and participants the probe's sample has.
PROBE_COUNT = 20

#: What `{{ survey_url }}` looks like when a template is checked.
SAMPLE_SURVEY_URL = "https://formation.example.com/l/Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE"

_ENV = TemplateEnvironment()
_PROBE = TemplateEnvironment(probe=True)


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
    if anchor == EmailAnchor.REQUEST:
        context["demande"] = {
            "collaborator": "Camille Martin",
            "collaborator_email": person["email"],
            "manager_email": "dominique.leroy@example.com",
            "place": sequence["place"],
            "cost_per_trainee": "450,00 €",
            "decision_url": "https://formation.example.com/l/" + "x" * 32,
            "link_expires_on": short_date(day),
            "decision": "acceptée",
            "comment": "Commentaire",
        }
    if kind in SURVEY_URL_KINDS:
        context["survey_url"] = SAMPLE_SURVEY_URL
    if anchor == EmailAnchor.SURVEY:
        context["sequence"] = sequence
    if anchor == EmailAnchor.SIGNIN_DAY:
        context["sequence"] = sequence
        context["signin_day"] = long_date(day)
        context["signin"] = [
            {"half_day": "matin", "hours": "de 09h00 à 12h00", "url": SAMPLE_SURVEY_URL},
            {"half_day": "après-midi", "hours": "de 13h00 à 17h00", "url": SAMPLE_SURVEY_URL},
        ]
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


def probe_context(context: dict) -> dict:
    """The sample with more of everything a template may loop on: a real session has several
    sequences, several days and participants."""
    sequence = {**context["sequences"][0]}
    sequence["dates"] = sequence["dates"] * PROBE_COUNT
    probe = {
        **context,
        "sequences": [sequence] * PROBE_COUNT,
        "participants": context["participants"] * PROBE_COUNT,
    }
    if "slots" in context:
        probe["slots"] = [{**context["slots"][0], "dates": sequence["dates"]}] * PROBE_COUNT
    return probe


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


def variables_used(source: str) -> set[str]:
    """The top-level variables a template reads (nothing for a template that cannot be parsed)."""
    try:
        return set(meta.find_undeclared_variables(_ENV.parse(source or "")))
    except TemplateSyntaxError:
        return set()


def render_limits() -> tuple[int, int]:
    """(milliseconds, characters) that one rendering may take."""
    config = current_app.config if has_app_context() else {}
    milliseconds = config.get("TRAINADMIN_EMAIL_RENDER_MS", DEFAULT_RENDER_MS)
    return milliseconds, 1024 * config.get("TRAINADMIN_EMAIL_RENDER_KB", DEFAULT_RENDER_KB)


def _check_limits() -> tuple[int, int]:
    milliseconds, size = render_limits()
    if not has_request_context():
        return milliseconds, size
    spent = g.get("template_check_ms", 0)
    return max(0, min(milliseconds, milliseconds * CHECK_RENDERS - spent)), size


def _checked(render, *args):
    """One rendering of the check before saving, counted in the request's share."""
    started = monotonic()
    try:
        return render(*args, limits=_check_limits())
    finally:
        if has_request_context():
            g.template_check_ms = g.get("template_check_ms", 0) + (monotonic() - started) * 1000


def budget_message(exc: RenderBudgetExceeded) -> str:
    from flask_babel import gettext

    if exc.kind == "time":
        return gettext(
            "The template takes too long to write (more than %(ms)s ms): check its loops.",
            ms=exc.milliseconds,
        )
    return gettext("The template writes too much text (more than %(kb)s KB).", kb=exc.kilobytes)


def render_template(template, context: dict, field: str, limits: tuple[int, int] | None = None) -> str:
    """The template rendered within its budget of time and size; TemplateProblem otherwise."""
    from flask_babel import gettext

    try:
        with render_budget.limits(*(limits or render_limits())) as budget:
            text = template.render(context)
            budget.allow(len(text))
            return text
    except RenderBudgetExceeded as exc:
        raise TemplateProblem(budget_message(exc), field) from exc
    except UndefinedError as exc:
        raise TemplateProblem(
            gettext("Unknown variable in the template: %(name)s.", name=_undefined_name(exc)), field
        ) from exc
    except SecurityError as exc:
        raise TemplateProblem(
            gettext("The template uses something that is not allowed: %(detail)s", detail=str(exc)), field
        ) from exc
    except RecursionError as exc:
        raise TemplateProblem(gettext("The template calls itself without end."), field) from exc
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, MemoryError) as exc:
        message = gettext(
            "The template cannot be rendered: %(detail)s", detail=str(exc) or type(exc).__name__
        )
        raise TemplateProblem(message, field) from exc


def probe_problem(source: str, context: dict, limits: tuple[int, int] | None = None) -> str | None:
    """Every branch of the template at once, against a larger sample: the budget's message when it
    is exceeded. Other errors of the probe are not the user's (a branch meant for other values)."""
    try:
        template = _PROBE.from_string(source)
        with render_budget.limits(*(limits or render_limits())) as budget:
            budget.allow(len(template.render(context)))
    except RenderBudgetExceeded as exc:
        return budget_message(exc)
    except Exception:  # noqa: BLE001 — only the budget counts here
        return None
    return None


def render_text(source: str, context: dict, field: str, limits: tuple[int, int] | None = None) -> str:
    return render_template(compile_template(source, field), context, field, limits)


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
            rendered = _checked(render_text, source, context, field)
        except TemplateProblem as exc:
            errors[field] = exc.message
            continue
        if field == "subject" and len(one_line(rendered)) > 250:
            errors[field] = gettext("At most %(n)s characters.", n=250)
            continue
        problem = _checked(probe_problem, source, probe_context(context))
        if problem:
            errors[field] = problem
    return errors
