"""Jobs on sessions."""

from __future__ import annotations

from ..extensions import db
from ..models import TrainingSession
from ..services import planning
from . import job


@job
def recompute_session_dates(session_id: int) -> dict | None:
    """Recompute a session's derived dates and durations; running it twice changes nothing."""
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        return None
    planning.refresh_session(session)
    return {
        "code": session.code,
        "start_date": session.start_date.isoformat() if session.start_date else None,
        "end_date": session.end_date.isoformat() if session.end_date else None,
    }
