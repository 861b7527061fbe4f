"""The slot dates of a range of days, as the « Planning » calendar shows them: one SQL statement,
from the index on slot_date(day, slot_id), with each date's room and trainer clashes.

A clash is another slot holding the same room, or one of the same trainers (as trainer or
co-trainer), at overlapping hours on the same day, in a session and sequence that are not
cancelled — the rule of `conflicts.find_clashes`. The range's dates are read narrow (times, room,
trainers, whether live, the filtered columns); the first dates of each day by start are kept
(`per_day`), and only those are tested for clashes (a semi-join on the day and room, or day and
trainer, against the range's live dates) and joined to their session, sequence and names. The
statement runs with PostgreSQL's JIT off (`driver_sql.without_jit`). The filters apply to the dates
shown, never to the clashes: a room booked by a session of another formation is still a clash.
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
    SequenceStatus,
    Slot,
    SlotDate,
    Trainer,
    Training,
    TrainingSession,
    WorkflowStatus,
    slot_trainer,
)
from ..errors import ValidationFailed

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


def _live() -> sa.ColumnElement[bool]:
    return sa.and_(
        Sequence.status != SequenceStatus.CANCELLED, TrainingSession.status != WorkflowStatus.CANCELLED
    )


def _details() -> list[sa.ColumnElement]:
    """The columns of a date sent but not needed to rank the dates or find their clashes."""
    return [
        SlotDate.break_minutes,
        Slot.sequence_id,
        (Sequence.status == SequenceStatus.CANCELLED).label("sequence_cancelled"),
        Sequence.session_id,
        TrainingSession.code,
        TrainingSession.label,
        TrainingSession.enrolled_count,
    ]


def _overlapping(mine, theirs, *same) -> sa.ColumnElement[bool]:
    """Another live row of `theirs` with the same `same` columns as `mine` at overlapping hours
    (touching hours do not clash: 09:00–12:00 and 12:00–17:00)."""
    return sa.exists().where(
        *[theirs.c[name] == mine.c[name] for name in ("day", *same)],
        theirs.c.id != mine.c.id,
        theirs.c.live,
        theirs.c.start_time < mine.c.end_time,
        theirs.c.end_time > mine.c.start_time,
    )


def bookings_statement(
    first: date, last: date, filters: BookingFilters, per_day: int | None = None
) -> sa.Select:
    """The dates of [first, last) with their session, place, trainers and clashes; with `per_day`,
    only the first dates of each day by start (each row says how many the day holds).

    The range's dates are read narrow (times, room, trainers, liveness and the filtered columns):
    the ranking by day and the clash tests work on those; the session, sequence and names are
    joined to the dates kept only."""
    dated = (
        sa.select(
            SlotDate.id,
            SlotDate.day,
            SlotDate.start_time,
            SlotDate.end_time,
            SlotDate.slot_id,
            Slot.room_id,
            Slot.location_id,
            Slot.co_trainer_id,
            TrainingSession.status,
            TrainingSession.publication,
            TrainingSession.training_id,
            _live().label("live"),
            # Every date is sent: its details come along rather than being read a second time.
            *(_details() if per_day is None else ()),
        )
        .join(Slot, Slot.id == SlotDate.slot_id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(SlotDate.day >= first, SlotDate.day < last)
    ).cte("dated")
    held = sa.union_all(
        sa.select(
            dated.c.id,
            dated.c.day,
            dated.c.start_time,
            dated.c.end_time,
            dated.c.live,
            slot_trainer.c.trainer_id,
        ).join(slot_trainer, slot_trainer.c.slot_id == dated.c.slot_id),
        # A co-trainer also listed as trainer of the slot is one row, or the date would clash with itself.
        sa.select(
            dated.c.id,
            dated.c.day,
            dated.c.start_time,
            dated.c.end_time,
            dated.c.live,
            dated.c.co_trainer_id.label("trainer_id"),
        ).where(
            dated.c.co_trainer_id.is_not(None),
            ~sa.exists().where(
                slot_trainer.c.slot_id == dated.c.slot_id, slot_trainer.c.trainer_id == dated.c.co_trainer_id
            ),
        ),
    ).cte("held")

    order = (dated.c.start_time, dated.c.id)
    ranked = (
        sa.select(
            *[column for column in dated.c if column.name != "co_trainer_id"],
            sa.func.row_number().over(partition_by=dated.c.day, order_by=order).label("rank"),
            sa.func.count().over(partition_by=dated.c.day).label("day_total"),
        )
        .where(*_conditions(dated, filters))
        .subquery("ranked")
    )
    kept = sa.select(ranked)
    if per_day is not None:
        # The limit changes nothing (at most `per_day` dates a day) but tells the planner how few
        # rows remain, so that the details are joined to them by primary key.
        kept = kept.where(ranked.c.rank <= per_day).limit(per_day * (last - first).days)
    kept = kept.cte("kept")

    # The clashes of the dates kept only, each against the range's live dates of its day.
    other_date = dated.alias("other_date")
    room_clashes = (
        sa.select(kept.c.id)
        .where(kept.c.live, kept.c.room_id.is_not(None), _overlapping(kept, other_date, "room_id"))
        .subquery("room_clashes")
    )
    mine, theirs = held.alias("mine"), held.alias("theirs")
    clashing_trainer = aliased(Trainer, name="clashing_trainer")
    trainer_clashes = (
        sa.select(
            mine.c.id,
            sa.func.aggregate_strings(
                clashing_trainer.first_name + " " + clashing_trainer.last_name, ", "
            ).label("names"),
        )
        .join(kept, kept.c.id == mine.c.id)
        .join(clashing_trainer, clashing_trainer.id == mine.c.trainer_id)
        .where(mine.c.live, _overlapping(mine, theirs, "trainer_id"))
        .group_by(mine.c.id)
        .subquery("trainer_clashes")
    )
    named_trainer = aliased(Trainer, name="named_trainer")
    trainers = (
        sa.select(
            held.c.id,
            sa.func.aggregate_strings(named_trainer.first_name + " " + named_trainer.last_name, ", ").label(
                "names"
            ),
            sa.func.aggregate_strings(sa.cast(named_trainer.id, sa.String), ",").label("ids"),
        )
        .join(kept, kept.c.id == held.c.id)
        .join(named_trainer, named_trainer.id == held.c.trainer_id)
        .group_by(held.c.id)
        .subquery("trainers")
    )
    room_location = aliased(Location, name="room_location")
    details = kept.c if per_day is None else {column.name: column for column in _details()}
    query = (
        sa.select(
            kept.c.id.label("slot_date_id"),
            kept.c.day,
            kept.c.start_time.label("start"),
            kept.c.end_time.label("end"),
            details["break_minutes"],
            kept.c.slot_id,
            details["sequence_id"],
            details["sequence_cancelled"],
            details["session_id"],
            details["code"],
            details["label"],
            kept.c.status,
            kept.c.publication,
            (details["enrolled_count"] > 0).label("has_participants"),
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
        )
        .select_from(kept)
        .join(Training, Training.id == kept.c.training_id)
        .outerjoin(Room, Room.id == kept.c.room_id)
        .outerjoin(room_location, room_location.id == Room.location_id)
        .outerjoin(Location, Location.id == kept.c.location_id)
        .outerjoin(room_clashes, room_clashes.c.id == kept.c.id)
        .outerjoin(trainers, trainers.c.id == kept.c.id)
        .outerjoin(trainer_clashes, trainer_clashes.c.id == kept.c.id)
        .order_by(kept.c.day, kept.c.start_time, kept.c.id)
    )
    if per_day is None:
        return query
    # The few dates kept (`per_day` a day) are joined to their details by primary key.
    return (
        query.join(SlotDate, SlotDate.id == kept.c.id)
        .join(Slot, Slot.id == kept.c.slot_id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
    )


def _conditions(dated: sa.CTE, filters: BookingFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if not filters.show_cancelled and filters.status != WorkflowStatus.CANCELLED:
        conditions.append(dated.c.live)
    if filters.location_id is not None:
        conditions.append(dated.c.location_id == filters.location_id)
    if filters.room_id is not None:
        conditions.append(dated.c.room_id == filters.room_id)
    if filters.trainer_id is not None:
        conditions.append(
            sa.or_(
                dated.c.co_trainer_id == filters.trainer_id,
                sa.exists().where(
                    slot_trainer.c.slot_id == dated.c.slot_id, slot_trainer.c.trainer_id == filters.trainer_id
                ),
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
    first: date, last: date, filters: BookingFilters, per_day: int | None = None
) -> list[Booking]:
    """The dates of [first, last), in one statement; a filter naming a row that does not exist
    is refused (ValidationFailed) by the same statement."""
    query = bookings_statement(first, last, filters, per_day)
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
