"""« Importer » partners' sessions: each session of a feed is matched with the partner's sessions by
its reference (upsert by partner and external reference) and created, updated or left alone.

- Everything goes through the services the admin uses: `new_session` (codes by year),
  `save_sequence`, `save_slot` (checks, room clashes, calendar change events), `delete_slot`,
  `delete_sequence`, and `ensure_can_change` for the lock after enrolment. The import acts as the
  system, bound like a manager: what it may not change is reported in the run, not applied.
- The partner's sessions are read in bulk once and compared in memory; only what differs is written.
  Re-importing the same feed writes nothing to the sessions (no history entry either).
- Each session is written in its own savepoint: a bad session leaves nothing behind, the rest goes on.
- Sessions of the partner that the feed no longer lists are flagged (`missing_from_feed`), never
  deleted; only those still to come and neither cancelled nor closed.

The run itself (queue, claim, resume, commit per batch) is in `services/import_runs.py`; reading
and parsing the feed in `services/import_feeds.py`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import (
    ImportedSession,
    ImportOutcome,
    ImportRejection,
    ImportRun,
    Location,
    Origin,
    Partner,
    Room,
    Sequence,
    SessionType,
    Slot,
    SlotDate,
    TeachingMode,
    Trainer,
    Training,
    TrainingSession,
    UnknownPolicy,
    WorkflowStatus,
    slot_trainer,
)
from .. import sessions
from ..errors import DomainError, ValidationFailed
from ..notifications import calendar
from ..notifications.rules import copy_default_rules, copy_rules
from ..planning import (
    SlotInput,
    delete_sequence,
    delete_slot,
    planning_loaders,
    refresh_session,
    save_sequence,
    save_slot,
)
from ..sessions import SessionLocked, ensure_can_change, locked_session_ids, new_session
from .creation import BulkCreator, Problem, allocate
from .feeds import FeedDate, FeedSequence, FeedSession, FeedSlot

SESSION_FIELDS = (
    "training_id",
    "label",
    "year",
    "session_type",
    "capacity_min",
    "capacity_target",
    "capacity_max",
    "comments",
    "convocation_comment",
)
SLOT_FIELDS = (
    "location_id",
    "room_id",
    "trainer_ids",
    "organisation_comment",
    "location_comment",
    "trainer_comment",
)
log = logging.getLogger(__name__)
FEED_TO_SESSION = {"title": "label"}
COUNTS = ("created", "updated", "unchanged", "rejected", "flagged")
TRAINER_RE = re.compile(r"^(?P<name>[^<]*?)\s*<(?P<email>[^>]+)>$")


def printable(text: str) -> str:
    """A feed's text as it can be stored to report it: PostgreSQL refuses NUL characters."""
    return text.replace("\x00", "\ufffd")


def _after_session_created(session: TrainingSession) -> None:
    """A session the import has just created gets its e-mail rules from the defaults (and its
    e-mails planned when it is published), as a session created by hand."""
    copy_rules(session)


# --- What the feed wants and what the database has -----------------------------------------------


@dataclass
class WantedSlot:
    feed: FeedSlot
    fields: dict
    dates: tuple


@dataclass
class WantedSequence:
    feed: FeedSequence
    fields: dict
    slots: list[WantedSlot]


@dataclass
class WantedSession:
    feed: FeedSession
    fields: dict
    sequences: list[WantedSequence]


@dataclass
class SlotSnapshot:
    id: int
    fields: dict
    dates: tuple = ()


@dataclass
class SequenceSnapshot:
    id: int
    fields: dict
    slots: list[SlotSnapshot] = field(default_factory=list)


@dataclass
class SessionSnapshot:
    id: int
    fields: dict
    missing_from_feed: bool
    status: WorkflowStatus
    end_date: date | None
    sequences: list[SequenceSnapshot] = field(default_factory=list)


def _date_key(feed_date: FeedDate) -> tuple:
    return (feed_date.day, feed_date.start, feed_date.end, feed_date.break_minutes or 0)


def load_snapshots(partner_id: int) -> dict[str, SessionSnapshot]:
    """The partner's sessions with their planning, by reference: five queries whatever their number."""
    owned = TrainingSession.partner_id == partner_id
    sessions: dict[str, SessionSnapshot] = {}
    by_id: dict[int, SessionSnapshot] = {}
    columns = [getattr(TrainingSession, name) for name in SESSION_FIELDS]
    for row in db.session.execute(
        sa.select(
            TrainingSession.id,
            TrainingSession.external_ref,
            TrainingSession.missing_from_feed,
            TrainingSession.status,
            TrainingSession.end_date,
            *columns,
        ).where(owned, TrainingSession.external_ref.is_not(None))
    ):
        snapshot = SessionSnapshot(
            id=row.id,
            fields={name: getattr(row, name) for name in SESSION_FIELDS},
            missing_from_feed=row.missing_from_feed,
            status=row.status,
            end_date=row.end_date,
        )
        sessions[row.external_ref] = snapshot
        by_id[row.id] = snapshot
    sequences: dict[int, SequenceSnapshot] = {}
    for row in db.session.execute(
        sa.select(
            Sequence.id, Sequence.session_id, Sequence.label, Sequence.teaching_mode_id, Sequence.is_prework
        )
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(owned)
        .order_by(Sequence.session_id, Sequence.position, Sequence.id)
    ):
        sequence = SequenceSnapshot(
            id=row.id,
            fields={
                "label": row.label,
                "teaching_mode_id": row.teaching_mode_id,
                "is_prework": row.is_prework,
            },
        )
        sequences[row.id] = sequence
        if row.session_id in by_id:
            by_id[row.session_id].sequences.append(sequence)
    planning = (
        sa.select(Slot.id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(owned)
    )
    slots: dict[int, SlotSnapshot] = {}
    for row in db.session.execute(
        planning.add_columns(
            Slot.sequence_id,
            Slot.location_id,
            Slot.room_id,
            Slot.organisation_comment,
            Slot.location_comment,
            Slot.trainer_comment,
        ).order_by(Slot.id)
    ):
        slot = SlotSnapshot(
            id=row.id,
            fields={name: getattr(row, name) for name in SLOT_FIELDS if name != "trainer_ids"},
        )
        slot.fields["trainer_ids"] = ()
        slots[row.id] = slot
        if row.sequence_id in sequences:
            sequences[row.sequence_id].slots.append(slot)
    trainer_ids: dict[int, list[int]] = {}
    for slot_id, trainer_id in db.session.execute(
        planning.with_only_columns(slot_trainer.c.slot_id, slot_trainer.c.trainer_id).join(
            slot_trainer, slot_trainer.c.slot_id == Slot.id
        )
    ):
        trainer_ids.setdefault(slot_id, []).append(trainer_id)
    for slot_id, ids in trainer_ids.items():
        if slot_id in slots:
            slots[slot_id].fields["trainer_ids"] = tuple(sorted(ids))
    dates: dict[int, list[tuple]] = {}
    for row in db.session.execute(
        planning.with_only_columns(
            SlotDate.slot_id, SlotDate.day, SlotDate.start_time, SlotDate.end_time, SlotDate.break_minutes
        ).join(SlotDate, SlotDate.slot_id == Slot.id)
    ):
        dates.setdefault(row.slot_id, []).append((row.day, row.start_time, row.end_time, row.break_minutes))
    for slot_id, values in dates.items():
        if slot_id in slots:
            slots[slot_id].dates = tuple(sorted(values))
    return sessions


def _same(wanted: dict, existing: dict) -> bool:
    return all(existing.get(name) == value for name, value in wanted.items())


def _same_slot(wanted: WantedSlot, existing: SlotSnapshot) -> bool:
    return _same(wanted.fields, existing.fields) and wanted.dates == existing.dates


def _same_sequence(wanted: WantedSequence, existing: SequenceSnapshot) -> bool:
    return (
        _same(wanted.fields, existing.fields)
        and len(wanted.slots) == len(existing.slots)
        and all(_same_slot(w, e) for w, e in zip(wanted.slots, existing.slots, strict=True))
    )


def is_unchanged(wanted: WantedSession, existing: SessionSnapshot) -> bool:
    return (
        _same(wanted.fields, existing.fields)
        and len(wanted.sequences) == len(existing.sequences)
        and all(_same_sequence(w, e) for w, e in zip(wanted.sequences, existing.sequences, strict=True))
    )


# --- Reference data: formations, lieux, salles, formateurs, modalités ----------------------------


def where_of(item, name: str | None = None) -> str:
    """The line of a CSV value, or the JSON path of a value (`$.sessions[0].training`)."""
    if name and item.where.startswith("$"):
        return f"{item.where}.{name}"
    return item.where


class References:
    """Names of the feed → ids, read once per run; unknown ones created or refused per partner."""

    def __init__(self, policy: UnknownPolicy):
        self.create = policy == UnknownPolicy.CREATE
        self.trainings: dict[str, int] = {}
        for training_id, name, reference in db.session.execute(
            sa.select(Training.id, Training.name, Training.reference)
        ):
            self.trainings.setdefault(name.lower(), training_id)
            if reference:
                self.trainings[reference.lower()] = training_id
        self.locations = {
            name.lower(): location_id
            for location_id, name in db.session.execute(sa.select(Location.id, Location.name))
        }
        self.rooms = {
            (location_id, name.lower()): room_id
            for room_id, location_id, name in db.session.execute(
                sa.select(Room.id, Room.location_id, Room.name)
            )
        }
        self.trainers: dict[str, int] = {}
        for trainer_id, first, last, email in db.session.execute(
            sa.select(Trainer.id, Trainer.first_name, Trainer.last_name, Trainer.email)
        ):
            self.trainers.setdefault(f"{first} {last}".lower(), trainer_id)
            self.trainers[email.lower()] = trainer_id
        self.modes = {
            name.lower(): mode_id
            for mode_id, name in db.session.execute(sa.select(TeachingMode.id, TeachingMode.name))
        }
        self._added: list[tuple[dict, object]] = []
        self.dry = False
        self.unknown = False

    def _unknown_noted(self) -> bool:
        """While only comparing (`dry`), an unknown name to create is noted, not created."""
        if self.dry and self.create:
            self.unknown = True
            return True
        return False

    def forget_added(self) -> None:
        """After a savepoint rolled back: what was created in it is gone."""
        for cache, key in self._added:
            cache.pop(key, None)
        self._added.clear()

    def keep_added(self) -> None:
        self._added.clear()

    def _remember(self, cache: dict, key, value: int) -> int:
        cache[key] = value
        self._added.append((cache, key))
        return value

    def training(self, name: str, problems: list, where: str) -> int | None:
        found = self.trainings.get(name.lower())
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append((where, gettext("Unknown training « %(value)s ».", value=name)))
            return None
        training = Training(name=name[:200], session_type=SessionType.INTER)
        db.session.add(training)
        db.session.flush()
        return self._remember(self.trainings, name.lower(), training.id)

    def location(self, name: str, problems: list, where: str) -> int | None:
        found = self.locations.get(name.lower())
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append((where, gettext("Unknown location « %(value)s ».", value=name)))
            return None
        location = Location(name=name[:200])
        db.session.add(location)
        db.session.flush()
        return self._remember(self.locations, name.lower(), location.id)

    def room(self, location_id: int, location: str, name: str, problems: list, where: str) -> int | None:
        found = self.rooms.get((location_id, name.lower()))
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append(
                (
                    where,
                    gettext("Unknown room « %(room)s » in « %(location)s ».", room=name, location=location),
                )
            )
            return None
        room = Room(location_id=location_id, name=name[:120])
        db.session.add(room)
        db.session.flush()
        return self._remember(self.rooms, (location_id, name.lower()), room.id)

    def trainer(self, text: str, problems: list, where: str) -> int | None:
        match = TRAINER_RE.match(text)
        name, email = (match.group("name").strip(), match.group("email").strip()) if match else (text, "")
        if not email and "@" in name and " " not in name:
            name, email = "", name
        found = self.trainers.get(email.lower()) if email else self.trainers.get(name.lower())
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append((where, gettext("Unknown trainer « %(value)s ».", value=text)))
            return None
        if not email:
            problems.append(
                (
                    where,
                    gettext(
                        "Unknown trainer « %(value)s »: give their e-mail address to create them.", value=text
                    ),
                )
            )
            return None
        first, _, last = (name or email.split("@")[0].replace(".", " ").title()).partition(" ")
        trainer = Trainer(first_name=first[:80] or email[:80], last_name=last[:80] or "-", email=email[:254])
        db.session.add(trainer)
        db.session.flush()
        if name:
            self._remember(self.trainers, name.lower(), trainer.id)
        return self._remember(self.trainers, email.lower(), trainer.id)

    def mode(self, name: str, problems: list, where: str) -> int | None:
        found = self.modes.get(name.lower())
        if found is not None:
            return found
        if self._unknown_noted():
            return None
        if not self.create:
            problems.append((where, gettext("Unknown teaching method « %(value)s ».", value=name)))
            return None
        mode = TeachingMode(name=name[:200])
        db.session.add(mode)
        db.session.flush()
        return self._remember(self.modes, name.lower(), mode.id)


def wanted_session(entry: FeedSession, refs: References, problems: list) -> WantedSession:
    """The feed's session in the database's terms (ids); problems collect what cannot be resolved."""
    values = entry.values
    fields: dict = {}
    for name, value in values.items():
        target = FEED_TO_SESSION.get(name, name)
        if name == "training":
            fields["training_id"] = refs.training(value, problems, where_of(entry, "training"))
        elif name == "session_type":
            fields["session_type"] = SessionType(value.lower())
        elif target in SESSION_FIELDS:
            fields[target] = value
    sequences = []
    for feed_sequence in entry.sequences:
        sequence_fields = {
            "label": feed_sequence.label[:200],
            "is_prework": bool(feed_sequence.values.get("prework")),
        }
        if "teaching_mode" in feed_sequence.values:
            mode = feed_sequence.values["teaching_mode"]
            sequence_fields["teaching_mode_id"] = (
                refs.mode(mode, problems, where_of(feed_sequence, "teaching_mode")) if mode else None
            )
        slots = [_wanted_slot(feed_slot, refs, problems) for feed_slot in feed_sequence.slots]
        sequences.append(WantedSequence(feed=feed_sequence, fields=sequence_fields, slots=slots))
    return WantedSession(feed=entry, fields=fields, sequences=sequences)


def _wanted_slot(feed_slot: FeedSlot, refs: References, problems: list) -> WantedSlot:
    values = feed_slot.values
    fields: dict = {}
    if "location" in values or "room" in values:
        location_name, room_name = values.get("location"), values.get("room")
        location_id = (
            refs.location(location_name, problems, where_of(feed_slot, "location")) if location_name else None
        )
        room_id = None
        if room_name and not location_name:
            problems.append((where_of(feed_slot, "room"), gettext("A room needs its location.")))
        elif room_name and location_id is not None:
            room_id = refs.room(location_id, location_name, room_name, problems, where_of(feed_slot, "room"))
        fields["location_id"] = location_id
        fields["room_id"] = room_id
    if "trainers" in values:
        ids = [refs.trainer(text, problems, where_of(feed_slot, "trainers")) for text in values["trainers"]]
        fields["trainer_ids"] = tuple(sorted({i for i in ids if i is not None}))
    for name in ("organisation_comment", "location_comment", "trainer_comment"):
        if name in values:
            fields[name] = values[name]
    dates = tuple(sorted(_date_key(d) for d in feed_slot.dates))
    return WantedSlot(feed=feed_slot, fields=fields, dates=dates)


# --- Writing one session -------------------------------------------------------------------------


def _slot_input(wanted: WantedSlot, slot: Slot | None) -> SlotInput:
    data = SlotInput()
    if slot is not None:  # what the feed does not give stays as it is
        data = SlotInput(
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
        )
    for name, value in wanted.fields.items():
        setattr(data, name, list(value) if name == "trainer_ids" else value)
    data.dates = [(d.day, d.start, d.end, d.break_minutes) for d in wanted.feed.dates]
    return data


def _validation_problems(
    exc: DomainError, item, dates: list[FeedDate] | None = None
) -> list[tuple[str, str]]:
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
        raise ItemProblem(_validation_problems(exc, wanted.feed, wanted.feed.dates)) from exc


def _save_sequence(session: TrainingSession, wanted: WantedSequence, sequence: Sequence | None) -> Sequence:
    try:
        return save_sequence(session, dict(wanted.fields), None, sequence=sequence)
    except DomainError as exc:
        raise ItemProblem(_validation_problems(exc, wanted.feed)) from exc


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
        raise ItemProblem(_validation_problems(exc, wanted.feed)) from exc
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
            raise ItemProblem(_validation_problems(exc, wanted.feed)) from exc
    sequences = sorted(session.sequences, key=lambda s: (s.position, s.id))
    for index, wanted_sequence in enumerate(wanted.sequences):
        snapshot = existing.sequences[index] if index < len(existing.sequences) else None
        sequence = sequences[index] if index < len(sequences) else None
        if sequence is None or not _same(wanted_sequence.fields, snapshot.fields):
            sequence = _save_sequence(session, wanted_sequence, sequence)
        slots = sorted(sequence.slots, key=lambda s: s.id or 0)
        for position, wanted_slot in enumerate(wanted_sequence.slots):
            slot = slots[position] if position < len(slots) else None
            slot_snapshot = snapshot.slots[position] if snapshot and position < len(snapshot.slots) else None
            if slot is None or slot_snapshot is None or not _same_slot(wanted_slot, slot_snapshot):
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


# --- A run's sessions ----------------------------------------------------------------------------


class Importer:
    """Imports the sessions of one run, entry after entry, each in its own savepoint."""

    def __init__(self, run: ImportRun, partner: Partner, entries: list[FeedSession], today: date):
        self.run = run
        self.partner = partner
        self.entries = entries
        self.today = today
        self.existing = load_snapshots(partner.id)
        self.locked = locked_session_ids([snapshot.id for snapshot in self.existing.values()])
        self.refs = References(partner.unknown_policy)
        self.creator = BulkCreator(partner)
        self.pending: list[WantedSession] = []
        self.rejected: list[tuple[FeedSession, list[tuple[str, str]]]] = []
        self.order = {id(entry): index for index, entry in enumerate(entries)}
        self.counted = {name: getattr(run, f"{name}_count") for name in COUNTS}
        self.tally = dict.fromkeys(COUNTS, 0)

    def reject(self, entry: FeedSession, problems: list[tuple[str, str]]) -> None:
        """Kept until the end of the batch, then written in the order of the file."""
        self.tally["rejected"] += 1
        self.rejected.append((entry, problems))

    def import_batch(self, entries: list[FeedSession]) -> None:
        for entry in entries:
            self.import_entry(entry)
        self.create_pending()
        self.rejected.sort(key=lambda item: self.order.get(id(item[0]), 0))
        db.session.add_all(
            ImportRejection(
                run_id=self.run.id,
                line=printable(where)[:120],
                reference=printable(entry.reference)[:120] or None,
                reason=printable(reason),
            )
            for entry, problems in self.rejected
            for where, reason in problems
        )
        self.rejected.clear()
        db.session.flush()

    def create_pending(self) -> None:
        """The batch's new sessions: checked one by one, written together (`import_creation`)."""
        checked = []
        for wanted in self.pending:
            try:
                checked.append(self.creator.check(wanted, where_of, _validation_problems))
            except Problem as exc:
                self.reject(wanted.feed, exc.problems)
        self.pending.clear()
        booked = self.creator.room_bookings(checked)
        accepted = []
        for new in checked:
            problems = self.creator.room_clashes(new, booked, where_of)
            if problems:
                self.reject(new.entry, problems)
                continue
            allocate(new)
            self.creator.book(new, booked)
            accepted.append(new)
        try:
            with db.session.begin_nested():
                ids = self.creator.write(accepted, self.run.id)
                copy_default_rules(ids)  # their e-mail rules, in one insert for the batch
        except sa.exc.DBAPIError:
            # A row the checks let through and the database refuses: each session of the batch
            # then goes through the services alone, so that only the faulty one is rejected.
            log.exception("import run %s: batch written one session at a time", self.run.id)
            db.session.expire_all()
            ids = []
            for new in accepted:
                session = self.create_alone(new.wanted)
                if session is not None:
                    ids.append(session.id)
        self.tally["created"] += len(ids)

    def outcome(self, entry_or_reference, session: TrainingSession | int, outcome: ImportOutcome) -> None:
        entry = entry_or_reference if isinstance(entry_or_reference, FeedSession) else None
        db.session.add(
            ImportedSession(
                run_id=self.run.id,
                session_id=session if isinstance(session, int) else session.id,
                outcome=outcome,
                line=entry.where[:120] if entry else None,
                reference=(entry.reference if entry else entry_or_reference)[:120],
            )
        )

    def count(self) -> None:
        """The run's counts: what it had (a resumed run) plus what this pass did."""
        for name, value in self.tally.items():
            setattr(self.run, f"{name}_count", self.counted[name] + value)

    def written(self) -> int:
        return self.tally["created"] + self.tally["updated"] + self.tally["rejected"]

    def create_alone(self, wanted: WantedSession) -> TrainingSession | None:
        savepoint = db.session.begin_nested()
        try:
            session = create_session(self.partner, wanted)
            self.outcome(wanted.feed, session, ImportOutcome.CREATED)
            db.session.flush()
            savepoint.commit()
            return session
        except (DomainError, ItemProblem, sa.exc.DBAPIError) as exc:
            self._rolled_back(savepoint)
            problems = getattr(exc, "problems", None) or [
                (
                    where_of(wanted.feed),
                    getattr(exc, "message", None) or gettext("The database refused this session."),
                )
            ]
            self.reject(wanted.feed, problems)
            return None

    def import_entry(self, entry: FeedSession) -> None:
        if entry.errors:
            self.reject(entry, entry.errors)
            return
        existing = self.existing.get(entry.reference)
        problems: list[tuple[str, str]] = []
        # First compare, writing nothing (no savepoint either): most sessions of a feed are unchanged.
        self.refs.dry, self.refs.unknown = True, False
        try:
            wanted = wanted_session(entry, self.refs, problems)
        finally:
            self.refs.dry = False
        if problems:
            self.reject(entry, problems)
            return
        if existing is not None and not self.refs.unknown and is_unchanged(wanted, existing):
            if existing.missing_from_feed:  # back in the feed
                db.session.get(TrainingSession, existing.id).missing_from_feed = False
                self.outcome(entry, existing.id, ImportOutcome.UPDATED)
                db.session.flush()
                self.tally["updated"] += 1
            else:
                self.tally["unchanged"] += 1
            return
        if existing is None and not self.refs.unknown:
            self.pending.append(wanted)  # created with the rest of the batch
            return
        savepoint = db.session.begin_nested()
        try:
            if self.refs.unknown:  # the partner's policy: create what is unknown, in this savepoint
                wanted = wanted_session(entry, self.refs, problems)
                if problems:
                    raise ItemProblem(problems)
            if existing is None:
                session = create_session(self.partner, wanted)
                self.outcome(entry, session, ImportOutcome.CREATED)
            else:
                session = update_session(wanted, existing)
                self.outcome(entry, session, ImportOutcome.UPDATED)
            db.session.flush()
            savepoint.commit()
            self.refs.keep_added()
            self.tally["created" if existing is None else "updated"] += 1
        except ItemProblem as exc:
            self._rolled_back(savepoint)
            self.reject(entry, exc.problems)
        except DomainError as exc:  # the lock after enrolment, a rule of the services
            self._rolled_back(savepoint)
            message = exc.message
            if existing is not None and existing.id in self.locked:
                message = f"{message} {gettext('The changes of the feed were not applied.')}"
            self.reject(entry, [(where_of(entry), message)])

    def _rolled_back(self, savepoint) -> None:
        savepoint.rollback()
        # Some rows written in the savepoint (those cascaded at flush time) may stay in the identity
        # map after its rollback; expired, they cannot clash with a row that reuses their id later
        # (SQLite gives a rolled-back id again). Nothing is pending here: the savepoint began after
        # a flush, and everything since was rolled back.
        db.session.expire_all()
        self.refs.forget_added()

    def flag_absent(self) -> None:
        """Sessions still to come that the feed no longer lists: flagged (once), never deleted."""
        present = {entry.reference for entry in self.entries}
        flagged = 0
        for reference, snapshot in self.existing.items():
            if reference in present or snapshot.status in (WorkflowStatus.CANCELLED, WorkflowStatus.CLOSED):
                continue
            if snapshot.end_date is not None and snapshot.end_date < self.today:
                continue
            flagged += 1
            if not snapshot.missing_from_feed:
                db.session.get(TrainingSession, snapshot.id).missing_from_feed = True
                self.outcome(reference, snapshot.id, ImportOutcome.FLAGGED)
        self.tally["flagged"] = flagged - self.counted["flagged"]  # a count, not a sum over passes
        self.count()
        db.session.flush()
