"""Delivery of notifications: the dispatcher tick, the outbox, SMTP sending (a real server on
loopback), the events of enrolments and cancellations, « E-mails envoyés », the jobs."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from icalendar import Calendar, Event
from rq import SimpleWorker
from rq.cron import CronScheduler

from trainadmin.demo.ticks import start_periodic_ticks
from trainadmin.extensions import db as _db
from trainadmin.models import (
    EmailKind,
    OutboxMessage,
    OutboxState,
    Publication,
    RequestStatus,
    Role,
    ScheduleState,
    WorkflowStatus,
    utcnow,
)
from trainadmin.queue import QUEUE_NAME
from trainadmin.services.notifications import delivery, mail_message, outbox, sending, wake
from trainadmin.services.participants import demandes as participants
from trainadmin.services.sessions.workflow import change_status
from trainadmin.transaction import commit

from . import factories
from .conftest import post_form
from .delivery_support import due_schedule, event_drafts, make_rule, published_session  # noqa: F401


def outbox_rows(db, **where) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


# --- The tick ----------------------------------------------------------------------------------------


def test_a_tick_with_nothing_due_runs_four_reads(app, db, count_queries):
    """docs/benchmarks.md and README state these counts: due schedules, schedules waiting to be
    settled, changed slots, pending messages."""
    session = published_session()
    due_schedule(session, due_at=utcnow() + timedelta(days=3))  # planned, not due yet
    with count_queries() as counter:
        assert delivery.dispatch_tick(commit) == {}
    statements = [s.lstrip() for s in counter.statements]
    assert all(s.upper().startswith("SELECT") for s in statements), statements
    assert len(statements) == 4, statements
    assert "email_schedule.due_at <=" in statements[0] and "email_schedule.prepared_at <=" in statements[1]
    assert "FROM slot_change" in statements[2]
    assert "FROM outbox_message" in statements[3]


def test_a_tick_with_nothing_due_and_redis_runs_five_reads(app, db, count_queries, redis_queue):
    """With workers (Redis) one more: which senders hold live claims, whose RQ jobs may be over."""
    session = published_session()
    due_schedule(session, due_at=utcnow() + timedelta(days=3))
    with count_queries() as counter:
        assert delivery.dispatch_tick(commit) == {}
    statements = [s.lstrip() for s in counter.statements]
    assert all(s.upper().startswith("SELECT") for s in statements), statements
    assert len(statements) == 5, statements
    assert "outbox_message.claimed_by" in statements[3] and "DISTINCT" in statements[3]
    assert "FROM outbox_message" in statements[4]
    if db.engine.dialect.name == "postgresql":  # SQLite has no row locks: one writer at a time
        assert "FOR UPDATE SKIP LOCKED" in statements[4]


def test_a_due_schedule_is_written_once_and_kept_in_the_demo(any_app, any_db):
    session = published_session(participants=3)
    schedule = due_schedule(session, bcc="rh@example.com")
    emails = sorted(r.collaborator.email for r in session_requests(any_db, session))

    counts = delivery.dispatch_tick(commit)

    assert counts["schedules_prepared"] == 1 and counts["queued"] == 3 and counts["kept"] == 3
    rows = outbox_rows(any_db, schedule_id=schedule.id)
    assert sorted(row.recipient for row in rows) == emails
    assert {row.state for row in rows} == {OutboxState.KEPT}  # no MAIL_SERVER: kept, not sent
    assert {row.bcc for row in rows} == {"rh@example.com"}
    assert rows[0].dedup_key == outbox.scheduled_key(
        schedule.rule_id, schedule.sequence_id, schedule.due_at, rows[0].recipient
    )
    any_db.session.refresh(schedule)
    assert schedule.state == ScheduleState.SENT and schedule.sent_at is not None
    assert schedule.prepared_at is not None and schedule.recipient_count == 3

    assert delivery.dispatch_tick(commit) == {}  # a second tick finds nothing to do
    assert len(outbox_rows(any_db)) == 3


def session_requests(db, session):
    from trainadmin.models import TrainingRequest

    return db.session.scalars(
        sa.select(TrainingRequest).where(TrainingRequest.session_id == session.id)
    ).all()


def test_only_due_published_live_schedules_are_prepared(app, db):
    live = due_schedule(published_session())
    later = due_schedule(published_session(), due_at=utcnow() + timedelta(hours=2))
    draft_session = published_session()
    draft_session.publication = Publication.DRAFT
    draft = due_schedule(draft_session)
    cancelled_session = published_session()
    cancelled_session.status = WorkflowStatus.CANCELLED
    cancelled = due_schedule(cancelled_session)
    skipped = due_schedule(published_session())
    skipped.skipped = True
    disabled = due_schedule(published_session(), enabled=False)
    db.session.flush()

    counts = delivery.dispatch_tick(commit)

    assert counts["schedules_prepared"] == 1
    assert {row.schedule_id for row in outbox_rows(db)} == {live.id}
    for schedule in (later, draft, cancelled, skipped, disabled):
        db.session.refresh(schedule)
        assert schedule.state == ScheduleState.PLANNED and schedule.prepared_at is None
    # Later, the one planned in two hours is due too.
    assert delivery.dispatch_tick(commit, now=utcnow() + timedelta(hours=3))["schedules_prepared"] == 1


def test_a_template_error_fails_its_schedule_and_the_others_go(app, db):
    broken = due_schedule(published_session(), body="Bonjour {% if %}")
    fine = due_schedule(published_session())

    counts = delivery.dispatch_tick(commit)

    assert counts["schedules_failed"] == 1 and counts["schedules_prepared"] == 1
    db.session.refresh(broken)
    db.session.refresh(fine)
    assert broken.state == ScheduleState.FAILED and "Erreur dans le modèle" in broken.last_error
    assert not outbox_rows(db, schedule_id=broken.id)
    assert fine.state == ScheduleState.SENT and len(outbox_rows(db, schedule_id=fine.id)) == 2


def test_a_schedule_left_unsettled_by_a_dead_worker_is_settled_by_a_later_tick(app, db):
    schedule = due_schedule(published_session(participants=2))
    delivery.dispatch_tick(commit)
    # As if the worker had died between its last send and settling the schedule:
    schedule.state, schedule.sent_at = ScheduleState.PLANNED, None
    db.session.flush()

    assert delivery.dispatch_tick(commit) == {}  # a while is left for its messages to go
    delivery.dispatch_tick(commit, utcnow() + delivery.stale_after() + timedelta(seconds=1))

    db.session.refresh(schedule)
    assert schedule.state == ScheduleState.SENT and len(outbox_rows(db, schedule_id=schedule.id)) == 2


def test_a_schedule_without_recipients_is_done(app, db):
    schedule = due_schedule(published_session(participants=0))
    delivery.dispatch_tick(commit)
    db.session.refresh(schedule)
    assert schedule.state == ScheduleState.SENT and schedule.recipient_count == 0


def test_the_outbox_refuses_a_second_message_with_the_same_key(any_app, any_db):
    session = factories.make_session()
    first = outbox.queue_message(
        dedup_key="rule:1:req:2:to:a@example.com",
        kind="enrolment",
        recipient="a@example.com",
        subject="Confirmation",
        body="Bonjour",
        session_id=session.id,
    )
    again = outbox.queue_message(
        dedup_key="rule:1:req:2:to:a@example.com",
        kind="enrolment",
        recipient="a@example.com",
        subject="Confirmation",
        body="Bonjour",
        session_id=session.id,
    )
    assert first is not None and again is None
    written = outbox.queue_messages(
        [
            {
                "dedup_key": "rule:1:req:2:to:a@example.com",
                "kind": "enrolment",
                "recipient": "a@example.com",
                "subject": "Confirmation",
                "body": "Bonjour",
            },
            {
                "dedup_key": "rule:1:req:3:to:b@example.com",
                "kind": "enrolment",
                "recipient": "b@example.com",
                "subject": "Confirmation",
                "body": "Bonjour",
            },
        ]
    )
    assert written == 1
    assert len(outbox_rows(any_db)) == 2


def test_keys_ignore_case_and_fit_their_column():
    due = utcnow()
    assert outbox.scheduled_key(1, 2, due, "Paul@Example.COM") == outbox.scheduled_key(
        1, 2, due, "paul@example.com"
    )
    long_address = "a" * 64 + "@" + "b" * 180 + ".fr"
    key = outbox.event_key(12, 34, long_address)
    assert len(key) <= outbox.KEY_LENGTH and key.startswith("rule:12:req:34:to:sha256:")
    assert outbox.calendar_key("uid-1", 3) == "cal:uid-1:v3"


# --- SMTP --------------------------------------------------------------------------------------------


def test_messages_go_over_one_connection_with_bcc_in_the_envelope_and_attachments(app, db, smtp, storage):
    session = published_session(participants=0)
    document = factories.make_document("programme.pdf", session=session)
    messages = [
        outbox.queue_message(
            dedup_key=f"test:{n}",
            kind="convocation",
            recipient=f"participant{n}@example.com",
            subject=f"Convocation n°{n}",
            body="Bonjour,\nà lundi.",
            session_id=session.id,
            bcc="rh@example.com; direction@example.com",
            attachment_ids=[document.id],
        )
        for n in range(3)
    ]

    counts = delivery.dispatch_tick(commit)

    assert counts["sent"] == 3
    assert smtp.connections == 1
    received = {item.message["To"]: item for item in smtp.received}
    first = received["participant0@example.com"]
    assert sorted(first.rcpt_tos) == ["direction@example.com", "participant0@example.com", "rh@example.com"]
    assert first.mail_from == app.config["MAIL_DEFAULT_SENDER"]
    message = first.message
    assert message["To"] == "participant0@example.com"
    assert message["Bcc"] is None and "rh@example.com" not in first.data.decode()
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["Subject"] == "Convocation n°0"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == "Bonjour,\nà lundi."
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "programme.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == factories.PDF_BYTES
    assert message["Message-ID"] == mail_message.message_id(
        delivery_row(messages[0]), app.config["MAIL_DEFAULT_SENDER"]
    )

    for row in messages:
        db.session.refresh(row)
        assert row.state == OutboxState.SENT and row.sent_at is not None and row.attempts == 1
    assert delivery.dispatch_tick(commit) == {}
    assert len(smtp.received) == 3


def delivery_row(message: OutboxMessage):
    return sending.OutgoingMessage(
        message.id,
        message.dedup_key,
        message.recipient,
        message.bcc,
        message.subject,
        message.body,
        message.calendar,
        message.attachment_ids,
        message.attempts,
        message.schedule_id,
    )


def invitation(method: str, sequence: int) -> str:
    event = Event.new(
        uid="seq-12-req-34@trainadmin",
        sequence=sequence,
        summary="Management d'équipe — Séquence 1",
        start=utcnow().replace(microsecond=0) + timedelta(days=10),
        end=utcnow().replace(microsecond=0) + timedelta(days=10, hours=7),
    )
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    return Calendar.new(method=method, prodid="-//TrainAdmin//FR", subcomponents=[event]).to_ical().decode()


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_the_invitation_is_a_text_calendar_alternative_with_its_method(app, db, smtp, method):
    session = published_session(participants=0)
    outbox.queue_message(
        dedup_key=outbox.calendar_key("seq-12-req-34@trainadmin", 2),
        kind="calendar",
        recipient="paul@example.com",
        subject="Invitation : Management d'équipe",
        body="Votre invitation.",
        session_id=session.id,
        calendar=invitation(method, 2),
    )

    assert delivery.dispatch_tick(commit)["sent"] == 1

    message = smtp.received[0].message
    [alternative] = [part for part in message.walk() if part.get_content_type() == "multipart/alternative"]
    parts = {part.get_content_type(): part for part in alternative.iter_parts()}
    assert list(parts) == ["text/plain", "text/html", "text/calendar"]
    calendar_part = parts["text/calendar"]
    assert calendar_part.get_param("method") == method
    parsed = Calendar.from_ical(calendar_part.get_content())
    assert parsed["METHOD"] == method
    [event] = parsed.walk("VEVENT")
    assert str(event["UID"]) == "seq-12-req-34@trainadmin" and int(event["SEQUENCE"]) == 2
    # The same calendar as an invite.ics attachment, for the clients that read only files.
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == calendar_part.get_payload(decode=True)
    html = unescape(parts["text/html"].get_content())
    assert "Management d'équipe — Séquence 1" in html and "Votre invitation." in html
    assert ("Annulé" in html) == (method == "CANCEL")


def test_a_missing_attachment_fails_that_message_and_the_others_go(app, db, smtp, storage):
    session = published_session(participants=0)
    document = factories.make_document("livret.pdf", session=session)
    from trainadmin.services.documents.storage import document_path

    document_path(document).unlink()
    broken = outbox.queue_message(
        dedup_key="test:broken",
        kind="convocation",
        recipient="a@example.com",
        subject="Convocation",
        body="Bonjour",
        session_id=session.id,
        attachment_ids=[document.id],
    )
    fine = outbox.queue_message(
        dedup_key="test:fine",
        kind="convocation",
        recipient="b@example.com",
        subject="Convocation",
        body="Bonjour",
        session_id=session.id,
    )

    counts = delivery.dispatch_tick(commit)

    assert counts["failed"] == 1 and counts["sent"] == 1
    db.session.refresh(broken)
    db.session.refresh(fine)
    assert broken.state == OutboxState.FAILED and "livret.pdf" in broken.error
    assert fine.state == OutboxState.SENT
    assert [item.rcpt_tos for item in smtp.received] == [["b@example.com"]]


def test_a_refused_recipient_fails_the_message_and_its_schedule_with_the_error(app, db, smtp):
    session = published_session(participants=2)
    schedule = due_schedule(session)
    [refused, accepted] = sorted(r.collaborator.email for r in session_requests(db, session))
    smtp.refuse_recipient(refused, "550 5.1.1 Mailbox unknown")

    counts = delivery.dispatch_tick(commit)

    assert counts["failed"] == 1 and counts["sent"] == 1
    row = outbox_rows(db, recipient=refused)[0]
    assert row.state == OutboxState.FAILED and row.attempts == 1 and "550" in row.error
    db.session.refresh(schedule)
    assert schedule.state == ScheduleState.FAILED
    assert refused in schedule.last_error and "Mailbox unknown" in schedule.last_error
    assert smtp.per_recipient() == {accepted: 1}


# --- Events ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("event_drafts")
def test_enrolment_writes_the_confirmation_and_a_waitlisted_person_gets_it_with_the_seat(app, db):
    session = published_session(participants=0, capacity_max=1)
    rule = make_rule(session, EmailKind.ENROLMENT, subject="Inscription confirmée")
    first, second = factories.make_collaborator(), factories.make_collaborator()

    [seated, waiting], _ = participants.enrol(session, [first.id, second.id], None)

    assert waiting.status == RequestStatus.WAITLISTED
    [row] = outbox_rows(db, rule_id=rule.id)
    assert row.recipient == first.email and row.request_id == seated.id and row.kind == "enrolment"
    assert row.dedup_key == outbox.event_key(rule.id, seated.id, first.email)
    assert row.subject == "Inscription confirmée" and row.state == OutboxState.PENDING

    promoted = participants.cancel_enrolment(seated, "workload", None)

    assert promoted.id == waiting.id
    assert [r.recipient for r in outbox_rows(db, rule_id=rule.id)] == [first.email, second.email]


@pytest.mark.usefixtures("event_drafts")
def test_validation_that_takes_a_seat_writes_the_confirmation(app, db):
    session = published_session(participants=0)
    rule = make_rule(session, EmailKind.ENROLMENT)
    request = factories.make_request(session, status=RequestStatus.PENDING_MANAGER)
    participants.validate(request)
    assert not outbox_rows(db, rule_id=rule.id)  # the manager said yes: not enrolled yet
    participants.validate(request)
    assert request.status == RequestStatus.ENROLLED
    assert [row.recipient for row in outbox_rows(db, rule_id=rule.id)] == [request.collaborator.email]


@pytest.mark.usefixtures("event_drafts")
def test_a_draft_session_or_a_disabled_rule_sends_no_confirmation(app, db):
    draft = factories.make_session()
    make_rule(draft, EmailKind.ENROLMENT)
    participants.enrol(draft, [factories.make_collaborator().id], None)
    published = published_session(participants=0)
    make_rule(published, EmailKind.ENROLMENT, enabled=False)
    participants.enrol(published, [factories.make_collaborator().id], None)
    assert not outbox_rows(db, kind="enrolment")
    # The calendar invitation of the published session still goes (the rule is only the e-mail).
    assert [row.session_id for row in outbox_rows(db, kind="calendar")] == [published.id]


@pytest.mark.usefixtures("event_drafts")
def test_a_broken_confirmation_template_fails_visibly_and_the_enrolment_stands(app, db):
    session = published_session(participants=0)
    rule = make_rule(session, EmailKind.ENROLMENT, body="{{ participant.first_name | nosuchfilter }}")
    collaborator = factories.make_collaborator()

    [request], _ = participants.enrol(session, [collaborator.id], None)

    assert request.status == RequestStatus.ENROLLED
    [row] = outbox_rows(db, rule_id=rule.id)
    assert row.state == OutboxState.FAILED and row.recipient == collaborator.email
    assert "nosuchfilter" in row.error


@pytest.mark.usefixtures("event_drafts")
def test_a_cancelled_session_tells_its_participants_even_as_a_draft(app, db, users):
    session = published_session(participants=2, capacity_max=2)
    session.publication = Publication.DRAFT
    waiting = factories.make_request(session, status=RequestStatus.WAITLISTED)
    refused = factories.make_request(session, status=RequestStatus.REFUSED)
    rule = make_rule(session, EmailKind.CANCELLATION, subject="Session annulée")

    # (with participants enrolled, only an operations manager or an administrator may cancel it)
    change_status(
        session, WorkflowStatus.CANCELLED, users[Role.OPS_MANAGER], utcnow(), reason="Formateur absent"
    )

    rows = outbox_rows(db, rule_id=rule.id)
    told = {row.request_id for row in rows}
    assert len(rows) == 3 and waiting.id in told and refused.id not in told
    assert {row.subject for row in rows} == {"Session annulée"}


@pytest.mark.usefixtures("event_drafts")
def test_enrolling_through_the_admin_queues_and_dispatches_the_confirmation(app, db, login_as):
    client = login_as(Role.MANAGER)
    session = published_session(participants=0)
    make_rule(session, EmailKind.ENROLMENT)
    collaborator = factories.make_collaborator()

    response = post_form(
        client, f"/admin/sessions/enrol/?id={session.id}", {"collaborator_ids": collaborator.id}
    )

    assert response.status_code == 302
    [row] = outbox_rows(db, recipient=collaborator.email, kind="enrolment")
    assert row.state == OutboxState.KEPT  # no Redis: the tick ran right after the save
    [invitation] = outbox_rows(db, recipient=collaborator.email, kind="calendar")
    assert invitation.state == OutboxState.KEPT and "METHOD:REQUEST" in invitation.calendar


# --- « E-mails envoyés » and the dashboard -------------------------------------------------------


def test_sent_emails_list_filters_and_details(app, db, login_as):
    session = published_session(participants=0)
    failed = factories.make_outbox_message(
        session,
        state=OutboxState.FAILED,
        attempts=5,
        error="451 4.3.0 Try again later",
        recipient="refuse@example.com",
        subject="Rappel de votre formation",
    )
    factories.make_outbox_message(
        session, state=OutboxState.SENT, recipient="ok@example.com", kind="calendar"
    )
    client = login_as(Role.MANAGER)

    page = unescape(client.get("/admin/outbox/").get_data(as_text=True))
    assert "refuse@example.com" in page and "ok@example.com" in page
    assert "451 4.3.0 Try again later" in page and session.code in page
    assert "/admin/outbox/new/" not in page and "/admin/outbox/edit/" not in page

    only_failed = unescape(client.get("/admin/outbox/?flt0_state_enumequal=FAILED").get_data(as_text=True))
    assert "refuse@example.com" in only_failed and "ok@example.com" not in only_failed
    calendar = unescape(client.get("/admin/outbox/?flt0_kind_equal=calendar").get_data(as_text=True))
    assert "ok@example.com" in calendar and "refuse@example.com" not in calendar

    details = unescape(client.get(f"/admin/outbox/details/?id={failed.id}").get_data(as_text=True))
    assert "Vous êtes convoqué." in details and "Rappel de votre formation" in details

    assert client.get("/admin/outbox/new/").status_code in (302, 403, 404)
    assert login_as(Role.VIEWER).get("/admin/outbox/").status_code == 403


def test_the_dashboard_counts_failed_emails_and_links_to_them(app, db, login_as):
    session = published_session(participants=0)
    for _ in range(2):
        factories.make_outbox_message(session, state=OutboxState.FAILED, error="550 refused")
    factories.make_outbox_message(session, state=OutboxState.SENT)
    page = login_as(Role.MANAGER).get("/admin/").get_data(as_text=True)
    card = re.search(r'href="([^"]+)" id="card-failed_emails">.*?ta-figure[^>]*>(\d+)<', page, re.S)
    assert card and card.group(2) == "2"
    assert "flt0_state_enumequal=FAILED" in unescape(card.group(1))


# --- Jobs, cron, command, demo loop ---------------------------------------------------------------


def test_with_redis_waking_the_dispatcher_enqueues_a_tick_and_a_burst_worker_sends(
    app, db, smtp, redis_queue
):
    schedule = due_schedule(published_session(participants=3))

    wake.wake_dispatcher()

    [tick] = redis_queue.get_jobs()
    assert tick.func_name == "trainadmin.jobs.notifications.dispatch"
    assert not smtp.received  # nothing sent before a worker runs
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

    assert len(smtp.received) == 3
    _db.session.refresh(schedule)
    assert schedule.state == ScheduleState.SENT


def test_each_full_batch_goes_to_the_workers_while_the_tick_goes_on(app, db, smtp, redis_queue, monkeypatch):
    monkeypatch.setattr(delivery, "SEND_BATCH", 100)  # batches of 250 in production: the same with fewer rows
    for _ in range(3):
        due_schedule(published_session(participants=60))

    counts = delivery.dispatch_tick(commit)

    # 120 messages handed out after the second schedule (2 jobs), the last 60 at the end (1 job).
    assert counts == {"schedules_prepared": 3, "queued": 180, "leased": 180, "jobs": 3}
    assert sorted(len(job.args[0]) for job in redis_queue.get_jobs()) == [20, 60, 100]
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    assert len(smtp.received) == 180 and smtp.connections == 3


def test_the_cron_configuration_runs_the_tick_every_minute(app, db, smtp, redis_queue):
    scheduler = CronScheduler(connection=redis_queue.connection)
    scheduler.load_config_from_file("trainadmin.jobs.cron")
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "trainadmin.jobs.notifications.dispatch",
        "trainadmin.jobs.imports.import_due_partners",
        "trainadmin.jobs.participants.remind_managers_job",
        "trainadmin.jobs.participants.remind_surveys_job",
        "trainadmin.jobs.participants.send_signin_links_job",
    }
    assert jobs["trainadmin.jobs.imports.import_due_partners"].cron == "* * * * *"
    assert jobs["trainadmin.jobs.participants.remind_managers_job"].cron == "7 * * * *"
    cron_job = jobs["trainadmin.jobs.notifications.dispatch"]
    assert cron_job.interval == 60 and cron_job.queue_name == QUEUE_NAME
    due_schedule(published_session(participants=1))

    cron_job.enqueue(redis_queue.connection)
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

    assert len(smtp.received) == 1


def test_dispatch_command_runs_one_tick_and_prints_the_counts(app, db, smtp):
    due_schedule(published_session(participants=2))
    result = app.test_cli_runner().invoke(args=["dispatch"])
    assert result.exit_code == 0, result.output
    assert "due schedules prepared: 1" in result.output and "sent: 2" in result.output
    assert len(smtp.received) == 2


def test_without_redis_the_demo_loop_ticks_in_the_background(app, committed_db):
    schedule_id = due_schedule(published_session(participants=2)).id
    committed_db.session.commit()
    committed_db.session.remove()

    stop = start_periodic_ticks(app, interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            kept = committed_db.session.scalar(
                sa.select(sa.func.count()).where(
                    OutboxMessage.schedule_id == schedule_id, OutboxMessage.state == OutboxState.KEPT
                )
            )
            committed_db.session.remove()
            if kept == 2:
                break
            time.sleep(0.05)
    finally:
        stop()
    assert kept == 2
