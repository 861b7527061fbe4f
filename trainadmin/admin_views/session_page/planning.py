"""« Planification »: publication (Brouillon / Publié, manual only), the workflow créé → confirmé →
en cours → clôturé or annulé, and the sequences on a timeline. Once someone is enrolled only an
operations manager or an administrator changes either, with a reason."""

from __future__ import annotations

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...clock import local_now
from ...models import Publication, TrainingSession, WorkflowStatus
from ...services.errors import DomainError
from ...services.history import change_reason
from ...services.sessions import TRANSITIONS, change_status, ensure_can_change, set_publication
from ..labels import enum_label
from .part import SessionTab, route

WORKFLOW_ORDER = (
    WorkflowStatus.CREATED,
    WorkflowStatus.CONFIRMED,
    WorkflowStatus.IN_PROGRESS,
    WorkflowStatus.CLOSED,
    WorkflowStatus.CANCELLED,
)


def available_transitions(session: TrainingSession) -> list[WorkflowStatus]:
    """The moves the workflow allows from here, in the workflow's order, « annulé » last."""
    targets = TRANSITIONS[session.status]
    return [status for status in WORKFLOW_ORDER if status in targets]


class PlanningTab(SessionTab):
    name = "planning"
    label = _l("Planning")

    def context(self, session: TrainingSession) -> dict:
        return {"transitions": available_transitions(session)}

    @route("/publication/", methods=("POST",))
    def publication_view(self):
        session = self.session()
        try:
            publication = Publication(request.form.get("publication", ""))
        except ValueError:
            raise DomainError(gettext("Choose Draft or Published."), field="publication") from None
        reason = request.form.get("change_reason")
        ensure_can_change(session, current_user, reason)
        with change_reason(reason):
            set_publication([session], publication, current_user)
        return self.saved(gettext("Publication saved: %(state)s.", state=enum_label(publication)))

    @route("/status/", methods=("POST",))
    def status_view(self):
        session = self.session()
        try:
            target = WorkflowStatus(request.form.get("status", ""))
        except ValueError:
            raise DomainError(
                gettext("A session cannot go from this status to the one requested."), field="status"
            ) from None
        change_status(
            session,
            target,
            current_user,
            local_now(),
            reason=request.form.get("cancel_reason"),
            change_reason=request.form.get("change_reason"),
        )
        return self.saved(gettext("Workflow status: %(state)s.", state=enum_label(target)))
