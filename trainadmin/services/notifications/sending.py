"""The SMTP sending of outbox rows: claimed, sent over one connection per batch or dealt out to a
few (`connections.py`), each outcome recorded right after its own send.

A batch's rows are claimed in one transaction, in the name of their sender (the RQ job's id): a
second job with the same rows gets none, while a retry of the same job (RQ retries a failed or
abandoned job under its id) takes its rows back at once. Each row is marked SENT, refused (tried
again later) or FAILED as soon as the server answered — a lost database connection is reopened and
the write tried again for a few seconds — so a crash leaves at most the message in flight unknown.
A row taken over from a sender that left no outcome is « in doubt »: it is looked up by Message-ID
in the SMTP server's log before being sent again (`reconcile.py`). A claim older than the job
timeout belongs to a dead worker and is taken over by anyone.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from ...extensions import db, mail
from ...models import Document, OutboxMessage, OutboxState, TrainingSession, utcnow
from . import connections, reconcile
from .mail_message import MessageError, data_after, deliver, envelope, message_bytes, message_id
from .outcomes import ClaimLost, Outcomes, log_outcome, outcomes, outcomes_engine
from .wake import Checkpoint

log = logging.getLogger(__name__)

RETRY_DELAYS = (60, 300, 900, 3600)  # seconds before a refused message is tried again
SMTP_TIMEOUT = 60  # seconds without an answer from the SMTP server
COMPOSE_AHEAD = 20  # messages composed before they are handed over, one after the other


class SmtpUnavailable(RuntimeError):
    """The SMTP server could not be reached: the job fails so that RQ tries it again later."""


def stale_after() -> timedelta:
    """A claim older than this belongs to a worker that died: RQ has killed any job by then."""
    return timedelta(seconds=current_app.config["JOB_TIMEOUT"] + 60)


def describe(exc: BaseException) -> str:
    """An error as it is shown on a message or a schedule: its kind and its words."""
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000]


def release(ids: list[int], claim: datetime, *, in_doubt: bool = False, **values) -> None:
    """Give back the rows still pending under this claim, for the next tick to hand out; a row `in
    doubt` (its send was cut off before the server's answer) keeps its sender's name as a mark."""
    if not in_doubt:
        values["claimed_by"] = None
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


@dataclass(frozen=True)
class OutgoingMessage:
    """What the sending needs of one outbox row, read once before the SMTP connection opens."""

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
    kind: str | None = None
    session_code: str | None = None


#: The columns of `OutgoingMessage`, in its order (the session's code joined).
OUTGOING_COLUMNS = (
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
    OutboxMessage.kind,
    TrainingSession.code,
)


def send(
    ids: list[int],
    lease: datetime | None,
    counts: Counter,
    checkpoint: Checkpoint,
    sender_id: str | None = None,
) -> set[int]:
    """Send these outbox rows, those still pending that nobody else holds, over one SMTP connection;
    without MAIL_SERVER they are kept in the outbox instead. `sender_id` names the sender (the RQ
    job's id: its retries take its rows back). Counts what happened; returns the schedules of the
    rows it handled."""
    sender_id = sender_id or f"inline:{uuid.uuid4().hex}"
    claim, claimed, in_doubt = _claim(ids, lease, sender_id, checkpoint)
    if not claimed:
        return set()
    rows = [
        OutgoingMessage(*values)
        for values in db.session.execute(
            sa.select(*OUTGOING_COLUMNS)
            .outerjoin(TrainingSession, TrainingSession.id == OutboxMessage.session_id)
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
        schedule_ids = {row.schedule_id for row in rows if row.schedule_id}
        if in_doubt:
            rows = _reconcile(rows, in_doubt, claim, counts, checkpoint)
        _send_rows(rows, claim, counts, checkpoint)
        return schedule_ids
    return {row.schedule_id for row in rows if row.schedule_id}


def _claim(
    ids: list[int], lease: datetime | None, sender_id: str, checkpoint: Checkpoint
) -> tuple[datetime, list[int], set[int]]:
    """Take the rows still pending that are free, leased to us, ours already (a retry of this job),
    or held by a dead worker. Returns the claim, the rows taken, and those of them in doubt (taken
    from a sender that wrote no outcome)."""
    claim = utcnow()
    if lease is not None and claim <= lease:
        claim = lease + timedelta(microseconds=1)
    free = sa.or_(
        OutboxMessage.claimed_at.is_(None),
        OutboxMessage.claimed_at < claim - stale_after(),
        OutboxMessage.claimed_by == sender_id,
    )
    if lease is not None:
        free = sa.or_(free, OutboxMessage.claimed_at == lease)
    held = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.claimed_by)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.PENDING, free)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = sorted(row_id for row_id, _by in held)
    if claimed:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .values(claimed_at=claim, claimed_by=sender_id),
            execution_options={"synchronize_session": False},
        )
    checkpoint()
    return claim, claimed, {row_id for row_id, by in held if by is not None}


def _reconcile(
    rows: list[OutgoingMessage], in_doubt: set[int], claim: datetime, counts: Counter, checkpoint: Checkpoint
) -> list[OutgoingMessage]:
    """The rows in doubt that the SMTP server's log shows as received are marked SENT, not sent
    again; returns the rows left to send."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    doubtful = {message_id(row, sender): row for row in rows if row.id in in_doubt}
    found = reconcile.accepted_message_ids(doubtful)
    for mid, row in doubtful.items():
        if mid in found:
            log.info("notifications: message %s was received by the server before a crash", row.id)
        else:
            log.warning("notifications: message %s may have been sent before a crash; sent again", row.id)
    if not found:
        return rows
    done = {doubtful[mid].id for mid in found}
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(done), OutboxMessage.claimed_at == claim)
        .values(state=OutboxState.SENT, sent_at=utcnow(), error=None, attempts=OutboxMessage.attempts + 1),
        execution_options={"synchronize_session": False},
    )
    checkpoint()
    counts["reconciled"] += len(done)
    return [row for row in rows if row.id not in done]


@dataclass(frozen=True)
class Cut:
    """What a connection left when it was cut off: its rows not handled yet, in order — the first
    one « in doubt » when it was in flight (handed over, no answer) — and why."""

    left: list[OutgoingMessage]
    in_flight: bool
    error: str


def _send_rows(rows: list[OutgoingMessage], claim: datetime, counts: Counter, checkpoint: Checkpoint) -> None:
    """Over one SMTP connection, or dealt out to TRAINADMIN_MAIL_CONNECTIONS of them, each in a
    thread with its own outcomes' connection (`connections.py`; PostgreSQL only). What a cut
    connection left is given back here, in this job's own transaction."""
    attached = _documents(rows)
    count = current_app.config["TRAINADMIN_MAIL_CONNECTIONS"] if outcomes_engine() is not None else 1
    parts = connections.shares(rows, count)
    if len(parts) == 1:
        results = [_send_part(parts[0], claim, checkpoint, attached)]
    else:
        results = connections.in_threads(
            lambda part, stop: _send_part(part, claim, checkpoint, attached, stop), parts
        )
    for part_counts, cut in results:
        counts.update(part_counts)
        if cut is not None:
            for row in cut.left:
                log_outcome(row, {"error": cut.error})
            if cut.in_flight:  # cut off before the answer: the server may have it
                release([cut.left[0].id], claim, in_doubt=True, error=cut.error)
            release([row.id for row in cut.left[cut.in_flight :]], claim, error=cut.error)
            checkpoint()
            counts["unreachable"] += len(cut.left)


def _send_part(
    rows: list[OutgoingMessage],
    claim: datetime,
    checkpoint: Checkpoint,
    attached: dict,
    stop: threading.Event | None = None,
) -> tuple[Counter, Cut | None]:
    """Over one connection: compose the messages, COMPOSE_AHEAD at a time (so that attachments never
    all sit in memory), then hand them over one after the other, each outcome written right after
    the server's answer: the next message's envelope goes meanwhile, its content only once that
    outcome is written. Stops before its next message once `stop` is set (the job's timeout), its
    rows left claimed as a killed job's are. Returns what happened and what a cut left."""
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    max_attempts = config["TRAINADMIN_MAIL_MAX_ATTEMPTS"]
    counts: Counter[str] = Counter()
    left = list(rows)  # not handled yet, in order
    in_flight = False  # between handing a message over and the server's answer
    try:
        with (
            outcomes(checkpoint) as recorder,
            mail.connect() as connection,
            data_after(connection, recorder.wait),
        ):
            if connection.host is not None and connection.host.sock is not None:
                connection.host.sock.settimeout(SMTP_TIMEOUT)
            while left and not (stop is not None and stop.is_set()):
                for row, from_address, recipients, data in _compose(
                    left, sender, attached, recorder, claim, counts
                ):
                    if stop is not None and stop.is_set():
                        break
                    try:
                        in_flight = True
                        deliver(connection, data, from_address, recipients)
                    except smtplib.SMTPServerDisconnected:
                        raise
                    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
                        _refused(recorder, row, claim, exc, max_attempts, counts)
                    else:
                        recorder.sent(row, claim)
                        counts["sent"] += 1
                    in_flight = False
                    left.remove(row)
            recorder.wait()
    except ClaimLost as exc:
        log.warning("notifications: %s; this sender stops", exc)
        counts["taken_over"] += len(left)
    except (OSError, smtplib.SMTPException) as exc:  # refused, dropped, timed out: try the rest later
        if not left:  # only the goodbye failed
            return counts, None
        with force_locale(config["BABEL_DEFAULT_LOCALE"]):
            error = gettext("SMTP server unreachable: %(error)s", error=describe(exc))
        log.warning("notifications: SMTP server unreachable: %s", exc)
        return counts, Cut(left, in_flight, error)
    return counts, None


def _compose(
    left: list[OutgoingMessage],
    sender: str,
    attached: dict,
    recorder: Outcomes,
    claim: datetime,
    counts: Counter,
) -> list[tuple[OutgoingMessage, str, list[str], bytes]]:
    """The envelopes and bytes of the next COMPOSE_AHEAD rows of `left`; a row whose message cannot
    be built is FAILED at once and leaves `left`."""
    ready = []
    for row in left[:COMPOSE_AHEAD]:
        try:
            ready.append((row, *envelope(row, sender), message_bytes(row, sender, attached)))
        except MessageError as exc:
            recorder.record(row, claim, state=OutboxState.FAILED, error=_text(exc) or type(exc).__name__)
            counts["failed"] += 1
            left.remove(row)
    return ready


def _refused(
    recorder: Outcomes,
    row: OutgoingMessage,
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
        recorder.record(row, claim, state=OutboxState.FAILED, error=error, attempts=attempts)
        counts["failed"] += 1
        return
    delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    # Held, not free: the claim expires (and a tick takes the message again) `delay` seconds from now.
    held_until = utcnow() + timedelta(seconds=delay) - stale_after()
    recorder.record(row, claim, error=error, attempts=attempts, claimed_at=held_until)
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


def _documents(rows: list[OutgoingMessage]) -> dict[int, Document]:
    ids = {int(i) for row in rows for i in (row.attachment_ids or [])}
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(sa.select(Document).where(Document.id.in_(ids)))}
