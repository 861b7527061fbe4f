"""Jobs of the notifications: the dispatcher tick (every minute, from `flask cron`) and the sending of
one batch of outbox rows. Thin: the rules live in services/notifications/delivery.py, and running
either twice, or two at once, sends nothing twice (the outbox's claims and unique keys)."""

from __future__ import annotations

from datetime import datetime

from rq import get_current_job

from ..services.notifications import delivery, sending
from ..transaction import commit
from . import job

TICK_INTERVAL = 60  # seconds between two periodic ticks


@job
def dispatch() -> dict[str, int]:
    """One dispatcher tick: prepare what is due, hand the pending messages to send jobs."""
    return delivery.dispatch_tick(commit)


@job
def send_batch(ids: list[int], lease: str | None = None) -> dict[str, int]:
    """Send these outbox rows. An unreachable SMTP server fails the job, which RQ retries with
    backoff (the rows are released for the next tick as well). Calendar updates that a sent
    convocation queued wake the dispatcher once committed."""
    current = get_current_job()  # its retries, under the same id, take its rows back at once
    result = delivery.send_messages(
        ids, commit, datetime.fromisoformat(lease) if lease else None, current.id if current else None
    )
    if result.get("unreachable"):
        raise sending.SmtpUnavailable(f"{result['unreachable']} message(s) could not be sent")
    return result
