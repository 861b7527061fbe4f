"""Writing one session of the feed through the services the admin uses (`new_session`,
`save_sequence`, `save_slot`, `delete_slot`, `delete_sequence`, the lock after enrolment); what a
service refuses is placed on the feed (`ItemProblem`)."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from ...extensions import db
from ...models import Origin, Partner, Sequence, SessionType, Slot, Training, TrainingSession
from .. import sessions
from ..errors import DomainError, ValidationFailed
from ..notifications import calendar, copy_rules
from ..planning import (
    SlotInput,
    delete_sequence,
    delete_slot,
    planning_loaders,
    refresh_session,
    save_sequence,
    save_slot,
)
from ..sessions import SessionLocked, ensure_can_change, new_session
from .feed_items import FeedDate, where_of
from .snapshots import SessionSnapshot, same_fields, same_slot
from .wanted import WantedSequence, WantedSession, WantedSlot


def _after_session_created(session: TrainingSession) -> None:
    """A session the import has just created gets its e-mail rules from the defaults (and its
    e-mails planned when it is published), as a session created by hand."""
    copy_rules(session)


def _slot_input(wanted: WantedSlot, slot: Slot | None) -> SlotInput:
    # What the feed does not give stays as it is.
    data = SlotInput.from_slot(slot) if slot is not None else SlotInput()
    for name, value in wanted.fields.items():
        setattr(data, name, list(value) if name == "trainer_ids" else value)
    data.dates = [(d.day, d.start, d.end, d.break_minutes) for d in wanted.feed.dates]
    return data


def validation_problems(exc: DomainError, item, dates: list[FeedDate] | None = None) -> list[tuple[str, str]]:
    """A service's field errors placed on the feed: `dates-2-end_time` is the third date of the slot."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "": exc.message}
    problems = []
    for key, message in errors.items():
        match = re.match(r"dates-(\d+)-(\w+)", key)
        if match and dates and int(match.group(1)) < len(dates):
            feed_date = dates[int(match.group(1))]
            name = {"day": "date"}.get(match.group(2), match.group(2))
            problems.append((where_of(feed_date, name), message))
        else:
            problems.append((where_of(item), message))
    return problems


class ItemProblem(Exception):
    """A service refused a part of the session: its problems, placed on the feed."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


def _save_slot(sequence: Sequence, wanted: WantedSlot, slot: Slot | None) -> None:
    ordered = sorted(wanted.feed.dates, key=lambda d: (d.day is None, d.day or date.min))
    wanted.feed.dates[:] = ordered  # the service numbers the dates in this order
    try:
        save_slot(sequence, _slot_input(wanted, slot), None, slot=slot)
    except DomainError as exc:
        raise ItemProblem(validation_problems(exc, wanted.feed, wanted.feed.dates)) from exc


def _save_sequence(session: TrainingSession, wanted: WantedSequence, sequence: Sequence | None) -> Sequence:
    try:
        return save_sequence(session, dict(wanted.fields), None, sequence=sequence)
    except DomainError as exc:
        raise ItemProblem(validation_problems(exc, wanted.feed)) from exc


def create_session(partner: Partner, wanted: WantedSession) -> TrainingSession:
    """A new session from the feed: INTER unless the feed says otherwise, the partner's organisation
    and publication, the code of its year."""
    fields = dict(wanted.fields)
    training = db.session.get(Training, fields.pop("training_id"))
    first_day = wanted.feed.first_day()
    year = fields.pop("year", None) or (first_day.year if first_day else date.today().year)
    fields.setdefault("session_type", SessionType.INTER)
    try:
        session = new_session(
            training,
            year,
            None,
            origin=Origin.IMPORTED,
            publication=partner.publication,
            partner_id=partner.id,
            external_ref=wanted.feed.reference,
            organisation_id=partner.organisation_id,
            **fields,
        )
    except DomainError as exc:
        raise ItemProblem(validation_problems(exc, wanted.feed)) from exc
    for wanted_sequence in wanted.sequences:
        sequence = _save_sequence(session, wanted_sequence, None)
        for wanted_slot in wanted_sequence.slots:
            _save_slot(sequence, wanted_slot, None)
    _after_session_created(session)
    return session


def update_session(wanted: WantedSession, existing: SessionSnapshot) -> TrainingSession:
    """Apply what differs, part by part, through the services; the lock after enrolment first."""
    session = db.session.scalars(
        sa.select(TrainingSession).where(TrainingSession.id == existing.id).options(*planning_loaders())
    ).one()
    ensure_can_change(session, None)
    fields = {name: value for name, value in wanted.fields.items() if existing.fields.get(name) != value}
    if fields:
        try:
            sessions.update_session(session, fields, None)
        except SessionLocked:
            raise
        except DomainError as exc:
            raise ItemProblem(validation_problems(exc, wanted.feed)) from exc
    sequences = sorted(session.sequences, key=lambda s: (s.position, s.id))
    for index, wanted_sequence in enumerate(wanted.sequences):
        snapshot = existing.sequences[index] if index < len(existing.sequences) else None
        sequence = sequences[index] if index < len(sequences) else None
        if sequence is None or not same_fields(wanted_sequence.fields, snapshot.fields):
            sequence = _save_sequence(session, wanted_sequence, sequence)
        slots = sorted(sequence.slots, key=lambda s: s.id or 0)
        for position, wanted_slot in enumerate(wanted_sequence.slots):
            slot = slots[position] if position < len(slots) else None
            slot_snapshot = snapshot.slots[position] if snapshot and position < len(snapshot.slots) else None
            if slot is None or slot_snapshot is None or not same_slot(wanted_slot, slot_snapshot):
                _save_slot(sequence, wanted_slot, slot)
        for slot in slots[len(wanted_sequence.slots) :]:
            delete_slot(slot, None)
    for sequence in sequences[len(wanted.sequences) :]:
        delete_sequence(sequence, None)
    session.missing_from_feed = False
    refresh_session(session)
    db.session.flush()
    calendar.sync_session(session)
    return session
