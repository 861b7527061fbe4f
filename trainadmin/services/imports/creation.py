"""New sessions of an import, written a batch at a time.

A feed brings sessions by the thousand; creating each through `new_session`, `save_sequence` and
`save_slot` costs some fifty statements per session (measured: 53 ms each, nine minutes for 10,000).
A new session has no participant, hence no lock, no calendar invitation and no change event: what
those services do beyond their rules is writing. So the rules are the same functions they call —
`training_defaults` and `check_session_values`, `allocate_codes` (codes by year, never reused, one
statement per batch),
`sequence_errors` and `survey_defaults`, `slot_form_errors`, the room clash rule of `conflicts` and
the dates and durations of `derive_planning` — and the rows are written with one INSERT per table
and batch. History: one « imported » entry per session, which covers what it holds (as for a
duplicated session). Changes to existing sessions go through the services one by one
(`writing.update_session`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Location,
    Room,
    Sequence,
    SequenceStatus,
    SessionType,
    Slot,
    SlotDate,
    Training,
    TrainingSession,
    WorkflowStatus,
)
from ..errors import DomainError, ValidationFailed
from ..planning import (
    ROOM,
    Clash,
    clash_message,
    overlaps,
    sequence_errors,
    slot_form_errors,
)
from ..sessions import TRAINING_DEFAULT_FIELDS, allocate_codes, check_session_values, training_defaults
from .inserts import write_sessions

TRAINING_COLUMNS = ("id", "name", *TRAINING_DEFAULT_FIELDS)


@dataclass
class NewSession:
    """A session accepted for creation, with the rows to write."""

    entry: object  # FeedSession
    wanted: object  # WantedSession
    values: dict
    sequences: list[dict] = field(default_factory=list)  # each with "slots": [{..., "dates", "trainer_ids"}]


class Problem(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


class BulkCreator:
    """Checks and writes the new sessions of one batch."""

    def __init__(self, partner):
        self.partner = partner
        self.trainings = {
            row.id: row._asdict()
            for row in db.session.execute(sa.select(*(getattr(Training, c) for c in TRAINING_COLUMNS)))
        }
        self.rooms = {
            row.id: SimpleNamespace(
                id=row.id, location_id=row.location_id, label=f"{row.name} ({row.location})"
            )
            for row in db.session.execute(
                sa.select(Room.id, Room.location_id, Room.name, Location.name.label("location")).join(
                    Location, Location.id == Room.location_id
                )
            )
        }
        self.defaults: dict[int, dict] = {}  # `training_defaults`, by formation

    def training(self, training_id: int) -> dict:
        if training_id not in self.trainings:  # created by this import
            row = db.session.execute(
                sa.select(*(getattr(Training, c) for c in TRAINING_COLUMNS)).where(Training.id == training_id)
            ).one()
            self.trainings[training_id] = row._asdict()
        return self.trainings[training_id]

    # --- Checks --------------------------------------------------------------------------------

    def check(self, wanted, where_of, validation_problems) -> NewSession:
        """The rules of « Créer », « Ajouter une séquence » and « Ajouter un créneau »."""
        entry = wanted.feed
        fields = dict(wanted.fields)
        training = self.training(fields.pop("training_id"))
        first_day = entry.first_day()
        year = fields.pop("year", None) or (first_day.year if first_day else date.today().year)
        if training["id"] not in self.defaults:
            self.defaults[training["id"]] = training_defaults(SimpleNamespace(**training))
        values = {
            **self.defaults[training["id"]],
            **fields,
            "year": year,
            "training_id": training["id"],
        }
        values.setdefault("session_type", SessionType.INTER)
        if "session_type" not in wanted.fields:
            values["session_type"] = SessionType.INTER
        if self.partner.organisation_id is not None:
            values["organisation_id"] = self.partner.organisation_id
        try:
            check_session_values(values)
        except DomainError as exc:
            raise Problem(validation_problems(exc, entry)) from exc
        new = NewSession(entry=entry, wanted=wanted, values=values)
        surveys = {
            "hot_survey_enabled": training["evaluation_id"] is not None,
            "hot_survey_evaluation_id": training["evaluation_id"],
            "hot_survey_delay_days": 0,
            "cold_survey_enabled": False,
            "cold_survey_evaluation_id": training["evaluation_id"],
            "cold_survey_delay_days": 60,
        }  # `survey_defaults` of a session of this formation
        problems: list[tuple[str, str]] = []
        for position, wanted_sequence in enumerate(wanted.sequences):
            errors = sequence_errors({"label": wanted_sequence.fields["label"]})
            if errors:
                problems.extend(validation_problems(ValidationFailed(errors), wanted_sequence.feed))
            sequence = {
                **surveys,
                "position": position,
                "label": wanted_sequence.fields["label"].strip(),
                "is_prework": wanted_sequence.fields["is_prework"],
                "teaching_mode_id": wanted_sequence.fields.get("teaching_mode_id"),
                "status": SequenceStatus.PLANNED,
                "slots": [],
            }
            for wanted_slot in wanted_sequence.slots:
                feed_slot = wanted_slot.feed
                ordered = sorted(feed_slot.dates, key=lambda d: (d.day is None, d.day or date.min))
                feed_slot.dates[:] = ordered
                location_id = wanted_slot.fields.get("location_id")
                room = self.rooms.get(wanted_slot.fields.get("room_id"))
                location = SimpleNamespace(id=location_id) if location_id is not None else None
                dates = [
                    (f"dates-{i}-", d.day, d.start, d.end, d.break_minutes) for i, d in enumerate(ordered)
                ]
                errors = slot_form_errors(location, room, dates)
                if errors:
                    problems.extend(validation_problems(ValidationFailed(errors), feed_slot, feed_slot.dates))
                sequence["slots"].append(
                    {
                        "feed": feed_slot,
                        "location_id": location_id,
                        "room_id": room.id if room else None,
                        "trainer_ids": list(wanted_slot.fields.get("trainer_ids", ())),
                        "organisation_comment": wanted_slot.fields.get("organisation_comment"),
                        "location_comment": wanted_slot.fields.get("location_comment"),
                        "trainer_comment": wanted_slot.fields.get("trainer_comment"),
                        "dates": [(d.day, d.start, d.end, d.break_minutes or 0) for d in ordered],
                    }
                )
            new.sequences.append(sequence)
        if problems:
            raise Problem(problems)
        return new

    def room_bookings(self, sessions: list[NewSession]) -> dict[tuple[int, date], list]:
        """What the rooms used by these sessions hold on their days, in one query."""
        rooms = {s["room_id"] for n in sessions for q in n.sequences for s in q["slots"] if s["room_id"]}
        days = {
            d[0]
            for n in sessions
            for q in n.sequences
            for s in q["slots"]
            if s["room_id"]
            for d in s["dates"]
        }
        booked: dict[tuple[int, date], list] = {}
        if not rooms:
            return booked
        rows = db.session.execute(
            sa.select(
                Slot.room_id,
                SlotDate.day,
                SlotDate.start_time,
                SlotDate.end_time,
                SlotDate.slot_id,
                TrainingSession.id,
                TrainingSession.code,
                TrainingSession.label,
            )
            .join(Slot, Slot.id == SlotDate.slot_id)
            .join(Sequence, Sequence.id == Slot.sequence_id)
            .join(TrainingSession, TrainingSession.id == Sequence.session_id)
            .where(
                Slot.room_id.in_(rooms),
                SlotDate.day.in_(days),
                Sequence.status != SequenceStatus.CANCELLED,
                TrainingSession.status != WorkflowStatus.CANCELLED,
            )
        )
        for room_id, day, start, end, slot_id, session_id, code, label in rows:
            booked.setdefault((room_id, day), []).append((start, end, slot_id, session_id, code, label))
        return booked

    def room_clashes(self, new: NewSession, booked: dict, where_of) -> list[tuple[object, Clash]]:
        """The rule of `save_slot`: a room already booked at those hours refuses the slot (the
        import cannot override it); the sessions of this batch count as they are accepted. A clash
        with one of them names it by its code, known once the batch's codes are taken: see
        `clash_problems`."""
        clashes = []
        for sequence in new.sequences:
            for slot in sequence["slots"]:
                if not slot["room_id"]:
                    continue
                for index, (day, start, end, _pause) in enumerate(slot["dates"]):
                    for other in booked.get((slot["room_id"], day), []):
                        if overlaps(start, end, other[0], other[1]):
                            clash = Clash(
                                ROOM,
                                self.rooms[slot["room_id"]].label,
                                other[3],
                                other[4],
                                other[5],
                                day,
                                other[0],
                                other[1],
                                other[2],
                            )
                            clashes.append((where_of(slot["feed"].dates[index], "date"), clash))
                            break
        return clashes

    def book(self, new: NewSession, booked: dict) -> None:
        for sequence in new.sequences:
            for slot in sequence["slots"]:
                if slot["room_id"]:
                    for day, start, end, _pause in slot["dates"]:
                        booked.setdefault((slot["room_id"], day), []).append(
                            (start, end, None, None, new, new.values["label"])
                        )

    # --- Writing -------------------------------------------------------------------------------

    def write(self, sessions: list[NewSession], run_id: int) -> list[int]:
        """One INSERT per table for the whole batch (`inserts.py`); the new sessions' ids, in order."""
        return write_sessions(self.partner, sessions, run_id)


def allocate(sessions: list[NewSession]) -> None:
    """The codes of the batch's accepted sessions, one statement per year (`allocate_codes`)."""
    codes = allocate_codes([new.values["year"] for new in sessions])
    for new, code in zip(sessions, codes, strict=True):
        new.values["code"] = code


def clash_problems(clashes: list[tuple[object, Clash]]) -> list[tuple[str, str]]:
    """The messages of `room_clashes`, once the sessions of the batch they name have their code."""
    return [
        (where, clash_message(replace(clash, session_code=clash.session_code.values["code"])))
        if isinstance(clash.session_code, NewSession)
        else (where, clash_message(clash))
        for where, clash in clashes
    ]
