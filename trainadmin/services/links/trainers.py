"""A trainer's page (`/l/<token>`, purpose TRAINER_PAGE): the trainer never logs in, their link shows
their slots and gives the address of their calendar feed (`trainer_feed.py`).

- Slots: those where the trainer is one of the slot's trainers or its co-trainer, on published
  sessions only (a draft is not announced to anyone, trainers included).
- The page lists the slot dates from today on; cancelled sessions and sequences are left out (the
  calendar feed keeps them for a while as cancelled events instead, so that subscribed calendars
  show the cancellation).
- Each date covers the half-days of the attendance rules (`participants.attendance`); pre-work
  dates cover none (nobody signs for pre-work).
- Reading is two queries whatever the number of slots: the dates with their slot, sequence, session,
  place and room; then the names of the sessions' enrolled participants.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import contains_eager

from ...clock import local_today
from ...extensions import db
from ...models import (
    AccessLink,
    Collaborator,
    HalfDay,
    LinkPurpose,
    Publication,
    RequestStatus,
    Sequence,
    SequenceStatus,
    Slot,
    SlotDate,
    Trainer,
    TrainingRequest,
    TrainingSession,
    WorkflowStatus,
    slot_trainer,
)
from ..notifications.outbox import queue_message
from ..notifications.places import address, place_name
from ..participants.attendance import covered_half_days
from .tokens import issue, live_links
from .urls import link_url


@dataclass(frozen=True)
class TrainerDay:
    """One date of one of the trainer's slots (or of any slot a calendar feed shows), with what the
    page and the feeds say about it."""

    slot_date: SlotDate
    slot: Slot
    sequence: Sequence
    session: TrainingSession
    #: The half-days a participant signs for on that date (none for pre-work).
    half_days: tuple[HalfDay, ...]

    @property
    def place(self) -> str:
        """« Campus Lyon » (the place alone: the room has its own line on the page)."""
        return place_name(self.slot.location, None)

    @property
    def room(self) -> str:
        return self.slot.room.name if self.slot.room is not None else ""

    @property
    def address(self) -> str:
        return address(self.slot.location)

    @property
    def draft(self) -> bool:
        return self.session.publication == Publication.DRAFT

    @property
    def cancelled(self) -> bool:
        return (
            self.session.status == WorkflowStatus.CANCELLED
            or self.sequence.status == SequenceStatus.CANCELLED
        )


@dataclass
class TrainerPage:
    trainer: Trainer
    days: list[TrainerDay]
    #: Session id → « Prénom Nom » of its enrolled participants, by last name.
    participants: dict[int, list[str]] = field(default_factory=dict)

    def names(self, day: TrainerDay) -> list[str]:
        return self.participants.get(day.session.id, [])


def trainer_slots(trainer_id: int):
    """The condition « this slot is one of the trainer's » (trainer or co-trainer)."""
    return sa.or_(
        Slot.co_trainer_id == trainer_id,
        Slot.id.in_(sa.select(slot_trainer.c.slot_id).where(slot_trainer.c.trainer_id == trainer_id)),
    )


def days_query(trainer_id: int, first_day: date, *, with_cancelled: bool) -> sa.Select:
    """The trainer's slot dates of published sessions from `first_day` on (`dates_query`)."""
    return dates_query(trainer_slots(trainer_id), first_day, with_cancelled=with_cancelled)


def dates_query(selection, first_day: date, *, with_cancelled: bool, with_drafts: bool = False) -> sa.Select:
    """The slot dates of `selection` (a condition on the slot, its sequence and its session) from
    `first_day` on, with their slot, sequence, session, place and room loaded (one statement), in
    time order; drafts only `with_drafts`."""
    query = (
        sa.select(SlotDate)
        .join(SlotDate.slot)
        .join(Slot.sequence)
        .join(Sequence.session)
        .outerjoin(Slot.location)
        .outerjoin(Slot.room)
        .where(selection, SlotDate.day >= first_day)
        .options(
            contains_eager(SlotDate.slot).contains_eager(Slot.sequence).contains_eager(Sequence.session),
            contains_eager(SlotDate.slot).contains_eager(Slot.location),
            contains_eager(SlotDate.slot).contains_eager(Slot.room),
        )
        .order_by(SlotDate.day, SlotDate.start_time, TrainingSession.code, SlotDate.id)
    )
    if not with_drafts:
        query = query.where(TrainingSession.publication == Publication.PUBLISHED)
    if not with_cancelled:
        query = query.where(
            TrainingSession.status != WorkflowStatus.CANCELLED, Sequence.status != SequenceStatus.CANCELLED
        )
    return query


def trainer_day(slot_date: SlotDate) -> TrainerDay:
    slot = slot_date.slot
    sequence = slot.sequence
    halves = () if sequence.is_prework else covered_half_days(slot_date.start_time, slot_date.end_time)
    return TrainerDay(slot_date, slot, sequence, sequence.session, halves)


def upcoming_days(trainer: Trainer, today: date | None = None) -> list[TrainerDay]:
    """The trainer's slot dates from today (local time) on, cancelled ones left out: one query."""
    query = days_query(trainer.id, today or local_today(), with_cancelled=False)
    return [trainer_day(slot_date) for slot_date in db.session.scalars(query)]


def upcoming_half_days(trainer: Trainer, today: date | None = None) -> dict[int, tuple[HalfDay, ...]]:
    """Slot date id → the half-days it covers, for each upcoming date of the trainer (in time order):
    the half-days whose sign-in the trainer opens and countersigns (COUNTERSIGN links)."""
    return {day.slot_date.id: day.half_days for day in upcoming_days(trainer, today)}


def participant_names(session_ids) -> dict[int, list[str]]:
    """Session id → « Prénom Nom » of its enrolled participants (nothing else), in one query."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(TrainingRequest.session_id, Collaborator.first_name, Collaborator.last_name)
        .join(Collaborator, Collaborator.id == TrainingRequest.collaborator_id)
        .where(TrainingRequest.session_id.in_(ids), TrainingRequest.status == RequestStatus.ENROLLED)
        .order_by(Collaborator.last_name, Collaborator.first_name, TrainingRequest.id)
    )
    names: dict[int, list[str]] = defaultdict(list)
    for session_id, first_name, last_name in rows:
        names[session_id].append(f"{first_name} {last_name}")
    return dict(names)


def trainer_page(trainer: Trainer, today: date | None = None) -> TrainerPage:
    """What the trainer's page shows: two queries."""
    days = upcoming_days(trainer, today)
    return TrainerPage(trainer, days, participant_names(day.session.id for day in days))


# --- Issuing the link ---------------------------------------------------------------------------


def issue_trainer_link(trainer: Trainer) -> tuple[AccessLink, str]:
    """A new page link for the trainer (no expiry); the previous one stops working."""
    return issue(LinkPurpose.TRAINER_PAGE, trainer.email, trainer_id=trainer.id)


def trainer_page_url(trainer: Trainer) -> str:
    """« Envoyer le lien formateur »: issue a new link, e-mail it to the trainer (the page and the
    calendar feed to subscribe to) and return the page's full address (the only time it can be
    read: the token is not kept)."""
    link, token = issue_trainer_link(trainer)
    url, feed = link_url(token), link_url(token, "calendar.ics")
    body = render_template("emails/trainer_link.txt", trainer=trainer, url=url, feed=feed)
    subject, _, body = body.partition("\n\n")
    queue_message(
        dedup_key=f"trainer-link:{link.id}",
        kind="trainer_link",
        recipient=trainer.email.strip().lower(),
        subject=subject.strip(),
        body=body.strip() + "\n",
    )
    return url


def current_trainer_link(trainer: Trainer) -> AccessLink | None:
    """The trainer's live page link, if one was sent (when: its `created_at`)."""
    found = live_links(LinkPurpose.TRAINER_PAGE, trainer_id=trainer.id)
    return found[0] if found else None
