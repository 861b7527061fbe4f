"""Demandes (training requests), enrolments, attendance, certification results, survey answers."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .planning import SlotDate
from .reference import Collaborator, Evaluation
from .sessions import TrainingSession
from .types import UTCDateTime, enum_column, sparse_index, utcnow
from .users import User


class RequestStatus(enum.StrEnum):
    PENDING_MANAGER = "pending_manager"
    PENDING_TRAINING = "pending_training"
    VALIDATED = "validated"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class TrainingRequest(db.Model):
    """Demande: one collaborator asking for one session, behind every enrolment."""

    __tablename__ = "training_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id", ondelete="CASCADE"))
    collaborator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collaborator.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, "request_status"), default=RequestStatus.PENDING_MANAGER
    )
    waitlist_position: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(60))
    cancel_details: Mapped[str | None] = mapped_column(sa.Text)
    #: Half-days present, absent and excused on the session's taught dates, as the « Présences »
    #: tab counts them (services/tallies.py keeps them; the reports read them).
    present_half_days: Mapped[int] = mapped_column(default=0, server_default="0")
    absent_half_days: Mapped[int] = mapped_column(default=0, server_default="0")
    excused_half_days: Mapped[int] = mapped_column(default=0, server_default="0")

    session: Mapped[TrainingSession] = relationship()
    collaborator: Mapped[Collaborator] = relationship()
    created_by: Mapped[User | None] = relationship()
    steps: Mapped[list[RequestStep]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestStep.at"
    )

    __table_args__ = (
        sa.UniqueConstraint("session_id", "collaborator_id"),
        sa.Index("ix_training_request_session_id_status", "session_id", "status"),
    )

    def __str__(self) -> str:
        return f"{self.collaborator} — {self.session.code if self.session else ''}"


class RequestStep(db.Model):
    """One step of a demande's validation workflow."""

    __tablename__ = "request_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_request.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(sa.String(254))
    from_status: Mapped[str | None] = mapped_column(sa.String(30))
    to_status: Mapped[str] = mapped_column(sa.String(30))
    comment: Mapped[str | None] = mapped_column(sa.Text)

    request: Mapped[TrainingRequest] = relationship(back_populates="steps")


class HalfDay(enum.StrEnum):
    MORNING = "am"
    AFTERNOON = "pm"


class Presence(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class Attendance(db.Model):
    """Présence of one participant for one half-day of a slot date."""

    __tablename__ = "attendance"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("training_request.id", ondelete="CASCADE"))
    slot_date_id: Mapped[int] = mapped_column(sa.ForeignKey("slot_date.id", ondelete="CASCADE"), index=True)
    half_day: Mapped[HalfDay] = mapped_column(enum_column(HalfDay, "half_day"))
    value: Mapped[Presence] = mapped_column(enum_column(Presence, "presence"))

    request: Mapped[TrainingRequest] = relationship()
    slot_date: Mapped[SlotDate] = relationship()

    __table_args__ = (sa.UniqueConstraint("request_id", "slot_date_id", "half_day"),)


class CertificationResult(db.Model):
    __tablename__ = "certification_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_request.id", ondelete="CASCADE"), unique=True
    )
    obtained: Mapped[bool]
    obtained_on: Mapped[date | None]

    request: Mapped[TrainingRequest] = relationship()


class SurveyKind(enum.StrEnum):
    HOT = "hot"
    COLD = "cold"
    SESSION = "session"


class SurveyResponse(db.Model):
    """Answers of one participant to an evaluation: {question: score}."""

    __tablename__ = "survey_response"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_request.id", ondelete="SET NULL"), index=True
    )
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[SurveyKind] = mapped_column(
        enum_column(SurveyKind, "survey_kind"), default=SurveyKind.SESSION
    )
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: The sequence whose hot or cold survey this answers (a survey sent per sequence).
    sequence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sequence.id", ondelete="SET NULL"))
    #: The participant's free-text comment.
    comment: Mapped[str | None] = mapped_column(sa.Text)
    #: When it was received; only the day for an anonymous response (the time could name the person).
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    evaluation: Mapped[Evaluation] = relationship()

    __table_args__ = (sparse_index("survey_response", "sequence_id"),)


class SurveyScore(db.Model):
    """The numbers answered to one question of one survey kind in one session: how many and their
    sum, from the session's responses (services/tallies.py keeps them; the reports read them)."""

    __tablename__ = "survey_score"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SurveyKind] = mapped_column(enum_column(SurveyKind, "survey_kind"))
    question: Mapped[str] = mapped_column(sa.Text)
    answers: Mapped[int]
    total: Mapped[Decimal] = mapped_column(sa.Numeric)


class SurveyTally(db.Model):
    """Per session and survey kind: the responses received, and the enrolled participants' surveys
    sent by link (one per participant, and per sequence for hot and cold surveys) and answered
    (services/tallies.py keeps them; the reports read them)."""

    __tablename__ = "survey_tally"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SurveyKind] = mapped_column(enum_column(SurveyKind, "survey_kind"))
    responses: Mapped[int] = mapped_column(default=0)
    invited: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
