"""The session list: drafts and what needs attention at a glance, filters, exports that leave the
drafts out (and say so before the download), and the bulk actions (publication, recomputing dates)."""

from __future__ import annotations

import functools

from flask import flash, g, has_app_context, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, load_only, selectinload

from ..models import Origin, Publication, Training, TrainingSession
from ..queue import enqueue
from ..services.sessions import set_publication
from ..transaction import after_commit
from .base import SecureModelView, current_role
from .field_labels import SESSION_LABELS
from .labels import enum_label
from .list_queries import BoundedCountMixin
from .session_filters import MissingSetupFilter, UnderMinimumFilter
from .session_list_page import SessionListPage, rows_query
from .session_rows import SESSION_COLUMNS, page_rows, rows_html

RECOMPUTE_JOB = "trainadmin.jobs.sessions.recompute_session_dates"


def _publication_badge(view, context, model, name):
    if model.publication == Publication.DRAFT:
        return Markup('<span class="badge ta-badge-draft">{}</span>').format(
            escape(enum_label(model.publication))
        )
    return Markup('<span class="badge badge-success">{}</span>').format(escape(enum_label(model.publication)))


def _origin(view, context, model, name):
    """« Importé » says from which partner and under which reference."""
    label = enum_label(model.origin)
    if model.origin == Origin.IMPORTED and model.partner_id is not None:
        return gettext(
            "%(origin)s from %(partner)s (reference %(reference)s)",
            origin=label,
            partner=model.partner.name if model.partner else "—",
            reference=model.external_ref or "—",
        )
    return label


#: Read for the list page: its columns, and the id, year and training behind them.
LIST_PAGE_LOADERS = (
    load_only(
        *(
            getattr(TrainingSession, name)
            for name in (
                "id",
                "year",
                "training_id",
                "code",
                "label",
                "session_type",
                "start_date",
                "end_date",
                "duration_days",
                "sequence_count",
                "enrolled_count",
                "publication",
                "status",
            )
        )
    ),
    joinedload(TrainingSession.training).load_only(Training.name),
)


class SessionListView(BoundedCountMixin, SecureModelView):
    """The list part of the sessions view (the page and the forms are in sessions.py)."""

    list_template = "admin/sessions/list.html"
    create_template = "admin/sessions/create.html"
    edit_template = "admin/sessions/edit.html"
    column_list = SESSION_COLUMNS
    column_searchable_list = ("code", "label")
    column_search_lowered = {"label": "label_search"}
    column_sortable_list = (
        "code",
        "label",
        "start_date",
        "end_date",
        "session_type",
        "publication",
        "status",
    )
    # Newest first: by year then creation order (codes past 9999 in a year would sort wrongly as text).
    column_default_sort = [("year", True), ("id", True)]
    column_filters = (
        "publication",
        "status",
        "session_type",
        "year",
        "start_date",
        "training.name",
        "origin",
        "missing_from_feed",
        MissingSetupFilter(_l("Costs or evaluation to enter")),
        UnderMinimumFilter(_l("Under the minimum capacity")),
    )
    column_labels = SESSION_LABELS
    column_formatters = {"publication": _publication_badge, "origin": _origin}
    column_details_list = (
        "code",
        "label",
        "training",
        "year",
        "session_type",
        "certification",
        "organisation",
        "capacity_min",
        "capacity_target",
        "capacity_max",
        "dispositif",
        "funding_eligible",
        "populations",
        "evaluation",
        "publication",
        "status",
        "origin",
        "start_date",
        "end_date",
        "duration_days",
        "duration_hours",
        "comments",
        "convocation_comment",
        "organisation_comment",
        "calendar_invitations",
    )
    column_export_list = (
        "code",
        "label",
        "training",
        "session_type",
        "start_date",
        "end_date",
        "duration_days",
        "duration_hours",
        "sequence_count",
        "enrolled_count",
        "capacity_min",
        "capacity_max",
        "status",
    )
    column_formatters_export = {}

    @property
    def list_loader_options(self):  # type: ignore[override]
        """The list page reads the columns it shows and the training's name, in its one statement;
        the exports and the forms read the whole session and its training."""
        if has_app_context() and g.get("list_page_rows"):
            return ()
        if has_app_context() and g.get("bounded_count"):
            return LIST_PAGE_LOADERS
        return (selectinload(TrainingSession.training),)

    # --- The list page ---------------------------------------------------------------------------

    #: Draw the list with its own template and plain rows (session_list_page.py); False: Flask-Admin's.
    own_list_page = True

    @functools.cached_property
    def list_page(self) -> SessionListPage:
        return SessionListPage(self)

    @expose("/")
    def index_view(self):
        if not (self.own_list_page and self.list_page.supports()):
            return super().index_view()
        g.bounded_count = True
        try:
            return self.list_page.render()
        finally:
            g.bounded_count = False

    def list_scope_key(self) -> tuple:
        """What the rows of the list depend on besides the search, the order and the page: the role,
        the export scope and the view's scoping methods as they are now. The list page keeps its
        compiled statements per key (list_statements.py): a scope that reads more of the request
        (the user, the day) adds it here."""
        methods = (getattr(self, name) for name in ("get_query", "get_count_query", "_scoped"))
        return (current_role(), g.get("export_scope"), *(getattr(m, "__func__", m) for m in methods))

    def get_query(self):
        """Scoped as every list query (SecureModelView, exports); the own list page reads plain rows
        of it (`rows_query`), so the same rows are shown to the same roles."""
        query = super().get_query()
        return rows_query(query) if has_app_context() and g.get("list_page_rows") else query

    # --- Bulk actions ----------------------------------------------------------------------

    def _bulk_publication(self, ids, publication: Publication):
        sessions = self.query_for_ids(ids).all()
        changed, skipped = set_publication(sessions, publication, current_user)
        if changed:
            flash(
                ngettext("%(num)s session updated.", "%(num)s sessions updated.", len(changed)),
                "success",
            )
        if skipped:
            flash(
                gettext(
                    "Not changed because collaborators are enrolled (only an operations manager or an "
                    "administrator can change them): %(codes)s",
                    codes=", ".join(s.code for s in skipped),
                ),
                "warning",
            )

    @action("publish", _l("Publish"), _l("Publish the selected sessions in the client application?"))
    def action_publish(self, ids):
        self._bulk_publication(ids, Publication.PUBLISHED)

    @action("unpublish", _l("Back to draft"), _l("Put the selected sessions back to draft?"))
    def action_unpublish(self, ids):
        self._bulk_publication(ids, Publication.DRAFT)

    @action(
        "recompute_dates",
        _l("Recompute dates and durations"),
        _l("Recompute the dates and durations of the selected sessions from their slots?"),
    )
    def action_recompute_dates(self, ids):
        sessions = self.query_for_ids(ids).with_entities(TrainingSession.id).all()
        for (session_id,) in sessions:
            after_commit(functools.partial(enqueue, RECOMPUTE_JOB, session_id))
        flash(
            ngettext(
                "%(num)s session queued for recomputation.",
                "%(num)s sessions queued for recomputation.",
                len(sessions),
            ),
            "success",
        )

    def is_action_allowed(self, name):
        if name == "delete":
            return False  # sessions are cancelled, never deleted from the list
        return super().is_action_allowed(name)

    allow_delete = False

    # --- Exports: drafts never leave the back office ----------------------------------------

    export_criteria = (TrainingSession.publication != Publication.DRAFT,)

    def export_left_out_text(self, count: int) -> str:
        return ngettext(
            "%(num)s draft session left out of this export.",
            "%(num)s draft sessions left out of this export.",
            count,
        )

    def export_left_out_many_text(self, limit: str) -> str:
        return gettext("More than %(num)s draft sessions left out of this export.", num=limit)

    def row_action_urls(self) -> dict:
        """Address prefixes and titles of the row actions: they depend on what the role may do,
        the language and the address the app is mounted at, and are made once for each."""
        can_edit, can_create = self.can_edit, self.can_create
        key = (can_edit, can_create, str(get_locale()), request.script_root)
        urls = self.__dict__.setdefault("_ta_row_urls", {})
        if key not in urls:
            urls[key] = {
                "details": self.get_url(".details_view") + "?id=",
                "details_title": gettext("Open the session"),
                "edit": self.get_url(".edit_view") + "?id=" if can_edit else "",
                "edit_title": gettext("Edit the session"),
                "duplicate": self.get_url(".duplicate_view") + "?source=" if can_create else "",
                "duplicate_title": gettext("Duplicate"),
            }
        return urls[key]

    def page_rows(self, sessions, list_columns) -> list[tuple[int, list[object]]]:
        """The cells of the page, for the list template's row macro."""
        return page_rows(
            sessions,
            [name for name, _label in list_columns],
            lambda session, name: self.get_list_value(None, session, name),
        )

    def rows_html(self, sessions, list_columns, with_checkbox, select_title: str) -> Markup:
        """The rows of the page, drawn from `page_rows` (session_rows.rows_html)."""
        names = [name for name, _label in list_columns]
        return rows_html(
            self.page_rows(sessions, list_columns),
            names,
            self.row_action_urls(),
            select_title,
            with_checkbox,
        )

    def get_drafts_url(self) -> str:
        urls = self.__dict__.setdefault("_ta_drafts_urls", {})
        root = request.script_root
        if root not in urls:
            urls[root] = self.filter_url("publication", "enumequal", "DRAFT")
        return urls[root]
