"""Time the notification dispatcher: a tick that finds nothing due among 500,000 schedule rows, and
a tick that sends 1,000 due e-mails to a local SMTP server through one RQ worker.

    python bench/notification_tick.py \
        [--database-url postgresql://postgres@127.0.0.1/trainadmin_bench_notifications] \
        [--redis-url redis://127.0.0.1:6379/12] [--sessions 100000] [--schedules 500000] \
        [--due-sessions 100 --participants 10] [--runs 100] [--send-runs 5] \
        [--worker-class trainadmin.jobs.worker.Worker | rq.Worker]

The database is created if missing; its sessions come from bench/seed_sessions.py (kept when it
already holds --sessions sessions), then each session gets 4 e-mail rules and the non-pre-work
sequences get schedule rows, --schedules in all, in the states a running platform has: sent when
due in the past, planned when due later, cancelled for drafts and cancelled sessions; 200,000 sent
outbox rows sit in the outbox. Nothing is due at the start.

1. The empty tick: 3 warm-ups then --runs timed calls of `delivery.dispatch_tick(commit)` (app context,
   no request), with the plan of the due-schedule query.
2. Sending: --due-sessions published sessions get --participants enrolled collaborators and their
   convocation made due a minute ago (1,000 messages by default). One `rq worker -w <--worker-class>`
   process (started beforehand and idle) and an aiosmtpd server on 127.0.0.1, in a process of its
   own, wait; the clock runs from the tick (which composes the schedules and hands each full batch
   to the worker) until every message and schedule is SENT. Each run resets the same schedules;
   --send-runs runs, the median is kept, with the tick's own time and the send jobs' time.

Exits 1 when a target is missed: empty tick median under 50 ms, at least 100 messages/s.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue, Worker
from seed_sessions import seed
from sqlalchemy.engine import make_url

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import EmailSchedule, OutboxMessage, OutboxState, ScheduleState
from trainadmin.queue import QUEUE_NAME
from trainadmin.services.notifications import delivery
from trainadmin.transaction import commit

from _common import StatementTimer, time_in_turns

DEFAULT_URL = "postgresql://postgres@127.0.0.1/trainadmin_bench_notifications"
MAX_EMPTY_TICK_MS = 50.0
MIN_MESSAGES_PER_SECOND = 100.0
SENT_OUTBOX_ROWS = 200_000
ROOT = Path(__file__).resolve().parent.parent
KINDS = (
    ("convocation", "sequence_start", -7),
    ("trainer_file", "sequence_start", -10),
    ("reminder", "sequence_start", -1),
    ("hot_survey", "sequence_end", 0),
)
BODY = "Bonjour {{ participant.first_name }},\nVous êtes convoqué(e) à la session {{ session.code }}."


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--schedules", type=int, default=500_000)
    parser.add_argument("--due-sessions", type=int, default=100)
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--send-runs", type=int, default=5)
    parser.add_argument(
        "--worker-class",
        default="trainadmin.jobs.worker.Worker",
        help="trainadmin.jobs.worker.Worker (the app built once per worker), rq.Worker (once per job)",
    )
    return parser.parse_args(argv)


# --- Data ----------------------------------------------------------------------------------------


def seed_schedules(app, schedules: int) -> None:
    """Rules and schedule rows for the seeded sessions, built by SQL from their sequences."""
    with app.app_context(), db.engine.begin() as connection:
        have = connection.scalar(sa.text("SELECT count(*) FROM email_schedule"))
        if have == schedules:
            print(f"schedules: already {have}, reused")
            return
        started = time.perf_counter()
        connection.exec_driver_sql(
            "TRUNCATE outbox_message, email_schedule, email_rule RESTART IDENTITY CASCADE"
        )
        values = ", ".join(f"('{kind}', '{anchor}', {delay})" for kind, anchor, delay in KINDS)
        rules = f"""
            INSERT INTO email_rule (session_id, kind, enabled, anchor, delay_days, recipients, subject, body)
            SELECT s.id, k.kind, true, k.anchor, k.delay, 'participants', :subject, :body
            FROM training_session s CROSS JOIN (VALUES {values}) AS k(kind, anchor, delay)
        """  # noqa: S608 (constants of this script)
        connection.execute(sa.text(rules), {"subject": "Convocation — {{ session.code }}", "body": BODY})
        connection.execute(
            sa.text(
                """
                INSERT INTO email_schedule
                    (rule_id, sequence_id, due_at, state, prepared_at, sent_at, recipient_count, skipped)
                SELECT rule_id, sequence_id, due_at,
                       CASE WHEN draft_or_cancelled THEN 'cancelled'
                            WHEN due_at <= now() THEN 'sent' ELSE 'planned' END,
                       CASE WHEN NOT draft_or_cancelled AND due_at <= now() THEN due_at END,
                       CASE WHEN NOT draft_or_cancelled AND due_at <= now() THEN due_at END,
                       CASE WHEN NOT draft_or_cancelled AND due_at <= now() THEN enrolled ELSE 0 END,
                       false
                FROM (
                    SELECT r.id AS rule_id, q.id AS sequence_id, s.enrolled_count AS enrolled,
                           (s.publication = 'draft' OR s.status = 'cancelled') AS draft_or_cancelled,
                           ((CASE WHEN r.anchor = 'sequence_end' THEN q.end_date ELSE q.start_date END)
                             + r.delay_days + time '08:00') AT TIME ZONE 'Europe/Paris' AS due_at
                    FROM email_rule r
                    JOIN training_session s ON s.id = r.session_id
                    JOIN sequence q ON q.session_id = s.id AND NOT q.is_prework
                    ORDER BY r.id, q.id
                    LIMIT :schedules
                ) AS planned
                """
            ),
            {"schedules": schedules},
        )
        connection.execute(
            sa.text(
                """
                INSERT INTO outbox_message (dedup_key, session_id, schedule_id, rule_id, sequence_id, kind,
                    recipient, subject, body, state, attempts, attachment_ids, created_at, sent_at)
                SELECT 'bench:' || e.id, r.session_id, e.id, r.id, e.sequence_id, r.kind,
                       'participant' || e.id || '@example.com', 'Convocation', 'Bonjour', 'sent', 1, NULL,
                       e.sent_at, e.sent_at
                FROM email_schedule e JOIN email_rule r ON r.id = e.rule_id
                WHERE e.state = 'sent'
                ORDER BY e.id
                LIMIT :rows
                """
            ),
            {"rows": SENT_OUTBOX_ROWS},
        )
        print(f"schedules: {schedules} rows written in {time.perf_counter() - started:.1f} s")
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("email_rule", "email_schedule", "outbox_message"):
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


def prepare_due(app, sessions: int, participants: int) -> list[int]:
    """Enrolled participants on `sessions` published sessions, and their convocation due a minute
    ago: the same sessions each run, their earlier messages removed. Returns the schedule ids."""
    with app.app_context(), db.engine.begin() as connection:
        chosen = connection.execute(
            sa.text(
                """
                SELECT DISTINCT ON (s.id) e.id, s.id FROM email_schedule e
                JOIN email_rule r ON r.id = e.rule_id AND r.kind = 'convocation'
                JOIN training_session s ON s.id = r.session_id
                WHERE s.publication = 'published' AND s.status <> 'cancelled'
                ORDER BY s.id, e.id
                LIMIT :sessions
                """
            ),
            {"sessions": sessions},
        ).all()
        schedule_ids = [schedule_id for schedule_id, _ in chosen]
        connection.execute(
            sa.text("DELETE FROM outbox_message WHERE schedule_id = ANY(:ids)"), {"ids": schedule_ids}
        )
        connection.execute(
            sa.text(
                """
                INSERT INTO collaborator (first_name, last_name, email)
                SELECT 'Camille', 'Participant ' || s || '-' || n, 'bench-' || s || '-' || n || '@example.com'
                FROM unnest(CAST(:sessions AS integer[])) AS s, generate_series(1, :participants) AS n
                ON CONFLICT (email) DO NOTHING
                """
            ),
            {"sessions": [session_id for _, session_id in chosen], "participants": participants},
        )
        connection.execute(
            sa.text(
                """
                INSERT INTO training_request (session_id, collaborator_id, status, created_at)
                SELECT s, c.id, 'enrolled', now()
                FROM unnest(CAST(:sessions AS integer[])) AS s
                CROSS JOIN generate_series(1, :participants) AS n
                JOIN collaborator c ON c.email = 'bench-' || s || '-' || n || '@example.com'
                ON CONFLICT (session_id, collaborator_id) DO NOTHING
                """
            ),
            {"sessions": [session_id for _, session_id in chosen], "participants": participants},
        )
        connection.execute(
            sa.text(
                "UPDATE email_schedule SET state = 'planned', prepared_at = NULL, sent_at = NULL, "
                "recipient_count = 0, last_error = NULL, due_at = now() - interval '1 minute' "
                "WHERE id = ANY(:ids)"
            ),
            {"ids": schedule_ids},
        )
    return schedule_ids


# --- SMTP server and worker -----------------------------------------------------------------------------


class CountingHandler:
    def __init__(self, count):
        self.count = count

    async def handle_DATA(self, server, session, envelope):
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def serve_smtp(port: int, count, stop) -> None:
    """The SMTP server, in a process of its own: in the bench's process it would wait for the
    interpreter lock while the tick composes, and slow the worker down for nothing."""
    controller = Controller(CountingHandler(count), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    stop.wait()
    controller.stop()


class SmtpServer:
    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.received = context.Value("i", 0)
        self._stop = context.Event()
        self._process = context.Process(target=serve_smtp, args=(self.port, self.received, self._stop))
        self._process.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.1)
        raise SystemExit("the SMTP server did not start")

    @property
    def count(self) -> int:
        return self.received.value

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_worker(args, smtp_port: int) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": "bench",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
    }
    rq = str(Path(sys.executable).parent / "rq")
    command = [rq, "worker", "-u", args.redis_url, "-w", args.worker_class, QUEUE_NAME]
    # Its log (a line per e-mail) goes to a file: a pipe nobody reads would fill up and stop it.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the worker's life)
    process = subprocess.Popen(  # noqa: S603 (our own rq, our own arguments)
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log
    )
    connection = Redis.from_url(args.redis_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = Worker.all(connection=connection)
        if any(w.pid == process.pid and w.get_state() == "idle" for w in workers):
            return process
        time.sleep(0.1)
    process.kill()
    log.seek(0)
    raise SystemExit("the rq worker did not start: " + log.read().decode(errors="replace"))


# --- Runs ------------------------------------------------------------------------------------------


def empty_tick(app, runs: int) -> tuple[float, float, str, str]:
    with app.app_context():
        timer = StatementTimer()
        timer.attach(db.engine)
        compiled = delivery._due_schedule(delivery.utcnow()).compile(
            db.engine, compile_kwargs={"literal_binds": True}
        )
        plan = "\n".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {compiled}")))
        db.session.rollback()
        timings = time_in_turns({"tick": lambda: check_empty(delivery.dispatch_tick(commit))}, timer, runs)
        db.session.remove()
    timing = timings["tick"]
    return timing.median, timing.p95, timing.statements, plan


def check_empty(counts: dict) -> None:
    if counts:
        raise SystemExit(f"the tick was meant to find nothing, it did: {counts}")


def send_run(app, args, handler: SmtpServer, queue: Queue) -> tuple[float, int]:
    schedule_ids = prepare_due(app, args.due_sessions, args.participants)
    run_started = datetime.now(UTC)
    expected = len(schedule_ids) * args.participants
    before = handler.count
    with app.app_context():
        started = time.perf_counter()
        counts = delivery.dispatch_tick(commit)
        tick_seconds = time.perf_counter() - started
        if counts.get("queued") != expected:
            raise SystemExit(f"expected {expected} messages, the tick wrote {counts}")
        sent = done = 0
        while time.perf_counter() - started < 300:
            sent = db.session.scalar(
                sa.select(sa.func.count()).where(
                    OutboxMessage.schedule_id.in_(schedule_ids), OutboxMessage.state == OutboxState.SENT
                )
            )
            done = db.session.scalar(
                sa.select(sa.func.count()).where(
                    EmailSchedule.id.in_(schedule_ids), EmailSchedule.state == ScheduleState.SENT
                )
            )
            db.session.rollback()
            if sent >= expected and done == len(schedule_ids):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        db.session.remove()
    if sent < expected or handler.count - before != expected or done != len(schedule_ids):
        raise SystemExit(
            f"sent {sent}/{expected}, SMTP received {handler.count - before}, schedules done {done}"
        )
    jobs = [
        job
        for job in (queue.fetch_job(job_id) for job_id in queue.finished_job_registry.get_job_ids())
        if job is not None and job.func_name.endswith("send_batch") and job.started_at >= run_started
    ]
    busy = sum((job.ended_at - job.started_at).total_seconds() for job in jobs)
    print(
        f"  run: {elapsed:.2f} s; the tick itself {tick_seconds:.2f} s; {len(jobs)} send jobs, "
        f"{busy:.2f} s of job time"
    )
    return elapsed, expected


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    seed(args.database_url, args.sessions, reuse=True)
    handler = SmtpServer()
    smtp_port = handler.port
    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "bench",
            "REDIS_URL": args.redis_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
        }
    )
    seed_schedules(app, args.schedules)
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(args.redis_url))
    queue.empty()

    median, p95, statements, plan = empty_tick(app, args.runs)
    print(
        f"\nEmpty tick among {args.schedules:,} schedule rows ({args.runs} runs): median {median:.2f} ms, "
        f"p95 {p95:.2f} ms, {statements} SQL statements"
    )
    print("Plan of the due-schedule query:\n  " + plan.replace("\n", "\n  "))

    worker = start_worker(args, smtp_port)
    try:
        results = [send_run(app, args, handler, queue) for _ in range(args.send_runs)]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        handler.stop()
    rates = [count / elapsed for elapsed, count in results]
    count = results[0][1]
    print(
        f"\nTick + sending of {count} due e-mails, one worker ({args.worker_class}), {args.send_runs} runs:"
    )
    for elapsed, sent in results:
        print(f"  {elapsed:.2f} s — {sent / elapsed:.0f} messages/s")
    rate = statistics.median(rates)
    print(f"  median {rate:.0f} messages/s ({make_url(args.database_url).database})")

    missed = []
    if median >= MAX_EMPTY_TICK_MS:
        missed.append(f"empty tick median {median:.1f} ms >= {MAX_EMPTY_TICK_MS} ms")
    if rate < MIN_MESSAGES_PER_SECOND:
        missed.append(f"{rate:.0f} messages/s < {MIN_MESSAGES_PER_SECOND}")
    print("\n" + ("MISSED: " + "; ".join(missed) if missed else "All targets met."))
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
