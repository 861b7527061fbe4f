"""The demo sessions' e-mail rules, with a plausible past: what was due before today was sent."""

from __future__ import annotations

import sqlalchemy as sa

from ...extensions import db
from ...models import EmailRule, EmailSchedule, ScheduleState, TrainingSession
from ..notifications.recipients import audience_for, recipients
from ..notifications.rules import copy_rules
from .context import Context


def give_email_rules(context: Context, session: TrainingSession) -> None:
    """The session's own rules from the templates; rows due before the demo's now show as sent."""
    copy_rules(session, now=context.now)
    rows = db.session.scalars(
        sa.select(EmailSchedule)
        .join(EmailRule, EmailRule.id == EmailSchedule.rule_id)
        .where(
            EmailRule.session_id == session.id,
            EmailSchedule.state.in_((ScheduleState.PLANNED, ScheduleState.MISSED)),
            EmailSchedule.due_at <= context.now,
        )
    ).all()
    if not rows:
        return
    audience = audience_for(session)
    sequences = {sequence.id: sequence for sequence in audience.sequences}
    for row in rows:
        row.state = ScheduleState.SENT
        row.sent_at = row.prepared_at = row.due_at
        row.recipient_count = len(recipients(row.rule, audience, sequences.get(row.sequence_id)))
    db.session.flush()
