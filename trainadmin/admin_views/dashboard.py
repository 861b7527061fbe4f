"""« Tableau de bord »: the admin home page, behind the same access rule as every view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext

from ..services.dashboard import (
    FAILED_IMPORT_DAYS,
    SOON_DAYS,
    attention_counts,
    failed_imports,
    timeline,
)
from .base import STAFF, AccessMixin, current_role
from .page_parts import StaticUrlMixin


class DashboardView(AccessMixin, StaticUrlMixin, AdminIndexView):
    @expose()
    def index(self):
        today = datetime.now(ZoneInfo(current_app.config["TRAINADMIN_TZ"])).date()
        counts = attention_counts(today)
        sessions = next(view for view in self.admin._views if getattr(view, "endpoint", "") == "sessions")
        soon = f"{today.isoformat()} to {(today + timedelta(days=SOON_DAYS)).isoformat()}"
        active = {"flt1_status_enuminlist": "CREATED,CONFIRMED,IN_PROGRESS"}
        cards = [
            {
                "key": "drafts",
                "label": gettext("Drafts"),
                "value": counts["drafts"],
                "tone": "warning",
                "url": sessions.filter_url("publication", "enumequal", "DRAFT", **active),
            },
            {
                "key": "to_complete",
                "label": gettext("Costs or evaluation to enter"),
                "value": counts["to_complete"],
                "tone": "danger" if counts["to_complete"] else "secondary",
                "url": url_for("sessions.index_view", flt0_to_complete="1", **active),
            },
            {
                "key": "soon_under_minimum",
                "label": gettext("Starting within 30 days under their minimum capacity"),
                "value": counts["soon_under_minimum"],
                "tone": "danger" if counts["soon_under_minimum"] else "secondary",
                "url": url_for(
                    "sessions.index_view",
                    flt0_start_date_datebetween=soon,
                    flt1_under_minimum="1",
                    flt2_status_enuminlist="CREATED,CONFIRMED,IN_PROGRESS",
                ),
            },
            {
                "key": "soon",
                "label": gettext("Starting within 30 days"),
                "value": counts["soon"],
                "tone": "info",
                "url": url_for("sessions.index_view", flt0_start_date_datebetween=soon, **active),
            },
        ]
        if current_role() in STAFF:
            cards.insert(
                1,
                {
                    "key": "requests_to_process",
                    "label": gettext("Requests to process"),
                    "value": counts["requests_to_process"],
                    "tone": "primary" if counts["requests_to_process"] else "secondary",
                    "url": url_for("demandes_todo.index_view"),
                },
            )
            outbox = next(view for view in self.admin._views if getattr(view, "endpoint", "") == "outbox")
            cards.append(
                {
                    "key": "failed_emails",
                    "label": gettext("Failed e-mails"),
                    "value": counts["failed_emails"],
                    "tone": "danger" if counts["failed_emails"] else "secondary",
                    "url": outbox.filter_url("state", "enumequal", "FAILED"),
                }
            )
        failed = failed_imports(datetime.now(UTC) - timedelta(days=FAILED_IMPORT_DAYS))
        if failed:
            imports = next(view for view in self.admin._views if getattr(view, "endpoint", "") == "imports")
            cards.append(
                {
                    "key": "failed_imports",
                    "label": gettext("Failed imports (last %(days)s days)", days=FAILED_IMPORT_DAYS),
                    "value": failed,
                    "tone": "danger",
                    "url": imports.filter_url("status", "enumequal", "FAILED"),
                }
            )
        bars, weeks = timeline(today)
        return self.render("admin/dashboard.html", cards=cards, bars=bars, weeks=weeks, today=today)
