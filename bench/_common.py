"""What the benchmark scripts share: the database, the bench administrator, counting statements,
timing runs and summing them up. Scripts run as `python bench/<name>.py`, so this imports as `_common`.
"""

from __future__ import annotations

import math
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from trainadmin.extensions import db, upgrade_schema
from trainadmin.models import Role, User
from trainadmin.services.users import create_user, set_password

ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-admin-password"  # noqa: S105 (a throwaway account of the bench database)
WARM_UP = 3
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# --- The database ------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (connected to the `postgres` maintenance database)."""
    target = make_url(url)
    if not target.get_backend_name().startswith("postgresql"):
        raise SystemExit("the benchmarks need a PostgreSQL database URL")
    maintenance = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(target.database)
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
                print(f"created database {target.database}")
    finally:
        maintenance.dispose()


def fresh_schema(app: Flask) -> None:
    """An empty database at the head revision, built by the app's own migrations."""
    with app.app_context():
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade_schema(app)


# --- A logged-in administrator -------------------------------------------------------------------


def ensure_admin(app: Flask) -> None:
    """The bench administrator, created (or given the bench password back) and committed."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == ADMIN_EMAIL))
        if user is None:
            create_user(ADMIN_EMAIL, Role.ADMIN, ADMIN_PASSWORD, full_name="Bench Admin")
        elif not user.check_password(ADMIN_PASSWORD) or not user.active or user.role != Role.ADMIN:
            set_password(user, ADMIN_PASSWORD)
            user.active = True
            user.role = Role.ADMIN
        db.session.commit()
        db.session.remove()


def logged_in_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = CSRF_RE.search(page)
    if not match:
        raise SystemExit("no CSRF token on /login")
    response = client.post(
        "/login",
        data={
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "csrf_token": match.group(1) or match.group(2),
        },
    )
    if response.status_code != 302:
        raise SystemExit(f"login refused ({response.status_code})")
    return client


def get(client: FlaskClient, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return response


# --- Measuring -----------------------------------------------------------------------------------


class StatementTimer:
    """Counts the statements the engines run, and the time spent between their start and end."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, float]] = []
        self._started: list[float] = []

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._started.append(time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append((statement, (time.perf_counter() - self._started.pop()) * 1000))

    def reset(self) -> None:
        self.statements.clear()
        self._started.clear()

    def attach(self, engine: sa.Engine) -> None:
        sa.event.listen(engine, "before_cursor_execute", self.before)
        sa.event.listen(engine, "after_cursor_execute", self.after)


def nearest_rank(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]


@dataclass
class Timing:
    """Runs of one case: their durations (ms) and the SQL statements each ran."""

    durations: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.durations)

    @property
    def p95(self) -> float:
        return nearest_rank(self.durations, 0.95)

    @property
    def statements(self) -> str:
        """The statement count, or every count seen when it varied between runs."""
        counts = sorted(set(self.counts))
        return str(counts[0]) if len(counts) == 1 else f"{counts} (varies)"


def time_in_turns(
    cases: dict[str, Callable[[], object]], timer: StatementTimer, runs: int
) -> dict[str, Timing]:
    """WARM_UP calls of each case, then `runs` timed calls of each, the cases taking turns so that
    a burst of load elsewhere on the machine hits them all alike."""
    for call in cases.values():
        for _ in range(WARM_UP):
            call()
    timings = {name: Timing() for name in cases}
    for _ in range(runs):
        for name, call in cases.items():
            timer.reset()
            started = time.perf_counter()
            call()
            timings[name].durations.append((time.perf_counter() - started) * 1000)
            timings[name].counts.append(len(timer.statements))
    return timings


def report_scaling_targets(timings: dict[str, Timing], few: str, many: str, max_median_ms: float) -> None:
    """Print whether the big case stays under `max_median_ms` with the same SQL count as the small
    one, and exit 1 when it does not (so a script run in CI can fail on a regression)."""
    misses = []
    if timings[many].median >= max_median_ms:
        misses.append(f"median {timings[many].median:.1f} ms >= {max_median_ms:.0f} ms")
    if set(timings[few].counts) != set(timings[many].counts) or len(set(timings[many].counts)) != 1:
        misses.append(f"SQL statements {timings[few].statements} → {timings[many].statements}")
    print(
        f"\nTargets (median < {max_median_ms:.0f} ms, same SQL count): "
        + ("MISSED: " + "; ".join(misses) if misses else "met")
    )
    sys.exit(1 if misses else 0)
