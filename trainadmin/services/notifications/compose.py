"""What a due schedule (or an event) says and to whom: one draft per recipient, rendered from the
rule's text (its own or its template's: `rule_texts`) with the variables of `render`, with the
rule's and its template's attachments.

A template that cannot be compiled raises `TemplateProblem`: the caller marks that schedule (or
that event's message) failed. A message that cannot be rendered (an unknown variable, or over its
budget of time or size) is a draft with an `error`: the caller writes it as a failed message and
the others go out. After `MAX_OVERRUNS` renderings over their time budget, the rule's remaining
messages fail at once: a template that loops too long for two recipients holds no worker for a
hundred.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import (
    Document,
    EmailAnchor,
    EmailRule,
    EmailSchedule,
    EmailTemplate,
    OutboxState,
    TrainingRequest,
    WorkflowStatus,
)
from . import outbox
from .mail_headers import one_line
from .recipients import Audience, audience_for, bcc_addresses, recipients
from .render import TemplateProblem, compile_template, render_template
from .render_budget import RenderBudgetExceeded
from .rule_texts import rule_text
from .survey_urls import survey_urls
from .variables import context_for, session_variables

#: Renderings of one rule over their time budget before its remaining messages fail unrendered.
MAX_OVERRUNS = 2

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
    error: str | None = None

    def failure(self) -> dict:
        """The outbox columns of a message that cannot go: FAILED, with its error."""
        return {"state": OutboxState.FAILED, "error": self.error} if self.error else {}

    def message(self, rule: EmailRule, dedup_key: str, **columns) -> dict:
        """The outbox row of this draft of `rule` (`outbox.queue_messages`), under `dedup_key`;
        `columns`: the others it carries (request_id, sequence_id…)."""
        return {
            "dedup_key": dedup_key,
            "kind": rule.kind.value,
            "recipient": self.recipient,
            "subject": self.subject,
            "body": self.body,
            "bcc": self.bcc,
            "session_id": rule.session_id,
            "rule_id": rule.id,
            "attachment_ids": self.attachment_ids,
            **columns,
            **self.failure(),
        }


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
    rule: EmailRule,
    audience: Audience,
    sequence=None,
    only_request: TrainingRequest | None = None,
    demande: dict | None = None,
    key_for: Callable[[str], str] | None = None,
    survey_kind=None,
    signin: dict | None = None,
) -> list[Draft]:
    """`key_for(address)`: the outbox key of the message to that address (a scheduled e-mail);
    `survey_kind`: the survey a reminder's link is for."""
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
    text = rule_text(rule)
    subject_template = compile_template(text.subject, "subject")
    body_template = compile_template(text.body, "body")
    files = attachment_ids(rule)
    links = survey_urls(rule, text, people, sequence, key_for, survey_kind)
    drafts = []
    overruns, last_overrun = 0, None
    for person in people:
        survey_url = links.get(person.request_id, "") if person.kind == "participants" else ""
        draft = Draft(
            recipient=person.email,
            subject=one_line(text.subject)[:250],
            body="",
            # A personal link goes to its participant only: no copy of it to the rule's BCC.
            bcc=None if survey_url else ", ".join(bcc_addresses(rule, excluding=[person.email])) or None,
            request_id=person.request_id,
            attachment_ids=list(files),
        )
        drafts.append(draft)
        if overruns >= MAX_OVERRUNS:
            draft.error = last_overrun
            continue
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
            demande=demande,
            survey_url=survey_url,
            signin=signin,
        )
        try:
            draft.subject = one_line(render_template(subject_template, context, "subject"))[:250]
            draft.body = render_template(body_template, context, "body").strip() + "\n"
        except TemplateProblem as exc:
            draft.error = _failure(exc)
            budget = exc.__cause__
            if isinstance(budget, RenderBudgetExceeded) and budget.kind == "time":
                overruns, last_overrun = overruns + 1, draft.error
    return drafts


def _failure(problem: TemplateProblem) -> str:
    """A rendering's problem as the failed message shows it: which part, and why."""
    part = {"subject": gettext("Subject"), "body": gettext("Body")}.get(problem.field or "")
    return gettext("%(part)s: %(problem)s", part=part, problem=problem.message) if part else problem.message


def messages_for_schedule(schedule: EmailSchedule, audience: Audience | None = None) -> list[Draft]:
    """The drafts of one due schedule (rule × sequence). `audience` may be given when several
    schedules of one session are prepared together."""
    rule = schedule.rule
    audience = audience or audience_for(rule.session)
    sequence = next((s for s in audience.sequences if s.id == schedule.sequence_id), None)
    if sequence is None:
        return []
    return _drafts(
        rule,
        audience,
        sequence,
        key_for=lambda email: outbox.scheduled_key(rule.id, schedule.sequence_id, schedule.due_at, email),
    )


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


def messages_for_survey_reminder(
    rule: EmailRule, request: TrainingRequest, survey_kind, sequence
) -> list[Draft]:
    """The reminder of one survey to one participant, with a new personal link (`survey_url`)."""
    if not rule.enabled or rule.anchor != EmailAnchor.SURVEY:
        return []
    audience = audience_for(rule.session)
    return _drafts(rule, audience, sequence, only_request=request, survey_kind=survey_kind)


def messages_for_signin_day(rule: EmailRule, request: TrainingRequest, sequence, signin: dict) -> list[Draft]:
    """The morning's e-mail of one date to one participant: their links to sign its half-days."""
    if not rule.enabled or rule.anchor != EmailAnchor.SIGNIN_DAY:
        return []
    return _drafts(rule, audience_for(rule.session), sequence, only_request=request, signin=signin)


def messages_for_demande(rule: EmailRule, request: TrainingRequest, demande: dict) -> list[Draft]:
    """The drafts of a demande's e-mail to its collaborator's manager (or of the manager's decision
    to the training department), with the demande's variables (its link among them)."""
    if not rule.enabled or rule.anchor != EmailAnchor.REQUEST:
        return []
    return _drafts(rule, audience_for(rule.session), None, only_request=request, demande=demande)
