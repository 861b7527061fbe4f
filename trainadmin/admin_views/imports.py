"""« Importer » (from « Créer une session ») and « Imports »: start an import of a partner's
sessions, follow its run, read what it did. Managers, operations managers and administrators
import; viewers read the runs."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..form_tokens import answer_with
from ..ids import parse_id
from ..models import FeedSource, ImportedSession, ImportRejection, ImportRun, ImportStatus, Partner
from ..services.errors import DomainError
from ..services.imports import FeedError, is_stale, queue_run, read_limited, rerun
from ..transaction import commits, unit_of_work
from .base import SecureModelView
from .labels import enum_label

log = logging.getLogger(__name__)

SHOWN_SESSIONS = 200
SHOWN_REJECTIONS = 500

# « Format des fichiers » on the import page: the CSV columns (required first), as the partner
# import guide describes them.
CSV_COLUMNS = (
    ("reference", True, _l("the partner's reference of the session")),
    ("training", True, _l("the training: its reference or its name")),
    ("date", True, _l("a date of the slot: 15/03/2027, 15/03/27 or 2027-03-15")),
    ("start_time", True, _l("its start: 09:00, 9h00 or 09:00:00")),
    ("end_time", True, _l("its end")),
    ("title", False, _l("the session's title (default: the training's name)")),
    ("year", False, _l("the year of the code (default: the year of the first date)")),
    ("session_type", False, _l("INTER (default) or INTRA")),
    ("capacity_min, capacity_target, capacity_max", False, _l("the capacities")),
    ("comments, convocation_comment", False, _l("the comments of the session and of the convocation")),
    ("sequence", False, _l("the sequence's label: lines with the same label make one sequence")),
    ("teaching_mode", False, _l("the teaching method (Présentiel, E-learning…)")),
    ("prework", False, _l("oui/non (also VRAI/FAUX, 1/0): a pre-work sequence")),
    ("slot", False, _l("the slot's number in its sequence (default 1)")),
    ("break_minutes", False, _l("the break of that day, in minutes")),
    ("location, room", False, _l("the place (by name) and its room")),
    ("trainers", False, _l("the trainers, separated by |: First Last or first.last@example.com")),
    (
        "organisation_comment, location_comment, trainer_comment",
        False,
        _l("the slot's three notification comments"),
    ),
)

RUN_LABELS = {
    "id": _l("Run"),
    "partner": _l("Partner"),
    "partner.name": _l("Partner"),
    "status": _l("Status"),
    "scheduled": _l("Scheduled"),
    "filename": _l("File"),
    "queued_at": _l("Queued at"),
    "started_at": _l("Started at"),
    "finished_at": _l("Finished at"),
    "created_count": _l("Created"),
    "updated_count": _l("Updated"),
    "unchanged_count": _l("Unchanged"),
    "rejected_count": _l("Rejected"),
    "flagged_count": _l("Absent from the feed"),
}

STATUS_TONES = {
    ImportStatus.QUEUED: "secondary",
    ImportStatus.RUNNING: "info",
    ImportStatus.SUCCEEDED: "success",
    ImportStatus.WITH_REJECTIONS: "warning",
    ImportStatus.FAILED: "danger",
}


def status_badge(run: ImportRun) -> Markup:
    return Markup('<span class="badge badge-{}" id="run-status">{}</span>').format(
        STATUS_TONES[run.status], escape(enum_label(run.status))
    )


def _run_link(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(
        url_for("imports.details_view", id=model.id), escape(f"#{model.id}")
    )


def _status(view, context, model, name):
    return status_badge(model)


class ImportRunView(SecureModelView):
    allow_create = False
    allow_edit = False
    allow_delete = False
    can_export = False
    extra_write_views = frozenset({"start_view", "rerun_view"})
    column_list = (
        "id",
        "queued_at",
        "partner",
        "status",
        "scheduled",
        "filename",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "flagged_count",
    )
    column_sortable_list = ("id", "queued_at", "status")
    column_default_sort = ("id", True)
    column_filters = ("status", "scheduled", "partner.name")
    column_labels = RUN_LABELS
    column_formatters = {"id": _run_link, "status": _status}
    list_loader_options = (selectinload(ImportRun.partner),)
    list_template = "admin/imports/list.html"

    # --- « Importer » ----------------------------------------------------------------------

    @expose("/start/", methods=("GET", "POST"))
    def start_view(self):
        partners = db.session.scalars(
            sa.select(Partner).where(Partner.active.is_(True)).order_by(Partner.name)
        ).all()
        errors: dict[str, str] = {}
        chosen = parse_id(request.values.get("partner"))
        if request.method == "POST":
            partner = db.session.get(Partner, chosen) if chosen is not None else None
            try:
                with unit_of_work():
                    run = self._queue(partner)
                    answer_with(lambda: url_for(".details_view", id=run.id))
            except DomainError as exc:
                errors[exc.field or "partner"] = exc.message
            else:
                return redirect(url_for(".details_view", id=run.id))
        return self.render(
            "admin/imports/start.html",
            partners=partners,
            chosen=chosen,
            errors=errors,
            fetchable={p.id for p in partners if p.source_kind != FeedSource.UPLOAD},
            csv_columns=CSV_COLUMNS,
            return_url=url_for("sessions.index_view"),
        )

    def _queue(self, partner: Partner | None) -> ImportRun:
        if partner is None or not partner.active:
            raise DomainError(gettext("Choose a partner."), field="partner")
        if request.form.get("action") == "fetch":
            return queue_run(partner, current_user)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise DomainError(gettext("Choose the file to import."), field="file")
        try:
            data = read_limited(upload.stream)
        except FeedError as exc:
            raise DomainError(exc.message, field="file") from None
        finally:
            upload.close()
        return queue_run(partner, current_user, data=data, filename=upload.filename)

    # --- A run -----------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        run_id = parse_id(request.args.get("id"))
        run = db.session.get(ImportRun, run_id) if run_id is not None else None
        if run is None:
            abort(404)
        sessions = db.session.scalars(
            sa.select(ImportedSession)
            .where(ImportedSession.run_id == run.id)
            .options(selectinload(ImportedSession.session))
            .order_by(ImportedSession.id)
            .limit(SHOWN_SESSIONS)
        ).all()
        rejections = db.session.scalars(
            sa.select(ImportRejection)
            .where(ImportRejection.run_id == run.id)
            .order_by(ImportRejection.id)
            .limit(SHOWN_REJECTIONS)
        ).all()
        totals = db.session.execute(
            sa.select(
                sa.select(sa.func.count()).where(ImportedSession.run_id == run.id).scalar_subquery(),
                sa.select(sa.func.count()).where(ImportRejection.run_id == run.id).scalar_subquery(),
            )
        ).one()
        return self.render(
            "admin/imports/run.html",
            run=run,
            status=status_badge(run),
            rejected_note=ngettext(
                "%(num)s session of the file was rejected; the others were imported.",
                "%(num)s sessions of the file were rejected; the others were imported.",
                run.rejected_count,
            )
            if run.status == ImportStatus.WITH_REJECTIONS
            else None,
            sessions=sessions,
            session_total=totals[0],
            rejections=rejections,
            rejection_total=totals[1],
            stale=is_stale(run),
            may_rerun=self.may_write() and (run.status == ImportStatus.FAILED or is_stale(run)),
            may_import=self.may_write(),
            return_url=url_for(".index_view"),
        )

    def _refused(self, exc: DomainError):
        flash(exc.message, "error")
        return redirect(url_for(".details_view", id=parse_id(request.form.get("id"))))

    @expose("/rerun/", methods=("POST",))
    @commits(refused="_refused")
    def rerun_view(self):
        run_id = parse_id(request.form.get("id"))
        run = db.session.get(ImportRun, run_id) if run_id is not None else None
        if run is None:
            abort(404)
        rerun(run)
        return redirect(url_for(".details_view", id=run.id))
