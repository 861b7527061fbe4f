"""The demo's e-mails: each session's rules with a plausible past (what was due before today shows
as sent), and the enrolment confirmations its participants got, kept in the outbox (the demo has no
mail server), as « E-mails envoyés » shows them."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    EmailRule,
    EmailSchedule,
    OutboxMessage,
    OutboxState,
    Publication,
    RequestStatus,
    ScheduleState,
    TrainingRequest,
    TrainingSession,
)
from ..services.notifications import audience_for, copy_rules, recipients
from .context import Context

SUBJECT = "Confirmation d'inscription — {label}"
BODY = (
    "Bonjour {first_name},\n\n"
    "Votre inscription à la session « {label} » ({code}) est confirmée. Vous recevrez votre "
    "convocation avec le programme, les lieux et les horaires quelques jours avant le début.\n\n"
    "Le service formation"
)


def create_outbox(context: Context) -> None:
    """One kept confirmation per enrolled participant of the published sessions, at enrolment."""
    requests = db.session.scalars(
        sa.select(TrainingRequest)
        .join(TrainingSession, TrainingSession.id == TrainingRequest.session_id)
        .where(
            TrainingSession.publication == Publication.PUBLISHED,
            TrainingRequest.status == RequestStatus.ENROLLED,
        )
        .order_by(TrainingRequest.created_at, TrainingRequest.id)
    ).all()
    for request in requests:
        session, collaborator = request.session, request.collaborator
        db.session.add(
            OutboxMessage(
                dedup_key=f"demo:req:{request.id}:to:{collaborator.email.lower()}",
                session_id=session.id,
                request_id=request.id,
                kind="enrolment",
                recipient=collaborator.email,
                subject=SUBJECT.format(label=session.label)[:250],
                body=BODY.format(first_name=collaborator.first_name, label=session.label, code=session.code),
                state=OutboxState.KEPT,
                attempts=0,
                created_at=request.created_at,
            )
        )


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
