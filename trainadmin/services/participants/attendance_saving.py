"""Recording attendance and certification results: the whole grid checked first, then saved — all
of it or none — with one entry in the session's history naming each half-day and result changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flask_babel import gettext

from ...extensions import db
from ...ids import parse_id
from ...models import (
    Attendance,
    CertificationResult,
    HalfDay,
    Presence,
    SlotDate,
    TrainingRequest,
    TrainingSession,
)
from .. import history, tallies
from ..errors import DomainError, ValidationFailed
from ..history import snapshots, values
from .attendance import (
    CERTIFICATION_RESULTS,
    AttendanceDay,
    CellKey,
    attendance_days,
    enrolled_participants,
    find_day,
    session_rows,
)


def _invalid_reference() -> str:
    return gettext("The attendance sheet sent is not valid: reload the page and try again.")


def _not_a_date() -> str:
    return gettext("This date is not a date of this session.")


def _bad_value() -> str:
    return gettext("Choose present, absent or excused.")


def _not_covered(slot_date: SlotDate, half: HalfDay) -> str:
    day = slot_date.day.strftime("%d/%m/%Y")
    if half == HalfDay.MORNING:
        starts = slot_date.start_time.strftime("%H:%M")
        return gettext("No morning on %(date)s: the slot starts at %(time)s.", date=day, time=starts)
    ends = slot_date.end_time.strftime("%H:%M")
    return gettext("No afternoon on %(date)s: the slot ends at %(time)s.", date=day, time=ends)


def _check_cells(
    days: dict[int, AttendanceDay], enrolled: dict[int, TrainingRequest], cells: Iterable
) -> tuple[dict[CellKey, Presence | None], dict[str, str]]:
    """(request id, slot date id, half-day, value) as sent → {cell: value, None to clear}, errors."""
    plan: dict[CellKey, Presence | None] = {}
    errors: dict[str, str] = {}
    for request_id, slot_date_id, half_day, value in cells:
        request_key, date_key = parse_id(request_id), parse_id(slot_date_id)
        if request_key is None or date_key is None:
            errors.setdefault("reference", _invalid_reference())
            continue
        if request_key not in enrolled:
            errors.setdefault(
                "request",
                gettext("Attendance can only be recorded for the enrolled participants of this session."),
            )
            continue
        day = days.get(date_key)
        if day is None:
            errors.setdefault("slot_date", _not_a_date())
            continue
        try:
            half = HalfDay(str(half_day))
        except ValueError:
            errors.setdefault("half_day", gettext("Choose the morning or the afternoon."))
            continue
        if half not in day.half_days:
            errors.setdefault("half_day", _not_covered(day.slot_date, half))
            continue
        text = "" if value is None else str(value).strip()
        if not text:
            plan[(request_key, date_key, half)] = None
            continue
        try:
            plan[(request_key, date_key, half)] = Presence(text)
        except ValueError:
            errors.setdefault("value", _bad_value())
    return plan, errors


def _write_cells(
    session: TrainingSession, plan: dict[CellKey, Presence | None], enrolled: dict[int, TrainingRequest]
) -> list[dict]:
    """Write the cells; returns the history's lines, one per half-day whose value changed."""
    if not plan:
        return []
    existing = {
        (row.request_id, row.slot_date_id, row.half_day): row
        for row in db.session.scalars(session_rows(Attendance, session))
    }
    days = {day.slot_date.id: day.slot_date.day for day in attendance_days(session)}
    changes = []
    for (request_id, slot_date_id, half), value in plan.items():
        row = existing.get((request_id, slot_date_id, half))
        old = row.value if row is not None else None
        if value is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                Attendance(request_id=request_id, slot_date_id=slot_date_id, half_day=half, value=value)
            )
        else:
            row.value = value
        if old != value:
            changes.append(
                {
                    **history.change("attendance", values.enum_value(old), values.enum_value(value)),
                    "who": str(enrolled[request_id].collaborator),
                    "day": days[slot_date_id].isoformat(),
                    "half": half.value,
                }
            )
    tallies.recount_attendance(session.id)
    return sorted(changes, key=lambda item: (item["who"], item["day"], item["half"]))


def parse_day(value) -> date | None:
    """A date as a date field sends it (2027-03-16) or as typed (16/03/2027); blank is None."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _check_certifications(
    session: TrainingSession, enrolled: dict[int, TrainingRequest], entries: Iterable, today: date
) -> tuple[dict[int, tuple[bool, date | None] | None], dict[str, str]]:
    """(request id, result, date) as sent → {request id: (obtained, date), None to clear}, errors."""
    plan: dict[int, tuple[bool, date | None] | None] = {}
    errors: dict[str, str] = {}
    for request_id, result, obtained_on in entries:
        key = parse_id(request_id)
        if key is None:
            errors.setdefault("reference", _invalid_reference())
            continue
        request = enrolled.get(key)
        if request is None:
            errors.setdefault(
                "certification",
                gettext(
                    "A certification result can only be recorded for the enrolled participants of this "
                    "session."
                ),
            )
            continue
        name = request.collaborator
        field = f"certification-{key}"
        result = "" if result is None else str(result).strip()
        if not result:
            plan[key] = None
            continue
        if result not in CERTIFICATION_RESULTS:
            errors[field] = gettext("%(name)s: choose obtained or not obtained.", name=name)
            continue
        try:
            day = parse_day(obtained_on)
        except ValueError:
            errors[field] = gettext("%(name)s: enter the certification date as dd/mm/yyyy.", name=name)
            continue
        if result == "obtained" and day is None:
            errors[field] = gettext("%(name)s: enter the date the certification was obtained.", name=name)
        elif day is not None and day > today:
            errors[field] = gettext("%(name)s: the certification date cannot be in the future.", name=name)
        elif day is not None and session.start_date is not None and day < session.start_date:
            start = session.start_date.strftime("%d/%m/%Y")
            errors[field] = gettext(
                "%(name)s: the certification date cannot be before the start of the session (%(start)s).",
                name=name,
                start=start,
            )
        else:
            plan[key] = (result == "obtained", day)
    return plan, errors


def _write_certifications(
    session: TrainingSession,
    plan: dict[int, tuple[bool, date | None] | None],
    enrolled: dict[int, TrainingRequest],
) -> list[dict]:
    """Write the results; returns the history's lines, one per participant whose result changed."""
    if not plan:
        return []
    existing = {row.request_id: row for row in db.session.scalars(session_rows(CertificationResult, session))}
    changes = []
    for request_id, result in plan.items():
        row = existing.get(request_id)
        old = (row.obtained, row.obtained_on) if row is not None else None
        if result is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                CertificationResult(request_id=request_id, obtained=result[0], obtained_on=result[1])
            )
        else:
            row.obtained, row.obtained_on = result
        if old != result:
            changes.append(
                {
                    **history.change(
                        "certification", values.certification(old), values.certification(result)
                    ),
                    "who": str(enrolled[request_id].collaborator),
                }
            )
    db.session.flush()
    return sorted(changes, key=lambda item: item["who"])


def save_sheet(session: TrainingSession, cells: Iterable, certifications: Iterable, today: date) -> None:
    """« Sauvegarder » of the tab: every cell and certification result is checked first, then all are
    saved, or none (ValidationFailed lists what is wrong).

    cells: (request id, slot date id, half-day, presence or "" to clear), as sent;
    certifications: (request id, "obtained" / "not_obtained" / "" to clear, date), as sent.
    """
    days = {day.slot_date.id: day for day in attendance_days(session)}
    enrolled = {request.id: request for request in enrolled_participants(session)}
    cell_plan, errors = _check_cells(days, enrolled, cells)
    certification_plan, certification_errors = _check_certifications(session, enrolled, certifications, today)
    errors.update(certification_errors)
    if errors:
        raise ValidationFailed(errors)
    changes = _write_cells(session, cell_plan, enrolled)
    changes += _write_certifications(session, certification_plan, enrolled)
    if changes:
        history.record(session, history.CHANGED, snapshots.target("attendance"), changes)


def set_whole_day(session: TrainingSession, slot_date_id, value) -> int:
    """« Tous présents » and the like: one value for every enrolled participant on every half-day the
    date covers. Returns the number of half-days set."""
    day = find_day(session, slot_date_id)
    if day is None:
        raise DomainError(_not_a_date(), field="slot_date")
    try:
        presence = Presence(str(value or "").strip())
    except ValueError:
        raise DomainError(_bad_value(), field="value") from None
    enrolled = {request.id: request for request in enrolled_participants(session)}
    plan: dict[CellKey, Presence | None] = {
        (request_id, day.slot_date.id, half): presence for request_id in enrolled for half in day.half_days
    }
    changes = _write_cells(session, plan, enrolled)
    if changes:
        history.record(session, history.CHANGED, snapshots.target("attendance"), changes)
    return len(plan)
