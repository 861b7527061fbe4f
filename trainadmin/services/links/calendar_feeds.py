"""The training staff's calendar feeds (`/l/<token>/calendar.ics`, purpose CALENDAR_FEED): a
room's, a place's, a trainer's, and « Mes sessions » of a back-office user. Each has its own secret
address, no expiry; a new link replaces the previous one, « Révoquer » ends it without a new one
(both then answer 410). The feeds are built by `feeds.py` (STAFF_FEED: drafts included as
tentative, UIDs `slot-…` shared by every staff feed).

What each feed holds (slot dates of the last 90 days and the next 365, at most 5,000: `feeds.py`):
- a room: the slots booked in that room;
- a place: the slots at that place, whatever their room (or none);
- a trainer: the slots they teach or co-teach;
- « Mes sessions » of a user: every slot of the sessions the user created (`created_by_id`), and
  the slots taught or co-taught by the trainer who has the user's e-mail address (case ignored).
  The feed of a deactivated user answers 410 (it is theirs only while they may log in).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext

from ...extensions import db
from ...models import (
    AccessLink,
    LinkPurpose,
    Location,
    Room,
    Sequence,
    Slot,
    Trainer,
    TrainingSession,
    User,
    slot_trainer,
)
from ..errors import DomainError
from ..notifications.places import place_name
from .feeds import STAFF_FEED, Feed, FeedEvent, feed, feed_events
from .tokens import LinkRefused, Refusal, issue, live_links, revoke_links
from .trainers import trainer_slots

FEED_PAGE = "calendar.ics"


class FeedOf(enum.StrEnum):
    ROOM = "room"
    LOCATION = "location"
    TRAINER = "trainer"
    USER = "user"

    @property
    def column(self) -> str:
        return f"{self.value}_id"


MODELS = {FeedOf.ROOM: Room, FeedOf.LOCATION: Location, FeedOf.TRAINER: Trainer, FeedOf.USER: User}


@dataclass(frozen=True)
class FeedSubject:
    """What a feed is of: a room, a place, a trainer or a user (by id)."""

    of: FeedOf
    id: int

    @property
    def binding(self) -> dict[str, int]:
        return {self.of.column: self.id}

    @classmethod
    def of_link(cls, link: AccessLink) -> FeedSubject:
        for of in FeedOf:
            value = getattr(link, of.column)
            if value is not None:
                return cls(of, value)
        raise LinkRefused(Refusal.UNKNOWN)  # a feed bound to nothing (cannot be issued)


# --- Links -------------------------------------------------------------------------------------


def new_feed_link(subject: FeedSubject, by_email: str) -> tuple[AccessLink, str]:
    """« Nouveau lien »: a new feed link of `subject`, asked by the user `by_email`; the previous
    one stops working. Returns the link and its token (shown once: only its hash is kept)."""
    if db.session.get(MODELS[subject.of], subject.id) is None:
        raise DomainError(gettext("This record no longer exists."))
    return issue(LinkPurpose.CALENDAR_FEED, by_email, **subject.binding)


def revoke_feed_link(subject: FeedSubject) -> int:
    """« Révoquer »: the feed link of `subject` stops working, none replaces it. Returns how many
    links were revoked (0: there was none)."""
    return revoke_links(LinkPurpose.CALENDAR_FEED, **subject.binding)


def current_feed_link(subject: FeedSubject) -> AccessLink | None:
    """The live feed link of `subject` (when it was made: its `created_at`)."""
    found = live_links(LinkPurpose.CALENDAR_FEED, **subject.binding)
    return found[0] if found else None


def current_feed_links(of: FeedOf, ids) -> dict[int, AccessLink]:
    """Id → live feed link, for several subjects of one kind (a place's rooms): one query."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    column = getattr(AccessLink, of.column)
    query = (
        sa.select(AccessLink)
        .where(
            AccessLink.purpose == LinkPurpose.CALENDAR_FEED,
            column.in_(ids),
            AccessLink.used_at.is_(None),
            AccessLink.revoked_at.is_(None),
        )
        .order_by(AccessLink.id)
    )
    return {getattr(link, of.column): link for link in db.session.scalars(query)}


# --- What a feed shows ---------------------------------------------------------------------------


def user_slots(user_id: int) -> sa.CompoundSelect:
    """The ids of the slots of « Mes sessions »: every slot of the sessions the user created, and
    those taught or co-taught by the trainer with the user's e-mail address (case ignored). One set
    of ids rather than an OR over three tables: the database starts from the user's slots (a
    « Mes sessions » ETag over 100,000 sessions: about twice as fast)."""
    email = sa.select(sa.func.lower(User.email)).where(User.id == user_id).scalar_subquery()
    trainers = sa.select(Trainer.id).where(sa.func.lower(Trainer.email) == email)
    return sa.union(
        sa.select(Slot.id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(TrainingSession.created_by_id == user_id),
        sa.select(Slot.id).where(Slot.co_trainer_id.in_(trainers)),
        sa.select(slot_trainer.c.slot_id).where(slot_trainer.c.trainer_id.in_(trainers)),
    )


def selection(subject: FeedSubject):
    """The condition on a slot (its sequence, its session) of the feed of `subject`."""
    if subject.of == FeedOf.ROOM:
        return Slot.room_id == subject.id
    if subject.of == FeedOf.LOCATION:
        return Slot.location_id == subject.id
    if subject.of == FeedOf.TRAINER:
        return trainer_slots(subject.id)
    return Slot.id.in_(user_slots(subject.id))


def staff_feed_events(subject: FeedSubject, today: date | None = None) -> list[FeedEvent]:
    """The dates of the feed, in time order: one query."""
    return feed_events(selection(subject), STAFF_FEED, today)


def feed_name(link: AccessLink):
    """« Salle : Campus Lyon — Salle Rhône », « Lieu : Campus Lyon », « Formateur : Claire
    Martin », « Mes sessions : Jeanne Dupont »."""
    subject = FeedSubject.of_link(link)
    if subject.of == FeedOf.ROOM:
        return lazy_gettext("Room: %(name)s", name=place_name(link.room.location, link.room))
    if subject.of == FeedOf.LOCATION:
        return lazy_gettext("Place: %(name)s", name=link.location.name)
    if subject.of == FeedOf.TRAINER:
        return lazy_gettext("Trainer: %(name)s", name=str(link.trainer))
    return lazy_gettext("My sessions: %(name)s", name=link.user.full_name or link.user.email)


def staff_feed(link: AccessLink, today: date | None = None) -> Feed:
    """The feed of a live CALENDAR_FEED link: its ETag at once (one query), its text when written.
    LinkRefused (REVOKED) for a deactivated user's."""
    subject = FeedSubject.of_link(link)
    if subject.of == FeedOf.USER and not link.user.active:
        raise LinkRefused(Refusal.REVOKED, link)
    return feed(selection(subject), STAFF_FEED, feed_name(link), today, link.id)


def staff_feed_text(link: AccessLink, today: date | None = None) -> str:
    """The iCalendar text of the feed of a live CALENDAR_FEED link (`staff_feed`)."""
    return staff_feed(link, today).write()
