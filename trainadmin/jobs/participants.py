"""Jobs of the people without an account: the reminders to the managers who have not answered a
demande's link and to the participants who have not answered a survey's link, and the morning's
sign-in links.

Registered in `rq cron` every hour (trainadmin/jobs/cron.py)."""

from __future__ import annotations

from ..services.evaluations.survey_reminders import remind_surveys
from ..services.participants.manager_links import remind_managers
from ..services.participants.signin_mail import send_signin_links
from . import job


@job
def remind_managers_job() -> int:
    """The managers whose link waits for `manager_reminder_days` get « Relance du manager » with a
    new link, once per link; running it twice sends nothing more."""
    return remind_managers()


@job
def remind_surveys_job() -> int:
    """The participants whose survey link waits for `survey_reminder_days` get « Relance enquête »
    with a new link, once per survey; running it twice sends nothing more."""
    return remind_surveys()


@job
def send_signin_links_job() -> int:
    """Today's « Émargement du jour » e-mails whose sending time has come; once per participant and
    date whatever the number of runs."""
    return send_signin_links()
