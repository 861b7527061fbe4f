"""The rows of an import's new sessions, checked by `creation.py`: one INSERT per table and batch
(session, history line, run line, sequences, slots, trainers, dates)."""

from __future__ import annotations

from ...models import (
    ImportedSession,
    ImportOutcome,
    Origin,
    Publication,
    Sequence,
    SessionHistory,
    Slot,
    SlotDate,
    TrainingSession,
    WorkflowStatus,
    slot_trainer,
)
from .. import history
from ..history import current_actor, current_reason
from ..planning import derive_planning
from ..planning.date_state import refresh_date_state
from ..rows import insert_rows, insert_rows_with_ids


def write_sessions(partner, sessions: list, run_id: int) -> list[int]:
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
                "publication": partner.publication or Publication.DRAFT,
                "status": WorkflowStatus.CREATED,
                "origin": Origin.IMPORTED,
                "partner_id": partner.id,
                "external_ref": new.entry.reference,
                "import_digest": new.entry.digest,
                "start_date": derived.start,
                "end_date": derived.end,
                "duration_days": derived.days,
                "duration_hours": derived.hours,
                "sequence_count": len(new.sequences),
                "emails_follow_defaults": True,  # rules of its own when it needs them
            }
        )
    columns = set().union(*rows)  # every row with every column (those a feed leaves out: NULL)
    rows = [row if len(row) == len(columns) else {c: row.get(c) for c in columns} for row in rows]
    ids = insert_rows_with_ids(TrainingSession.__table__, rows)
    user_id, actor = current_actor()
    reason = current_reason()
    insert_rows(
        SessionHistory.__table__,
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
    insert_rows(
        ImportedSession.__table__,
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
    sequence_ids = insert_rows_with_ids(Sequence.__table__, sequence_rows)
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
    slot_ids = insert_rows_with_ids(Slot.__table__, slot_rows)
    trainers = [
        {"slot_id": slot_id, "trainer_id": trainer_id}
        for slot_id, slot in zip(slot_ids, slot_details, strict=True)
        for trainer_id in dict.fromkeys(slot["trainer_ids"])
    ]
    if trainers:
        insert_rows(slot_trainer, trainers)
    dates = [
        {"slot_id": slot_id, "day": day, "start_time": start, "end_time": end, "break_minutes": pause}
        for slot_id, slot in zip(slot_ids, slot_details, strict=True)
        for day, start, end, pause in slot["dates"]
    ]
    if dates:
        insert_rows(SlotDate.__table__, dates)
        refresh_date_state(ids)
    return ids
