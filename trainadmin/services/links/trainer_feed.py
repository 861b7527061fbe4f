"""The trainer's calendar feed (`/l/<token>/calendar.ics`), to subscribe to in Outlook or Google
Agenda: one VEVENT per date of the trainer's slots, the last 90 days and all the future ones.

- UID: the slot and the rank of the date among the slot's dates (`trainer-slot-12-1@trainadmin`).
  Moving a slot to another day keeps its UID (the planning replaces a date moved to another day by
  a new row: a UID made from the date's row would make the calendars delete the event and add
  another), so a subscribed calendar moves the event it has.
- Times: local wall-clock times with the TRAINADMIN_TZ TZID and its VTIMEZONE, written by
  `notifications.ics` as for the invitations.
- SEQUENCE: the number of entries in the session's history (it grows with every change to the
  session, its planning or its participants); LAST-MODIFIED and DTSTAMP: the last of them (the
  feed has no METHOD: RFC 5545 then reads DTSTAMP as the last revision). The same planning gives
  the same bytes, which the page's ETag relies on.
- A cancelled session or sequence stays in the feed as STATUS:CANCELLED, « Annulé : » before its
  summary, so that a calendar that still shows it says so; drafts are not in the feed.
- The whole feed is one query (the dates with their slot, sequence, session, place and room, the
  date's rank and the session's revision); the number of participants is the session's own count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from ...clock import local_today
from ...extensions import db
from ...models import SessionHistory, Slot, SlotDate, Trainer, TrainingSession
from ..notifications import ics
from ..notifications.places import full_place
from .trainers import TrainerDay, days_query, trainer_day, trainer_slots

PAST_DAYS = 90
UID_DOMAIN = "trainadmin"
#: How often a client should read the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedEvent:
    day: TrainerDay
    #: 1 for the slot's first date, 2 for its second…
    rank: int
    revision: int
    changed_at: datetime

    @property
    def uid(self) -> str:
        return event_uid(self.day.slot.id, self.rank)


def event_uid(slot_id: int, rank: int) -> str:
    return f"trainer-slot-{slot_id}-{rank}@{UID_DOMAIN}"


def feed_events(trainer: Trainer, today: date | None = None) -> list[FeedEvent]:
    """The dates of the feed, in time order: one query."""
    first_day = (today or local_today()) - timedelta(days=PAST_DAYS)
    ranks = (
        sa.select(
            SlotDate.id.label("slot_date_id"),
            sa.func.row_number()
            .over(partition_by=SlotDate.slot_id, order_by=(SlotDate.day, SlotDate.id))
            .label("rank"),
        )
        .join(Slot, Slot.id == SlotDate.slot_id)
        .where(trainer_slots(trainer.id))
        .subquery()
    )
    revision = (
        sa.select(sa.func.count(SessionHistory.id))
        .where(SessionHistory.session_id == TrainingSession.id)
        .correlate(TrainingSession)
        .scalar_subquery()
    )
    changed_at = (
        sa.select(sa.func.max(SessionHistory.at))
        .where(SessionHistory.session_id == TrainingSession.id)
        .correlate(TrainingSession)
        .scalar_subquery()
    )
    query = (
        days_query(trainer.id, first_day, with_cancelled=True)
        .join(ranks, ranks.c.slot_date_id == SlotDate.id)
        .add_columns(ranks.c.rank, revision, changed_at)
    )
    events = []
    for slot_date, rank, revisions, last_change in db.session.execute(query):
        session = slot_date.slot.sequence.session
        stamps = [moment for moment in (last_change, session.updated_at, session.created_at) if moment]
        events.append(FeedEvent(trainer_day(slot_date), rank, revisions or 0, max(stamps)))
    return events


def feed_text(trainer: Trainer, events: list[FeedEvent], today: date | None = None) -> str:
    """The iCalendar text of the feed (no METHOD: a published calendar, not an invitation)."""
    icalendar = ics.icalendar_module()
    tzid = current_app.config["TRAINADMIN_TZ"]
    zone = ZoneInfo(tzid)
    today = today or local_today()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = gettext("Trainer calendar: %(name)s", name=str(trainer))
        components = [_event(event, zone) for event in events]
    days = [event.day.slot_date.day for event in events] or [today]
    calendar = icalendar.Calendar.new(
        prodid=ics.PRODID,
        name=name,
        refresh_interval=REFRESH,
        subcomponents=[ics.vtimezone(tzid, min(days), max(days)), *components],
    )
    calendar.pop("UID", None)  # a calendar-level UID (RFC 7986) would change at every reading
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar.add("x-wr-timezone", tzid)
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    return calendar.to_ical().decode()


def _event(event: FeedEvent, zone: ZoneInfo):
    day = event.day
    slot_date, session, sequence = day.slot_date, day.session, day.sequence
    summary = f"{session.code} — {session.label}"
    if day.cancelled:
        summary = gettext("Cancelled: %(summary)s", summary=summary)
    lines = [gettext("Sequence: %(label)s", label=sequence.label)]
    if sequence.is_prework:
        lines.append(gettext("Pre-work to do before the session."))
    lines.append(gettext("Enrolled participants: %(count)s", count=session.enrolled_count))
    stamp = event.changed_at.astimezone(UTC).replace(microsecond=0)
    return ics.icalendar_module().Event.new(
        uid=event.uid,
        summary=summary,
        description="\n".join(lines),
        location=full_place(day.slot.location, day.slot.room) or sequence.url or None,
        start=_local(slot_date.day, slot_date.start_time, zone),
        end=_local(slot_date.day, slot_date.end_time, zone),
        sequence=event.revision,
        stamp=stamp,
        last_modified=stamp,
        status="CANCELLED" if day.cancelled else "CONFIRMED",
        transparency="TRANSPARENT" if day.cancelled else "OPAQUE",
    )


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=zone)
