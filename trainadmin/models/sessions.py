"""The session aggregate: the session itself, its code counter and its history."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .reference import Certification, Dispositif, Evaluation, Population, TrainingOrganisation
from .trainings import SessionType, Training, capacity_checks
from .types import UTCDateTime, enum_column, sparse_index, utcnow
from .users import User

if TYPE_CHECKING:
    from .partners import Partner
    from .planning import Sequence


class Publication(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class WorkflowStatus(enum.StrEnum):
    CREATED = "created"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Origin(enum.StrEnum):
    CREATED = "created"
    DUPLICATED = "duplicated"
    IMPORTED = "imported"


session_population = sa.Table(
    "session_population",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("training_session.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("population_id", sa.ForeignKey("population.id", ondelete="RESTRICT"), primary_key=True),
    sa.Index("ix_session_population_population_id", "population_id"),
)


class SessionCodeCounter(db.Model):
    """Last number given per year: codes are never reused, even after a deletion."""

    __tablename__ = "session_code_counter"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class TrainingSession(db.Model):
    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    year: Mapped[int]  # indexed by (year, id): ix_training_session_year_id
    training_id: Mapped[int] = mapped_column(sa.ForeignKey("training.id", ondelete="RESTRICT"), index=True)
    certification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certification.id", ondelete="SET NULL")
    )
    session_type: Mapped[SessionType] = mapped_column(
        enum_column(SessionType, "session_type"), default=SessionType.INTRA
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_organisation.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(200))
    #: The label in lower case, kept by the database: the list's search reads it with LIKE, which
    #: gives what ILIKE gives on the label without lowering each row it checks (6× faster).
    label_search: Mapped[str | None] = mapped_column(
        sa.String(200), sa.Computed("lower(label)", persisted=True)
    )
    capacity_min: Mapped[int | None]
    capacity_target: Mapped[int | None]
    capacity_max: Mapped[int | None]
    dispositif_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dispositif.id", ondelete="SET NULL"))
    funding_eligible: Mapped[bool] = mapped_column(default=False)
    comments: Mapped[str | None] = mapped_column(sa.Text)

    publication: Mapped[Publication] = mapped_column(
        enum_column(Publication, "publication"), default=Publication.DRAFT, index=True
    )
    status: Mapped[WorkflowStatus] = mapped_column(
        enum_column(WorkflowStatus, "workflow_status"), default=WorkflowStatus.CREATED, index=True
    )
    evaluation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evaluation.id", ondelete="SET NULL"))
    convocation_comment: Mapped[str | None] = mapped_column(sa.Text)
    organisation_comment: Mapped[str | None] = mapped_column(sa.Text)
    calendar_invitations: Mapped[bool] = mapped_column(default=True)
    # No e-mail rules of its own yet: the default ones (« Modèles d'e-mails ») are copied when it
    # needs them (services/notifications/default_rules.py). An import's drafts start so.
    emails_follow_defaults: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)

    # Dates given before any slot exists (the duplicate wizard's « Date de début / de fin »).
    planned_start_date: Mapped[date | None]
    planned_end_date: Mapped[date | None]
    # Derived from the slots by the planning service (the planned dates while there is no slot);
    # stored so lists need no extra query.
    start_date: Mapped[date | None] = mapped_column(index=True)
    end_date: Mapped[date | None] = mapped_column(index=True)
    duration_days: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1), default=0)
    duration_hours: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2), default=0)
    sequence_count: Mapped[int] = mapped_column(default=0)
    enrolled_count: Mapped[int] = mapped_column(default=0)

    origin: Mapped[Origin] = mapped_column(enum_column(Origin, "session_origin"), default=Origin.CREATED)
    duplicated_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="SET NULL")
    )
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner.id", ondelete="SET NULL"))
    external_ref: Mapped[str | None] = mapped_column(sa.String(120))
    missing_from_feed: Mapped[bool] = mapped_column(default=False)
    # The digest of the feed's rows this session was last imported from or checked against; cleared
    # by any change recorded in its history, so that the next import compares it again.
    import_digest: Mapped[str | None] = mapped_column(sa.String(64))

    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    training: Mapped[Training] = relationship()
    certification: Mapped[Certification | None] = relationship()
    organisation: Mapped[TrainingOrganisation | None] = relationship()
    dispositif: Mapped[Dispositif | None] = relationship()
    evaluation: Mapped[Evaluation | None] = relationship()
    populations: Mapped[list[Population]] = relationship(secondary=session_population)
    duplicated_from: Mapped[TrainingSession | None] = relationship(remote_side=[id])
    partner: Mapped[Partner | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    sequences: Mapped[list[Sequence]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Sequence.position"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        *capacity_checks(),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        sa.CheckConstraint("start_date IS NULL OR end_date IS NULL OR start_date <= end_date", name="dates"),
        sa.CheckConstraint(
            "planned_start_date IS NULL OR planned_end_date IS NULL"
            " OR planned_start_date <= planned_end_date",
            name="planned_dates",
        ),
        sa.UniqueConstraint("partner_id", "external_ref"),
        sa.Index("ix_training_session_label", "label"),
        sa.Index("ix_training_session_year_id", "year", "id"),
        *(
            sparse_index("training_session", column)
            for column in (
                "certification_id",
                "dispositif_id",
                "evaluation_id",
                "duplicated_from_id",
                "created_by_id",
            )
        ),
        # Text search (ILIKE '%…%') on PostgreSQL: trigram indexes, one per searched column (the
        # label through its lower-case copy; the label's own serves any other ILIKE on it).
        sa.Index(
            "ix_training_session_label_trgm",
            "label",
            postgresql_using="gin",
            postgresql_ops={"label": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        sa.Index(
            "ix_training_session_label_search_trgm",
            "label_search",
            postgresql_using="gin",
            postgresql_ops={"label_search": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        sa.Index(
            "ix_training_session_code_trgm",
            "code",
            postgresql_using="gin",
            postgresql_ops={"code": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"

    @property
    def is_draft(self) -> bool:
        return self.publication == Publication.DRAFT


class SessionHistory(db.Model):
    """One action on a session or on what belongs to it: who, when, what it is about, each field
    before → after, and the reason given."""

    __tablename__ = "session_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(60))
    target: Mapped[str | None] = mapped_column(sa.String(200))
    field: Mapped[str | None] = mapped_column(sa.String(120))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Each field changed by the action: {"field", "old", "new"} (and "label" for a value that is
    #: not a field), values as services/history/values.py keeps them. Older entries have one change
    #: in `field`, `old_value` and `new_value` instead.
    changes: Mapped[list | None] = mapped_column(sa.JSON)

    session: Mapped[TrainingSession] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_session_history_session_id_at", "session_id", "at"),)
