"""The table of the « E-mails » tab: each rule with its values and problems, and under it one line per
sequence with « Date et heure d'estimation d'envoi » (red when past and not sent, green when
upcoming), its state, its recipients, and what may be done with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ...extensions import db
from ...models import (
    Document,
    EmailAnchor,
    EmailKind,
    EmailRule,
    EmailSchedule,
    EmailTemplate,
    ScheduleState,
    Sequence,
    SequenceStatus,
    SessionType,
    TrainingSession,
    WorkflowStatus,
    utcnow,
)
from ...services.documents import document_types, documents_of
from ...services.notifications import (
    SEQUENCE_ANCHORS,
    audience_for,
    due_time,
    field_key,
    grace,
    recipient_kinds,
    recipients,
    rule_texts,
    sequence_gets,
    session_rules,
)
from ...services.notifications import schedule as schedule_service
from ..email_templates import RECIPIENT_LABELS, delay_is_set_per_sequence, has_delay, variable_help
from ..labels import enum_label

RULE_FIELDS = ("enabled", "delay_days", "extra_recipients", "bcc", "subject", "body")

#: Labels of a rule's fields (form and history).

ANCHOR_TEXTS = {
    EmailAnchor.ENROLMENT: _l("Sent to each participant at enrolment."),
    EmailAnchor.CANCELLATION: _l("Sent to each participant when the session is cancelled."),
    EmailAnchor.SIGNIN_DAY: _l(
        "Sent the morning of each date (at its sending time) to each participant, with their own links"
        " to sign its half-days."
    ),
    EmailAnchor.SURVEY: _l(
        "Sent once to each participant who has not answered a survey's link, with a new link"
        " (the delay is in « Paramètres »)."
    ),
    EmailAnchor.REQUEST: _l(
        "Sent for each request waiting for the collaborator's manager: the request with the manager's"
        " link, its reminder, the decision to the training department (delays in « Paramètres »)."
    ),
    EmailAnchor.SEQUENCE_START: _l("Days from the start of each sequence (−7 = 7 days before)."),
    EmailAnchor.SEQUENCE_END: _l("Days from the end of each sequence (60 = 60 days after)."),
}

LATE = "text-danger ta-due-late"
UPCOMING = "text-success ta-due-upcoming"
SENT = "ta-due-sent"
OFF = "text-muted ta-due-off"


@dataclass
class EmailLine:
    """One sequence under one rule: when, in what state, for how many people, and what may be done."""

    sequence: Sequence
    schedule: EmailSchedule | None = None
    due_at: datetime | None = None
    due_class: str = ""
    state: str = ""
    state_key: str = ""
    detail: str = ""
    error: str | None = None
    recipient_count: int | None = None
    note: str | None = None
    can_send_now: bool = False
    can_skip: bool = False
    can_replan: bool = False
    resend: bool = False


@dataclass
class RuleRow:
    rule: EmailRule
    label: str
    anchor_text: str
    recipients_text: str
    values: dict
    errors: dict
    has_delay: bool
    delay_per_sequence: bool
    from_demande: bool
    lines: list[EmailLine] = field(default_factory=list)
    attachments: list[Document] = field(default_factory=list)
    template_attachments: list[Document] = field(default_factory=list)
    variables: list = field(default_factory=list)


def _line(
    rule: EmailRule, sequence: Sequence, row: EmailSchedule | None, session, audience, now
) -> EmailLine:
    line = EmailLine(sequence=sequence, schedule=row)
    if sequence.is_prework:
        line.note = gettext("Calendar event only")
        return line
    if not sequence_gets(rule, sequence, session):
        line.note = gettext("Survey off for this sequence")
        return line
    line.due_at = row.due_at if row is not None else due_time(rule, sequence)
    if line.due_at is None:
        line.note = gettext("No date yet")
        return line
    sending = schedule_service.session_is_sending(session)
    sequence_on = sequence.status != SequenceStatus.CANCELLED
    if row is None:  # a rule that is off has no row: its estimate is shown all the same
        line.state_key = "off"
        line.state = enum_label(ScheduleState.CANCELLED) if not rule.enabled else ""
        line.detail = gettext("E-mail unticked") if not rule.enabled else ""
        line.due_class = OFF
    else:
        line.state_key = row.state.value
        line.state = enum_label(row.state)
        if row.state == ScheduleState.SENT:
            line.due_class = SENT
            line.recipient_count = row.recipient_count
        elif row.state == ScheduleState.CANCELLED:
            line.due_class = OFF
            if row.skipped:
                line.detail = gettext("Not to be sent")
            elif not rule.enabled:
                line.detail = gettext("E-mail unticked")
            elif session.status == WorkflowStatus.CANCELLED:
                line.detail = gettext("Session cancelled")
            elif not sequence_on:
                line.detail = gettext("Sequence cancelled")
            elif session.is_draft:
                line.state_key = "draft"
                line.state = gettext("Waiting for publication")
                line.due_class = LATE if line.due_at < now else UPCOMING
        else:
            if row.state == ScheduleState.FAILED:
                line.error = row.last_error
                line.recipient_count = row.recipient_count or None
            # A planned row just due is being sent (« Envoyer maintenant », the next tick): not late yet.
            late = line.due_at < now - grace() or (row.state != ScheduleState.PLANNED and line.due_at < now)
            line.due_class = LATE if late else UPCOMING
            if row.state == ScheduleState.PLANNED and line.due_at <= now and not late:
                line.state = gettext("Being sent")
        may_send = sending and rule.enabled and sequence_on
        line.can_send_now = may_send and not (row.state == ScheduleState.PLANNED and row.due_at <= now)
        line.resend = row.state == ScheduleState.SENT
        line.can_skip = row.state != ScheduleState.SENT and not row.skipped
        line.can_replan = row.skipped
    if line.recipient_count is None:
        line.recipient_count = len(recipients(rule, audience, sequence))
    return line


def emails_context(session: TrainingSession, posted: dict | None = None, errors: dict | None = None) -> dict:
    """The tab, in a fixed number of queries whatever the number of rules, sequences and people."""
    posted, errors = posted or {}, errors or {}
    now = utcnow()
    rules = session_rules(session)
    rule_ids = [rule.id for rule in rules]
    rows = {
        (row.rule_id, row.sequence_id): row
        for row in (
            db.session.scalars(sa.select(EmailSchedule).where(EmailSchedule.rule_id.in_(rule_ids)))
            if rule_ids
            else ()
        )
    }
    audience = audience_for(session)
    templates = {t.kind: t.id for t in db.session.scalars(sa.select(EmailTemplate))}
    files = documents_of(email_rule_ids=rule_ids, email_template_ids=list(templates.values()))
    by_rule: dict[int, list[Document]] = {}
    by_template: dict[int, list[Document]] = {}
    for document in files:
        if document.email_rule_id is not None:
            by_rule.setdefault(document.email_rule_id, []).append(document)
        else:
            by_template.setdefault(document.email_template_id, []).append(document)
    inter = session.session_type == SessionType.INTER
    table = []
    for rule, text in zip(rules, rule_texts(rules), strict=True):
        values = {name: getattr(rule, name) for name in RULE_FIELDS}
        values["subject"], values["body"] = text.subject, text.body
        values["extra_recipients"] = values["extra_recipients"] or ""
        values["bcc"] = values["bcc"] or ""
        if rule.id in posted:
            values.update(posted[rule.id])
        row = RuleRow(
            rule=rule,
            label=enum_label(rule.kind),
            anchor_text=str(ANCHOR_TEXTS[rule.anchor]),
            recipients_text=", ".join(str(RECIPIENT_LABELS[k]) for k in recipient_kinds(rule.recipients)),
            values=values,
            errors={
                name: errors[field_key(rule.id, name)]
                for name in RULE_FIELDS
                if field_key(rule.id, name) in errors
            },
            has_delay=has_delay(rule.kind, rule.anchor),
            delay_per_sequence=delay_is_set_per_sequence(rule.kind),
            from_demande=inter and rule.kind == EmailKind.CONVOCATION,
            attachments=by_rule.get(rule.id, []),
            template_attachments=by_template.get(templates.get(rule.kind), []),
            variables=variable_help(rule.kind, rule.anchor),
        )
        if rule.anchor in SEQUENCE_ANCHORS and not row.from_demande:
            row.lines = [
                _line(rule, sequence, rows.get((rule.id, sequence.id)), session, audience, now)
                for sequence in audience.sequences
            ]
        table.append(row)
    return {
        "email_rows": table,
        "email_errors": errors,
        "email_document_types": document_types(),
        "emails_back_url": None,
        "email_participants": len(audience.participants),
    }


def _text(value) -> str:
    return value if isinstance(value, str) else ""
