"""Ids and whole numbers as typed in an address or a form, read in one place: never an exception,
never a number too large for the database."""

from __future__ import annotations


def is_id(value) -> bool:
    """ASCII digits only (str.isdigit() accepts « ² », which int() refuses)."""
    text = str(value)
    return text.isascii() and text.isdigit()


def parse_id(value, max_digits: int = 9) -> int | None:
    """A whole number of at most `max_digits` digits, surrounding spaces ignored, or None."""
    text = str(value if value is not None else "").strip()
    return int(text) if is_id(text) and len(text) <= max_digits else None
