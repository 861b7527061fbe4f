"""The answer to « Sauvegarder » lost on the network, in a real Chromium: the cost was saved; the
user reloads the error page, so the browser sends the same form again — one cost, and the page says
the form was already saved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainadmin.extensions import db as _db
from trainadmin.models import Cost, Role

from . import factories

pytestmark = pytest.mark.browser


def test_a_cost_form_sent_again_after_its_answer_was_lost_adds_one_cost(
    browser_login, live_url, committed_db
):
    manager = factories.make_user(role=Role.MANAGER, password="correct-horse-battery")
    cost_type = factories.make_named(factories.CostType, name="Animation")
    session = factories.make_session(label="Réseau coupé")
    committed_db.session.commit()
    session_id, cost_type_id = session.id, cost_type.id
    page = browser_login(manager)
    page.goto(f"{live_url}/admin/sessions/details/?id={session_id}&tab=costs&cost_type={cost_type_id}")
    form = page.locator("#cost-form")
    form.get_by_label("Montant (€)").fill("250")

    lost = []

    def lose_the_answer(route):
        route.fetch(max_redirects=0)  # the server receives the form and saves it…
        lost.append(route.request.url)
        route.abort("connectionreset")  # …but its answer never reaches the browser

    page.route("**/admin/sessions/cost/add/**", lose_the_answer, times=1)
    form.get_by_role("button", name="Sauvegarder").click()
    for _ in range(100):
        if lost:
            break
        page.wait_for_timeout(100)
    assert lost, "the form never reached the server"
    _db.session.rollback()
    assert _db.session.scalar(sa.select(sa.func.count()).where(Cost.session_id == session_id)) == 1

    # The user sees a network error and reloads the page: the browser sends the same form again.
    page.wait_for_url("chrome-error://chromewebdata/")  # the browser's network error page
    page.wait_for_load_state()
    page.reload()
    expect(page.get_by_text("Ce formulaire a déjà été enregistré.")).to_be_visible()
    expect(page.locator("#costs-table tbody tr[data-cost]")).to_have_count(1)
    _db.session.rollback()
    assert _db.session.scalar(sa.select(sa.func.count()).where(Cost.session_id == session_id)) == 1
