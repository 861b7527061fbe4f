"""« Ajouter les Coûts »: cost lines of a session, the formation's default amounts, totals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import (
    Cost,
    CostSplit,
    CostType,
    Dispositif,
    Financing,
    FinancingStatus,
    Supplier,
    TrainingDefaultCost,
    TrainingSession,
    User,
)
from .. import history
from ..documents import Upload, check_upload, is_file_chosen, store
from ..errors import ValidationFailed
from ..history import snapshots

MAX_AMOUNT = Decimal("10000000")
MAX_QUANTITY = 10_000


@dataclass
class CostTotals:
    total: Decimal
    per_trainee: Decimal | None
    per_hour: Decimal | None
    granted: Decimal = Decimal(0)
    coverage: Decimal | None = None  # granted financing / total cost, in %


def default_amount(session: TrainingSession, cost_type_id: int) -> Decimal | None:
    """The amount entered for this cost type on the session's formation, if any."""
    return db.session.scalar(
        sa.select(TrainingDefaultCost.amount).where(
            TrainingDefaultCost.training_id == session.training_id,
            TrainingDefaultCost.cost_type_id == cost_type_id,
        )
    )


def add_cost(
    session: TrainingSession,
    cost_type_id: int | None,
    amount: Decimal | None,
    split: str | None,
    quantity: int | None,
    supplier_id: int | None,
    comment: str | None = None,
    *,
    attachment: Upload | None = None,
    document_type_id: int | None = None,
    uploaded_by: User | None = None,
) -> Cost:
    """A cost line, with the file that justifies it if one is given (« joindre des fichiers en
    précisant le type de document »): both are saved, or neither."""
    errors: dict[str, str] = {}
    if cost_type_id is None or db.session.get(CostType, cost_type_id) is None:
        errors["cost_type_id"] = gettext("Choose a cost type in the list.")
    if amount is None:
        errors["amount"] = gettext("Enter the amount.")
    elif not Decimal(0) <= amount <= MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = gettext(
            "Enter an amount between 0 and %(max)s €, with at most 2 decimals.", max=MAX_AMOUNT
        )
    try:
        split_value = CostSplit(split or "global")
    except ValueError:
        split_value = None
        errors["split"] = gettext("Choose a split in the list.")
    if split_value == CostSplit.PER_TRAINEE and (quantity is None or not 1 <= quantity <= MAX_QUANTITY):
        errors["quantity"] = gettext(
            "A cost per trainee needs a quantity between 1 and %(max)s.", max=MAX_QUANTITY
        )
    if supplier_id is not None and db.session.get(Supplier, supplier_id) is None:
        errors["supplier_id"] = gettext("Choose a supplier in the list.")
    checked = None
    if is_file_chosen(attachment):
        try:
            checked = check_upload(attachment, document_type_id)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    cost = Cost(
        session=session,
        cost_type_id=cost_type_id,
        amount=amount,
        split=split_value,
        quantity=quantity if split_value == CostSplit.PER_TRAINEE else None,
        supplier_id=supplier_id,
        comment=(comment or "").strip() or None,
    )
    db.session.add(cost)
    db.session.flush()
    extra = []
    if checked is not None:
        document = store(checked, user=uploaded_by, cost=cost)
        extra.append(history.change("attachment", None, document.original_name))
    db.session.refresh(cost, ["cost_type", "supplier"])
    history.record_changes(session, snapshots.cost_target(cost), None, snapshots.cost_fields(cost), extra)
    return cost


def delete_cost(cost: Cost) -> None:
    """The cost line goes, with its attachments (their files once the deletion commits)."""
    history.record_changes(cost.session, snapshots.cost_target(cost), snapshots.cost_fields(cost), None)
    db.session.delete(cost)
    db.session.flush()


def session_costs(session: TrainingSession) -> list[Cost]:
    return db.session.scalars(
        sa.select(Cost)
        .where(Cost.session_id == session.id)
        .options(sa.orm.selectinload(Cost.cost_type), sa.orm.selectinload(Cost.supplier))
        .order_by(Cost.id)
    ).all()


def totals(session: TrainingSession, costs: list[Cost], financing: list[Financing] = ()) -> CostTotals:
    total = sum((cost.total for cost in costs), Decimal(0))
    per_trainee = (
        (total / session.enrolled_count).quantize(Decimal("0.01")) if session.enrolled_count else None
    )
    hours = Decimal(session.duration_hours or 0)
    per_hour = (total / hours).quantize(Decimal("0.01")) if hours else None
    granted = sum((line.amount for line in financing if line.status == FinancingStatus.GRANTED), Decimal(0))
    coverage = (100 * granted / total).quantize(Decimal("0.1")) if total else None
    return CostTotals(
        total=total, per_trainee=per_trainee, per_hour=per_hour, granted=granted, coverage=coverage
    )


def add_financing(
    session: TrainingSession,
    funder: str | None,
    dispositif_id: int | None,
    amount: Decimal | None,
    status: str | None,
) -> Financing:
    """A financing line (OPCO, CPF…): who funds, under which scheme, how much, requested/granted/refused."""
    errors: dict[str, str] = {}
    funder = (funder or "").strip()
    if not funder:
        errors["funder"] = gettext("Enter the funder.")
    elif len(funder) > 200:
        errors["funder"] = gettext("At most %(n)s characters.", n=200)
    if amount is None:
        errors["amount"] = gettext("Enter the amount.")
    elif not Decimal(0) <= amount <= MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = gettext(
            "Enter an amount between 0 and %(max)s €, with at most 2 decimals.", max=MAX_AMOUNT
        )
    if dispositif_id is not None and db.session.get(Dispositif, dispositif_id) is None:
        errors["dispositif_id"] = gettext("Choose a value in the list.")
    try:
        status_value = FinancingStatus(status or "requested")
    except ValueError:
        status_value = None
        errors["status"] = gettext("Choose a value in the list.")
    if errors:
        raise ValidationFailed(errors)
    line = Financing(
        session=session, funder=funder, dispositif_id=dispositif_id, amount=amount, status=status_value
    )
    db.session.add(line)
    db.session.flush()
    db.session.refresh(line, ["dispositif"])
    history.record_changes(session, snapshots.financing_target(line), None, snapshots.financing_fields(line))
    return line


def session_financing(session: TrainingSession) -> list[Financing]:
    return db.session.scalars(
        sa.select(Financing)
        .where(Financing.session_id == session.id)
        .options(sa.orm.selectinload(Financing.dispositif))
        .order_by(Financing.id)
    ).all()
