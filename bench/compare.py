"""The session list against its peer and its floor, in turns, as one table.

    .venv/bin/python bench/seed_sessions.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench \
        --sessions 100000 --reuse
    .venv/bin/python bench/compare.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench \
        [--runs 30] [--strict]
    .venv/bin/python bench/compare.py --quick      # 300 sessions in a temporary SQLite file, 3 runs

Three ways to draw the same list page, each case timed in turns (request by request) through test
clients, no network:
- TrainAdmin: /admin/sessions/ as a logged-in administrator (bench/_common.py);
- the peer: a stock Flask-Admin ModelView on the same table with the same 11 columns, page size and
  search columns (bench/peer/app.py);
- the floor: the statements TrainAdmin ran for that page, recorded once with their parameters and
  replayed on the bare driver connection, plus a minimal precompiled Jinja table of the same rows.
Prints the medians, the ratios to the floor and to the peer, the SQL statements per page and the
HTML size, then whether the targets hold (at most 2x the floor, faster than the peer); --strict
exits 1 when one is missed. `--quick` seeds a small SQLite database and proves the script runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import sqlalchemy as sa
from peer.app import LIST_URL as PEER_URL
from peer.app import create_peer_app

from trainadmin import create_app
from trainadmin.extensions import db

from _common import WARM_UP, ensure_admin, fresh_schema, get, logged_in_client

LIST_URL = "/admin/sessions/"
CASES = [
    ("first page, 20 rows", ""),
    ("search « Excel »", "?search=Excel"),
    ("search « Paris »", "?search=Paris"),
    ("100 rows", "?page_size=100"),
]
MAX_FLOOR_RATIO = 2.0
#: The columns of the list, as the floor's table shows them (the training's id stands for its name).
SHOWN = {
    "code",
    "label",
    "training_id",
    "session_type",
    "start_date",
    "end_date",
    "duration_days",
    "sequence_count",
    "enrolled_count",
    "publication",
    "status",
}
FLOOR_TABLE = jinja2.Environment(autoescape=True).from_string(
    "<table>{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>"
    "{% endfor %}</table>"
)


@dataclass
class Runs:
    durations: list[float] = field(default_factory=list)
    #: CPU time of this process (ms): Python's share, without PostgreSQL's; less moved by the load.
    cpu: list[float] = field(default_factory=list)
    statements: set[int] = field(default_factory=set)
    size: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.durations)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


class Recorder:
    """The statements an engine runs, with their parameters as the driver received them."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, object]] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append((statement, parameters))


class Floor:
    """TrainAdmin's statements of one page, replayed on the bare driver connection, and the rows of
    its longest result drawn in a minimal precompiled table."""

    def __init__(self, engine: sa.Engine, statements: list[tuple[str, object]]) -> None:
        self.connection = engine.raw_connection()
        self.statements = statements

    def __call__(self) -> str:
        cursor = self.connection.driver_connection.cursor()
        rows: list = []
        names: list[str] = []
        try:
            for statement, parameters in self.statements:
                cursor.execute(statement, parameters)
                found = cursor.fetchall() if cursor.description else []
                if len(found) > len(rows):
                    rows, names = found, [column[0] for column in cursor.description]
        finally:
            cursor.close()
        self.connection.driver_connection.rollback()
        if not rows:
            return FLOOR_TABLE.render(rows=[])
        shown = [i for i, n in enumerate(names) if n.removeprefix("training_session_") in SHOWN]
        return FLOOR_TABLE.render(rows=[[row[i] for i in shown] for row in rows])

    def close(self) -> None:
        self.connection.close()


def quick_seed(url: str, sessions: int) -> None:
    """A few hundred sessions with the labels of seed_sessions.py, on any database (plain INSERTs)."""
    from trainadmin.models import Training, TrainingSession

    from seed_sessions import AUDIENCES, CITIES, TRAININGS, VARIANT_WEIGHTS

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    fresh_schema(app)
    rng = random.Random(42)
    with app.app_context(), db.engine.begin() as connection:
        trainings = []
        for index, (name, reference, kind, _hours, variants) in enumerate(TRAININGS, start=1):
            connection.execute(
                sa.insert(Training.__table__).values(
                    id=index, name=name, reference=reference, session_type=kind, active=True
                )
            )
            trainings.append((index, kind, variants, VARIANT_WEIGHTS.get(reference)))
        rows = []
        for number in range(1, sessions + 1):
            training, kind, variants, weights = rng.choice(trainings)
            label = f"{rng.choices(variants, weights)[0]} — {rng.choice(AUDIENCES)} ({rng.choice(CITIES)})"
            rows.append(
                {
                    "code": f"2027-{number:04d}",
                    "year": 2027,
                    "training_id": training,
                    "session_type": kind,
                    "label": label,
                    "publication": rng.choice(["draft", "published"]),
                    "status": "created",
                }
            )
        connection.execute(sa.insert(TrainingSession.__table__), rows)
        db.engine.dispose()


def measure(url: str, runs: int) -> dict[str, dict[str, Runs]]:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    ensure_admin(app)
    client = logged_in_client(app)
    peer = create_peer_app(url).test_client()
    with app.app_context():
        engine = db.engine
    recorder = Recorder()
    sa.event.listen(engine, "before_cursor_execute", recorder)
    floors, calls = {}, {}
    for name, query in CASES:
        for _ in range(WARM_UP):
            get(client, LIST_URL + query)
            get(peer, PEER_URL + query)
        recorder.statements.clear()
        get(client, LIST_URL + query)
        floors[name] = Floor(engine, list(recorder.statements))
        calls[name] = {
            "TrainAdmin": lambda url=LIST_URL + query: get(client, url).data,
            "peer": lambda url=PEER_URL + query: get(peer, url).data,
            "floor": floors[name],
        }
        for _ in range(WARM_UP):
            floors[name]()
    peer_engines = [e for e in _engines(peer.application) if e is not engine]
    for other in peer_engines:
        sa.event.listen(other, "before_cursor_execute", recorder)
    results = {name: {who: Runs() for who in ("TrainAdmin", "peer", "floor")} for name, _q in CASES}
    for _ in range(runs):
        for name, _query in CASES:
            for who, call in calls[name].items():
                recorder.statements.clear()
                cpu = time.process_time()
                started = time.perf_counter()
                page = call()
                results[name][who].durations.append((time.perf_counter() - started) * 1000)
                results[name][who].cpu.append((time.process_time() - cpu) * 1000)
                results[name][who].size = len(page)
                count = len(floors[name].statements) if who == "floor" else len(recorder.statements)
                results[name][who].statements.add(count)
    for floor in floors.values():
        floor.close()
    return results


def _engines(app) -> list[sa.Engine]:
    with app.app_context():
        return [db.engine]


def report(results: dict[str, dict[str, Runs]], runs: int) -> list[str]:
    print(f"\n#### Session list: TrainAdmin, its peer and its floor ({runs} runs per case, medians)\n")
    print(
        "| case | TrainAdmin ms | peer ms | floor ms | / floor | / peer | SQL statements (TA / peer / floor)"
        " | HTML KiB (TA / peer / floor) | CPU ms of this process (TA / peer / floor) |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|---|")
    misses = []
    for name, by in results.items():
        ours, peer, floor = by["TrainAdmin"], by["peer"], by["floor"]
        to_floor, to_peer = ours.median / floor.median, ours.median / peer.median
        statements = " / ".join("/".join(map(str, sorted(r.statements))) for r in (ours, peer, floor))
        sizes = " / ".join(f"{r.size / 1024:.0f}" for r in (ours, peer, floor))
        cpu = " / ".join(f"{r.cpu_median:.1f}" for r in (ours, peer, floor))
        print(
            f"| {name} | {ours.median:.1f} | {peer.median:.1f} | {floor.median:.1f} | {to_floor:.2f}× "
            f"| {to_peer:.2f}× | {statements} | {sizes} | {cpu} |"
        )
        if to_floor > MAX_FLOOR_RATIO:
            misses.append(f"{name}: {to_floor:.2f}× the floor")
        if to_peer >= 1:
            misses.append(f"{name}: not faster than the peer ({to_peer:.2f}×)")
    verdict = "MISSED: " + "; ".join(misses) if misses else "met"
    print(f"\nTargets (at most {MAX_FLOOR_RATIO:.0f}× the floor, faster than the peer): {verdict}")
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="a PostgreSQL database seeded by bench/seed_sessions.py")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per case and app (default 30)")
    parser.add_argument(
        "--quick", action="store_true", help="300 sessions in a temporary SQLite file, 3 runs"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.quick:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'compare.db'}"
            quick_seed(url, 300)
            misses = report(measure(url, 3), 3)
    else:
        if not args.database_url:
            parser.error("--database-url is required (or --quick)")
        misses = report(measure(args.database_url, args.runs), args.runs)
    return 1 if args.strict and misses else 0


if __name__ == "__main__":
    sys.exit(main())
