"""Capacité min ≤ cible ≤ max, shared by formations and sessions."""

from __future__ import annotations

from flask_babel import gettext

MAX_CAPACITY = 10_000


def capacity_errors(minimum: int | None, target: int | None, maximum: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field, value in (("capacity_min", minimum), ("capacity_target", target), ("capacity_max", maximum)):
        if value is not None and not 0 <= value <= MAX_CAPACITY:
            errors[field] = gettext("Enter a number between 0 and %(max)s.", max=MAX_CAPACITY)
    if errors:
        return errors
    if minimum is not None and target is not None and minimum > target:
        errors["capacity_min"] = gettext("The minimum capacity cannot exceed the target capacity.")
    if target is not None and maximum is not None and target > maximum:
        errors["capacity_target"] = gettext("The target capacity cannot exceed the maximum capacity.")
    if minimum is not None and maximum is not None and minimum > maximum:
        errors.setdefault("capacity_min", gettext("The minimum capacity cannot exceed the maximum capacity."))
    return errors
