"""Locale, time zone and the French date formats used everywhere a date is shown."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session
from flask_babel import get_locale, gettext, lazy_gettext  # noqa: F401
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


# Dates are shown the French way (dd/mm/yyyy) in both languages; formatted directly, since a list
# page shows hundreds of them.


def show_date(value: date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return show_datetime(value)
    return value.strftime("%d/%m/%Y")


def show_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # stored times are UTC
    return value.astimezone(ZoneInfo(current_app.config["TRAINADMIN_TZ"])).strftime("%d/%m/%Y %H:%M")


def show_decimal(value: Decimal | float | int | None) -> str:
    """1.5 → « 1,5 » in French, « 1.5 » in English; no useless zeros."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",") if str(get_locale()) == "fr" else text


def show_size(value: int | None) -> str:
    """A file size as people read it: « 830 octets », « 12,4 Ko », « 3,1 Mo »."""
    if value is None:
        return ""
    if value < 1024:
        return gettext("%(size)s bytes", size=value)
    if value < 1024 * 1024:
        return gettext("%(size)s KB", size=show_decimal(round(Decimal(value) / 1024, 1)))
    return gettext("%(size)s MB", size=show_decimal(round(Decimal(value) / (1024 * 1024), 1)))


def init_app(app: Flask) -> None:
    app.jinja_env.filters["show_date"] = show_date
    app.jinja_env.filters["show_datetime"] = show_datetime
    app.jinja_env.filters["show_decimal"] = show_decimal
    app.jinja_env.filters["show_size"] = show_size
    from .admin_views.labels import enum_label

    app.jinja_env.globals.update(get_locale=get_locale, role_label=enum_label, enum_label=enum_label)
