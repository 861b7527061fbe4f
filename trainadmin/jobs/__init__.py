"""Background work: the job functions (ids in, idempotent), run by RQ workers or inline (see queue.py).

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

from ..transaction import unit_of_work

log = logging.getLogger(__name__)

_worker_app: Flask | None = None
job_log = logging.getLogger("trainadmin.job")


def logged_job(func: Callable[..., Any]) -> Callable[..., Any]:
    """One log line per run of a job: its name, arguments, duration and outcome, and the `status` of
    its result when it returns one (`state`). The wrapper keeps the function's module and name, so RQ
    finds it by the same dotted path."""

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
        state = result.get("status") if isinstance(result, dict) else None
        if state is None:
            job_log.info("job %s ok", name, extra=fields)
        else:  # what the job's work came to (an import run « with_rejections », « failed »…)
            job_log.info("job %s ok: %s", name, state, extra={**fields, "state": state})
        return result

    return run


def job(func: Callable[..., Any]) -> Callable[..., Any]:
    """A job function: logged, run inside an app context, and one unit of work — committed at its
    end, rolled back if it fails. A long job also commits at the checkpoints it passes to its service
    (`checkpoint=transaction.commit`)."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any):
        with app_context(), unit_of_work():
            return func(*args, **kwargs)

    return logged_job(run)


def worker_app() -> Flask:
    """The app of an `rq worker` process, built once per process from the environment."""
    global _worker_app
    if _worker_app is None:
        from ..factory import create_app

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
