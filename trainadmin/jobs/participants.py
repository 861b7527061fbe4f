"""Jobs of the demandes: the reminders to the managers who have not answered their link.

Registered in `rq cron` every hour (trainadmin/jobs/cron.py)."""

from __future__ import annotations

from ..services.participants.manager_links import remind_managers
from . import job


@job
def remind_managers_job() -> int:
    """The managers whose link waits for `manager_reminder_days` get « Relance du manager » with a
    new link, once per link; running it twice sends nothing more."""
    return remind_managers()
