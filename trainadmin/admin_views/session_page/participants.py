"""« Participants »: enrol collaborators found by a search, directly or as demandes to validate; the
waiting list; each row leads to the collaborator's demande (workflow, cancellation, convocation)."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...ids import parse_id
from ...models import RequestStatus, TrainingSession
from ...services.errors import DomainError
from ...services.participants import CANCEL_REASONS, OPEN, enrol, participants, search_collaborators
from ..labels import enum_label
from .part import SessionTab, route

OPEN_VALUES = frozenset(status.value for status in OPEN)


class ParticipantsTab(SessionTab):
    name = "participants"
    label = _l("Participants")

    def loaders(self) -> tuple:
        """The session's own columns: the tab shows none of its planning."""
        return ()

    def context(self, session: TrainingSession) -> dict:
        term = request.args.get("q", "")
        return {
            "requests": participants(session),
            "search_term": term,
            "found": search_collaborators(term) if term else [],
            "cancel_reasons": CANCEL_REASONS,
            "open_statuses": OPEN_VALUES,
            "status_labels": {status: enum_label(status) for status in RequestStatus},
        }

    @route("/enrol/", methods=("POST",))
    def enrol_view(self):
        session = self.session()
        ids = [i for i in map(parse_id, request.form.getlist("collaborator_ids")) if i]
        if not ids:
            raise DomainError(gettext("Choose at least one collaborator."), field="collaborator_ids")
        made, refusals = enrol(session, ids, current_user, one_step=request.form.get("workflow") != "manager")
        if made:
            flash(ngettext("%(num)s request recorded.", "%(num)s requests recorded.", len(made)), "success")
        for refusal in refusals:
            flash(refusal, "error")
        return self.back()
