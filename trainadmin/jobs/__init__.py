"""Background work: one `enqueue()` for every job, RQ on Redis when REDIS_URL is set, inline otherwise.

Job functions take ids, reload what they need and are safe to run twice. They run inside an app
context: in the web process the caller's, in an `rq worker` process the one `worker_app()` builds.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry

log = logging.getLogger(__name__)

QUEUE_NAME = "trainadmin"
DEFAULT_RETRY = Retry(max=3, interval=[10, 60, 300])

_worker_app: Flask | None = None
job_log = logging.getLogger("trainadmin.job")


def logged_job(func: Callable[..., Any]) -> Callable[..., Any]:
    """One log line per run of a job: its name, arguments, duration and outcome. The wrapper keeps
    the function's module and name, so RQ finds it by the same dotted path."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any):
        name = f"{func.__module__}.{func.__qualname__}"
        started = time.perf_counter()
        fields = {"job": name, "job_args": [*args, *(f"{k}={v}" for k, v in kwargs.items())]}
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            fields.update(
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                outcome="failed",
                error=type(exc).__name__,
            )
            job_log.warning("job %s failed: %s", name, type(exc).__name__, extra=fields)
            raise
        fields.update(duration_ms=round((time.perf_counter() - started) * 1000, 1), outcome="ok")
        job_log.info("job %s ok", name, extra=fields)
        return result

    return run


def worker_app() -> Flask:
    """The app of an `rq worker` process, built once per process from the environment."""
    global _worker_app
    if _worker_app is None:
        from .. import create_app

        _worker_app = create_app()
    return _worker_app


@contextmanager
def app_context():
    """The current app context if there is one (inline run), else the worker's."""
    if has_app_context():
        yield current_app._get_current_object()
        return
    app = worker_app()
    with app.app_context():
        yield app


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


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None, **kwargs: Any):
    """Run `func(*args)` in a worker when Redis is configured, or right now in this process.

    Callers enqueue after their commit, so a job never sees rows that may still roll back.
    Returns the RQ job, or the function's result when it ran inline.
    """
    queue = get_queue()
    if queue is None:
        return func(*args, **kwargs)
    return queue.enqueue_call(
        func,
        args=args,
        kwargs=kwargs or None,
        job_id=job_id,
        timeout=current_app.config["JOB_TIMEOUT"],
        retry=DEFAULT_RETRY,
        description=f"{func.__module__}.{func.__name__}{args}",
    )
