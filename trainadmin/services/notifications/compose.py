"""What a due schedule (or an event) says and to whom: one draft per recipient, rendered from the
rule's templates with the variables of `render`, with the rule's and its template's attachments.

A template that cannot be rendered raises `TemplateProblem`: the caller marks that schedule (or
that event's message) failed with the message, and goes on with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Document,
    EmailAnchor,
    EmailRule,
    EmailSchedule,
    EmailTemplate,
    TrainingRequest,
    WorkflowStatus,
)
from .mail_headers import one_line
from .recipients import Audience, audience_for, bcc_addresses, recipients
from .render import TemplateProblem, compile_template, render_template
from .variables import context_for, session_variables

__all__ = ["Draft", "TemplateProblem", "attachment_ids", "messages_for_event", "messages_for_schedule"]


@dataclass
class Draft:
    """One message to one recipient, ready for the outbox; `bcc` is comma-separated."""

    recipient: str
    subject: str
    body: str
    bcc: str | None = None
    request_id: int | None = None
    attachment_ids: list[int] = field(default_factory=list)


def attachment_ids(rule: EmailRule) -> list[int]:
    """The rule's own files, then those of the global template of its kind (sent with every session's
    e-mail of that kind)."""
    rows = db.session.execute(
        sa.select(Document.id, Document.email_rule_id)
        .outerjoin(EmailTemplate, EmailTemplate.id == Document.email_template_id)
        .where(sa.or_(Document.email_rule_id == rule.id, EmailTemplate.kind == rule.kind))
        .order_by(Document.email_rule_id.is_(None), Document.id)
    ).all()
    return [row.id for row in rows]


def _drafts(
    rule: EmailRule, audience: Audience, sequence=None, only_request: TrainingRequest | None = None
) -> list[Draft]:
    session = audience.session
    people = recipients(rule, audience, sequence, only_request=only_request)
    if not people:
        return []
    slots = audience.slots_by_sequence.get(sequence.id, []) if sequence is not None else audience.all_slots
    shared = session_variables(
        session,
        audience.sequences,
        audience.slots_by_sequence,
        [request.collaborator for request in audience.participants],
    )
    subject_template = compile_template(rule.subject, "subject")
    body_template = compile_template(rule.body, "body")
    files = attachment_ids(rule)
    drafts = []
    for person in people:
        context = context_for(
            rule.kind,
            rule.anchor,
            shared,
            session,
            sequence=sequence,
            slots=slots,
            participant=person.participant,
            recipient_email=person.email,
            recipient_name=person.name,
            with_addresses=person.sees_participant_addresses,
        )
        bcc = bcc_addresses(rule, excluding=[person.email])
        drafts.append(
            Draft(
                recipient=person.email,
                subject=one_line(render_template(subject_template, context, "subject"))[:250],
                body=render_template(body_template, context, "body").strip() + "\n",
                bcc=", ".join(bcc) or None,
                request_id=person.request_id,
                attachment_ids=list(files),
            )
        )
    return drafts


def messages_for_schedule(schedule: EmailSchedule, audience: Audience | None = None) -> list[Draft]:
    """The drafts of one due schedule (rule × sequence). `audience` may be given when several
    schedules of one session are prepared together."""
    rule = schedule.rule
    audience = audience or audience_for(rule.session)
    sequence = next((s for s in audience.sequences if s.id == schedule.sequence_id), None)
    if sequence is None:
        return []
    return _drafts(rule, audience, sequence)


def messages_for_event(rule: EmailRule, request: TrainingRequest) -> list[Draft]:
    """The drafts of an event e-mail (enrolment confirmation, cancellation) for one participant.

    Nothing when the rule is off; an enrolment confirmation is not sent for a draft or cancelled
    session (a cancellation always is, when its rule is on).
    """
    if not rule.enabled or rule.anchor not in (EmailAnchor.ENROLMENT, EmailAnchor.CANCELLATION):
        return []
    session = rule.session
    if rule.anchor == EmailAnchor.ENROLMENT and (
        session.is_draft or session.status == WorkflowStatus.CANCELLED
    ):
        return []
    return _drafts(rule, audience_for(session), None, only_request=request)
