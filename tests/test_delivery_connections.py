"""A send job of many messages goes over TRAINADMIN_MAIL_CONNECTIONS SMTP connections at once (on
PostgreSQL), each keeping the rule of one connection: its messages in order, a content only once the
outcome of the message before it on that connection is written, at most one message « in doubt »
when it is cut."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa

from trainadmin.models import OutboxMessage, OutboxState, utcnow
from trainadmin.services.notifications import connections, delivery
from trainadmin.services.notifications.wake import dispatching
from trainadmin.transaction import commit

from .conftest import need
from .delivery_support import due_schedule, published_session

MESSAGES = 2 * connections.MIN_SHARE + 10


def test_rows_are_dealt_out_in_turn_to_connections_of_at_least_min_share_rows():
    rows = list(range(2 * connections.MIN_SHARE + 1))

    first, second = connections.shares(rows, 2)

    assert first[:3] == [0, 2, 4] and second[:3] == [1, 3, 5]
    assert sorted(first + second) == rows
    assert connections.shares(rows, 8) == [first, second]  # not enough rows for more
    too_few = rows[: connections.MIN_SHARE * 2 - 1]
    assert connections.shares(too_few, 2) == [too_few]
    assert connections.shares(rows, 1) == [rows]
    assert connections.shares([], 2) == [[]]


def pending_messages(database, count: int) -> list[int]:
    due_schedule(published_session(participants=count))
    database.session.commit()
    with dispatching():
        delivery._prepare_due(utcnow(), Counter(), commit)
    return list(
        database.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.state == OutboxState.PENDING)
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def many_pending(app, committed_db) -> list[int]:
    if committed_db.engine.dialect.name != "postgresql":
        need("PostgreSQL", "several connections need the outcomes' own connections, PostgreSQL's")
    return pending_messages(committed_db, MESSAGES)


def record_contents(smtp, monkeypatch, engine) -> list[tuple[object, str, set[str]]]:
    """For each content that arrives: its connection, its recipient, and the recipients whose
    message is SENT in the database at that moment."""
    seen = []
    original = smtp.handle_DATA

    async def handle_DATA(server, session, envelope):
        with engine.connect() as connection:
            sent = set(
                connection.scalars(
                    sa.select(OutboxMessage.recipient).where(OutboxMessage.state == OutboxState.SENT)
                )
            )
        seen.append((session.peer, envelope.rcpt_tos[0], sent))
        return await original(server, session, envelope)

    monkeypatch.setattr(smtp, "handle_DATA", handle_DATA)
    return seen


def test_a_large_batch_goes_over_two_connections_each_in_order_with_its_outcomes_written_first(
    app, committed_db, smtp, many_pending, monkeypatch
):
    monkeypatch.setitem(app.config, "TRAINADMIN_MAIL_CONNECTIONS", 2)
    seen = record_contents(smtp, monkeypatch, committed_db.engine)

    assert delivery.send_messages(many_pending, commit) == {"sent": MESSAGES}

    assert smtp.connections == 2
    assert set(smtp.per_recipient().values()) == {1}
    by_connection = defaultdict(list)
    for peer, recipient, sent in seen:
        # every message this connection carried before is written as sent
        assert set(by_connection[peer]) <= sent
        by_connection[peer].append(recipient)
    assert sorted(len(recipients) for recipients in by_connection.values()) == [MESSAGES // 2] * 2
    order = {recipient: index for index, (_p, recipient, _s) in enumerate(seen)}
    recipients_by_id = dict(
        committed_db.session.execute(sa.select(OutboxMessage.id, OutboxMessage.recipient)).all()
    )
    for recipients in by_connection.values():  # each connection sends its rows in the outbox's order
        ids = [next(i for i, r in recipients_by_id.items() if r == recipient) for recipient in recipients]
        assert ids == sorted(ids)
        assert [order[recipient] for recipient in recipients] == sorted(order[r] for r in recipients)
    states = Counter(committed_db.session.scalars(sa.select(OutboxMessage.state)))
    assert states == {OutboxState.SENT: MESSAGES}


def test_one_connection_when_told_so(app, committed_db, smtp, many_pending, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINADMIN_MAIL_CONNECTIONS", 1)

    assert delivery.send_messages(many_pending, commit) == {"sent": MESSAGES}

    assert smtp.connections == 1


def test_a_connection_cut_leaves_one_message_in_doubt_and_the_other_connection_sends_its_share(
    app, committed_db, smtp, many_pending, monkeypatch
):
    monkeypatch.setitem(app.config, "TRAINADMIN_MAIL_CONNECTIONS", 2)
    smtp.drop_after(20)  # the 21st message received is dropped before its answer, with its connection

    counts = delivery.send_messages(many_pending, commit)

    committed_db.session.expire_all()
    rows = committed_db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    sent = [row for row in rows if row.state == OutboxState.SENT]
    pending = [row for row in rows if row.state == OutboxState.PENDING]
    in_doubt = [row for row in pending if row.claimed_by is not None]
    assert counts["sent"] == len(sent) and counts["unreachable"] == len(pending)
    assert len(sent) + len(pending) == MESSAGES
    assert len(in_doubt) == 1  # the dropped one: the server has it, the sender cannot know
    assert smtp.per_recipient()[in_doubt[0].recipient] == 1
    assert all(row.claimed_at is None and row.error for row in pending)
    assert len(sent) >= MESSAGES // 2  # the other connection sent all its share
    assert set(smtp.per_recipient().values()) == {1}
    assert len(smtp.received) == len(sent) + 1


def test_interrupting_the_waiting_job_stops_every_connection_before_its_next_message(app):
    """RQ's job timeout is an exception raised in the job's thread by an alarm: the connections'
    threads stop before their next message and are gone when it goes on."""
    done: list[int] = []
    running = threading.Event()

    def work(part, stop):
        for item in part:
            if stop.is_set():
                return "stopped"
            running.set()
            time.sleep(0.01)
            done.append(item)
        return "finished"

    class Timeout(Exception):
        pass

    def alarm(signum, frame):
        raise Timeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    try:
        with app.app_context(), pytest.raises(Timeout):
            connections.in_threads(work, [list(range(0, 1000, 2)), list(range(1, 1000, 2))])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert running.is_set()
    stopped_at = len(done)
    assert 0 < stopped_at < 1000
    time.sleep(0.05)
    assert len(done) == stopped_at  # nothing more once it went on
    assert not [t for t in threading.enumerate() if t.name.startswith("smtp-")]


def test_an_error_in_one_connection_is_raised_once_both_are_done(app):
    finished = []

    def work(part, stop):
        if part == ["boom"]:
            raise RuntimeError("boom")
        time.sleep(0.05)
        finished.append(part)
        return len(part)

    with app.app_context(), pytest.raises(RuntimeError, match="boom"):
        connections.in_threads(work, [["boom"], ["a", "b"]])

    assert finished == [["a", "b"]]
