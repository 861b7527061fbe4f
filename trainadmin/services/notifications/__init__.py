"""E-mail notifications and calendar invitations.

- rules.py               the global templates (« Modèles d'e-mails ») and each session's own rules
- rule_texts.py          a rule's subject and body: its own, or its template's (no copy per session)
- defaults.py            the default e-mails' settings; their texts are in templates/emails/defaults/
- schedule.py            when each rule is due for each sequence (EmailSchedule rows), kept up to date
- compose.py             what a due schedule says and to whom (drafts), rendered from the rule's templates
- variables.py           the variables a template sees, built from the planning
- render.py              the sandboxed rendering of a template, and its checks before it is saved
- outbox.py              the ledger: one row per message and recipient, written before sending (never twice)
- delivery.py            the dispatcher tick: due schedules to the outbox, pending messages to the senders
- sending.py             the SMTP sending of outbox rows (claims, one connection per batch, retries)
- mail_message.py        the MIME message of an outbox row (standard library, 7-bit), its envelope
- mail_headers.py        subjects and names as RFC 2047 words that read back exactly as typed
- invitation_html.py     the HTML part of an invitation e-mail (templates/emails/invitation.html)
- places.py              how e-mails and invitations write a place: « Lieu — Salle, adresse »
- calendar.py            calendar invitations per sequence and participant (REQUEST / CANCEL)
- invitation_content.py  what an invitation says: days, places, iCalendar content, the e-mails' wording
- ics.py                 the iCalendar text of one invitation (a recurring series, a VTIMEZONE Outlook reads)
- events.py              what enrolments, cancellations and slot changes trigger"""

from __future__ import annotations

from .calendar import cancel, invite, invite_all, process_slot_changes, refresh_invitations, sync_session
from .compose import Draft, messages_for_event, messages_for_schedule
from .default_rules import ensure_templates, own_rules
from .delivery import dispatch_tick, send_messages
from .events import on_enrolment, on_enrolment_cancelled, on_sequence_cancelled, on_session_cancelled
from .mail_message import message_id
from .outbox import (
    KEY_LENGTH,
    calendar_key,
    cancel_pending,
    event_key,
    queue_message,
    queue_messages,
    scheduled_key,
)
from .recipients import RECIPIENT_KINDS, audience_for, recipient_kinds, recipients
from .rule_texts import RuleText, rule_text, rule_texts
from .rules import (
    check_email_template,
    copy_default_rules,
    copy_rules,
    field_key,
    save_email_template,
    session_rules,
    template_errors,
    update_rule,
    update_rules,
)
from .schedule import (
    due_time,
    grace,
    refresh_schedule,
    replan,
    send_now,
    sequence_gets,
    session_is_sending,
    skip,
)
from .sending import OutgoingMessage, SmtpUnavailable
from .variables import COMMENTS_BY_KIND, SEQUENCE_ANCHORS, SURVEY_EMAILS, SURVEY_URL_KINDS
from .wake import wake_dispatcher

__all__ = [
    "COMMENTS_BY_KIND",
    "Draft",
    "KEY_LENGTH",
    "OutgoingMessage",
    "RECIPIENT_KINDS",
    "RuleText",
    "SEQUENCE_ANCHORS",
    "SURVEY_EMAILS",
    "SURVEY_URL_KINDS",
    "SmtpUnavailable",
    "audience_for",
    "calendar_key",
    "cancel",
    "cancel_pending",
    "check_email_template",
    "copy_default_rules",
    "copy_rules",
    "dispatch_tick",
    "due_time",
    "ensure_templates",
    "own_rules",
    "event_key",
    "field_key",
    "grace",
    "invite",
    "invite_all",
    "message_id",
    "messages_for_event",
    "messages_for_schedule",
    "on_enrolment",
    "on_enrolment_cancelled",
    "on_sequence_cancelled",
    "on_session_cancelled",
    "process_slot_changes",
    "queue_message",
    "queue_messages",
    "recipient_kinds",
    "recipients",
    "refresh_invitations",
    "refresh_schedule",
    "replan",
    "rule_text",
    "rule_texts",
    "save_email_template",
    "scheduled_key",
    "send_messages",
    "send_now",
    "sequence_gets",
    "session_is_sending",
    "session_rules",
    "skip",
    "sync_session",
    "template_errors",
    "update_rule",
    "update_rules",
    "wake_dispatcher",
]
