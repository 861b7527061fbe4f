"""The back office in a real Chromium: login, navigation menus, language switch, logout."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from trainadmin.models import Role

from . import factories
from .browser_support import open_sequence

pytestmark = pytest.mark.browser


def test_manager_logs_in_browses_a_session_and_switches_language(browser_login, live_url, committed_db):
    manager = factories.make_user(
        role=Role.MANAGER, full_name="Camille Gestion", password="correct-horse-battery"
    )
    slot = factories.make_slot(days=[date(2027, 6, 14), date(2027, 6, 15)])
    session = slot.sequence.session
    code, sequence_label, sequence_id = session.code, slot.sequence.label, slot.sequence_id
    committed_db.session.commit()

    page = browser_login(manager)
    expect(page.locator("h4")).to_contain_text("Tableau de bord")

    page.get_by_role("link", name="Sessions", exact=False).first.click()
    page.locator("#admin-navbar-collapse a[href='/admin/sessions/']").click()
    expect(page).to_have_url(f"{live_url}/admin/sessions/")
    expect(page.get_by_text(code)).to_be_visible()
    expect(page.get_by_text("14/06/2027")).to_be_visible()

    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}")
    expect(page.get_by_text(sequence_label)).to_be_visible()
    open_sequence(page, sequence_id)
    expect(page.get_by_role("link", name="Ajouter un créneau")).to_be_visible()

    page.locator("#user-menu").click()
    with page.expect_navigation():
        page.locator("#switch-language").click()
    page.wait_for_load_state()
    open_sequence(page, sequence_id)
    expect(page.get_by_role("link", name="Add a slot")).to_be_visible()

    page.locator("#user-menu").click()
    page.locator("#logout").click()
    expect(page).to_have_url(f"{live_url}/login")
    page.goto(f"{live_url}/admin/sessions/")
    expect(page).to_have_url(f"{live_url}/login?next=/admin/sessions/")


def test_viewer_sees_no_write_controls(browser_login, live_url, committed_db):
    viewer = factories.make_user(role=Role.VIEWER, password="correct-horse-battery")
    factories.make_training(name="Gestes et postures")
    committed_db.session.commit()

    page = browser_login(viewer)
    page.goto(f"{live_url}/admin/trainings/")
    expect(page.get_by_text("Gestes et postures")).to_be_visible()
    expect(page.locator("a[href^='/admin/trainings/new/']")).to_have_count(0)
    expect(page.locator("a[href^='/admin/trainings/edit/']")).to_have_count(0)
    expect(page.locator("form[action='/admin/trainings/delete/']")).to_have_count(0)
