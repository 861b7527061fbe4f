"""The planning editor on the session page: sequences and slots added and changed in place.

Forms post to these endpoints; with JavaScript they are sent in the background and the editor is
redrawn (other unsaved forms on the page are kept), without it the page is reloaded.
"""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user

from ..extensions import db
from ..models import (
    Evaluation,
    Location,
    Sequence,
    SequenceStatus,
    Slot,
    TeachingMode,
    Trainer,
    TrainingOrganisation,
    TrainingSession,
)
from ..services.errors import DomainError, ValidationFailed
from ..services.notifications.delivery import kick
from ..services.sequences import delete_sequence, move_sequence, save_sequence
from ..services.sessions import UNLOCKED_ROLES, SessionLocked, is_locked
from ..services.slots import SlotInput, delete_slot, parse_decimal, save_slot
from .base import parse_id
from .labels import enum_choices

MAX_DATES = 60


def _int(value) -> int | None:
    return parse_id(value)


def _day(text: str, errors: dict, name: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = gettext("Enter a date (dd/mm/yyyy).")
        return None


def _time(text: str, errors: dict, name: str) -> time | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        errors[name] = gettext("Enter a time (hh:mm).")
        return None


def sequence_values(form) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    try:
        status = SequenceStatus(form.get("status") or "planned")
    except ValueError:
        status, errors["status"] = None, gettext("Choose a status in the list.")
    values = {
        "label": form.get("label", ""),
        "teaching_mode_id": _int(form.get("teaching_mode_id")),
        "url": form.get("url", ""),
        "status": status,
        "is_prework": form.get("is_prework") == "y",
        "hot_survey_enabled": form.get("hot_survey_enabled") == "y",
        "cold_survey_enabled": form.get("cold_survey_enabled") == "y",
    }
    # Fields absent from the request keep their value (or the formation's default for a new sequence).
    for name in ("hot_survey_evaluation_id", "cold_survey_evaluation_id"):
        if name in form:
            values[name] = _int(form.get(name))
    for name in ("hot_survey_delay_days", "cold_survey_delay_days"):
        text = (form.get(name) or "").strip()
        if not text:
            continue
        try:
            values[name] = int(text)
        except ValueError:
            errors[name] = gettext("Enter a whole number of days.")
    return values, errors


def slot_values(form) -> tuple[SlotInput, dict]:
    errors: dict[str, str] = {}
    dates = []
    for index in range(MAX_DATES):
        prefix = f"dates-{index}-"
        raw = [form.get(prefix + key, "") for key in ("day", "start_time", "end_time", "break_minutes")]
        if prefix + "day" not in form:
            break
        if not any(value.strip() for value in raw):
            continue  # an empty spare row
        pause_text = raw[3].strip()
        pause = parse_id(pause_text, 4) if pause_text else 0
        if pause is None:
            errors[prefix + "break_minutes"] = gettext("Enter a whole number of minutes.")
        dates.append(
            (
                _day(raw[0], errors, prefix + "day"),
                _time(raw[1], errors, prefix + "start_time"),
                _time(raw[2], errors, prefix + "end_time"),
                pause or 0,
            )
        )
    data = SlotInput(
        location_id=_int(form.get("location_id")),
        room_id=_int(form.get("room_id")),
        trainer_ids=[i for i in (_int(v) for v in form.getlist("trainer_ids")) if i is not None],
        co_trainer_id=_int(form.get("co_trainer_id")),
        host_name=form.get("host_name"),
        host_email=form.get("host_email"),
        organisation_id=_int(form.get("organisation_id")),
        organisation_comment=form.get("organisation_comment"),
        location_comment=form.get("location_comment"),
        trainer_comment=form.get("trainer_comment"),
        duration_days=parse_decimal(form.get("duration_days"), "duration_days", errors),
        duration_hours=parse_decimal(form.get("duration_hours"), "duration_hours", errors),
        dates=dates,
    )
    return data, errors


def editor_choices() -> dict:
    """The lists the sequence and slot forms offer (small reference tables)."""
    return {
        "teaching_modes": db.session.scalars(sa.select(TeachingMode).order_by(TeachingMode.name)).all(),
        "evaluations": db.session.scalars(sa.select(Evaluation).order_by(Evaluation.name)).all(),
        "locations": db.session.scalars(sa.select(Location).order_by(Location.name)).all(),
        "trainers": db.session.scalars(
            sa.select(Trainer).order_by(Trainer.last_name, Trainer.first_name)
        ).all(),
        "organisations": db.session.scalars(
            sa.select(TrainingOrganisation).order_by(TrainingOrganisation.name)
        ).all(),
        "statuses": enum_choices(SequenceStatus),
    }


class PlanningEditorMixin:
    """Endpoints of the planning editor, mixed into SessionView (write rights required)."""

    planning_write_views = frozenset(
        {
            "sequence_save_view",
            "sequence_delete_view",
            "sequence_move_view",
            "slot_save_view",
            "slot_delete_view",
        }
    )

    # --- Helpers ---------------------------------------------------------------------------

    def _planning_session(self) -> TrainingSession:
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        return session

    def _wants_json(self) -> bool:
        return request.accept_mimetypes.best == "application/json"

    def planning_context(self, session: TrainingSession) -> dict:
        locked = is_locked(session)
        return {
            "model": session,
            "locked": locked,
            "may_unlock": current_user.role in UNLOCKED_ROLES,
            "may_plan": self.can_edit and (not locked or current_user.role in UNLOCKED_ROLES),
            "choices": editor_choices(),
        }

    def _answer(self, session_id: int, message: str | None = None, warnings=(), open_sequence=None):
        """After a committed change: the calendar updates it queued go now, then the editor again."""
        kick()
        db.session.expire_all()
        session = self.get_one(str(session_id))
        if self._wants_json():
            html = render_template(
                "admin/sessions/_planning_editor.html",
                open_sequence=open_sequence,
                **self.planning_context(session),
            )
            return jsonify({"ok": True, "message": message, "warnings": list(warnings), "html": html})
        if message:
            flash(message, "success")
        for warning in warnings:
            flash(warning, "warning")
        anchor = f"#sequence-{open_sequence}" if open_sequence else "#planning-editor"
        return redirect(self.get_url(".details_view", id=session_id, open=open_sequence or "") + anchor)

    def _refused(self, session_id: int, exc: DomainError, open_sequence=None):
        db.session.rollback()
        if isinstance(exc, SessionLocked):
            abort(403, description=exc.message)
        errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "_form": exc.message}
        if self._wants_json():
            return jsonify({"ok": False, "errors": errors}), 422
        for message in errors.values():
            flash(message, "error")
        anchor = f"#sequence-{open_sequence}" if open_sequence else "#planning-editor"
        return redirect(self.get_url(".details_view", id=session_id, open=open_sequence or "") + anchor)

    def _sequence_of(self, session: TrainingSession) -> Sequence:
        sequence_id = _int(request.args.get("sequence"))
        sequence = db.session.get(Sequence, sequence_id) if sequence_id else None
        if sequence is None or sequence.session_id != session.id:
            abort(404)
        return sequence

    # --- Sequences -------------------------------------------------------------------------

    @expose("/sequence/form/")
    def sequence_form_view(self):
        """The edit form of one sequence, asked for when the user opens it."""
        session = self._planning_session()
        sequence = self._sequence_of(session)
        context = self.planning_context(session)
        if not context["may_plan"]:
            abort(403)
        return render_template("admin/sessions/_sequence_form_fragment.html", sequence=sequence, **context)

    @expose("/sequence/save/", methods=("POST",))
    def sequence_save_view(self):
        session = self._planning_session()
        sequence = self._sequence_of(session) if request.args.get("sequence") else None
        values, errors = sequence_values(request.form)
        try:
            if errors:
                raise ValidationFailed(errors)
            saved = save_sequence(session, values, current_user, request.form.get("change_reason"), sequence)
        except DomainError as exc:
            return self._refused(session.id, exc, open_sequence=sequence.id if sequence else None)
        session_id, saved_id, message = (
            session.id,
            saved.id,
            gettext("Sequence « %(label)s » saved.", label=saved.label),
        )
        db.session.commit()
        return self._answer(session_id, message, open_sequence=saved_id)

    @expose("/sequence/delete/", methods=("POST",))
    def sequence_delete_view(self):
        session = self._planning_session()
        sequence = self._sequence_of(session)
        try:
            delete_sequence(sequence, current_user, request.form.get("change_reason"))
        except DomainError as exc:
            return self._refused(session.id, exc, open_sequence=sequence.id)
        session_id = session.id
        db.session.commit()
        return self._answer(session_id, gettext("Sequence deleted."))

    @expose("/sequence/move/", methods=("POST",))
    def sequence_move_view(self):
        session = self._planning_session()
        sequence = self._sequence_of(session)
        offset = -1 if request.form.get("offset") == "-1" else 1
        try:
            move_sequence(sequence, offset, current_user, request.form.get("change_reason"))
        except DomainError as exc:
            return self._refused(session.id, exc)
        session_id = session.id
        db.session.commit()
        return self._answer(session_id)

    # --- Slots ----------------------------------------------------------------------------

    @expose("/slot/form/")
    def slot_form_view(self):
        """One slot form, asked for when the user opens it (the page does not carry them all)."""
        session = self._planning_session()
        sequence = self._sequence_of(session)
        slot = None
        if request.args.get("slot"):
            slot = db.session.get(Slot, _int(request.args.get("slot")) or 0)
            if slot is None or slot.sequence_id != sequence.id:
                abort(404)
        context = self.planning_context(session)
        if not context["may_plan"]:
            abort(403)
        return render_template(
            "admin/sessions/_slot_form_fragment.html", sequence=sequence, slot=slot, **context
        )

    @expose("/slot/save/", methods=("POST",))
    def slot_save_view(self):
        session = self._planning_session()
        sequence = self._sequence_of(session)
        slot = None
        if request.args.get("slot"):
            slot = db.session.get(Slot, _int(request.args.get("slot")) or 0)
            if slot is None or slot.sequence_id != sequence.id:
                abort(404)
        data, errors = slot_values(request.form)
        try:
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
        except DomainError as exc:
            return self._refused(session.id, exc, open_sequence=sequence.id)
        session_id, sequence_id, warnings = session.id, sequence.id, result.warnings
        db.session.commit()
        return self._answer(session_id, gettext("Slot saved."), warnings, open_sequence=sequence_id)

    @expose("/slot/delete/", methods=("POST",))
    def slot_delete_view(self):
        session = self._planning_session()
        slot = db.session.get(Slot, _int(request.args.get("slot")) or 0)
        if slot is None or slot.sequence.session_id != session.id:
            abort(404)
        sequence_id = slot.sequence_id
        try:
            delete_slot(
                slot,
                current_user,
                request.form.get("change_reason"),
                notify=request.form.get("no_calendar_update") != "y",
            )
        except DomainError as exc:
            return self._refused(session.id, exc, open_sequence=sequence_id)
        session_id = session.id
        db.session.commit()
        return self._answer(session_id, gettext("Slot deleted."), open_sequence=sequence_id)
