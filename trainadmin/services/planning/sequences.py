"""« Ajouter une séquence »: create, change, reorder and delete the sequences of a session."""

from __future__ import annotations

from datetime import date, time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import Evaluation, Sequence, SequenceStatus, Slot, TeachingMode, TrainingSession, User
from .. import history
from ..errors import ValidationFailed
from ..history import snapshots
from ..notifications import calendar, events
from ..sessions import SEQUENCE_FIELDS, ensure_can_change
from .conflicts import ROOM, clash_message, find_clashes, overlaps
from .dates import refresh_session
from .signed import refuse_signed_sequence

MAX_DELAY = 365
EDITABLE = tuple(field for field in SEQUENCE_FIELDS if field != "position")
RELATIONS = ["teaching_mode", "hot_survey_evaluation", "cold_survey_evaluation"]


def survey_defaults(session: TrainingSession) -> dict:
    """A new sequence takes its surveys from the formation's evaluation: hot survey on at the end,
    cold survey prepared 60 days after (off until someone turns it on)."""
    evaluation_id = session.training.evaluation_id if session.training else None
    return {
        "hot_survey_enabled": evaluation_id is not None,
        "hot_survey_evaluation_id": evaluation_id,
        "hot_survey_delay_days": 0,
        "cold_survey_enabled": False,
        "cold_survey_evaluation_id": evaluation_id,
        "cold_survey_delay_days": 60,
    }


def sequence_errors(values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (values.get("label") or "").strip():
        errors["label"] = gettext("This field is required.")
    elif len(values["label"]) > 200:
        errors["label"] = gettext("At most %(n)s characters.", n=200)
    url = (values.get("url") or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > 500:
            errors["url"] = gettext("Enter an address starting with http:// or https://.")
    if values.get("status") is not None and not isinstance(values["status"], SequenceStatus):
        errors["status"] = gettext("Choose a status in the list.")
    for field in ("hot_survey_delay_days", "cold_survey_delay_days"):
        value = values.get(field)
        if value is not None and not -MAX_DELAY <= value <= MAX_DELAY:
            errors[field] = gettext(
                "Enter a number of days between %(min)s and %(max)s.", min=-MAX_DELAY, max=MAX_DELAY
            )
    for field, model in (
        ("teaching_mode_id", TeachingMode),
        ("hot_survey_evaluation_id", Evaluation),
        ("cold_survey_evaluation_id", Evaluation),
    ):
        value = values.get(field)
        if value is not None and db.session.get(model, value) is None:
            errors[field] = gettext("Choose a value in the list.")
    return errors


def save_sequence(
    session: TrainingSession,
    values: dict,
    user: User | None,
    reason: str | None = None,
    sequence: Sequence | None = None,
) -> Sequence:
    """Create (sequence None) or change a sequence; the lock after enrolment applies. A sequence
    turning « Annulée » cancels its e-mails not sent yet and its calendar invitations; one coming
    back re-invites."""
    ensure_can_change(session, user, reason)
    errors = sequence_errors(values)
    if errors:
        raise ValidationFailed(errors)
    status_before = sequence.status if sequence is not None else None
    restored = (
        status_before == SequenceStatus.CANCELLED and values.get("status", status_before) != status_before
    )
    if restored:
        _check_rooms_are_free(sequence)
    before = snapshots.sequence_fields(sequence) if sequence is not None else None
    if sequence is None:
        sequence = Sequence(position=_next_position(session), **survey_defaults(session))
        session.sequences.append(sequence)  # (once: setting sequence.session too would add it twice)
    for field in EDITABLE:
        if field in values:
            value = values[field]
            if field == "url":
                value = (value or "").strip() or None
            if field == "label":
                value = value.strip()
            setattr(sequence, field, value)
    refresh_session(session)
    db.session.expire(sequence, RELATIONS)
    after = snapshots.sequence_fields(sequence)
    history.record_changes(session, snapshots.sequence_target(sequence), before, after, reason=reason)
    if status_before != sequence.status and sequence.status == SequenceStatus.CANCELLED:
        events.on_sequence_cancelled(sequence)
    elif status_before == SequenceStatus.CANCELLED:
        calendar.sync_session(session)  # back from « Annulée »: its invitations go again
    return sequence


def _check_rooms_are_free(sequence: Sequence) -> None:
    """A sequence back from « Annulée » takes its rooms again: not if another session took one of
    them meanwhile, or if two of its own slots hold the same room at the same hours."""
    messages = []
    booked: list[tuple[int, date, time, time]] = []
    for slot in sequence.slots:
        dates = [(d.day, d.start_time, d.end_time) for d in slot.dates]
        if slot.room_id is None:
            continue
        messages += [
            clash_message(c)
            for c in find_clashes(dates, slot.room_id, [], exclude_slot_id=slot.id)
            if c.kind == ROOM
        ]
        for day, start, end in dates:
            if any(r == slot.room_id and d == day and overlaps(start, end, s, e) for r, d, s, e in booked):
                messages.append(
                    gettext(
                        "Two slots of this sequence hold the same room on %(day)s: change one of them first.",
                        day=day.strftime("%d/%m/%Y"),
                    )
                )
            booked.append((slot.room_id, day, start, end))
    if messages:
        raise ValidationFailed({"status": " ".join(dict.fromkeys(messages))})


def _next_position(session: TrainingSession) -> int:
    positions = [s.position for s in session.sequences]
    return max(positions) + 1 if positions else 0


def move_sequence(sequence: Sequence, offset: int, user: User | None, reason: str | None = None) -> None:
    """Move one place up (-1) or down (+1) in the session's order."""
    session = sequence.session
    ensure_can_change(session, user, reason)
    ordered = sorted(session.sequences, key=lambda s: (s.position, s.id or 0))
    index = ordered.index(sequence)
    target = index + offset
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()
    history.record(
        session,
        history.CHANGED,
        snapshots.sequence_target(sequence),
        [history.change("position", index + 1, target + 1)],
        reason=reason,
    )
    db.session.expire(session, ["sequences"])


def delete_sequence(sequence: Sequence, user: User | None, reason: str | None = None) -> None:
    """The sequence and its slots go; its e-mails not sent yet are cancelled and its attendees get a
    METHOD:CANCEL before its invitations go with it."""
    session = sequence.session
    ensure_can_change(session, user, reason)
    refuse_signed_sequence(sequence.id)
    before = snapshots.sequence_fields(sequence)
    target = snapshots.sequence_target(sequence)
    events.on_sequence_cancelled(sequence)
    db.session.delete(sequence)
    db.session.flush()
    db.session.expire(session, ["sequences"])
    refresh_session(session)
    history.record_changes(session, target, before, None, reason=reason)


def slot_count(sequence: Sequence) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Slot.sequence_id == sequence.id))
