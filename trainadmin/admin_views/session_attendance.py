"""The « Présences » tab: attendance per half-day, whole-day settings, sign-in sheets, certifications.

Attendance and certification results are run-time data: unlike the session itself, they are not
locked once collaborators are enrolled; viewers read them, the training staff records them.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext, ngettext
from werkzeug.datastructures import MultiDict
from werkzeug.utils import secure_filename

from ..extensions import db
from ..models import Presence
from ..services.attendance import (
    CERTIFICATION_RESULTS,
    attendance_sheet,
    enrolled_participants,
    find_day,
    save_sheet,
    set_whole_day,
)
from ..services.errors import DomainError, ValidationFailed
from ..services.signin_sheet import signin_sheet_pdf
from .labels import enum_choices, enum_label

CELL_PREFIX = "attendance-"
RESULT_PREFIX = "certification-"
RESULT_DATE_PREFIX = "certification_on-"


def local_today() -> date:
    """Today where the sessions take place (a certification date may not be after it)."""
    return datetime.now(ZoneInfo(current_app.config["TRAINADMIN_TZ"])).date()


def sheet_from_form(form: MultiDict) -> tuple[list[tuple], list[tuple]]:
    """The grid as posted: `attendance-<demande>-<slot date>-<am|pm>` = value,
    `certification-<demande>` = result with `certification_on-<demande>` = date."""
    cells, certifications = [], []
    for key, value in form.items():
        if key.startswith(CELL_PREFIX):
            parts = key[len(CELL_PREFIX) :].split("-", 2)
            request_id, slot_date_id, half_day = [*parts, "", ""][:3]
            cells.append((request_id, slot_date_id, half_day, value))
        elif key.startswith(RESULT_PREFIX):
            request_id = key[len(RESULT_PREFIX) :]
            certifications.append((request_id, value, form.get(RESULT_DATE_PREFIX + request_id, "")))
    return cells, certifications


class AttendanceMixin:
    attendance_write_views = frozenset({"attendance_save_view", "attendance_day_view"})

    def attendance_context(self, session) -> dict:
        return {
            "sheet": attendance_sheet(session),
            "presence_choices": enum_choices(Presence),
            "certification_results": CERTIFICATION_RESULTS,
            "today": local_today(),
        }

    def _attendance_back(self, session_id: int):
        return redirect(self.get_url(".details_view", id=session_id, tab="attendance"))

    def _attendance_refused(self, session_id: int, exc: DomainError):
        db.session.rollback()
        for message in exc.errors.values() if isinstance(exc, ValidationFailed) else [exc.message]:
            flash(message, "error")
        return self._attendance_back(session_id)

    @expose("/attendance/", methods=("POST",))
    def attendance_save_view(self):
        """« Sauvegarder » of the whole grid: all cells and certification results, or nothing."""
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        session_id = session.id
        cells, certifications = sheet_from_form(request.form)
        try:
            save_sheet(session, cells, certifications, local_today())
        except DomainError as exc:
            return self._attendance_refused(session_id, exc)
        db.session.commit()
        flash(gettext("Attendance saved."), "success")
        return self._attendance_back(session_id)

    @expose("/attendance/day/", methods=("POST",))
    def attendance_day_view(self):
        """One value for everyone on one date (« Tous présents »)."""
        session = self.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        session_id = session.id
        value = request.form.get("value", "").strip()
        try:
            count = set_whole_day(session, request.form.get("slot_date_id"), value)
        except DomainError as exc:
            return self._attendance_refused(session_id, exc)
        db.session.commit()
        if count:
            flash(
                ngettext(
                    "%(num)s half-day recorded as %(value)s.",
                    "%(num)s half-days recorded as %(value)s.",
                    count,
                    value=enum_label(Presence(value)),
                ),
                "success",
            )
        else:
            flash(gettext("Nobody is enrolled in this session."), "warning")
        return self._attendance_back(session_id)

    @expose("/attendance/sheet/")
    def signin_sheet_view(self):
        """« Feuille d'émargement » of one date of the session, as a PDF."""
        session = self.get_one(request.args.get("id", ""))
        day = find_day(session, request.args.get("date")) if session is not None else None
        if day is None:
            abort(404)
        pdf = signin_sheet_pdf(session, day, enrolled_participants(session))
        filename = secure_filename(f"emargement-{session.code}-{day.slot_date.day:%Y-%m-%d}.pdf")
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={"Content-Disposition": f"attachment; filename={filename}"},
        )
