"""The work queue: RQ on Redis when REDIS_URL is set, the current process otherwise.

One `enqueue()` sets queue, timeout, retry and connection for every job. A job is named by its
function or by its dotted path (`"trainadmin.jobs.notifications.dispatch"`), so the services can
ask for work without importing the jobs that call them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.utils import import_attribute

QUEUE_NAME = "trainadmin"
DEFAULT_RETRY = Retry(max=3, interval=[10, 60, 300])


def redis_connection(app: Flask | None = None) -> Redis | None:
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    connection = app.extensions.get("trainadmin_redis")
    if connection is None:
        connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        app.extensions["trainadmin_redis"] = connection
    return connection


def get_queue(app: Flask | None = None) -> Queue | None:
    connection = redis_connection(app)
    if connection is None:
        return None
    return Queue(QUEUE_NAME, connection=connection)


def job_name(job: Callable[..., Any] | str) -> str:
    return job if isinstance(job, str) else f"{job.__module__}.{job.__name__}"


def enqueue(job: Callable[..., Any] | str, *args: Any, job_id: str | None = None, **kwargs: Any):
    """Run `job(*args)` in a worker when Redis is configured, or right now in this process.

    Callers enqueue after their commit (see `transaction.after_commit`), so a job never sees rows
    that may still roll back. Returns the RQ job, or the job's result when it ran inline.
    """
    queue = get_queue()
    if queue is None:
        function = import_attribute(job) if isinstance(job, str) else job
        return function(*args, **kwargs)
    return queue.enqueue_call(
        job,
        args=args,
        kwargs=kwargs or None,
        job_id=job_id,
        timeout=current_app.config["JOB_TIMEOUT"],
        retry=DEFAULT_RETRY,
        description=f"{job_name(job)}{args}",
    )
