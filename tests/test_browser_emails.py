"""« Gérer les notifications E-mails » in a real Chromium: the estimated sending dates in red (past,
not sent) and green (upcoming), unticking a rule and saving, « Envoyer maintenant »."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainadmin.models import EmailKind, EmailRule, EmailSchedule, Publication, Role, ScheduleState
from trainadmin.services.notifications.rules import copy_rules
from trainadmin.services.planning import dates as planning

from . import factories

pytestmark = pytest.mark.browser


def _rgb(locator) -> tuple[int, int, int]:
    color = locator.evaluate("element => getComputedStyle(element).color")
    red, green, blue = (int(part) for part in re.findall(r"\d+", color)[:3])
    return red, green, blue


def _session_with_a_past_and_a_coming_sequence(db):
    session = factories.make_session(publication=Publication.PUBLISHED, label="Négociation commerciale")
    past = factories.make_sequence(session, label="Jour 1", position=0)
    coming = factories.make_sequence(session, label="Jour 2", position=1)
    factories.make_slot(past, days=[date.today() - timedelta(days=30)])
    factories.make_slot(coming, days=[date.today() + timedelta(days=60)])
    factories.enrol(session)
    planning.refresh_session(session)
    copy_rules(session)
    convocation = db.session.scalars(
        sa.select(EmailRule).where(
            EmailRule.session_id == session.id, EmailRule.kind == EmailKind.CONVOCATION
        )
    ).one()
    db.session.commit()
    return session, past, coming, convocation


def test_dates_in_red_and_green_untick_a_rule_and_send_now(browser_login, live_url, committed_db):
    manager = factories.make_user(role=Role.MANAGER)
    session, past, coming, convocation = _session_with_a_past_and_a_coming_sequence(committed_db)
    page = browser_login(manager)
    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}")
    page.locator('#session-tabs a[data-tab="emails"]').click()
    expect(page.locator("#session-tabs .nav-link.active")).to_have_attribute("data-tab", "emails")

    late_line = page.locator(f"#rule-{convocation.id}-sequence-{past.id}")
    coming_line = page.locator(f"#rule-{convocation.id}-sequence-{coming.id}")
    expect(late_line).to_have_attribute("data-state", "missed")
    late, upcoming = late_line.locator("td.ta-due"), coming_line.locator("td.ta-due")
    expect(late).to_have_class(re.compile(r"\bta-due-late\b"))
    expect(upcoming).to_have_class(re.compile(r"\bta-due-upcoming\b"))
    red, green, _ = _rgb(late)
    assert red > 150 and red > 2 * green, f"the past date is not shown in red: {(red, green)}"
    red, green, _ = _rgb(upcoming)
    assert green > red, f"the upcoming date is not shown in green: {(red, green)}"

    # « Envoyer maintenant » on the missed convocation: due now; without Redis the dispatcher runs
    # right after the save, so the line comes back sent.
    late_line.locator("button.ta-send-now").click()
    late_line = page.locator(f"#rule-{convocation.id}-sequence-{past.id}")
    expect(late_line).to_have_attribute("data-state", "sent")
    expect(late_line.locator("td.ta-due")).not_to_have_class(re.compile(r"\bta-due-late\b"))

    # Untick the reminder and save: its lines are cancelled, the box stays unticked.
    reminder = committed_db.session.scalars(
        sa.select(EmailRule).where(EmailRule.session_id == session.id, EmailRule.kind == EmailKind.REMINDER)
    ).one()
    box = page.locator(f"#rule-{reminder.id}-enabled")
    expect(box).to_be_checked()
    page.locator(f'label[for="rule-{reminder.id}-enabled"]').click()
    expect(box).not_to_be_checked()
    page.locator("#save-email-rules").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#rule-{reminder.id}-enabled")).not_to_be_checked()
    expect(page.locator(f"#rule-{reminder.id}-sequence-{coming.id}")).to_have_attribute(
        "data-state", "cancelled"
    )
    expect(page.locator(f"#rule-{reminder.id}-sequence-{coming.id} td.ta-due")).to_have_class(
        re.compile(r"\bta-due-off\b")
    )

    committed_db.session.expire_all()
    states = {
        row.sequence_id: row.state
        for row in committed_db.session.scalars(
            sa.select(EmailSchedule).where(EmailSchedule.rule_id == reminder.id)
        )
    }
    assert states == {past.id: ScheduleState.MISSED, coming.id: ScheduleState.CANCELLED}
    sent_now = committed_db.session.scalars(
        sa.select(EmailSchedule).where(
            EmailSchedule.rule_id == convocation.id, EmailSchedule.sequence_id == past.id
        )
    ).one()
    assert sent_now.state == ScheduleState.SENT


def test_a_bad_address_is_shown_next_to_its_field(browser_login, live_url, committed_db):
    manager = factories.make_user(role=Role.MANAGER)
    session, _, _, convocation = _session_with_a_past_and_a_coming_sequence(committed_db)
    page = browser_login(manager)
    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}&tab=emails")
    page.locator(f"#rule-{convocation.id}-bcc").fill("archive@example.com, pas une adresse")
    page.locator("#save-email-rules").click()
    field = page.locator(f"#rule-{convocation.id}-bcc")
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(field).to_have_value("archive@example.com, pas une adresse")
    expect(page.locator(f'[data-for="rule-{convocation.id}-bcc"]')).to_contain_text("pas une adresse")
    committed_db.session.expire_all()
    assert committed_db.session.get(EmailRule, convocation.id).bcc is None
