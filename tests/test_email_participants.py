"""The `{{ participants }}` variable: every participant's name in every message, their e-mail
addresses only in the messages to the trainers and the training organisation (who need to reach
them), never in a participant's own e-mail nor to the venue or an added address."""

from __future__ import annotations

from datetime import date

from trainadmin.models import EmailKind
from trainadmin.services.notifications.compose import messages_for_schedule

from . import factories
from .test_email_rules import complex_session, rows_of, rule_of

BODY = "{% for p in participants %}{{ p.first_name }} {{ p.last_name }} <{{ p.email }}>\n{% endfor %}"


def test_participants_addresses_only_go_to_trainers_and_the_organisation(db):
    organisation = factories.make_named(factories.TrainingOrganisation, email="contact@of.example.com")
    session = complex_session(date(2027, 5, 15), organisation=organisation)
    slot = session.sequences[0].slots[0]
    slot.trainers = [factories.make_trainer(email="formatrice@example.com")]
    slot.location = factories.make_location(contact_email="accueil@lieu.example.com")
    anna = factories.make_collaborator(first_name="Anna", last_name="Roy", email="anna.roy@example.com")
    paul = factories.make_collaborator(first_name="Paul", last_name="Vidal", email="paul.vidal@example.com")
    for person in (anna, paul):
        factories.enrol(session, person)
    rule = rule_of(session, EmailKind.REMINDER)
    rule.recipients = "participants,trainers,organisation,location"
    rule.extra_recipients = "rh@example.com"
    rule.body = BODY
    db.session.flush()

    bodies = {draft.recipient: draft.body for draft in messages_for_schedule(rows_of(rule)[0])}

    for reader in (
        "anna.roy@example.com",
        "paul.vidal@example.com",
        "accueil@lieu.example.com",
        "rh@example.com",
    ):
        assert "Anna Roy <>" in bodies[reader] and "Paul Vidal <>" in bodies[reader], reader
        assert "@example.com>" not in bodies[reader], f"{reader} sees no participant's address"
    for reader in ("formatrice@example.com", "contact@of.example.com"):
        assert "Anna Roy <anna.roy@example.com>" in bodies[reader], reader
        assert "Paul Vidal <paul.vidal@example.com>" in bodies[reader], reader


def test_the_editor_says_where_the_addresses_go(login_as, db):
    session = complex_session(date(2027, 5, 15))
    client = login_as(factories.Role.MANAGER, locale="en")
    page = client.get(f"/admin/sessions/details/?id={session.id}&tab=emails").get_data(as_text=True)
    assert "enrolled participants" in page
    assert "only in e-mails to the trainers and the training organisation" in page
