"""A send batch cut in the middle — its worker killed, or its SMTP connection dropped — goes on at once
with its retry, and the message that was in flight when it was cut (accepted by the server, its
outcome never written) is found in the server's log by its Message-ID instead of being sent twice."""

from __future__ import annotations

import subprocess
import time

import pytest
import sqlalchemy as sa
from rq.registry import StartedJobRegistry

from trainadmin.models import OutboxMessage, OutboxState, ScheduleState
from trainadmin.queue import QUEUE_NAME
from trainadmin.services.notifications import delivery
from trainadmin.transaction import commit

from .delivery_support import due_schedule, published_session
from .smtp_support import running_smtp_server, use_smtp_server
from .test_delivery_faults import BIN, ROOT, _environment, burst, kill_with_children, participant_emails


def states(db) -> dict:
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
        ).all()
    )


def schedule_state(db, schedule_id: int) -> str:
    return db.session.execute(
        sa.text("SELECT state FROM email_schedule WHERE id = :id"), {"id": schedule_id}
    ).scalar()


def retry_now(queue) -> None:
    """What RQ does with a job whose worker died, once its heartbeat has lapsed: retried, under the
    same id (its 10 s backoff skipped here)."""
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 3600)
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        job = queue.fetch_job(job_id)
        registry.remove(job)
        queue.enqueue_job(job)


@pytest.mark.parametrize("afterwards", ["RQ retries the job", "Redis lost the job"])
def test_a_worker_killed_mid_batch_resumes_at_once_and_sends_each_message_once(
    app, committed_db, redis_queue, tmp_path, monkeypatch, afterwards
):
    session = published_session(participants=8)
    schedule_id = due_schedule(session).id
    emails = participant_emails(session)
    committed_db.session.commit()
    mail_log = tmp_path / "mail.log"

    with running_smtp_server() as server:
        server.log_path = mail_log
        server.hold_after(3, accepted=True)  # the 4th is received and logged, its « 250 » held back
        assert delivery.dispatch_tick(commit)["jobs"] == 1
        [job] = redis_queue.get_jobs()
        command = [str(BIN / "rq"), "worker", "--burst", "-w", "trainadmin.jobs.worker.Worker"]
        command += ["-u", app.config["REDIS_URL"], QUEUE_NAME]
        environment = {
            **_environment(app, server.port, app.config["REDIS_URL"]),
            "TRAINADMIN_MAIL_LOG": str(mail_log),
        }
        committed_db.session.remove()
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            held = server.holding.wait(90)
        finally:
            kill_with_children(process.pid)
            stderr = process.communicate(timeout=30)[1].decode(errors="replace")
        assert held, stderr
        server.release()
        assert len(server.received) == 4
        assert states(committed_db) == {OutboxState.SENT: 3, OutboxState.PENDING: 5}

        use_smtp_server(app, monkeypatch, server.port)
        monkeypatch.setitem(app.config, "TRAINADMIN_MAIL_LOG", str(mail_log))
        if afterwards == "RQ retries the job":
            retry_now(redis_queue)
            assert redis_queue.job_ids == [job.id]
        else:  # a Redis restarted without its data: the next tick hands the rows out again
            redis_queue.connection.flushdb()
            assert delivery.dispatch_tick(commit) == {"leased": 5, "jobs": 1}
        burst(redis_queue)

        # No claim timeout waited for, nothing sent twice: the 4th was found in the server's log.
        assert server.per_recipient() == dict.fromkeys(emails, 1)
    assert states(committed_db) == {OutboxState.SENT: 8}
    assert schedule_state(committed_db, schedule_id) == ScheduleState.SENT.value


def test_a_connection_dropped_after_the_server_took_a_message_sends_it_once(
    app, db, smtp, tmp_path, monkeypatch
):
    schedule = due_schedule(published_session(participants=6))
    emails = participant_emails(schedule.rule.session)
    smtp.log_path = tmp_path / "mail.log"
    monkeypatch.setitem(app.config, "TRAINADMIN_MAIL_LOG", str(smtp.log_path))
    smtp.drop_after(2)  # the 3rd is received, then the connection drops before its answer

    first = delivery.dispatch_tick(commit)
    assert first == {"schedules_prepared": 1, "queued": 6, "leased": 6, "sent": 2, "unreachable": 4}
    assert len(smtp.received) == 3

    assert delivery.dispatch_tick(commit) == {"leased": 4, "reconciled": 1, "sent": 3}
    assert smtp.per_recipient() == dict.fromkeys(emails, 1)


def test_without_the_servers_log_the_message_in_doubt_goes_again_under_the_same_message_id(app, db, smtp):
    schedule = due_schedule(published_session(participants=3))
    smtp.drop_after(1)

    delivery.dispatch_tick(commit)
    assert delivery.dispatch_tick(commit) == {"leased": 2, "sent": 2}

    copies = [
        item.message["Message-ID"] for item in smtp.received if item.rcpt_tos == smtp.received[1].rcpt_tos
    ]
    assert len(copies) == 2 and copies[0] == copies[1]  # at least once; the receiving side can drop it
    assert schedule.id
