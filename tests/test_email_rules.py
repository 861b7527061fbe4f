"""E-mail rules: the default templates, each session's own copy, when each e-mail is due for each
sequence (the guide's 15 May / 27 June example, daylight saving), what it says and to whom, and the
session's « E-mails » tab."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage

from trainadmin.config import ConfigError, load
from trainadmin.extensions import db as _db
from trainadmin.models import (
    EmailAnchor,
    EmailKind,
    EmailRule,
    EmailSchedule,
    EmailTemplate,
    OutboxMessage,
    Publication,
    Role,
    ScheduleState,
    SequenceStatus,
    SessionType,
    Slot,
    SlotDate,
    WorkflowStatus,
)
from trainadmin.services import sessions as session_service
from trainadmin.services.documents.storage import save_upload
from trainadmin.services.errors import DomainError, ValidationFailed
from trainadmin.services.notifications import schedule
from trainadmin.services.notifications.compose import (
    TemplateProblem,
    messages_for_event,
    messages_for_schedule,
)
from trainadmin.services.notifications.default_rules import ensure_templates
from trainadmin.services.notifications.defaults import DEFAULT_TEMPLATES
from trainadmin.services.notifications.rule_texts import rule_text
from trainadmin.services.notifications.rules import (
    copy_rules,
    save_email_template,
    update_rule,
    update_rules,
)
from trainadmin.services.planning import dates as planning

from . import factories
from .conftest import count_rows, field_errors, history_lines, post_form

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rule_of(session, kind: EmailKind) -> EmailRule:
    return _db.session.scalars(
        sa.select(EmailRule).where(EmailRule.session_id == session.id, EmailRule.kind == kind)
    ).one()


def rows_of(rule: EmailRule) -> list[EmailSchedule]:
    return _db.session.scalars(
        sa.select(EmailSchedule)
        .where(EmailSchedule.rule_id == rule.id)
        .order_by(EmailSchedule.due_at, EmailSchedule.id)
    ).all()


def add_slot(sequence, *days: date, **kw) -> Slot:
    """A slot without the factory's refresh: the test decides when the schedule is computed."""
    slot = Slot(sequence=sequence, **kw)
    for day in days:
        slot.dates.append(SlotDate(day=day, start_time=time(9), end_time=time(17), break_minutes=60))
    _db.session.add(slot)
    return slot


def complex_session(*first_days: date, published=True, following_defaults=False, **kw):
    """A published session with one sequence per given day (one slot each), and its e-mail rules;
    `following_defaults`: none of its own yet, as a partner import leaves its drafts."""
    session = factories.make_session(
        publication=Publication.PUBLISHED if published else Publication.DRAFT,
        emails_follow_defaults=following_defaults,
        **kw,
    )
    for position, day in enumerate(first_days):
        sequence = factories.make_sequence(session, label=f"Séquence {position + 1}", position=position)
        add_slot(sequence, day)
    planning.refresh_session(session)
    if not following_defaults:
        copy_rules(session, now=NOW)
    return session


def rules_of(session) -> list[EmailRule]:
    return _db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == session.id)).all()


# --- The templates and each session's copy --------------------------------------------------


def test_default_templates_are_created_once(any_db):
    assert ensure_templates() == len(DEFAULT_TEMPLATES)
    assert ensure_templates() == 0
    kinds = set(any_db.session.scalars(sa.select(EmailTemplate.kind)))
    assert kinds == set(EmailKind)
    convocation = any_db.session.scalars(
        sa.select(EmailTemplate).where(EmailTemplate.kind == EmailKind.CONVOCATION)
    ).one()
    assert (convocation.anchor, convocation.delay_days, convocation.recipients) == (
        EmailAnchor.SEQUENCE_START,
        -7,
        "participants",
    )
    assert "Convocation" in convocation.subject


def test_a_new_session_gets_its_own_copy_of_the_templates(any_db):
    ensure_templates()
    template = factories.make_email_template(EmailKind.REMINDER)
    template.subject = "Demain : {{ sequence.label }}"
    template.enabled = False
    session = session_service.new_session(factories.make_training(), 2027)
    reminder = rule_of(session, EmailKind.REMINDER)
    assert (rule_text(reminder).subject, reminder.enabled, reminder.delay_days) == (
        "Demain : {{ sequence.label }}",
        False,
        -1,
    )
    assert count_rows(any_db, EmailRule) == len(EmailKind)
    template.subject = "Changed later"
    save_email_template(template)  # as « Modèles d'e-mails » saves it
    any_db.session.expire_all()
    assert rule_text(rule_of(session, EmailKind.REMINDER)).subject == "Demain : {{ sequence.label }}"
    copy_rules(session)  # a second time changes nothing
    assert count_rows(any_db, EmailRule) == len(EmailKind)


def test_duplicating_a_session_copies_its_rules(any_db):
    source = session_service.new_session(factories.make_training(), 2027)
    update_rule(rule_of(source, EmailKind.TRAINER_FILE), enabled=False, delay_days=-12, bcc="rh@example.com")
    copy = session_service.duplicate_session(source, 2027, date(2027, 9, 6), date(2027, 9, 10))
    rule = rule_of(copy, EmailKind.TRAINER_FILE)
    assert (rule.enabled, rule.delay_days, rule.bcc) == (False, -12, "rh@example.com")
    assert rule.id != rule_of(source, EmailKind.TRAINER_FILE).id


def test_a_session_created_from_the_admin_form_gets_its_rules(login_as, db):
    training = factories.make_training()
    client = login_as(Role.MANAGER)
    response = post_form(
        client, "/admin/sessions/new/", {"training": str(training.id), "year": "2027", "label": "Nouvelle"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session_id = int(re.search(r"id=(\d+)", response.headers["Location"]).group(1))
    kinds = set(db.session.scalars(sa.select(EmailRule.kind).where(EmailRule.session_id == session_id)))
    assert kinds == set(EmailKind)


# --- When each e-mail is due ------------------------------------------------------------------


def test_the_guides_example_two_sequences_15_may_and_27_june(any_db):
    """« Dossier formateur » 10 days before: sent on 5 May and again on 17 June, at 08:00 in Paris."""
    session = complex_session(date(2027, 5, 15), date(2027, 6, 27))
    rule = rule_of(session, EmailKind.TRAINER_FILE)
    assert rule.delay_days == -10
    rows = rows_of(rule)
    assert [row.due_at for row in rows] == [utc(2027, 5, 5, 6, 0), utc(2027, 6, 17, 6, 0)]
    assert [row.sequence.label for row in rows] == ["Séquence 1", "Séquence 2"]
    assert {row.state for row in rows} == {ScheduleState.PLANNED}


@pytest.mark.parametrize(
    ("anchor_day", "due"),
    [
        # Last Sunday of March 2027 is the 28th: summer time (UTC+2) from then on.
        (date(2027, 3, 30), utc(2027, 3, 29, 6, 0)),  # due on the 29th: 08:00 Paris = 06:00 UTC
        (date(2027, 3, 28), utc(2027, 3, 27, 7, 0)),  # due on the 27th: 08:00 Paris = 07:00 UTC
        (date(2027, 10, 31), utc(2027, 10, 30, 6, 0)),  # due the day before winter time
        (date(2027, 11, 2), utc(2027, 11, 1, 7, 0)),
    ],
)
def test_due_time_keeps_the_local_hour_across_daylight_saving(db, anchor_day, due):
    session = complex_session(anchor_day)
    reminder = rule_of(session, EmailKind.REMINDER)  # 1 day before
    assert schedule.due_time(reminder, session.sequences[0]) == due
    assert rows_of(reminder)[0].due_at == due


def test_send_time_and_end_anchors(db):
    session = complex_session(date(2027, 5, 15))
    sequence = session.sequences[0]
    sequence.hot_survey_enabled = sequence.cold_survey_enabled = True
    sequence.cold_survey_delay_days = 90
    hot, cold = rule_of(session, EmailKind.HOT_SURVEY), rule_of(session, EmailKind.COLD_SURVEY)
    assert schedule.due_time(hot, sequence) == utc(2027, 5, 15, 15, 30)  # 17:30 Paris on the last day
    assert schedule.due_time(cold, sequence) == utc(
        2027, 8, 13, 6, 0
    )  # 90 days after, as set on the sequence
    assert schedule.due_time(rule_of(session, EmailKind.ENROLMENT), sequence) is None


def test_surveys_follow_each_sequences_settings(db):
    session = complex_session(date(2027, 5, 15), date(2027, 6, 27))
    first, second = session.sequences
    first.hot_survey_enabled = True
    schedule.refresh_schedule(session, NOW)
    hot = rows_of(rule_of(session, EmailKind.HOT_SURVEY))
    assert [(row.sequence_id, row.state) for row in hot] == [(first.id, ScheduleState.PLANNED)]
    assert rows_of(rule_of(session, EmailKind.COLD_SURVEY)) == []


def test_prework_gets_no_email_and_inter_no_convocation(db):
    session = complex_session(date(2027, 5, 15), session_type=SessionType.INTER)
    prework = factories.make_sequence(session, label="Pré-work", position=5, is_prework=True)
    add_slot(prework, date(2027, 5, 3))
    planning.refresh_session(session)
    rows = db.session.scalars(
        sa.select(EmailSchedule).join(EmailRule).where(EmailRule.session_id == session.id)
    ).all()
    assert rows and all(row.sequence_id != prework.id for row in rows)
    assert rows_of(rule_of(session, EmailKind.CONVOCATION)) == []
    assert len(rows_of(rule_of(session, EmailKind.REMINDER))) == 1


def test_moving_a_sequence_moves_its_emails(db):
    session = complex_session(date(2027, 5, 15))
    slot = session.sequences[0].slots[0]
    slot.dates[0].day = date(2027, 5, 20)
    planning.refresh_session(session)
    assert rows_of(rule_of(session, EmailKind.CONVOCATION))[0].due_at == utc(2027, 5, 13, 6, 0)


def test_drafts_and_cancelled_sessions_plan_nothing_until_published(db):
    session = complex_session(date(2027, 5, 15), published=False)
    rows = rows_of(rule_of(session, EmailKind.CONVOCATION))
    assert [(row.state, row.due_at) for row in rows] == [(ScheduleState.CANCELLED, utc(2027, 5, 8, 6, 0))]
    admin = factories.make_user(role=Role.ADMIN)
    session_service.set_publication([session], Publication.PUBLISHED, admin)
    assert rows_of(rule_of(session, EmailKind.CONVOCATION))[0].state == ScheduleState.PLANNED
    session_service.change_status(session, WorkflowStatus.CANCELLED, admin, datetime(2027, 1, 10), "Annulée")
    states = {row.state for row in db.session.scalars(sa.select(EmailSchedule))}
    assert states == {ScheduleState.CANCELLED}


def test_a_draft_following_the_defaults_gets_its_rules_when_published(db):
    ensure_templates()
    session = complex_session(date(2027, 5, 15), published=False, following_defaults=True)
    assert rules_of(session) == []
    session_service.set_publication([session], Publication.PUBLISHED, factories.make_user(role=Role.ADMIN))
    assert {rule.kind for rule in rules_of(session)} == set(EmailKind)
    assert not session.emails_follow_defaults
    [row] = rows_of(rule_of(session, EmailKind.CONVOCATION))
    assert (row.state, row.due_at) == (ScheduleState.PLANNED, utc(2027, 5, 8, 6, 0))


def test_a_draft_following_the_defaults_sends_its_cancellation(db):
    """A cancellation is the one e-mail a draft sends: the default one, when it has none of its own."""
    ensure_templates()
    session = complex_session(date(2027, 5, 15), published=False, following_defaults=True)
    request = factories.enrol(session)
    admin = factories.make_user(role=Role.ADMIN)
    session_service.change_status(session, WorkflowStatus.CANCELLED, admin, datetime(2027, 1, 10), "Annulée")
    sent = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.request_id == request.id)).all()
    assert [message.kind for message in sent] == [EmailKind.CANCELLATION.value]
    assert rule_of(session, EmailKind.CANCELLATION).id == sent[0].rule_id


def test_a_cancelled_sequence_gets_no_email(db):
    session = complex_session(date(2027, 5, 15), date(2027, 6, 27))
    session.sequences[1].status = SequenceStatus.CANCELLED
    schedule.refresh_schedule(session, NOW)
    states = [row.state for row in rows_of(rule_of(session, EmailKind.CONVOCATION))]
    assert states == [ScheduleState.PLANNED, ScheduleState.CANCELLED]


def test_ne_pas_envoyer_stays_cancelled_when_dates_change(db):
    session = complex_session(date(2027, 5, 15))
    row = rows_of(rule_of(session, EmailKind.CONVOCATION))[0]
    schedule.skip(row)
    session.sequences[0].slots[0].dates[0].day = date(2027, 5, 18)
    planning.refresh_session(session)
    assert (row.state, row.skipped, row.due_at) == (ScheduleState.CANCELLED, True, utc(2027, 5, 11, 6, 0))
    schedule.replan(row, NOW)
    assert (row.state, row.skipped) == (ScheduleState.PLANNED, False)


def test_a_sent_reminder_is_rearmed_when_its_sequence_moves_later(db):
    session = complex_session(date(2027, 5, 15))
    row = rows_of(rule_of(session, EmailKind.CONVOCATION))[0]
    row.state, row.sent_at = ScheduleState.SENT, row.due_at
    day = session.sequences[0].slots[0].dates[0]
    day.day = date(2027, 5, 12)  # earlier: what was sent stays sent
    planning.refresh_session(session)
    assert (row.state, row.due_at) == (ScheduleState.SENT, utc(2027, 5, 8, 6, 0))
    day.day = date(2027, 6, 1)  # later: sent again for the new dates
    planning.refresh_session(session)
    assert (row.state, row.due_at) == (ScheduleState.PLANNED, utc(2027, 5, 25, 6, 0))


def move(sequence, day: date) -> None:
    """The sequence's dates as the planning service derives them from its slots."""
    sequence.start_date = sequence.end_date = day


def test_a_due_time_moved_into_the_past_is_missed_not_sent_late(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINADMIN_MISSED_GRACE_HOURS", 12)
    session = complex_session(date(2027, 5, 15))
    convocation = rows_of(rule_of(session, EmailKind.CONVOCATION))[0]  # 7 days before, 08:00 Paris
    reminder = rows_of(rule_of(session, EmailKind.REMINDER))[0]  # the day before
    now = utc(2027, 5, 6, 12, 0)
    move(session.sequences[0], date(2027, 5, 13))  # the convocation is now 6 hours late: within the grace
    schedule.refresh_schedule(session, now)
    assert (convocation.state, convocation.due_at) == (ScheduleState.PLANNED, utc(2027, 5, 6, 6, 0))
    assert (reminder.state, reminder.due_at) == (ScheduleState.PLANNED, utc(2027, 5, 12, 6, 0))
    move(session.sequences[0], date(2027, 5, 5))  # the reminder would be 2 days late
    schedule.refresh_schedule(session, now)
    assert (reminder.state, reminder.due_at) == (ScheduleState.MISSED, utc(2027, 5, 4, 6, 0))
    # The convocation was already due: it is the dispatcher's now, a later change leaves it alone.
    assert (convocation.state, convocation.due_at) == (ScheduleState.PLANNED, utc(2027, 5, 6, 6, 0))
    move(session.sequences[0], date(2027, 6, 5))  # moved back to the future: planned again
    schedule.refresh_schedule(session, now)
    assert (reminder.state, reminder.due_at) == (ScheduleState.PLANNED, utc(2027, 6, 4, 6, 0))


def test_send_now_and_its_refusals(db):
    session = complex_session(date(2027, 5, 15))
    row = rows_of(rule_of(session, EmailKind.CONVOCATION))[0]
    schedule.skip(row)
    schedule.send_now(row, NOW)
    assert (row.state, row.due_at, row.skipped) == (ScheduleState.PLANNED, NOW, False)
    schedule.refresh_schedule(session, NOW + timedelta(seconds=30))  # another change: still sent now
    assert (row.state, row.due_at) == (ScheduleState.PLANNED, NOW)
    session.publication = Publication.DRAFT
    with pytest.raises(DomainError):
        schedule.send_now(row, NOW)


def test_refreshing_the_schedule_does_not_grow_in_queries(db, count_queries):
    small = complex_session(date(2027, 5, 15))
    large = complex_session(*(date(2027, 5, 1) + timedelta(days=7 * n) for n in range(12)))
    counts = []
    for session in (small, large):
        for sequence in session.sequences:
            sequence.slots[0].dates[0].day += timedelta(days=1)
        db.session.flush()
        with count_queries() as counter:
            schedule.refresh_schedule(session, NOW)
        counts.append(counter.count)
    assert counts[0] == counts[1] and counts[0] <= 5, counts


# --- Changing a rule --------------------------------------------------------------------------


def test_update_rule_cleans_the_addresses(db):
    session = complex_session(date(2027, 5, 15))
    rule = update_rule(
        rule_of(session, EmailKind.CONVOCATION),
        extra_recipients="RH@Example.com; manager@example.com\nrh@example.com",
        bcc="archive@example.com , ",
        delay_days="-3",
    )
    assert (rule.extra_recipients, rule.bcc, rule.delay_days) == (
        "rh@example.com, manager@example.com",
        "archive@example.com",
        -3,
    )
    assert rows_of(rule)[0].due_at == utc(2027, 5, 12, 6, 0)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"extra_recipients": "not an address"}, "extra_recipients"),
        ({"bcc": "a@example.com, b@@example.com"}, "bcc"),
        ({"bcc": ", ".join(f"p{n}@example.com" for n in range(51))}, "bcc"),
        ({"delay_days": 366}, "delay_days"),
        ({"delay_days": "-400"}, "delay_days"),
        ({"delay_days": "dix"}, "delay_days"),
        ({"body": "Bonjour {{ participant.surname }}"}, "body"),
        ({"body": "Bonjour {{ sessoin.label }}"}, "body"),
        ({"subject": "{% if %}"}, "subject"),
        ({"body": "{{ comments.trainer_comment }}"}, "body"),  # not a comment of the convocation
        ({"body": "{{ ''.__class__.__mro__ }}"}, "body"),
        ({"subject": "   "}, "subject"),
        ({"body": "{{ 'x' * 100000000 }}"}, "body"),  # nothing that holds a worker for long
        ({"body": "{% for i in range(10) %}{% endfor %}"}, "body"),
    ],
)
def test_bad_rule_values_are_refused_and_nothing_is_saved(any_db, values, field):
    session = complex_session(date(2027, 5, 15))
    rule = rule_of(session, EmailKind.CONVOCATION)
    before = (rule.extra_recipients, rule.bcc, rule.delay_days, rule.subject, rule.body)
    with force_locale("en"), pytest.raises(ValidationFailed) as refused:
        update_rule(rule, enabled=False, **values)
    assert set(refused.value.errors) == {field}
    assert refused.value.errors[field]
    assert (rule.extra_recipients, rule.bcc, rule.delay_days, rule.subject, rule.body) == before
    assert rule.enabled is True


def test_unknown_variables_are_named_in_the_message(db):
    rule = rule_of(complex_session(date(2027, 5, 15)), EmailKind.CONVOCATION)
    with force_locale("en"), pytest.raises(ValidationFailed) as refused:
        update_rule(rule, body="Bonjour {{ participant.surname }}")
    assert "surname" in refused.value.errors["body"]


def test_update_rules_is_all_or_nothing(db):
    session = complex_session(date(2027, 5, 15))
    convocation, reminder = rule_of(session, EmailKind.CONVOCATION), rule_of(session, EmailKind.REMINDER)
    with pytest.raises(ValidationFailed) as refused:
        update_rules(
            session,
            {convocation.id: {"enabled": False}, reminder.id: {"enabled": True, "bcc": "nope"}},
        )
    assert set(refused.value.errors) == {f"rule-{reminder.id}-bcc"}
    assert convocation.enabled is True
    update_rules(session, {convocation.id: {"enabled": False}})
    assert rows_of(convocation)[0].state == ScheduleState.CANCELLED
    assert history_lines(session.id)[0] == "Modification — E-mail « Convocation » : Activé : Oui → Non"


# --- What the e-mails say, and to whom ------------------------------------------------------------


def test_convocation_drafts_with_comments_dates_bcc_and_attachments(any_db, storage):
    session = complex_session(date(2027, 5, 15), convocation_comment="Venir avec son ordinateur")
    anna = factories.make_collaborator(first_name="Anna", last_name="Roy", email="Anna.Roy@Example.com")
    request = factories.enrol(session, anna)
    factories.enrol(session)
    rule = update_rule(
        rule_of(session, EmailKind.CONVOCATION), bcc="archive@example.com, anna.roy@example.com"
    )
    document_type = factories.make_named(factories.DocumentType)
    own = save_upload(
        FileStorage(stream=BytesIO(factories.PDF_BYTES), filename="plan.pdf"),
        document_type_id=document_type.id,
        user=None,
        email_rule=rule,
    )
    shared = save_upload(
        FileStorage(stream=BytesIO(factories.PDF_BYTES), filename="reglement.pdf"),
        document_type_id=document_type.id,
        user=None,
        email_template=factories.make_email_template(EmailKind.CONVOCATION),
    )
    other = factories.make_email_template(EmailKind.REMINDER)
    save_upload(
        FileStorage(stream=BytesIO(factories.PDF_BYTES), filename="autre.pdf"),
        document_type_id=document_type.id,
        user=None,
        email_template=other,
    )
    drafts = messages_for_schedule(rows_of(rule)[0])
    assert len(drafts) == 2
    mine = next(d for d in drafts if d.recipient == "anna.roy@example.com")
    assert mine.request_id == request.id
    assert mine.body.startswith("Bonjour Anna,")
    assert "samedi 15 mai 2027, de 09h00 à 17h00" in mine.body
    assert "Venir avec son ordinateur" in mine.body
    assert "le 15/05/2027" in mine.subject
    assert mine.bcc == "archive@example.com"  # the recipient is not copied to herself
    assert mine.attachment_ids == [own.id, shared.id]


def test_trainers_organisation_and_location_recipients(db):
    organisation = factories.make_named(factories.TrainingOrganisation, email="contact@of.example.com")
    session = complex_session(date(2027, 5, 15), organisation=organisation, organisation_comment="Facturer")
    location = factories.make_location(contact_email="Accueil@Lieu.example.com", contact_name="Accueil")
    slot = session.sequences[0].slots[0]
    slot.location = location
    slot.host_email, slot.host_name = "gardien@lieu.example.com", "Gardien"
    slot.trainers = [factories.make_trainer(email="formatrice@example.com", first_name="Inès")]
    slot.co_trainer = factories.make_trainer(email="co@example.com")
    slot.trainer_comment, slot.location_comment = "Prévoir un paperboard", "Badge à l'accueil"
    db.session.flush()
    by_kind = {
        kind: messages_for_schedule(rows_of(rule_of(session, kind))[0])
        for kind in (EmailKind.TRAINER_FILE, EmailKind.ORGANISATION, EmailKind.LOCATION)
    }
    trainer_file = by_kind[EmailKind.TRAINER_FILE]
    assert [d.recipient for d in trainer_file] == ["formatrice@example.com", "co@example.com"]
    assert "Prévoir un paperboard" in trainer_file[0].body and "Badge" not in trainer_file[0].body
    assert [d.recipient for d in by_kind[EmailKind.ORGANISATION]] == ["contact@of.example.com"]
    assert "Facturer" in by_kind[EmailKind.ORGANISATION][0].body
    assert [d.recipient for d in by_kind[EmailKind.LOCATION]] == [
        "accueil@lieu.example.com",
        "gardien@lieu.example.com",
    ]
    assert "Badge à l'accueil" in by_kind[EmailKind.LOCATION][0].body


def test_added_recipients_once_each_and_lower_cased(db):
    session = complex_session(date(2027, 5, 15))
    person = factories.make_collaborator(email="paul@example.com")
    factories.enrol(session, person)
    rule = update_rule(
        rule_of(session, EmailKind.REMINDER), extra_recipients="PAUL@example.com, rh@example.com"
    )
    drafts = messages_for_schedule(rows_of(rule)[0])
    assert [d.recipient for d in drafts] == ["paul@example.com", "rh@example.com"]
    assert drafts[1].body.startswith("Bonjour,")  # not a participant: no first name


def test_enrolment_confirmation_goes_to_that_participant_only(db):
    session = complex_session(date(2027, 5, 15), date(2027, 6, 27))
    first = factories.enrol(session)
    factories.enrol(session)
    drafts = messages_for_event(rule_of(session, EmailKind.ENROLMENT), first)
    assert [d.recipient for d in drafts] == [first.collaborator.email]
    assert "samedi 15 mai 2027" in drafts[0].body and "dimanche 27 juin 2027" in drafts[0].body
    session.publication = Publication.DRAFT
    assert messages_for_event(rule_of(session, EmailKind.ENROLMENT), first) == []
    assert len(messages_for_event(rule_of(session, EmailKind.CANCELLATION), first)) == 1


def test_a_template_error_at_send_time_fails_that_message(db):
    session = complex_session(date(2027, 5, 15))
    factories.enrol(session)
    rule = rule_of(session, EmailKind.CONVOCATION)
    rule.body = "Bonjour {{ participant.surname }}"  # written around the checks (an old row, a script)
    with force_locale("en"):
        [draft] = messages_for_schedule(rows_of(rule)[0])
    assert draft.error == "Body: Unknown variable in the template: surname."
    rule.body = "Bonjour {% if %}"  # one that does not even compile fails the whole schedule
    with force_locale("en"), pytest.raises(TemplateProblem) as problem:
        messages_for_schedule(rows_of(rule)[0])
    assert "Template error at line 1" in problem.value.message


# --- Configuration ------------------------------------------------------------------------------


def test_missed_grace_hours_from_the_environment(tmp_path):
    assert load(tmp_path, environ={})["TRAINADMIN_MISSED_GRACE_HOURS"] == 12
    assert (
        load(tmp_path, environ={"TRAINADMIN_MISSED_GRACE_HOURS": "0"})["TRAINADMIN_MISSED_GRACE_HOURS"] == 0
    )
    for bad in ("douze", "-1", "721"):
        with pytest.raises(ConfigError, match="TRAINADMIN_MISSED_GRACE_HOURS"):
            load(tmp_path, environ={"TRAINADMIN_MISSED_GRACE_HOURS": bad})


# --- The « E-mails » tab -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english(request):
    """Messages are checked in English: they stay true once the French catalogue is filled."""
    if "users" in request.fixturenames:
        for user in request.getfixturevalue("users").values():
            user.locale = "en"


def tab(client, session) -> str:
    response = client.get(f"/admin/sessions/details/?id={session.id}&tab=emails")
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def line_html(page: str, rule: EmailRule, sequence) -> str:
    match = re.search(
        rf'<tr class="ta-email-line" id="rule-{rule.id}-sequence-{sequence.id}".*?</tr>', page, re.S
    )
    assert match, f"no line for rule {rule.kind} and sequence {sequence.label}"
    return match.group(0)


def test_the_tab_shows_each_rule_and_each_sequence_with_its_colour(login_as, db):
    session = complex_session(date(2027, 5, 15), date(2027, 6, 27))
    factories.enrol(session)
    first, second = session.sequences
    convocation = rule_of(session, EmailKind.CONVOCATION)
    late, upcoming = rows_of(convocation)
    late.state, late.due_at = ScheduleState.MISSED, utc(2026, 1, 5, 7, 0)
    failed = rows_of(rule_of(session, EmailKind.REMINDER))[0]
    failed.state, failed.last_error = ScheduleState.FAILED, "550 mailbox unavailable"
    failed.due_at = utc(2026, 1, 4, 7, 0)
    sent = rows_of(rule_of(session, EmailKind.TRAINER_FILE))[0]
    sent.state, sent.sent_at, sent.recipient_count = ScheduleState.SENT, utc(2026, 1, 1), 3
    prework = factories.make_sequence(session, label="Pré-work", position=9, is_prework=True)
    db.session.flush()

    page = tab(login_as(Role.MANAGER), session)
    assert 'id="session-tabs"' in page and 'data-tab="emails"' in page
    missed = line_html(page, convocation, first)
    assert "ta-due-late" in missed and "text-danger" in missed and "05/01/2026 08:00" in missed
    coming = line_html(page, convocation, second)
    assert "ta-due-upcoming" in coming and "text-success" in coming and "20/06/2027 08:00" in coming
    assert re.search(r'ta-recipient-count">\s*1\s*<', coming)
    reminder = line_html(page, rule_of(session, EmailKind.REMINDER), first)
    assert "550 mailbox unavailable" in reminder and "ta-due-late" in reminder
    trainer = line_html(page, rule_of(session, EmailKind.TRAINER_FILE), first)
    assert "ta-due-sent" in trainer and re.search(r'ta-recipient-count">\s*3\s*<', trainer)
    assert "Calendar event only" in line_html(page, convocation, prework)
    for kind in (EmailKind.ENROLMENT, EmailKind.CANCELLATION):
        assert f'id="rule-{rule_of(session, kind).id}"' in page
    assert 'id="save-email-rules"' in page and 'id="calendar-invitations"' in page


def test_inter_convocations_are_sent_from_the_demande(login_as, db):
    session = complex_session(date(2027, 5, 15), session_type=SessionType.INTER)
    page = tab(login_as(Role.MANAGER), session)
    convocation = rule_of(session, EmailKind.CONVOCATION)
    assert f'id="rule-{convocation.id}-from-demande"' in page
    assert f'id="rule-{convocation.id}-sequence-' not in page


def form_of(session) -> dict:
    """What the tab posts when nothing is changed."""
    data = {}
    for rule in _db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == session.id)):
        prefix = f"rule-{rule.id}-"
        data[prefix + "present"] = "1"
        if rule.enabled:
            data[prefix + "enabled"] = "y"
        data[prefix + "delay_days"] = str(rule.delay_days)
        data[prefix + "extra_recipients"] = rule.extra_recipients or ""
        data[prefix + "bcc"] = rule.bcc or ""
        data[prefix + "subject"] = rule_text(rule).subject
        data[prefix + "body"] = rule_text(rule).body
    return data


def test_save_all_the_rules_at_once(login_as, db):
    session = complex_session(date(2027, 5, 15))
    convocation, reminder = rule_of(session, EmailKind.CONVOCATION), rule_of(session, EmailKind.REMINDER)
    data = form_of(session)
    del data[f"rule-{convocation.id}-enabled"]
    data[f"rule-{reminder.id}-delay_days"] = "-2"
    data[f"rule-{reminder.id}-extra_recipients"] = "rh@example.com; Direction@example.com"
    response = post_form(login_as(Role.MANAGER), f"/admin/sessions/emails/rules/?id={session.id}", data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"id={session.id}&tab=emails")
    db.session.expire_all()
    assert convocation.enabled is False and rows_of(convocation)[0].state == ScheduleState.CANCELLED
    assert (reminder.delay_days, reminder.extra_recipients) == (-2, "rh@example.com, direction@example.com")
    assert rows_of(reminder)[0].due_at == utc(2027, 5, 13, 6, 0)
    history = unescape(
        login_as(Role.MANAGER)
        .get(f"/admin/sessions/details/?id={session.id}&tab=history")
        .get_data(as_text=True)
    )
    assert "E-mail « Joining instructions »" in history and "Added recipients" in history


def test_bad_rules_show_messages_next_to_the_fields_and_save_nothing(login_as, db):
    session = complex_session(date(2027, 5, 15))
    convocation, reminder = rule_of(session, EmailKind.CONVOCATION), rule_of(session, EmailKind.REMINDER)
    data = form_of(session)
    del data[f"rule-{convocation.id}-enabled"]  # a valid change, not saved either
    data[f"rule-{reminder.id}-bcc"] = "archive@example.com, pas-une-adresse"
    data[f"rule-{reminder.id}-delay_days"] = "500"
    data[f"rule-{reminder.id}-body"] = "{{ session.nope }}"
    response = post_form(login_as(Role.MANAGER), f"/admin/sessions/emails/rules/?id={session.id}", data)
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    for field in ("bcc", "delay_days", "body"):
        assert re.search(rf'data-for="rule-{reminder.id}-{field}">[^<]+<', page), field
    assert "pas-une-adresse" in re.search(rf'data-for="rule-{reminder.id}-bcc">([^<]+)<', page).group(1)
    assert "nope" in re.search(rf'data-for="rule-{reminder.id}-body">([^<]+)<', page).group(1)
    assert re.search(rf'name="rule-{reminder.id}-bcc"[^>]*>archive@example.com, pas-une-adresse<', page)
    assert not re.search(rf'id="rule-{convocation.id}-enabled"[^>]*checked', page)  # the user's choice kept
    db.session.expire_all()
    assert convocation.enabled is True and reminder.bcc is None and reminder.delay_days == -1


def test_send_now_and_do_not_send_from_the_tab(login_as, db):
    session = complex_session(date(2027, 5, 15), date(2027, 6, 27))
    client = login_as(Role.MANAGER)
    row = rows_of(rule_of(session, EmailKind.CONVOCATION))[1]
    response = post_form(client, f"/admin/sessions/emails/skip/?id={session.id}&schedule={row.id}", {})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"#rule-{row.rule_id}-sequence-{row.sequence_id}"
    )
    db.session.expire_all()
    assert (row.state, row.skipped) == (ScheduleState.CANCELLED, True)
    before = datetime.now(UTC)
    post_form(client, f"/admin/sessions/emails/send-now/?id={session.id}&schedule={row.id}", {})
    db.session.expire_all()
    assert not row.skipped and before <= row.due_at <= datetime.now(UTC)
    # Without Redis the dispatcher runs right after the save: the e-mail is already gone.
    assert row.state == ScheduleState.SENT and row.sent_at is not None
    page = tab(client, session)
    assert 'data-state="sent"' in line_html(page, row.rule, row.sequence)


def test_row_actions_refuse_foreign_or_bad_ids(login_as, db):
    session, other = complex_session(date(2027, 5, 15)), complex_session(date(2027, 6, 15))
    foreign = rows_of(rule_of(other, EmailKind.CONVOCATION))[0]
    client = login_as(Role.MANAGER)
    for schedule_id in (str(foreign.id), "abc", "99999999999999", ""):
        url = f"/admin/sessions/emails/send-now/?id={session.id}&schedule={schedule_id}"
        assert post_form(client, url, {}).status_code == 404
    assert post_form(client, "/admin/sessions/emails/rules/?id=999999", {}).status_code == 404
    foreign_rule = {f"rule-{foreign.rule_id}-present": "1"}  # another session's rule: refused, named
    response = post_form(client, f"/admin/sessions/emails/rules/?id={session.id}", foreign_rule)
    assert "This e-mail rule does not belong to the session." in unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert foreign.state == ScheduleState.PLANNED


def test_send_now_on_a_draft_is_refused_with_a_message(login_as, db):
    session = complex_session(date(2027, 5, 15), published=False)
    row = rows_of(rule_of(session, EmailKind.CONVOCATION))[0]
    client = login_as(Role.MANAGER)
    response = post_form(client, f"/admin/sessions/emails/send-now/?id={session.id}&schedule={row.id}", {})
    assert response.status_code == 302
    assert "Publish the session before sending its e-mails." in unescape(
        client.get(response.headers["Location"]).get_data(as_text=True)
    )
    db.session.expire_all()
    assert row.state == ScheduleState.CANCELLED


def test_the_viewer_reads_and_changes_nothing(login_as, db):
    session = complex_session(date(2027, 5, 15))
    viewer = login_as(Role.VIEWER)
    page = tab(viewer, session)
    convocation = rule_of(session, EmailKind.CONVOCATION)
    assert re.search(rf'id="rule-{convocation.id}-enabled"[^>]*disabled', page)
    assert 'id="save-email-rules"' not in page and "ta-send-now" not in page
    row = rows_of(convocation)[0]
    for url in (
        f"/admin/sessions/emails/rules/?id={session.id}",
        f"/admin/sessions/emails/settings/?id={session.id}",
        f"/admin/sessions/emails/send-now/?id={session.id}&schedule={row.id}",
        f"/admin/sessions/emails/skip/?id={session.id}&schedule={row.id}",
    ):
        assert post_form(viewer, url, form_of(session)).status_code == 403, url


def test_calendar_invitations_follow_the_enrolment_lock(login_as, db):
    session = complex_session(date(2027, 5, 15))
    factories.enrol(session)
    url = f"/admin/sessions/emails/settings/?id={session.id}"
    assert post_form(login_as(Role.MANAGER), url, {}).status_code == 403
    db.session.expire_all()
    assert session.calendar_invitations is True
    ops = login_as(Role.OPS_MANAGER)
    post_form(ops, url, {})  # no reason given: refused with a message
    db.session.expire_all()
    assert session.calendar_invitations is True
    assert post_form(ops, url, {"change_reason": "Demande du client"}).status_code == 302
    db.session.expire_all()
    assert session.calendar_invitations is False
    assert history_lines(session.id)[0] == (
        "Modification : Invitations calendrier : Oui → Non [Demande du client]"
    )


def test_rule_attachments_from_the_tab(login_as, db, storage):
    session = complex_session(date(2027, 5, 15))
    rule = rule_of(session, EmailKind.CONVOCATION)
    document_type = factories.make_named(factories.DocumentType)
    client = login_as(Role.MANAGER)
    for name in ("plan.pdf", "acces.pdf"):
        response = client.post(
            "/admin/documents/upload/",
            data={
                "csrf_token": client.csrf,
                "owner": "email_rule",
                "owner_id": str(rule.id),
                "document_type_id": str(document_type.id),
                "file": (BytesIO(factories.PDF_BYTES), name),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        assert "tab=emails" in response.headers["Location"]
    attachments = re.search(rf'id="rule-{rule.id}-attachments".*?</ul>', tab(client, session), re.S).group(0)
    assert "plan.pdf" in attachments and "acces.pdf" in attachments


def test_duplicating_a_session_copies_its_e_mail_attachments_as_files_of_their_own(db, storage):
    from trainadmin.services.documents import delete_document, document_path, documents_of
    from trainadmin.services.sessions import duplicate_session

    source = complex_session(date(2027, 5, 15))
    rule = rule_of(source, EmailKind.CONVOCATION)
    original = factories.make_document("plan d'accès.pdf", email_rule=rule)

    copy = duplicate_session(source, 2028, date(2028, 5, 15), date(2028, 5, 16))

    copied_rule = rule_of(copy, EmailKind.CONVOCATION)
    [copied] = documents_of(email_rule_ids=[copied_rule.id])
    assert (copied.original_name, copied.document_type_id) == ("plan d'accès.pdf", original.document_type_id)
    assert copied.stored_name != original.stored_name
    assert document_path(copied).read_bytes() == document_path(original).read_bytes()
    original_path = document_path(original)
    delete_document(copied)
    db.session.commit()
    assert original_path.is_file() and documents_of(email_rule_ids=[rule.id]) == [original]


def test_the_tab_runs_a_constant_number_of_queries(login_as, db, count_queries):
    small = complex_session(date(2027, 5, 15))
    large = complex_session(*(date(2027, 5, 3) + timedelta(days=7 * n) for n in range(10)))
    for session, people, trainers in ((small, 1, 1), (large, 8, 3)):
        for _ in range(people):
            factories.enrol(session)
        for sequence in session.sequences:
            slot = sequence.slots[0]
            slot.trainers = [factories.make_trainer() for _ in range(trainers)]
            slot.co_trainer = factories.make_trainer()
            slot.location, slot.organisation = (
                factories.make_location(),
                factories.make_named(factories.TrainingOrganisation),
            )
    db.session.flush()
    client = login_as(Role.MANAGER)
    tab(client, small)
    counts = []
    for session in (small, large):
        with count_queries() as counter:
            tab(client, session)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_a_session_following_the_defaults_shows_them_and_saves_a_change(login_as, db):
    """An import's draft has no rules of its own: its tab shows the default e-mails, ready to be
    changed for that session only; showing them is no edit of the session."""
    ensure_templates()
    session = complex_session(date(2027, 5, 15), published=False, following_defaults=True)
    version = session.version
    client = login_as(Role.MANAGER)
    page = tab(client, session)
    assert 'id="no-email-rules"' not in page
    convocation = rule_of(session, EmailKind.CONVOCATION)
    assert f'name="rule-{convocation.id}-delay_days" value="-7"' in page
    data = form_of(session)
    data[f"rule-{convocation.id}-delay_days"] = "-3"
    response = post_form(client, f"/admin/sessions/emails/rules/?id={session.id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert rule_of(session, EmailKind.CONVOCATION).delay_days == -3
    assert (session.emails_follow_defaults, session.version) == (False, version)
    other = complex_session(date(2027, 5, 15), published=False)
    assert rule_of(other, EmailKind.CONVOCATION).delay_days == -7


def test_a_session_without_rules_takes_the_defaults(login_as, db):
    session = factories.make_session()
    client = login_as(Role.MANAGER)
    assert 'id="no-email-rules"' in tab(client, session)
    assert post_form(client, f"/admin/sessions/emails/defaults/?id={session.id}", {}).status_code == 302
    assert count_rows(db, EmailRule) == len(EmailKind)


# --- « Modèles d'e-mails » -------------------------------------------------------------------------


def test_only_administrators_change_the_templates(login_as, db, storage):
    template = factories.make_email_template(EmailKind.LOCATION)
    url = f"/admin/email_templates/edit/?id={template.id}"
    manager = login_as(Role.MANAGER)
    assert manager.get(f"/admin/email_templates/details/?id={template.id}").status_code == 200
    assert post_form(manager, url, {"name": "x"}).status_code == 403
    document_type = factories.make_named(factories.DocumentType)

    def upload(client):
        data = {
            "csrf_token": client.csrf,
            "owner": "email_template",
            "owner_id": str(template.id),
            "document_type_id": str(document_type.id),
            "file": (BytesIO(factories.PDF_BYTES), "plan.pdf"),
        }
        return client.post("/admin/documents/upload/", data=data, content_type="multipart/form-data")

    refused = upload(manager)
    assert refused.status_code == 403

    admin = login_as(Role.ADMIN)
    page = unescape(admin.get(url).get_data(as_text=True))
    assert "{{ comments.location_comment }}" in page and "{{ sequence.place }}" in page
    assert "{{ comments.trainer_comment }}" not in page
    data = {
        "name": "Lieu",
        "enabled": "y",
        "recipients": ["location"],
        "delay_days": "-5",
        "send_time": "07:30",
        "subject": "Accueil {{ session.code }}",
        "body": "Bonjour {{ sequence.nope }}",
    }
    response = post_form(admin, url, {**data, "delay_days": "400"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html, "body") == ["Unknown variable in the template: nope."]
    assert field_errors(html, "delay_days") == ["Enter a number of days between -365 and 365."]
    db.session.expire_all()
    assert template.delay_days == -7
    response = post_form(admin, url, {**data, "body": "Bonjour, {{ comments.location_comment }}"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (template.delay_days, template.send_time, template.body) == (
        -5,
        time(7, 30),
        "Bonjour, {{ comments.location_comment }}",
    )
    uploaded = upload(admin)
    assert uploaded.status_code == 302
    assert "plan.pdf" in admin.get(url).get_data(as_text=True)
