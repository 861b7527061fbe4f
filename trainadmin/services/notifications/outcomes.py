"""What became of each message, written durably right after its send (`sending.py`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

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


class ClaimLost(RuntimeError):
    """Another sender holds the rows now (this one outlived its claim): it stops at once."""


class Outcomes:
    """Where what became of each message is written, durably, right after its send. On PostgreSQL
    an autocommit connection of its own: one round trip a message instead of four (checkout, BEGIN,
    UPDATE, COMMIT). Otherwise (SQLite; a session joined to an outer transaction) the session,
    committed each time."""

    def __init__(self, checkpoint: Checkpoint, engine: sa.Engine | None = None):
        self.checkpoint = checkpoint
        self.engine = engine
        self.connection: sa.Connection | None = None

    def sent(self, row, claim: datetime) -> None:
        """The server accepted this message: one small UPDATE, built once (`SENT_STATEMENT`)."""
        self._write(row, SENT_STATEMENT, {"row_id": row.id, "claim": claim, "sent_at": utcnow()})
        log_outcome(row, SENT_VALUES)

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
        self._write(row, statement)
        log_outcome(row, values)

    def _write(self, row, statement, parameters: dict | None = None) -> None:
        for delay in (*RECORD_RETRY_DELAYS, None):
            try:
                rowcount = self._execute(statement, parameters)
                break
            except INFRASTRUCTURE_ERRORS as exc:
                if delay is None:
                    raise
                log.warning("notifications: outcome of message %s not written (%s); again", row.id, exc)
                self.close()
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
        return self.connection.execute(statement, parameters).rowcount

    def close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            try:
                connection.exec_driver_sql("RESET synchronous_commit")  # back to the pool as it was
                connection.close()
            except INFRASTRUCTURE_ERRORS:
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


@contextmanager
def outcomes(checkpoint: Checkpoint) -> Iterator[Outcomes]:
    bind = db.session.get_bind()
    if isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql":
        outcomes = Outcomes(checkpoint, bind)
        try:
            yield outcomes
        finally:
            outcomes.close()
    else:
        yield Outcomes(checkpoint)
