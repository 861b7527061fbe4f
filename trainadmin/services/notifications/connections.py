"""A send job's messages dealt out to several SMTP connections, each in a thread of its own.

One SMTP connection is a ping-pong: every command waits for the server's answer, so one connection
carries at most one message per (the worker's time + the server's time + four round trips) — about
1.3 ms with a relay on the same machine, 4 × the round trip with a distant one. With
`TRAINADMIN_MAIL_CONNECTIONS` connections the worker prepares one connection's next message while
the server handles another's. Each connection keeps the rule of a single one (`sending.py`): its
messages go in order, a message's content only once the outcome of the one before it on that
connection is written (by its own outcomes' connection); a batch cut leaves at most one message
« in doubt » per connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
R = TypeVar("R")

#: Messages a connection must have at least: a small batch goes over one connection.
MIN_SHARE = 50


def shares(rows: Sequence[T], connections: int) -> list[list[T]]:
    """The rows dealt out in turn (the first to the first connection, the second to the second…),
    to as many connections as they give each MIN_SHARE rows, at most `connections`, at least one."""
    count = max(1, min(connections, len(rows) // MIN_SHARE))
    return [list(rows[index::count]) for index in range(count)]


def in_threads(work: Callable[[list[T], threading.Event], R], parts: list[list[T]]) -> list[R]:
    """`work(part, stop)` for each part, each in a thread of its own inside this app's context;
    returns their results in order, or raises the first error one of them raised. Should this
    thread be interrupted while it waits (RQ's job timeout is an exception raised here), `stop` is
    set — each part stops before its next message — the threads are awaited and the interruption
    goes on."""
    app = current_app._get_current_object()
    stop = threading.Event()
    results: list = [None] * len(parts)
    errors: list[BaseException | None] = [None] * len(parts)
    # Each thread says when it is done. (`Thread.join` is not used to wait: on Python 3.11, a join
    # interrupted by the timeout's exception marks the thread stopped while it still runs, so a
    # second join would return at once.)
    finished = [threading.Event() for _ in parts]

    def run(index: int, part: list[T]) -> None:
        try:
            with app.app_context():
                results[index] = work(part, stop)
        except BaseException as exc:  # noqa: BLE001 (raised again in the calling thread)
            errors[index] = exc
        finally:
            finished[index].set()

    threads = [
        threading.Thread(target=run, args=(index, part), name=f"smtp-{index + 1}", daemon=True)
        for index, part in enumerate(parts)
    ]
    try:  # (an interruption may come while the threads start, too)
        for thread in threads:
            thread.start()
        for done in finished:
            done.wait()
    except BaseException:
        stop.set()
        for thread, done in zip(threads, finished, strict=True):
            if thread.ident is not None:  # started
                done.wait()
        raise
    for error in errors:
        if error is not None:
            raise error
    return results
