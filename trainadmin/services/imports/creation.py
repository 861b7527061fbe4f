"""New sessions of an import, written a batch at a time.

A feed brings sessions by the thousand; creating each through `new_session`, `save_sequence` and
`save_slot` costs some fifty statements per session (measured: 53 ms each, nine minutes for 10,000).
A new session has no participant, hence no lock, no calendar invitation and no change event: what
those services do beyond their rules is writing. So the rules are the same functions they call —
`training_defaults` and `check_session_values`, `allocate_code` (codes by year, never reused),
`sequence_errors` and `survey_defaults`, `slot_form_errors`, the room clash rule of `conflicts` and
the dates and durations of `derive_planning` — and the rows are written with one INSERT per table
and batch. History: one « imported » entry per session, which covers what it holds (as for a
duplicated session). Changes to existing sessions go through the services one by one
(`writing.update_session`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    ImportedSession,
    ImportOutcome,
    Location,
    Origin,
    Publication,
    Room,
    Sequence,
    SequenceStatus,
    SessionHistory,
    SessionType,
    Slot,
    SlotDate,
    Training,
    TrainingSession,
    WorkflowStatus,
    slot_trainer,
)
from .. import history
from ..errors import DomainError, ValidationFailed
from ..history import current_actor, current_reason
from ..planning import (
    ROOM,
    Clash,
    clash_message,
    derive_planning,
    overlaps,
    sequence_errors,
    slot_form_errors,
)
from ..sessions import TRAINING_DEFAULT_FIELDS, allocate_code, check_session_values, training_defaults

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
        values = {
            **training_defaults(SimpleNamespace(**training)),
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

    def room_clashes(self, new: NewSession, booked: dict, where_of) -> list[tuple[str, str]]:
        """The rule of `save_slot`: a room already booked at those hours refuses the slot (the
        import cannot override it); the sessions of this batch count as they are accepted."""
        problems = []
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
                            problems.append(
                                (where_of(slot["feed"].dates[index], "date"), clash_message(clash))
                            )
                            break
        return problems

    def book(self, new: NewSession, booked: dict) -> None:
        for sequence in new.sequences:
            for slot in sequence["slots"]:
                if slot["room_id"]:
                    for day, start, end, _pause in slot["dates"]:
                        booked.setdefault((slot["room_id"], day), []).append(
                            (start, end, None, None, new.values["code"], new.values["label"])
                        )

    # --- Writing -------------------------------------------------------------------------------

    def write(self, sessions: list[NewSession], run_id: int) -> list[int]:
        """One INSERT per table for the whole batch; returns the new sessions' ids, in order."""
        if not sessions:
            return []
        rows = []
        for new in sessions:
            derived = derive_planning(
                [(i, q["is_prework"]) for i, q in enumerate(new.sequences)],
                [
                    {"sequence": i, "days": None, "hours": None, "dates": s["dates"]}
                    for i, q in enumerate(new.sequences)
                    for s in q["slots"]
                ],
            )
            new.derived = derived
            rows.append(
                {
                    **{k: v for k, v in new.values.items() if k != "training_id"},
                    "training_id": new.values["training_id"],
                    "publication": self.partner.publication or Publication.DRAFT,
                    "status": WorkflowStatus.CREATED,
                    "origin": Origin.IMPORTED,
                    "partner_id": self.partner.id,
                    "external_ref": new.entry.reference,
                    "start_date": derived.start,
                    "end_date": derived.end,
                    "duration_days": derived.days,
                    "duration_hours": derived.hours,
                    "sequence_count": len(new.sequences),
                }
            )
        columns = set().union(*rows)
        rows = [{column: row.get(column) for column in columns} for row in rows]
        ids = db.session.scalars(
            sa.insert(TrainingSession).returning(TrainingSession.id, sort_by_parameter_order=True), rows
        ).all()
        user_id, actor = current_actor()
        reason = current_reason()
        db.session.execute(
            sa.insert(SessionHistory),
            [
                {
                    "session_id": session_id,
                    "user_id": user_id,
                    "actor": actor,
                    "action": history.IMPORTED,
                    "changes": [history.change("external_ref", None, new.entry.reference)],
                    "reason": reason,
                    "target": None,
                    "field": None,
                    "old_value": None,
                    "new_value": None,
                }
                for session_id, new in zip(ids, sessions, strict=True)
            ],
        )
        db.session.execute(
            sa.insert(ImportedSession),
            [
                {
                    "run_id": run_id,
                    "session_id": session_id,
                    "outcome": ImportOutcome.CREATED,
                    "line": new.entry.where[:120],
                    "reference": new.entry.reference[:120],
                }
                for session_id, new in zip(ids, sessions, strict=True)
            ],
        )
        sequence_rows, sequence_slots = [], []
        for session_id, new in zip(ids, sessions, strict=True):
            for index, sequence in enumerate(new.sequences):
                start, end = new.derived.sequences[index]
                sequence_rows.append(
                    {
                        **{k: v for k, v in sequence.items() if k != "slots"},
                        "session_id": session_id,
                        "start_date": start,
                        "end_date": end,
                        "url": None,
                    }
                )
                sequence_slots.append(sequence["slots"])
        if not sequence_rows:
            return ids
        sequence_ids = db.session.scalars(
            sa.insert(Sequence).returning(Sequence.id, sort_by_parameter_order=True), sequence_rows
        ).all()
        slot_rows, slot_details = [], []
        for sequence_id, slots in zip(sequence_ids, sequence_slots, strict=True):
            for slot in slots:
                slot_rows.append(
                    {
                        "sequence_id": sequence_id,
                        **{
                            k: slot[k]
                            for k in (
                                "location_id",
                                "room_id",
                                "organisation_comment",
                                "location_comment",
                                "trainer_comment",
                            )
                        },
                    }
                )
                slot_details.append(slot)
        if not slot_rows:
            return ids
        slot_ids = db.session.scalars(
            sa.insert(Slot).returning(Slot.id, sort_by_parameter_order=True), slot_rows
        ).all()
        trainers = [
            {"slot_id": slot_id, "trainer_id": trainer_id}
            for slot_id, slot in zip(slot_ids, slot_details, strict=True)
            for trainer_id in dict.fromkeys(slot["trainer_ids"])
        ]
        if trainers:
            db.session.execute(sa.insert(slot_trainer), trainers)
        dates = [
            {"slot_id": slot_id, "day": day, "start_time": start, "end_time": end, "break_minutes": pause}
            for slot_id, slot in zip(slot_ids, slot_details, strict=True)
            for day, start, end, pause in slot["dates"]
        ]
        if dates:
            db.session.execute(sa.insert(SlotDate), dates)
        return ids


def allocate(new: NewSession) -> None:
    new.values["code"] = allocate_code(new.values["year"])
