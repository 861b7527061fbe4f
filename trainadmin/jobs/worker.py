"""An RQ worker that builds the app once, before it forks:

    rq worker -w trainadmin.jobs.worker.Worker -u "$REDIS_URL" trainadmin

The plain `rq worker` imports TrainAdmin and builds its app again in every forked work horse
(about a second and a half per job); this one builds it in the worker process, and each work horse
inherits it. Jobs are the same; either worker runs them.

It also runs a first query in the worker process (SQLAlchemy's dialect asking PostgreSQL its version
and settings, the session's events set up: about half a second), instead of once per job in each
work horse.

Send jobs (`notifications.send_batch`, 250 messages at most) run in the worker process
itself, without a work horse: no fork, and the database connections of one job serve the next.
RQ's semantics stay: the job timeout (the same alarm as in a work horse), failure and retry, and a
heartbeat every 10 seconds while the job runs (from a thread of the worker). A worker killed during
one is a job abandoned, as a killed work horse's is; a job still running 60 seconds past its
timeout takes its worker down with it, as RQ takes down such a work horse. Other jobs (the tick,
imports) still run in a forked work horse.

Two more differences. A job whose worker was killed is declared abandoned (and retried) 30 seconds
after its last heartbeat instead of 90: its heartbeat comes every 10 seconds. And a Redis that is
away during the worker's periodic clean-up no longer stops the worker: it waits for Redis as it
does between jobs. Delayed jobs and retries are moved to the queue by `flask cron` (jobs/scheduling.py).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Worker as RQWorker
from rq.worker import WorkerStatus
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..services.notifications.delivery import SEND_JOB
from . import worker_app

HEARTBEAT_INTERVAL = 10  # seconds between two heartbeats of a running job
HEARTBEAT_GRACE = 20  # seconds after a missed heartbeat before the job counts as abandoned
#: Jobs run in the worker process itself: short, bounded, leaving nothing behind.
IN_PROCESS_JOBS = frozenset({SEND_JOB})
OVERRUN = 60  # seconds past its timeout after which a job that did not stop is killed (as RQ does)

REDIS_AWAY = (RedisConnectionError, RedisTimeoutError)

log = logging.getLogger(__name__)


class Worker(RQWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.job_monitoring_interval = min(self.job_monitoring_interval, HEARTBEAT_INTERVAL)
        self._first_connect(worker_app())

    @staticmethod
    def _first_connect(app) -> None:
        """What a process does once, on its first query: SQLAlchemy's dialect asks PostgreSQL its
        version and settings, the session class sets up its events — about half a second, which
        every work horse paid again, per job, when the worker itself had never queried. Done here,
        once; the connection is closed before any fork."""
        with app.app_context():
            try:
                db.session.execute(sa.text("SELECT 1"))
            except SQLAlchemyError as exc:  # the database away: the first job pays it, as before
                log.warning("worker: database unreachable at start (%s)", exc)
            finally:
                db.session.remove()
                db.engine.dispose()

    def execute_job(self, job, queue):
        if job.func_name not in IN_PROCESS_JOBS:
            super().execute_job(job, queue)
            return
        self.prepare_execution(job)
        with self._heartbeats(job):
            self.perform_job(job, queue)
        self.set_state(WorkerStatus.IDLE)

    @contextmanager
    def _heartbeats(self, job) -> Iterator[None]:
        """What the worker does for a work horse, while the job runs here: its heartbeats every
        `job_monitoring_interval`, and the end of a job that outlived its timeout."""
        done = threading.Event()
        started = time.monotonic()

        def beat() -> None:
            while not done.wait(self.job_monitoring_interval):
                working = time.monotonic() - started
                if job.timeout and job.timeout > 0 and working > job.timeout + OVERRUN:
                    log.error("worker: job %s outlived its timeout; the worker stops", job.id)
                    os.kill(os.getpid(), signal.SIGKILL)
                try:
                    self.set_current_job_working_time(working)
                    self.maintain_heartbeats(job)
                except REDIS_AWAY as exc:
                    log.warning("worker: heartbeat of job %s not sent (%s)", job.id, exc)

        thread = threading.Thread(target=beat, name=f"heartbeat {job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            self.set_current_job_working_time(0)

    def get_heartbeat_ttl(self, job) -> int:
        if job.timeout and job.timeout > 0:
            left = job.timeout - self.current_job_working_time
            return int(min(left, self.job_monitoring_interval)) + HEARTBEAT_GRACE
        return self.job_monitoring_interval + HEARTBEAT_GRACE

    def run_maintenance_tasks(self):
        try:
            super().run_maintenance_tasks()
        except REDIS_AWAY as exc:
            log.warning("worker: Redis unreachable during the clean-up (%s); it waits for Redis", exc)

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except REDIS_AWAY as exc:
            log.warning("worker: Redis unreachable (%s); it waits for Redis", exc)

    def main_work_horse(self, job, queue):
        # A pooled connection must never serve two processes: the horse opens its own.
        with worker_app().app_context():
            db.engine.dispose(close=False)
        super().main_work_horse(job, queue)
