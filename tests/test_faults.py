"""Faults, each real: the PostgreSQL connection dropped in the middle of a save, Redis stopped while
users work, a worker SIGKILLed in the middle of a partner import. (SMTP unreachable and a sender
killed in the middle of a batch: tests/test_delivery_faults.py.)"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from sqlalchemy.engine import make_url

from trainadmin.extensions import db as _db
from trainadmin.jobs.imports import run_import
from trainadmin.models import (
    ImportRun,
    ImportStatus,
    OutboxMessage,
    OutboxState,
    Publication,
    Role,
    TrainingSession,
)
from trainadmin.queue import QUEUE_NAME, enqueue
from trainadmin.services.imports import runs as import_runs
from trainadmin.services.notifications import calendar

from . import factories
from .conftest import PASSWORD, csrf_token, login, need, post_form
from .smtp_support import running_smtp_server, use_smtp_server
from .test_calendar import slot
from .test_delivery_faults import BIN, ROOT, _environment, kill_with_children


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need_postgresql(app) -> str:
    with app.app_context():
        url = _db.engine.url
    if url.get_backend_name() != "postgresql":
        need("PostgreSQL", "set TRAINADMIN_TEST_DATABASE_URL")
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def committed_client(app, role: Role = Role.MANAGER):
    user = factories.make_user(role=role, password=PASSWORD)
    _db.session.commit()
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    client.csrf = csrf_token(client, "/admin/")
    client.email = user.email
    return client


def edit_form(session: TrainingSession, label: str) -> dict:
    return {
        "training": str(session.training_id),
        "year": str(session.year),
        "label": label,
        "session_type": "intra",
        "capacity_min": "3",
        "capacity_target": "6",
        "capacity_max": "10",
        "expected_version": str(session.version),
    }


# --- PostgreSQL connection dropped in the middle of a save -------------------------------------------


def test_a_connection_dropped_in_the_middle_of_a_save_saves_nothing_and_the_next_request_works(
    app, committed_db
):
    plain_url = need_postgresql(app)
    session = factories.make_session(label="Avant la coupure")
    committed_db.session.commit()
    session_id, version = session.id, session.version
    client = committed_client(app)
    history_before = committed_db.session.scalar(sa.text("SELECT count(*) FROM session_history"))
    committed_db.session.rollback()
    killed: list[int] = []

    def drop_own_connection(conn, cursor, statement, parameters, context, executemany):
        """When the save sends its UPDATE of the session, another connection kills this one."""
        if not killed and statement.lstrip().upper().startswith("UPDATE TRAINING_SESSION"):
            pid = conn.connection.dbapi_connection.info.backend_pid
            with psycopg.connect(plain_url, autocommit=True) as other:
                assert other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]
            killed.append(pid)

    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", drop_own_connection)
    try:
        response = post_form(client, f"/admin/sessions/edit/?id={session_id}", edit_form(session, "Après"))
    finally:
        sa.event.remove(engine, "before_cursor_execute", drop_own_connection)

    assert killed, "the save never reached its UPDATE"
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Database unavailable" in page or "Base de données indisponible" in page
    assert "Traceback" not in page and "psycopg" not in page and "terminating connection" not in page

    committed_db.session.expire_all()
    row = committed_db.session.execute(
        sa.text("SELECT label, version FROM training_session WHERE id = :id"), {"id": session_id}
    ).one()
    assert tuple(row) == ("Avant la coupure", version)  # nothing half-saved
    assert committed_db.session.scalar(sa.text("SELECT count(*) FROM session_history")) == history_before
    committed_db.session.rollback()

    # The next requests work on a fresh connection (the broken one was dropped; pool_pre_ping is on).
    assert client.get(f"/admin/sessions/details/?id={session_id}").status_code == 200
    again = post_form(client, f"/admin/sessions/edit/?id={session_id}", edit_form(session, "Après"))
    assert again.status_code == 302
    assert (
        committed_db.session.scalar(
            sa.text("SELECT label FROM training_session WHERE id = :id"), {"id": session_id}
        )
        == "Après"
    )


# --- Redis stopped while users work ------------------------------------------------------------------


@pytest.fixture
def redis_queue(app, redis_url, monkeypatch):
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    app.extensions.pop("trainadmin_redis", None)
    yield Queue(QUEUE_NAME, connection=connection)
    connection.flushdb()
    app.extensions.pop("trainadmin_redis", None)


def test_redis_stopped_a_slot_change_is_saved_and_its_updates_go_when_redis_is_back(
    app, db, login_as, redis_queue, monkeypatch, caplog
):
    session = factories.make_session(
        label="Management", publication=Publication.PUBLISHED, calendar_invitations=True
    )
    sequence = factories.make_sequence(session)
    created = slot(
        sequence,
        (date(2027, 5, 15), datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17)),
    )
    requests = [factories.enrol(session) for _ in range(2)]
    for request in requests:
        calendar.invite(request)
    db.session.execute(sa.update(OutboxMessage).values(state=OutboxState.SENT))  # the invitations went
    ops = login_as(Role.OPS_MANAGER)
    redis_url = app.config["REDIS_URL"]
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")  # Redis stopped
    app.extensions.pop("trainadmin_redis", None)

    with caplog.at_level(logging.WARNING):
        answer = ops.post(
            f"/admin/sessions/slot/save/?id={session.id}&sequence={sequence.id}&slot={created.id}",
            data={
                "csrf_token": ops.csrf,
                "dates-0-day": "2027-05-18",
                "dates-0-start_time": "09:30",
                "dates-0-end_time": "17:00",
                "dates-0-break_minutes": "60",
                "change_reason": "Report",
            },
            headers={"Accept": "application/json"},
        )

    assert answer.status_code == 200 and answer.get_json()["ok"]  # the admin kept working
    db.session.expire_all()
    assert [d.day for d in created.dates] == [date(2027, 5, 18)]
    pending = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)
    ).all()
    emails = sorted(request.collaborator.email for request in requests)
    assert sorted(message.recipient for message in pending) == emails  # in the database-backed outbox
    assert "Redis unreachable" in caplog.text  # the failed hand-over is logged

    # Redis is back: the periodic tick, as `rq cron` enqueues it, sends each update once.
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    app.extensions.pop("trainadmin_redis", None)
    with running_smtp_server() as server:
        use_smtp_server(app, monkeypatch, server.port)
        scheduler = CronScheduler(connection=redis_queue.connection)
        scheduler.load_config_from_file("trainadmin.jobs.cron")
        [tick] = [job for job in scheduler.get_jobs() if job.func_name.endswith(".dispatch")]
        tick.enqueue(redis_queue.connection)
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)  # the send jobs
        assert server.per_recipient() == dict.fromkeys(emails, 1)
        calendars = [
            part.get_content()
            for item in server.received
            for part in item.message.walk()
            if part.get_content_type() == "text/calendar"
        ]
        assert len(calendars) == len(server.received)
        assert all("20270518T" in text for text in calendars)
    for message in pending:
        db.session.refresh(message)
        assert message.state == OutboxState.SENT


# --- A worker killed during a job --------------------------------------------------------------------


ROWS = 3000


def big_feed(count: int) -> bytes:
    start = date(2027, 1, 4)
    rows = [
        f"K{n:05d};Sécurité;Session K{n:05d};{start + timedelta(days=n % 300)};09:00;17:00"
        for n in range(count)
    ]
    return ("reference;training;title;date;start_time;end_time\n" + "\n".join(rows) + "\n").encode()


def run_state(db, run_id: int) -> tuple:
    state = db.session.execute(
        sa.text("SELECT status, processed FROM import_run WHERE id = :id"), {"id": run_id}
    ).one()
    db.session.rollback()
    return tuple(state)


def test_a_worker_killed_during_an_import_the_run_resumes_and_each_session_is_created_once(
    app, committed_db, redis_queue
):
    need_postgresql(app)
    factories.make_training(name="Sécurité")
    partner = factories.make_partner(name="Partenaire tué")
    run = import_runs.queue_run(partner, data=big_feed(ROWS), filename="gros.csv")
    committed_db.session.commit()
    run_id = run.id
    enqueue(run_import, run_id, job_id=f"import-run-{run_id}")
    committed_db.session.remove()
    command = [str(BIN / "rq"), "worker", "--burst", "-w", "trainadmin.jobs.worker.Worker"]
    command += ["-u", app.config["REDIS_URL"], QUEUE_NAME]
    environment = _environment(app, 25, app.config["REDIS_URL"])

    worker = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, processed = run_state(committed_db, run_id)
            if processed >= import_runs.BATCH_SIZE:
                break
            assert worker.poll() is None, worker.stderr.read().decode(errors="replace")
            time.sleep(0.02)
    finally:
        kill_with_children(worker.pid)  # SIGKILL: no handler runs
        worker.communicate(timeout=30)

    status, processed = run_state(committed_db, run_id)
    assert status.lower() == "running" and import_runs.BATCH_SIZE <= processed < ROWS, (status, processed)
    sessions = committed_db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))
    assert sessions == processed  # what the dead worker committed, batch by batch
    committed_db.session.rollback()

    # Its heartbeat stops; once it is older than STALE_AFTER the run may be taken over. The job is
    # queued again (RQ's retry, or « Relancer ») and a new worker resumes after the last batch.
    committed_db.session.execute(
        sa.update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(heartbeat_at=datetime.now(UTC) - import_runs.STALE_AFTER - timedelta(seconds=1))
    )
    committed_db.session.commit()
    enqueue(run_import, run_id, job_id=f"import-run-{run_id}")
    committed_db.session.remove()
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode(errors="replace")

    run = committed_db.session.get(ImportRun, run_id)
    assert run.status == ImportStatus.SUCCEEDED
    assert (run.processed, run.created_count) == (ROWS, ROWS)
    refs = committed_db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(TrainingSession.external_ref)))
    ).one()
    assert tuple(refs) == (ROWS, ROWS)  # every session once: none lost, none twice
