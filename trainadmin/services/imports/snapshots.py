"""The partner's sessions as they are in the database, read in bulk once per run, and the
comparison with what the feed wants: only what differs is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ...extensions import db
from ...models import Sequence, Slot, SlotDate, TrainingSession, WorkflowStatus, slot_trainer
from .wanted import SESSION_FIELDS, WantedSequence, WantedSession, WantedSlot

IN_LIST_LIMIT = 2000
SLOT_FIELDS = (
    "location_id",
    "room_id",
    "trainer_ids",
    "organisation_comment",
    "location_comment",
    "trainer_comment",
)


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
    digest: str | None = None
    sequences: list[SequenceSnapshot] = field(default_factory=list)


def load_sessions(partner_id: int) -> dict[str, SessionSnapshot]:
    """The partner's sessions by reference, without their fields and planning (`load_planning`): one
    query."""
    sessions: dict[str, SessionSnapshot] = {}
    for row in db.session.execute(
        sa.select(
            TrainingSession.id,
            TrainingSession.external_ref,
            TrainingSession.missing_from_feed,
            TrainingSession.status,
            TrainingSession.end_date,
            TrainingSession.import_digest,
        ).where(TrainingSession.partner_id == partner_id, TrainingSession.external_ref.is_not(None))
    ):
        sessions[row.external_ref] = SessionSnapshot(
            id=row.id,
            fields={},
            missing_from_feed=row.missing_from_feed,
            status=row.status,
            end_date=row.end_date,
            digest=row.import_digest,
        )
    return sessions


def load_planning(partner_id: int, wanted: list[SessionSnapshot]) -> None:
    """The fields, sequences, slots, trainers and dates of these sessions of the partner, to compare
    them with the feed: five queries whatever their number, none when there is nothing to compare."""
    if not wanted:
        return
    by_id = {snapshot.id: snapshot for snapshot in wanted}
    owned = TrainingSession.partner_id == partner_id
    if len(by_id) <= IN_LIST_LIMIT:  # a few sessions changed: only theirs, by id
        owned = sa.and_(owned, TrainingSession.id.in_(by_id))
    columns = [getattr(TrainingSession, name) for name in SESSION_FIELDS]
    for row in db.session.execute(sa.select(TrainingSession.id, *columns).where(owned)):
        if row.id in by_id:
            by_id[row.id].fields = {name: getattr(row, name) for name in SESSION_FIELDS}
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


def same_fields(wanted: dict, existing: dict) -> bool:
    return all(existing.get(name) == value for name, value in wanted.items())


def same_slot(wanted: WantedSlot, existing: SlotSnapshot) -> bool:
    return same_fields(wanted.fields, existing.fields) and wanted.dates == existing.dates


def _same_sequence(wanted: WantedSequence, existing: SequenceSnapshot) -> bool:
    return (
        same_fields(wanted.fields, existing.fields)
        and len(wanted.slots) == len(existing.slots)
        and all(same_slot(w, e) for w, e in zip(wanted.slots, existing.slots, strict=True))
    )


def is_unchanged(wanted: WantedSession, existing: SessionSnapshot) -> bool:
    return (
        same_fields(wanted.fields, existing.fields)
        and len(wanted.sequences) == len(existing.sequences)
        and all(_same_sequence(w, e) for w, e in zip(wanted.sequences, existing.sequences, strict=True))
    )
