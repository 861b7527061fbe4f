"""The dispatcher tick and the SMTP sending of outbox rows.

The database decides what is due and what was sent; Redis only carries work.
- A tick writes the drafts of every due schedule to the outbox, one transaction per schedule (its
  row locked with SKIP LOCKED, so concurrent ticks share the work), then hands the pending outbox
  rows out in batches, each under a lease: `claimed_at` set to the lease time given to the job.
- A send job claims its rows with one conditional UPDATE (a second job with the same rows gets
  none), opens one SMTP connection and commits each row as SENT right after its own send: a crash
  leaves at most the message in flight unknown, and its stable Message-ID lets mail systems drop
  a copy. A claim older than the job timeout belongs to a dead worker and is taken over.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from flask_mail import BadHeaderError, Message
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError

from ...extensions import db, mail
from ...models import (
    Document,
    EmailKind,
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
from .. import documents
from . import compose, outbox

log = logging.getLogger(__name__)

SEND_BATCH = 100  # messages per send job (and per SMTP connection)
LEASE_LIMIT = 5_000  # pending messages handed out by one tick
PREPARE_LIMIT = 5_000  # due schedules prepared by one tick
FOLLOW_UP_ROUNDS = 3  # inline: messages queued by what was just sent (calendar updates) go too
RETRY_DELAYS = (60, 300, 900, 3600)  # seconds before a refused message is tried again
SMTP_TIMEOUT = 60  # seconds without an answer from the SMTP server
SEND_JOB = "trainadmin.jobs.notifications.send_batch"
TICK_JOB = "trainadmin.jobs.notifications.dispatch"
METHOD_RE = re.compile(r"^METHOD:([A-Za-z-]+)\s*$", re.M)
ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")


#: Database failures that say nothing about the message (locked, connection lost): the tick stops
#: and the next one tries again, instead of marking anything FAILED.
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, InternalError)

#: On SQLite (the demo), ticks of one process take turns: its writers are serialised anyway, and a
#: tick in a request would otherwise meet the periodic one.
_sqlite_ticks = threading.Lock()


class SmtpUnavailable(RuntimeError):
    """The SMTP server could not be reached: the job fails so that RQ tries it again later."""


class MessageError(ValueError):
    """This message cannot be built (a missing attachment, a header with a line break)."""


# --- The tick --------------------------------------------------------------------------------------


def dispatch_tick(now: datetime | None = None, *, inline: bool | None = None) -> dict[str, int]:
    """Prepare the due schedules, then send the pending outbox rows: through RQ jobs when Redis is
    configured (unless `inline`), else right here. `now` is when the tick considers itself to run
    (due times, expired claims). Returns what it did, by name; a tick with nothing to do runs three
    indexed queries."""
    if db.session.get_bind().dialect.name == "sqlite":
        with _sqlite_ticks:
            return _tick(now or utcnow(), inline)
    return _tick(now or utcnow(), inline)


def _tick(now: datetime, inline: bool | None) -> dict[str, int]:
    counts: Counter[str] = Counter()
    queue = None
    if not inline:
        from ...jobs import get_queue

        queue = get_queue()
    # With workers, each full batch goes to them as soon as it is written: they send while this
    # tick composes the next schedules.
    _prepare_due(now, counts, hand_out=(lambda: _hand_out(queue, now, counts)) if queue is not None else None)
    _settle_forgotten(now, counts)
    _process_slot_changes(counts)
    for _round in range(1 if queue is not None else FOLLOW_UP_ROUNDS):
        leased = _lease_pending(now)
        if leased is None:
            break
        ids, lease = leased
        counts["leased"] += len(ids)
        if queue is not None:
            _enqueue_sends(queue, ids, lease, counts)
            break
        follow_ups = 0
        for chunk in chunks(ids, SEND_BATCH):
            result = send_messages(chunk, lease)
            follow_ups += result.pop("follow_ups", 0)
            counts.update(result)
        if not follow_ups:
            break
    return {name: value for name, value in counts.items() if value}


def kick() -> None:
    """After a commit that may have queued messages: have the dispatcher look now. Best effort: the
    save already succeeded, and the periodic tick sends whatever this misses."""
    from ...jobs import get_queue

    try:
        queue = get_queue()
        if queue is None:
            dispatch_tick()
            return
        queue.enqueue(
            TICK_JOB,
            job_timeout=current_app.config["JOB_TIMEOUT"],
            result_ttl=300,
            description="notifications: dispatcher tick",
        )
    except RedisError as exc:
        log.warning("notifications: Redis unreachable (%s); the next periodic tick sends the messages", exc)
    except Exception:
        log.exception("notifications: the dispatcher tick failed; the next tick tries again")
        db.session.rollback()


def stale_after() -> timedelta:
    """A claim older than this belongs to a worker that died: RQ has killed any job by then."""
    return timedelta(seconds=current_app.config["JOB_TIMEOUT"] + 60)


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


def _prepare_due(now: datetime, counts: Counter, hand_out=None) -> None:
    seen: set[int] = set()
    handed = 0
    for _ in range(PREPARE_LIMIT):
        schedule_id = db.session.scalar(_due_schedule(now))
        if schedule_id is None or schedule_id in seen:
            break
        seen.add(schedule_id)
        _prepare(db.session.get(EmailSchedule, schedule_id), counts)
        if hand_out is not None and counts["queued"] - handed >= SEND_BATCH:
            handed = counts["queued"]
            hand_out()


def _hand_out(queue, now: datetime, counts: Counter) -> None:
    leased = _lease_pending(now)
    if leased is not None:
        counts["leased"] += len(leased[0])
        _enqueue_sends(queue, *leased, counts)


def _prepare(schedule: EmailSchedule, counts: Counter) -> None:
    """Write one schedule's messages to the outbox and commit. A template that fails marks this
    schedule FAILED with the error; the tick goes on with the others."""
    rule = schedule.rule
    try:
        with db.session.begin_nested():
            drafts = compose.messages_for_schedule(schedule)
            written = outbox.queue_messages(
                [
                    {
                        "dedup_key": outbox.scheduled_key(
                            rule.id, schedule.sequence_id, schedule.due_at, draft.recipient
                        ),
                        "kind": rule.kind.value,
                        "recipient": draft.recipient,
                        "subject": draft.subject,
                        "body": draft.body,
                        "bcc": draft.bcc,
                        "session_id": rule.session_id,
                        "schedule_id": schedule.id,
                        "rule_id": rule.id,
                        "sequence_id": schedule.sequence_id,
                        "request_id": draft.request_id,
                        "attachment_ids": draft.attachment_ids,
                    }
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
        db.session.commit()
        return
    schedule.prepared_at = utcnow()
    schedule.recipient_count = len(drafts)
    schedule.last_error = None
    counts["schedules_prepared"] += 1
    counts["queued"] += written
    if not written:  # nobody to write to, or every message written before: nothing will settle it
        counts["follow_ups"] += settle_schedules([schedule.id])
    db.session.commit()


def _settle_forgotten(now: datetime, counts: Counter) -> None:
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
        db.session.commit()


def describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000]


def _process_slot_changes(counts: Counter) -> None:
    """Calendar updates for changed slots; a failure there never holds the e-mails back."""
    from . import calendar

    try:
        counts["calendar_updates"] += calendar.process_slot_changes()
        db.session.commit()
    except Exception:
        log.exception("notifications: calendar updates of changed slots failed")
        db.session.rollback()


def _lease_pending(now: datetime) -> tuple[list[int], datetime] | None:
    """Pending messages nobody holds (or held by a worker that died), leased to one round of sends."""
    stale_before = now - stale_after()
    ids = list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(
                OutboxMessage.state == OutboxState.PENDING,
                sa.or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < stale_before),
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(LEASE_LIMIT)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        db.session.commit()
        return None
    lease = utcnow()
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(claimed_at=lease),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return ids, lease


def _enqueue_sends(queue, ids: list[int], lease: datetime, counts: Counter) -> None:
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
            _release(rest, lease)
            db.session.commit()
            counts["deferred"] += len(rest)
            return
        counts["jobs"] += 1


def _release(ids: list[int], claim: datetime, **values) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.claimed_at == claim,
            OutboxMessage.state == OutboxState.PENDING,
        )
        .values(claimed_at=None, **values),
        execution_options={"synchronize_session": False},
    )


# --- Sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    id: int
    dedup_key: str
    recipient: str
    bcc: str | None
    subject: str
    body: str
    calendar: str | None
    attachment_ids: list | None
    attempts: int
    schedule_id: int | None


def send_messages(ids: Iterable[int], lease: datetime | None = None) -> dict[str, int]:
    """Send these outbox rows, those still pending that nobody else holds, over one SMTP connection;
    without MAIL_SERVER they are kept in the outbox instead. Returns what happened, by name."""
    counts: Counter[str] = Counter()
    claim, claimed = _claim(list(ids), lease)
    if not claimed:
        return {name: value for name, value in counts.items() if value}
    rows = [
        _Row(*values)
        for values in db.session.execute(
            sa.select(
                OutboxMessage.id,
                OutboxMessage.dedup_key,
                OutboxMessage.recipient,
                OutboxMessage.bcc,
                OutboxMessage.subject,
                OutboxMessage.body,
                OutboxMessage.calendar,
                OutboxMessage.attachment_ids,
                OutboxMessage.attempts,
                OutboxMessage.schedule_id,
            )
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.id)
        )
    ]
    if not current_app.config.get("MAIL_SERVER"):
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed), OutboxMessage.claimed_at == claim)
            .values(state=OutboxState.KEPT),
            execution_options={"synchronize_session": False},
        )
        counts["kept"] += len(rows)
    else:
        _send_rows(rows, claim, counts)
    counts["follow_ups"] += settle_schedules({row.schedule_id for row in rows if row.schedule_id})
    db.session.commit()
    return {name: value for name, value in counts.items() if value}


def _claim(ids: list[int], lease: datetime | None) -> tuple[datetime, list[int]]:
    """Take the rows still pending that are free, leased to us, or held by a dead worker."""
    claim = utcnow()
    if lease is not None and claim <= lease:
        claim = lease + timedelta(microseconds=1)
    free = sa.or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < claim - stale_after())
    if lease is not None:
        free = sa.or_(free, OutboxMessage.claimed_at == lease)
    claimed = list(
        db.session.scalars(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.PENDING, free)
            .values(claimed_at=claim)
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False},
        )
    )
    db.session.commit()
    return claim, sorted(claimed)


def _send_rows(rows: list[_Row], claim: datetime, counts: Counter) -> None:
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    max_attempts = config["TRAINADMIN_MAIL_MAX_ATTEMPTS"]
    attached = _documents(rows)
    done = 0
    try:
        with _outcomes() as outcomes, mail.connect() as connection:
            if connection.host is not None and connection.host.sock is not None:
                connection.host.sock.settimeout(SMTP_TIMEOUT)
            for row in rows:
                try:
                    message = build_message(row, sender, attached)
                    connection.send(message)
                except (MessageError, BadHeaderError) as exc:
                    outcomes.record(
                        row, claim, state=OutboxState.FAILED, error=_text(exc) or type(exc).__name__
                    )
                    counts["failed"] += 1
                except smtplib.SMTPServerDisconnected:
                    raise
                except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
                    _refused(outcomes, row, claim, exc, max_attempts, counts)
                else:
                    outcomes.record(
                        row,
                        claim,
                        state=OutboxState.SENT,
                        sent_at=utcnow(),
                        error=None,
                        attempts=OutboxMessage.attempts + 1,
                    )
                    counts["sent"] += 1
                done += 1
    except (OSError, smtplib.SMTPException) as exc:  # refused, dropped, timed out: try the rest later
        if done >= len(rows):  # only the goodbye failed
            return
        with force_locale(config["BABEL_DEFAULT_LOCALE"]):
            error = gettext("SMTP server unreachable: %(error)s", error=describe(exc))
        log.warning("notifications: SMTP server unreachable: %s", exc)
        _release([row.id for row in rows[done:]], claim, error=error)
        db.session.commit()
        counts["unreachable"] += len(rows) - done


def _refused(
    outcomes: _Outcomes,
    row: _Row,
    claim: datetime,
    exc: smtplib.SMTPException,
    max_attempts: int,
    counts: Counter,
):
    """The server refused this message: 5xx is final; 4xx is tried again later, up to max_attempts."""
    code, reply = _smtp_reply(exc)
    error = f"{code} {reply}".strip()
    attempts = row.attempts + 1
    if code >= 500 or attempts >= max_attempts:
        outcomes.record(row, claim, state=OutboxState.FAILED, error=error, attempts=attempts)
        counts["failed"] += 1
        return
    delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    # Held, not free: the claim expires (and a tick takes the message again) `delay` seconds from now.
    held_until = utcnow() + timedelta(seconds=delay) - stale_after()
    outcomes.record(row, claim, error=error, attempts=attempts, claimed_at=held_until)
    counts["retrying"] += 1


def _smtp_reply(exc: smtplib.SMTPException) -> tuple[int, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.items())
        code = min(code for _address, (code, _text) in replies)
        return code, "; ".join(f"{address}: {_decode(text)}" for address, (_code, text) in replies)
    return exc.smtp_code, _decode(exc.smtp_error)


def _decode(text) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _text(exc: BaseException) -> str:
    return str(exc).strip()


class _Outcomes:
    """Where what became of each message is written, durably, right after its send. On PostgreSQL
    an autocommit connection of its own: one round trip a message instead of four (checkout, BEGIN,
    UPDATE, COMMIT). Otherwise (SQLite; a session joined to an outer transaction) the session,
    committed each time."""

    def __init__(self, connection: sa.Connection | None = None):
        self.connection = connection

    def record(self, row: _Row, claim: datetime, **values) -> None:
        """Only while the claim is still ours: a worker that outlived the job timeout has lost it
        and must not overwrite what the next one did."""
        statement = (
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.claimed_at == claim)
            .values(**values)
        )
        if self.connection is not None:
            result = self.connection.execute(statement)
        else:
            result = db.session.execute(statement, execution_options={"synchronize_session": False})
            db.session.commit()
        if not result.rowcount:
            log.warning("notifications: message %s was taken over by another worker", row.id)


@contextmanager
def _outcomes() -> Iterator[_Outcomes]:
    bind = db.session.get_bind()
    if isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql":
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield _Outcomes(connection)
    else:
        yield _Outcomes()


def _documents(rows: list[_Row]) -> dict[int, Document]:
    ids = {int(i) for row in rows for i in (row.attachment_ids or [])}
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(sa.select(Document).where(Document.id.in_(ids)))}


def addresses(text: str | None) -> list[str]:
    return [address for address in ADDRESS_SEPARATORS.split(text or "") if address]


def calendar_method(ics: str) -> str:
    match = METHOD_RE.search(ics)
    return match.group(1).upper() if match else "REQUEST"


def message_id(row: _Row, sender: str) -> str:
    """The same for every try of one outbox row: a copy sent again after a crash can be recognised."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "trainadmin.local"
    digest = hashlib.sha256(row.dedup_key.encode()).hexdigest()[:16]
    return f"<trainadmin.{row.id}.{digest}@{domain}>"


def build_message(row: _Row, sender: str, attached: dict[int, Document]) -> Message:
    """To the recipient, BCC in the envelope only, plain text, the calendar as a
    `text/calendar; method=…` alternative (Outlook's Accept/Decline, Gmail's update in place), files."""
    message = Message(
        subject=row.subject,
        recipients=[row.recipient],
        bcc=addresses(row.bcc),
        body=row.body,
        sender=sender,
    )
    message.msgId = message_id(row, sender)
    if row.calendar:
        message.alts[f"calendar; method={calendar_method(row.calendar)}"] = row.calendar
    for document_id in row.attachment_ids or []:
        document = attached.get(int(document_id))
        try:
            data = documents.document_path(document).read_bytes() if document else None
        except (OSError, ValueError):
            data = None
        if data is None:
            name = document.original_name if document else f"#{document_id}"
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
                raise MessageError(gettext("Attachment not found: %(name)s", name=name))
        message.attach(document.original_name, document.content_type, data)
    if message.has_bad_headers():
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            raise MessageError(gettext("The subject or an address contains a line break."))
    return message


# --- Schedules -------------------------------------------------------------------------------------


def settle_schedules(schedule_ids: Iterable[int]) -> int:
    """A prepared schedule whose messages are all handled becomes SENT, or FAILED with an error of
    its failed messages. Returns the messages this queued in turn (calendar updates after a
    convocation)."""
    ids = sorted(set(schedule_ids))
    if not ids:
        return 0
    follow_ups = 0
    schedules = db.session.scalars(
        sa.select(EmailSchedule).where(
            EmailSchedule.id.in_(ids),
            EmailSchedule.state == ScheduleState.PLANNED,
            EmailSchedule.prepared_at.is_not(None),
        )
    ).all()
    for schedule in schedules:
        prefix = outbox.scheduled_prefix(schedule.rule_id, schedule.sequence_id, schedule.due_at)
        pending, failed, error = db.session.execute(
            sa.select(
                sa.func.count().filter(OutboxMessage.state == OutboxState.PENDING),
                sa.func.count().filter(OutboxMessage.state == OutboxState.FAILED),
                sa.func.min(OutboxMessage.recipient + " — " + OutboxMessage.error).filter(
                    OutboxMessage.state == OutboxState.FAILED
                ),
            ).where(
                OutboxMessage.schedule_id == schedule.id,
                OutboxMessage.dedup_key.startswith(prefix, autoescape=True),
            )
        ).one()
        if pending:
            continue
        values = (
            {"state": ScheduleState.FAILED, "last_error": error}
            if failed
            else {"state": ScheduleState.SENT, "sent_at": utcnow(), "last_error": None}
        )
        changed = db.session.execute(
            sa.update(EmailSchedule)
            .where(EmailSchedule.id == schedule.id, EmailSchedule.state == ScheduleState.PLANNED)
            .values(**values),
            execution_options={"synchronize_session": "fetch"},
        ).rowcount
        if changed and not failed and schedule.rule.kind == EmailKind.CONVOCATION:
            from . import events

            follow_ups += events.on_convocation_sent(schedule)
    return follow_ups
