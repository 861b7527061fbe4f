"""`trainadmin.jobs.worker.Worker` runs send jobs in its own process (no work horse), and keeps
their heartbeat going while they run, as it does for a work horse."""

from __future__ import annotations

import subprocess
import time

from rq.job import JobStatus

from trainadmin.queue import QUEUE_NAME
from trainadmin.services.notifications import delivery
from trainadmin.transaction import commit

from .delivery_support import due_schedule, published_session
from .smtp_support import running_smtp_server
from .test_delivery_faults import BIN, ROOT, _environment, children, kill_with_children

HEARTBEAT_INTERVAL = 10  # trainadmin.jobs.worker


def test_a_send_job_runs_in_the_worker_process_with_its_heartbeat_kept(app, committed_db, redis_queue):
    due_schedule(published_session(participants=2))
    committed_db.session.commit()

    with running_smtp_server() as server:
        server.hold_after(0)  # the first message waits for its answer
        assert delivery.dispatch_tick(commit)["jobs"] == 1
        [job] = redis_queue.get_jobs()
        command = [str(BIN / "rq"), "worker", "--burst", "-w", "trainadmin.jobs.worker.Worker"]
        command += ["-u", app.config["REDIS_URL"], QUEUE_NAME]
        committed_db.session.remove()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_environment(app, server.port, app.config["REDIS_URL"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert server.holding.wait(90), "the job did not start"
            assert children(process.pid) == []  # no work horse: the worker sends itself
            job.refresh()
            first = job.last_heartbeat
            time.sleep(HEARTBEAT_INTERVAL + 2)
            job.refresh()
            assert job.get_status() == JobStatus.STARTED
            assert job.last_heartbeat > first
            server.release()
            assert process.wait(60) == 0
        finally:
            kill_with_children(process.pid)
            stderr = process.communicate(timeout=30)[1].decode(errors="replace")
        assert job.get_status(refresh=True) == JobStatus.FINISHED, stderr
        assert len(server.received) == 1  # the held one was refused (4xx): tried again later
