"""Time the conflict check of a slot (« créneau ») against 100,000 existing slots.

    python bench/conflict_check.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench_conflicts \
        [--slots 100000] [--runs 200] [--extra-index day_slot] [--extra-index resources] [--explain]

The database's schema is rebuilt from the migrations, then seeded with COPY: one session per hundred
slots (5 sequences of 20 slots), 200 rooms in 20 locations, 300 trainers; each slot has 1 to 3
consecutive weekdays within two years, one or two trainers, a room (95 %), a co-trainer (20 %);
5 % of sessions and 3 % of sequences are cancelled. Each case calls `find_clashes` with new random
inputs on every run and prints the median, the p95 and the most SQL statements one call ran.
`--extra-index` then creates candidate indexes, VACUUM ANALYZEs and runs the cases again; `--explain`
prints the PostgreSQL plans of a 3- and a 20-date check and the buffers each case reads.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Connection

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import (
    Location,
    Room,
    Sequence,
    SequenceStatus,
    SessionType,
    Slot,
    SlotDate,
    Trainer,
    Training,
    TrainingSession,
    WorkflowStatus,
    slot_trainer,
)
from trainadmin.services.planning import clash_query, find_clashes, refresh_date_state

from _common import fresh_schema

SLOTS_PER_SEQUENCE = 20
SEQUENCES_PER_SESSION = 5
LOCATIONS = 20
ROOMS_PER_LOCATION = 10
TRAINERS = 300
FIRST_DAY = date(2026, 1, 1)
DAYS = 730
SESSION_SPAN = 120  # days over which the slots of one session start
DAY_SHAPES = [(clock(9), clock(17), 60), (clock(9), clock(12, 30), 0), (clock(14), clock(17, 30), 0)]
WARM_UP = 5

# Candidates measured by --extra-index (not in the migrations).
CANDIDATE_INDEXES = {
    # The dates of the days asked for, read from the index alone.
    "day_slot": [
        "CREATE INDEX ix_slot_date_day_slot_id ON slot_date (day, slot_id) INCLUDE (start_time, end_time)"
    ],
    # The slots holding a room, a trainer or a co-trainer, read from the indexes alone.
    "resources": [
        "CREATE INDEX ix_slot_room_id_id ON slot (room_id, id)",
        "CREATE INDEX ix_slot_co_trainer_id_id ON slot (co_trainer_id, id)",
        "CREATE INDEX ix_slot_trainer_trainer_id_slot_id ON slot_trainer (trainer_id, slot_id)",
    ],
}

Inputs = tuple[list[tuple[date, clock, clock]], int | None, list[int], int | None]


@dataclass
class Seeded:
    """What the cases draw their inputs from."""

    live_slots: list[tuple[int, int, list[int], date]]  # id, room, trainers, first day
    room_ids: list[int]
    trainer_ids: list[int]


def weekdays(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def insert_ids(connection: Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    """Core insert (column defaults applied), ids back in order."""
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.scalars(statement, rows))


def copy_rows(connection: Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def seed_references(connection: Connection, rng: random.Random) -> tuple[int, dict[int, int], list[int]]:
    """A training, rooms (id → location id) and trainers."""
    (training_id,) = insert_ids(
        connection,
        Training.__table__,
        [{"name": "Management d'équipe", "session_type": SessionType.INTRA, "capacity_max": 12}],
    )
    location_ids = insert_ids(
        connection, Location.__table__, [{"name": f"Campus {n + 1}"} for n in range(LOCATIONS)]
    )
    rooms = [
        {"location_id": location_id, "name": f"Salle {n + 1}", "capacity": rng.choice([8, 12, 20])}
        for location_id in location_ids
        for n in range(ROOMS_PER_LOCATION)
    ]
    room_ids = insert_ids(connection, Room.__table__, rooms)
    trainers = [
        {"first_name": "Claire", "last_name": f"Martin {n}", "email": f"formateur{n}@example.com"}
        for n in range(TRAINERS)
    ]
    trainer_ids = insert_ids(connection, Trainer.__table__, trainers)
    room_locations = {room_id: room["location_id"] for room_id, room in zip(room_ids, rooms, strict=True)}
    return training_id, room_locations, trainer_ids


def seed_sequences(
    connection: Connection, training_id: int, count: int, rng: random.Random
) -> list[tuple[int, bool, date]]:
    """Sessions and their sequences: (sequence id, live, first day of its session) per sequence."""
    now = datetime.now(UTC)
    sessions = [
        {
            "code": f"B-{n + 1:06d}",
            "year": 2026 + n % 2,
            "training_id": training_id,
            "label": f"Management d'équipe — groupe {n + 1}",
            "status": WorkflowStatus.CANCELLED if rng.random() < 0.05 else WorkflowStatus.CONFIRMED,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    session_ids = insert_ids(connection, TrainingSession.__table__, sessions)
    sequences, facts = [], []
    for session_id, session in zip(session_ids, sessions, strict=True):
        first_day = FIRST_DAY + timedelta(days=rng.randrange(DAYS - SESSION_SPAN))
        for position in range(SEQUENCES_PER_SESSION):
            cancelled = rng.random() < 0.03
            sequences.append(
                {
                    "session_id": session_id,
                    "position": position,
                    "label": f"Séquence {position + 1}",
                    "status": SequenceStatus.CANCELLED if cancelled else SequenceStatus.PLANNED,
                }
            )
            facts.append((not cancelled and session["status"] != WorkflowStatus.CANCELLED, first_day))
    sequence_ids = insert_ids(connection, Sequence.__table__, sequences)
    return [(sequence_id, *fact) for sequence_id, fact in zip(sequence_ids, facts, strict=True)]


def seed(app: Flask, slot_total: int, rng: random.Random) -> Seeded:
    fresh_schema(app)
    with app.app_context():
        started = time.perf_counter()
        with db.engine.begin() as connection:
            training_id, room_locations, trainer_ids = seed_references(connection, rng)
            room_ids = list(room_locations)
            session_total = max(1, slot_total // (SLOTS_PER_SEQUENCE * SEQUENCES_PER_SESSION))
            sequences = seed_sequences(connection, training_id, session_total, rng)
            slots, slot_trainers, slot_dates, live = [], [], [], []
            for slot_id in range(1, slot_total + 1):
                sequence_id, is_live, session_start = sequences[
                    (slot_id - 1) // SLOTS_PER_SEQUENCE % len(sequences)
                ]
                room_id = rng.choice(room_ids) if rng.random() < 0.95 else None
                trainers = rng.sample(trainer_ids, rng.choice((1, 1, 2)))
                co_trainer = rng.choice(trainer_ids) if rng.random() < 0.2 else None
                co_trainer = None if co_trainer in trainers else co_trainer
                slots.append((slot_id, sequence_id, room_locations.get(room_id), room_id, co_trainer))
                slot_trainers.extend((slot_id, trainer_id) for trainer_id in trainers)
                start, end, pause = rng.choice(DAY_SHAPES)
                days = weekdays(
                    session_start + timedelta(days=rng.randrange(SESSION_SPAN)), rng.choice((1, 2, 3))
                )
                for day in days:
                    slot_dates.append((len(slot_dates) + 1, slot_id, day, start, end, pause))
                if is_live and room_id is not None:
                    live.append((slot_id, room_id, trainers, days[0]))
            copy_rows(
                connection,
                Slot.__table__,
                ("id", "sequence_id", "location_id", "room_id", "co_trainer_id"),
                slots,
            )
            copy_rows(connection, slot_trainer, ("slot_id", "trainer_id"), slot_trainers)
            copy_rows(
                connection,
                SlotDate.__table__,
                ("id", "slot_id", "day", "start_time", "end_time", "break_minutes"),
                slot_dates,
            )
            for table in ("slot", "slot_date"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (our table names)
                    f"(SELECT max(id) + 1 FROM {table}), false)"
                )
        refresh_date_state()  # what each date books, as the app's own writes leave it
        db.session.commit()
        inserted = time.perf_counter() - started
        vacuum_analyze()
        print(
            f"Seeded {session_total} sessions, {len(sequences)} sequences, {len(slots)} slots, "
            f"{len(slot_dates)} slot dates, {len(slot_trainers)} slot trainers in {inserted:.1f} s "
            f"(+ VACUUM ANALYZE {time.perf_counter() - started - inserted:.1f} s)\n"
        )
        db.session.remove()
    return Seeded(live, room_ids, trainer_ids)


def vacuum_analyze() -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("training_session", "sequence", "slot", "slot_trainer", "slot_date", "trainer_booking"):
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


def clashing(seeded: Seeded, rng: random.Random, count: int) -> Callable[[], Inputs]:
    """A day-long slot from the first day of a live slot, with its room and one of its trainers,
    saved as an edit of another slot."""

    def inputs() -> Inputs:
        _slot_id, room_id, trainers, first = rng.choice(seeded.live_slots)
        dates = [(day, clock(9), clock(17)) for day in weekdays(first, count)]
        edited = rng.choice(seeded.live_slots)[0]
        return dates, room_id, [trainers[0], rng.choice(seeded.trainer_ids)], edited

    return inputs


def free(seeded: Seeded, rng: random.Random, count: int) -> Callable[[], Inputs]:
    """An evening slot: the same rows to read, no overlap (the seeded slots end by 17:30)."""

    def inputs() -> Inputs:
        first = FIRST_DAY + timedelta(days=rng.randrange(DAYS - 60))
        dates = [(day, clock(19), clock(21)) for day in weekdays(first, count)]
        return dates, rng.choice(seeded.room_ids), rng.sample(seeded.trainer_ids, 2), None

    return inputs


def cases(seeded: Seeded, rng: random.Random) -> list[tuple[str, Callable[[], Inputs]]]:
    return [
        ("3 dates, room + 2 trainers, clashing", clashing(seeded, rng, 3)),
        ("3 dates, room + 2 trainers, free", free(seeded, rng, 3)),
        ("20 dates, room + 2 trainers, clashing", clashing(seeded, rng, 20)),
        ("20 dates, room + 2 trainers, free", free(seeded, rng, 20)),
        ("30 dates, room + 2 trainers, clashing", clashing(seeded, rng, 30)),
    ]


def run_cases(app: Flask, seeded: Seeded, runs: int, rng: random.Random, heading: str) -> None:
    print(f"{heading}\n")
    print("| case | median ms | p95 ms | SQL statements | clashes found (mean) |")
    print("|---|---|---|---|---|")
    with app.app_context():
        statements: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        for name, make_inputs in cases(seeded, rng):
            timings, counts, found = [], set(), []
            for run in range(runs + WARM_UP):
                dates, room_id, trainer_ids, edited = make_inputs()
                statements.clear()
                started = time.perf_counter()
                clashes = find_clashes(dates, room_id, trainer_ids, exclude_slot_id=edited)
                elapsed = (time.perf_counter() - started) * 1000
                db.session.rollback()
                if run >= WARM_UP:
                    timings.append(elapsed)
                    counts.add(len(statements))
                    found.append(len(clashes))
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            print(
                f"| {name} | {statistics.median(timings):.1f} | {p95:.1f} | {max(counts)} "
                f"| {statistics.mean(found):.1f} |"
            )
        sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
    print()


def plan(dates, room_id, trainer_ids, edited, *, buffers: bool = False):
    """EXPLAIN ANALYZE of the statement `find_clashes` runs (lines), or the shared buffers it reads."""
    query = clash_query(room_id is not None, bool(trainer_ids), edited is not None).params(
        days=sorted({day for day, _start, _end in dates}),
        room_id=room_id,
        trainer_ids=trainer_ids,
        exclude_slot_id=edited,
    )
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if buffers:
        (result,) = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")).scalar()
        return result["Plan"]["Shared Hit Blocks"] + result["Plan"]["Shared Read Blocks"]
    return db.session.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")).scalars().all()


def explain(app: Flask, seeded: Seeded, rng: random.Random) -> None:
    """The plans of a 3- and a 20-date check, and the buffers each case reads (a measure that the
    load of the machine does not blur)."""
    with app.app_context():
        for count in (3, 20):
            lines = plan(*clashing(seeded, rng, count)())
            print(f"EXPLAIN ANALYZE, {count} dates:\n```\n" + "\n".join(lines) + "\n```\n")
        print("| case | shared buffers (mean of 50) |\n|---|---|")
        for name, make_inputs in cases(seeded, rng):
            read = [plan(*make_inputs(), buffers=True) for _run in range(50)]
            print(f"| {name} | {statistics.mean(read):.0f} |")
        print()
        db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--slots", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--extra-index", choices=sorted(CANDIDATE_INDEXES), action="append", default=[])
    parser.add_argument("--explain", action="store_true", help="print plans and buffers read")
    args = parser.parse_args()

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    seeded = seed(app, args.slots, random.Random(args.seed))
    run_cases(app, seeded, args.runs, random.Random(args.seed), "With the indexes of the migrations:")
    if args.explain:
        explain(app, seeded, random.Random(args.seed))
    if not args.extra_index:
        return
    added = [statement for name in args.extra_index for statement in CANDIDATE_INDEXES[name]]
    with app.app_context():
        with db.engine.begin() as connection:
            for statement in added:
                connection.exec_driver_sql(statement)
        vacuum_analyze()
        db.session.remove()
    run_cases(
        app, seeded, args.runs, random.Random(args.seed), "With " + ", ".join(f"`{s}`" for s in added) + ":"
    )
    if args.explain:
        explain(app, seeded, random.Random(args.seed))


if __name__ == "__main__":
    main()
