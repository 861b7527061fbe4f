"""Dates signed online (« Émargement numérique ») are the proof of attendance: the planning never
removes them, nor moves them to another day (which removes the date and makes a new one)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import Signature, Slot, SlotDate
from ..errors import ValidationFailed


def refuse_signed_dates(slot_date_ids: Iterable[int | None]) -> None:
    """ValidationFailed (on the dates) when one of these dates holds a signature; one query."""
    ids = [slot_date_id for slot_date_id in slot_date_ids if slot_date_id is not None]
    if not ids:
        return
    signed = db.session.scalars(
        sa.select(SlotDate.day)
        .join(Signature, Signature.slot_date_id == SlotDate.id)
        .where(SlotDate.id.in_(ids))
        .order_by(SlotDate.day)
        .limit(1)
    ).first()
    if signed is not None:
        message = gettext(
            "The %(day)s was signed online (« Émargement numérique »): that date can no longer be"
            " removed or moved, its signatures are the proof of attendance.",
            day=signed.strftime("%d/%m/%Y"),
        )
        raise ValidationFailed({"dates": message})


def refuse_signed_slots(slot_ids: Iterable[int | None]) -> None:
    ids = [slot_id for slot_id in slot_ids if slot_id is not None]
    if ids:
        refuse_signed_dates(db.session.scalars(sa.select(SlotDate.id).where(SlotDate.slot_id.in_(ids))))


def refuse_signed_sequence(sequence_id: int | None) -> None:
    if sequence_id is not None:
        refuse_signed_slots(db.session.scalars(sa.select(Slot.id).where(Slot.sequence_id == sequence_id)))
