"""Upload, download and deletion of documents, for every page that shows the documents panel
(`templates/admin/documents/_panel.html`): not in the menu, the same roles as the sessions."""

from __future__ import annotations

from flask import Flask, abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user

from ..auth import safe_next
from ..extensions import db
from ..ids import parse_id
from ..models import Cost, Document, EmailRule, EmailTemplate, Role, TrainingRequest, TrainingSession
from ..services.documents import (
    ACCEPT,
    can_download,
    delete_document,
    display_name,
    document_path,
    save_upload,
)
from ..services.errors import DomainError, ValidationFailed
from ..transaction import commits, rollback
from .base import SecureView
from .downloads import content_disposition

#: The owners a document may be attached to from the panel, by the name the form posts.
OWNERS = {
    "session": TrainingSession,
    "request": TrainingRequest,
    "cost": Cost,
    "email_rule": EmailRule,
    "email_template": EmailTemplate,
}

#: Owners whose files only administrators change (the global e-mail templates).
ADMIN_OWNERS = (EmailTemplate,)


def owner_page(owner) -> str:
    """The page that shows an owner's documents, where to come back to after a change."""
    if isinstance(owner, TrainingSession):
        return url_for("sessions.details_view", id=owner.id, tab="documents")
    if isinstance(owner, Cost):
        return url_for("sessions.details_view", id=owner.session_id, tab="costs")
    if isinstance(owner, EmailRule):
        return url_for("sessions.details_view", id=owner.session_id, tab="emails")
    if isinstance(owner, EmailTemplate):
        return url_for("email_templates.edit_view", id=owner.id)
    return url_for("demandes.details_view", id=owner.id, tab="documents")


def document_owner(document: Document):
    if document.session_id is not None:
        return db.session.get(TrainingSession, document.session_id)
    if document.cost_id is not None:
        return db.session.get(Cost, document.cost_id)
    if document.request_id is not None:
        return db.session.get(TrainingRequest, document.request_id)
    if document.email_rule_id is not None:
        return db.session.get(EmailRule, document.email_rule_id)
    if document.email_template_id is not None:
        return db.session.get(EmailTemplate, document.email_template_id)
    return None


def may_change_files_of(owner) -> bool:
    return not isinstance(owner, ADMIN_OWNERS) or current_user.role == Role.ADMIN


class DocumentView(SecureView):
    write_views = frozenset({"upload_view", "delete_view"})

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        abort(404)

    def _refused(self, exc: DomainError):
        for message in exc.errors.values() if isinstance(exc, ValidationFailed) else [exc.message]:
            flash(message, "error")
        return redirect(safe_next(request.form.get("next")) or url_for("admin.index"))

    @expose("/upload/", methods=("POST",))
    @commits(refused="_refused")
    def upload_view(self):
        kind = request.form.get("owner", "")
        owner_id = parse_id(request.form.get("owner_id"))
        model = OWNERS.get(kind)
        owner = db.session.get(model, owner_id) if model is not None and owner_id is not None else None
        if owner is None:
            abort(404)
        if not may_change_files_of(owner):
            abort(403)
        back = safe_next(request.form.get("next")) or owner_page(owner)
        try:
            with db.session.begin_nested():
                save_upload(
                    request.files.get("file"),
                    document_type_id=parse_id(request.form.get("document_type_id")),
                    user=current_user,
                    **{kind: owner},
                )
        except ValidationFailed as exc:
            rollback()  # nothing saved, the form's token with it: the corrected form may be sent again
            for message in exc.errors.values():
                flash(message, "error")
            return redirect(back)
        flash(gettext("Document saved."), "success")
        return redirect(back)

    @expose("/<int:document_id>/download")
    def download_view(self, document_id: int):
        document = db.session.get(Document, document_id)
        if document is None:
            abort(404)
        if not can_download(current_user, document):
            abort(403)
        path = document_path(document)
        if not path.is_file():
            abort(404)
        name = display_name(document.original_name) or document.stored_name
        response = send_file(path, as_attachment=True, download_name=name, max_age=0)
        # The stored type already names its charset (« text/csv; charset=utf-8 »): given as `mimetype`,
        # Werkzeug would add a second one.
        response.content_type = document.content_type
        # Werkzeug drops letters without an ASCII decomposition (« œ », « Ł ») from the plain
        # `filename`: ours spells them, and always gives the exact name in `filename*`.
        response.headers["Content-Disposition"] = content_disposition(name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/<int:document_id>/delete", methods=("POST",))
    @commits(refused="_refused")
    def delete_view(self, document_id: int):
        document = db.session.get(Document, document_id)
        if document is None:
            abort(404)
        owner = document_owner(document)
        if owner is not None and not may_change_files_of(owner):
            abort(403)
        back = safe_next(request.form.get("next")) or (
            owner_page(owner) if owner is not None else url_for("admin.index")
        )
        delete_document(document)
        flash(gettext("Document deleted."), "success")
        return redirect(back)


def init_templates(app: Flask) -> None:
    """What the documents panel needs wherever it is imported."""
    app.jinja_env.globals["document_accept"] = ACCEPT
