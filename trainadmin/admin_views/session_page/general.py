"""« Informations générales »: the session's fields and « Gérer la planification de la session », the
editor where sequences and their slots are added and changed in place — the one screen that edits
them.

Its forms post to the routes below; with JavaScript they are sent in the background and the editor
is redrawn (other unsaved forms on the page are kept), without it the page is reloaded.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...ids import parse_id
from ...models import Sequence, Slot, TrainingSession
from ...services.errors import DomainError, ValidationFailed
from ...services.planning import delete_sequence, delete_slot, move_sequence, save_sequence, save_slot
from ...services.sessions import SessionLocked
from .part import SessionTab, requested_id, route
from .planning_forms import editor_choices, editor_context, load_slots, sequence_values, slot_values

MAX_DRAWN = 1000


class GeneralTab(SessionTab):
    name = "general"
    label = _l("General information")

    def loaders(self) -> tuple:
        """The editor shows each sequence's header, and the slots of the open one only."""
        return (
            selectinload(TrainingSession.training),
            selectinload(TrainingSession.populations),
            selectinload(TrainingSession.sequences).selectinload(Sequence.teaching_mode),
        )

    def context(self, session: TrainingSession) -> dict:
        return {
            **editor_context(session, [requested_id("open")]),
            "choices": editor_choices(),
            "edit_slot": requested_id("edit_slot"),
            "new_slot": requested_id("new_slot"),
            "edit_sequence": requested_id("edit_sequence"),
            "open_sequence": requested_id("open"),
            "drawn_sequences": [],
        }

    # --- Answers -------------------------------------------------------------------------------

    def _wants_json(self) -> bool:
        return request.accept_mimetypes.best == "application/json"

    def _editor(self, session: TrainingSession, open_sequence: int | None) -> str:
        loaded = request.form.getlist("_open")[:MAX_DRAWN]  # the sequences the browser had opened
        drawn = [i for i in (parse_id(value) for value in loaded) if i is not None]
        return render_template(
            "admin/sessions/_planning_editor.html",
            open_sequence=open_sequence,
            drawn_sequences=drawn,
            **editor_context(session, [open_sequence, *drawn]),
            choices=editor_choices(),
            **self.view.page_context(session),
        )

    def _saved(self, session: TrainingSession, message=None, warnings=(), open_sequence=None):
        """The editor again, as saved (the request commits on the way out)."""
        db.session.flush()
        if self._wants_json():
            html = self._editor(session, open_sequence)
            return jsonify({"ok": True, "message": message, "warnings": list(warnings), "html": html})
        if message:
            flash(message, "success")
        for warning in warnings:
            flash(warning, "warning")
        return self._reload(session.id, open_sequence)

    def _reload(self, session_id: int, open_sequence: int | None):
        anchor = f"#sequence-{open_sequence}" if open_sequence else "#planning-editor"
        url = self.url(".details_view", id=session_id, open=open_sequence or "")
        return redirect(url + anchor)

    def refused(self, exc: DomainError):
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "_form": exc.message}
        if isinstance(exc, SessionLocked):
            # Locked since the form was opened (someone enrolled): the editor says why, in the form.
            if self._wants_json():
                return jsonify({"ok": False, "errors": {"_form": exc.message}}), 403
            abort(403, description=exc.message)
        if self._wants_json():
            return jsonify({"ok": False, "errors": errors}), 422
        for message in errors.values():
            flash(message, "error")
        open_sequence = requested_id("sequence")
        if open_sequence is None and requested_id("slot"):
            slot = db.session.get(Slot, requested_id("slot"))
            open_sequence = slot.sequence_id if slot is not None else None
        return self._reload(requested_id("id") or 0, open_sequence)

    # --- Lookups -------------------------------------------------------------------------------

    def _sequence_of(self, session: TrainingSession) -> Sequence:
        sequence_id = requested_id("sequence")
        sequence = db.session.get(Sequence, sequence_id) if sequence_id else None
        if sequence is None or sequence.session_id != session.id:
            abort(404)
        return sequence

    def _slot_of(self, sequence: Sequence) -> Slot | None:
        if not request.args.get("slot"):
            return None
        slot = db.session.get(Slot, requested_id("slot") or 0)
        if slot is None or slot.sequence_id != sequence.id:
            abort(404)
        return slot

    def _may_plan(self, session: TrainingSession) -> dict:
        context = self.view.page_context(session)
        if not context["may_plan"]:
            abort(403)
        return context

    # --- Sequences -----------------------------------------------------------------------------

    @route("/sequence/form/")
    def sequence_form_view(self):
        """The edit form of one sequence, asked for when the user opens it."""
        session = self.session()
        sequence = self._sequence_of(session)
        context = self._may_plan(session)
        return render_template(
            "admin/sessions/_sequence_form_fragment.html",
            sequence=sequence,
            choices=editor_choices(),
            **context,
        )

    @route("/sequence/body/")
    def sequence_body_view(self):
        """One sequence's slots, asked for when the user opens it (the page draws only the open one)."""
        session = self.view.get_one(request.args.get("id", ""), self.loaders())
        if session is None:
            abort(404)
        sequence = self._sequence_of(session)
        load_slots(session, [sequence.id])
        return render_template(
            "admin/sessions/_sequence_body.html", sequence=sequence, **self.view.page_context(session)
        )

    @route("/sequence/save/", methods=("POST",))
    def sequence_save_view(self):
        session = self.session()
        sequence = self._sequence_of(session) if request.args.get("sequence") else None
        values, errors = sequence_values(request.form)
        if errors:
            raise ValidationFailed(errors)
        saved = save_sequence(session, values, current_user, request.form.get("change_reason"), sequence)
        message = gettext("Sequence « %(label)s » saved.", label=saved.label)
        return self._saved(session, message, open_sequence=saved.id)

    @route("/sequence/delete/", methods=("POST",))
    def sequence_delete_view(self):
        session = self.session()
        sequence = self._sequence_of(session)
        delete_sequence(sequence, current_user, request.form.get("change_reason"))
        return self._saved(session, gettext("Sequence deleted."))

    @route("/sequence/move/", methods=("POST",))
    def sequence_move_view(self):
        session = self.session()
        sequence = self._sequence_of(session)
        offset = -1 if request.form.get("offset", request.args.get("offset")) == "-1" else 1
        move_sequence(sequence, offset, current_user, request.form.get("change_reason"))
        return self._saved(session)

    # --- A row's button without JavaScript: a small page holding its form ----------------------
    # The row links to the address its form posts to; with JavaScript the editor sends its one form
    # of that kind there instead.

    @route("/sequence/move/", write=True)
    def sequence_move_page(self):
        session = self.session()
        sequence = self._sequence_of(session)
        up = request.args.get("offset") == "-1"
        question = (
            gettext("Move the sequence « %(label)s » up?", label=sequence.label)
            if up
            else gettext("Move the sequence « %(label)s » down?", label=sequence.label)
        )
        return self._action_page(
            session,
            question,
            gettext("Move up") if up else gettext("Move down"),
            gettext("Order of the sequences"),
            self.url(".sequence_move_view", id=session.id, sequence=sequence.id, offset=-1 if up else 1),
            danger=False,
        )

    @route("/sequence/delete/", write=True)
    def sequence_delete_page(self):
        session = self.session()
        sequence = self._sequence_of(session)
        question = (
            gettext("This sequence has %(n)s slot(s): delete it with its slots?", n=len(sequence.slots))
            if sequence.slots
            else gettext("Delete the sequence « %(label)s »?", label=sequence.label)
        )
        return self._action_page(
            session,
            question,
            gettext("Delete the sequence"),
            gettext("Sequence deleted"),
            self.url(".sequence_delete_view", id=session.id, sequence=sequence.id),
        )

    @route("/slot/delete/", write=True)
    def slot_delete_page(self):
        session = self.session()
        slot = db.session.get(Slot, requested_id("slot") or 0)
        if slot is None or slot.sequence.session_id != session.id:
            abort(404)
        return self._action_page(
            session,
            gettext("Delete this slot?"),
            gettext("Delete the slot"),
            gettext("Slot deleted"),
            self.url(".slot_delete_view", id=session.id, slot=slot.id),
        )

    def _action_page(self, session, question: str, button: str, reason: str, action: str, danger=True):
        context = self._may_plan(session)
        return self.view.render(
            "admin/sessions/planning_action.html",
            question=question,
            button=button,
            reason=reason,
            action=action,
            danger=danger,
            back_url=self.url(".details_view", id=session.id) + "#planning-editor",
            **context,
        )

    # --- Slots ---------------------------------------------------------------------------------

    @route("/slot/form/")
    def slot_form_view(self):
        """One slot form, asked for when the user opens it (the page does not carry them all)."""
        session = self.session()
        sequence = self._sequence_of(session)
        slot = self._slot_of(sequence)
        context = self._may_plan(session)
        return render_template(
            "admin/sessions/_slot_form_fragment.html",
            sequence=sequence,
            slot=slot,
            choices=editor_choices(),
            **context,
        )

    @route("/slot/save/", methods=("POST",))
    def slot_save_view(self):
        session = self.session()
        sequence = self._sequence_of(session)
        slot = self._slot_of(sequence)
        data, errors = slot_values(request.form)
        if errors:
            raise ValidationFailed(errors)
        result = save_slot(
            sequence,
            data,
            current_user,
            reason=request.form.get("change_reason"),
            slot=slot,
            notify=request.form.get("no_calendar_update") != "y",
            override_reason=request.form.get("override_reason"),
        )
        return self._saved(session, gettext("Slot saved."), result.warnings, open_sequence=sequence.id)

    @route("/slot/delete/", methods=("POST",))
    def slot_delete_view(self):
        session = self.session()
        slot = db.session.get(Slot, requested_id("slot") or 0)
        if slot is None or slot.sequence.session_id != session.id:
            abort(404)
        sequence_id = slot.sequence_id
        delete_slot(
            slot,
            current_user,
            request.form.get("change_reason"),
            notify=request.form.get("no_calendar_update") != "y",
        )
        return self._saved(session, gettext("Slot deleted."), open_sequence=sequence_id)
