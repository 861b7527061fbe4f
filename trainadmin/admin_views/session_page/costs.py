"""« Coûts »: the guide's steps (type → « + » → amount → répartition → prestataire → « Sauvegarder »),
attachments per cost line, financing lines, and the totals."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...ids import parse_id
from ...models import Cost, CostSplit, CostType, Dispositif, FinancingStatus, Supplier, TrainingSession
from ...services.documents import document_types, documents_of
from ...services.errors import DomainError, ValidationFailed
from ...services.money import (
    add_cost,
    add_financing,
    default_amount,
    delete_cost,
    session_costs,
    session_financing,
    totals,
)
from ...services.planning import parse_decimal
from ..labels import enum_choices
from .part import SessionTab, route, show_refusal


class CostsTab(SessionTab):
    name = "costs"
    label = _l("Costs")

    def context(self, session: TrainingSession) -> dict:
        costs = session_costs(session)
        financing = session_financing(session)
        chosen = parse_id(request.args.get("cost_type"))
        chosen_type = db.session.get(CostType, chosen) if chosen else None
        attachments: dict[int, list] = {}
        for document in documents_of(cost_ids=[cost.id for cost in costs]):
            attachments.setdefault(document.cost_id, []).append(document)
        return {
            "costs": costs,
            "cost_attachments": attachments,
            "document_types": document_types(),
            "costs_back_url": self.url(".details_view", id=session.id, tab="costs"),
            "cost_totals": totals(session, costs, financing),
            "financing": financing,
            "dispositifs": db.session.scalars(sa.select(Dispositif).order_by(Dispositif.name)).all(),
            "financing_statuses": enum_choices(FinancingStatus),
            "cost_types": db.session.scalars(sa.select(CostType).order_by(CostType.name)).all(),
            "suppliers": db.session.scalars(sa.select(Supplier).order_by(Supplier.name)).all(),
            "splits": enum_choices(CostSplit),
            "chosen_type": chosen_type,
            "suggested_amount": default_amount(session, chosen_type.id) if chosen_type else None,
        }

    def refused(self, exc: DomainError):
        """The tab again, with the cost type still chosen (its default amount shown)."""
        show_refusal(exc)
        return self.back(cost_type=request.form.get("cost_type_id", ""))

    @route("/cost/add/", methods=("POST",))
    def cost_add_view(self):
        session = self.session()
        form = request.form
        errors: dict[str, str] = {}
        amount = parse_decimal(form.get("amount"), "amount", errors)
        quantity_text = (form.get("quantity") or "").strip()
        quantity = parse_id(quantity_text, 6)
        if quantity_text and quantity is None:
            errors["quantity"] = gettext("Enter a whole number.")
        if errors:
            raise ValidationFailed(errors)
        add_cost(
            session,
            parse_id(form.get("cost_type_id")),
            amount,
            form.get("split"),
            quantity,
            parse_id(form.get("supplier_id")),
            form.get("comment"),
            attachment=request.files.get("file"),
            document_type_id=parse_id(form.get("document_type_id")),
            uploaded_by=current_user,
        )
        return self.saved(gettext("Cost saved."))

    @route("/financing/add/", methods=("POST",))
    def financing_add_view(self):
        session = self.session()
        errors: dict[str, str] = {}
        amount = parse_decimal(request.form.get("amount"), "amount", errors)
        if errors:
            raise ValidationFailed(errors)
        add_financing(
            session,
            request.form.get("funder"),
            parse_id(request.form.get("dispositif_id")),
            amount,
            request.form.get("status"),
        )
        return self.saved(gettext("Financing saved."))

    @route("/cost/delete/", methods=("POST",))
    def cost_delete_view(self):
        session = self.session()
        cost = db.session.get(Cost, parse_id(request.args.get("cost")) or 0)
        if cost is None or cost.session_id != session.id:
            abort(404)
        delete_cost(cost)
        return self.saved(gettext("Cost deleted."))
