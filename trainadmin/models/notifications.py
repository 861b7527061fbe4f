"""E-mail rules, their schedule per sequence, the outbox ledger and calendar invitations."""

from __future__ import annotations

import enum
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .planning import Sequence
from .sessions import TrainingSession
from .types import UTCDateTime, enum_column, utcnow


class EmailKind(enum.StrEnum):
    ENROLMENT = "enrolment"
    CONVOCATION = "convocation"
    TRAINER_FILE = "trainer_file"
    ORGANISATION = "organisation"
    LOCATION = "location"
    REMINDER = "reminder"
    HOT_SURVEY = "hot_survey"
    COLD_SURVEY = "cold_survey"
    CANCELLATION = "cancellation"
    MANAGER_REQUEST = "manager_request"
    MANAGER_REMINDER = "manager_reminder"
    MANAGER_DECISION = "manager_decision"
    SURVEY_REMINDER = "survey_reminder"
    SIGNIN_LINKS = "signin_links"


class EmailAnchor(enum.StrEnum):
    ENROLMENT = "enrolment"
    SEQUENCE_START = "sequence_start"
    SEQUENCE_END = "sequence_end"
    CANCELLATION = "cancellation"
    #: A demande waiting for the collaborator's manager: the request, its reminder, the decision.
    REQUEST = "request"
    #: A participant who has not answered a survey sent with a link.
    SURVEY = "survey"
    #: The morning of each date: each participant's links to sign its half-days.
    SIGNIN_DAY = "signin_day"


class EmailTemplate(db.Model):
    """Global default of one kind of e-mail; each session gets its own EmailRule made from it."""

    __tablename__ = "email_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EmailKind] = mapped_column(enum_column(EmailKind, "email_kind"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    subject: Mapped[str] = mapped_column(sa.String(250))
    body: Mapped[str] = mapped_column(sa.Text)
    recipients: Mapped[str] = mapped_column(sa.String(120), default="participants")
    anchor: Mapped[EmailAnchor] = mapped_column(enum_column(EmailAnchor, "email_anchor"))
    delay_days: Mapped[int] = mapped_column(default=0)
    send_time: Mapped[time | None]
    enabled: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.CheckConstraint("delay_days BETWEEN -365 AND 365", name="delay"),)

    def __str__(self) -> str:
        return self.name


class EmailRule(db.Model):
    """A session's own e-mail of one kind, made from its template and editable per session.

    A NULL subject or body reads the template's (services/notifications/rule_texts.py); before a
    template's text changes, its former text is written into the rules that read it."""

    __tablename__ = "email_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id", ondelete="CASCADE"))
    kind: Mapped[EmailKind] = mapped_column(enum_column(EmailKind, "email_kind"))
    enabled: Mapped[bool] = mapped_column(default=True)
    anchor: Mapped[EmailAnchor] = mapped_column(enum_column(EmailAnchor, "email_anchor"))
    delay_days: Mapped[int] = mapped_column(default=0)
    send_time: Mapped[time | None]
    recipients: Mapped[str] = mapped_column(sa.String(120), default="participants")
    extra_recipients: Mapped[str | None] = mapped_column(sa.Text)
    bcc: Mapped[str | None] = mapped_column(sa.Text)
    subject: Mapped[str | None] = mapped_column(sa.String(250))
    body: Mapped[str | None] = mapped_column(sa.Text)

    session: Mapped[TrainingSession] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("session_id", "kind"),
        sa.CheckConstraint("delay_days BETWEEN -365 AND 365", name="delay"),
    )


class ScheduleState(enum.StrEnum):
    PLANNED = "planned"
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"
    CANCELLED = "cancelled"


class EmailSchedule(db.Model):
    """When one rule is due for one sequence; the dispatcher reads only due rows."""

    __tablename__ = "email_schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("email_rule.id", ondelete="CASCADE"))
    sequence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sequence.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[ScheduleState] = mapped_column(
        enum_column(ScheduleState, "schedule_state"), default=ScheduleState.PLANNED
    )
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: When its messages were written to the outbox (once: the outbox then forbids a second send).
    prepared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recipient_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: « Ne pas envoyer »: the user chose not to send it; recomputing the schedule keeps that choice.
    skipped: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    rule: Mapped[EmailRule] = relationship()
    sequence: Mapped[Sequence | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("rule_id", "sequence_id"),
        sa.Index("ix_email_schedule_state_due_at", "state", "due_at"),
    )


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    KEPT = "kept"
    #: Written, then no longer applicable before it went (its session, sequence or enrolment was
    #: cancelled, its dates changed, a newer version replaced it): never sent.
    CANCELLED = "cancelled"


class OutboxMessage(db.Model):
    """One message to one recipient, written before sending: the ledger that forbids a second send."""

    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="SET NULL"), index=True
    )
    schedule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("email_schedule.id", ondelete="SET NULL"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("email_rule.id", ondelete="SET NULL"), index=True
    )
    sequence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sequence.id", ondelete="SET NULL"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_request.id", ondelete="SET NULL"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("calendar_invitation.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    bcc: Mapped[str | None] = mapped_column(sa.Text)
    subject: Mapped[str] = mapped_column(sa.String(250))
    body: Mapped[str] = mapped_column(sa.Text)
    calendar: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: Ids of the documents attached to the message.
    attachment_ids: Mapped[list | None] = mapped_column(sa.JSON)
    #: Set by the worker that is sending it; a claim older than the job timeout may be taken over.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who holds the claim (the RQ job's id, or one inline run): a retry of that job takes its rows
    #: back at once, and a claim left with no outcome is « in doubt » for whoever takes it next.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[TrainingSession | None] = relationship()

    __table_args__ = (sa.Index("ix_outbox_message_state_created_at", "state", "created_at"),)


class CalendarInvitation(db.Model):
    """The invitation of one participant to one sequence: stable UID, rising SEQUENCE."""

    __tablename__ = "calendar_invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequence.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_request.id", ondelete="CASCADE"), index=True
    )
    uid: Mapped[str] = mapped_column(sa.String(120), unique=True)
    sequence_number: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("sequence_id", "request_id"),)
