"""A form sent twice is applied once.

Every rendering of a form that creates something (a cost, a financing line, an enrolment, a
sequence or slot, a document, a record of a list, an import…) carries a random `form_token`
(`{{ form_token_field() }}` in its template). When such a form is posted, the token is claimed at
the start of the request, in the request's own transaction: the claim is committed with the change
and rolled back with it, so a refused form can be corrected and sent again. A second sending of the
same form (a double click, a retry after a lost answer, the back button) finds the token taken and
is answered like the first — the same redirect — with « Ce formulaire a déjà été enregistré. »; two
sendings at the same moment wait on the token's unique key, and the second sees the first's
outcome. Tokens are forgotten after `KEEP`, when their user posts again.

A form without a token is applied as before (scripts, older pages): the token protects people
from sending twice, it is not an access check.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, Response, flash, g, has_request_context, jsonify, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from .extensions import db
from .models import FormToken, utcnow

log = logging.getLogger(__name__)

FIELD = "form_token"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP = timedelta(days=7)

Answer = str | Callable[[], str]


def new_token() -> str:
    return secrets.token_urlsafe(24)


def form_token_field() -> Markup:
    """The hidden field of a form that must be applied once; a new token at each rendering."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, new_token())


def posted_token() -> str | None:
    token = request.form.get(FIELD, "") if request.method == "POST" else ""
    return token if TOKEN_RE.match(token) else None


def claim() -> Response | None:
    """Take the posted form's token in this request's transaction, or answer a form already
    applied. Old tokens of the same user are forgotten on the way."""
    token = posted_token()
    if token is None or not current_user.is_authenticated:
        return None
    now = utcnow()
    db.session.execute(
        sa.delete(FormToken).where(FormToken.user_id == current_user.id, FormToken.created_at < now - KEEP)
    )
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    table = FormToken.__table__
    taken = db.session.execute(
        dialect.insert(table)
        .values(token=token, user_id=current_user.id, created_at=now)
        .on_conflict_do_nothing(index_elements=["token"])
        .returning(table.c.token)
    ).first()
    if taken is not None:
        g.form_token = token
        return None
    answer = db.session.scalar(  # another user's form (a shared link) does not tell where it led
        sa.select(FormToken.answer).where(FormToken.token == token, FormToken.user_id == current_user.id)
    )
    db.session.rollback()
    return already_applied(answer)


def already_applied(answer: str | None) -> Response:
    """The answer to a form sent again: where the first sending led, with a message."""
    message = gettext("This form was already saved.")
    flash(message, "info")
    target = answer or _previous_page() or url_for("admin.index")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=False, applied=True, message=message, redirect=target)
    return redirect(target)


def _previous_page() -> str | None:
    """The page the form was on, when it is one of this site's."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def answer_with(answer: Answer) -> None:
    """Where this request's form leads once saved (a URL, or a function giving it once the new
    rows have their ids), recorded with its token when the transaction commits."""
    if has_request_context() and g.get("form_token"):
        g.form_token_answer = answer


def settle(response) -> None:
    """Before a POST endpoint's commit (transaction.commits): a redirect is the answer a second
    sending gets; a page (the form shown again with its messages, under a new token) applied
    nothing, so the token is given back — unless the view said where its success leads
    (`answer_with`, for a success shown as a page)."""
    if not (has_request_context() and g.get("form_token")):
        return
    location = getattr(response, "location", None) or getattr(response, "headers", {}).get("Location")
    if location:
        answer_with(location)
    elif g.get("form_token_answer") is None and getattr(response, "mimetype", "") != "application/json":
        db.session.execute(sa.delete(FormToken).where(FormToken.token == g.pop("form_token")))


def _record_answer(session: OrmSession) -> None:
    if session.in_nested_transaction() or not has_request_context():
        return
    token, answer = g.get("form_token"), g.pop("form_token_answer", None)
    if not token or answer is None:
        return
    if callable(answer):
        session.flush()
        try:
            answer = answer()
        except Exception:  # noqa: BLE001 (a second sending then goes to the form's page: never fail a save)
            log.exception("form token: the answer of %s could not be built", request.path)
            return
    session.execute(sa.update(FormToken).where(FormToken.token == token).values(answer=answer[:2000]))


def init_app(app: Flask) -> None:
    """After the access checks and CSRF (registered last of the before-request hooks)."""
    if not sa.event.contains(OrmSession, "before_commit", _record_answer):
        sa.event.listen(OrmSession, "before_commit", _record_answer)
    app.before_request(claim)
    app.jinja_env.globals["form_token_field"] = form_token_field
