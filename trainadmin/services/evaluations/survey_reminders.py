"""« Relance enquête »: a participant who has not answered a survey sent with a personal link gets
one reminder `survey_reminder_days` after the link (« Paramètres › Organisation »; 0: none), with a
new link (the previous one then says « remplacé »). Anonymous surveys get none: their link is spent
when the answer arrives, and nothing says who has not answered."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from ...extensions import db
from ...models import AccessLink, EmailKind, LinkPurpose, RequestStatus, TrainingRequest
from ...models.types import utcnow
from ..notifications import compose, outbox
from ..notifications.rules import session_rule
from ..organisation import current_settings


def reminder_days() -> int:
    settings = current_settings()
    return settings.survey_reminder_days if settings is not None else 5


def _mark_reminded(link: AccessLink, now: datetime) -> None:
    """The survey's links for this participant, the new one included: reminded (once is enough)."""
    table = AccessLink.__table__
    db.session.execute(
        table.update()
        .where(
            table.c.purpose == LinkPurpose.SURVEY,
            table.c.request_id == link.request_id,
            table.c.survey_kind == link.survey_kind,
            table.c.sequence_id.is_(None)
            if link.sequence_id is None
            else table.c.sequence_id == link.sequence_id,
            table.c.reminded_at.is_(None),
        )
        .values(reminded_at=now)
    )


def remind_surveys(now: datetime | None = None) -> int:
    """The periodic job: one reminder per participant and survey left unanswered. Returns how many
    reminders were written; running it again writes none."""
    now = now or utcnow()
    days = reminder_days()
    if days <= 0:
        return 0
    due = db.session.scalars(
        sa.select(AccessLink)
        .join(TrainingRequest, TrainingRequest.id == AccessLink.request_id)
        .where(
            AccessLink.purpose == LinkPurpose.SURVEY,
            AccessLink.used_at.is_(None),
            AccessLink.revoked_at.is_(None),
            AccessLink.reminded_at.is_(None),
            sa.or_(AccessLink.expires_at.is_(None), AccessLink.expires_at > now),
            AccessLink.created_at <= now - timedelta(days=days),
            TrainingRequest.status == RequestStatus.ENROLLED,
        )
        .order_by(AccessLink.id)
        .with_for_update(skip_locked=True, of=AccessLink)
    ).all()
    written = 0
    for link in due:
        request = link.request
        rule = session_rule(request.session, EmailKind.SURVEY_REMINDER)
        drafts = compose.messages_for_survey_reminder(rule, request, link.survey_kind, link.sequence)
        key = f"survey-reminder:{link.id}"
        written += outbox.queue_messages(
            [
                draft.message(
                    rule,
                    outbox.demande_key(key, draft.recipient),
                    request_id=request.id,
                    sequence_id=link.sequence_id,
                )
                for draft in drafts
            ]
        )
        _mark_reminded(link, now)
    db.session.flush()
    return written
