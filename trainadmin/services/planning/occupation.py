"""The room and trainer views of « Planning »: one row per room or per trainer, one column per day
of a week or a month, each cell holding that day's bookings, and each row's occupation rate.

Occupation rate = booked hours / available hours over the period shown:
- booked hours: each date's hours less its break (09:00–17:00 with an hour's break is 7 hours), for
  the dates shown (the filters apply; cancelled sessions and sequences never count);
- available hours: the working days of the period (Monday to Friday less the public holidays of
  `TRAINADMIN_HOLIDAYS`, a country or a country and region such as FR-57: see `public_holidays`)
  × the organisation's usual training day, `USUAL_DAY_HOURS` (7 hours).
Two bookings at the same hours (a clash) both count: a rate above 100 % says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

import holidays
import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale

from ...config import holiday_setting
from ...extensions import db
from ...models import Location, Room, Trainer
from .bookings import Booking, BookingFilters, find_bookings

USUAL_DAY_HOURS = 7
ROOMS = "rooms"
TRAINERS = "trainers"
#: The bookings a cell shows; the others are a « +N more » link to the day.
SHOWN_PER_CELL = 3


@dataclass
class ResourceRow:
    resource_id: int
    name: str
    #: The first bookings of each day by start (SHOWN_PER_CELL at most) and how many the day holds.
    cells: dict[date, list[Booking]] = field(default_factory=dict)
    counts: dict[date, int] = field(default_factory=dict)
    booked_minutes: int = 0
    available_hours: int = 0

    @property
    def booked_hours(self) -> Decimal:
        return (Decimal(self.booked_minutes) / 60).quantize(Decimal("0.1"))

    @property
    def rate(self) -> int | None:
        """Per cent, rounded; None when the period has no working day."""
        if not self.available_hours:
            return None
        return round(self.booked_minutes * 100 / (self.available_hours * 60))


@dataclass
class ResourceGrid:
    kind: str
    days: list[date]
    rows: list[ResourceRow]
    working_days: int
    available_hours: int
    #: The public holidays of the period, by day, named in the user's language (weekends included).
    holidays: dict[date, str] = field(default_factory=dict)
    #: Whether public holidays are taken out at all (TRAINADMIN_HOLIDAYS is set).
    counts_holidays: bool = True

    @property
    def weekday_holidays(self) -> int:
        return sum(1 for day in self.holidays if day.weekday() < 5)


def working_days(days: list[date], off: dict[date, str]) -> int:
    return sum(1 for day in days if day.weekday() < 5 and day not in off)


def public_holidays(first: date, last: date) -> dict[date, str]:
    """The public holidays of [first, last) where the organisation trains (TRAINADMIN_HOLIDAYS: FR
    by default; FR-57 for Moselle; empty for none), from the `holidays` library, named in the
    user's language when the library has it."""
    setting = holiday_setting(current_app.config.get("TRAINADMIN_HOLIDAYS"))
    if setting is None:
        return {}
    country, region = setting
    known = holidays.country_holidays(country).supported_languages
    locale = str(get_locale() or "")
    language = next((name for name in (locale, f"{locale}_US", f"{locale}_GB") if name in known), None)
    calendar = holidays.country_holidays(
        country, subdiv=region, years=range(first.year, last.year + 1), language=language
    )
    return {day: name for day, name in sorted(calendar.items()) if first <= day < last}


def resource_grid(kind: str, first: date, last: date, filters: BookingFilters) -> ResourceGrid:
    """[first, last): the rooms (or trainers) the filters allow, with the first bookings of each
    day, each day's count and each one's booked minutes, in one statement after the list of rooms
    (or trainers): the bookings are ranked and summed in SQL, only those shown are sent."""
    days = [first + timedelta(days=offset) for offset in range((last - first).days)]
    off = public_holidays(first, last)
    available = working_days(days, off) * USUAL_DAY_HOURS
    rows = [
        ResourceRow(resource_id=resource_id, name=name, available_hours=available)
        for resource_id, name in (_rooms(filters) if kind == ROOMS else _trainers(filters))
    ]
    by_id = {row.resource_id: row for row in rows}
    bookings = find_bookings(
        first,
        last,
        replace(filters, show_cancelled=False),  # cancelled sessions and sequences never count
        per_day=SHOWN_PER_CELL,
        by=("room" if kind == ROOMS else "trainer", list(by_id)),
    )
    for booking in bookings:
        row = by_id[booking.resource_id]
        row.cells.setdefault(booking.day, []).append(booking)
        row.counts[booking.day] = booking.day_total
        row.booked_minutes = int(booking.resource_minutes)
    counts_holidays = bool((current_app.config.get("TRAINADMIN_HOLIDAYS") or "").strip())
    return ResourceGrid(kind, days, rows, working_days(days, off), available, off, counts_holidays)


def _rooms(filters: BookingFilters) -> list[tuple[int, str]]:
    query = sa.select(Room.id, Room.name, Location.name).join(Location, Location.id == Room.location_id)
    if filters.location_id is not None:
        query = query.where(Room.location_id == filters.location_id)
    if filters.room_id is not None:
        query = query.where(Room.id == filters.room_id)
    rows = db.session.execute(query.order_by(Location.name, Room.name, Room.id))
    return [(room_id, f"{room} ({location})") for room_id, room, location in rows]


def _trainers(filters: BookingFilters) -> list[tuple[int, str]]:
    query = sa.select(Trainer.id, Trainer.first_name, Trainer.last_name)
    if filters.trainer_id is not None:
        query = query.where(Trainer.id == filters.trainer_id)
    rows = db.session.execute(query.order_by(Trainer.last_name, Trainer.first_name, Trainer.id))
    return [(trainer_id, f"{first} {last}") for trainer_id, first, last in rows]
