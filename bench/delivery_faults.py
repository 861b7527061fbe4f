"""The delivery fault table: --messages outbox rows sent by the production processes — one
`rq worker -w trainadmin.jobs.worker.Worker` and one `flask --app app cron`, against a redis-server of
the script's own on a free loopback port — to an aiosmtpd sink on loopback that writes a mail log
(TRAINADMIN_MAIL_LOG), while one fault strikes once a third of the messages was accepted:

- worker killed mid-batch: SIGKILL of the worker and its work horse, in the instant after the sink
  accepted a message and before the sender heard it; the worker is started again 5 s later;
- SMTP connection dropped mid-batch: the sink receives a message, then drops the connection;
- Redis restarted during sending: redis-server stopped for 5 s, then started again (same port, AOF);
- PostgreSQL connection cut during recording: every connection of the workers is terminated
  (`pg_terminate_backend`).

    python bench/delivery_faults.py [--database-url postgresql://postgres@127.0.0.1/trainadmin_bench_faults]
        [--messages 300] [--timeout 300]

Per scenario: outbox (rows SENT / written), received (by the sink), duplicates, lost, and the delay
from the end of the fault to the last message recorded sent. Exits 1 when a target is missed: no
duplicate, nothing lost, no delay over 60 s. Everything it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.redis_support import own_redis  # noqa: E402
from tests.smtp_support import running_smtp_server  # noqa: E402
from tests.test_delivery_faults import kill_with_children  # noqa: E402
from trainadmin import create_app  # noqa: E402
from trainadmin.extensions import db  # noqa: E402
from trainadmin.models import OutboxMessage, OutboxState  # noqa: E402
from trainadmin.transaction import commit  # noqa: E402

from _common import ensure_database, fresh_schema  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1/trainadmin_bench_faults"
BIN = Path(sys.executable).parent
SCENARIOS = (
    "worker killed mid-batch",
    "SMTP connection dropped mid-batch",
    "Redis restarted during sending",
    "PostgreSQL connection cut during recording",
)
MAX_DELAY = 60


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--only", help="run only the scenarios whose name contains this")
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this directory")
    return parser.parse_args(argv)


def write_outbox(app, scenario: int, count: int) -> None:
    """Pending rows, written as the dispatcher writes them (no tick woken: the processes send them)."""
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.execute(
            sa.insert(OutboxMessage),
            [
                {
                    "dedup_key": f"bench:{scenario}:{n}",
                    "kind": "reminder",
                    "recipient": f"p{n}@example.com",
                    "subject": "Rappel de votre formation",
                    "body": "Bonjour,\nÀ bientôt.\n" * 20,
                    "state": OutboxState.PENDING,
                    "attempts": 0,
                    "created_at": datetime.now(UTC),
                }
                for n in range(count)
            ],
        )
        commit()


def start(command, environment, log) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own commands)
        command, cwd=ROOT, env=environment, stdout=log, stderr=log, start_new_session=True
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            kill_with_children(process.pid)
            process.wait(10)


def sent_state(app) -> tuple[int, datetime | None]:
    with app.app_context():
        sent, last = db.session.execute(
            sa.select(sa.func.count(), sa.func.max(OutboxMessage.sent_at)).where(
                OutboxMessage.state == OutboxState.SENT
            )
        ).one()
        db.session.remove()
    return sent, last


def cut_database_connections(url: str) -> int:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return len(
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        engine.dispose()


def run_scenario(app, args, index: int, name: str, workdir: Path) -> dict:
    count = args.messages
    write_outbox(app, index, count)
    third = count // 3
    with running_smtp_server() as sink, own_redis(workdir / f"redis{index}") as redis_server:
        sink.log_path = workdir / f"mail{index}.log"
        if name.startswith("worker"):
            sink.hold_after(third, accepted=True)
        elif name.startswith("SMTP"):
            sink.drop_after(third)
        environment = {
            **os.environ,
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "bench-faults",
            "REDIS_URL": redis_server.url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(sink.port),
            "TRAINADMIN_MAIL_LOG": str(sink.log_path),
            "TRAINADMIN_STORAGE": str(workdir / "files"),
            "TRAINADMIN_LOG_FORMAT": "text",
        }
        worker_command = [
            str(BIN / "rq"),
            "worker",
            "-w",
            "trainadmin.jobs.worker.Worker",
            "-u",
            redis_server.url,
            "trainadmin",
        ]
        log = ((args.logs or workdir) / f"processes{index}.log").open("w")
        processes = [
            start(worker_command, environment, log),
            start([str(BIN / "flask"), "--app", "app", "cron"], environment, log),
        ]
        try:
            deadline = time.monotonic() + args.timeout
            while len(sink.received) < third + 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            if name.startswith("worker"):
                sink.holding.wait(30)
                kill_with_children(processes[0].pid)
                processes[0].wait(10)
                sink.release()
                time.sleep(5)  # systemd's RestartSec
                processes[0] = start(worker_command, environment, log)
            elif name.startswith("Redis"):
                redis_server.stop()
                time.sleep(5)
                redis_server.start()
            elif name.startswith("PostgreSQL"):
                cut_database_connections(args.database_url)
            fault_end = datetime.now(UTC)
            sent, last = sent_state(app)
            restarts = 0
            while sent < count and time.monotonic() < deadline:
                time.sleep(0.5)
                sent, last = sent_state(app)
                for number, process in enumerate(processes):  # as systemd does (Restart=always)
                    if process.poll() is not None:
                        time.sleep(5)
                        processes[number] = start(process.args, environment, log)
                        restarts += 1
        finally:
            for process in processes:
                stop(process)
            log.close()
        per_recipient = Counter(address for item in sink.received for address in item.rcpt_tos)
    delay = max(0.0, (last - fault_end).total_seconds()) if last else float("inf")
    return {
        "scenario": name,
        "outbox": f"{sent}/{count}",
        "received": len(sink.received),
        "duplicates": sum(n - 1 for n in per_recipient.values()),
        "lost": count - len(per_recipient),
        "delay": delay,
        "restarts": restarts,
    }


def main(argv=None) -> None:
    args = parse_args(argv)
    ensure_database(args.database_url)
    app = create_app(
        {"DATABASE_URL": args.database_url, "SECRET_KEY": "bench-faults", "REDIS_URL": "", "MAIL_SERVER": ""}
    )
    fresh_schema(app)
    results = []
    with tempfile.TemporaryDirectory(prefix="trainadmin-faults-") as directory:
        for index, name in enumerate(SCENARIOS):
            if args.only and args.only.lower() not in name.lower():
                continue
            started = time.monotonic()
            results.append(run_scenario(app, args, index, name, Path(directory)))
            print(f"  {name}: done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    print("| scenario | outbox sent | received | duplicates | lost | delay after the fault | restarts |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['scenario']} | {r['outbox']} | {r['received']} | {r['duplicates']} | {r['lost']} "
            f"| {r['delay']:.0f} s | {r['restarts']} |"
        )
    missed = [r["scenario"] for r in results if r["duplicates"] or r["lost"] or r["delay"] > MAX_DELAY]
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
