"""Login, logout and the user's choice of language."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from .driver_sql import Prepared, run_first
from .extensions import db
from .i18n import LOCALES
from .ids import parse_id
from .known_browsers import remember_browser
from .logs import identify
from .models import User
from .transaction import commits

auth_bp = Blueprint("auth", __name__)

# Checked against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password")


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired(), Length(max=200)])


def load_user(user_id: str) -> User | None:
    """The session holds "<id>:<session token>": a token changed since (logout, new password) ends it."""
    ident, _, token = user_id.partition(":")
    number = parse_id(ident, 11)
    if number is None or not token:
        return None
    session = db.session()
    user = session.identity_map.get(session.identity_key(User, number))
    if user is None:
        user = _read_user(session, number, token)
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    identify(user)
    return user


#: The account's row, compiled once per kind of database (`_user_row`).
_USER_ROWS: dict[tuple, Prepared] = {}


def _user_row(dialect) -> Prepared:
    key = (dialect.name, dialect.driver, dialect.paramstyle)
    prepared = _USER_ROWS.get(key)
    if prepared is None:
        table = User.__table__
        statement = db.select(table).where(table.c.id == db.bindparam("user_id", type_=db.Integer))
        prepared = _USER_ROWS[key] = Prepared(statement, dialect, params=("user_id",))
    return prepared


def _read_user(session, number: int, token: str) -> User | None:
    """The account read as a row on the request's connection (one statement, as `session.get` ran,
    without the ORM's loading machinery: a third of its time); a row that is refused is never made
    an object. The user the pages get is the session's own object, as if loaded by a query: it can
    be changed and saved (a new language, the end of its sessions)."""
    prepared = _user_row(session.get_bind(User.__mapper__).dialect)
    # The request's first statement: on a connection the pool gives without its ping (run_first).
    rows = run_first(session, prepared, {"user_id": number}, bind_arguments={"mapper": User.__mapper__})
    if not rows:
        return None
    values = dict(zip(prepared.fields, rows[0], strict=True))
    if not values["active"] or not hmac.compare_digest(values["session_token"] or "", token):
        return None
    user = User.__mapper__.class_manager.new_instance()
    for name, value in values.items():
        set_committed_value(user, name, value)
    make_transient_to_detached(user)
    session.add(user)
    return user


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    return target


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(db.select(User).where(db.func.lower(User.email) == email.strip().lower()))
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


@auth_bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("admin.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()
            login_user(user)
            identify(user)
            return remember_browser(redirect(next_url or url_for("admin.index")), user.email)
        error = gettext("Wrong e-mail address or password.")
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, error=error, next=next_url), status


@auth_bp.post("/logout")
@login_required
@commits
def logout():
    current_user.end_sessions()
    logout_user()
    session.clear()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@auth_bp.post("/locale/<code>")
@commits
def set_locale(code: str):
    if code not in LOCALES:
        abort(404)
    if current_user.is_authenticated:
        current_user.locale = code
    else:
        session["locale"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("admin.index"))
