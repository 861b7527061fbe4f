"""Coûts and financements of a session."""

from __future__ import annotations

import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .reference import CostType, Dispositif, Supplier
from .sessions import TrainingSession
from .types import enum_column


class CostSplit(enum.StrEnum):
    GLOBAL = "global"
    PER_TRAINEE = "per_trainee"


class Cost(db.Model):
    __tablename__ = "cost"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    cost_type_id: Mapped[int] = mapped_column(sa.ForeignKey("cost_type.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    split: Mapped[CostSplit] = mapped_column(enum_column(CostSplit, "cost_split"), default=CostSplit.GLOBAL)
    quantity: Mapped[int | None]
    supplier_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("supplier.id", ondelete="RESTRICT"), index=True
    )
    comment: Mapped[str | None] = mapped_column(sa.Text)

    session: Mapped[TrainingSession] = relationship()
    cost_type: Mapped[CostType] = relationship()
    supplier: Mapped[Supplier | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_positive"),
        sa.CheckConstraint("split = 'global' OR (quantity IS NOT NULL AND quantity > 0)", name="quantity"),
    )

    @property
    def total(self) -> Decimal:
        if self.split == CostSplit.PER_TRAINEE:
            return self.amount * (self.quantity or 0)
        return self.amount


class FinancingStatus(enum.StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


class Financing(db.Model):
    __tablename__ = "financing"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    funder: Mapped[str] = mapped_column(sa.String(200))
    dispositif_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dispositif.id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[FinancingStatus] = mapped_column(
        enum_column(FinancingStatus, "financing_status"), default=FinancingStatus.REQUESTED
    )

    session: Mapped[TrainingSession] = relationship()
    dispositif: Mapped[Dispositif | None] = relationship()

    __table_args__ = (sa.CheckConstraint("amount >= 0", name="amount_positive"),)
