"""The text of a session's e-mail rules: pre-filled from the « Modèles d'e-mails » at its creation,
kept when a template changes later, changed per session in its « E-mails » tab.

A rule made from a template holds no copy of its text (subject and body NULL): it reads the
template's until the template's text changes, when the old text is written into it first.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from trainadmin.models import EmailKind, EmailRule, EmailTemplate, Publication, Role, TrainingSession
from trainadmin.services import sessions as session_service
from trainadmin.services.errors import ValidationFailed
from trainadmin.services.notifications.compose import messages_for_schedule
from trainadmin.services.notifications.rule_texts import rule_text
from trainadmin.services.notifications.rules import save_email_template, update_rule

from . import factories
from .conftest import history_lines, post_form
from .test_email_rules import complex_session, rows_of, rule_of, tab

TEMPLATE_SUBJECT = "Convocation {{ session.code }} : {{ sequence.label }}"
TEMPLATE_BODY = "Bonjour {{ participant.first_name }},\nVous êtes convoqué."


def convocation_template() -> EmailTemplate:
    template = factories.make_email_template(EmailKind.CONVOCATION)
    template.subject, template.body = TEMPLATE_SUBJECT, TEMPLATE_BODY
    save_email_template(template)
    return template


def change_template(template: EmailTemplate, subject: str, body: str | None = None) -> None:
    """As « Modèles d'e-mails » saves it."""
    template.subject = subject
    if body is not None:
        template.body = body
    save_email_template(template)


def sent_subject(session) -> str:
    factories.enrol(session)
    [draft] = messages_for_schedule(rows_of(rule_of(session, EmailKind.CONVOCATION))[0])
    assert draft.error is None, draft.error
    return draft.subject


def shown_subject(client, session) -> str:
    rule = rule_of(session, EmailKind.CONVOCATION)
    page = tab(client, session)
    match = re.search(rf'name="rule-{rule.id}-subject" value="([^"]*)"', page)
    assert match, "no subject field"
    return match.group(1)


def test_a_new_session_follows_the_template_without_a_copy_of_its_text(db):
    convocation_template()
    session = complex_session(date(2027, 5, 15))
    rule = rule_of(session, EmailKind.CONVOCATION)
    assert (rule.subject, rule.body) == (None, None)
    assert rule_text(rule).subject == TEMPLATE_SUBJECT and rule_text(rule).body == TEMPLATE_BODY
    assert sent_subject(session) == f"Convocation {session.code} : Séquence 1"


def test_a_session_created_from_the_form_shows_the_template_text_in_its_tab(login_as, db):
    convocation_template()
    training = factories.make_training()
    client = login_as(Role.MANAGER)
    response = post_form(
        client, "/admin/sessions/new/", {"training": str(training.id), "year": "2027", "label": "Nouvelle"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session = db.session.get(
        TrainingSession, int(re.search(r"id=(\d+)", response.headers["Location"]).group(1))
    )
    assert shown_subject(client, session) == TEMPLATE_SUBJECT
    assert TEMPLATE_BODY in tab(client, session)


def test_after_a_template_change_existing_sessions_keep_the_old_text_new_ones_get_the_new(db):
    template = convocation_template()
    before = complex_session(date(2027, 5, 15))
    edited = complex_session(date(2027, 5, 15))
    update_rule(rule_of(edited, EmailKind.CONVOCATION), body="Texte propre à cette session.")
    change_template(template, "Nouvelle convocation {{ session.code }}")
    after = complex_session(date(2027, 5, 15))
    db.session.expire_all()

    kept = rule_of(before, EmailKind.CONVOCATION)
    assert (kept.subject, kept.body) == (TEMPLATE_SUBJECT, None)  # only the text that changed is written
    assert rule_text(kept).body == TEMPLATE_BODY
    assert sent_subject(before) == f"Convocation {before.code} : Séquence 1"
    own = rule_of(edited, EmailKind.CONVOCATION)
    assert (rule_text(own).subject, own.body) == (TEMPLATE_SUBJECT, "Texte propre à cette session.")
    assert rule_of(after, EmailKind.CONVOCATION).subject is None
    assert sent_subject(after) == f"Nouvelle convocation {after.code}"


def test_saving_a_template_without_changing_its_text_writes_nothing_into_the_sessions(db):
    template = convocation_template()
    session = complex_session(date(2027, 5, 15))
    template.delay_days = -5
    save_email_template(template)
    db.session.expire_all()
    assert rule_of(session, EmailKind.CONVOCATION).subject is None


def test_the_template_form_keeps_the_sessions_text(login_as, db):
    template = convocation_template()
    session = complex_session(date(2027, 5, 15))
    data = {
        "name": template.name,
        "enabled": "y",
        "recipients": ["participants"],
        "delay_days": "-7",
        "send_time": "",
        "subject": "Autre objet {{ session.code }}",
        "body": TEMPLATE_BODY,
    }
    response = post_form(login_as(Role.ADMIN), f"/admin/email_templates/edit/?id={template.id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert template.subject == "Autre objet {{ session.code }}"
    assert rule_text(rule_of(session, EmailKind.CONVOCATION)).subject == TEMPLATE_SUBJECT


def test_a_template_change_leaves_a_session_following_the_defaults_as_it_was(login_as, db):
    """An import's draft has no rules of its own until it needs them; a template change first gives
    it the defaults as they stood, as it leaves the sessions that have their rules."""
    template = convocation_template()
    following = complex_session(date(2027, 5, 15), published=False, following_defaults=True)
    data = {
        "name": template.name,
        "enabled": "y",
        "recipients": ["participants"],
        "delay_days": "-3",
        "send_time": "",
        "subject": "Autre objet {{ session.code }}",
        "body": TEMPLATE_BODY,
    }
    response = post_form(login_as(Role.ADMIN), f"/admin/email_templates/edit/?id={template.id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    kept = rule_of(following, EmailKind.CONVOCATION)
    assert (kept.delay_days, rule_text(kept).subject) == (-7, TEMPLATE_SUBJECT)
    assert not following.emails_follow_defaults
    later = complex_session(date(2027, 5, 15), published=False, following_defaults=True)
    session_service.set_publication([later], Publication.PUBLISHED, None)
    new = rule_of(later, EmailKind.CONVOCATION)
    assert (new.delay_days, rule_text(new).subject) == (-3, "Autre objet {{ session.code }}")


def test_editing_one_sessions_text_changes_only_it(login_as, db):
    template = convocation_template()
    mine, other = complex_session(date(2027, 5, 15)), complex_session(date(2027, 5, 15))
    rule = rule_of(mine, EmailKind.CONVOCATION)
    update_rule(rule, subject="Rendez-vous {{ session.code }}", body=TEMPLATE_BODY)
    db.session.expire_all()
    assert (rule.subject, rule.body) == ("Rendez-vous {{ session.code }}", None)  # the body did not change
    assert rule_of(other, EmailKind.CONVOCATION).subject is None
    assert template.subject == TEMPLATE_SUBJECT
    assert sent_subject(mine) == f"Rendez-vous {mine.code}"
    assert sent_subject(other) == f"Convocation {other.code} : Séquence 1"
    [line] = [line for line in history_lines(mine.id) if "Rendez-vous" in line]
    assert TEMPLATE_SUBJECT in line  # the history says what the text was before


def test_posting_the_tab_unchanged_writes_no_text(login_as, db):
    convocation_template()
    session = complex_session(date(2027, 5, 15))
    data = {}
    for rule in db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == session.id)):
        prefix = f"rule-{rule.id}-"
        text = rule_text(rule)
        data.update({prefix + "present": "1", prefix + "delay_days": str(rule.delay_days)})
        data.update({prefix + "subject": text.subject, prefix + "body": text.body})
        if rule.enabled:
            data[prefix + "enabled"] = "y"
    client = login_as(Role.MANAGER)
    response = post_form(client, f"/admin/sessions/emails/rules/?id={session.id}", data)
    assert response.status_code == 302
    texts = db.session.execute(
        sa.select(EmailRule.subject, EmailRule.body).where(EmailRule.session_id == session.id)
    ).all()
    assert set(texts) == {(None, None)}
    rule = rule_of(session, EmailKind.CONVOCATION)
    data[f"rule-{rule.id}-subject"] = "Objet modifié"
    assert post_form(client, f"/admin/sessions/emails/rules/?id={session.id}", data).status_code == 302
    db.session.expire_all()
    assert (rule.subject, rule.body) == ("Objet modifié", None)
    assert shown_subject(client, session) == "Objet modifié"


def test_duplicating_a_session_copies_its_own_text_and_follows_what_it_followed(db):
    template = convocation_template()
    source = complex_session(date(2027, 5, 15))
    update_rule(rule_of(source, EmailKind.CONVOCATION), subject="Objet de la source")
    copy = session_service.duplicate_session(source, 2027, date(2027, 9, 6), date(2027, 9, 10))
    copied = rule_of(copy, EmailKind.CONVOCATION)
    assert (copied.subject, rule_text(copied).body) == ("Objet de la source", TEMPLATE_BODY)
    reminder = rule_of(copy, EmailKind.REMINDER)
    assert reminder.subject is None
    assert rule_text(reminder) == rule_text(rule_of(source, EmailKind.REMINDER))
    change_template(template, "Objet changé", "Corps changé")
    db.session.expire_all()
    assert rule_text(rule_of(copy, EmailKind.CONVOCATION)) == rule_text(
        rule_of(source, EmailKind.CONVOCATION)
    )
    assert rule_text(rule_of(copy, EmailKind.CONVOCATION)).body == TEMPLATE_BODY


def test_the_template_bomb_check_reads_the_templates_text(db):
    """A rule whose subject alone is changed is checked with the body it reads from its template."""
    template = convocation_template()
    template.body = "Bonjour {{ participant.surname }}"  # written around the checks (an old row, a script)
    session = complex_session(date(2027, 5, 15))
    rule = rule_of(session, EmailKind.CONVOCATION)
    with pytest.raises(ValidationFailed) as refused:
        update_rule(rule, subject="Autre objet")
    assert "surname" in refused.value.errors["body"]
