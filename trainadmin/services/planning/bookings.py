"""The slot dates of a range of days, as the « Planning » calendar shows them: one SQL statement,
from the index on slot_date(day, start_time, id), with each date's room and trainer clashes.

A clash is another slot holding the same room, or one of the same trainers (as trainer or
co-trainer), at overlapping hours on the same day, in a session and sequence that are not
cancelled — the rule of `conflicts.find_clashes`. The range's dates are read from the index alone
(hours, room, whether cancelled: copies that date_state.py keeps); the first dates of each day by
start are kept (`per_day`), and only those are tested for clashes (a semi-join on the day and room
against the range's live dates; a probe of trainer_booking on the day and trainer) and joined to
their session, sequence and names. The statement runs with PostgreSQL's JIT off
(`driver_sql.without_jit`). The filters apply to the dates shown, never to the clashes: a room
booked by a session of another formation is still a clash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import aliased

from ...driver_sql import without_jit
from ...extensions import db
from ...models import (
    Location,
    Publication,
    Room,
    Sequence,
    Slot,
    SlotDate,
    Trainer,
    TrainerBooking,
    Training,
    TrainingSession,
    WorkflowStatus,
)
from ..errors import ValidationFailed
from .booking_columns import FILTERED, booked_minutes, details, overlapping, trainer_elsewhere

#: The longest range the calendar's JSON answers for (a month view shows six weeks: 42 days).
MAX_RANGE_DAYS = 62


@dataclass(frozen=True)
class BookingFilters:
    """What the user chose in the filters of the « Planning » page (None: all)."""

    location_id: int | None = None
    room_id: int | None = None
    trainer_id: int | None = None
    training_id: int | None = None
    status: WorkflowStatus | None = None
    publication: Publication | None = None
    #: Cancelled sessions and sequences are left out unless asked for (or status is « Annulée »).
    show_cancelled: bool = False

    def references(self) -> dict[str, tuple[type, int]]:
        chosen = {
            "location": (Location, self.location_id),
            "room": (Room, self.room_id),
            "trainer": (Trainer, self.trainer_id),
            "training": (Training, self.training_id),
        }
        return {name: (model, value) for name, (model, value) in chosen.items() if value is not None}


@dataclass(frozen=True)
class Booking:
    """One slot date on the calendar."""

    slot_date_id: int
    day: date
    start: time
    end: time
    break_minutes: int
    slot_id: int
    sequence_id: int
    sequence_cancelled: bool
    session_id: int
    code: str
    label: str
    status: WorkflowStatus
    publication: Publication
    has_participants: bool
    training_id: int
    training: str
    room_id: int | None
    room: str | None
    location: str | None
    trainers: str | None
    trainer_ids: str | None  # "3,7": the ids of the trainers and co-trainer
    room_clash: bool
    trainer_clashes: str | None  # the names of the trainers booked elsewhere at those hours
    day_total: int  # the dates of that day the filters let through (some may be cut by `per_day`)
    #: Asked for by room or trainer (`by`): whose cell it is in; day_total is then the cell's count,
    #: resource_minutes the booked minutes of that room or trainer over the range.
    resource_id: int | None = None
    resource_minutes: int | None = None

    @property
    def cancelled(self) -> bool:
        return self.sequence_cancelled or self.status == WorkflowStatus.CANCELLED

    @property
    def held_by(self) -> set[int]:
        return {int(value) for value in (self.trainer_ids or "").split(",") if value}

    @property
    def booked_minutes(self) -> int:
        """Hours of the date less its break (09:00–17:00 with an hour's break: 7 hours)."""
        minutes = (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)
        return max(minutes - self.break_minutes, 0)

    @property
    def draft(self) -> bool:
        return self.publication == Publication.DRAFT


def bookings_statement(
    first: date,
    last: date,
    filters: BookingFilters,
    per_day: int | None = None,
    by: tuple[str, list[int]] | None = None,
) -> sa.Select:
    """The dates of [first, last) with their session, place, trainers and clashes; with `per_day`,
    only the first dates of each day by start (each row says how many the day holds). With `by`
    (("room" or "trainer", their ids) and `per_day`), the first dates of each day of each of those
    rooms or trainers, with the cell's count and the resource's booked minutes: a date held by two
    trainers comes once for each.

    The range's dates are read from the index on slot_date(day, start_time, id) alone (hours, room,
    whether cancelled: date_state.py keeps them); the ranking by day and the room clashes work on
    those, a trainer's dates from trainer_booking. The session, sequence and names are joined to
    the dates kept only, unless a filter on them asks for every date to be joined."""
    joined = per_day is None or any(getattr(filters, name) is not None for name in FILTERED)
    dated = sa.select(
        SlotDate.id,
        SlotDate.day,
        SlotDate.start_time,
        SlotDate.end_time,
        SlotDate.break_minutes,
        SlotDate.slot_id,
        SlotDate.room_id,
        (~SlotDate.cancelled).label("live"),
    ).where(SlotDate.day >= first, SlotDate.day < last)
    if joined:
        dated = (
            dated.add_columns(*details())
            .join(Slot, Slot.id == SlotDate.slot_id)
            .join(Sequence, Sequence.id == Slot.sequence_id)
            .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        )
    dated = dated.cte("dated")
    in_range = (TrainerBooking.day >= first, TrainerBooking.day < last)

    order = (dated.c.start_time, dated.c.id)
    source, conditions, resource, cells = dated, _conditions(dated, filters, in_range), [], 1
    if by is not None:
        kind, ids = by
        if kind == "trainer":
            held = (
                sa.select(TrainerBooking.slot_date_id, TrainerBooking.trainer_id)
                .where(*in_range, TrainerBooking.trainer_id.in_(ids))
                .cte("held")
            )
            source = dated.join(held, held.c.slot_date_id == dated.c.id)
        resource = [dated.c.room_id if kind == "room" else held.c.trainer_id]
        conditions.append(resource[0].in_(ids))
        cells = max(len(ids), 1)
    partition = [*resource, dated.c.day]
    ranked = (
        sa.select(
            *dated.c,
            sa.func.row_number().over(partition_by=partition, order_by=order).label("rank"),
            sa.func.count().over(partition_by=partition).label("day_total"),
            *[
                column
                for key in resource
                for column in (
                    key.label("resource_id"),
                    sa.func.sum(booked_minutes(dated)).over(partition_by=key).label("resource_minutes"),
                )
            ],
        )
        .select_from(source)
        .where(*conditions)
        .subquery("ranked")
    )
    kept = sa.select(ranked)
    if per_day is not None:
        # The limit changes nothing (at most `per_day` dates a day, or a day of a resource) but
        # tells the planner how few rows remain, so that the details are joined by primary key.
        kept = kept.where(ranked.c.rank <= per_day).limit(per_day * (last - first).days * cells)
    kept = kept.cte("kept")
    kept_ids = sa.select(kept.c.id).distinct().subquery("kept_ids")

    # The clashes of the dates kept only: a room against the range's live dates of its day, a
    # trainer against that trainer's bookings of the day.
    other_date = dated.alias("other_date")
    room_clashes = (
        sa.select(kept.c.id)
        .distinct()
        .where(kept.c.live, kept.c.room_id.is_not(None), overlapping(kept, other_date, "room_id"))
        .subquery("room_clashes")
    )
    mine = aliased(TrainerBooking, name="mine")
    clashing_trainer = aliased(Trainer, name="clashing_trainer")
    trainer_clashes = (
        sa.select(
            mine.slot_date_id.label("id"),
            sa.func.aggregate_strings(
                clashing_trainer.first_name + " " + clashing_trainer.last_name, ", "
            ).label("names"),
        )
        .join(kept_ids, kept_ids.c.id == mine.slot_date_id)
        .join(clashing_trainer, clashing_trainer.id == mine.trainer_id)
        .where(~mine.cancelled, trainer_elsewhere(mine))
        .group_by(mine.slot_date_id)
        .subquery("trainer_clashes")
    )
    named = aliased(TrainerBooking, name="named")
    named_trainer = aliased(Trainer, name="named_trainer")
    trainers = (
        sa.select(
            named.slot_date_id.label("id"),
            sa.func.aggregate_strings(named_trainer.first_name + " " + named_trainer.last_name, ", ").label(
                "names"
            ),
            sa.func.aggregate_strings(sa.cast(named_trainer.id, sa.String), ",").label("ids"),
        )
        .join(kept_ids, kept_ids.c.id == named.slot_date_id)
        .join(named_trainer, named_trainer.id == named.trainer_id)
        .group_by(named.slot_date_id)
        .subquery("trainers")
    )
    room_location = aliased(Location, name="room_location")
    detail = kept.c if joined else {column.name: column for column in details()}
    query = sa.select(
        kept.c.id.label("slot_date_id"),
        kept.c.day,
        kept.c.start_time.label("start"),
        kept.c.end_time.label("end"),
        kept.c.break_minutes,
        kept.c.slot_id,
        detail["sequence_id"],
        detail["sequence_cancelled"],
        detail["session_id"],
        detail["code"],
        detail["label"],
        detail["status"],
        detail["publication"],
        (detail["enrolled_count"] > 0).label("has_participants"),
        Training.id.label("training_id"),
        Training.name.label("training"),
        kept.c.room_id,
        Room.name.label("room"),
        sa.func.coalesce(room_location.name, Location.name).label("location"),
        trainers.c.names.label("trainers"),
        trainers.c.ids.label("trainer_ids"),
        room_clashes.c.id.is_not(None).label("room_clash"),
        trainer_clashes.c.names.label("trainer_clashes"),
        kept.c.day_total,
        *[kept.c[name] for name in ("resource_id", "resource_minutes") if resource],
    ).select_from(kept)
    if not joined:
        # The few dates kept (`per_day` a day) are joined to their details by primary key.
        query = (
            query.join(Slot, Slot.id == kept.c.slot_id)
            .join(Sequence, Sequence.id == Slot.sequence_id)
            .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        )
    return (
        query.join(Training, Training.id == detail["training_id"])
        .outerjoin(Room, Room.id == kept.c.room_id)
        .outerjoin(room_location, room_location.id == Room.location_id)
        .outerjoin(Location, Location.id == detail["location_id"])
        .outerjoin(room_clashes, room_clashes.c.id == kept.c.id)
        .outerjoin(trainers, trainers.c.id == kept.c.id)
        .outerjoin(trainer_clashes, trainer_clashes.c.id == kept.c.id)
        .order_by(kept.c.day, kept.c.start_time, kept.c.id)
    )


def _conditions(dated: sa.CTE, filters: BookingFilters, in_range: tuple) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if not filters.show_cancelled and filters.status != WorkflowStatus.CANCELLED:
        conditions.append(dated.c.live)
    if filters.location_id is not None:
        conditions.append(dated.c.location_id == filters.location_id)
    if filters.room_id is not None:
        conditions.append(dated.c.room_id == filters.room_id)
    if filters.trainer_id is not None:
        conditions.append(
            dated.c.id.in_(
                sa.select(TrainerBooking.slot_date_id).where(
                    *in_range, TrainerBooking.trainer_id == filters.trainer_id
                )
            )
        )
    if filters.training_id is not None:
        conditions.append(dated.c.training_id == filters.training_id)
    if filters.status is not None:
        conditions.append(dated.c.status == filters.status)
    if filters.publication is not None:
        conditions.append(dated.c.publication == filters.publication)
    return conditions


def find_bookings(
    first: date,
    last: date,
    filters: BookingFilters,
    per_day: int | None = None,
    by: tuple[str, list[int]] | None = None,
) -> list[Booking]:
    """The dates of [first, last) (see `bookings_statement`), in one statement; a filter naming a
    row that does not exist is refused (ValidationFailed) by the same statement."""
    query = bookings_statement(first, last, filters, per_day, by)
    without_jit()
    references = filters.references()
    if not references:
        return [Booking(**row._mapping) for row in db.session.execute(query)]
    events = query.subquery("events")
    known = sa.select(
        *[
            sa.exists().where(model.id == value).label(f"known_{name}")
            for name, (model, value) in references.items()
        ]
    ).subquery("known")
    rows = db.session.execute(
        sa.select(known, events)
        .select_from(known.outerjoin(events, sa.true()))
        .order_by(events.c.day, events.c.start, events.c.slot_date_id)
    ).all()
    unknown = [name for name in references if not getattr(rows[0], f"known_{name}")]
    if unknown:
        raise ValidationFailed({name: _unknown_message(name) for name in unknown})
    fields = Booking.__dataclass_fields__
    return [
        Booking(**{key: value for key, value in row._mapping.items() if key in fields})
        for row in rows
        if row.slot_date_id is not None
    ]


def _unknown_message(name: str) -> str:
    messages = {
        "location": gettext("This location does not exist (any more)."),
        "room": gettext("This room does not exist (any more)."),
        "trainer": gettext("This trainer does not exist (any more)."),
        "training": gettext("This training does not exist (any more)."),
    }
    return messages[name]
