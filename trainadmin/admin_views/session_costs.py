"""The « Coûts » tab of a session: the guide's steps (type → « + » → amount → répartition →
prestataire → « Sauvegarder »)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext, ngettext
from flask_login import current_user
from markupsafe import Markup

from ..extensions import db
from ..models import (
    Cost,
    CostSplit,
    CostType,
    Dispositif,
    Evaluation,
    FinancingStatus,
    Supplier,
    SurveyKind,
)
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
from ..services.evaluations import (
    KIND_WORDS,
    MAX_IMPORT_BYTES,
    SCORE_MAX,
    SCORE_MIN,
    ImportRejected,
    add_response,
    choose_evaluation,
    import_responses,
    respondents,
)
from ..services.evaluations import results as evaluation_results
from ..services.sessions import SessionLocked
from ..services.slots import parse_decimal
from .base import parse_id
from .labels import enum_choices

#: Problems of a refused import shown at once; the rest are counted.
MAX_SHOWN_PROBLEMS = 20


def _int(value) -> int | None:
    return parse_id(value)


class CostsMixin:
    """The « Coûts » and « Évaluation » tabs."""

    costs_write_views = frozenset(
        {
            "cost_add_view",
            "cost_delete_view",
            "evaluation_view",
            "financing_add_view",
            "response_add_view",
            "responses_import_view",
        }
    )

    def evaluation_context(self, session) -> dict:
        open_to_responses = session.evaluation is not None and session.enrolled_count > 0
        return {
            "evaluations": db.session.scalars(sa.select(Evaluation).order_by(Evaluation.name)).all(),
            "evaluation_results": evaluation_results(session),
            "respondents": respondents(session) if open_to_responses and self.can_edit else [],
            "open_to_responses": open_to_responses,
            "survey_kinds": enum_choices(SurveyKind),
            "kind_words": ", ".join(KIND_WORDS),
            "score_min": SCORE_MIN,
            "score_max": SCORE_MAX,
        }

    def _evaluation_tab(self, session_id: int):
        return redirect(self.get_url(".details_view", id=session_id, tab="evaluation"))

    @expose("/evaluation/response/", methods=("POST",))
    def response_add_view(self):
        """« Saisir une réponse »: one participant's (or an anonymous) scores, entered by the staff."""
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        session_id = session.id
        form = request.form
        participant = (form.get("request_id") or "").strip()
        scores = {
            name.removeprefix("score:"): value for name, value in form.items() if name.startswith("score:")
        }
        try:
            if participant and _int(participant) is None:
                raise ValidationFailed(
                    {"request_id": gettext("Choose a participant enrolled in this session.")}
                )
            add_response(session, _int(participant), form.get("kind"), scores)
        except ValidationFailed as exc:
            db.session.rollback()
            for message in exc.errors.values():
                flash(message, "error")
            return self._evaluation_tab(session_id)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return self._evaluation_tab(session_id)
        db.session.commit()
        flash(gettext("Response saved."), "success")
        return self._evaluation_tab(session_id)

    @expose("/evaluation/import/", methods=("POST",))
    def responses_import_view(self):
        """Responses from a CSV file, all or nothing (the rules are in services.evaluations)."""
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        session_id = session.id
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(gettext("Choose the CSV file to import."), "error")
            return self._evaluation_tab(session_id)
        try:
            try:
                content = upload.stream.read(MAX_IMPORT_BYTES + 1)
            finally:
                upload.close()
            count = import_responses(session, content)
        except ImportRejected as exc:
            db.session.rollback()
            flash(_import_problems(exc.messages), "error")
            return self._evaluation_tab(session_id)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return self._evaluation_tab(session_id)
        db.session.commit()
        flash(ngettext("%(num)s response imported.", "%(num)s responses imported.", count), "success")
        return self._evaluation_tab(session_id)

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


def _import_problems(messages: list[str]) -> Markup:
    """One message for a refused import: what to fix, line by line, the first ones only."""
    shown = messages[:MAX_SHOWN_PROBLEMS]
    items = Markup("").join(Markup("<li>{}</li>").format(message) for message in shown)
    more = len(messages) - len(shown)
    if more:
        items += Markup("<li>{}</li>").format(
            ngettext("… and %(num)s more problem.", "… and %(num)s more problems.", more)
        )
    return Markup('{}<ul class="mb-0" id="import-problems">{}</ul>').format(
        gettext("Nothing was imported. Correct the file and import it again:"), items
    )
