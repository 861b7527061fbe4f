"""The outbox: every message is written here, once per key, before anyone tries to send it.

The unique `dedup_key` is the guarantee that no e-mail goes twice for the same rule, sequence, due
time and recipient (or the same calendar invitation version): a second writer, a second dispatcher
or a rerun after a crash finds the row and writes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import OutboxMessage, OutboxState
from .wake import wake_after_commit

KEY_LENGTH = 200


def _key(prefix: str, email: str) -> str:
    """`<prefix>:to:<address>`; the address is compared without case, and hashed when the key
    would not fit its column (addresses may be 254 characters long)."""
    address = email.strip().lower()
    key = f"{prefix}:to:{address}"
    if len(key) > KEY_LENGTH:
        key = f"{prefix}:to:sha256:{hashlib.sha256(address.encode()).hexdigest()}"
    return key


def scheduled_prefix(rule_id: int, sequence_id: int | None, due_at: datetime) -> str:
    """What the keys of one arming of a schedule (rule × sequence × due time) start with."""
    return f"rule:{rule_id}:seq:{sequence_id}:due:{due_at.astimezone(UTC):%Y%m%dT%H%M}"


def scheduled_key(rule_id: int, sequence_id: int | None, due_at: datetime, email: str) -> str:
    """The key of one scheduled e-mail (rule × sequence × due time) to one recipient: a schedule
    re-armed for a later time writes new messages, the same due time never twice."""
    return _key(scheduled_prefix(rule_id, sequence_id, due_at), email)


def event_key(rule_id: int, request_id: int, email: str) -> str:
    """The key of one event e-mail (enrolment, cancellation) of one demande to one recipient."""
    return _key(f"rule:{rule_id}:req:{request_id}", email)


def demande_key(key: str, email: str) -> str:
    """The key of one e-mail about a demande's manager's link (`link:<id>` for the link it carries,
    `decision:<id>` for the decision taken with it) to one recipient."""
    return _key(f"demande:{key}", email)


def calendar_key(uid: str, sequence_number: int) -> str:
    """The key of one version of one calendar invitation."""
    return f"cal:{uid}:v{sequence_number}"


def _row(values: dict) -> OutboxMessage:
    values = {**values, "subject": values["subject"][:250]}
    values["attachment_ids"] = values.get("attachment_ids") or None
    return OutboxMessage(**values)


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
    message = _row(
        {
            "dedup_key": dedup_key,
            "kind": kind,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "session_id": session_id,
            "schedule_id": schedule_id,
            "rule_id": rule_id,
            "sequence_id": sequence_id,
            "request_id": request_id,
            "invitation_id": invitation_id,
            "bcc": bcc,
            "calendar": calendar,
            "attachment_ids": attachment_ids,
        }
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:  # written meanwhile by a concurrent writer: that one counts
        return None
    wake_after_commit()
    return message


def queue_messages(messages: list[dict]) -> int:
    """Write many messages (each the keyword arguments of `queue_message`) in a few statements:
    the keys already written are skipped; returns how many rows were written."""
    if not messages:
        return 0
    keys = [message["dedup_key"] for message in messages]
    existing = set(
        db.session.scalars(sa.select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys)))
    )
    fresh: dict[str, dict] = {}
    for message in messages:
        if message["dedup_key"] not in existing:
            fresh.setdefault(message["dedup_key"], message)
    if not fresh:
        return 0
    try:
        with db.session.begin_nested():
            db.session.add_all(_row(message) for message in fresh.values())
    except IntegrityError:  # a concurrent writer got some of them first: one by one, theirs count
        return sum(queue_message(**message) is not None for message in fresh.values())
    wake_after_commit()
    return len(fresh)


#: What still goes when a session, a sequence or an enrolment is cancelled: the cancellation e-mail
#: and the calendar cancellations themselves.
CANCELLATION_KIND = "cancellation"
CALENDAR_CANCEL = "%METHOD:CANCEL%"


def cancel_pending(
    *,
    session_id: int | None = None,
    sequence_id: int | None = None,
    request_id: int | None = None,
    schedule_ids: list[int] | None = None,
    invitation_id: int | None = None,
    keep_cancellations: bool = True,
) -> int:
    """Messages written but not sent yet that no longer apply (their session, sequence or enrolment
    was cancelled or removed, their dates changed, a newer version of the invitation was written):
    CANCELLED, shown as such in « E-mails envoyés », never sent. Their key is freed, so that the
    message for the new situation can be written. Returns how many were cancelled."""
    conditions = [OutboxMessage.state == OutboxState.PENDING]
    for column, value in (
        (OutboxMessage.session_id, session_id),
        (OutboxMessage.sequence_id, sequence_id),
        (OutboxMessage.request_id, request_id),
        (OutboxMessage.invitation_id, invitation_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if schedule_ids is not None:
        if not schedule_ids:
            return 0
        conditions.append(OutboxMessage.schedule_id.in_(schedule_ids))
    if len(conditions) == 1:
        raise ValueError(
            "cancel_pending needs a session, a sequence, an enrolment, schedules or an invitation"
        )
    if keep_cancellations:
        conditions.append(OutboxMessage.kind != CANCELLATION_KIND)
        conditions.append(
            sa.or_(OutboxMessage.calendar.is_(None), sa.not_(OutboxMessage.calendar.like(CALENDAR_CANCEL)))
        )
    freed_key = sa.func.substr(
        sa.literal("cancelled:")
        + sa.cast(OutboxMessage.id, sa.String)
        + sa.literal(":")
        + OutboxMessage.dedup_key,
        1,
        KEY_LENGTH,
    )
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(*conditions)
        .values(state=OutboxState.CANCELLED, dedup_key=freed_key, claimed_at=None),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
