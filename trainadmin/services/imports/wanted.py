"""What the feed wants for a session, in the database's terms (ids instead of names), ready to be
compared with the partner's sessions and applied."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from ...models import SessionType
from .feed_items import FeedDate, FeedSequence, FeedSession, FeedSlot, where_of
from .references import References

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
FEED_TO_SESSION = {"title": "label"}


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


def _date_key(feed_date: FeedDate) -> tuple:
    return (feed_date.day, feed_date.start, feed_date.end, feed_date.break_minutes or 0)


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
