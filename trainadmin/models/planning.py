"""Séquences, créneaux and their dates."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .reference import Evaluation, Location, Room, TeachingMode, Trainer, TrainingOrganisation
from .sessions import TrainingSession
from .types import UTCDateTime, enum_column, sparse_index, utcnow


class SequenceStatus(enum.StrEnum):
    PLANNED = "planned"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    EXTERNAL = "external"


class Sequence(db.Model):
    __tablename__ = "sequence"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))
    teaching_mode_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teaching_mode.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[SequenceStatus] = mapped_column(
        enum_column(SequenceStatus, "sequence_status"), default=SequenceStatus.PLANNED
    )
    is_prework: Mapped[bool] = mapped_column(default=False)

    hot_survey_enabled: Mapped[bool] = mapped_column(default=False)
    hot_survey_evaluation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation.id", ondelete="SET NULL")
    )
    hot_survey_delay_days: Mapped[int] = mapped_column(default=0)
    cold_survey_enabled: Mapped[bool] = mapped_column(default=False)
    cold_survey_evaluation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation.id", ondelete="SET NULL")
    )
    cold_survey_delay_days: Mapped[int] = mapped_column(default=60)

    start_date: Mapped[date | None]
    end_date: Mapped[date | None]

    session: Mapped[TrainingSession] = relationship(back_populates="sequences")
    teaching_mode: Mapped[TeachingMode | None] = relationship()
    hot_survey_evaluation: Mapped[Evaluation | None] = relationship(foreign_keys=[hot_survey_evaluation_id])
    cold_survey_evaluation: Mapped[Evaluation | None] = relationship(foreign_keys=[cold_survey_evaluation_id])
    slots: Mapped[list[Slot]] = relationship(
        back_populates="sequence", cascade="all, delete-orphan", order_by="Slot.id"
    )

    __table_args__ = (
        sa.Index("ix_sequence_session_id_position", "session_id", "position"),
        sparse_index("sequence", "hot_survey_evaluation_id"),
        sparse_index("sequence", "cold_survey_evaluation_id"),
        sa.CheckConstraint("hot_survey_delay_days BETWEEN -365 AND 365", name="hot_delay"),
        sa.CheckConstraint("cold_survey_delay_days BETWEEN -365 AND 365", name="cold_delay"),
    )

    def __str__(self) -> str:
        return self.label


slot_trainer = sa.Table(
    "slot_trainer",
    db.metadata,
    sa.Column("slot_id", sa.ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("trainer_id", sa.ForeignKey("trainer.id", ondelete="RESTRICT"), primary_key=True),
    sa.Index("ix_slot_trainer_trainer_id", "trainer_id"),
)


class Slot(db.Model):
    """Créneau: where, who, and one or more dates with the same hours."""

    __tablename__ = "slot"
    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequence.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("location.id", ondelete="RESTRICT"), index=True
    )
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id", ondelete="RESTRICT"), index=True)
    co_trainer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trainer.id", ondelete="SET NULL"))
    host_name: Mapped[str | None] = mapped_column(sa.String(120))
    host_email: Mapped[str | None] = mapped_column(sa.String(254))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_organisation.id", ondelete="SET NULL")
    )
    organisation_comment: Mapped[str | None] = mapped_column(sa.Text)
    location_comment: Mapped[str | None] = mapped_column(sa.Text)
    trainer_comment: Mapped[str | None] = mapped_column(sa.Text)
    duration_days: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 1))
    duration_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))

    sequence: Mapped[Sequence] = relationship(back_populates="slots")
    location: Mapped[Location | None] = relationship()
    room: Mapped[Room | None] = relationship()
    co_trainer: Mapped[Trainer | None] = relationship(foreign_keys=[co_trainer_id])
    organisation: Mapped[TrainingOrganisation | None] = relationship()
    trainers: Mapped[list[Trainer]] = relationship(secondary=slot_trainer)
    dates: Mapped[list[SlotDate]] = relationship(
        back_populates="slot", cascade="all, delete-orphan", order_by="SlotDate.day"
    )

    __table_args__ = (
        sparse_index("slot", "co_trainer_id"),
        sparse_index("slot", "organisation_id"),
        sa.CheckConstraint("duration_days IS NULL OR duration_days >= 0", name="duration_days_positive"),
        sa.CheckConstraint("duration_hours IS NULL OR duration_hours >= 0", name="duration_hours_positive"),
    )

    def __str__(self) -> str:
        days = ", ".join(d.day.strftime("%d/%m/%Y") for d in self.dates)
        return days or "—"


class SlotDate(db.Model):
    """One day of a slot, in the local time of the place."""

    __tablename__ = "slot_date"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Its index is the unique (slot_id, day): no second index on slot_id alone.
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="CASCADE"))
    day: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    break_minutes: Mapped[int] = mapped_column(default=0)
    #: Enrolled participants present at least one half-day of this date; None while no attendance
    #: is recorded for it (services/tallies.py keeps it; the reports read it).
    present_participants: Mapped[int | None]
    #: What the date books, copied from its slot, sequence and session so that the « Planning »
    #: calendar reads a range of days from one index (services/planning/date_state.py keeps them):
    #: the slot's room, and whether its sequence or session is cancelled (a cancelled date books
    #: nothing). Its trainers are in `trainer_booking`.
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id", ondelete="SET NULL"))
    cancelled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    slot: Mapped[Slot] = relationship(back_populates="dates")

    __table_args__ = (
        sa.CheckConstraint("end_time > start_time", name="time_range"),
        sa.CheckConstraint("break_minutes >= 0", name="break_positive"),
        sa.UniqueConstraint("slot_id", "day"),
        # Conflict checks look dates up by day, then their slot and hours, without reading the table.
        sa.Index("ix_slot_date_day_slot_id", "day", "slot_id", postgresql_include=["start_time", "end_time"]),
        # The calendar reads a range of days in the order it shows them, without reading the table.
        sa.Index(
            "ix_slot_date_calendar",
            "day",
            "start_time",
            "id",
            postgresql_include=["end_time", "break_minutes", "slot_id", "room_id", "cancelled"],
        ),
    )

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class TrainerBooking(db.Model):
    """A trainer (or co-trainer) booked on a slot date, with the date's day, hours and state copied:
    the « Planning » calendar finds a trainer's dates of a day, and their clashes, from its index
    (services/planning/date_state.py keeps the rows)."""

    __tablename__ = "trainer_booking"
    slot_date_id: Mapped[int] = mapped_column(
        sa.ForeignKey("slot_date.id", ondelete="CASCADE"), primary_key=True
    )
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("trainer.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    cancelled: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.Index(
            "ix_trainer_booking_day_trainer_id",
            "day",
            "trainer_id",
            postgresql_include=["start_time", "end_time", "cancelled"],
        ),
    )


class SlotChange(db.Model):
    """A change of place or dates on a session with participants, for calendar updates."""

    __tablename__ = "slot_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequence.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slot.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    notify: Mapped[bool] = mapped_column(default=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
