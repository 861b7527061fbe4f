"""Formation: the template a session is created from, with its defaults."""

from __future__ import annotations

import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .reference import Certification, CostType, Dispositif, Evaluation, TrainingOrganisation
from .types import enum_column


class SessionType(enum.StrEnum):
    INTRA = "intra"
    INTER = "inter"


def capacity_checks() -> tuple[sa.CheckConstraint, ...]:
    return (
        sa.CheckConstraint("capacity_min IS NULL OR capacity_min >= 0", name="capacity_min_positive"),
        sa.CheckConstraint(
            "capacity_min IS NULL OR capacity_target IS NULL OR capacity_min <= capacity_target",
            name="capacity_min_le_target",
        ),
        sa.CheckConstraint(
            "capacity_target IS NULL OR capacity_max IS NULL OR capacity_target <= capacity_max",
            name="capacity_target_le_max",
        ),
        sa.CheckConstraint(
            "capacity_min IS NULL OR capacity_max IS NULL OR capacity_min <= capacity_max",
            name="capacity_min_le_max",
        ),
    )


class Training(db.Model):
    """Formation."""

    __tablename__ = "training"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    reference: Mapped[str | None] = mapped_column(sa.String(50), unique=True)
    certification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certification.id", ondelete="SET NULL"), index=True
    )
    session_type: Mapped[SessionType] = mapped_column(
        enum_column(SessionType, "session_type"), default=SessionType.INTRA
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_organisation.id", ondelete="SET NULL"), index=True
    )
    capacity_min: Mapped[int | None]
    capacity_target: Mapped[int | None]
    capacity_max: Mapped[int | None]
    dispositif_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dispositif.id", ondelete="SET NULL"), index=True
    )
    funding_eligible: Mapped[bool] = mapped_column(default=False)
    comments: Mapped[str | None] = mapped_column(sa.Text)
    evaluation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation.id", ondelete="SET NULL"), index=True
    )
    duration_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    active: Mapped[bool] = mapped_column(default=True)

    certification: Mapped[Certification | None] = relationship()
    organisation: Mapped[TrainingOrganisation | None] = relationship()
    dispositif: Mapped[Dispositif | None] = relationship()
    evaluation: Mapped[Evaluation | None] = relationship()
    default_costs: Mapped[list[TrainingDefaultCost]] = relationship(
        back_populates="training", cascade="all, delete-orphan"
    )

    __table_args__ = capacity_checks()

    def __str__(self) -> str:
        return self.name

    def default_cost_for(self, cost_type_id: int) -> Decimal | None:
        for cost in self.default_costs:
            if cost.cost_type_id == cost_type_id:
                return cost.amount
        return None


class TrainingDefaultCost(db.Model):
    """The amount proposed when a cost of this type is added to a session of the formation."""

    __tablename__ = "training_default_cost"
    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(sa.ForeignKey("training.id", ondelete="CASCADE"), index=True)
    cost_type_id: Mapped[int] = mapped_column(sa.ForeignKey("cost_type.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))

    training: Mapped[Training] = relationship(back_populates="default_costs")
    cost_type: Mapped[CostType] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("training_id", "cost_type_id"),
        sa.CheckConstraint("amount >= 0", name="amount_positive"),
    )

    def __str__(self) -> str:
        return f"{self.cost_type}: {self.amount}"
