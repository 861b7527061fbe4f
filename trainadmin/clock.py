"""Local time where the sessions take place (TRAINADMIN_TZ): slot hours, « today » for a
certification date, the year a new session starts with."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TRAINADMIN_TZ"])


def local_now() -> datetime:
    """Wall-clock time, without its zone (slot hours are stored as local wall-clock times)."""
    return datetime.now(local_zone()).replace(tzinfo=None)


def local_today() -> date:
    return datetime.now(local_zone()).date()
