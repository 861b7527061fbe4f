"""The pieces of the session endpoint: a `SessionPart` is a group of routes under
/admin/sessions/ (the duplicate wizard), a `SessionTab` is a part that is also a tab of the session
page, with its label, its template and its context.

Each part is a small class in its own module, listed in `PARTS` (session_page/__init__.py);
`SessionView` mounts the routes of every part on its blueprint, behind the same access checks as its
own views. A POST route is one unit of work (`transaction.commits`): committed when it answers,
rolled back when a rule refuses it, the refusal shown by the part's `refused()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from flask import abort, flash, redirect, request
from markupsafe import Markup

from ...ids import parse_id
from ...models import TrainingSession
from ...services.errors import DomainError, ValidationFailed
from ...services.sessions import SessionLocked
from ...transaction import commits

if TYPE_CHECKING:
    from ..sessions import SessionView


def route(url: str, methods: tuple[str, ...] = ("GET",), write: bool | None = None):
    """Expose a part's method at /admin/sessions<url>; its endpoint is the method's name. A route
    that changes data (every POST, unless told otherwise) needs write rights."""

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        method.session_route = (url, tuple(methods), "POST" in methods if write is None else write)
        return method

    return decorate


class SessionPart:
    """A group of routes of the session endpoint."""

    def __init__(self, view: SessionView):
        self.view = view

    @classmethod
    def routes(cls) -> Iterator[tuple[str, str, tuple[str, ...], bool]]:
        """(endpoint, url, methods, write) of each route of the part."""
        for name in dir(cls):
            spec = getattr(getattr(cls, name), "session_route", None)
            if spec is not None:
                url, methods, write = spec
                yield name, url, methods, write

    def handler(self, name: str) -> Callable[..., Any]:
        method = getattr(self, name)
        url, methods, _write = method.session_route
        if "POST" in methods:
            return commits(method, refused=self.refused)
        return method

    # --- What every route needs --------------------------------------------------------------

    def session(self) -> TrainingSession:
        """The session of the address (`?id=`), or 404."""
        session = self.view.get_one(request.args.get("id", ""))
        if session is None:
            abort(404)
        return session

    def url(self, endpoint: str, **values) -> str:
        return self.view.get_url(endpoint, **values)

    def back(self, **values):
        """The session page again (on the tab of the route, for a tab)."""
        return redirect(self.url(".details_view", id=request.args.get("id", ""), **values))

    def refused(self, exc: DomainError):
        """A rule refused the change (nothing was saved): its messages, and the page again. A manager
        trying to change a session with enrolled collaborators is refused outright."""
        if isinstance(exc, SessionLocked):
            abort(403, description=exc.message)
        show_refusal(exc)
        return self.back()


class SessionTab(SessionPart):
    """A tab of the session page."""

    name: str = ""
    label: str = ""

    def loaders(self) -> tuple | None:
        """How the page loads the session for this tab (None: with its whole planning)."""
        return None

    def context(self, session: TrainingSession) -> dict:
        """What the tab's template needs, besides the page's own context."""
        return {}

    def back(self, anchor: str = "", **values):
        url = self.url(".details_view", id=request.args.get("id", ""), tab=self.name, **values)
        return redirect(url + anchor)

    def saved(self, message: str, anchor: str = "", **values):
        flash(message, "success")
        return self.back(anchor, **values)


def show_refusal(exc: DomainError) -> None:
    messages = exc.errors.values() if isinstance(exc, ValidationFailed) else [exc.message]
    for message in messages:
        flash(message if isinstance(message, Markup) else str(message), "error")


def requested_id(name: str, source=None) -> int | None:
    return parse_id((source if source is not None else request.args).get(name))
