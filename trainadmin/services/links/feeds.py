"""Calendar feeds (iCalendar, to subscribe to in Outlook, Google Agenda or Apple Calendar): one
builder for any selection of slot dates — a trainer's own feed from their page (`trainer_feed.py`),
and the training staff's feeds of a room, a place, a trainer or their own sessions
(`calendar_feeds.py`). One VEVENT per slot date (written by `feed_ics.py`).

- Window (`Window`): the last PAST_DAYS (90) days and the next FUTURE_DAYS (365), at most
  MAX_EVENTS (5,000) dates, the nearest to today first (an upcoming date before a past one as far
  away): no feed, however busy its place, costs more than that to read, write or keep in memory.

- UID: the slot and the rank of the date among the slot's dates (`slot-12-1@trainadmin`). Moving
  a slot to another day keeps its UID (the planning replaces a date moved to another day by a new
  row: a UID made from the date's row would make the calendars delete the event and add another),
  so a subscribed calendar moves the event it has. Each kind of feed has its namespace (`FeedKind`):
  the trainer's page keeps `trainer-slot-…`, the staff feeds share `slot-…` — one slot date is the
  same event, with the same content, in every staff feed it is in.
- Times: local wall-clock times with the TRAINADMIN_TZ TZID and its VTIMEZONE, written by
  `notifications.ics` as for the invitations.
- SEQUENCE: the number of entries in the session's history (it grows with every change to the
  session, its planning or its participants); LAST-MODIFIED and DTSTAMP: the last of them (the
  feed has no METHOD: RFC 5545 then reads DTSTAMP as the last revision). The same planning gives
  the same bytes.
- ETag (`feed_etag`): one query over the same dates, without reading them (their number and ids,
  their sessions' versions, last update and last history entry), with the window's first day and
  the feed's link and title; a client that has this version gets its 304 without the events'
  query and without the text being written (`Feed`).
- A cancelled session or sequence stays in the feed as STATUS:CANCELLED, « Annulé : » before its
  summary, so that a calendar that still shows it says so. Drafts: left out of the trainer's feed
  (not announced to anyone); in the staff feeds as STATUS:TENTATIVE, « Brouillon : » before the
  summary (a draft books its room and its trainers all the same).
- The events are one query (the chosen dates with their slot, sequence, session, place and room, the
  date's rank and the session's revision); the number of participants is the session's own count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.ext.compiler import compiles

from ...clock import local_today
from ...extensions import db
from ...models import (
    Location,
    Publication,
    Room,
    Sequence,
    SessionHistory,
    Slot,
    SlotDate,
    TrainingSession,
)
from .feed_ics import FeedEvent, calendar_text
from .trainers import dates_query, trainer_day

PAST_DAYS = 90
#: How far ahead a feed reaches: a year (docs/calendar-feeds.md, « How far a feed reaches »).
FUTURE_DAYS = 365
#: At most this many events in one feed (the dates nearest to today), so that no feed can exhaust
#: the memory of the server or of the calendar that reads it.
MAX_EVENTS = 5_000
#: Part of every ETag: to change when the way events are written changes.
FORMAT = "2"
UID_DOMAIN = "trainadmin"


@dataclass(frozen=True)
class FeedKind:
    """What sets a family of feeds apart: its UIDs' namespace and whether drafts are in it."""

    uid_prefix: str
    drafts: bool

    def uid(self, slot_id: int, rank: int) -> str:
        return f"{self.uid_prefix}-{slot_id}-{rank}@{UID_DOMAIN}"


#: The feed of the trainer's page: their slots on published sessions.
TRAINER_PAGE_FEED = FeedKind("trainer-slot", drafts=False)
#: The training staff's feeds (a room, a place, a trainer, one's own sessions): drafts included.
STAFF_FEED = FeedKind("slot", drafts=True)


@dataclass(frozen=True)
class Feed:
    """A feed to answer: its ETag (one query, `feed_etag`) and how to write its text (the events'
    query and the iCalendar text), which a client that has this version never needs."""

    etag: str
    write: Callable[[], str]


def feed(selection, kind: FeedKind, name, today: date | None = None, *keys) -> Feed:
    """The feed called `name` of `selection`; `keys` (the link's id) are part of its ETag."""
    today = today or local_today()
    etag = feed_etag(selection, kind, today, *keys, name)
    return Feed(etag, lambda: calendar_text(name, feed_events(selection, kind, today), today))


@dataclass(frozen=True)
class Window:
    """The days a feed shows: the last `PAST_DAYS` days and the next `FUTURE_DAYS` days from
    `today` (local), at most `MAX_EVENTS` dates, those nearest to `today` first."""

    today: date

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=PAST_DAYS)

    @property
    def last_day(self) -> date:
        return self.today + timedelta(days=FUTURE_DAYS)


def window(today: date | None = None) -> Window:
    return Window(today or local_today())


class days_between(sa.sql.functions.FunctionElement):
    """`later - earlier` in days (an integer on PostgreSQL, a number of days on SQLite)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"({later} - {earlier})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


def chosen_dates(selection, kind: FeedKind, within: Window) -> sa.CTE:
    """The slot dates of the feed of `selection` (a condition on the slot, its sequence and its
    session): those of the window, at most MAX_EVENTS of them, the nearest to today first (an
    upcoming date before a past one as far away); with their slot and their session's version."""
    distance = days_between(SlotDate.day, sa.literal(within.today, sa.Date))
    query = (
        sa.select(
            SlotDate.id,
            SlotDate.slot_id,
            TrainingSession.id.label("session_id"),
            TrainingSession.version,
            TrainingSession.updated_at,
        )
        .join(Slot, Slot.id == SlotDate.slot_id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(selection, SlotDate.day >= within.first_day, SlotDate.day <= within.last_day)
        .order_by(sa.func.abs(distance), distance.desc(), SlotDate.id)
        .limit(MAX_EVENTS)
    )
    if not kind.drafts:
        query = query.where(TrainingSession.publication == Publication.PUBLISHED)
    return query.cte("feed_dates")


def feed_etag(selection, kind: FeedKind, today: date | None = None, *names) -> str:
    """The ETag of the feed of `selection`, from one query over the same dates and without reading
    them: their number and ids, the versions and last update of their sessions and the last entry
    of these sessions' history (every change of a session, its planning or its participants), the
    last change of any place or room (a few rows: the text names them and gives the address), the
    window's first day, and `names` (the feed's link, its title)."""
    within = window(today)
    dates = chosen_dates(selection, kind, within)
    last_entry = (
        sa.select(sa.func.max(SessionHistory.id))
        .where(SessionHistory.session_id.in_(sa.select(dates.c.session_id)))
        .scalar_subquery()
    )
    summary = db.session.execute(
        sa.select(
            sa.func.count(dates.c.id),
            sa.func.sum(dates.c.id),
            sa.func.sum(dates.c.version),
            sa.func.max(dates.c.updated_at),
            last_entry,
            sa.select(sa.func.max(Location.updated_at)).scalar_subquery(),
            sa.select(sa.func.max(Room.updated_at)).scalar_subquery(),
        )
    ).one()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # the language the text is in
        names = tuple(map(str, names))
    parts = (FORMAT, kind.uid_prefix, current_app.config["TRAINADMIN_TZ"], within.first_day, *summary, *names)
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def feed_events(selection, kind: FeedKind, today: date | None = None) -> list[FeedEvent]:
    """The dates of the feed of `selection` (`chosen_dates`), in time order: one query."""
    within = window(today)
    dates = chosen_dates(selection, kind, within)
    ranks = (
        # the ranks count every date of a slot, past ones too, but only of the slots in the feed
        sa.select(
            SlotDate.id.label("slot_date_id"),
            sa.func.row_number()
            .over(partition_by=SlotDate.slot_id, order_by=(SlotDate.day, SlotDate.id))
            .label("rank"),
        )
        .where(SlotDate.slot_id.in_(sa.select(dates.c.slot_id)))
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
        dates_query(
            SlotDate.id.in_(sa.select(dates.c.id)), within.first_day, with_cancelled=True, with_drafts=True
        )
        .join(ranks, ranks.c.slot_date_id == SlotDate.id)
        .add_columns(ranks.c.rank, revision, changed_at)
    )
    events = []
    for slot_date, rank, revisions, last_change in db.session.execute(query):
        session = slot_date.slot.sequence.session
        stamps = [moment for moment in (last_change, session.updated_at, session.created_at) if moment]
        uid = kind.uid(slot_date.slot_id, rank)
        events.append(FeedEvent(trainer_day(slot_date), rank, revisions or 0, max(stamps), uid))
    return events
