"""What became of each message, written durably right after its send (`sending.py`).

On PostgreSQL the write of a sent message goes on while the next message's envelope (MAIL FROM,
RCPT TO) is handed to the SMTP server, and the next message's content (DATA) waits for it: each
outcome is still committed before the next message is sent, and the database's round trip no
longer adds to the SMTP server's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime

import psycopg
import sqlalchemy as sa
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError

from ...extensions import db
from ...logs import email_log, recipient_domain
from ...models import OutboxMessage, OutboxState, utcnow
from .wake import Checkpoint

log = logging.getLogger(__name__)

RECORD_RETRY_DELAYS = (0.2, 0.5, 1, 2, 4, 8)  # seconds: writing a sent message's outcome, again

#: Database failures that say nothing about the message (locked, connection lost): the tick stops
#: and the next one tries again, instead of marking anything FAILED.
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, InternalError)


#: A message the server accepted, while the claim is still ours: one statement object, so SQLAlchemy
#: compiles it once and PostgreSQL runs it as a prepared statement.
SENT_STATEMENT = (
    sa.update(OutboxMessage)
    .where(OutboxMessage.id == sa.bindparam("row_id"), OutboxMessage.claimed_at == sa.bindparam("claim"))
    .values(
        state=OutboxState.SENT,
        sent_at=sa.bindparam("sent_at"),
        error=None,
        attempts=OutboxMessage.attempts + 1,
    )
)
SENT_VALUES = {"state": OutboxState.SENT}
#: The same, as PostgreSQL runs it on the outcomes' own connection: through the driver's cursor, a
#: prepared statement, for a third of SQLAlchemy's processor time (about 50 µs instead of 130).
SENT_SQL = (
    "UPDATE outbox_message SET state = 'sent', sent_at = %(sent_at)s, error = NULL,"
    " attempts = attempts + 1 WHERE id = %(row_id)s AND claimed_at = %(claim)s"
)
#: What the driver itself raises for the same failures as INFRASTRUCTURE_ERRORS.
DRIVER_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.InternalError)


class ClaimLost(RuntimeError):
    """Another sender holds the rows now (this one outlived its claim): it stops at once."""


class Outcomes:
    """Where what became of each message is written, durably, right after its send. On PostgreSQL
    an autocommit connection of its own, used by a thread of its own: one round trip a message
    instead of four (checkout, BEGIN, UPDATE, COMMIT), made while the sender goes on with the next
    message's envelope (`sent`, `wait`). Otherwise (SQLite; a session joined to an outer
    transaction) the session, committed each time, before `sent` returns."""

    def __init__(self, checkpoint: Checkpoint, engine: sa.Engine | None = None):
        self.checkpoint = checkpoint
        self.engine = engine
        self.connection: sa.Connection | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future | None = None

    def sent(self, row, claim: datetime) -> None:
        """The server accepted this message: one small UPDATE, built once (`SENT_STATEMENT`). On
        PostgreSQL it is under way when this returns: `wait` before the next message's content."""
        parameters = {"row_id": row.id, "claim": claim, "sent_at": utcnow()}
        if self.engine is None:
            self._sent(row, parameters)
        else:
            self.wait()
            self._pending = self._in_writer(self._sent, row, parameters)

    def _sent(self, row, parameters: dict) -> None:
        self._write(row, SENT_STATEMENT, parameters)
        log_outcome(row, SENT_VALUES)  # in the writer thread too: off the sender's way

    def wait(self) -> None:
        """Until the last outcome is written: raises what its write raised (`ClaimLost`, the database
        away for good)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def record(self, row, claim: datetime, **values) -> None:
        """Only while the claim is still ours: a worker that outlived its claim has lost it, must not
        overwrite what the next one did, and stops. A lost database connection is opened again and
        the write tried again for about 15 seconds: the message has gone, its outcome must stay."""
        if "claimed_at" in values:  # held for a later try: no longer this sender's
            values["claimed_by"] = None
        statement = (
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.claimed_at == claim)
            .values(**values)
        )
        self.wait()
        if self.engine is None:
            self._write(row, statement)
        else:
            self._in_writer(self._write, row, statement).result()
        log_outcome(row, values)

    def _in_writer(self, write: Callable, *args) -> Future:
        """Run in the writer thread, which alone uses the outcomes' connection."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outcomes")
        return self._writer.submit(write, *args)

    def _write(self, row, statement, parameters: dict | None = None) -> None:
        for delay in (*RECORD_RETRY_DELAYS, None):
            try:
                rowcount = self._execute(statement, parameters)
                break
            except (*INFRASTRUCTURE_ERRORS, *DRIVER_ERRORS) as exc:
                if delay is None:
                    raise
                log.warning("notifications: outcome of message %s not written (%s); again", row.id, exc)
                self._close_connection()
                time.sleep(delay)
        if not rowcount:
            raise ClaimLost(f"message {row.id} was taken over by another sender")

    def _execute(self, statement, parameters: dict | None = None) -> int:
        if self.engine is None:
            try:
                result = db.session.execute(
                    statement, parameters, execution_options={"synchronize_session": False}
                )
                self.checkpoint()
            except INFRASTRUCTURE_ERRORS:
                db.session.rollback()
                raise
            return result.rowcount
        if self.connection is None:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            # The commit returns once PostgreSQL has the change, without waiting for its disk: other
            # sessions see it at once, a worker killed right after loses nothing; only a crash of
            # PostgreSQL itself loses the last ~0.6 s of outcomes (3 × wal_writer_delay), whose
            # messages are then « in doubt » (README, « E-mail delivery »).
            try:
                connection.exec_driver_sql("SET synchronous_commit = off")
            except INFRASTRUCTURE_ERRORS:
                connection.invalidate()
                raise
            self.connection = connection
        if statement is SENT_STATEMENT:
            cursor = self.connection.connection.driver_connection.cursor()
            with cursor:
                cursor.execute(SENT_SQL, parameters, prepare=True)
                return cursor.rowcount
        return self.connection.execute(statement, parameters).rowcount

    def close(self) -> None:
        """The last write awaited (a failure of it is only logged here: the sender has stopped
        already, and a message left without outcome is « in doubt » for the next one), then the
        connection given back."""
        try:
            self.wait()
        except Exception as exc:  # noqa: BLE001 (logged; the rows keep their claim)
            log.warning("notifications: the last outcome was not written (%s)", exc)
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.submit(self._close_connection).result()
            writer.shutdown()

    def _close_connection(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            try:
                connection.exec_driver_sql("RESET synchronous_commit")  # back to the pool as it was
                connection.close()
            except (*INFRASTRUCTURE_ERRORS, *DRIVER_ERRORS):
                connection.invalidate()


def log_outcome(row, values: dict) -> None:
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


def outcomes_engine() -> sa.Engine | None:
    """The engine on which outcomes get connections of their own: PostgreSQL's, when the session is
    not joined to an outer transaction."""
    bind = db.session.get_bind()
    return bind if isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql" else None


@contextmanager
def outcomes(checkpoint: Checkpoint) -> Iterator[Outcomes]:
    engine = outcomes_engine()
    if engine is not None:
        outcomes = Outcomes(checkpoint, engine)
        try:
            yield outcomes
        finally:
            outcomes.close()
    else:
        yield Outcomes(checkpoint)
