"""Jobs of the notifications: the dispatcher tick (every minute, from `rq cron`) and the sending of
one batch of outbox rows. Thin: the rules live in services/notifications/delivery.py, and running
either twice, or two at once, sends nothing twice (the outbox's claims and unique keys)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from flask import Flask

from ..extensions import db
from ..services.notifications import delivery, sending
from . import app_context, logged_job

log = logging.getLogger(__name__)

TICK_INTERVAL = 60  # seconds between two periodic ticks


@logged_job
def dispatch() -> dict[str, int]:
    """One dispatcher tick: prepare what is due, hand the pending messages to send jobs."""
    with app_context():
        return delivery.dispatch_tick()


@logged_job
def send_batch(ids: list[int], lease: str | None = None) -> dict[str, int]:
    """Send these outbox rows. An unreachable SMTP server fails the job, which RQ retries with
    backoff (the rows are released for the next tick as well)."""
    with app_context():
        result = delivery.send_messages(ids, datetime.fromisoformat(lease) if lease else None)
        if result.get("follow_ups"):  # calendar updates queued by a sent convocation
            delivery.kick()
        if result.get("unreachable"):
            raise sending.SmtpUnavailable(f"{result['unreachable']} message(s) could not be sent")
        return result


def run_periodic_ticks(app: Flask, stop: threading.Event, interval: float = TICK_INTERVAL) -> None:
    """Without Redis (the demo), a thread of the web process runs the tick every minute."""
    while not stop.wait(interval):
        with app.app_context():
            try:
                delivery.dispatch_tick()
            except Exception:
                log.exception("notifications: periodic tick failed")
            finally:
                db.session.remove()


def start_periodic_ticks(app: Flask, interval: float = TICK_INTERVAL) -> Callable[[], None]:
    """Start the in-process tick loop; returns the function that stops it (and waits for it)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_periodic_ticks, args=(app, stop, interval), name="notification-ticks", daemon=True
    )
    thread.start()

    def stop_ticks() -> None:
        stop.set()
        thread.join(timeout=30)

    return stop_ticks
