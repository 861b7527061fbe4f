"""« Demandes »: every training request with its workflow, « Demandes à traiter », the demande page
(« Détails », « Historique », « Documents ») and the INTER convocation."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..ids import parse_id
from ..models import Collaborator, RequestStatus, SessionType, TrainingRequest, TrainingSession
from ..models.types import utcnow
from ..services.documents import document_types, documents_of
from ..services.errors import DomainError
from ..services.history import actor_label
from ..services.participants import (
    CANCEL_REASONS,
    OPEN,
    PENDING,
    cancel_enrolment,
    convocation_pdf,
    expected_action,
    refuse,
    validate,
)
from ..services.participants.demandes import ensure_still_as_seen
from ..services.participants.manager_links import manager_link_state, resend_to_manager
from ..transaction import commits
from .base import STAFF, SecureModelView
from .downloads import pdf_download
from .labels import enum_label

TABS = ("details", "history", "documents")

DEMANDE_LABELS = {
    "collaborator": _l("Collaborator"),
    "collaborator.last_name": _l("Last name"),
    "collaborator.first_name": _l("First name"),
    "collaborator.email": _l("E-mail"),
    "session": _l("Session"),
    "session.code": _l("Session code"),
    "session.label": _l("Title"),
    "status": _l("Current status"),
    "expected_action": _l("Expected action"),
    "waitlist_position": _l("Position on the waiting list"),
    "created_at": _l("Requested on"),
}


PENDING_MANAGER = RequestStatus.PENDING_MANAGER


def may_download_convocation(demande: TrainingRequest) -> bool:
    return demande.session.session_type == SessionType.INTER and demande.status == RequestStatus.ENROLLED


class ConvocationRowAction(EndpointLinkRowAction):
    """« Télécharger la convocation », shown on the rows of enrolled participants of INTER sessions."""

    def render(self, context, row_id, row):
        if not may_download_convocation(row):
            return ""
        return super().render(context, row_id, row)


def _session_link(view, context, model, name):
    session = model.session
    url = view.get_url("sessions.details_view", id=session.id, tab="participants")
    return Markup('<a href="{}">{}</a> — {}').format(url, escape(session.code), escape(session.label))


def _collaborator_link(view, context, model, name):
    url = view.get_url(".details_view", id=model.id)
    return Markup('<a href="{}">{}</a>').format(url, escape(str(model.collaborator)))


class DemandeView(SecureModelView):
    """Every demande. They are made from a session's « Participants » tab, then move through the
    workflow with « Valider » / « Refuser » / « Annuler l'inscription »: no create or edit form."""

    allow_create = False
    allow_edit = False
    allow_delete = False
    extra_write_views = frozenset({"validate_view", "refuse_view", "cancel_view", "manager_link_view"})
    details_template = "admin/demandes/page.html"
    column_list = ("collaborator", "session", "status", "expected_action", "waitlist_position", "created_at")
    column_labels = DEMANDE_LABELS
    column_formatters = {
        "collaborator": _collaborator_link,
        "session": _session_link,
        "expected_action": lambda view, context, model, name: expected_action(model),
    }
    column_sortable_list = (
        ("collaborator", "collaborator.last_name"),
        ("session", "session.code"),
        "status",
        "created_at",
    )
    column_default_sort = ("created_at", True)
    column_searchable_list = (
        "collaborator.last_name",
        "collaborator.first_name",
        "collaborator.email",
        "session.code",
    )
    column_filters = ("status", "session.code", "session.start_date")
    column_export_list = (
        "collaborator",
        "collaborator.email",
        "session.code",
        "session.label",
        "status",
        "created_at",
    )
    column_formatters_export = {
        "collaborator": lambda view, context, model, name: str(model.collaborator),
    }
    list_loader_options = (
        selectinload(TrainingRequest.collaborator),
        selectinload(TrainingRequest.session),
    )
    column_extra_row_actions = [
        ConvocationRowAction("fa fa-file-pdf-o", ".convocation_view", title=_l("Download the convocation"))
    ]

    # --- The demande page --------------------------------------------------------------------

    def get_one(self, id):
        if parse_id(id) is None:
            return None
        return (
            db.session.query(TrainingRequest)
            .options(
                selectinload(TrainingRequest.collaborator).selectinload(Collaborator.populations),
                selectinload(TrainingRequest.session).selectinload(TrainingSession.training),
                selectinload(TrainingRequest.steps),
                selectinload(TrainingRequest.created_by),
            )
            .filter(TrainingRequest.id == int(id))
            .one_or_none()
        )

    @expose("/details/")
    def details_view(self):
        demande = self.get_one(request.args.get("id", ""))
        if demande is None:
            abort(404)
        tab = request.args.get("tab", "details")
        if tab not in TABS:
            tab = "details"
        documents = {}
        if tab == "documents":
            documents = {
                "documents": documents_of(request_id=demande.id),
                "document_types": document_types(),
                "documents_back_url": self.get_url(".details_view", id=demande.id, tab="documents"),
            }
        return self.render(
            self.details_template,
            model=demande,
            tab=tab,
            expected=expected_action(demande),
            may_validate=demande.status in PENDING,
            may_refuse=demande.status in (*PENDING, RequestStatus.WAITLISTED),
            may_cancel=demande.status in OPEN,
            may_convocation=may_download_convocation(demande),
            manager_link=manager_link_state(demande) if demande.status == PENDING_MANAGER else None,
            now=utcnow(),
            cancel_reasons=CANCEL_REASONS,
            steps=sorted(demande.steps, key=lambda step: (step.at, step.id), reverse=True),
            actor_label=actor_label,
            status_label=lambda value: enum_label(RequestStatus(value)) if value else "—",
            return_url=self.get_url(".index_view"),
            **documents,
        )

    def _back(self, demande_id: int, tab: str = "details"):
        return redirect(self.get_url(".details_view", id=demande_id, tab=tab))

    def _refused(self, exc: DomainError):
        flash(exc.message, "error")
        return self._back(request.args.get("id", ""))

    def _workflow_step(self, change, success: str):
        demande = self.get_one(request.args.get("id", ""))
        if demande is None:
            abort(404)
        ensure_still_as_seen(demande, request.form.get("status"))
        change(demande)
        flash(success, "success")
        if demande.status == RequestStatus.WAITLISTED:
            flash(gettext("The session is full: the collaborator is on the waiting list."), "info")
        return self._back(demande.id)

    @expose("/validate/", methods=("POST",))
    @commits(refused="_refused")
    def validate_view(self):
        return self._workflow_step(
            lambda demande: validate(demande, request.form.get("comment")), gettext("Request validated.")
        )

    @expose("/refuse/", methods=("POST",))
    @commits(refused="_refused")
    def refuse_view(self):
        return self._workflow_step(
            lambda demande: refuse(demande, request.form.get("comment")), gettext("Request refused.")
        )

    @expose("/manager-link/", methods=("POST",))
    @commits(refused="_refused")
    def manager_link_view(self):
        """« Renvoyer le lien au manager »: a new link by e-mail; the previous one stops working."""
        return self._workflow_step(resend_to_manager, gettext("A new link was sent to the manager."))

    @expose("/cancel/", methods=("GET", "POST"))
    @commits(refused="_cancel_refused")
    def cancel_view(self):
        """« Annuler l'inscription »: asked in a dialog on the demande page; this page stands in for
        the dialog without JavaScript (GET) and shows a refused choice next to its field."""
        if request.method == "GET":
            demande = self.get_one(request.args.get("id", ""))
            if demande is None:
                abort(404)
            if demande.status not in OPEN:
                flash(gettext("This request is already closed."), "error")
                return self._back(demande.id)
            return self._cancel_page(demande)
        promoted_names = []

        def cancel(demande):
            promoted = cancel_enrolment(
                demande, request.form.get("cancel_reason"), request.form.get("cancel_details")
            )
            if promoted is not None:
                promoted_names.append(str(promoted.collaborator))

        response = self._workflow_step(cancel, gettext("Enrolment cancelled: the seat is free."))
        for name in promoted_names:
            flash(gettext("%(name)s, first on the waiting list, takes the seat.", name=name), "info")
        return response

    def _cancel_page(self, demande: TrainingRequest, errors: dict | None = None, status: int = 200):
        return (
            self.render(
                "admin/demandes/cancel.html",
                model=demande,
                cancel_reasons=CANCEL_REASONS,
                errors=errors or {},
                values=request.form,
                back_url=self.get_url(".details_view", id=demande.id),
            ),
            status,
        )

    def _cancel_refused(self, exc: DomainError):
        demande = self.get_one(request.args.get("id", ""))
        if demande is None or exc.field != "cancel_reason" or demande.status not in OPEN:
            return self._refused(exc)
        return self._cancel_page(demande, {exc.field: exc.message}, 400)

    @expose("/convocation/")
    def convocation_view(self):
        """The convocation of an INTER session's participant: a PDF made on demand."""
        demande = self.get_one(request.args.get("id", ""))
        if demande is None:
            abort(404)
        try:
            pdf = convocation_pdf(demande)
        except DomainError as exc:
            flash(exc.message, "error")
            return self._back(demande.id, "documents")
        return convocation_response(demande, pdf)

    # --- Bulk validation ------------------------------------------------------------------------

    @action("validate", _l("Validate"), _l("Validate the selected requests?"))
    def action_validate(self, ids):
        done, refusals = 0, []
        for demande in self.query_for_ids(ids).options(selectinload(TrainingRequest.session)):
            try:
                with db.session.begin_nested():
                    validate(demande)
                done += 1
            except DomainError as exc:
                refusals.append(f"{demande.collaborator} — {exc.message}")
        if done:
            flash(ngettext("%(num)s request validated.", "%(num)s requests validated.", done), "success")
        for refusal in refusals:
            flash(refusal, "error")


class DemandeTodoView(DemandeView):
    """« Demandes à traiter »: what waits for the training staff, oldest first (the collaborator's
    manager answers through them, then the training department decides)."""

    read_roles = STAFF
    column_list = ("collaborator", "session", "status", "expected_action", "created_at")
    column_default_sort = ("created_at", False)
    column_filters = ("session.code", "session.start_date")

    def get_query(self):
        return super().get_query().filter(TrainingRequest.status.in_(PENDING))

    def get_count_query(self):
        return super().get_count_query().filter(TrainingRequest.status.in_(PENDING))


def convocation_response(demande: TrainingRequest, pdf: bytes) -> Response:
    return pdf_download(pdf, f"convocation-{demande.session.code}-{demande.collaborator.last_name}.pdf")
