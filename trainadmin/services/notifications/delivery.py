"""The dispatcher tick: due schedules written to the outbox, pending messages handed to senders.

The database decides what is due and what was sent; Redis only carries work. A tick writes the
drafts of every due schedule to the outbox, one transaction per schedule (its row locked with SKIP
LOCKED, so concurrent ticks share the work), then hands the pending outbox rows out in batches, each
under a lease (`claimed_at` set to the lease time given to its job), to `sending.py`. A schedule
whose messages are all handled becomes SENT, or FAILED with an error of its failed messages.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from ...extensions import db
from ...models import (
    EmailRule,
    EmailSchedule,
    OutboxMessage,
    OutboxState,
    Publication,
    ScheduleState,
    TrainingSession,
    WorkflowStatus,
    utcnow,
)
from ...queue import get_queue
from . import calendar, claims, compose, outbox, sending
from .outcomes import INFRASTRUCTURE_ERRORS
from .sending import describe, stale_after
from .settling import settle_schedules
from .wake import Checkpoint, dispatching

log = logging.getLogger(__name__)

SEND_BATCH = 250  # messages per send job (and per SMTP connection): docs/benchmarks.md « Jobs of 250 »
LEASE_LIMIT = 5_000  # pending messages handed out by one tick
PREPARE_LIMIT = 5_000  # due schedules prepared by one tick
FOLLOW_UP_ROUNDS = 3  # inline: messages queued by what was just sent (calendar updates) go too
SEND_JOB = "trainadmin.jobs.notifications.send_batch"
TICK_JOB = "trainadmin.jobs.notifications.dispatch"


#: On SQLite (the demo), ticks of one process take turns: its writers are serialised anyway, and a
#: tick in a request would otherwise meet the periodic one.
_sqlite_ticks = threading.Lock()


# --- The tick --------------------------------------------------------------------------------------


def dispatch_tick(
    checkpoint: Checkpoint, now: datetime | None = None, *, inline: bool | None = None
) -> dict[str, int]:
    """Prepare the due schedules, then send the pending outbox rows: through RQ jobs when Redis is
    configured (unless `inline`), else right here. `now` is when the tick considers itself to run
    (due times, expired claims). Returns what it did, by name; a tick with nothing to do runs three
    indexed queries."""
    if db.session.get_bind().dialect.name == "sqlite":
        with _sqlite_ticks:
            return _tick(now or utcnow(), inline, checkpoint)
    return _tick(now or utcnow(), inline, checkpoint)


def _tick(now: datetime, inline: bool | None, checkpoint: Checkpoint) -> dict[str, int]:
    counts: Counter[str] = Counter()
    queue = None
    if not inline:
        queue = get_queue()
    # With workers, each full batch goes to them as soon as it is written: they send while this
    # tick composes the next schedules.
    hand_out = (lambda: _hand_out(queue, now, counts, checkpoint)) if queue is not None else None
    with dispatching():
        _prepare_due(now, counts, checkpoint, hand_out)
        _settle_forgotten(now, counts, checkpoint)
        _process_slot_changes(counts, checkpoint)
        _send_pending(now, counts, checkpoint, queue)
    return {name: value for name, value in counts.items() if value}


def _send_pending(now: datetime, counts: Counter, checkpoint: Checkpoint, queue) -> None:
    for _round in range(1 if queue is not None else FOLLOW_UP_ROUNDS):
        leased = _lease_pending(now, checkpoint)
        if leased is None:
            break
        ids, lease = leased
        counts["leased"] += len(ids)
        if queue is not None:
            _enqueue_sends(queue, ids, lease, counts, checkpoint)
            break
        follow_ups = 0
        for chunk in chunks(ids, SEND_BATCH):
            result = send_messages(chunk, checkpoint, lease)
            follow_ups += result.pop("follow_ups", 0)
            counts.update(result)
        if not follow_ups:
            break


def chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _due_schedule(now: datetime):
    """The next due schedule, through the (state, due_at) index; locked, skipping those another
    tick holds (PostgreSQL; SQLite has one writer at a time)."""
    return (
        sa.select(EmailSchedule.id)
        .join(EmailRule, EmailRule.id == EmailSchedule.rule_id)
        .join(TrainingSession, TrainingSession.id == EmailRule.session_id)
        .where(
            EmailSchedule.state == ScheduleState.PLANNED,
            EmailSchedule.due_at <= now,
            EmailSchedule.skipped.is_(False),
            EmailSchedule.prepared_at.is_(None),
            EmailRule.enabled.is_(True),
            TrainingSession.publication == Publication.PUBLISHED,
            TrainingSession.status != WorkflowStatus.CANCELLED,
        )
        .order_by(EmailSchedule.due_at, EmailSchedule.id)
        .limit(1)
        .with_for_update(of=EmailSchedule, skip_locked=True)
    )


def _prepare_due(now: datetime, counts: Counter, checkpoint: Checkpoint, hand_out=None) -> None:
    seen: set[int] = set()
    handed = 0
    for _ in range(PREPARE_LIMIT):
        schedule_id = db.session.scalar(_due_schedule(now))
        if schedule_id is None or schedule_id in seen:
            break
        seen.add(schedule_id)
        _prepare(db.session.get(EmailSchedule, schedule_id), counts, checkpoint)
        if hand_out is not None and counts["queued"] - handed >= SEND_BATCH:
            handed = counts["queued"]
            hand_out()


def _hand_out(queue, now: datetime, counts: Counter, checkpoint: Checkpoint) -> None:
    leased = _lease_pending(now, checkpoint)
    if leased is not None:
        counts["leased"] += len(leased[0])
        _enqueue_sends(queue, *leased, counts, checkpoint)


def _prepare(schedule: EmailSchedule, counts: Counter, checkpoint: Checkpoint) -> None:
    """Write one schedule's messages to the outbox, then a checkpoint. A template that fails marks
    this schedule FAILED with the error; the tick goes on with the others."""
    rule = schedule.rule
    try:
        with db.session.begin_nested():
            drafts = compose.messages_for_schedule(schedule)
            written = outbox.queue_messages(
                [
                    draft.message(
                        rule,
                        outbox.scheduled_key(rule.id, schedule.sequence_id, schedule.due_at, draft.recipient),
                        schedule_id=schedule.id,
                        sequence_id=schedule.sequence_id,
                        request_id=draft.request_id,
                    )
                    for draft in drafts
                ]
            )
    except INFRASTRUCTURE_ERRORS:
        raise
    except Exception as exc:  # a template, a variable, a recipient: shown on the schedule's row
        log.warning("notifications: schedule %s cannot be prepared: %s", schedule.id, exc)
        schedule.state = ScheduleState.FAILED
        schedule.last_error = describe(exc)
        counts["schedules_failed"] += 1
        checkpoint()
        return
    schedule.prepared_at = utcnow()
    schedule.recipient_count = len(drafts)
    schedule.last_error = None
    counts["schedules_prepared"] += 1
    failed = sum(1 for draft in drafts if draft.error)
    if failed:
        log.warning(
            "notifications: schedule %s has %s message(s) that cannot be rendered", schedule.id, failed
        )
        counts["messages_failed"] += failed
    counts["queued"] += written
    if not written or failed == len(drafts):  # nothing pending: no send will settle it
        counts["follow_ups"] += settle_schedules([schedule.id])
    checkpoint()


def _settle_forgotten(now: datetime, counts: Counter, checkpoint: Checkpoint) -> None:
    """Schedules prepared a while ago and still planned: waiting for a refused message to be tried
    again, or left behind by a worker that died between its last send and settling the schedule."""
    waiting = db.session.scalars(
        sa.select(EmailSchedule.id)
        .where(
            EmailSchedule.state == ScheduleState.PLANNED,
            EmailSchedule.due_at <= now,
            EmailSchedule.prepared_at <= now - stale_after(),
        )
        # The order keeps PostgreSQL on the (state, due_at) index once the statement is prepared:
        # without it, the generic plan of a prepared statement scans the whole table.
        .order_by(EmailSchedule.due_at)
        .limit(PREPARE_LIMIT)
    ).all()
    if waiting:
        counts["follow_ups"] += settle_schedules(waiting)
        checkpoint()


def _process_slot_changes(counts: Counter, checkpoint: Checkpoint) -> None:
    """Calendar updates for changed slots; a failure there never holds the e-mails back."""
    changes = calendar.pending_slot_changes()
    if not changes:
        checkpoint()
        return
    try:
        with db.session.begin_nested():
            counts["calendar_updates"] += calendar.process_slot_changes(changes=changes)
    except INFRASTRUCTURE_ERRORS:
        raise
    except Exception:
        log.exception("notifications: calendar updates of changed slots failed")
    checkpoint()


def _lease_pending(now: datetime, checkpoint: Checkpoint) -> tuple[list[int], datetime] | None:
    """Pending messages nobody holds (or held by a worker that died, or by a job RQ knows as ended
    or lost), leased to one round of sends."""
    stale_before = now - stale_after()
    free = [OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < stale_before]
    dead = claims.dead_senders(now)
    if dead:
        free.append(OutboxMessage.claimed_by.in_(dead))
    ids = list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.state == OutboxState.PENDING, sa.or_(*free))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(LEASE_LIMIT)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        checkpoint()
        return None
    lease = utcnow()
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(claimed_at=lease),
        execution_options={"synchronize_session": False},
    )
    checkpoint()
    return ids, lease


def _enqueue_sends(queue, ids: list[int], lease: datetime, counts: Counter, checkpoint: Checkpoint) -> None:
    from rq import Retry

    batches = list(chunks(ids, SEND_BATCH))
    for index, batch in enumerate(batches):
        try:
            queue.enqueue(
                SEND_JOB,
                batch,
                lease.isoformat(),
                job_timeout=current_app.config["JOB_TIMEOUT"],
                retry=Retry(max=3, interval=[10, 60, 300]),
                description=f"notifications: send {len(batch)} message(s) from #{batch[0]}",
            )
        except RedisError as exc:
            rest = [message_id for later in batches[index:] for message_id in later]
            log.warning(
                "notifications: Redis unreachable (%s); %s message(s) wait for the next tick", exc, len(rest)
            )
            sending.release(rest, lease)
            checkpoint()
            counts["deferred"] += len(rest)
            return
        counts["jobs"] += 1


# --- Sending ---------------------------------------------------------------------------------------


def send_messages(
    ids: Iterable[int], checkpoint: Checkpoint, lease: datetime | None = None, sender_id: str | None = None
) -> dict[str, int]:
    """Send these outbox rows (those still pending that nobody else holds, or that this sender —
    an RQ job's id — held before it was cut off) over one SMTP connection, or keep them in the
    outbox without MAIL_SERVER; then settle their schedules. Returns what happened, by name."""
    counts: Counter[str] = Counter()
    schedule_ids = sending.send(list(ids), lease, counts, checkpoint, sender_id)
    counts["follow_ups"] += settle_schedules(schedule_ids)
    checkpoint()
    return {name: value for name, value in counts.items() if value}
