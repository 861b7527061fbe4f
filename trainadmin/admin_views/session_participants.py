"""The « Participants » tab: enrol collaborators found by a search, the waiting list; each row leads
to the collaborator's demande (workflow, cancellation, convocation)."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext, ngettext
from flask_login import current_user

from ..extensions import db
from ..services.errors import DomainError
from ..services.notifications.delivery import kick
from ..services.participants import (
    CANCEL_REASONS,
    OPEN,
    enrol,
    participants,
    search_collaborators,
)
from .base import parse_id

OPEN_VALUES = frozenset(status.value for status in OPEN)


class ParticipantsMixin:
    participants_write_views = frozenset({"enrol_view"})

    def participants_context(self, session) -> dict:
        term = request.args.get("q", "")
        return {
            "requests": participants(session),
            "search_term": term,
            "found": search_collaborators(term) if term else [],
            "cancel_reasons": CANCEL_REASONS,
            "open_statuses": OPEN_VALUES,
        }

    def _back(self, session_id: int, **args):
        return redirect(self.get_url(".details_view", id=session_id, tab="participants", **args))

    @expose("/enrol/", methods=("POST",))
    def enrol_view(self):
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        ids = [i for i in map(parse_id, request.form.getlist("collaborator_ids")) if i]
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
        kick()
        if made:
            flash(ngettext("%(num)s request recorded.", "%(num)s requests recorded.", len(made)), "success")
        for refusal in refusals:
            flash(refusal, "error")
        return self._back(session_id)
