"""What needs attention now, for the admin home page."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext

from ..extensions import db
from ..models import Publication, TrainingSession, WorkflowStatus


def dashboard_figures(today: date | None = None) -> dict:
    today = today or date.today()
    soon = today + timedelta(days=30)
    counts = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(TrainingSession.publication == Publication.DRAFT),
            sa.func.count().filter(TrainingSession.start_date.between(today, soon)),
        ).where(TrainingSession.status != WorkflowStatus.CANCELLED)
    ).one()
    upcoming = db.session.scalars(
        sa.select(TrainingSession)
        .where(TrainingSession.start_date >= today, TrainingSession.status != WorkflowStatus.CANCELLED)
        .order_by(TrainingSession.start_date, TrainingSession.code)
        .limit(10)
    ).all()
    list_url = url_for("sessions.index_view")
    return {
        "cards": [
            {"label": gettext("Active sessions"), "value": counts[0], "url": list_url, "tone": "primary"},
            {
                "label": gettext("Drafts"),
                "value": counts[1],
                "url": url_for("sessions.index_view", flt0_publication_enumequal="DRAFT"),
                "tone": "warning",
            },
            {
                "label": gettext("Starting within 30 days"),
                "value": counts[2],
                "url": url_for(
                    "sessions.index_view",
                    flt0_start_date_datebetween=f"{today.isoformat()} to {soon.isoformat()}",
                    flt1_status_enumnotequal="CANCELLED",
                ),
                "tone": "info",
            },
        ],
        "upcoming": upcoming,
    }
