"""Conflict checks: a trainer or a room booked twice at the same time by slots (« créneaux »).

One SQL statement whatever the number of dates checked, built once per shape of check: the dates on
the days asked for (`slot_date.day IN (…)`) of the slots holding the room, a trainer or a co-trainer,
in sessions and sequences that are not cancelled. The hours are compared here: a resource holds
very few slots on one day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import (
    Location,
    Room,
    Sequence,
    SequenceStatus,
    Slot,
    SlotDate,
    Trainer,
    TrainingSession,
    WorkflowStatus,
    slot_trainer,
)

ROOM = "room"
TRAINER = "trainer"


@dataclass(frozen=True)
class Clash:
    """Another slot holding the same room or trainer at overlapping hours on one day."""

    kind: str  # ROOM or TRAINER
    resource: str  # "Salle Rhône (Campus Lyon)" or "Claire Martin"
    session_id: int
    session_code: str
    session_label: str
    day: date
    start: time  # the other slot's hours
    end: time
    slot_id: int


def overlaps(start_a: time, end_a: time, start_b: time, end_b: time) -> bool:
    """Touching ranges (9:00–12:00 and 12:00–17:00) do not overlap; breaks are ignored."""
    return start_a < end_b and start_b < end_a


def _kind(value: str) -> sa.ColumnElement[str]:
    return sa.literal_column(f"'{value}'", sa.String).label("kind")


def _named(resource_id, first, second) -> tuple[sa.ColumnElement, ...]:
    return resource_id.label("resource_id"), first.label("name_1"), second.label("name_2")


@cache
def clash_query(with_room: bool, with_trainers: bool, with_exclusion: bool) -> sa.Select:
    """The statement for one shape of check, built once; parameters: days, room_id, trainer_ids and
    exclude_slot_id.

    `held` lists the slots holding the room or a trainer (through slot_trainer or as co-trainer),
    from their indexes; the dates on the days asked for are then matched against it, and only
    the matches are joined to their sequence and session.
    """
    branches = []
    if with_room:
        branches.append(
            sa.select(Slot.id.label("slot_id"), _kind(ROOM), *_named(Room.id, Room.name, Location.name))
            .join(Room, Room.id == Slot.room_id)
            .join(Location, Location.id == Room.location_id)
            .where(Slot.room_id == sa.bindparam("room_id"))
        )
    if with_trainers:
        trainer_ids = sa.bindparam("trainer_ids", expanding=True)
        trainer_name = _named(Trainer.id, Trainer.first_name, Trainer.last_name)
        branches.append(
            sa.select(slot_trainer.c.slot_id.label("slot_id"), _kind(TRAINER), *trainer_name)
            .join(Trainer, Trainer.id == slot_trainer.c.trainer_id)
            .where(slot_trainer.c.trainer_id.in_(trainer_ids))
        )
        branches.append(
            sa.select(Slot.id.label("slot_id"), _kind(TRAINER), *trainer_name)
            .join(Trainer, Trainer.id == Slot.co_trainer_id)
            .where(Slot.co_trainer_id.in_(trainer_ids))
        )
    held = (branches[0] if len(branches) == 1 else sa.union_all(*branches)).subquery("held")
    query = (
        sa.select(
            SlotDate.day,
            SlotDate.start_time,
            SlotDate.end_time,
            SlotDate.slot_id,
            TrainingSession.id.label("session_id"),
            TrainingSession.code,
            TrainingSession.label,
            held.c.kind,
            held.c.resource_id,
            held.c.name_1,
            held.c.name_2,
        )
        .join(held, held.c.slot_id == SlotDate.slot_id)
        .join(Slot, Slot.id == SlotDate.slot_id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(
            SlotDate.day.in_(sa.bindparam("days", expanding=True)),
            Sequence.status != SequenceStatus.CANCELLED,
            TrainingSession.status != WorkflowStatus.CANCELLED,
        )
    )
    if with_exclusion:
        query = query.where(SlotDate.slot_id != sa.bindparam("exclude_slot_id"))
    return query


def find_clashes(
    dates: list[tuple[date, time, time]],
    room_id: int | None,
    trainer_ids: list[int],
    exclude_slot_id: int | None = None,
) -> list[Clash]:
    """Every other slot that holds the room or one of the trainers at overlapping hours.

    `trainer_ids` holds the slot's trainers and its co-trainer; `exclude_slot_id` is the slot being
    edited. Other slots of the same session count. Sorted by day, kind and resource.
    """
    wanted: dict[date, list[tuple[time, time]]] = defaultdict(list)
    for day, start, end in dates:
        wanted[day].append((start, end))
    trainer_ids = sorted(set(trainer_ids))
    if not wanted or (room_id is None and not trainer_ids):
        return []

    parameters: dict[str, object] = {"days": sorted(wanted)}
    if room_id is not None:
        parameters["room_id"] = room_id
    if trainer_ids:
        parameters["trainer_ids"] = trainer_ids
    if exclude_slot_id is not None:
        parameters["exclude_slot_id"] = exclude_slot_id
    query = clash_query(room_id is not None, bool(trainer_ids), exclude_slot_id is not None)
    rows = db.session.execute(query, parameters)
    clashes: dict[tuple, Clash] = {}
    for day, start, end, slot_id, session_id, code, label, kind, resource_id, first, second in rows:
        if not any(overlaps(start, end, s, e) for s, e in wanted[day]):
            continue
        resource = f"{first} ({second})" if kind == ROOM else f"{first} {second}"
        # A trainer listed both as trainer and as co-trainer of the other slot is one clash.
        clashes.setdefault(
            (kind, resource_id, slot_id, day),
            Clash(kind, resource, session_id, code, label, day, start, end, slot_id),
        )
    return sorted(
        clashes.values(), key=lambda c: (c.day, c.kind, c.resource, c.start, c.session_code, c.slot_id)
    )


def room_label(room: Room) -> str:
    return f"{room.name} ({room.location.name})"


def room_capacity_warning(room: Room | None, capacity_max: int | None) -> str | None:
    """A warning, not a refusal: the room may be too small for the session's maximum capacity."""
    if room is None or room.capacity is None or capacity_max is None or room.capacity >= capacity_max:
        return None
    return gettext(
        "Room %(room)s holds %(capacity)s people, fewer than the maximum capacity of the session "
        "(%(maximum)s).",
        room=room_label(room),
        capacity=room.capacity,
        maximum=capacity_max,
    )


def clash_message(clash: Clash) -> str:
    values = {
        "resource": clash.resource,
        "day": clash.day.strftime("%d/%m/%Y"),
        "hours": f"{clash.start:%H:%M}–{clash.end:%H:%M}",
        "code": clash.session_code,
        "label": clash.session_label,
    }
    if clash.kind == ROOM:
        return gettext(
            "Room %(resource)s is already booked on %(day)s, %(hours)s, by session %(code)s — %(label)s.",
            **values,
        )
    return gettext(
        "Trainer %(resource)s is already booked on %(day)s, %(hours)s, in session %(code)s — %(label)s.",
        **values,
    )
