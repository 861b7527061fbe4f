"""Session codes: one number a year, never reused, safe with concurrent creators."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import (
    SessionCodeCounter,
    TrainingSession,
)
from ..errors import DomainError

MIN_YEAR = 2000

MAX_YEAR = 2100


def check_year(year: int | None) -> None:
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise DomainError(
            gettext("Enter a year between %(min)s and %(max)s.", min=MIN_YEAR, max=MAX_YEAR), field="year"
        )


def allocate_code(year: int) -> str:
    """Next code of the year (`2027-0042`), never reused; safe with concurrent creators.

    The counter row is bumped with one UPDATE … RETURNING, which takes a row lock until the
    transaction ends, so two transactions can never receive the same number.
    """
    check_year(year)
    with db.session.no_autoflush:
        return f"{year}-{_next_number(year):04d}"


def allocate_codes(years: list[int]) -> list[str]:
    """The next codes for many new sessions at once (a partner import's batch), in the order of
    `years`: one UPDATE … RETURNING per year that takes as many numbers as it needs — the same row
    lock as `allocate_code`, held to the end of the transaction. Years are taken in order, so two
    batches lock the counters in the same order and never wait for each other in a cycle."""
    for year in set(years):
        check_year(year)
    wanted: dict[int, int] = {}
    for year in years:
        wanted[year] = wanted.get(year, 0) + 1
    next_number: dict[int, int] = {}
    with db.session.no_autoflush:
        for year in sorted(wanted):
            next_number[year] = _next_number(year, wanted[year]) - wanted[year] + 1
    codes = []
    for year in years:
        codes.append(f"{year}-{next_number[year]:04d}")
        next_number[year] += 1
    return codes


def _next_number(year: int, count: int = 1) -> int:
    """The year's counter moved on by `count`; returns the last number taken."""
    counter = SessionCodeCounter.__table__
    bump = (
        sa.update(counter)
        .where(counter.c.year == year)
        .values(last_number=counter.c.last_number + count)
        .returning(counter.c.last_number)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        db.session.execute(
            insert(counter).values(year=year, last_number=0).on_conflict_do_nothing(index_elements=["year"])
        )
        number = db.session.execute(bump).scalar_one()
    return number


def assign_code(session: TrainingSession) -> None:
    if not session.code:
        session.code = allocate_code(session.year)
