"""Forms already applied: each rendering of a create form carries a random token, recorded in the
transaction that saves the form, so the same form sent twice is recognised."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class FormToken(db.Model):
    __tablename__ = "form_token"

    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    #: Where the first answer led (its redirect), to answer a second sending the same way.
    answer: Mapped[str | None] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_form_token_user_id_created_at", "user_id", "created_at"),)
