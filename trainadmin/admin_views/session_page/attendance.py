"""« Présences »: attendance per half-day, a whole day at once, the sign-in sheets, certifications.

Attendance and certification results are run-time data: unlike the session itself, they are not
locked once collaborators are enrolled; viewers read them, the training staff records them.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from ...clock import local_today
from ...models import HalfDay, Presence, TrainingSession
from ...services.errors import DomainError
from ...services.participants import (
    CERTIFICATION_RESULTS,
    attendance_sheet,
    countersign_links_for,
    enrolled_participants,
    find_day,
    local_time,
    save_sheet,
    session_signatures,
    set_whole_day,
    signin_links_for,
    signin_sheet_pdf,
)
from ..downloads import pdf_download
from ..labels import enum_choices, enum_label
from .part import SessionTab, route

CELL_PREFIX = "attendance-"
RESULT_PREFIX = "certification-"
RESULT_DATE_PREFIX = "certification_on-"


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


class AttendanceTab(SessionTab):
    name = "attendance"
    label = _l("Attendance")

    def context(self, session: TrainingSession) -> dict:
        return {
            "sheet": attendance_sheet(session),
            "presence_choices": enum_choices(Presence),
            "certification_results": CERTIFICATION_RESULTS,
            "today": local_today(),
            "signed_time": local_time,
            "present": Presence.PRESENT,
        }

    @route("/attendance/", methods=("POST",))
    def attendance_save_view(self):
        """« Sauvegarder » of the whole grid: all cells and certification results, or nothing."""
        session = self.session()
        cells, certifications = sheet_from_form(request.form)
        save_sheet(session, cells, certifications, local_today())
        return self.saved(gettext("Attendance saved."))

    @route("/attendance/day/", methods=("POST",))
    def attendance_day_view(self):
        """One value for everyone on one date (« Tous présents »)."""
        session = self.session()
        value = request.form.get("value", "").strip()
        count = set_whole_day(session, request.form.get("slot_date_id"), value)
        if not count:
            flash(gettext("Nobody is enrolled in this session."), "warning")
            return self.back()
        return self.saved(
            ngettext(
                "%(num)s half-day recorded as %(value)s.",
                "%(num)s half-days recorded as %(value)s.",
                count,
                value=enum_label(Presence(value)),
            )
        )

    @route("/attendance/signatures/")
    def attendance_signatures_view(self):
        """Who signed which half-day so far, for the grid to show signatures as they come."""
        session = self.session()
        signed = {
            f"{request_id}-{slot_date_id}-{half.value}": local_time(at)
            for request_id, slot_date_id, half, at in session_signatures(session)
        }
        return jsonify({"signed": signed})

    @route("/attendance/sheet/")
    def signin_sheet_view(self):
        """« Feuille d'émargement » of one date of the session, as a PDF."""
        session = self.view.get_one(request.args.get("id", ""))
        day = find_day(session, request.args.get("date")) if session is not None else None
        if day is None:
            abort(404)
        pdf = signin_sheet_pdf(session, day, enrolled_participants(session))
        filename = f"emargement-{session.code}-{day.slot_date.day:%Y-%m-%d}.pdf"
        return pdf_download(pdf, filename)

    @route("/attendance/links/", methods=("POST",))
    def signin_links_view(self):
        """« Lien formateur » / « Liens participants » of one half-day: new links (the earlier ones
        stop working), shown once on a page of their own to be copied or sent."""
        session = self.session()
        day = find_day(session, request.form.get("slot_date_id"))
        if day is None:
            raise DomainError(gettext("This date is not a date of this session."), field="slot_date")
        try:
            half = HalfDay(request.form.get("half_day", ""))
        except ValueError:
            raise DomainError(gettext("Choose the morning or the afternoon."), field="half_day") from None
        if request.form.get("for") == "trainer":
            rows = [
                (str(trainer), trainer.email, url)
                for trainer, url in countersign_links_for(day.slot_date, half)
            ]
        else:
            rows = [
                (str(demande.collaborator), demande.collaborator.email, url)
                for demande, url in signin_links_for(day.slot_date, half)
            ]
        return self.view.render(
            "admin/sessions/signin_links.html",
            model=session,
            day=day,
            half=half,
            for_trainer=request.form.get("for") == "trainer",
            rows=rows,
            back_url=self.url(".details_view", id=session.id, tab=self.name),
        )
