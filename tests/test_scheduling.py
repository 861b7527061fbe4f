"""The scheduling process (`flask cron`: the periodic ticks and the RQ retries) against a Redis of
its own that is stopped and started again: scheduled work goes on without anyone's help."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.cron_scheduler_registry import get_registry_key

from trainadmin.queue import QUEUE_NAME

from .redis_support import own_redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COMMAND = [str(BIN / "flask"), "--app", "app", "cron"]


def wait_until(condition, timeout: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the scheduling process ended ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.2)


def cron_heartbeat(connection: Redis) -> float:
    return max(
        (score for _name, score in connection.zrange(get_registry_key(), 0, -1, withscores=True)), default=0
    )


def test_scheduled_work_goes_on_after_redis_restarts(app, tmp_path):
    with own_redis(tmp_path) as redis_server:
        connection = Redis.from_url(redis_server.url)
        queue = Queue(QUEUE_NAME, connection=connection)
        process = subprocess.Popen(
            COMMAND,
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": app.config["DATABASE_URL"],
                "SECRET_KEY": "scheduling-test",
                "REDIS_URL": redis_server.url,
                "TRAINADMIN_STORAGE": str(tmp_path / "files"),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            ticks = lambda: [j for j in queue.get_jobs() if j.func_name.endswith(".dispatch")]  # noqa: E731
            wait_until(lambda: ticks(), 60, "the first dispatcher tick", process)
            # A retry due a few seconds after Redis is back (as RQ schedules a failed job's retry).
            retry = queue.enqueue_in(
                timedelta(seconds=12), "trainadmin.jobs.sessions.recompute_session_dates", 0, job_id="a-retry"
            )
            assert retry.id in queue.scheduled_job_registry.get_job_ids()

            redis_server.stop()
            time.sleep(4)  # the scheduling process meets a Redis that is away, several times
            assert process.poll() is None, process.stderr.read().decode(errors="replace")
            redis_server.start()
            back = datetime.now(UTC).timestamp()
            connection = Redis.from_url(redis_server.url)
            queue = Queue(QUEUE_NAME, connection=connection)

            wait_until(
                lambda: "a-retry" in queue.job_ids, 45, "the retry queued after Redis came back", process
            )
            wait_until(
                lambda: cron_heartbeat(connection) > back, 45, "the cron heartbeat after the restart", process
            )
            assert process.poll() is None
        finally:
            process.terminate()
            try:
                stderr = process.communicate(timeout=30)[1].decode(errors="replace")
            except subprocess.TimeoutExpired:
                process.kill()
                stderr = process.communicate(timeout=10)[1].decode(errors="replace")
        assert process.returncode == 0, stderr
        assert "Redis unreachable" in stderr
