"""The SMTP sending of outbox rows: claimed, sent over one connection per batch, each outcome
recorded right after its own send.

A batch's rows are claimed with one conditional UPDATE (a second job with the same rows gets none);
each row is marked SENT, refused (tried again later) or FAILED as soon as the server answered, so a
crash leaves at most the message in flight unknown, and its stable Message-ID lets mail systems drop
a copy. A claim older than the job timeout belongs to a dead worker and is taken over.
"""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError

from ...extensions import db, mail
from ...logs import email_log, recipient_domain
from ...models import Document, OutboxMessage, OutboxState, TrainingSession, utcnow
from .mail_message import MessageError, build_message, deliver, envelope
from .wake import Checkpoint

log = logging.getLogger(__name__)

RETRY_DELAYS = (60, 300, 900, 3600)  # seconds before a refused message is tried again
SMTP_TIMEOUT = 60  # seconds without an answer from the SMTP server


#: Database failures that say nothing about the message (locked, connection lost): the tick stops
#: and the next one tries again, instead of marking anything FAILED.
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, InternalError)


class SmtpUnavailable(RuntimeError):
    """The SMTP server could not be reached: the job fails so that RQ tries it again later."""


def stale_after() -> timedelta:
    """A claim older than this belongs to a worker that died: RQ has killed any job by then."""
    return timedelta(seconds=current_app.config["JOB_TIMEOUT"] + 60)


def describe(exc: BaseException) -> str:
    """An error as it is shown on a message or a schedule: its kind and its words."""
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000]


def release(ids: list[int], claim: datetime, **values) -> None:
    """Give back the rows still pending under this claim, for the next tick to hand out."""
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


def send(ids: list[int], lease: datetime | None, counts: Counter, checkpoint: Checkpoint) -> set[int]:
    """Send these outbox rows, those still pending that nobody else holds, over one SMTP connection;
    without MAIL_SERVER they are kept in the outbox instead. Counts what happened; returns the
    schedules of the rows it handled."""
    claim, claimed = _claim(ids, lease, checkpoint)
    if not claimed:
        return set()
    rows = [
        OutgoingMessage(*values)
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
                OutboxMessage.kind,
                TrainingSession.code,
            )
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
        _send_rows(rows, claim, counts, checkpoint)
    return {row.schedule_id for row in rows if row.schedule_id}


def _claim(ids: list[int], lease: datetime | None, checkpoint: Checkpoint) -> tuple[datetime, list[int]]:
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
    checkpoint()
    return claim, sorted(claimed)


def _send_rows(rows: list[OutgoingMessage], claim: datetime, counts: Counter, checkpoint: Checkpoint) -> None:
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    max_attempts = config["TRAINADMIN_MAIL_MAX_ATTEMPTS"]
    attached = _documents(rows)
    done = 0
    try:
        with _outcomes(checkpoint) as outcomes, mail.connect() as connection:
            if connection.host is not None and connection.host.sock is not None:
                connection.host.sock.settimeout(SMTP_TIMEOUT)
            for row in rows:
                try:
                    message = build_message(row, sender, attached)
                    deliver(connection, message, *envelope(row, sender))
                except MessageError as exc:
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
        for row in rows[done:]:
            log_outcome(row, {"error": error})
        release([row.id for row in rows[done:]], claim, error=error)
        checkpoint()
        counts["unreachable"] += len(rows) - done


def _refused(
    outcomes: _Outcomes,
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

    def __init__(self, checkpoint: Checkpoint, connection: sa.Connection | None = None):
        self.checkpoint = checkpoint
        self.connection = connection

    def record(self, row: OutgoingMessage, claim: datetime, **values) -> None:
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
            self.checkpoint()
        if not result.rowcount:
            log.warning("notifications: message %s was taken over by another worker", row.id)
            return
        log_outcome(row, values)


def log_outcome(row: OutgoingMessage, values: dict) -> None:
    """One line per e-mail sent, refused or failed; of the recipient only the domain."""
    state = values.get("state")
    outcome = "sent" if state == OutboxState.SENT else "failed" if state == OutboxState.FAILED else "retrying"
    fields = {
        "outbox_id": row.id,
        "kind": row.kind,
        "session_code": row.session_code,
        "recipient_domain": recipient_domain(row.recipient),
        "outcome": outcome,
    }
    if outcome != "sent":
        fields["error"] = values.get("error")
    level = logging.INFO if outcome == "sent" else logging.WARNING
    email_log.log(level, "e-mail %s %s", row.id, outcome, extra=fields)


@contextmanager
def _outcomes(checkpoint: Checkpoint) -> Iterator[_Outcomes]:
    bind = db.session.get_bind()
    if isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql":
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield _Outcomes(checkpoint, connection)
    else:
        yield _Outcomes(checkpoint)


def _documents(rows: list[OutgoingMessage]) -> dict[int, Document]:
    ids = {int(i) for row in rows for i in (row.attachment_ids or [])}
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(sa.select(Document).where(Document.id.in_(ids)))}
