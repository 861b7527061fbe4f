"""The outbox: every message is written here, once per key, before anyone tries to send it.

The unique `dedup_key` is the guarantee that no e-mail goes twice for the same rule, sequence, due
time and recipient (or the same calendar invitation version): a second writer, a second dispatcher
or a rerun after a crash finds the row and writes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import OutboxMessage


def queue_message(
    *,
    dedup_key: str,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    session_id: int | None = None,
    schedule_id: int | None = None,
    rule_id: int | None = None,
    sequence_id: int | None = None,
    request_id: int | None = None,
    invitation_id: int | None = None,
    bcc: str | None = None,
    calendar: str | None = None,
    attachment_ids: list[int] | None = None,
) -> OutboxMessage | None:
    """Write one message unless a message with this key exists; returns None when it already did."""
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)):
        return None
    message = OutboxMessage(
        dedup_key=dedup_key,
        kind=kind,
        recipient=recipient,
        subject=subject[:250],
        body=body,
        session_id=session_id,
        schedule_id=schedule_id,
        rule_id=rule_id,
        sequence_id=sequence_id,
        request_id=request_id,
        invitation_id=invitation_id,
        bcc=bcc,
        calendar=calendar,
        attachment_ids=attachment_ids or None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:  # written meanwhile by a concurrent writer: that one counts
        return None
    return message
