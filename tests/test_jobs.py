"""The queue path end to end: enqueue from the admin, a real Redis, a real RQ worker."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

from rq import SimpleWorker

from trainadmin.extensions import db as _db
from trainadmin.jobs.sessions import recompute_session_dates
from trainadmin.models import Role, TrainingSession
from trainadmin.queue import QUEUE_NAME, enqueue

from . import factories


def _session_with_stale_dates():
    slot = factories.make_slot(days=[date(2027, 5, 10), date(2027, 5, 11)])
    session = slot.sequence.session
    session.start_date = session.end_date = None
    _db.session.flush()
    return session


def test_without_redis_jobs_run_inline(app, db):
    session = _session_with_stale_dates()
    result = enqueue(recompute_session_dates, session.id)
    assert result["start_date"] == "2027-05-10"
    assert session.end_date == date(2027, 5, 11)


def test_job_is_idempotent(app, db):
    session = _session_with_stale_dates()
    first = recompute_session_dates(session.id)
    version = session.version
    assert recompute_session_dates(session.id) == first
    assert session.version == version
    assert recompute_session_dates(999_999) is None


def test_admin_action_enqueues_and_a_burst_worker_runs_it(app, redis_queue, login_as):
    client = login_as(Role.MANAGER)
    session = _session_with_stale_dates()
    response = client.post(
        "/admin/sessions/action/",
        data={
            "action": "recompute_dates",
            "rowid": [str(session.id), "not-an-id"],
            "csrf_token": client.csrf,
        },
        follow_redirects=True,
    )
    assert "1 session" in response.get_data(as_text=True)
    assert redis_queue.count == 1
    [job] = redis_queue.get_jobs()
    assert session.start_date is None  # not run yet: it waits in Redis

    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

    _db.session.expire_all()
    assert session.start_date == date(2027, 5, 10)
    assert job.get_status(refresh=True) == "finished"


def test_documented_rq_worker_command_runs_jobs(app, redis_queue, committed_db):
    """`rq worker --burst -u $REDIS_URL trainadmin` in its own process, with its own app."""
    session_id = _session_with_stale_dates().id
    committed_db.session.commit()
    committed_db.session.remove()  # hold no lock while the worker writes (SQLite)
    job = redis_queue.enqueue(recompute_session_dates, session_id)

    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "worker-test",
    }
    rq = os.path.join(os.path.dirname(sys.executable), "rq")
    completed = subprocess.run(
        [rq, "worker", "--burst", "-u", app.config["REDIS_URL"], QUEUE_NAME],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    job.refresh()
    assert job.get_status() == "finished", completed.stderr
    assert committed_db.session.get(TrainingSession, session_id).start_date == date(2027, 5, 10)
