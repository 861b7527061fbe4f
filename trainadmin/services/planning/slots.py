"""« Ajouter un créneau »: a slot with its place, people and dates; the checks and the calendar
change events it raises on a session with participants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext

from ...extensions import db
from ...models import (
    Location,
    Room,
    Sequence,
    Slot,
    SlotChange,
    SlotDate,
    Trainer,
    TrainingOrganisation,
    User,
)
from .. import history
from ..errors import ValidationFailed
from ..history import current_actor, snapshots, values
from ..notifications import process_slot_changes
from ..sessions import UNLOCKED_ROLES, ensure_can_change, is_locked
from .conflicts import clash_message, find_clashes, room_capacity_warning
from .dates import refresh_session, slot_form_errors
from .signed import refuse_signed_dates, refuse_signed_slots

MAX_DAYS = Decimal(365)
MAX_HOURS = Decimal(5000)


@dataclass
class SlotInput:
    location_id: int | None = None
    room_id: int | None = None
    trainer_ids: list[int] = field(default_factory=list)
    co_trainer_id: int | None = None
    host_name: str | None = None
    host_email: str | None = None
    organisation_id: int | None = None
    organisation_comment: str | None = None
    location_comment: str | None = None
    trainer_comment: str | None = None
    duration_days: Decimal | None = None
    duration_hours: Decimal | None = None
    dates: list[tuple[date | None, time | None, time | None, int | None]] = field(default_factory=list)

    @classmethod
    def from_slot(cls, slot: Slot) -> SlotInput:
        """The slot as it stands, its dates included: what a change of one part starts from."""
        return cls(
            location_id=slot.location_id,
            room_id=slot.room_id,
            trainer_ids=[trainer.id for trainer in slot.trainers],
            co_trainer_id=slot.co_trainer_id,
            host_name=slot.host_name,
            host_email=slot.host_email,
            organisation_id=slot.organisation_id,
            organisation_comment=slot.organisation_comment,
            location_comment=slot.location_comment,
            trainer_comment=slot.trainer_comment,
            duration_days=slot.duration_days,
            duration_hours=slot.duration_hours,
            dates=[(d.day, d.start_time, d.end_time, d.break_minutes) for d in slot.dates],
        )


@dataclass
class SlotResult:
    slot: Slot
    warnings: list[str]
    change: SlotChange | None


def parse_decimal(text: str | None, field_name: str, errors: dict) -> Decimal | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[field_name] = gettext("Enter a number.")
        return None
    if not value.is_finite():
        errors[field_name] = gettext("Enter a number.")
        return None
    return value


def _check_references(data: SlotInput, errors: dict) -> tuple[Location | None, Room | None, list[Trainer]]:
    # `is not None`: an id of 0 is a wrong choice, not an empty one (it would fail the foreign key).
    location = db.session.get(Location, data.location_id) if data.location_id is not None else None
    if data.location_id is not None and location is None:
        errors["location"] = gettext("Choose a value in the list.")
    room = db.session.get(Room, data.room_id) if data.room_id is not None else None
    if data.room_id is not None and room is None:
        errors["room"] = gettext("Choose a value in the list.")
    trainers = [db.session.get(Trainer, trainer_id) for trainer_id in dict.fromkeys(data.trainer_ids)]
    if any(trainer is None for trainer in trainers):
        errors["trainers"] = gettext("Choose a value in the list.")
    if data.co_trainer_id is not None and db.session.get(Trainer, data.co_trainer_id) is None:
        errors["co_trainer"] = gettext("Choose a value in the list.")
    if (
        data.organisation_id is not None
        and db.session.get(TrainingOrganisation, data.organisation_id) is None
    ):
        errors["organisation"] = gettext("Choose a value in the list.")
    return location, room, [t for t in trainers if t is not None]


def slot_input_errors(data: SlotInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    location, room, _ = _check_references(data, errors)
    errors |= slot_form_errors(
        location, room, [(f"dates-{i}-", *values) for i, values in enumerate(data.dates)]
    )
    for name, value, maximum in (
        ("duration_days", data.duration_days, MAX_DAYS),
        ("duration_hours", data.duration_hours, MAX_HOURS),
    ):
        if value is not None and not Decimal(0) <= value <= maximum:
            errors[name] = gettext("Enter a number between 0 and %(max)s.", max=maximum)
    if data.host_email:
        try:
            validate_email(data.host_email, check_deliverability=False)
        except EmailNotValidError:
            errors["host_email"] = gettext("Invalid e-mail address.")
    return errors


def _whereabouts(slot: Slot | None) -> dict:
    """What a participant's invitation depends on: the place and the dates."""
    if slot is None or slot.id is None:
        return {"location": None, "room": None, "dates": []}
    return {
        "location": str(slot.location) if slot.location else None,
        "room": str(slot.room) if slot.room else None,
        "dates": [str(d) for d in slot.dates],
    }


def save_slot(
    sequence: Sequence,
    data: SlotInput,
    user: User | None,
    reason: str | None = None,
    slot: Slot | None = None,
    notify: bool = True,
    override_reason: str | None = None,
) -> SlotResult:
    """Create (slot None) or change a slot. A room already booked at those hours blocks the save,
    unless an operations manager or an administrator overrides it with a reason; a trainer booked
    elsewhere only warns. On a session with participants, a change of place or dates is recorded
    as a calendar change event, turned at once into invitation updates (stored without sending
    when `notify` is False)."""
    session = sequence.session
    ensure_can_change(session, user, reason)
    errors = slot_input_errors(data)
    if errors:
        raise ValidationFailed(errors)

    trainer_ids = list(
        dict.fromkeys([*data.trainer_ids, *([data.co_trainer_id] if data.co_trainer_id else [])])
    )
    clashes = find_clashes(
        [(day, start, end) for day, start, end, _ in data.dates],
        data.room_id,
        trainer_ids,
        exclude_slot_id=slot.id if slot is not None else None,
    )
    room_clashes = [c for c in clashes if c.kind == "room"]
    warnings = [clash_message(c) for c in clashes if c.kind == "trainer"]
    if room_clashes:
        may_override = user is not None and user.role in UNLOCKED_ROLES
        if not (may_override and (override_reason or "").strip()):
            messages = [clash_message(c) for c in room_clashes]
            if may_override:
                messages.append(gettext("To book the room anyway, give the reason of the override."))
            raise ValidationFailed({"room": " ".join(messages)})
        warnings.extend(clash_message(c) for c in room_clashes)
    room = db.session.get(Room, data.room_id) if data.room_id else None
    capacity = room_capacity_warning(room, session.capacity_max)
    if capacity:
        warnings.append(capacity)

    before = snapshots.slot_fields(slot) if slot is not None and slot.id is not None else None
    whereabouts = _whereabouts(slot)
    if slot is None:
        slot = Slot()
        sequence.slots.append(slot)
    slot.location_id = data.location_id
    slot.room_id = data.room_id
    slot.trainers = [db.session.get(Trainer, trainer_id) for trainer_id in dict.fromkeys(data.trainer_ids)]
    slot.co_trainer_id = data.co_trainer_id
    slot.host_name = (data.host_name or "").strip() or None
    slot.host_email = (data.host_email or "").strip() or None
    slot.organisation_id = data.organisation_id
    slot.organisation_comment = (data.organisation_comment or "").strip() or None
    slot.location_comment = (data.location_comment or "").strip() or None
    slot.trainer_comment = (data.trainer_comment or "").strip() or None
    slot.duration_days = data.duration_days
    slot.duration_hours = data.duration_hours
    _replace_dates(slot, data.dates)
    db.session.flush()
    db.session.refresh(slot, ["location", "room", "dates", "co_trainer", "organisation"])
    refresh_session(session)
    change = _record_move(sequence, slot, whereabouts, notify)
    history.record_changes(
        session,
        snapshots.slot_target(sequence),
        before,
        snapshots.slot_fields(slot),
        extra=_calendar_note(change),
        reason=" — ".join(
            r.strip() for r in (reason, override_reason if room_clashes else None) if r and r.strip()
        ),
    )
    if change is not None:
        process_slot_changes(session_id=session.id)
    return SlotResult(slot=slot, warnings=warnings, change=change)


def _replace_dates(slot: Slot, dates: list[tuple]) -> None:
    """Same day kept (its hours updated), others added or removed."""
    existing = {d.day: d for d in slot.dates}
    wanted = []
    for day, start, end, pause in sorted(dates, key=lambda values: values[0]):
        row = existing.pop(day, None) or SlotDate(day=day)
        row.start_time, row.end_time, row.break_minutes = start, end, pause or 0
        wanted.append(row)
    refuse_signed_dates(row.id for row in existing.values())
    for row in existing.values():
        db.session.delete(row)
    slot.dates = wanted


def _record_move(sequence: Sequence, slot: Slot | None, before: dict, notify: bool) -> SlotChange | None:
    """On a session with participants, a change of place or dates is a calendar change event."""
    session = sequence.session
    if not is_locked(session):
        return None
    after = _whereabouts(slot)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not changes:
        return None
    user_id, _actor = current_actor()
    change = SlotChange(
        session_id=session.id,
        sequence_id=sequence.id,
        slot_id=slot.id if slot is not None else None,
        user_id=user_id,
        changes=changes,
        notify=notify,
    )
    db.session.add(change)
    db.session.flush()
    return change


def _calendar_note(change: SlotChange | None) -> list[dict]:
    """The history says whether the participants' invitations are updated (or not, as asked)."""
    if change is None:
        return []
    return [history.change("calendar_update", None, values.boolean(change.notify))]


def delete_slot(slot: Slot, user: User | None, reason: str | None = None, notify: bool = True) -> None:
    sequence = slot.sequence
    session = sequence.session
    ensure_can_change(session, user, reason)
    refuse_signed_slots([slot.id])
    before = snapshots.slot_fields(slot)
    whereabouts = _whereabouts(slot)
    sequence.slots.remove(slot)
    db.session.delete(slot)
    db.session.flush()
    refresh_session(session)
    change = _record_move(sequence, None, whereabouts, notify)
    history.record_changes(
        session, snapshots.slot_target(sequence), before, None, extra=_calendar_note(change), reason=reason
    )
    if change is not None:
        process_slot_changes(session_id=session.id)
