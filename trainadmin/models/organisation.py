"""The organisation that sends the convocations and sign-in sheets: one row, « Paramètres ›
Organisation »."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

#: The one row's id: a check constraint keeps the table to that row.
SINGLETON_ID = 1


class OrganisationSettings(db.Model):
    """Name, address, training department contact, signatory and logo printed on the PDFs. The logo
    is kept in the row (a small image, backed up with the database) and read only by who needs it."""

    __tablename__ = "organisation_settings"
    id: Mapped[int] = mapped_column(primary_key=True, default=SINGLETON_ID)
    name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    address: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    city: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    training_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    training_phone: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    signatory_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    signatory_title: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    logo: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    logo_content_type: Mapped[str | None] = mapped_column(sa.String(20))
    logo_name: Mapped[str | None] = mapped_column(sa.String(255))
    logo_size: Mapped[int | None]
    # Links sent to people without an account (« Paramètres › Organisation », « Liens »).
    #: A manager who has not answered gets a reminder after this many days (0: none).
    manager_reminder_days: Mapped[int] = mapped_column(default=3, server_default="3")
    #: A manager's link works this many days.
    manager_link_days: Mapped[int] = mapped_column(default=14, server_default="14")
    #: A participant who has not answered a survey gets a reminder after this many days (0: none).
    survey_reminder_days: Mapped[int] = mapped_column(default=5, server_default="5")
    #: A signature is taken this many minutes before a half-day begins and after it ends.
    signin_tolerance_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        sa.CheckConstraint(f"id = {SINGLETON_ID}", name="singleton"),
        sa.CheckConstraint(
            "manager_reminder_days BETWEEN 0 AND 60 AND manager_link_days BETWEEN 1 AND 90"
            " AND survey_reminder_days BETWEEN 0 AND 60 AND signin_tolerance_minutes BETWEEN 0 AND 240",
            name="link_delays",
        ),
        sa.CheckConstraint(
            "(logo IS NULL) = (logo_content_type IS NULL)"
            " AND (logo IS NULL) = (logo_name IS NULL) AND (logo IS NULL) = (logo_size IS NULL)",
            name="logo_complete",
        ),
        sa.CheckConstraint(
            "logo_content_type IS NULL OR logo_content_type IN ('image/png', 'image/jpeg')",
            name="logo_kind",
        ),
    )

    def __str__(self) -> str:
        return self.name
