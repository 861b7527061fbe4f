"""Who signed one half-day so far: what the trainer's page shows and refreshes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ...extensions import db
from ...models import HalfDay, Sequence, Signature, Slot, SlotDate, Trainer, TrainingSession
from .attendance import enrolled_participants
from .signatures import trainers_of


@dataclass(frozen=True)
class SignerState:
    name: str
    signed_at: datetime | None


@dataclass(frozen=True)
class HalfDayState:
    slot_date: SlotDate
    half: HalfDay
    participants: list[SignerState]
    trainers: list[tuple[Trainer, datetime | None]]

    @property
    def signed_count(self) -> int:
        return sum(1 for person in self.participants if person.signed_at is not None)

    def trainer_signed_at(self, trainer_id: int) -> datetime | None:
        return next((at for trainer, at in self.trainers if trainer.id == trainer_id), None)


def half_day_state(slot_date: SlotDate, half: HalfDay) -> HalfDayState:
    """The enrolled participants by name with the time each signed, and the slot's trainers with
    their countersignature's: two queries (the images are not read)."""
    rows = db.session.execute(
        sa.select(Signature.request_id, Signature.trainer_id, Signature.signed_at).where(
            Signature.slot_date_id == slot_date.id, Signature.half_day == half
        )
    ).all()
    by_request = {request_id: at for request_id, _trainer, at in rows if request_id is not None}
    by_trainer = {trainer_id: at for _request, trainer_id, at in rows if trainer_id is not None}
    participants = [
        SignerState(str(request.collaborator), by_request.get(request.id))
        for request in enrolled_participants(slot_date.slot.sequence.session)
    ]
    trainers = [(trainer, by_trainer.get(trainer.id)) for trainer in trainers_of(slot_date)]
    return HalfDayState(slot_date, half, participants, trainers)


def session_signatures(session: TrainingSession) -> list[tuple[int, int, HalfDay, datetime]]:
    """(demande, slot date, half-day, time) of every participant's signature of the session: one
    query, no image."""
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(Signature.request_id, Signature.slot_date_id, Signature.half_day, Signature.signed_at)
            .join(SlotDate, SlotDate.id == Signature.slot_date_id)
            .join(Slot, Slot.id == SlotDate.slot_id)
            .join(Sequence, Sequence.id == Slot.sequence_id)
            .where(Sequence.session_id == session.id, Signature.request_id.is_not(None))
        )
    ]
