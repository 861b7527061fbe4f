"""Time the check of a link's token (`services.links.find`) among many links.

    python bench/link_check.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench_links \
        [--links 100000] [--runs 2000] [--quick]

The database's schema is rebuilt from the migrations, then seeded with COPY: `--links` links of
every purpose (their tokens' hashes; a tenth expired, a tenth used, a tenth revoked), bound to one
demande. Each run checks a token picked at random among those seeded (found) or a random one
(unknown): the median and p95 of each case, the SQL statements one check runs, and PostgreSQL's
plan of the check. `--quick` seeds 2,000 links and checks 200 times: it only shows the bench runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import (
    AccessLink,
    Collaborator,
    LinkPurpose,
    RequestStatus,
    Training,
    TrainingRequest,
    TrainingSession,
)
from trainadmin.services import links
from trainadmin.services.links import token_hash

from _common import ensure_database, fresh_schema, nearest_rank

PURPOSES = [purpose.value for purpose in LinkPurpose]


def seed(count: int) -> list[str]:
    """`count` links by COPY; returns the tokens of the live ones (to check)."""
    training = Training(name="Bench")
    session = TrainingSession(training=training, code="2027-0001", year=2027, label="Bench")
    collaborator = Collaborator(first_name="Léa", last_name="Martin", email="lea@example.com")
    request = TrainingRequest(
        session=session, collaborator=collaborator, status=RequestStatus.PENDING_MANAGER
    )
    db.session.add(request)
    db.session.flush()
    request_id = request.id
    connection = db.session.connection()
    now = datetime.now(UTC)
    live, buffer = [], io.StringIO()
    for n in range(count):
        token = secrets.token_urlsafe(links.tokens.TOKEN_BYTES)
        state = n % 10
        expires = now - timedelta(days=1) if state == 0 else now + timedelta(days=14)
        used = now.isoformat() if state == 1 else "\\N"
        revoked = now.isoformat() if state == 2 else "\\N"
        if state > 2:
            live.append(token)
        purpose = PURPOSES[n % len(PURPOSES)]
        buffer.write(
            f"{purpose}\t{token_hash(token)}\tbench@example.com\t{request_id}\t{now.isoformat()}\t"
            f"{expires.isoformat()}\t{used}\t{revoked}\n"
        )
    raw = connection.connection.driver_connection
    with raw.cursor().copy(
        "COPY access_link (purpose, token_hash, recipient, request_id, created_at, expires_at, used_at,"
        " revoked_at) FROM STDIN"
    ) as copy:
        copy.write(buffer.getvalue())
    db.session.commit()
    connection = db.session.connection()
    connection.exec_driver_sql("ANALYZE access_link")
    db.session.commit()
    return live


def time_checks(tokens: list[str], runs: int, found: bool) -> tuple[list[float], int]:
    timings, most = [], 0
    engine = db.engine
    for _ in range(runs):
        token = random.choice(tokens) if found else secrets.token_urlsafe(links.tokens.TOKEN_BYTES)
        statements = []

        def count(*_args, **_kwargs):
            statements.append(1)  # noqa: B023 (each run's own list)

        sa.event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        with contextlib.suppress(links.LinkRefused):
            links.find(token)
        timings.append((time.perf_counter() - started) * 1000)
        sa.event.remove(engine, "before_cursor_execute", count)
        most = max(most, len(statements))
        db.session.rollback()
        db.session.expunge_all()
    return timings, most


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="2,000 links, 200 checks")
    args = parser.parse_args()
    if args.quick:
        args.links, args.runs = 2000, 200
    ensure_database(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "REDIS_URL": ""})
    fresh_schema(app)
    with app.app_context():
        started = time.perf_counter()
        tokens = seed(args.links)
        print(f"seeded {args.links} links in {time.perf_counter() - started:.1f} s ({len(tokens)} live)")
        plan = db.session.execute(
            sa.text("EXPLAIN SELECT * FROM access_link WHERE token_hash = :h"), {"h": token_hash(tokens[0])}
        ).scalars()
        print("plan: " + " / ".join(line.strip() for line in plan))
        print(f"\n#### Link check among {args.links:,} links ({args.runs} runs per case)\n")
        print("| case | median ms | p95 ms | SQL statements |\n|---|---:|---:|---:|")
        for name, found in (("live token", True), ("unknown token", False)):
            time_checks(tokens, 20, found)  # warm up
            timings, most = time_checks(tokens, args.runs, found)
            median, p95 = statistics.median(timings), nearest_rank(timings, 0.95)
            print(f"| {name} | {median:.3f} | {p95:.3f} | {most} |")
        count = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLink))
        print(f"\n({count} links in {make_name(args.database_url)})")
    return 0


def make_name(url: str) -> str:
    return sa.engine.make_url(url).database or url


if __name__ == "__main__":
    sys.exit(main())
