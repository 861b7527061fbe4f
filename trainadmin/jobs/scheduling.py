"""The scheduling process, `flask --app app cron` (exactly one in the installation): it queues the
periodic jobs of trainadmin/jobs/cron.py (RQ's CronScheduler) and moves the delayed jobs that are
due — RQ's retries with backoff, `enqueue_in` — from their registry to the queue (RQ's scheduler).
Every 10 seconds it also has RQ look for jobs whose worker died (their heartbeat lapsed), which RQ
retries under the same id: a send batch cut by a killed worker goes on within a minute.

`rq cron` and the scheduler process of `rq worker --with-scheduler` stop at the first Redis error
(a restarted Redis, a failover): periodic ticks and retries then wait for someone to restart them.
Here both run in one loop that waits for Redis with backoff (1 s, 2 s… up to 30 s) and goes on with
the same schedule when it is back; what fell due meanwhile is queued at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue
from rq.cron import CronScheduler
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler

from ..queue import QUEUE_NAME

log = logging.getLogger(__name__)

CRON_CONFIG = "trainadmin.jobs.cron"
STEP = 1  # seconds between two looks at the delayed jobs (RQ's scheduler interval)
ABANDONED_EVERY = 10  # seconds between two looks for jobs whose worker died (RQ's: every 10 min)
BACKOFF = (1, 2, 4, 8, 15, 30)  # seconds before trying Redis again, growing while it stays away
REDIS_AWAY = (RedisConnectionError, RedisTimeoutError, OSError)


class Scheduling:
    """The periodic jobs and the delayed jobs of the TrainAdmin queue, against one Redis."""

    def __init__(self, connection: Redis, config: str = CRON_CONFIG):
        self.cron = CronScheduler(connection=connection)
        self.cron.load_config_from_file(config)
        self.delayed = RQScheduler([QUEUE_NAME], connection=connection, interval=STEP)
        self.started = StartedJobRegistry(queue=Queue(QUEUE_NAME, connection=connection))
        self.stopping = threading.Event()
        self._born = False
        self._looked = 0.0

    def step(self) -> float:
        """One round; returns the seconds to wait before the next."""
        if not self._born:
            self.cron.register_birth()
            self._born = True
        if self.cron.enqueue_jobs():
            self.cron.save()
        self.cron.heartbeat()
        if self.delayed.should_reacquire_locks:
            self.delayed.acquire_locks()
        if self.delayed.acquired_locks:
            self.delayed.heartbeat()
            self.delayed.enqueue_scheduled_jobs()
        if time.monotonic() - self._looked >= ABANDONED_EVERY:
            self.started.cleanup()  # a job whose worker died: retried (same id) or failed, now
            self._looked = time.monotonic()
        return min(self.cron.calculate_sleep_interval(), STEP)

    def run(self) -> None:
        """Until SIGTERM or SIGINT; Redis going away is waited out, never fatal."""
        failures = 0
        while not self.stopping.is_set():
            try:
                wait = self.step()
                if failures:
                    log.warning("scheduling: Redis is back after %s failed attempt(s)", failures)
                failures = 0
            except REDIS_AWAY as exc:
                wait = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                self._born = False  # a Redis that restarted empty has forgotten this process
                log.warning("scheduling: Redis unreachable (%s); trying again in %s s", exc, wait)
            self.stopping.wait(wait)
        self._goodbye()

    def stop(self, *_args) -> None:
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def _goodbye(self) -> None:
        try:
            self.delayed.release_locks()
            self.cron.register_death()
        except REDIS_AWAY:
            pass
        log.info("scheduling: stopped")
