"""Locale, time zone and the French date formats used everywhere a date is shown."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, session
from flask_babel import format_date, format_datetime, get_locale, lazy_gettext  # noqa: F401
from flask_login import current_user

LOCALES = ("fr", "en")


def select_locale() -> str:
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    if request and session.get("locale") in LOCALES:
        return session["locale"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TRAINADMIN_TZ"]


def show_date(value: date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return show_datetime(value)
    return format_date(value, "dd/MM/yyyy")


def show_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy HH:mm")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["show_date"] = show_date
    app.jinja_env.filters["show_datetime"] = show_datetime
    from .admin_views.labels import enum_label

    app.jinja_env.globals.update(get_locale=get_locale, role_label=enum_label, enum_label=enum_label)
