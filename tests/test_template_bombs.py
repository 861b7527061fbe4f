"""Template bombs: an e-mail template that would hold a web worker or the RQ worker for minutes,
or exhaust its memory, is refused at save within the render budget with a message next to the
field; one that reached the database anyway fails only its own messages at send time."""

from __future__ import annotations

import re
import time
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from rq import SimpleWorker

from trainadmin.config import ConfigError, load
from trainadmin.extensions import db as _db
from trainadmin.models import (
    Collaborator,
    EmailKind,
    EmailRule,
    OutboxMessage,
    OutboxState,
    Role,
    ScheduleState,
    TrainingRequest,
)
from trainadmin.services.errors import ValidationFailed
from trainadmin.services.notifications import compose, delivery, wake
from trainadmin.services.notifications.rules import update_rule
from trainadmin.transaction import commit

from .conftest import field_errors, post_form
from .delivery_support import due_schedule, published_session
from .test_email_rules import complex_session, form_of, rule_of

LOOPS = "{% for a in session.code * 999 %}{% for b in session.code * 999 %}{% for c in session.code * 999 %}"
NESTED = LOOPS + "{% endfor %}{% endfor %}{% endfor %}"
HIDDEN = "{% if session.code == 'ZZZ-9999' %}" + NESTED + "{% endif %}"
#: Every save is answered within this (the budget is 300 ms per rendering, four at most per request).
ANSWER_WITHIN = 2.5

BOMBS = {
    "nested loops": NESTED,
    "nested loops writing text": LOOPS + "x{% endfor %}{% endfor %}{% endfor %}",
    "behind an if false for the sample": HIDDEN,
    "behind an elif": "{% if false %}x{% elif session.code == 'Z' %}" + NESTED + "{% endif %}",
    "a loop filter false for the sample": (
        "{% for a in session.code * 999 if a == 'Z' %}{% for b in session.code * 999 %}"
        "{% for c in session.code * 999 %}{% endfor %}{% endfor %}{% endfor %}"
    ),
    "a count chosen by a test": "{% set n = 999 if session.code == 'REAL' else 1 %}"
    + NESTED.replace("session.code * 999", "session.code * n"),
    "a loop over the participants": "{% for a in participants %}{% for b in session.code * 999 %}"
    "{% for c in session.code * 999 %}{% endfor %}{% endfor %}{% endfor %}",
    "string product": "{{ ('a'*9999*9999*9999)|length }}",
    "ljust": "{{ 'x'.ljust(10**9) }}",
    "rjust in %": "{{ '%s' % 'x'.rjust(10**9) }}",
    "width in %": "{{ '%999999999s' % 'x' }}",
    "precision in %": "{{ '%.999999999f' % 1.5 }}",
    "many %s": "{{ ('%s' * 10000) % (('x' * 100000,) * 10000) }}",
    "format width": "{{ '{:>1000000000}'.format('x') }}",
    "format nested width": "{{ '{:>{w}}'.format('x', w=10**9) }}",
    "format repeated field": "{{ ('{0}' * 10000).format('x' * 100000) }}",
    "format filter": "{{ ('%s' * 1000)|format(*(['x' * 1000] * 1000)) }}",
    "center filter": "{{ 'x'|center(10**9) }}",
    "zfill": "{{ '1'.zfill(10**9) }}",
    "replace": "{{ ('x' * 100000).replace('', 'x' * 100000) }}",
    "replace filter": "{{ ('x' * 100000)|replace('x', 'y' * 100000) }}",
    "join": "{{ ','.join(['x' * 100000] * 50) }}",
    "join filter": "{{ (['x' * 100000] * 50)|join }}",
    "concatenation": "{% set a = 'x' * 100000 %}{% set b = a ~ a ~ a ~ a %}{{ b ~ b ~ b ~ b }}",
    "indent": "{{ ('x\\n' * 100000)|indent(1000) }}",
    "batch": "{{ 'x'|batch(10**9)|list }}",
    "range": "{{ range(10**9)|length }}",
    "power": "{{ 9 ** 64 ** 64 }}",
    "doubling macro": "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}"
    "{{ m(40) }}",
    "endless macro": "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
}


@pytest.mark.parametrize("bomb", list(BOMBS.values()), ids=list(BOMBS))
def test_a_bomb_is_refused_at_save_quickly_and_nothing_is_saved(db, bomb):
    rule = rule_of(complex_session(date(2027, 5, 15)), EmailKind.CONVOCATION)
    before = rule.body
    started = time.monotonic()
    with force_locale("fr"), pytest.raises(ValidationFailed) as refused:
        update_rule(rule, body=bomb)
    assert time.monotonic() - started < ANSWER_WITHIN
    assert set(refused.value.errors) == {"body"}
    assert refused.value.errors["body"].startswith(("Le modèle", "Variable inconnue"))
    assert rule.body == before


def test_an_ordinary_template_with_loops_and_tests_is_still_accepted(db):
    rule = rule_of(complex_session(date(2027, 5, 15)), EmailKind.CONVOCATION)
    body = (
        "Bonjour {{ participant.first_name }},\n{% for s in sequences %}{% if s.is_prework %}E-learning"
        "{% else %}{{ s.label }} : {{ s.dates|join(', ') }}{% endif %}\n{% endfor %}"
        "{{ '%-10s|' % session.code }}{{ '{:>12}'.format(session.code) }}{{ session.label|center(40) }}"
    )
    update_rule(rule, body=body)
    assert rule.body == body


def test_the_tab_answers_quickly_with_the_message_next_to_the_field(login_as, db):
    session = complex_session(date(2027, 5, 15))
    rules = _db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == session.id)).all()
    before = {rule.id: rule.body for rule in rules}
    data = form_of(session)
    for rule in rules:  # every rule of the tab at once: the request's share of checking is bounded
        data[f"rule-{rule.id}-body"] = HIDDEN if rule.id % 2 else NESTED
    client = login_as(Role.MANAGER)
    started = time.monotonic()
    response = post_form(client, f"/admin/sessions/emails/rules/?id={session.id}", data)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed < ANSWER_WITHIN, elapsed
    page = unescape(response.get_data(as_text=True))
    for rule in rules:
        message = re.search(rf'data-for="rule-{rule.id}-body">([^<]+)<', page)
        assert message and "Le modèle prend trop de temps" in message.group(1), rule.kind
    _db.session.expire_all()
    assert {rule.id: rule.body for rule in rules} == before


def test_the_global_templates_refuse_a_bomb_next_to_the_field(login_as, db):
    from . import factories

    template = factories.make_email_template(EmailKind.LOCATION)
    data = {
        "name": "Lieu",
        "enabled": "y",
        "recipients": ["location"],
        "delay_days": "-5",
        "send_time": "07:30",
        "subject": "Accueil {{ session.code }}",
        "body": HIDDEN,
    }
    started = time.monotonic()
    response = post_form(login_as(Role.ADMIN), f"/admin/email_templates/edit/?id={template.id}", data)
    assert response.status_code == 200 and time.monotonic() - started < ANSWER_WITHIN
    [message] = field_errors(response.get_data(as_text=True), "body")
    assert "Le modèle prend trop de temps à produire (plus de 300 ms)" in message
    _db.session.expire_all()
    assert template.body != HIDDEN


# --- At send time ----------------------------------------------------------------------------------


def outbox_of(schedule) -> list[OutboxMessage]:
    return list(
        _db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.schedule_id == schedule.id)
            .order_by(OutboxMessage.id)
        )
    )


def test_a_bomb_in_the_database_fails_only_its_messages_in_the_burst_worker(app, db, smtp, redis_queue):
    # Written around the checks (an old row, a script): the worker is the last line.
    bombed = due_schedule(published_session(participants=4), body="Bonjour\n" + NESTED)
    other = due_schedule(published_session(participants=2))

    wake.wake_dispatcher()
    started = time.monotonic()
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    elapsed = time.monotonic() - started

    # Two renderings over the budget, then the rule's other messages fail without rendering.
    assert elapsed < (compose.MAX_OVERRUNS + 2) * 0.3 + 1.5, elapsed
    failed = outbox_of(bombed)
    assert len(failed) == 4 and {row.state for row in failed} == {OutboxState.FAILED}
    assert all(row.error.startswith("Corps : Le modèle prend trop de temps") for row in failed)
    assert {row.state for row in outbox_of(other)} == {OutboxState.SENT}
    assert sorted(r for m in smtp.received for r in m.rcpt_tos) == sorted(
        r.recipient for r in outbox_of(other)
    )
    _db.session.refresh(bombed)
    _db.session.refresh(other)
    assert bombed.state == ScheduleState.FAILED and "trop de temps" in bombed.last_error
    assert other.state == ScheduleState.SENT


def test_a_bomb_for_one_recipient_fails_that_message_only(app, db, smtp):
    session = published_session(participants=3)
    target = _db.session.scalars(
        sa.select(Collaborator.email)
        .join(TrainingRequest, TrainingRequest.collaborator_id == Collaborator.id)
        .where(TrainingRequest.session_id == session.id)
        .order_by(TrainingRequest.id)
    ).first()
    body = (
        "Bonjour {{ participant.first_name }}{% if participant.email == '"
        + target
        + "' %}"
        + NESTED
        + "{% endif %}"
    )
    schedule = due_schedule(session, body=body)

    counts = delivery.dispatch_tick(commit)

    assert counts["messages_failed"] == 1 and counts["sent"] == 2
    rows = {row.recipient: row for row in outbox_of(schedule)}
    assert rows[target.lower()].state == OutboxState.FAILED
    assert {row.state for email, row in rows.items() if email != target.lower()} == {OutboxState.SENT}


def test_the_sent_emails_list_shows_why_it_failed(app, db, login_as):
    schedule = due_schedule(published_session(participants=1), body="{{ 'x'.ljust(10**9) }}")
    delivery.dispatch_tick(commit)
    [row] = outbox_of(schedule)
    assert row.state == OutboxState.FAILED
    page = unescape(login_as(Role.MANAGER).get("/admin/outbox/").get_data(as_text=True))
    assert "Le modèle produit trop de texte (plus de 256 Ko)" in page


def test_the_budget_is_a_setting(tmp_path):
    config = load(tmp_path, environ={})
    assert (config["TRAINADMIN_EMAIL_RENDER_MS"], config["TRAINADMIN_EMAIL_RENDER_KB"]) == (300, 256)
    config = load(tmp_path, environ={"TRAINADMIN_EMAIL_RENDER_MS": "500", "TRAINADMIN_EMAIL_RENDER_KB": "64"})
    assert (config["TRAINADMIN_EMAIL_RENDER_MS"], config["TRAINADMIN_EMAIL_RENDER_KB"]) == (500, 64)
    with pytest.raises(ConfigError, match="TRAINADMIN_EMAIL_RENDER_MS"):
        load(tmp_path, environ={"TRAINADMIN_EMAIL_RENDER_MS": "0"})
