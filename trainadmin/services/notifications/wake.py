"""Waking the dispatcher once something is due: after the commit of a change that wrote messages to
the outbox or planned an e-mail, the dispatcher is asked to look now (an RQ job, or a tick in this
process without Redis) instead of waiting for its next minute. Best effort: the change is committed
already, and the periodic tick sends whatever this misses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app
from redis.exceptions import RedisError

from ...extensions import db
from ...queue import enqueue, get_queue
from ...transaction import after_commit

log = logging.getLogger(__name__)

TICK_JOB = "trainadmin.jobs.notifications.dispatch"

#: What a long job calls to commit its work so far (the job owns its commits: `transaction.commit`).
Checkpoint = Callable[[], None]

_dispatching: ContextVar[bool] = ContextVar("dispatching", default=False)


@contextmanager
def dispatching() -> Iterator[None]:
    """Inside a tick: what it writes is sent by the tick itself, no other tick is asked for."""
    token = _dispatching.set(True)
    try:
        yield
    finally:
        _dispatching.reset(token)


def wake_after_commit() -> None:
    """Called by the services that wrote or planned messages: wake the dispatcher once committed."""
    if not _dispatching.get():
        after_commit(wake_dispatcher)


def wake_dispatcher() -> None:
    if _dispatching.get():  # a tick runs in this very context: it sends what was just written
        return
    try:
        queue = get_queue()
        if queue is None:
            enqueue(TICK_JOB)  # no Redis: a tick right here
            return
        queue.enqueue(
            TICK_JOB,
            job_timeout=current_app.config["JOB_TIMEOUT"],
            result_ttl=300,
            description="notifications: dispatcher tick",
        )
    except RedisError as exc:
        log.warning("notifications: Redis unreachable (%s); the next periodic tick sends the messages", exc)
    except Exception:
        log.exception("notifications: the dispatcher tick failed; the next tick tries again")
        db.session.rollback()
