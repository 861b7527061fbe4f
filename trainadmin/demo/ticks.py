"""Without Redis (the demo), a thread of the web process runs the e-mail dispatcher and the reminders
(managers, surveys) every minute, as `rq cron` does in production (the reminders hourly there)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import Flask

from ..extensions import db
from ..services.evaluations.survey_reminders import remind_surveys
from ..services.notifications import delivery
from ..services.participants.manager_links import remind_managers
from ..services.participants.signin_mail import send_signin_links
from ..transaction import commit

log = logging.getLogger(__name__)

TICK_INTERVAL = 60  # seconds between two periodic ticks, as `rq cron` runs them


def run_periodic_ticks(app: Flask, stop: threading.Event, interval: float = TICK_INTERVAL) -> None:
    while not stop.wait(interval):
        with app.app_context():
            try:
                remind_managers()
                remind_surveys()
                send_signin_links()
                commit()
                delivery.dispatch_tick(commit)
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
