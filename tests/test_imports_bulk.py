"""What a partner import of many sessions costs: statements per batch, not per session."""

from __future__ import annotations

import gc
from contextlib import contextmanager

import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import FeedFormat, ImportStatus, Publication, Role, SessionType, TrainingSession
from trainadmin.services.imports import perform_run, queue_run
from trainadmin.services.sessions import update_session

from . import factories
from .conftest import QueryCounter
from .test_imports import EXAMPLES, HEADER, RHONE, counts, run_feed, session_of, world  # noqa: F401 - `world` is a fixture


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


PLANNING_TABLES = (" sequence", " slot", " slot_date", " slot_trainer")


def reads_of_the_planning(seen: list[str]) -> list[str]:
    return [
        s for s in seen if s.lstrip().upper().startswith("SELECT") and any(t in s for t in PLANNING_TABLES)
    ]


def writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_an_unchanged_file_is_recognised_without_reading_the_sessions_planning(world):  # noqa: F811
    partner = world["partner"]
    data = many_sessions(30)
    run_feed(partner, data)
    with statements() as seen:
        run = run_feed(partner, data)
    assert counts(run) == (0, 0, 30, 0, 0)
    assert reads_of_the_planning(seen) == []
    assert [s for s in writes(seen) if " import_run" not in s and " partner" not in s] == []  # the run's rows


def test_an_unchanged_json_file_is_recognised_too(world):  # noqa: F811
    partner = world["partner"]
    data = (EXAMPLES / "partner-sessions.json").read_bytes()
    first = run_feed(partner, data, FeedFormat.JSON)
    with statements() as seen:
        run = run_feed(partner, data, FeedFormat.JSON)
    assert counts(run) == (0, 0, first.created_count, 0, 0)
    assert reads_of_the_planning(seen) == []


def test_a_session_changed_by_hand_is_compared_again_and_put_back_by_the_next_import(world):  # noqa: F811
    partner = world["partner"]
    data = many_sessions(3)
    run_feed(partner, data)
    session = session_of(partner, "B-1")
    update_session(session, {"label": "Changée à la main"}, factories.make_user(role=Role.ADMIN))
    _db.session.commit()

    run = run_feed(partner, data)

    assert counts(run) == (0, 1, 2, 0, 0)
    _db.session.refresh(session)
    assert session.label == "Session 1"
    again = run_feed(partner, data)  # compared, found as the file gives it: recognised from now on
    assert counts(again) == (0, 0, 3, 0, 0)


def test_a_session_whose_rows_are_written_differently_but_mean_the_same_is_unchanged(world):  # noqa: F811
    partner = world["partner"]
    run_feed(partner, many_sessions(2))
    respaced = many_sessions(2).replace(";09:00;", "; 9:00;")
    run = run_feed(partner, respaced)
    assert counts(run) == (0, 0, 2, 0, 0)  # compared with the database, not only by the file's text
    with statements() as seen:
        again = run_feed(partner, respaced)
    assert counts(again) == (0, 0, 2, 0, 0)
    assert reads_of_the_planning(seen) == []  # its new rows' digest was remembered


def test_rows_written_in_bulk_read_back_as_written_with_their_defaults(world):  # noqa: F811
    from trainadmin.models import SessionHistory
    from trainadmin.services.rows import insert_rows, insert_rows_with_ids

    session = factories.make_session()
    _db.session.flush()
    insert_rows(
        SessionHistory.__table__,
        [
            {"session_id": session.id, "actor": "system", "action": "imported", "changes": [{"field": "x"}]},
            {"session_id": session.id, "actor": "système « é »", "action": "imported", "changes": None},
        ],
    )
    [first, second] = _db.session.scalars(
        sa.select(SessionHistory).where(SessionHistory.session_id == session.id).order_by(SessionHistory.id)
    ).all()[-2:]
    assert first.changes == [{"field": "x"}] and first.at is not None  # the column's Python default
    assert second.actor == "système « é »" and not second.changes
    rows = [
        {**{c: getattr(session, c) for c in ("year", "training_id", "label")}, "code": f"Z-{n}"}
        for n in range(3)
    ]
    ids = insert_rows_with_ids(TrainingSession.__table__, rows)
    codes = dict(
        _db.session.execute(
            sa.select(TrainingSession.id, TrainingSession.code).where(TrainingSession.id.in_(ids))
        ).all()
    )
    assert [codes[i] for i in ids] == ["Z-0", "Z-1", "Z-2"]
    copy = _db.session.get(TrainingSession, ids[0])
    assert copy.version == 1 and copy.session_type is not None and copy.created_at is not None
    # The constant defaults (an enum, a boolean) converted as an INSERT converts them.
    assert copy.session_type == SessionType.INTRA and copy.publication == Publication.DRAFT
    assert copy.missing_from_feed is False and copy.calendar_invitations is True


def test_a_run_pauses_the_garbage_collector_and_gives_it_back(world):  # noqa: F811
    partner = world["partner"]
    seen = []

    def checkpoint():
        seen.append(gc.isenabled())
        _db.session.commit()

    assert gc.isenabled()
    run = queue_run(partner, data=many_sessions(3).encode(), filename="feed.csv")
    perform_run(run.id, checkpoint=checkpoint)
    assert counts(run)[0] == 3
    assert False in seen and gc.isenabled()
    run = queue_run(partner, data=b"reference;training\n\x00\xff;", filename="bad.csv")
    perform_run(run.id, checkpoint=_db.session.commit)  # a file that cannot be imported
    assert run.status == ImportStatus.FAILED and gc.isenabled()
    gc.disable()  # a process that had paused it keeps it paused
    try:
        run_feed(partner, many_sessions(3))
        assert not gc.isenabled()
    finally:
        gc.enable()
