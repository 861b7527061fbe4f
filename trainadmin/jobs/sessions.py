"""Jobs on sessions."""

from __future__ import annotations

from ..extensions import db
from ..models import TrainingSession
from ..services import planning
from . import app_context, logged_job


@logged_job
def recompute_session_dates(session_id: int) -> dict | None:
    """Recompute a session's derived dates and durations; running it twice changes nothing."""
    with app_context():
        session = db.session.get(TrainingSession, session_id)
        if session is None:
            return None
        planning.refresh_session(session)
        db.session.commit()
        return {
            "code": session.code,
            "start_date": session.start_date.isoformat() if session.start_date else None,
            "end_date": session.end_date.isoformat() if session.end_date else None,
        }
