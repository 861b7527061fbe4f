"""Surveys answered by link, as services: each participant's personal link (bound to their demande
and one survey, one use, 60 days), the answer it records, anonymous evaluations, who has not
answered yet, the results with their response rate, and `{{ survey_url }}` in the survey e-mails.

The pages themselves are in test_survey_link_pages.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from trainadmin.models import (
    AccessLink,
    EmailAnchor,
    EmailKind,
    LinkPurpose,
    OutboxMessage,
    RequestStatus,
    ScheduleState,
    SurveyKind,
    SurveyResponse,
)
from trainadmin.models.types import utcnow
from trainadmin.services import links
from trainadmin.services.errors import ValidationFailed
from trainadmin.services.evaluations import (
    SURVEY_LINK_DAYS,
    SurveyUnavailable,
    add_response,
    already_answered,
    answer_survey,
    participants_without_answer,
    results,
    survey_link,
)
from trainadmin.services.notifications import delivery
from trainadmin.services.notifications.render import check_template
from trainadmin.transaction import commit

from . import factories
from .conftest import count_rows
from .delivery_support import due_schedule, published_session

QUESTIONS = "Clarté des explications\nUtilité au poste\nRythme, durée"
ALL_GOOD = {"Clarté des explications": "4", "Utilité au poste": "5", "Rythme, durée": "3"}


def fr(text: str, **variables) -> str:
    with force_locale("fr"):
        return gettext(text, **variables)


def evaluated_session(enrolled: int = 2, anonymous: bool = False, **kw):
    """A session whose evaluation has QUESTIONS, with one sequence and `enrolled` participants."""
    evaluation = factories.make_named(factories.Evaluation, questions=QUESTIONS, anonymous=anonymous)
    session = factories.make_session(evaluation=evaluation, **kw)
    sequence = factories.make_sequence(session)
    demandes = [factories.enrol(session) for _ in range(enrolled)]
    return session, sequence, demandes


def token_of(url: str) -> str:
    return url.rsplit("/l/", 1)[1]


def link_of(url: str) -> AccessLink:
    return links.find(token_of(url), LinkPurpose.SURVEY)


# --- The link ------------------------------------------------------------------------------------


def test_each_participant_gets_a_link_bound_to_their_demande_and_the_survey(any_app, any_db):
    session, sequence, (demande, _) = evaluated_session()
    url = survey_link(demande, SurveyKind.HOT, sequence)

    assert url.startswith(any_app.config["TRAINADMIN_PUBLIC_URL"] + "/l/")
    link = link_of(url)
    assert (link.purpose, link.request_id, link.survey_kind, link.sequence_id) == (
        LinkPurpose.SURVEY,
        demande.id,
        SurveyKind.HOT,
        sequence.id,
    )
    assert link.recipient == demande.collaborator.email
    assert link.expires_at - link.created_at == timedelta(days=SURVEY_LINK_DAYS)
    stored = any_db.session.execute(sa.select(AccessLink.__table__)).one()._mapping
    assert token_of(url) not in {str(value) for value in stored.values()}  # only its hash is kept


def test_a_new_link_replaces_the_participants_unused_one_for_that_survey_only(any_db):
    session, sequence, (demande, other) = evaluated_session()
    first = survey_link(demande, SurveyKind.HOT, sequence)
    cold = survey_link(demande, SurveyKind.COLD, sequence)
    whole = survey_link(demande, SurveyKind.SESSION)
    others = survey_link(other, SurveyKind.HOT, sequence)
    second = survey_link(demande, SurveyKind.HOT, sequence)  # a reminder, say
    any_db.session.expire_all()

    with pytest.raises(links.LinkRefused) as refused:
        link_of(first)
    assert refused.value.refusal == links.Refusal.REVOKED
    assert [link_of(url).request_id for url in (second, cold, whole, others)] == [demande.id] * 3 + [other.id]


# --- Answering -----------------------------------------------------------------------------------


def test_an_answer_is_recorded_once_and_spends_the_link(any_db):
    session, sequence, (demande, _) = evaluated_session()
    sequence.hot_survey_evaluation = hot = factories.make_named(
        factories.Evaluation, questions="Accueil\nSupports"
    )
    link = link_of(survey_link(demande, SurveyKind.HOT, sequence))

    answer_survey(link, {"Accueil": "5", "Supports": " 2 "}, "  Très bien,\nmerci.  ")

    response = any_db.session.scalars(sa.select(SurveyResponse)).one()
    assert (response.session_id, response.request_id, response.evaluation_id, response.kind) == (
        session.id,
        demande.id,
        hot.id,
        SurveyKind.HOT,
    )
    assert (response.sequence_id, response.answers, response.comment) == (
        sequence.id,
        {"Accueil": 5, "Supports": 2},
        "Très bien,\nmerci.",
    )
    assert link.used_at is not None and already_answered(link)
    with pytest.raises(links.LinkRefused) as refused:
        answer_survey(link, {"Accueil": "5", "Supports": "5"})
    assert refused.value.refusal == links.Refusal.USED
    assert count_rows(any_db, SurveyResponse) == 1


def test_a_later_link_for_a_survey_already_answered_is_refused(any_db):
    session, sequence, (demande, _) = evaluated_session()
    answer_survey(link_of(survey_link(demande, SurveyKind.HOT, sequence)), ALL_GOOD)
    later = link_of(survey_link(demande, SurveyKind.HOT, sequence))  # « Envoyer maintenant » again
    assert already_answered(later)
    with pytest.raises(links.LinkRefused):
        answer_survey(later, ALL_GOOD)
    assert count_rows(any_db, SurveyResponse) == 1


@pytest.mark.parametrize("value", [None, "", " ", "0", "6", "-1", "4.0", "4,5", "quatre", "４", "²", "44"])
def test_every_question_needs_a_score_from_1_to_5_and_nothing_is_saved_otherwise(any_db, value):
    session, sequence, (demande, _) = evaluated_session()
    link = link_of(survey_link(demande, SurveyKind.HOT, sequence))
    scores = {**ALL_GOOD, "Utilité au poste": value}
    if value is None:
        del scores["Utilité au poste"]

    with pytest.raises(ValidationFailed) as refused:
        answer_survey(link, scores, "Un commentaire")

    assert refused.value.errors == {
        "Utilité au poste": fr("Choose a score from %(min)s to %(max)s for this question.", min=1, max=5)
    }
    assert count_rows(any_db, SurveyResponse) == 0 and link.used_at is None


@pytest.mark.parametrize(
    ("comment", "message", "values"),
    [
        ("x" * 2001, "At most %(n)s characters.", {"n": 2000}),
        ("avant\x00après", "This text contains invisible control characters: type it again.", {}),
    ],
)
def test_a_comment_that_cannot_be_kept_is_refused(any_db, comment, message, values):
    session, sequence, (demande, _) = evaluated_session()
    link = link_of(survey_link(demande, SurveyKind.SESSION))
    with pytest.raises(ValidationFailed) as refused:
        answer_survey(link, ALL_GOOD, comment)
    assert refused.value.errors == {"comment": fr(message, **values)}
    assert count_rows(any_db, SurveyResponse) == 0


def test_the_survey_asks_the_sequences_questionnaire_or_else_the_sessions(any_db):
    session, sequence, (first, second) = evaluated_session()
    sequence.cold_survey_evaluation = cold = factories.make_named(
        factories.Evaluation, questions="Mise en pratique"
    )
    answer_survey(link_of(survey_link(first, SurveyKind.HOT, sequence)), ALL_GOOD)  # no hot questionnaire
    answer_survey(link_of(survey_link(first, SurveyKind.COLD, sequence)), {"Mise en pratique": "2"})
    answer_survey(link_of(survey_link(second, SurveyKind.SESSION)), ALL_GOOD)
    rows = any_db.session.execute(
        sa.select(SurveyResponse.kind, SurveyResponse.evaluation_id, SurveyResponse.sequence_id).order_by(
            SurveyResponse.id
        )
    ).all()
    assert rows == [
        (SurveyKind.HOT, session.evaluation_id, sequence.id),
        (SurveyKind.COLD, cold.id, sequence.id),
        (SurveyKind.SESSION, session.evaluation_id, None),
    ]


def test_a_survey_closes_when_the_enrolment_is_cancelled_or_there_is_no_questionnaire(any_db):
    session, sequence, (demande, other) = evaluated_session()
    cancelled = link_of(survey_link(demande, SurveyKind.HOT, sequence))
    demande.status = RequestStatus.CANCELLED
    with pytest.raises(SurveyUnavailable):
        answer_survey(cancelled, ALL_GOOD)
    session.evaluation = None
    with pytest.raises(SurveyUnavailable):
        answer_survey(link_of(survey_link(other, SurveyKind.SESSION)), ALL_GOOD)
    assert count_rows(any_db, SurveyResponse) == 0


def link_row(db) -> dict:
    return dict(db.session.execute(sa.select(AccessLink.__table__)).one()._mapping)


def test_an_anonymous_answer_keeps_nothing_that_leads_back_to_the_person(any_db):
    session, sequence, (demande, _) = evaluated_session(anonymous=True)
    link = link_of(survey_link(demande, SurveyKind.HOT, sequence, now=utcnow() - timedelta(days=3)))
    before = link_row(any_db)
    answer_survey(link, ALL_GOOD, "Trop rapide")

    response = any_db.session.scalars(sa.select(SurveyResponse)).one()
    assert response.request_id is None and response.comment == "Trop rapide"
    received = response.submitted_at
    assert (received.hour, received.minute, received.second, received.microsecond) == (0, 0, 0, 0)
    # The link says it was used (no second answer, no reminder), and nothing else: not when (its
    # time of use is when it was sent), not which response (no column points to one).
    after = link_row(any_db)
    assert {name for name in after if after[name] != before[name]} == {"used_at"}
    assert after["used_at"] == after["created_at"]
    assert not [
        key for key in AccessLink.__table__.foreign_keys if key.column.table.name == "survey_response"
    ]
    assert already_answered(link)
    assert participants_without_answer(session, SurveyKind.HOT, sequence) == []


# --- Who has not answered ------------------------------------------------------------------------


def test_participants_without_answer_are_those_sent_the_survey_who_did_not_answer(any_db):
    session, sequence, (answered, waiting, staff_entered, never_sent, cancelled) = evaluated_session(5)
    other_sequence = factories.make_sequence(session)
    answer_survey(link_of(survey_link(answered, SurveyKind.HOT, sequence)), ALL_GOOD)
    survey_link(waiting, SurveyKind.HOT, sequence)
    answer_survey(link_of(survey_link(waiting, SurveyKind.HOT, other_sequence)), ALL_GOOD)  # not this one
    survey_link(waiting, SurveyKind.COLD, sequence)
    survey_link(cancelled, SurveyKind.HOT, sequence)
    cancelled.status = RequestStatus.CANCELLED
    survey_link(staff_entered, SurveyKind.SESSION)
    add_response(session, staff_entered.id, "session", {"Utilité au poste": "4"})

    assert participants_without_answer(session, SurveyKind.HOT, sequence) == [waiting]
    assert participants_without_answer(session, "cold", sequence) == [waiting]
    assert participants_without_answer(session, SurveyKind.SESSION) == []
    assert never_sent not in participants_without_answer(session, SurveyKind.HOT, other_sequence)


# --- Results -------------------------------------------------------------------------------------


def test_results_show_each_surveys_response_rate_averages_and_comments(any_db):
    session, sequence, demandes = evaluated_session(4)
    first, second, third, fourth = demandes
    for demande in demandes:
        survey_link(demande, SurveyKind.HOT, sequence)
    fourth.status = RequestStatus.CANCELLED  # no longer counted
    answer_survey(link_of(survey_link(first, SurveyKind.HOT, sequence)), ALL_GOOD, "Très clair")
    answer_survey(
        link_of(survey_link(second, SurveyKind.HOT, sequence)),
        {**ALL_GOOD, "Clarté des explications": "1"},
        "Trop dense",
    )
    add_response(session, None, "session", {"Utilité au poste": "1"})  # entered by the staff

    shown = results(session)

    assert shown.responses == 3
    assert [(q, str(a)) for q, a in shown.averages] == [
        ("Clarté des explications", "2.5"),
        ("Utilité au poste", "3.7"),
        ("Rythme, durée", "3.0"),
    ]
    assert [(c.text, c.author) for c in shown.comments] == [
        ("Très clair", str(first.collaborator)),
        ("Trop dense", str(second.collaborator)),
    ]
    (hot,) = shown.surveys
    assert (hot.kind, hot.sequence, hot.evaluation) == (SurveyKind.HOT, sequence, session.evaluation)
    assert (hot.invited, hot.answered, hot.rate, hot.responses) == (3, 2, 67, 2)
    assert [(q, str(a)) for q, a in hot.averages] == [
        ("Clarté des explications", "2.5"),
        ("Utilité au poste", "5.0"),
        ("Rythme, durée", "3.0"),
    ]


def test_anonymous_results_show_comments_without_names(any_db):
    session, sequence, (first, second) = evaluated_session(anonymous=True)
    answer_survey(link_of(survey_link(first, SurveyKind.COLD, sequence)), ALL_GOOD, "Utile")
    survey_link(second, SurveyKind.COLD, sequence)
    (cold,) = results(session).surveys
    assert (cold.invited, cold.answered, cold.rate) == (2, 1, 50)
    assert [(c.text, c.author) for c in cold.comments] == [("Utile", None)]


def test_results_are_read_in_a_fixed_number_of_statements(app, db, count_queries):
    def statements(participants: int, sequences: int) -> int:
        session, _sequence, demandes = evaluated_session(participants)
        for _ in range(sequences):
            sequence = factories.make_sequence(session)
            sequence.hot_survey_evaluation = factories.make_named(factories.Evaluation, questions="Accueil")
            for demande in demandes:
                answer_survey(
                    link_of(survey_link(demande, SurveyKind.HOT, sequence)), {"Accueil": "4"}, "Bien"
                )
        db.session.expire_all()
        with count_queries() as counter:
            shown = results(db.session.get(type(session), session.id))
        assert len(shown.surveys) == sequences
        return counter.count

    assert statements(2, 1) == statements(6, 3)


# --- {{ survey_url }} in the survey e-mails ------------------------------------------------------


def survey_schedule(session, body="Répondez ici : {{ survey_url }}", **kw):
    session.sequences[0].hot_survey_enabled = True
    return due_schedule(
        session, EmailKind.HOT_SURVEY, anchor=EmailAnchor.SEQUENCE_END, subject="Votre avis", body=body, **kw
    )


def written(db, schedule) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.schedule_id == schedule.id)
            .order_by(OutboxMessage.id)
        )
    )


def test_the_hot_survey_email_carries_each_participants_own_link(app, db):
    session = published_session(participants=3)
    schedule = survey_schedule(session, bcc="rh@example.com", extra_recipients="direction@example.com")

    delivery.dispatch_tick(commit)

    rows = written(db, schedule)
    by_participant = {row.request_id: row for row in rows if row.request_id is not None}
    assert len(by_participant) == 3
    for request_id, row in by_participant.items():
        url = row.body.split("Répondez ici : ", 1)[1].strip()
        link = link_of(url)
        assert (link.request_id, link.survey_kind, link.sequence_id) == (
            request_id,
            SurveyKind.HOT,
            schedule.sequence_id,
        )
        assert link.recipient == row.recipient
        assert row.bcc is None  # a personal link is not copied to the BCC
    (extra,) = [row for row in rows if row.request_id is None]
    assert extra.recipient == "direction@example.com" and "/l/" not in extra.body
    assert extra.bcc == "rh@example.com"
    assert count_rows(db, AccessLink) == 3


def test_a_schedule_composed_again_gives_no_new_link_to_those_already_written_to(app, db):
    session = published_session(participants=2)
    schedule = survey_schedule(session)
    delivery.dispatch_tick(commit)
    first_bodies = {row.request_id: row.body for row in written(db, schedule)}
    assert len(first_bodies) == 2

    newcomer = factories.enrol(session)
    schedule.prepared_at, schedule.state = None, ScheduleState.PLANNED  # same due time, prepared again
    delivery.dispatch_tick(commit)

    links_rows = db.session.scalars(sa.select(AccessLink).order_by(AccessLink.id)).all()
    assert [link.request_id for link in links_rows] == [*first_bodies, newcomer.id]
    assert all(link.revoked_at is None for link in links_rows)  # the links already sent still work
    for body in first_bodies.values():
        assert link_of(body.split("Répondez ici : ", 1)[1].strip())


def test_a_survey_email_without_the_variable_issues_no_link(app, db):
    session = published_session(participants=2)
    survey_schedule(session, body="Merci de votre participation.")
    delivery.dispatch_tick(commit)
    assert count_rows(db, AccessLink) == 0


def test_survey_url_is_a_variable_of_the_survey_emails_only(app, db):
    body = "Bonjour {{ participant.first_name }},\nRépondez ici : {{ survey_url }}"
    for kind in (EmailKind.HOT_SURVEY, EmailKind.COLD_SURVEY):
        assert check_template(kind, EmailAnchor.SEQUENCE_END, "Votre avis", body) == {}
    errors = check_template(EmailKind.CONVOCATION, EmailAnchor.SEQUENCE_START, "Convocation", body)
    assert errors == {"body": fr("Unknown variable in the template: %(name)s.", name="survey_url")}


def test_the_template_editor_lists_survey_url_for_the_survey_emails(db):
    from trainadmin.admin_views.email_templates import variable_help

    with force_locale("fr"):
        hot = dict(variable_help(EmailKind.HOT_SURVEY, EmailAnchor.SEQUENCE_END))
        convocation = dict(variable_help(EmailKind.CONVOCATION, EmailAnchor.SEQUENCE_START))
    assert (
        hot["survey_url"].startswith("le lien personnel du participant") and "60 jours" in hot["survey_url"]
    )
    assert "survey_url" not in convocation


# --- « Relance enquête » -----------------------------------------------------------------------


def test_a_participant_who_has_not_answered_is_reminded_once_with_a_new_link(any_app, any_db):
    from trainadmin.services.evaluations.survey_reminders import remind_surveys
    from trainadmin.services.notifications.default_rules import ensure_templates

    ensure_templates()
    session, sequence, (answered, waiting) = evaluated_session(label="Gestion du temps")
    sequence.label = "Jour 1"
    answer_survey(link_of(survey_link(answered, SurveyKind.HOT, sequence)), ALL_GOOD)
    first = survey_link(waiting, SurveyKind.HOT, sequence)
    assert remind_surveys(utcnow() + timedelta(days=4)) == 0  # (5 days by default)

    assert remind_surveys(utcnow() + timedelta(days=5, minutes=1)) == 1
    [reminder] = any_db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == EmailKind.SURVEY_REMINDER.value)
    ).all()
    assert reminder.recipient == waiting.collaborator.email.lower()
    assert reminder.subject == "Rappel : votre avis sur « Gestion du temps »"
    assert "la séquence « Jour 1 »" in reminder.body
    url = next(line for line in reminder.body.splitlines() if "/l/" in line)
    assert url != first and link_of(url).request_id == waiting.id
    with pytest.raises(links.LinkRefused) as refused:
        link_of(first)
    assert refused.value.refusal == links.Refusal.REVOKED
    assert remind_surveys(utcnow() + timedelta(days=30)) == 0  # once
    client = any_app.test_client()
    assert client.get(f"/l/{token_of(url)}").status_code == 200
