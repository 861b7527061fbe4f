"""The trainer's calendar feed (`/l/<token>/calendar.ics`, from the trainer's page), to subscribe to
in Outlook or Google Agenda: one VEVENT per date of the trainer's slots (as trainer or co-trainer)
on published sessions, the last 90 days and the next 365 (at most 5,000 dates), with UIDs `trainer-slot-…`
(built by `feeds.py`, which says how UIDs, SEQUENCE and cancellations work)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext

from ...models import Trainer
from .feeds import TRAINER_PAGE_FEED, Feed, FeedEvent, calendar_text, feed
from .feeds import feed_events as selection_events
from .trainers import trainer_slots


def feed_events(trainer: Trainer, today: date | None = None) -> list[FeedEvent]:
    """The dates of the trainer's feed, in time order: one query."""
    return selection_events(trainer_slots(trainer.id), TRAINER_PAGE_FEED, today)


def feed_name(trainer: Trainer):
    """« Planning formateur : Claire Martin »."""
    return lazy_gettext("Trainer calendar: %(name)s", name=str(trainer))


def feed_text(trainer: Trainer, events: list[FeedEvent], today: date | None = None) -> str:
    """The iCalendar text of the trainer's feed."""
    return calendar_text(feed_name(trainer), events, today)


def trainer_feed(trainer: Trainer, link_id: int, today: date | None = None) -> Feed:
    """The trainer's feed from the link `link_id`: its ETag at once (one query), its text when written."""
    return feed(trainer_slots(trainer.id), TRAINER_PAGE_FEED, feed_name(trainer), today, link_id)
