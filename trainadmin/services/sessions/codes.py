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


def _next_number(year: int) -> int:
    counter = SessionCodeCounter.__table__
    bump = (
        sa.update(counter)
        .where(counter.c.year == year)
        .values(last_number=counter.c.last_number + 1)
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
