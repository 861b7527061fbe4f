"""Settling schedules: a prepared schedule whose messages are all handled becomes SENT, or FAILED
with an error of its failed messages.

A fixed number of statements whatever the number of schedules (a send job settles those of its
hundred messages at once): one read of the schedules still to settle, with their rule's kind and
whether their sequence has calendar invitations, then one UPDATE of all those whose messages are
all handled, each by the outcomes of its own messages (500 schedules a statement at most: a tick
may settle thousands). Only a convocation whose sequence holds
invitations reads more: the invitations are brought up to date (`events.on_convocation_sent`).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    CalendarInvitation,
    EmailKind,
    EmailRule,
    EmailSchedule,
    OutboxMessage,
    OutboxState,
    ScheduleState,
    utcnow,
)
from . import events, outbox

SETTLE_CHUNK = 500  # schedules settled by one statement (a tick may settle thousands)


def settle_schedules(schedule_ids: Iterable[int]) -> int:
    """Settle these schedules when their messages are all handled. Returns the messages this
    queued in turn (calendar updates after a convocation)."""
    ids = sorted(set(schedule_ids))
    return sum(_settle(ids[start : start + SETTLE_CHUNK]) for start in range(0, len(ids), SETTLE_CHUNK))


def _settle(ids: list[int]) -> int:
    armed = db.session.execute(
        sa.select(
            EmailSchedule.id,
            EmailSchedule.rule_id,
            EmailSchedule.sequence_id,
            EmailSchedule.due_at,
            EmailRule.kind,
            sa.exists()
            .where(
                CalendarInvitation.sequence_id == EmailSchedule.sequence_id,
                CalendarInvitation.cancelled.is_(False),
            )
            .label("invited"),
        )
        .join(EmailRule, EmailRule.id == EmailSchedule.rule_id)
        .where(
            EmailSchedule.id.in_(ids),
            EmailSchedule.state == ScheduleState.PLANNED,
            EmailSchedule.prepared_at.is_not(None),
        )
    ).all()
    if not armed:
        return 0
    settled = db.session.execute(
        _settle_statement(
            {row.id: outbox.scheduled_prefix(row.rule_id, row.sequence_id, row.due_at) for row in armed}
        ),
        execution_options={"synchronize_session": "fetch"},
    ).all()
    invited = {row.id for row in armed if row.kind == EmailKind.CONVOCATION and row.invited}
    follow_ups = 0
    for schedule_id, state in settled:
        if state == ScheduleState.SENT and schedule_id in invited:
            follow_ups += events.on_convocation_sent(db.session.get(EmailSchedule, schedule_id))
    return follow_ups


def _settle_statement(prefixes: dict[int, str]):
    """One UPDATE for these schedules: each is settled by its own messages, those whose key starts
    with its arming's prefix (rule × sequence × due time: a schedule armed again for a later time
    is not held by what it wrote before), unless one of them is still pending."""
    # The prefixes are letters, digits and colons (`outbox.scheduled_prefix`): nothing LIKE reads
    # as a wildcard.
    prefix = sa.case(prefixes, value=EmailSchedule.id)
    own = sa.and_(OutboxMessage.schedule_id == EmailSchedule.id, OutboxMessage.dedup_key.startswith(prefix))
    pending = sa.exists().where(own, OutboxMessage.state == OutboxState.PENDING)
    failed = sa.exists().where(own, OutboxMessage.state == OutboxState.FAILED)
    error = (
        sa.select(sa.func.min(OutboxMessage.recipient + " — " + OutboxMessage.error))
        .where(own, OutboxMessage.state == OutboxState.FAILED)
        .scalar_subquery()
    )
    state_type = EmailSchedule.__table__.c.state.type
    return (
        sa.update(EmailSchedule)
        .where(
            EmailSchedule.id.in_(list(prefixes)),
            EmailSchedule.state == ScheduleState.PLANNED,
            EmailSchedule.prepared_at.is_not(None),
            ~pending,
        )
        .values(
            state=sa.case(
                (failed, sa.literal(ScheduleState.FAILED, state_type)),
                else_=sa.literal(ScheduleState.SENT, state_type),
            ),
            sent_at=sa.case(
                (failed, EmailSchedule.sent_at), else_=sa.literal(utcnow(), EmailSchedule.sent_at.type)
            ),
            last_error=error,
        )
        .returning(EmailSchedule.id, EmailSchedule.state)
    )
