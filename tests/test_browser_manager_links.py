"""A manager on a phone answers « Demande de formation de … » from the link of the e-mail: one
accepts, another refuses (and is asked why), in a real Chromium with a phone's screen."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainadmin.models import OrganisationSettings, OutboxMessage, RequestStatus, TrainingRequest
from trainadmin.models.organisation import SINGLETON_ID
from trainadmin.services.notifications.default_rules import ensure_templates
from trainadmin.services.participants import enrol

from . import factories

pytestmark = pytest.mark.browser

LINK = re.compile(r"http://127\.0\.0\.1:\d+(/l/[A-Za-z0-9_-]{32})")


def manager_paths(db) -> dict[str, str]:
    """The link of each manager's « Demande au manager » e-mail, by manager."""
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "manager_request"))
    return {message.recipient: LINK.search(message.body).group(1) for message in rows}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_managers_accept_and_refuse_on_a_phone(browser, playwright, live_url, committed_db):
    ensure_templates()
    committed_db.session.add(OrganisationSettings(id=SINGLETON_ID, name="Acme", training_email="rh@acme.fr"))
    session = factories.make_session(label="Prise de parole en public")
    factories.make_slot(factories.make_sequence(session, label="Jour 1"), days=[date(2027, 6, 3)])
    lea = factories.make_collaborator(first_name="Léa", last_name="Martin", manager_email="chef.a@acme.fr")
    tom = factories.make_collaborator(first_name="Tom", last_name="Petit", manager_email="chef.b@acme.fr")
    enrol(session, [lea.id, tom.id], None, one_step=False)
    committed_db.session.commit()
    paths = manager_paths(committed_db)

    phone = browser.new_context(**playwright.devices["Pixel 7"])
    page = phone.new_page()
    page.goto(live_url + paths["chef.a@acme.fr"])
    expect(page.get_by_role("heading")).to_contain_text("Demande de formation de Léa Martin")
    expect(page.locator("#demande-details")).to_contain_text("Prise de parole en public")
    assert fits_the_screen(page)
    page.get_by_role("link", name="Accepter").click()
    page.get_by_label("Commentaire (facultatif)").fill("Bonne idée")
    page.get_by_role("button", name="Confirmer mon accord").click()
    expect(page.locator("#manager-done")).to_contain_text("Cette demande a déjà été traitée.")
    expect(page.locator("#manager-done")).to_contain_text("Elle a été acceptée.")

    page.goto(live_url + paths["chef.b@acme.fr"])
    page.get_by_role("link", name="Refuser").click()
    page.get_by_role("button", name="Confirmer le refus").click()
    expect(page.locator("#manager-comment-error")).to_have_text("Indiquez pourquoi vous refusez la demande.")
    page.get_by_label("Pourquoi refusez-vous ? (obligatoire)").fill("Charge de travail en juin")
    page.get_by_role("button", name="Confirmer le refus").click()
    expect(page.locator("#manager-done")).to_contain_text("Elle a été refusée ou annulée.")
    assert fits_the_screen(page)
    phone.close()

    committed_db.session.expire_all()
    statuses = {
        request.collaborator.last_name: request.status
        for request in committed_db.session.scalars(sa.select(TrainingRequest))
    }
    assert statuses == {"Martin": RequestStatus.PENDING_TRAINING, "Petit": RequestStatus.REFUSED}
    told = committed_db.session.scalars(
        sa.select(OutboxMessage.subject).where(OutboxMessage.kind == "manager_decision")
    ).all()
    assert sorted(told) == [
        "Demande de Léa Martin acceptée par son manager",
        "Demande de Tom Petit refusée par son manager",
    ]
