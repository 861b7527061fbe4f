"""Periodic jobs, for `flask --app app cron` (exactly one such process: it has no leader
election; see jobs/scheduling.py).

The dispatcher tick runs at start, then every minute; it is cheap when nothing is due (a few indexed
queries) and safe to run twice. Every minute too, the partners whose import schedule (a cron
expression in local time) has come get their run queued — once per partner and minute. Every hour,
the managers who have not answered a demande's link for `manager_reminder_days` are reminded, and
the participants who have not answered a survey's link for `survey_reminder_days`. Every five
minutes, the morning's sign-in links of today's dates whose « Émargement du jour » time has come.
"""

from rq.cron import register

from ..queue import QUEUE_NAME
from .imports import import_due_partners
from .notifications import TICK_INTERVAL, dispatch
from .participants import remind_managers_job, remind_surveys_job, send_signin_links_job

register(
    dispatch,
    QUEUE_NAME,
    interval=TICK_INTERVAL,
    job_timeout=600,
    result_ttl=300,
    ttl=TICK_INTERVAL * 5,  # a tick waiting longer than this (no worker) is dropped: the next one counts
)

register(import_due_partners, QUEUE_NAME, cron="* * * * *", job_timeout=600, result_ttl=300)

register(remind_managers_job, QUEUE_NAME, cron="7 * * * *", job_timeout=600, result_ttl=300)
register(remind_surveys_job, QUEUE_NAME, cron="37 * * * *", job_timeout=600, result_ttl=300)
register(send_signin_links_job, QUEUE_NAME, cron="*/5 * * * *", job_timeout=600, result_ttl=300)
