"""« Ajouter les Coûts » and « Choisir une évaluation » in a real Chromium, as the guide tells them:
the cost type, « + », the amount shown above, the répartition, the prestataire, « Sauvegarder », and
the orange reminder that updates; then the evaluation, « Pas de données » until someone is
enrolled, and a response entered by the staff that the results panel counts.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from trainadmin.models import Cost, Role, TrainingDefaultCost

from . import factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def make_manager():
    return factories.make_user(role=Role.MANAGER, password=PASSWORD)


def open_tab(page, name: str):
    page.locator("#session-tabs").get_by_role("link", name=name, exact=True).click()
    expect(page.locator("#session-tabs .nav-link.active")).to_have_text(name)


def test_add_a_cost_following_the_guide_updates_totals_and_the_orange_box(
    browser_login, live_url, committed_db
):
    manager = make_manager()
    animation = factories.make_named(factories.CostType, name="Animation")
    factories.make_named(factories.CostType, name="Restauration")
    factories.make_named(factories.Supplier, name="Cegos")
    factories.make_named(factories.Supplier, name="Demos")
    training = factories.make_training(name="Prise de parole en public")
    training.default_costs.append(TrainingDefaultCost(cost_type=animation, amount=Decimal("1500")))
    session = factories.make_session(training=training)
    factories.make_slot(factories.make_sequence(session))  # one day: 7 hours
    factories.enrol(session)
    factories.enrol(session)
    session_id = session.id
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/details/?id={session_id}")
    reminder = page.locator("#reminder-box")
    expect(reminder).to_contain_text("saisissez les coûts de la session et choisissez son évaluation.")

    open_tab(page, "Coûts")
    expect(page.locator("#costs-table tbody")).to_contain_text("Pas de données")
    expect(page.locator("#cost-form")).to_have_count(0)
    page.get_by_label("Type de coût").select_option(label="Animation")
    page.locator("#add-cost").click()  # « + »

    form = page.locator("#cost-form")
    expect(form).to_be_visible()
    expect(form).to_contain_text("Animation")
    expect(page.locator("#suggested-amount")).to_have_text("Montant saisi sur la formation : 1500 €")
    expect(form.get_by_label("Montant (€)")).to_have_value(re.compile(r"^1500(\.00)?$"))
    form.get_by_label("Répartition").select_option(label="Par stagiaire")
    form.get_by_label("Quantité").fill("2")
    form.get_by_label("Prestataire").select_option(label="Cegos")
    form.get_by_role("button", name="Sauvegarder").click()

    expect(page.get_by_text("Coût sauvegardé.")).to_be_visible()
    expect(page.locator("#session-tabs .nav-link.active")).to_have_text("Coûts")
    row = page.locator("#costs-table tbody tr[data-cost]")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("Animation")
    expect(row.locator("td:nth-child(-n+6)")).to_have_text(
        ["Animation", "1500", "Par stagiaire", "2", "Cegos", "3000"]
    )
    totals = page.locator("#cost-totals tr")
    expect(totals.nth(0)).to_contain_text("Coût total")
    expect(totals.nth(0).locator("th").nth(1)).to_have_text("3000")
    expect(totals.nth(1)).to_contain_text("Coût par stagiaire inscrit")
    expect(totals.nth(1).locator("td").nth(1)).to_have_text("1500")  # 3000 € for 2 enrolled
    expect(totals.nth(2)).to_contain_text("Coût par heure de formation")
    expect(totals.nth(2).locator("td").nth(1)).to_have_text("428,57")  # 3000 € over 7 hours

    expect(reminder).to_have_text(
        re.compile(r"^\s*À faire maintenant\s*:\s*choisissez l'évaluation de la session\.\s*$")
    )
    expect(reminder).not_to_contain_text("coûts")


def test_choose_the_evaluation_then_enrol_and_enter_a_response(browser_login, live_url, committed_db):
    manager = make_manager()
    factories.make_named(factories.Evaluation, name="Satisfaction", questions="Clarté\nUtilité au poste")
    factories.make_named(factories.Evaluation, name="Acquis", questions="Objectifs atteints")
    alice = factories.make_collaborator(
        first_name="Alice", last_name="Martin", email="alice.martin@example.com"
    )
    session = factories.make_session()
    committed_db.session.add(
        Cost(session=session, cost_type=factories.make_named(factories.CostType), amount=Decimal("900.00"))
    )
    session_id, alice_name = session.id, str(alice)
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/details/?id={session_id}")
    reminder = page.locator("#reminder-box")
    expect(reminder).to_contain_text("choisissez l'évaluation de la session.")
    open_tab(page, "Évaluation")
    page.locator("#evaluation-form").get_by_label("Évaluation").select_option(label="Satisfaction")
    page.locator("#evaluation-form").get_by_role("button", name="Sauvegarder").click()

    expect(page.get_by_text("Évaluation sauvegardée.")).to_be_visible()
    expect(page.locator("#session-title")).to_be_visible()
    expect(page.locator("#reminder-box")).to_have_count(0)  # costs and evaluation both set
    expect(page.locator("#evaluation-choice")).to_have_value(re.compile(r"^\d+$"))
    results = page.locator("#evaluation-results")
    expect(results).to_contain_text("Résultats")
    expect(results.locator("#no-results")).to_have_text("Pas de données")
    expect(page.locator("#response-form")).to_have_count(0)  # nobody to answer yet

    # Enrol Alice from the « Participants » tab.
    open_tab(page, "Participants")
    page.get_by_label("Rechercher des collaborateurs").fill("Martin")
    page.locator("#collaborator-search").get_by_role("button", name="Rechercher").click()
    page.locator("#collaborator-choice").select_option(label=f"{alice_name} — alice.martin@example.com")
    page.locator("#enrol-form").get_by_role("button", name="Inscrire").click()
    expect(page.get_by_text("1 demande enregistrée.")).to_be_visible()
    expect(page.locator("#participants-table")).to_contain_text(alice_name)

    open_tab(page, "Évaluation")
    expect(results.locator("#no-results")).to_have_count(0)
    expect(results.locator("#response-count")).to_have_text("0 réponse(s)")
    expect(results.locator("tbody tr")).to_have_text(
        [re.compile(r"Clarté\s*—"), re.compile(r"Utilité au poste\s*—")]
    )
    expect(page.locator("#evaluation-form")).to_have_count(
        0
    )  # Alice's enrolment locks the session for a manager
    form = page.locator("#response-form")
    expect(form).to_be_visible()
    form.locator("#response-participant").select_option(label=f"{alice_name} — alice.martin@example.com")
    form.locator("#response-kind").select_option(label="Enquête à chaud")
    form.get_by_label("Clarté").fill("4")
    form.get_by_label("Utilité au poste").fill("5")
    form.get_by_role("button", name="Sauvegarder").click()

    expect(page.locator("#session-tabs .nav-link.active")).to_have_text("Évaluation")
    expect(results.locator("#response-count")).to_have_text("1 réponse(s)")
    expect(results.locator("#responses-by-kind")).to_have_text(re.compile(r"^\s*Enquête à chaud : 1\s*$"))
    expect(results.locator("tbody tr")).to_have_text(
        [re.compile(r"Clarté\s*4$"), re.compile(r"Utilité au poste\s*5$")]
    )
    expect(page.locator(".alert-danger.alert-dismissable")).to_have_count(0)  # no error flashed
