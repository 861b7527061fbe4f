"""One commit per request or job, in one place, and what must follow it.

The services change rows and flush; they never commit. Whoever owns the unit of work commits once:
- a POST endpoint, through `@commits` (or `unit_of_work()`): the view's work is committed when it
  answers, rolled back when it raises or refuses;
- a Flask-Admin form (reference data): Flask-Admin commits it, and what must follow runs when the
  request ends (`init_app`);
- a job or a command: `commit()` at its end, or at each checkpoint of a long job (an import batch,
  a message sent), passed to the service as `checkpoint=commit`.

What must follow a commit and leave the process (waking the e-mail dispatcher, queueing a job) is
registered by the service that made it necessary, with `after_commit(callback)`. It runs once the
transaction is committed, at most once per commit whatever the number of registrations, and is
dropped when the transaction rolls back: a job never sees rows that do not exist.

After a request's commit nothing may turn its success into an error page: the request's session
keeps its objects loaded when it commits (`expire_on_commit` off for requests), so building the
answer, the log line and the redirect reads no row again on a connection that may be gone; and a
failure after the commit is reported as « saved, but the page could not be shown »
(`committed_in_this_request`, read by errors.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_app_context, has_request_context
from sqlalchemy.orm import Session as OrmSession

from . import form_tokens
from .extensions import db
from .services.errors import DomainError

log = logging.getLogger(__name__)

PENDING = "trainadmin.after_commit.pending"
READY = "trainadmin.after_commit.ready"


def after_commit(callback: Callable[[], Any]) -> None:
    """Run `callback()` once the current transaction is committed; forget it if it rolls back.
    The same callback registered twice before a commit runs once."""
    db.session.info.setdefault(PENDING, {})[callback] = None


def commit() -> None:
    """Commit the current transaction, then run what was registered to follow it."""
    db.session.commit()
    run_after_commit()


def rollback() -> None:
    db.session.rollback()


def run_after_commit() -> None:
    """The callbacks of the transactions committed so far, each once; a failing one is logged and
    the others still run (the data is safe: each callback is a best effort that a periodic job
    repeats)."""
    ready = db.session.info.pop(READY, None)
    while ready:
        for callback in ready:
            try:
                callback()
            except Exception:
                log.exception("after commit: %s failed", getattr(callback, "__qualname__", callback))
                try:
                    db.session.rollback()
                except Exception:  # noqa: BLE001 (a dead connection: the session is reset anyway)
                    log.debug("rollback after a failed after-commit callback failed", exc_info=True)
        ready = db.session.info.pop(READY, None)


def _committed(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    if has_request_context():
        g.trainadmin_committed = True
    pending = session.info.pop(PENDING, None)
    if pending:
        session.info.setdefault(READY, {}).update(pending)


def _rolled_back(session: OrmSession) -> None:
    if not session.in_nested_transaction():
        session.info.pop(PENDING, None)


def install() -> None:
    for name, listener in (("after_commit", _committed), ("after_rollback", _rolled_back)):
        if not sa.event.contains(OrmSession, name, listener):
            sa.event.listen(OrmSession, name, listener)


def committed_in_this_request() -> bool:
    """Whether the current request has committed a transaction (its change is saved)."""
    return has_request_context() and bool(g.get("trainadmin_committed"))


def init_app(app: Flask) -> None:
    install()

    @app.before_request
    def _keep_loaded_after_commit():
        """A request ends with its commit: what it loaded stays readable afterwards without a new
        query (a job or a command keeps the default and sees fresh rows after each commit)."""
        db.session().expire_on_commit = False

    @app.after_request
    def _follow_commits(response: Response) -> Response:
        """Commits made by library code (Flask-Admin's forms) are followed here too."""
        if has_app_context() and db.session.info.get(READY):
            run_after_commit()
        return response


def _status(response) -> int:
    if isinstance(response, tuple):
        return next((part for part in response[1:] if isinstance(part, int)), 200)
    return getattr(response, "status_code", 200)


def commits(
    view: Callable[..., Any] | None = None, *, refused: Callable[[DomainError], Any] | str | None = None
):
    """A POST endpoint's one unit of work: committed when the view answers below 400, rolled back
    when it raises or answers with an error. A rule's refusal (DomainError) rolls back and, with
    `refused`, is answered by it (the form again with the messages); a method's `refused` may be
    the name of another method of its object."""
    if view is None:
        return functools.partial(commits, refused=refused)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        try:
            response = view(*args, **kwargs)
        except DomainError as exc:
            rollback()
            if refused is None:
                raise
            answer = getattr(args[0], refused) if isinstance(refused, str) else refused
            return answer(exc)
        except BaseException:
            rollback()
            raise
        if _status(response) >= 400:
            rollback()
        else:
            form_tokens.settle(response)
            commit()
        return response

    return wrapper


@contextmanager
def unit_of_work() -> Iterator[None]:
    """The same as `@commits` for a block: committed at its end, rolled back on an exception."""
    try:
        yield
    except BaseException:
        rollback()
        raise
    commit()
