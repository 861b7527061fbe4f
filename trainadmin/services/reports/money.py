"""« Coûts »: total cost, per trainee and per training hour, per cost type and per supplier, and
how much of it financing covers — the same sums as the « Coûts » tab of each session
(services/money/costs.totals), over the sessions of the period. Four statements."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from ...extensions import db
from ...models import Cost, CostSplit, CostType, Financing, FinancingStatus, Supplier, TrainingSession
from .activity import HUNDREDTH, percent, rounded
from .filters import ReportFilters
from .scope import session_conditions


@dataclass
class AmountLine:
    name: str | None  # None: no supplier
    lines: int
    amount: Decimal


@dataclass
class CostsReport:
    sessions: int
    enrolled: int
    hours: Decimal
    by_type: list[AmountLine]
    by_supplier: list[AmountLine]
    financing: dict[FinancingStatus, Decimal]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.by_type), Decimal(0))

    @property
    def per_trainee(self) -> Decimal | None:
        return (self.total / self.enrolled).quantize(HUNDREDTH) if self.enrolled else None

    @property
    def per_hour(self) -> Decimal | None:
        return (self.total / self.hours).quantize(HUNDREDTH) if self.hours else None

    @property
    def granted(self) -> Decimal:
        return self.financing.get(FinancingStatus.GRANTED, Decimal(0))

    @property
    def coverage(self) -> Decimal | None:
        """Granted financing / total cost, in per cent."""
        return percent(self.granted, self.total)


def line_total():
    """What a cost line weighs: its amount, times its quantity when it is per trainee (Cost.total)."""
    return sa.case(
        (Cost.split == CostSplit.PER_TRAINEE, Cost.amount * sa.func.coalesce(Cost.quantity, 0)),
        else_=Cost.amount,
    )


def costs_report(filters: ReportFilters) -> CostsReport:
    in_scope = session_conditions(filters)
    scope = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(TrainingSession.enrolled_count), 0),
            sa.func.coalesce(sa.func.sum(TrainingSession.duration_hours), 0),
        ).where(*in_scope)
    ).one()
    amount = sa.func.sum(line_total())
    by_type = db.session.execute(
        sa.select(CostType.name, sa.func.count(), amount)
        .select_from(Cost)
        .join(TrainingSession, TrainingSession.id == Cost.session_id)
        .join(CostType, CostType.id == Cost.cost_type_id)
        .where(*in_scope)
        .group_by(CostType.id, CostType.name)
        .order_by(amount.desc(), CostType.name)
    ).all()
    by_supplier = db.session.execute(
        sa.select(Supplier.name, sa.func.count(), amount)
        .select_from(Cost)
        .join(TrainingSession, TrainingSession.id == Cost.session_id)
        .outerjoin(Supplier, Supplier.id == Cost.supplier_id)
        .where(*in_scope)
        .group_by(Supplier.id, Supplier.name)
        .order_by(amount.desc(), Supplier.name)
    ).all()
    financing = db.session.execute(
        sa.select(Financing.status, sa.func.sum(Financing.amount))
        .join(TrainingSession, TrainingSession.id == Financing.session_id)
        .where(*in_scope)
        .group_by(Financing.status)
    ).all()
    return CostsReport(
        sessions=int(scope[0]),
        enrolled=int(scope[1]),
        hours=rounded(scope[2]),
        by_type=[AmountLine(name, int(n), rounded(total)) for name, n, total in by_type],
        by_supplier=[AmountLine(name, int(n), rounded(total)) for name, n, total in by_supplier],
        financing={status: rounded(total) for status, total in financing},
    )
