"""Whose claim is dead: outbox rows are claimed in the name of the RQ job that sends them, so the
dispatcher tick need not wait for a claim to expire (the job timeout) when RQ already knows that
job is over — failed for good, finished, stopped, or gone with a Redis that lost its data. A job
whose worker was killed is « abandoned » by RQ once its heartbeat lapses; the tick asks RQ to look
(`StartedJobRegistry.cleanup`, which RQ's own workers do only every ten minutes), so the job is
retried — and takes its rows back — or marked failed, and its rows are handed out again."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from redis.exceptions import RedisError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from ...extensions import db
from ...models import OutboxMessage, OutboxState
from ...queue import get_queue
from .sending import stale_after

OVER = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
SENDERS_LIMIT = 200


def dead_senders(now: datetime) -> list[str]:
    """The RQ jobs holding live claims on pending rows that RQ knows are over or has lost."""
    queue = get_queue()
    if queue is None:
        return []
    senders = list(
        db.session.scalars(
            sa.select(OutboxMessage.claimed_by)
            .where(
                OutboxMessage.state == OutboxState.PENDING,
                OutboxMessage.claimed_at >= now - stale_after(),
                OutboxMessage.claimed_by.is_not(None),
                OutboxMessage.claimed_by.not_like("inline:%"),
            )
            .distinct()
            .limit(SENDERS_LIMIT)
        )
    )
    if not senders:
        return []
    try:
        statuses = _statuses(queue, senders)
        if JobStatus.STARTED in statuses.values():  # perhaps abandoned: RQ retries or fails it now
            StartedJobRegistry(queue=queue).cleanup()
            statuses = _statuses(queue, senders)
    except RedisError as exc:
        logging.getLogger(__name__).warning("notifications: Redis unreachable (%s): claims kept", exc)
        return []
    return [sender for sender, status in statuses.items() if status is None or status in OVER]


def _statuses(queue, job_ids: list[str]) -> dict[str, JobStatus | None]:
    jobs = Job.fetch_many(job_ids, connection=queue.connection, serializer=queue.serializer)
    return {
        job_id: job.get_status(refresh=False) if job is not None else None
        for job_id, job in zip(job_ids, jobs, strict=True)
    }
