"""The period and the filters of « Rapports », read from what the user typed: each refusal names
its field, so the page shows it next to that field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext

from ...extensions import db
from ...ids import parse_id
from ...models import Dispositif, Population, SessionType, Training, TrainingOrganisation
from ..errors import ValidationFailed

#: The longest period a report covers (a range beyond it is a typing mistake, and reads everything).
MAX_DAYS = 5 * 366
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)

PRESETS = {
    "this_year": lazy_gettext("This year"),
    "last_year": lazy_gettext("Last year"),
    "last_12_months": lazy_gettext("Last 12 months"),
    "custom": lazy_gettext("Dates chosen below"),
}

#: The filter fields that name a row of reference data: field → model.
REFERENCES = {
    "training_id": Training,
    "population_id": Population,
    "dispositif_id": Dispositif,
    "organisation_id": TrainingOrganisation,
}

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FRENCH = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


@dataclass(frozen=True)
class ReportFilters:
    """A report's period (both days included) and its filters (None: all)."""

    start: date
    end: date
    preset: str = "this_year"
    training_id: int | None = None
    population_id: int | None = None
    dispositif_id: int | None = None
    organisation_id: int | None = None
    session_type: SessionType | None = None

    def as_args(self) -> dict[str, str]:
        """The query string that gives these filters back (the export links, the print header)."""
        args = {"preset": self.preset, "start": self.start.isoformat(), "end": self.end.isoformat()}
        for field in REFERENCES:
            value = getattr(self, field)
            if value is not None:
                args[field] = str(value)
        if self.session_type is not None:
            args["session_type"] = self.session_type.value
        return args


def preset_period(preset: str, today: date) -> tuple[date, date]:
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if preset == "last_12_months":
        # The current month and the eleven before it, whole, up to today.
        months = today.year * 12 + today.month - 1 - 11
        return date(months // 12, months % 12 + 1, 1), today
    return date(today.year, 1, 1), date(today.year, 12, 31)


def default_filters(today: date) -> ReportFilters:
    start, end = preset_period("this_year", today)
    return ReportFilters(start=start, end=end)


def parse_day(text: str) -> date | None:
    """« 2027-03-15 » (what a date field sends) or « 15/03/2027 » (what a person types); None if neither."""
    text = text.strip()
    try:
        if _ISO.match(text):
            return date.fromisoformat(text)
        if _FRENCH.match(text):
            return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None
    return None


def parse_filters(values: Mapping[str, str], today: date) -> ReportFilters:
    """The filters typed in the form. A preset gives its period unless dates are typed with
    « custom »; unknown ids, unreadable dates, an end before the start or a period over five years are
    refused with one message per field (ValidationFailed)."""
    errors: dict[str, str] = {}
    preset = (values.get("preset") or "").strip() or (
        "custom" if (values.get("start") or values.get("end")) else "this_year"
    )
    if preset not in PRESETS:
        errors["preset"] = gettext("Choose a period in the list.")
        preset = "custom"
    start, end = preset_period(preset, today)
    if preset == "custom":
        start, end = _typed_period(values, start, end, errors)
    chosen: dict[str, int | None] = {}
    for field in REFERENCES:
        raw = (values.get(field) or "").strip()
        if not raw:
            chosen[field] = None
            continue
        chosen[field] = parse_id(raw)
        if chosen[field] is None:
            errors[field] = gettext("Choose a value in the list.")
    _check_references(chosen, errors)
    session_type = None
    raw_type = (values.get("session_type") or "").strip()
    if raw_type:
        try:
            session_type = SessionType(raw_type.lower())
        except ValueError:
            errors["session_type"] = gettext("Choose a value in the list.")
    if errors:
        raise ValidationFailed(errors)
    return replace(
        ReportFilters(start=start, end=end, preset=preset, session_type=session_type),
        **chosen,
    )


def _typed_period(values: Mapping[str, str], start: date, end: date, errors: dict[str, str]):
    for field in ("start", "end"):
        raw = (values.get(field) or "").strip()
        if not raw:
            continue
        day = parse_day(raw)
        if day is None:
            errors[field] = gettext("Enter a date as dd/mm/yyyy.")
        elif not EARLIEST <= day <= LATEST:
            errors[field] = gettext("Enter a date between 2000 and 2100.")
        elif field == "start":
            start = day
        else:
            end = day
    if "start" not in errors and "end" not in errors:
        if end < start:
            errors["end"] = gettext("The end of the period must not be before its start.")
        elif end - start > timedelta(days=MAX_DAYS):
            errors["end"] = gettext("A report covers at most five years: choose a shorter period.")
    return start, end


def _check_references(chosen: dict[str, int | None], errors: dict[str, str]) -> None:
    """Every id given names an existing row: one statement for all of them."""
    wanted = [(field, value) for field, value in chosen.items() if value is not None]
    if not wanted:
        return
    selects = [
        sa.select(sa.literal(field).label("field"), REFERENCES[field].id).where(REFERENCES[field].id == value)
        for field, value in wanted
    ]
    found = {row.field for row in db.session.execute(sa.union_all(*selects))}
    for field, _value in wanted:
        if field not in found:
            errors[field] = gettext("This value no longer exists: choose one in the list.")


def choices() -> dict[str, list[tuple[int, str]]]:
    """The rows each filter offers, by name: one statement."""
    selects = [
        sa.select(sa.literal(field).label("field"), model.id, model.name)
        for field, model in REFERENCES.items()
    ]
    found: dict[str, list[tuple[int, str]]] = {field: [] for field in REFERENCES}
    for row in db.session.execute(sa.union_all(*selects)):
        found[row.field].append((row.id, row.name))
    for rows in found.values():
        rows.sort(key=lambda pair: pair[1].casefold())
    return found
