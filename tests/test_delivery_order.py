"""On PostgreSQL the outcomes have a connection and a thread of their own, and the write of one
message's outcome goes on while the next message's envelope is handed over: each outcome is still
committed before the next message's content reaches the server, and a sender that lost its claim
sends nothing more."""

from __future__ import annotations

from collections import Counter

import psycopg
import pytest
import sqlalchemy as sa

from trainadmin.models import OutboxMessage, OutboxState, utcnow
from trainadmin.services.notifications import delivery
from trainadmin.services.notifications.wake import dispatching
from trainadmin.transaction import commit

from .conftest import need
from .delivery_support import due_schedule, published_session


@pytest.fixture
def pending(app, committed_db) -> list[int]:
    """Four messages written to the outbox, not sent yet."""
    if committed_db.engine.dialect.name != "postgresql":
        need("PostgreSQL", "the outcomes' own connection and thread are PostgreSQL's")
    due_schedule(published_session(participants=4))
    committed_db.session.commit()
    with dispatching():
        delivery._prepare_due(utcnow(), Counter(), commit)
    return list(
        committed_db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.state == OutboxState.PENDING)
            .order_by(OutboxMessage.id)
        )
    )


def on_data(smtp, monkeypatch, hook) -> None:
    """Run `hook()` in the server when a message's content has arrived, before its answer."""
    original = smtp.handle_DATA

    async def handle_DATA(server, session, envelope):
        hook()
        return await original(server, session, envelope)

    monkeypatch.setattr(smtp, "handle_DATA", handle_DATA)


def sent_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).where(OutboxMessage.state == OutboxState.SENT))


def test_each_outcome_is_committed_before_the_next_message_content_arrives(
    committed_db, smtp, pending, monkeypatch
):
    engine = committed_db.engine
    seen = []
    on_data(smtp, monkeypatch, lambda: seen.append(sent_rows(engine)))

    assert delivery.send_messages(pending, commit) == {"sent": 4}

    assert seen == [0, 1, 2, 3]
    assert sent_rows(engine) == 4


def test_a_sender_that_lost_its_claim_sends_no_further_content(committed_db, smtp, pending, monkeypatch):
    engine = committed_db.engine

    def taken_over():
        if not smtp.received:  # another sender takes the rows while the first message goes
            with engine.begin() as connection:
                connection.execute(
                    sa.update(OutboxMessage).values(
                        claimed_at=OutboxMessage.claimed_at + sa.text("interval '1 s'")
                    )
                )

    on_data(smtp, monkeypatch, taken_over)

    # The first was accepted by the server; its outcome found the row taken: the sender stops.
    assert delivery.send_messages(pending, commit) == {"sent": 1, "taken_over": 3}

    assert len(smtp.received) == 1  # the second message's envelope went, never its content


def test_an_outcomes_connection_cut_between_two_messages_is_opened_again_and_each_goes_once(
    committed_db, smtp, pending, monkeypatch
):
    """The outcomes' connection (the one whose last statement was an outcome) killed by PostgreSQL
    after the first outcome: the next write meets the driver's error, opens a connection again and
    is written."""
    engine = committed_db.engine
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def cut():
        if len(smtp.received) == 1:
            with psycopg.connect(url, autocommit=True) as other:
                other.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'UPDATE outbox_message SET state%'"
                )

    on_data(smtp, monkeypatch, cut)

    assert delivery.send_messages(pending, commit) == {"sent": 4}

    assert sent_rows(engine) == 4
    assert len(smtp.received) == 4 and set(smtp.per_recipient().values()) == {1}
