"""Settling the schedules of a send batch: one read and one UPDATE for all of them, however many
schedules the batch's messages belong to."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from trainadmin.models import EmailKind, OutboxMessage, OutboxState, ScheduleState, utcnow
from trainadmin.services.notifications import delivery, settling
from trainadmin.services.notifications.wake import dispatching
from trainadmin.transaction import commit

from .delivery_support import due_schedule, published_session


def prepared(db, schedules: int, participants: int, kind: EmailKind) -> tuple[list, list[int]]:
    """`schedules` due schedules of `participants` recipients each, written to the outbox."""
    rows = [due_schedule(published_session(participants=participants), kind) for _ in range(schedules)]
    with dispatching():
        delivery._prepare_due(utcnow(), Counter(), commit)
    ids = list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.state == OutboxState.PENDING)
            .order_by(OutboxMessage.id)
        )
    )
    return rows, ids


@pytest.mark.parametrize("kind", [EmailKind.REMINDER, EmailKind.CONVOCATION])
def test_a_send_batch_settles_its_schedules_in_two_statements_whatever_their_number(
    app, db, smtp, count_queries, kind
):
    """Six messages of one, three or six schedules: the same statements, two of them on the
    schedules (those still to settle, then the UPDATE of all of them). A convocation whose
    sequence holds no calendar invitation reads nothing more."""
    seen = {}
    for schedules, participants in ((1, 6), (3, 2), (6, 1)):
        rows, ids = prepared(db, schedules, participants, kind)
        db.session.execute(sa.text("DELETE FROM calendar_invitation"))
        with count_queries() as counter:
            result = delivery.send_messages(ids, commit)
        assert result == {"sent": 6}
        for row in rows:
            db.session.refresh(row)
            assert row.state == ScheduleState.SENT and row.sent_at is not None and row.last_error is None
        on_schedules = [s for s in counter.statements if "email_schedule" in s]
        assert len(on_schedules) == 2, on_schedules
        assert on_schedules[1].lstrip().startswith("UPDATE email_schedule")
        seen[schedules] = counter.count
    assert len(set(seen.values())) == 1, seen


def test_one_statement_settles_sent_failed_and_waiting_schedules_each_by_its_own_messages(app, db, smtp):
    [sent, failed, waiting], ids = prepared(db, 3, 2, EmailKind.REMINDER)
    refused = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(OutboxMessage.schedule_id == failed.id).limit(1)
    ).one()
    smtp.refuse_recipient(refused, "550 5.1.1 Mailbox unknown")
    held = db.session.scalars(
        sa.select(OutboxMessage.id).where(OutboxMessage.schedule_id == waiting.id)
    ).all()

    result = delivery.send_messages([i for i in ids if i != held[0]], commit)

    assert result == {"sent": 4, "failed": 1}
    for row in (sent, failed, waiting):
        db.session.refresh(row)
    assert sent.state == ScheduleState.SENT
    assert (
        failed.state == ScheduleState.FAILED and refused in failed.last_error and "550" in failed.last_error
    )
    assert failed.sent_at is None
    assert waiting.state == ScheduleState.PLANNED  # one of its messages is still pending


def test_messages_of_an_earlier_arming_do_not_hold_or_fail_the_schedule(app, db, smtp):
    [schedule], ids = prepared(db, 1, 2, EmailKind.REMINDER)
    old = db.session.get(OutboxMessage, ids[0])
    old.dedup_key = old.dedup_key.replace(":due:", ":due:1999")  # written for another due time
    old.state, old.error = OutboxState.FAILED, "550 gone"
    db.session.flush()

    assert delivery.send_messages(ids[1:], commit) == {"sent": 1}

    db.session.refresh(schedule)
    assert schedule.state == ScheduleState.SENT and schedule.last_error is None


def test_many_schedules_are_settled_by_chunks(app, db, smtp, count_queries, monkeypatch):
    monkeypatch.setattr(settling, "SETTLE_CHUNK", 2)
    rows, ids = prepared(db, 3, 1, EmailKind.REMINDER)
    with count_queries() as counter:
        assert delivery.send_messages(ids, commit) == {"sent": 3}
    for row in rows:
        db.session.refresh(row)
        assert row.state == ScheduleState.SENT
    assert len([s for s in counter.statements if "email_schedule" in s]) == 4  # 2 + 1 schedules
