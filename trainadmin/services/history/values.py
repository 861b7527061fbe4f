"""Values as the history keeps them: what a person reads, fixed at the time of the change.

Names (places, rooms, trainers, cost types, questionnaires…) are stored as the text they had then —
a place renamed later does not rewrite the past. Values whose wording depends on the reader's
language or conventions are stored typed and shown by the history tab in the reader's language:
`{"t": "enum", "e": "SequenceStatus", "v": "cancelled"}`, `{"t": "date", "v": "2027-03-15"}`,
`{"t": "bool", "v": true}`, `{"t": "decimal", "v": "1200.00"}`, `{"t": "money", "v": "1200.00"}`,
`{"t": "dates", "v": [["2027-03-15", "09:00", "17:00", 60], …]}`, `{"t": "names", "v": [...]}`.
Plain text and whole numbers are stored as they are; None is an empty value.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal
from typing import Any

Value = Any  # str | int | dict | None, as stored in JSON


def text(value: str | None) -> str | None:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    return value or None


def name(obj) -> str | None:
    """The name of a related row (a place, a trainer, a cost type…), or None."""
    return None if obj is None else text(str(obj))


def names(objects: Iterable) -> Value:
    found = sorted(str(obj) for obj in objects if obj is not None)
    return {"t": "names", "v": found} if found else None


def number(value) -> Value:
    return None if value is None else int(value)


def enum_value(value: enum.Enum | None) -> Value:
    if value is None:
        return None
    return {"t": "enum", "e": type(value).__name__, "v": value.value}


def boolean(value: bool | None) -> Value:
    return None if value is None else {"t": "bool", "v": bool(value)}


def day(value: date | None) -> Value:
    return None if value is None else {"t": "date", "v": value.isoformat()}


def decimal(value: Decimal | int | None, money: bool = False) -> Value:
    if value is None:
        return None
    return {"t": "money" if money else "decimal", "v": format(Decimal(value), "f")}


def _clock(value: time | None) -> str:
    return value.strftime("%H:%M") if value is not None else ""


def slot_dates(rows: Iterable) -> Value:
    """Dates of a slot (SlotDate rows), in order, each with its hours and break."""
    found = sorted(
        [row.day.isoformat(), _clock(row.start_time), _clock(row.end_time), row.break_minutes or 0]
        for row in rows
        if row.day is not None
    )
    return {"t": "dates", "v": found} if found else None


def reference(target: str | None) -> Value:
    """Another object of the session, as the history names it (`kind:name`, see snapshots.target)."""
    return None if target is None else {"t": "target", "v": target}


def certification(result: tuple[bool, date | None] | None) -> Value:
    """A certification result: obtained or not, and its date."""
    if result is None:
        return None
    obtained, on = result
    return {"t": "certification", "v": {"obtained": bool(obtained), "on": on.isoformat() if on else None}}
