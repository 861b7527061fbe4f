"""What a partner import of many sessions costs: statements per batch, not per session."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import TrainingSession

from .conftest import QueryCounter
from .test_imports import HEADER, RHONE, counts, run_feed, world  # noqa: F401 - `world` is a fixture


@contextmanager
def statements():
    counter = QueryCounter()
    engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter.statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)


def many_sessions(count: int, year: int = 2027) -> str:
    lines = [HEADER]
    for number in range(count):
        day = f"{year}-{1 + number // 28:02d}-{1 + number % 28:02d}"
        lines.append(f"B-{number};NUM-CYBER;Session {number};S;1;{day};09:00;12:00;0;{RHONE};")
    return "\n".join(lines) + "\n"


def test_the_codes_of_a_batch_of_new_sessions_are_taken_in_one_statement(world):  # noqa: F811 - the fixture of test_imports
    partner = world["partner"]
    run_feed(partner, many_sessions(1))  # the year's counter exists, as after its first session
    with statements() as seen:
        run = run_feed(partner, many_sessions(40) + "")
    assert counts(run) == (39, 0, 1, 0, 0)
    bumps = [s for s in seen if "session_code_counter" in s]
    assert len(bumps) == 1, bumps
    codes = _db.session.scalars(
        sa.select(TrainingSession.code).where(TrainingSession.partner_id == partner.id)
    )
    assert sorted(codes) == [f"2027-{n:04d}" for n in range(1, 41)]
