"""The back office under its Content-Security-Policy in a real Chromium: no violation, scripts run."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from trainadmin.models import Role

from . import factories

pytestmark = pytest.mark.browser

TABS = (
    "general",
    "planning",
    "participants",
    "attendance",
    "costs",
    "evaluation",
    "emails",
    "documents",
    "history",
)


def test_main_pages_raise_no_content_security_policy_violation(browser_login, live_url, committed_db):
    admin = factories.make_user(role=Role.ADMIN, password="correct-horse-battery")
    slot = factories.make_slot(days=[date(2027, 6, 14)])
    session_id = slot.sequence.session_id
    committed_db.session.commit()

    violations: list[str] = []
    page = browser_login(admin)
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    paths = [
        "/admin/",
        "/admin/sessions/",
        "/admin/sessions/new/",
        f"/admin/sessions/edit/?id={session_id}",
        *(f"/admin/sessions/details/?id={session_id}&tab={tab}" for tab in TABS),
        "/admin/demandes/",
        "/admin/demandes_todo/",
        "/admin/slots/",
        "/admin/trainings/",
        "/admin/trainings/new/",
        "/admin/collaborators/",
        "/admin/email_templates/",
        "/admin/users/",
        "/admin/outbox/",
        "/admin/imports/",
    ]
    for path in paths:
        response = page.goto(f"{live_url}{path}")
        assert response.status == 200, path
        assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
    assert violations == [], "\n".join(violations)

    # The scripts did run: the filters menu of a list (Bootstrap's dropdown) opens.
    page.goto(f"{live_url}/admin/sessions/")
    page.locator("#user-menu").click()
    expect(page.locator("#logout")).to_be_visible()
    assert violations == []


def test_an_injected_inline_script_is_blocked(browser_login, live_url, committed_db):
    admin = factories.make_user(role=Role.ADMIN, password="correct-horse-battery")
    committed_db.session.commit()
    page = browser_login(admin)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
        " document.body.appendChild(s); }"
    )
    assert page.evaluate("() => window.__pwned") is None
    assert any("Content Security Policy" in text for text in messages)
