"""Time the notification dispatcher: a tick that finds nothing due among 500,000 schedule rows, and
a tick that sends 1,000 due e-mails to a local SMTP server through one RQ worker.

    python bench/notification_tick.py \
        [--database-url postgresql://postgres@127.0.0.1/trainadmin_bench_notifications] \
        [--redis-url redis://127.0.0.1:6379/12] [--sessions 100000] [--schedules 500000] \
        [--due-sessions 100 --participants 10] [--runs 100] [--send-runs 5] \
        [--worker-class trainadmin.jobs.worker.Worker | rq.Worker] [--mail-connections 2] \
        [--relay-accept-ms 0]

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
   --send-runs runs, the median is kept, with the tick's own time and the send jobs' time. Before
   that, in turns: the floor (the same composed messages sent by raw smtplib over one connection),
   then the worker sending those same rows, with the processor time a message of the worker
   process (its work horses included) and of the SMTP server.

Exits 1 when a target is missed: empty tick median under 50 ms, tick + sending at least 100
messages/s, sending alone at least 800 messages/s per worker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue, Worker
from sqlalchemy.engine import make_url

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import EmailSchedule, OutboxMessage, OutboxState, ScheduleState, TrainingSession
from trainadmin.queue import QUEUE_NAME
from trainadmin.services.notifications import delivery
from trainadmin.services.notifications.mail_message import build_message, envelope
from trainadmin.services.notifications.sending import OUTGOING_COLUMNS, OutgoingMessage
from trainadmin.services.notifications.wake import dispatching
from trainadmin.transaction import commit

from _common import StatementTimer, time_in_turns
from seed_sessions import seed

DEFAULT_URL = "postgresql://postgres@127.0.0.1/trainadmin_bench_notifications"
MAX_EMPTY_TICK_MS = 50.0
MIN_MESSAGES_PER_SECOND = 100.0
MIN_SENT_PER_WORKER_SECOND = 800.0
SENT_OUTBOX_ROWS = 200_000
ROOT = Path(__file__).resolve().parent.parent
#: The worker started by this run, stopped by `main` whatever happens.
WORKERS: list[subprocess.Popen] = []
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
        "--workers",
        type=int,
        default=1,
        help="rq worker processes sharing the send jobs (README « Scaling »)",
    )
    parser.add_argument(
        "--mail-connections",
        type=int,
        default=2,
        help="TRAINADMIN_MAIL_CONNECTIONS of the workers: SMTP connections per send job (1 = one ping-pong)",
    )
    parser.add_argument(
        "--relay-accept-ms",
        type=float,
        default=0.0,
        help="ms the SMTP server takes to accept each message, as a relay writing it to disk does",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a reduced size that ends in seconds (200 sessions, 50 due e-mails, one run): the suite runs it",
    )
    parser.add_argument(
        "--worker-class",
        default="trainadmin.jobs.worker.Worker",
        help="trainadmin.jobs.worker.Worker (the app built once per worker), rq.Worker (once per job)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.schedules, args.due_sessions, args.participants = 200, 2_000, 5, 10
        args.runs, args.send_runs = 10, 1
    return args


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
    def __init__(self, count, accept_ms: float = 0.0):
        self.count = count
        self.accept_seconds = accept_ms / 1000

    async def handle_DATA(self, server, session, envelope):
        if self.accept_seconds:  # a relay that writes the message to its disk before answering
            await asyncio.sleep(self.accept_seconds)
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def serve_smtp(port: int, count, stop, accept_ms: float = 0.0) -> None:
    """The SMTP server, in a process of its own: in the bench's process it would wait for the
    interpreter lock while the tick composes, and slow the worker down for nothing."""
    handler = CountingHandler(count, accept_ms)
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    stop.wait()
    controller.stop()


class SmtpServer:
    def __init__(self, accept_ms: float = 0.0):
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.received = context.Value("i", 0)
        self._stop = context.Event()
        self._process = context.Process(
            target=serve_smtp, args=(self.port, self.received, self._stop, accept_ms), daemon=True
        )
        self._process.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.1)
        self.stop()
        raise SystemExit("the SMTP server did not start")

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def count(self) -> int:
        return self.received.value

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=10)


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
        "TRAINADMIN_MAIL_CONNECTIONS": str(args.mail_connections),
    }
    rq = str(Path(sys.executable).parent / "rq")
    command = [rq, "worker", "-u", args.redis_url, "-w", args.worker_class, QUEUE_NAME]
    # Its log (a line per e-mail) goes to a file: a pipe nobody reads would fill up and stop it.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the worker's life)
    process = subprocess.Popen(  # noqa: S603 (our own rq, our own arguments)
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log
    )
    WORKERS.append(process)  # stopped by `main` whatever happens from here on
    if not worker_idle(args.redis_url, process.pid):
        log.seek(0)
        raise SystemExit("the rq worker did not start: " + log.read().decode(errors="replace"))
    print(f"rq worker pid {process.pid}, idle", flush=True)
    return process


def worker_idle(redis_url: str, pid: int) -> bool:
    """Whether the worker `pid` says it is idle within 60 s. Its Redis connection is closed and
    gone when this returns: a finaliser running when Ctrl-C comes would swallow the interrupt."""
    with Redis.from_url(redis_url) as connection:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(w.pid == pid and w.get_state() == "idle" for w in Worker.all(connection=connection)):
                return True
            time.sleep(0.1)
    return False


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


def wait_sent(app, schedule_ids: list[int], expected: int, handler: SmtpServer, before: int, started: float):
    """Until every message and schedule is SENT (at most 300 s); returns the seconds since `started`."""
    with app.app_context():
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
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        db.session.remove()
    if sent < expected or handler.count - before != expected or done != len(schedule_ids):
        raise SystemExit(
            f"sent {sent}/{expected}, SMTP received {handler.count - before}, schedules done {done}"
        )
    return elapsed


def job_seconds(queue: Queue, since: datetime, expected: int) -> tuple[int, float]:
    """The send jobs finished since `since` (waiting a few seconds for RQ to file the last ones, which
    it does just after their commit), and their time in all."""
    deadline = time.monotonic() + 10
    while True:
        jobs = [
            job
            for job in (queue.fetch_job(job_id) for job_id in queue.finished_job_registry.get_job_ids())
            if job is not None and job.func_name.endswith("send_batch") and job.started_at >= since
        ]
        if len(jobs) >= expected or time.monotonic() > deadline:
            return len(jobs), sum((job.ended_at - job.started_at).total_seconds() for job in jobs)
        time.sleep(0.05)


def send_run(app, args, handler: SmtpServer, queue: Queue) -> tuple[float, int]:
    """Tick + sending: the clock runs from the tick that composes the due schedules."""
    schedule_ids = prepare_due(app, args.due_sessions, args.participants)
    run_started = datetime.now(UTC)
    expected = len(schedule_ids) * args.participants
    before = handler.count
    with app.app_context():
        started = time.perf_counter()
        counts = delivery.dispatch_tick(commit)
        tick_seconds = time.perf_counter() - started
        db.session.remove()
    if counts.get("queued") != expected:
        raise SystemExit(f"expected {expected} messages, the tick wrote {counts}")
    elapsed = wait_sent(app, schedule_ids, expected, handler, before, started)
    jobs, busy = job_seconds(queue, run_started, counts.get("jobs", 0))
    print(
        f"  tick + sending: {elapsed:.2f} s; the tick itself {tick_seconds:.2f} s; {jobs} send jobs, "
        f"{busy:.2f} s of job time"
    )
    return elapsed, expected


def prepared_outbox(app, args) -> tuple[list[int], list[int]]:
    """The due schedules composed into the outbox, nothing handed out yet: (schedules, messages)."""
    schedule_ids = prepare_due(app, args.due_sessions, args.participants)
    with app.app_context():
        counts: Counter[str] = Counter()
        with dispatching():
            delivery._prepare_due(delivery.utcnow(), counts, commit)
        message_ids = list(
            db.session.scalars(
                sa.select(OutboxMessage.id)
                .where(
                    OutboxMessage.schedule_id.in_(schedule_ids),
                    OutboxMessage.state == OutboxState.PENDING,
                )
                .order_by(OutboxMessage.id)
            )
        )
        db.session.remove()
    if len(message_ids) != len(schedule_ids) * args.participants:
        raise SystemExit(f"expected {len(schedule_ids) * args.participants} messages, composed {counts}")
    return schedule_ids, message_ids


def floor_run(app, handler: SmtpServer, message_ids: list[int]) -> float:
    """The floor: the same messages, built beforehand by `mail_message`, sent by raw smtplib over one
    connection, nothing written anywhere. Returns the seconds of the SMTP loop."""
    with app.app_context():
        sender = app.config["MAIL_DEFAULT_SENDER"]
        rows = [
            OutgoingMessage(*values)
            for values in db.session.execute(
                sa.select(*OUTGOING_COLUMNS)
                .outerjoin(TrainingSession, TrainingSession.id == OutboxMessage.session_id)
                .where(OutboxMessage.id.in_(message_ids))
                .order_by(OutboxMessage.id)
            )
        ]
        prepared = [(*envelope(row, sender), build_message(row, sender, {}).as_bytes()) for row in rows]
        db.session.remove()
    before = handler.count
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", handler.port, timeout=60) as connection:
        for from_address, recipients, data in prepared:
            connection.sendmail(from_address, recipients, data)
    elapsed = time.perf_counter() - started
    deadline = time.monotonic() + 10
    while handler.count - before < len(prepared) and time.monotonic() < deadline:
        time.sleep(0.01)
    return elapsed


def cpu_seconds(pid: int) -> float:
    """The processor time of a process and of its children it waited for (its work horses)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def worker_run(
    app, handler: SmtpServer, queue: Queue, schedule_ids, message_ids
) -> tuple[float, float, float, float]:
    """Sending alone: the clock runs from a tick that finds the composed messages pending and hands
    them to the worker, until every message and schedule is SENT. Returns (seconds, job seconds,
    processor seconds of the workers, of the SMTP server)."""
    run_started = datetime.now(UTC)
    before = handler.count
    cpu_before = sum(cpu_seconds(process.pid) for process in WORKERS)
    smtp_before = cpu_seconds(handler.pid)
    with app.app_context():
        started = time.perf_counter()
        counts = delivery.dispatch_tick(commit)
        db.session.remove()
    if counts.get("leased") != len(message_ids):
        raise SystemExit(f"expected {len(message_ids)} messages handed out, the tick did {counts}")
    elapsed = wait_sent(app, schedule_ids, len(message_ids), handler, before, started)
    _jobs, busy = job_seconds(queue, run_started, counts.get("jobs", 0))
    workers = sum(cpu_seconds(process.pid) for process in WORKERS) - cpu_before
    return elapsed, busy, workers, cpu_seconds(handler.pid) - smtp_before


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM (RQ's warm shutdown), then SIGKILL if it is still there after 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def raise_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


INTERRUPTED: list[int] = []


def interrupt(signum, frame):
    """Ctrl-C: remembered as well as raised, since a library's clean-up (redis-py's) may swallow
    the KeyboardInterrupt and let the run go on; the bench then still ends as interrupted."""
    INTERRUPTED.append(signum)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # The clean-up below runs on Ctrl-C, even when started with SIGINT ignored (from a background
    # shell job), and on a kill too.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, raise_on_sigterm)
    seed(args.database_url, args.sessions, reuse=True)
    handler = None
    try:
        handler = SmtpServer(args.relay_accept_ms)
        print(f"SMTP server pid {handler.pid}", flush=True)
        missed = run(args, handler)
    finally:
        while WORKERS:
            stop_process(WORKERS.pop())
        if handler is not None:
            handler.stop()
    if INTERRUPTED:
        raise SystemExit("interrupted")
    print("\n" + ("MISSED: " + "; ".join(missed) if missed else "All targets met."))
    sys.exit(1 if missed else 0)


def run(args, handler: SmtpServer) -> list[str]:
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

    for _ in range(max(1, args.workers)):
        start_worker(args, smtp_port)
    # In turns: the raw smtplib floor, the worker sending the same composed messages, tick + sending.
    floors, sends, ends, cpus, smtp_cpus = [], [], [], [], []
    for _ in range(args.send_runs):
        schedule_ids, message_ids = prepared_outbox(app, args)
        floors.append(len(message_ids) / floor_run(app, handler, message_ids))
        elapsed, busy, cpu, smtp_cpu = worker_run(app, handler, queue, schedule_ids, message_ids)
        sends.append(len(message_ids) / elapsed)
        cpus.append(cpu * 1000 / len(message_ids))
        smtp_cpus.append(smtp_cpu * 1000 / len(message_ids))
        print(
            f"  floor (raw smtplib, one connection): {floors[-1]:.0f} messages/s; worker: {elapsed:.2f} s, "
            f"{sends[-1]:.0f} messages/s ({len(message_ids) / max(busy, 1e-9):.0f}/s of job time; "
            f"processor time a message: worker {cpus[-1]:.2f} ms, SMTP server {smtp_cpus[-1]:.2f} ms)"
        )
        elapsed, count = send_run(app, args, handler, queue)
        ends.append(count / elapsed)
    count = len(message_ids)
    workers = "one worker" if args.workers <= 1 else f"{args.workers} workers"
    print(
        f"\n{count} due e-mails, {workers} ({args.worker_class}, {args.mail_connections} SMTP connection(s) "
        f"a job), {args.send_runs} runs, medians:"
    )
    print(f"  raw smtplib floor:              {statistics.median(floors):.0f} messages/s")
    sending = "sending per worker:" if args.workers <= 1 else f"sending ({workers}):"
    print(f"  {sending:<32}{statistics.median(sends):.0f} messages/s")
    print(
        f"  {'processor time a message:':<32}worker {statistics.median(cpus):.2f} ms, "
        f"SMTP server {statistics.median(smtp_cpus):.2f} ms"
    )
    print(f"  tick (composing) + sending:     {statistics.median(ends):.0f} messages/s")
    print(f"  ({make_url(args.database_url).database})")

    missed = []
    if args.quick:  # a few messages, a cold worker: the figures say nothing, the run ended cleanly
        return missed
    if median >= MAX_EMPTY_TICK_MS:
        missed.append(f"empty tick median {median:.1f} ms >= {MAX_EMPTY_TICK_MS} ms")
    rate = statistics.median(ends)
    if rate < MIN_MESSAGES_PER_SECOND:
        missed.append(f"tick + sending {rate:.0f} messages/s < {MIN_MESSAGES_PER_SECOND:.0f}")
    per_worker = statistics.median(sends) / max(args.workers, 1)
    if per_worker < MIN_SENT_PER_WORKER_SECOND:
        missed.append(f"sending {per_worker:.0f} messages/s per worker < {MIN_SENT_PER_WORKER_SECOND:.0f}")
    return missed


if __name__ == "__main__":
    main()
