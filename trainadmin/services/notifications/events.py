"""What enrolments, cancellations and sent convocations trigger: e-mails of the session's
event-anchored rules, written to the outbox, and calendar invitations.

The services call these after their own work, inside the same transaction; once it is committed the
dispatcher is woken (see wake.py). What no longer applies (a cancelled session, sequence or
enrolment) is taken out of the outbox before it goes. A rule whose template fails here leaves a
FAILED outbox row with the error (shown in « E-mails envoyés » and on the dashboard) and never
blocks the enrolment itself.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    EmailAnchor,
    EmailRule,
    EmailSchedule,
    OutboxState,
    Publication,
    RequestStatus,
    Sequence,
    TrainingRequest,
    TrainingSession,
    WorkflowStatus,
)
from . import calendar, compose, outbox
from .default_rules import own_rules
from .outcomes import INFRASTRUCTURE_ERRORS
from .rule_texts import rule_text
from .sending import describe

log = logging.getLogger(__name__)

#: Who hears of a cancelled session: the enrolled and those waiting for a seat.
TOLD_OF_CANCELLATION = (RequestStatus.ENROLLED, RequestStatus.WAITLISTED)


def on_enrolment(request: TrainingRequest) -> int:
    """A seat was taken (enrolment, validation, promotion from the waiting list): the enrolment
    confirmation and the calendar invitations. Returns the messages queued."""
    session = request.session
    queued = 0
    if request.status == RequestStatus.ENROLLED and _sends(session):
        for rule in _event_rules(session, EmailAnchor.ENROLMENT):
            queued += _queue_event(rule, request)
    return queued + calendar.invite(request)


def on_enrolment_cancelled(request: TrainingRequest) -> int:
    """The demande was cancelled: what was written for it and not sent yet is cancelled, and so are
    its calendar invitations."""
    outbox.cancel_pending(request_id=request.id)
    return calendar.cancel(request=request)


def on_sequence_cancelled(sequence: Sequence) -> int:
    """A sequence turned « Annulée », or about to be deleted: its e-mails not sent yet are cancelled
    and its attendees get a METHOD:CANCEL."""
    outbox.cancel_pending(sequence_id=sequence.id)
    return calendar.cancel(sequence=sequence)


def on_session_cancelled(session: TrainingSession) -> int:
    """The session was cancelled: the cancellation e-mail to each participant (a draft too: a
    cancellation is the one e-mail a draft sends), and every invitation cancelled."""
    outbox.cancel_pending(session_id=session.id)
    queued = 0
    rules = _event_rules(session, EmailAnchor.CANCELLATION)
    if rules:
        requests = db.session.scalars(
            sa.select(TrainingRequest)
            .where(
                TrainingRequest.session_id == session.id,
                TrainingRequest.status.in_(TOLD_OF_CANCELLATION),
            )
            .order_by(TrainingRequest.id)
        ).all()
        for rule in rules:
            for request in requests:
                queued += _queue_event(rule, request)
    return queued + calendar.cancel(session=session)


def on_convocation_sent(schedule: EmailSchedule) -> int:
    """A sequence's convocation went out: its invitations are brought up to date and sent when
    their content changed."""
    session = schedule.rule.session
    sequence_ids = [schedule.sequence_id] if schedule.sequence_id is not None else None
    return calendar.refresh_invitations(session, notify=True, sequence_ids=sequence_ids)


def _sends(session: TrainingSession) -> bool:
    """Drafts and cancelled sessions send nothing but cancellations."""
    return session.publication == Publication.PUBLISHED and session.status != WorkflowStatus.CANCELLED


def _event_rules(session: TrainingSession, anchor: EmailAnchor) -> list[EmailRule]:
    own_rules(session)
    return list(
        db.session.scalars(
            sa.select(EmailRule)
            .where(EmailRule.session_id == session.id, EmailRule.anchor == anchor, EmailRule.enabled)
            .order_by(EmailRule.id)
        )
    )


def _queue_event(rule: EmailRule, request: TrainingRequest) -> int:
    try:
        with db.session.begin_nested():
            drafts = compose.messages_for_event(rule, request)
            return outbox.queue_messages(
                [
                    draft.message(
                        rule, outbox.event_key(rule.id, request.id, draft.recipient), request_id=request.id
                    )
                    for draft in drafts
                ]
            )
    except INFRASTRUCTURE_ERRORS:
        raise
    except Exception as exc:  # the template: visible as a failed message, the enrolment goes on
        log.warning("notifications: rule %s for demande %s cannot be written: %s", rule.id, request.id, exc)
        recipient = request.collaborator.email or ""
        message = outbox.queue_message(
            dedup_key=outbox.event_key(rule.id, request.id, recipient),
            kind=rule.kind.value,
            recipient=recipient,
            subject=rule_text(rule).subject,
            body="",
            session_id=rule.session_id,
            rule_id=rule.id,
            request_id=request.id,
        )
        if message is not None:
            message.state = OutboxState.FAILED
            message.error = describe(exc)
            db.session.flush()
        return 0
