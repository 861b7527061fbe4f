"""Stored files attached to a session, a demande, a cost, an e-mail rule or an e-mail template."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .reference import DocumentType
from .types import UTCDateTime, utcnow
from .users import User


class Document(db.Model):
    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_request.id", ondelete="CASCADE"), index=True
    )
    cost_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cost.id", ondelete="CASCADE"), index=True)
    email_rule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("email_rule.id", ondelete="CASCADE"), index=True
    )
    email_template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("email_template.id", ondelete="CASCADE"), index=True
    )
    document_type_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("document_type.id", ondelete="RESTRICT"), index=True
    )
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    document_type: Mapped[DocumentType | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "session_id IS NOT NULL OR request_id IS NOT NULL OR cost_id IS NOT NULL"
            " OR email_rule_id IS NOT NULL OR email_template_id IS NOT NULL",
            name="has_owner",
        ),
        sa.CheckConstraint("size >= 0", name="size_positive"),
    )

    def __str__(self) -> str:
        return self.original_name
