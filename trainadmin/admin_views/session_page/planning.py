"""« Planification »: publication (Brouillon / Publié, manual only), the workflow créé → confirmé →
en cours → clôturé or annulé, and the sequences on a timeline. Once someone is enrolled only an
operations manager or an administrator changes either, with a reason.

The sequences are listed closed, each with its number of slots and its places (one query for the
whole session); a sequence's slots are drawn when it is opened — fetched from `sequence_slots_view`,
or, without JavaScript, drawn by the page asked for with `open=`. A slot's pencil and « Ajouter un
créneau » lead to that form in the planning editor (« Informations générales »)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...clock import local_now
from ...extensions import db
from ...models import Location, Publication, Sequence, Slot, TrainingSession, WorkflowStatus
from ...services.errors import DomainError
from ...services.history import change_reason
from ...services.sessions import TRANSITIONS, change_status, ensure_can_change, set_publication
from ..labels import enum_label
from .part import SessionTab, requested_id, route
from .planning_forms import load_slots

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


def slot_summary(session: TrainingSession) -> dict:
    """Each sequence's number of slots and its places (in the order of its slots), in one query."""
    rows = db.session.execute(
        sa.select(Slot.sequence_id, Location.name)
        .join(Sequence, Slot.sequence_id == Sequence.id)
        .outerjoin(Location, Slot.location_id == Location.id)
        .where(Sequence.session_id == session.id)
        .order_by(Slot.sequence_id, Slot.id)
    ).all()
    counts: dict[int, int] = {}
    places: dict[int, list[str]] = {}
    for sequence_id, place in rows:
        counts[sequence_id] = counts.get(sequence_id, 0) + 1
        named = places.setdefault(sequence_id, [])
        if place and place not in named:
            named.append(place)
    return {"slot_counts": counts, "places": places}


class PlanningTab(SessionTab):
    name = "planning"
    label = _l("Planning")

    def loaders(self) -> tuple:
        """The sequences without their slots (their number and places come from `slot_summary`)."""
        return (selectinload(TrainingSession.sequences).selectinload(Sequence.teaching_mode),)

    def context(self, session: TrainingSession) -> dict:
        open_sequence = requested_id("open")
        if open_sequence is not None:
            load_slots(session, [open_sequence])
        return {
            "transitions": available_transitions(session),
            "open_sequence": open_sequence,
            "edit_publication": request.args.get("edit") == "publication",
            **slot_summary(session),
        }

    @route("/sequence/slots/")
    def sequence_slots_view(self):
        """One sequence's slots, asked for when the user opens it on this tab."""
        session = self.view.get_one(request.args.get("id", ""), self.loaders())
        sequence_id = requested_id("sequence")
        sequence = next((s for s in session.sequences if s.id == sequence_id), None) if session else None
        if sequence is None:
            abort(404)
        load_slots(session, [sequence.id])
        return render_template(
            "admin/sessions/_sequence_slots.html", sequence=sequence, **self.view.page_context(session)
        )

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
