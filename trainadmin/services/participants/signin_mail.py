"""« Émargement du jour »: the morning of each date, each enrolled participant gets their own links to
sign its half-days (`LinkPurpose.SIGN_IN`, valid until the half-day's signing closes), in the
session's « Émargement du jour » e-mail (a default rule; sent from its sending time, 07:00 unless
changed). Run by the hourly job (and the demo's tick); once per participant and date: the outbox's
key says it was written, and no link is issued again."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa

from ...clock import local_zone
from ...extensions import db
from ...models import (
    EmailKind,
    LinkPurpose,
    OutboxMessage,
    Publication,
    Sequence,
    SequenceStatus,
    Slot,
    SlotDate,
    TrainingSession,
    WorkflowStatus,
)
from .. import links
from ..notifications import compose, outbox
from ..notifications.rules import session_rule
from ..notifications.variables import clock, long_date
from . import signatures
from .attendance import covered_half_days, enrolled_participants, half_day_hours

DEFAULT_SEND_TIME = time(7, 0)
HALF_DAY_NAMES = {"am": "matin", "pm": "après-midi"}  # (words of the e-mail's French text)


def _todays_dates(today) -> list[SlotDate]:
    return list(
        db.session.scalars(
            sa.select(SlotDate)
            .join(Slot, Slot.id == SlotDate.slot_id)
            .join(Sequence, Sequence.id == Slot.sequence_id)
            .join(TrainingSession, TrainingSession.id == Sequence.session_id)
            .where(
                SlotDate.day == today,
                Sequence.is_prework.is_(False),
                Sequence.status != SequenceStatus.CANCELLED,
                TrainingSession.publication == Publication.PUBLISHED,
                TrainingSession.status != WorkflowStatus.CANCELLED,
            )
            .order_by(SlotDate.id)
        )
    )


def send_signin_links(at: datetime | None = None) -> int:
    """Write today's « Émargement du jour » e-mails due by now; returns how many were written."""
    at = at or signatures.now()
    local = at.astimezone(local_zone())
    written = 0
    for slot_date in _todays_dates(local.date()):
        sequence = slot_date.slot.sequence
        session = sequence.session
        rule = session_rule(session, EmailKind.SIGNIN_LINKS)
        if rule is None or not rule.enabled or local.time() < (rule.send_time or DEFAULT_SEND_TIME):
            continue
        open_halves = [
            half
            for half in covered_half_days(slot_date.start_time, slot_date.end_time)
            if signatures.signing_window(slot_date, half)[1] > at
        ]
        if not open_halves:
            continue
        requests = enrolled_participants(session)
        keys = {
            request.id: outbox.demande_key(
                f"signin-day:{slot_date.id}:{request.id}", request.collaborator.email
            )
            for request in requests
        }
        done = set(
            db.session.scalars(
                sa.select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys.values()))
            )
        )
        for request in requests:
            if keys[request.id] in done:
                continue
            lines = []
            for half in open_halves:
                _link, token = links.issue(
                    LinkPurpose.SIGN_IN,
                    request.collaborator.email,
                    valid_for=signatures.signing_window(slot_date, half)[1] - at,
                    now=at,
                    request_id=request.id,
                    slot_date_id=slot_date.id,
                    half_day=half,
                )
                start, end = half_day_hours(slot_date.start_time, slot_date.end_time, half)
                lines.append(
                    {
                        "half_day": HALF_DAY_NAMES[half.value],
                        "hours": f"de {clock(start)} à {clock(end)}",
                        "url": links.link_url(token),
                    }
                )
            signin = {"day": long_date(slot_date.day), "half_days": lines}
            drafts = compose.messages_for_signin_day(rule, request, sequence, signin)
            written += outbox.queue_messages(
                [
                    draft.message(rule, keys[request.id], request_id=request.id, sequence_id=sequence.id)
                    for draft in drafts
                ]
            )
    db.session.flush()
    return written
