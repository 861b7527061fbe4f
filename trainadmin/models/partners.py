"""Partners whose sessions are imported, and the log of every import run."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .reference import TrainingOrganisation
from .sessions import Publication, TrainingSession
from .types import UTCDateTime, enum_column, utcnow
from .users import User


class FeedFormat(enum.StrEnum):
    CSV = "csv"
    JSON = "json"


class FeedSource(enum.StrEnum):
    UPLOAD = "upload"
    PATH = "path"
    URL = "url"


class UnknownPolicy(enum.StrEnum):
    CREATE = "create"
    REJECT = "reject"


class Partner(db.Model):
    __tablename__ = "partner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    feed_format: Mapped[FeedFormat] = mapped_column(
        enum_column(FeedFormat, "feed_format"), default=FeedFormat.CSV
    )
    source_kind: Mapped[FeedSource] = mapped_column(
        enum_column(FeedSource, "feed_source"), default=FeedSource.UPLOAD
    )
    source: Mapped[str | None] = mapped_column(sa.String(500))
    schedule: Mapped[str | None] = mapped_column(sa.String(100))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_organisation.id", ondelete="SET NULL"), index=True
    )
    unknown_policy: Mapped[UnknownPolicy] = mapped_column(
        enum_column(UnknownPolicy, "unknown_policy"), default=UnknownPolicy.REJECT
    )
    publication: Mapped[Publication] = mapped_column(
        enum_column(Publication, "publication"), default=Publication.DRAFT
    )
    active: Mapped[bool] = mapped_column(default=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))

    organisation: Mapped[TrainingOrganisation | None] = relationship()

    def __str__(self) -> str:
        return self.name


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    #: Ended, some sessions of the feed rejected (each with its line and reason).
    WITH_REJECTIONS = "with_rejections"
    #: The file could not be read, or every session of it was rejected: nothing imported.
    FAILED = "failed"


class ImportRun(db.Model):
    """One import of a partner's feed. The file read is kept (`payload`) until the run ends with
    sessions imported, so a run stopped half-way resumes from `processed` on the same content, and a
    failed one can be started again."""

    __tablename__ = "import_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), default=ImportStatus.QUEUED
    )
    scheduled: Mapped[bool] = mapped_column(default=False)
    # The minute of the partner's schedule that queued this run: one scheduled run per minute.
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    flagged_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    payload: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    partner: Mapped[Partner] = relationship()
    user: Mapped[User | None] = relationship()
    rejections: Mapped[list[ImportRejection]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ImportRejection.id"
    )

    __table_args__ = (
        sa.Index("ix_import_run_partner_id_queued_at", "partner_id", "queued_at"),
        sa.Index("ix_import_run_status_queued_at", "status", "queued_at"),
        sa.UniqueConstraint("partner_id", "scheduled_for"),
        # Two runs of one partner never overlap: at most one is running at a time.
        sa.Index(
            "uq_import_run_one_running",
            "partner_id",
            unique=True,
            postgresql_where=sa.text("status = 'running'"),
            sqlite_where=sa.text("status = 'running'"),
        ),
    )

    @property
    def in_progress(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)


class ImportRejection(db.Model):
    __tablename__ = "import_rejection"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("import_run.id", ondelete="CASCADE"), index=True)
    line: Mapped[str] = mapped_column(sa.String(120))
    reference: Mapped[str | None] = mapped_column(sa.String(120))
    reason: Mapped[str] = mapped_column(sa.Text)

    run: Mapped[ImportRun] = relationship(back_populates="rejections")


class ImportOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    FLAGGED = "flagged"


class ImportedSession(db.Model):
    """A session a run created, updated or flagged as absent from the feed (unchanged ones: none)."""

    __tablename__ = "import_run_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("import_run.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[ImportOutcome] = mapped_column(enum_column(ImportOutcome, "import_outcome"))
    line: Mapped[str | None] = mapped_column(sa.String(120))
    reference: Mapped[str | None] = mapped_column(sa.String(120))

    session: Mapped[TrainingSession | None] = relationship()
