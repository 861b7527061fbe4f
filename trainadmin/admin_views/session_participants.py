"""The « Participants » tab: enrol collaborators found by a search, the waiting list, cancellations."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext, ngettext
from flask_login import current_user

from ..extensions import db
from ..models import TrainingRequest
from ..services.convocations import convocation_pdf
from ..services.errors import DomainError
from ..services.participants import (
    CANCEL_REASONS,
    cancel_enrolment,
    enrol,
    participants,
    search_collaborators,
)
from .demandes import convocation_response


class ParticipantsMixin:
    participants_write_views = frozenset({"enrol_view", "cancel_enrolment_view"})

    def participants_context(self, session) -> dict:
        term = request.args.get("q", "")
        return {
            "requests": participants(session),
            "search_term": term,
            "found": search_collaborators(term) if term else [],
            "cancel_reasons": CANCEL_REASONS,
        }

    def _back(self, session_id: int, **args):
        return redirect(self.get_url(".details_view", id=session_id, tab="participants", **args))

    @expose("/convocation/")
    def convocation_view(self):
        """« Télécharger la convocation » of an INTER session's participant (a PDF made on demand)."""
        session = self.get_one(request.args.get("id", ""))
        request_id = request.args.get("request", "")
        demande = db.session.get(TrainingRequest, int(request_id)) if request_id.isdigit() else None
        if session is None or demande is None or demande.session_id != session.id:
            abort(404)
        try:
            pdf = convocation_pdf(demande)
        except DomainError as exc:
            flash(exc.message, "error")
            return self._back(session.id)
        return convocation_response(demande, pdf)

    @expose("/enrol/", methods=("POST",))
    def enrol_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        ids = [int(v) for v in request.form.getlist("collaborator_ids") if v.isdigit() and len(v) < 10]
        session_id = session.id
        if not ids:
            flash(gettext("Choose at least one collaborator."), "error")
            return self._back(session_id)
        try:
            made, refusals = enrol(
                session, ids, current_user, one_step=request.form.get("workflow") != "manager"
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return self._back(session_id)
        db.session.commit()
        if made:
            flash(ngettext("%(num)s request recorded.", "%(num)s requests recorded.", len(made)), "success")
        for refusal in refusals:
            flash(refusal, "error")
        return self._back(session_id)

    @expose("/cancel-enrolment/", methods=("POST",))
    def cancel_enrolment_view(self):
        session = self.get_one(request.args.get("id", ""))
        request_id = request.args.get("request", "")
        demande = db.session.get(TrainingRequest, int(request_id)) if request_id.isdigit() else None
        if session is None or demande is None or demande.session_id != session.id:
            abort(404)
        session_id = session.id
        try:
            promoted = cancel_enrolment(
                demande, request.form.get("cancel_reason"), request.form.get("cancel_details")
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return self._back(session_id)
        name = str(promoted.collaborator) if promoted else None
        db.session.commit()
        flash(gettext("Enrolment cancelled: the seat is free."), "success")
        if name:
            flash(gettext("%(name)s, first on the waiting list, takes the seat.", name=name), "info")
        return self._back(session_id)
