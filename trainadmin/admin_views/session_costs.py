"""The « Coûts » tab of a session: the guide's steps (type → « + » → amount → répartition →
prestataire → « Sauvegarder »)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user

from ..extensions import db
from ..models import Cost, CostSplit, CostType, Dispositif, Evaluation, FinancingStatus, Supplier
from ..services.costs import (
    add_cost,
    add_financing,
    default_amount,
    delete_cost,
    session_costs,
    session_financing,
    totals,
)
from ..services.documents import document_types, documents_of
from ..services.errors import DomainError, ValidationFailed
from ..services.evaluations import choose_evaluation
from ..services.evaluations import results as evaluation_results
from ..services.sessions import SessionLocked
from ..services.slots import parse_decimal
from .base import parse_id
from .labels import enum_choices


def _int(value) -> int | None:
    return parse_id(value)


class CostsMixin:
    """The « Coûts » and « Évaluation » tabs."""

    costs_write_views = frozenset(
        {"cost_add_view", "cost_delete_view", "evaluation_view", "financing_add_view"}
    )

    def evaluation_context(self, session) -> dict:
        return {
            "evaluations": db.session.scalars(sa.select(Evaluation).order_by(Evaluation.name)).all(),
            "evaluation_results": evaluation_results(session),
        }

    @expose("/evaluation/", methods=("POST",))
    def evaluation_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        try:
            choose_evaluation(
                session,
                _int(request.form.get("evaluation_id")),
                current_user,
                request.form.get("change_reason"),
            )
        except SessionLocked as exc:
            abort(403, description=exc.message)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.get_url(".details_view", id=session.id, tab="evaluation"))
        session_id = session.id
        db.session.commit()
        flash(gettext("Evaluation saved."), "success")
        return redirect(self.get_url(".details_view", id=session_id, tab="evaluation"))

    def costs_context(self, session) -> dict:
        costs = session_costs(session)
        financing = session_financing(session)
        chosen = _int(request.args.get("cost_type"))
        chosen_type = db.session.get(CostType, chosen) if chosen else None
        attachments: dict[int, list] = {}
        for document in documents_of(cost_ids=[cost.id for cost in costs]):
            attachments.setdefault(document.cost_id, []).append(document)
        return {
            "costs": costs,
            "cost_attachments": attachments,
            "document_types": document_types(),
            "costs_back_url": self.get_url(".details_view", id=session.id, tab="costs"),
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

    @expose("/cost/add/", methods=("POST",))
    def cost_add_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        form = request.form
        errors: dict[str, str] = {}
        amount = parse_decimal(form.get("amount"), "amount", errors)
        quantity_text = (form.get("quantity") or "").strip()
        quantity = parse_id(quantity_text, 6)
        if quantity_text and quantity is None:
            errors["quantity"] = gettext("Enter a whole number.")
        try:
            if errors:
                raise ValidationFailed(errors)
            add_cost(
                session,
                _int(form.get("cost_type_id")),
                amount,
                form.get("split"),
                quantity,
                _int(form.get("supplier_id")),
                form.get("comment"),
                attachment=request.files.get("file"),
                document_type_id=_int(form.get("document_type_id")),
                uploaded_by=current_user,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            for message in exc.errors.values():
                flash(message, "error")
            return redirect(
                self.get_url(
                    ".details_view", id=session.id, tab="costs", cost_type=form.get("cost_type_id", "")
                )
            )
        session_id = session.id
        db.session.commit()
        flash(gettext("Cost saved."), "success")
        return redirect(self.get_url(".details_view", id=session_id, tab="costs"))

    @expose("/financing/add/", methods=("POST",))
    def financing_add_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        errors: dict[str, str] = {}
        amount = parse_decimal(request.form.get("amount"), "amount", errors)
        try:
            if errors:
                raise ValidationFailed(errors)
            add_financing(
                session,
                request.form.get("funder"),
                _int(request.form.get("dispositif_id")),
                amount,
                request.form.get("status"),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            for message in exc.errors.values():
                flash(message, "error")
            return redirect(self.get_url(".details_view", id=session.id, tab="costs"))
        session_id = session.id
        db.session.commit()
        flash(gettext("Financing saved."), "success")
        return redirect(self.get_url(".details_view", id=session_id, tab="costs"))

    @expose("/cost/delete/", methods=("POST",))
    def cost_delete_view(self):
        session = self.get_one(request.args.get("id", ""))
        cost = db.session.get(Cost, _int(request.args.get("cost")) or 0)
        if session is None or cost is None or cost.session_id != session.id:
            abort(404)
        session_id = session.id
        delete_cost(cost)
        db.session.commit()
        flash(gettext("Cost deleted."), "success")
        return redirect(self.get_url(".details_view", id=session_id, tab="costs"))
