"""Delivery under faults, each with the real parts: Redis down when a user saves, an SMTP server
that refuses or is away, a sender killed in the middle of a batch, two dispatchers at once.
What is asserted is what the recipients get: each message once."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler

from trainadmin.extensions import db as _db
from trainadmin.models import (
    EmailKind,
    OutboxMessage,
    OutboxState,
    Role,
    ScheduleState,
    TrainingRequest,
    utcnow,
)
from trainadmin.queue import QUEUE_NAME
from trainadmin.services.notifications import delivery, outbox
from trainadmin.transaction import commit

from . import factories
from .conftest import need, post_form
from .delivery_support import due_schedule, event_drafts, make_rule, published_session  # noqa: F401
from .smtp_support import free_port, running_smtp_server, use_smtp_server

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def burst(queue: Queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def rows(**where) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(_db.session.scalars(query))


def participant_emails(session) -> list[str]:
    requests = _db.session.scalars(sa.select(TrainingRequest).where(TrainingRequest.session_id == session.id))
    return sorted(request.collaborator.email for request in requests)


# --- Redis down when a user saves ------------------------------------------------------------------


@pytest.mark.usefixtures("event_drafts")
def test_redis_down_when_a_user_saves_then_the_next_tick_sends(
    app, db, login_as, smtp, redis_queue, monkeypatch, caplog
):
    session = published_session(participants=0)
    session.calendar_invitations = False  # the confirmation alone: one message to follow
    make_rule(session, EmailKind.ENROLMENT)
    collaborator = factories.make_collaborator()
    client = login_as(Role.MANAGER)
    redis_url = app.config["REDIS_URL"]
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    app.extensions.pop("trainadmin_redis", None)

    with caplog.at_level(logging.WARNING, logger="trainadmin.services.notifications.delivery"):
        response = post_form(
            client, f"/admin/sessions/enrol/?id={session.id}", {"collaborator_ids": collaborator.id}
        )

    assert response.status_code == 302
    [message] = rows(recipient=collaborator.email)  # the save and its message are there
    assert message.state == OutboxState.PENDING and not smtp.received
    assert "Redis unreachable" in caplog.text

    # Redis is back: the periodic tick, as `rq cron` enqueues it, sends the confirmation.
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    app.extensions.pop("trainadmin_redis", None)
    scheduler = CronScheduler(connection=redis_queue.connection)
    scheduler.load_config_from_file("trainadmin.jobs.cron")
    [tick] = [job for job in scheduler.get_jobs() if job.func_name.endswith(".dispatch")]
    tick.enqueue(redis_queue.connection)
    burst(redis_queue)

    assert smtp.per_recipient() == {collaborator.email: 1}
    _db.session.refresh(message)
    assert message.state == OutboxState.SENT


# --- An SMTP server that refuses, or is away -------------------------------------------------------


def test_a_refusing_server_is_retried_then_failed_visibly_and_nothing_is_duplicated(
    app, db, smtp, login_as, monkeypatch
):
    monkeypatch.setitem(app.config, "TRAINADMIN_MAIL_MAX_ATTEMPTS", 3)
    session = published_session(participants=2)
    schedule = due_schedule(session)
    busy, greylisted = participant_emails(session)
    smtp.refuse_recipient(busy, "450 4.2.1 Mailbox busy, try later")
    smtp.refuse("451 4.7.1 Greylisted, come back later", times=1)  # the other one, the first time
    start = utcnow()

    assert delivery.dispatch_tick(commit, start) == {
        "schedules_prepared": 1,
        "queued": 2,
        "leased": 2,
        "retrying": 2,
    }
    [first, second] = rows(schedule_id=schedule.id)
    assert (first.attempts, second.attempts) == (1, 1)
    assert {first.error, second.error} == {
        f"450 {busy}: 4.2.1 Mailbox busy, try later",
        "451 4.7.1 Greylisted, come back later",
    }
    assert delivery.dispatch_tick(commit, start + timedelta(seconds=30)) == {}  # not before its delay

    assert delivery.dispatch_tick(commit, start + timedelta(minutes=2)) == {
        "leased": 2,
        "sent": 1,
        "retrying": 1,
    }
    assert delivery.dispatch_tick(commit, start + timedelta(hours=1)) == {"leased": 1, "failed": 1}

    _db.session.refresh(schedule)
    [failed] = rows(recipient=busy)
    assert failed.state == OutboxState.FAILED and failed.attempts == 3
    assert schedule.state == ScheduleState.FAILED and "Mailbox busy" in schedule.last_error

    client = login_as(Role.MANAGER)
    listed = unescape(client.get("/admin/outbox/?flt0_state_enumequal=FAILED").get_data(as_text=True))
    assert busy in listed and "4.2.1 Mailbox busy, try later" in listed and greylisted not in listed
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'id="card-failed_emails">.*?ta-figure[^>]*>1<', dashboard, re.S)

    smtp.accept()  # the server takes everything again: nothing goes twice, a failed message stays failed
    for days in (1, 2, 30):
        assert delivery.dispatch_tick(commit, start + timedelta(days=days)) == {}
    assert smtp.per_recipient() == {greylisted: 1}


def test_an_unreachable_server_fails_the_job_for_rq_to_retry_and_each_message_goes_once(
    app, db, redis_queue, monkeypatch
):
    schedule = due_schedule(published_session(participants=2))
    use_smtp_server(app, monkeypatch, free_port())  # nobody listens there

    assert delivery.dispatch_tick(commit) == {"schedules_prepared": 1, "queued": 2, "leased": 2, "jobs": 1}
    [job] = redis_queue.get_jobs()
    burst(redis_queue)

    job.refresh()
    assert job.retries_left == 2  # failed, and scheduled again by RQ (Retry with backoff)
    assert job.id in redis_queue.scheduled_job_registry.get_job_ids()
    for message in rows(schedule_id=schedule.id):
        assert message.state == OutboxState.PENDING and message.claimed_at is None
        assert "Serveur SMTP injoignable" in message.error and message.attempts == 0

    with running_smtp_server() as server:
        use_smtp_server(app, monkeypatch, server.port)
        assert delivery.dispatch_tick(commit) == {"leased": 2, "jobs": 1}  # the next tick
        burst(redis_queue)
        # RQ's own retry of the first job comes later: it finds nothing left to send.
        redis_queue.scheduled_job_registry.remove(job)
        redis_queue.enqueue_job(job)
        burst(redis_queue)

        assert server.per_recipient() == {email: 1 for email in participant_emails(schedule.rule.session)}
    assert job.get_status(refresh=True) == "finished"
    _db.session.refresh(schedule)
    assert schedule.state == ScheduleState.SENT


# --- A sender killed in the middle of a batch --------------------------------------------------------


def _environment(app, smtp_port: int, redis_url: str = "") -> dict:
    return {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SECRET_KEY": "kill-test",
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "TRAINADMIN_STORAGE": app.config["TRAINADMIN_STORAGE"],
    }


def children(pid: int) -> list[int]:
    """Processes started by `pid`, at any depth (an RQ work horse runs in a session of its own)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append(child)
                todo.append(child)
    return found


def kill_with_children(pid: int) -> None:
    """SIGKILL, as the OOM killer or a power cut would: no handler runs, nothing is cleaned up."""
    for victim in [*children(pid), pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


@pytest.mark.parametrize("sender", ["dispatch command", "rq worker", "preloading rq worker"])
def test_a_sender_killed_in_the_middle_of_a_batch_leaves_each_message_to_be_sent_once(
    app, committed_db, sender, request, monkeypatch
):
    session = published_session(participants=8)
    schedule_id = due_schedule(session).id
    emails = participant_emails(session)
    committed_db.session.commit()

    with running_smtp_server() as server:
        server.hold_after(3)  # three accepted, the fourth kept waiting for its answer
        if sender.endswith("rq worker"):
            request.getfixturevalue("redis_queue")
            assert delivery.dispatch_tick(commit)["jobs"] == 1
            command = [str(BIN / "rq"), "worker", "--burst", "-u", app.config["REDIS_URL"], QUEUE_NAME]
            if sender.startswith("preloading"):
                command[2:2] = ["-w", "trainadmin.jobs.worker.Worker"]
            environment = _environment(app, server.port, app.config["REDIS_URL"])
        else:
            command = [str(BIN / "flask"), "--app", "app", "dispatch"]
            environment = _environment(app, server.port)
        committed_db.session.remove()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            held = server.holding.wait(90)
        finally:
            kill_with_children(process.pid)
            stderr = process.communicate(timeout=30)[1].decode(errors="replace")
        assert held, stderr
        server.release()

        assert len(server.received) == 3
        states = committed_db.session.execute(
            sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
        ).all()
        assert dict(states) == {OutboxState.SENT: 3, OutboxState.PENDING: 5}
        assert delivery.dispatch_tick(commit, inline=True) == {}  # the dead sender's claim still holds them

        # Once the claim has expired (the job timeout: RQ has killed any job still running by then):
        use_smtp_server(app, monkeypatch, server.port)
        later = utcnow() + delivery.stale_after() + timedelta(seconds=1)
        assert delivery.dispatch_tick(commit, later, inline=True) == {"leased": 5, "sent": 5}

        assert server.per_recipient() == dict.fromkeys(emails, 1)
    committed_db.session.expire_all()
    schedule_state = committed_db.session.execute(
        sa.text("SELECT state FROM email_schedule WHERE id = :id"), {"id": schedule_id}
    ).scalar()
    assert schedule_state == ScheduleState.SENT.value


# --- Two dispatchers at once ---------------------------------------------------------------------------


def test_two_dispatchers_at_once_send_each_message_once(app, committed_db, smtp):
    """Two ticks in threads share the work through row locks (SKIP LOCKED) and claims."""
    if _db.engine.dialect.name != "postgresql":
        need("PostgreSQL", "concurrent dispatchers share rows through SKIP LOCKED")
    sessions = [published_session(participants=4) for _ in range(10)]
    for session in sessions:
        due_schedule(session)
    for n in range(20):
        outbox.queue_message(
            dedup_key=f"direct:{n}",
            kind="reminder",
            recipient=f"direct{n}@example.com",
            subject="Rappel",
            body="Bonjour",
            session_id=sessions[0].id,
        )
    expected = [email for session in sessions for email in participant_emails(session)]
    expected += [f"direct{n}@example.com" for n in range(20)]
    committed_db.session.commit()
    committed_db.session.remove()

    start = threading.Barrier(2)
    results: list[dict] = []

    def dispatcher():
        with app.app_context():
            start.wait()
            results.append(delivery.dispatch_tick(commit, inline=True))
            _db.session.remove()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(results) == 2
    assert smtp.per_recipient() == dict.fromkeys(expected, 1)
    assert sum(result.get("sent", 0) for result in results) == len(expected) == 60
    assert sum(result.get("schedules_prepared", 0) for result in results) == 10
    states = committed_db.session.execute(
        sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
    ).all()
    assert dict(states) == {OutboxState.SENT: 60}


# --- The documented production commands ------------------------------------------------------------


def test_the_documented_rq_cron_command_enqueues_the_tick(app, redis_queue):
    process = subprocess.Popen(
        [str(BIN / "rq"), "cron", "-u", app.config["REDIS_URL"], "trainadmin.jobs.cron"],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": app.config["REDIS_URL"]},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not redis_queue.count and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
    finally:
        process.terminate()
        stderr = process.communicate(timeout=30)[1].decode(errors="replace")
    [job] = redis_queue.get_jobs()
    assert job.func_name == "trainadmin.jobs.notifications.dispatch", stderr
