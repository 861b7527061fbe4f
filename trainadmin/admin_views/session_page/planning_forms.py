"""What the planning editor's forms post, read into the values the planning services take, and the
lists those forms offer."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...ids import parse_id
from ...models import (
    Evaluation,
    Location,
    Sequence,
    SequenceStatus,
    Slot,
    TeachingMode,
    Trainer,
    TrainingOrganisation,
    TrainingSession,
)
from ...services.planning import SlotInput, parse_decimal
from ..labels import enum_choices

MAX_DATES = 60


def _day(text: str, errors: dict, name: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = gettext("Enter a date (dd/mm/yyyy).")
        return None


def _time(text: str, errors: dict, name: str) -> time | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        errors[name] = gettext("Enter a time (hh:mm).")
        return None


def sequence_values(form) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    try:
        status = SequenceStatus(form.get("status") or "planned")
    except ValueError:
        status, errors["status"] = None, gettext("Choose a status in the list.")
    values = {
        "label": form.get("label", ""),
        "teaching_mode_id": parse_id(form.get("teaching_mode_id")),
        "url": form.get("url", ""),
        "status": status,
        "is_prework": form.get("is_prework") == "y",
        "hot_survey_enabled": form.get("hot_survey_enabled") == "y",
        "cold_survey_enabled": form.get("cold_survey_enabled") == "y",
    }
    # Fields absent from the request keep their value (or the formation's default for a new sequence).
    for name in ("hot_survey_evaluation_id", "cold_survey_evaluation_id"):
        if name in form:
            values[name] = parse_id(form.get(name))
    for name in ("hot_survey_delay_days", "cold_survey_delay_days"):
        text = (form.get(name) or "").strip()
        if not text:
            continue
        try:
            values[name] = int(text)
        except ValueError:
            errors[name] = gettext("Enter a whole number of days.")
    return values, errors


def slot_values(form) -> tuple[SlotInput, dict]:
    errors: dict[str, str] = {}
    dates = []
    for index in range(MAX_DATES):
        prefix = f"dates-{index}-"
        raw = [form.get(prefix + key, "") for key in ("day", "start_time", "end_time", "break_minutes")]
        if prefix + "day" not in form:
            break
        if not any(value.strip() for value in raw):
            continue  # an empty spare row
        pause_text = raw[3].strip()
        pause = parse_id(pause_text, 4) if pause_text else 0
        if pause is None:
            errors[prefix + "break_minutes"] = gettext("Enter a whole number of minutes.")
        dates.append(
            (
                _day(raw[0], errors, prefix + "day"),
                _time(raw[1], errors, prefix + "start_time"),
                _time(raw[2], errors, prefix + "end_time"),
                pause or 0,
            )
        )
    data = SlotInput(
        location_id=parse_id(form.get("location_id")),
        room_id=parse_id(form.get("room_id")),
        trainer_ids=[i for i in (parse_id(v) for v in form.getlist("trainer_ids")) if i is not None],
        co_trainer_id=parse_id(form.get("co_trainer_id")),
        host_name=form.get("host_name"),
        host_email=form.get("host_email"),
        organisation_id=parse_id(form.get("organisation_id")),
        organisation_comment=form.get("organisation_comment"),
        location_comment=form.get("location_comment"),
        trainer_comment=form.get("trainer_comment"),
        duration_days=parse_decimal(form.get("duration_days"), "duration_days", errors),
        duration_hours=parse_decimal(form.get("duration_hours"), "duration_hours", errors),
        dates=dates,
    )
    return data, errors


def editor_choices() -> dict:
    """The lists the sequence and slot forms offer (small reference tables)."""
    return {
        "teaching_modes": db.session.scalars(sa.select(TeachingMode).order_by(TeachingMode.name)).all(),
        "evaluations": db.session.scalars(sa.select(Evaluation).order_by(Evaluation.name)).all(),
        "locations": db.session.scalars(sa.select(Location).order_by(Location.name)).all(),
        "trainers": db.session.scalars(
            sa.select(Trainer).order_by(Trainer.last_name, Trainer.first_name)
        ).all(),
        "organisations": db.session.scalars(
            sa.select(TrainingOrganisation).order_by(TrainingOrganisation.name)
        ).all(),
        "statuses": enum_choices(SequenceStatus),
    }


def editor_context(session: TrainingSession, drawn: list[int | None]) -> dict:
    """What the editor shows besides the sequences: their number of slots (one query), and the slots
    of the sequences it draws, loaded in a fixed number of queries."""
    counts = db.session.execute(
        sa.select(Slot.sequence_id, sa.func.count())
        .join(Sequence, Slot.sequence_id == Sequence.id)
        .where(Sequence.session_id == session.id)
        .group_by(Slot.sequence_id)
    ).all()
    load_slots(session, [i for i in drawn if i is not None])
    return {"slot_counts": dict(counts)}


def load_slots(session: TrainingSession, sequence_ids: list[int]) -> None:
    """The slots of these sequences of the session, with what their lines show."""
    if not sequence_ids:
        return
    db.session.scalars(
        sa.select(Sequence)
        .where(Sequence.session_id == session.id, Sequence.id.in_(sequence_ids))
        .options(
            selectinload(Sequence.slots).options(
                selectinload(Slot.dates),
                selectinload(Slot.trainers),
                selectinload(Slot.location),
                selectinload(Slot.room),
                selectinload(Slot.co_trainer),
            )
        )
    ).all()
