"""Import 10,000 sessions (30,000 slots) of a partner from CSV into PostgreSQL, then the same file again.

    python bench/import_partner.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench_import \
        [--sessions 10000] [--slots 3]

The database is created when missing and its schema rebuilt from the migrations. The CSV has one line
per slot: each session one sequence of `--slots` slots of one date, each in a room of one of 50 places
(no two slots in one room at the same time) with a trainer. The import runs in this process as one
worker runs it (`perform_run`, a commit per batch), through the same services as the admin. The
second import reads the same file: every session is unchanged, and the script counts the INSERT,
UPDATE and DELETE statements it runs (on the sessions' tables, and on the run's own row). Rows written
by COPY (PostgreSQL, `services/rows.py`) are not statements SQLAlchemy sees: they are not counted.

Targets: the first import within 5 s, the second within 0.7 s with no write to the sessions.
`--quick` imports 200 sessions and checks the results only (tests/test_bench_import.py runs it);
`--profile` prints where each import spends its time (cProfile, on the standard error).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from datetime import date, timedelta

import sqlalchemy as sa

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import (
    ImportStatus,
    Location,
    Partner,
    Room,
    SlotDate,
    Trainer,
    Training,
    TrainingSession,
    UnknownPolicy,
)
from trainadmin.services.imports import perform_run, queue_run

from _common import StatementTimer, ensure_database, fresh_schema

LOCATIONS = 50
ROOMS_PER_LOCATION = 4
TRAINERS = 100
TRAININGS = 10
FIRST_DAY = date(2027, 1, 4)
HOURS = (("09:00", "12:00"), ("13:30", "17:00"))
FIRST_TARGET = 5.0
AGAIN_TARGET = 0.7
RUN_LOG = ("import_run", "import_rejection", "import_run_session")


def feed(sessions: int, slots: int) -> bytes:
    rooms = LOCATIONS * ROOMS_PER_LOCATION
    lines = [
        "reference;training;title;sequence;slot;date;start_time;end_time;break_minutes;location;room;trainers"
    ]
    for number in range(sessions):
        for slot in range(slots):
            index = number * slots + slot
            room = index % rooms
            turn = index // rooms  # the room's turn: a morning or an afternoon of one working day
            day = FIRST_DAY + timedelta(days=(turn // 2) // 5 * 7 + (turn // 2) % 5)
            start, end = HOURS[turn % 2]
            trainer = index % TRAINERS
            lines.append(
                f"P-{number:05d};Formation {number % TRAININGS};Session partenaire {number};Formation;"
                f"{slot + 1};{day.isoformat()};{start};{end};0;Lieu {room // ROOMS_PER_LOCATION};"
                f"Salle {room % ROOMS_PER_LOCATION};Formateur {trainer} <formateur{trainer}@example.com>"
            )
    return ("\n".join(lines) + "\n").encode()


def prepare(app) -> int:
    fresh_schema(app)
    with app.app_context():
        db.session.add_all(Training(name=f"Formation {n}") for n in range(TRAININGS))
        for n in range(LOCATIONS):
            location = Location(name=f"Lieu {n}")
            location.rooms = [Room(name=f"Salle {r}", capacity=20) for r in range(ROOMS_PER_LOCATION)]
            db.session.add(location)
        db.session.add_all(
            Trainer(first_name="Formateur", last_name=str(n), email=f"formateur{n}@example.com")
            for n in range(TRAINERS)
        )
        partner = Partner(name="Partenaire du banc", unknown_policy=UnknownPolicy.REJECT)
        db.session.add(partner)
        db.session.commit()
        return partner.id


def backend_cpu(app) -> float:
    """CPU seconds used so far by the PostgreSQL backends of the clients connected to the bench
    database (read from /proc: the server runs on this machine); 0 where it cannot be read."""
    with app.app_context():
        connection = db.engine.raw_connection()  # not through SQLAlchemy: not a statement counted
        try:
            cursor = connection.cursor()
            cursor.execute(  # not the autovacuum workers, which come and go
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'"
            )
            pids = [row[0] for row in cursor.fetchall()]
            cursor.close()
        finally:
            connection.close()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def import_once(
    app, partner_id: int, data: bytes, timer: StatementTimer, profile: str | None = None
) -> tuple[float, object, tuple[float, float]]:
    """(wall seconds, the run's result, (CPU seconds of this process, of its PostgreSQL backends))."""
    server_before = backend_cpu(app)
    with app.app_context():
        partner = db.session.get(Partner, partner_id)
        timer.reset()
        profiler = cProfile.Profile() if profile else None
        cpu_started = time.process_time()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        run = queue_run(partner, data=data, filename="bench.csv")
        db.session.commit()
        run = perform_run(run.id, checkpoint=db.session.commit)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if profiler:
            show_profile(profiler, profile)
        result = (run.status, run.created_count, run.updated_count, run.unchanged_count, run.rejected_count)
        db.session.remove()
    return elapsed, result, (cpu, backend_cpu(app) - server_before)


def show_profile(profiler: cProfile.Profile, name: str) -> None:
    """The functions where the import spends its time (own time and cumulated), on the standard error."""
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(25)
        print(f"--- profile of the {name} import, by {order}\n{out.getvalue()}", file=sys.stderr)


def writes(timer: StatementTimer) -> tuple[int, int]:
    """(writes to the sessions' tables, writes to the run log)."""
    session_writes = log_writes = 0
    for statement, _ms in timer.statements:
        head = statement.lstrip().upper()
        if not head.startswith(("INSERT", "UPDATE", "DELETE")):
            continue
        target = head.split()[2 if head.startswith(("INSERT", "DELETE")) else 1].strip('"').lower()
        if target in RUN_LOG:
            log_writes += 1
        else:
            session_writes += 1
    return session_writes, log_writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--slots", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile each import (on the standard error)")
    parser.add_argument(
        "--quick", action="store_true", help="200 sessions, no target: checks that the bench still runs"
    )
    args = parser.parse_args()
    if args.quick:
        args.sessions = min(args.sessions, 200)

    ensure_database(args.database_url)
    app = create_app(
        {"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "TRAINADMIN_MAX_UPLOAD_MB": 100}
    )
    partner_id = prepare(app)
    data = feed(args.sessions, args.slots)
    timer = StatementTimer()
    with app.app_context():
        timer.attach(db.engine)

    first, first_result, first_cpu = import_once(
        app, partner_id, data, timer, "first" if args.profile else None
    )
    first_statements = len(timer.statements)
    first_writes = writes(timer)
    second, second_result, second_cpu = import_once(
        app, partner_id, data, timer, "second" if args.profile else None
    )
    second_statements = len(timer.statements)
    second_writes = writes(timer)
    with app.app_context():
        sessions = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))
        dates = db.session.scalar(sa.select(sa.func.count()).select_from(SlotDate))

    size = len(data) / 1024 / 1024
    print("load average: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    print(
        f"file: {args.sessions} sessions, {args.sessions * args.slots} lines, {size:.1f} MB; "
        f"in the database: {sessions} sessions, {dates} slot dates"
    )
    print(
        "| import | seconds | CPU: Python + PostgreSQL (s) | result (created, updated, unchanged, "
        "rejected) | "
        "SQL statements | writes to sessions | writes to the run log |"
    )
    print("|---|---:|---|---|---:|---:|---:|")
    for name, seconds, (python, server), result, statements, (session_writes, log_writes) in (
        ("first (all new)", first, first_cpu, first_result, first_statements, first_writes),
        ("same file again", second, second_cpu, second_result, second_statements, second_writes),
    ):
        print(
            f"| {name} | {seconds:.2f} | {python:.2f} + {server:.2f} | {result[1:]} | {statements} | "
            f"{session_writes} | {log_writes} |"
        )

    misses = []
    if first_result[0] != ImportStatus.SUCCEEDED or second_result[0] != ImportStatus.SUCCEEDED:
        misses.append("a run did not succeed")
    if first_result[1] != args.sessions or second_result[3] != args.sessions:
        misses.append("not every session was created, then found unchanged")
    if not args.quick and first > FIRST_TARGET:
        misses.append(f"first import {first:.2f} s > {FIRST_TARGET} s")
    if not args.quick and second > AGAIN_TARGET:
        misses.append(f"second import {second:.2f} s > {AGAIN_TARGET} s")
    if second_writes[0]:
        misses.append(f"{second_writes[0]} writes to the sessions on the second import")
    targets = (
        "no time target (--quick)" if args.quick else f"first <= {FIRST_TARGET} s, again <= {AGAIN_TARGET} s"
    )
    print(f"\nTargets ({targets}, no write again): " + ("MISSED: " + "; ".join(misses) if misses else "met"))
    sys.exit(1 if misses else 0)


if __name__ == "__main__":
    main()
