"""A demande in a real Chromium: created from the « Participants » tab, validated by the manager then
the training department, its convocation downloaded from the « Documents » tab, then cancelled."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from trainadmin.models import Role, SessionType

from . import factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def test_demande_from_request_to_convocation_download(browser_login, live_url, committed_db):
    manager = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    session = factories.make_session(
        session_type=SessionType.INTER, label="Sauveteur secouriste du travail", capacity_max=12
    )
    location = factories.make_location(name="Centre Part-Dieu", address="5 place Béraudier", city="Lyon")
    sequence = factories.make_sequence(session, label="Gestes de premiers secours")
    factories.make_slot(sequence, location=location, room=location.rooms[0])
    factories.make_collaborator(first_name="Yanis", last_name="Roussel")
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}&tab=participants")
    page.get_by_label("Rechercher des collaborateurs").fill("Roussel")
    page.get_by_role("button", name="Rechercher").click()
    page.locator("#collaborator-choice").select_option(
        label=page.locator("#collaborator-choice option").first.inner_text()
    )
    page.get_by_label("Créer des demandes à valider (manager, puis service formation)").check()
    page.get_by_role("button", name="Inscrire").click()
    expect(page.locator("#participants-table")).to_contain_text("En attente de validation manager")

    page.locator("#participants-table").get_by_role("link", name="Yanis Roussel").click()
    status = page.locator("#demande-status")
    expect(status).to_contain_text("Validation par le manager du collaborateur")
    page.get_by_label("Commentaire").fill("Accord du manager reçu")
    page.get_by_role("button", name="Valider (accord du manager)").click()
    expect(status).to_contain_text("En attente de validation service formation")
    page.get_by_role("button", name="Valider (service formation)").click()
    expect(status).to_contain_text("Inscrit")

    page.locator("#demande-tabs").get_by_role("link", name="Historique").click()
    expect(page.locator("#demande-history")).to_contain_text("Accord du manager reçu")

    page.locator("#demande-tabs").get_by_role("link", name="Documents").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la convocation").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    reader = PdfReader(Path(download.path()))
    text = " ".join(p.extract_text() for p in reader.pages)
    for expected in (
        "Yanis Roussel",
        "Sauveteur secouriste du travail",
        "Gestes de premiers secours",
        "Centre Part-Dieu",
    ):
        assert expected in text, expected

    # « Annuler l'inscription » is an action of its own, confirmed in a dialog.
    page.locator("#demande-tabs").get_by_role("link", name="Détails").click()
    page.wait_for_load_state()  # the page's script opens the dialog; clicked before, the link opens a page
    page.get_by_role("button", name="Annuler l'inscription").click()
    dialog = page.get_by_role("dialog", name="Annuler l'inscription de Yanis Roussel ?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("link", name="Retour").click()
    expect(dialog).to_be_hidden()
    expect(status).to_contain_text("Inscrit")
    page.get_by_role("button", name="Annuler l'inscription").click()
    dialog.get_by_label("Motif de l'annulation").select_option(label="Charge de travail")
    dialog.get_by_role("button", name="Confirmer l'annulation").click()
    expect(status).to_contain_text("Annulée")
    expect(page.get_by_role("button", name="Annuler l'inscription")).to_have_count(0)


def test_cancel_an_enrolment_without_javascript(browser, live_url, committed_db):
    """Without JavaScript, « Annuler l'inscription » opens a page that asks the same, and a missing
    reason is shown next to its field."""
    manager = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    session = factories.make_session(label="Habilitation électrique")
    demande = factories.enrol(session, factories.make_collaborator(first_name="Inès", last_name="Perrin"))
    committed_db.session.commit()
    context = browser.new_context(java_script_enabled=False, base_url=live_url)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/admin/demandes/details/?id={demande.id}")
    page.get_by_role("button", name="Annuler l'inscription").click()
    expect(page.locator("#cancel-title")).to_have_text("Annuler l'inscription de Inès Perrin ?")
    page.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.locator("#cancel-reason-error")).to_have_text("Choisissez le motif de l'annulation.")
    page.get_by_label("Motif de l'annulation").select_option(label="Maladie ou absence")
    page.get_by_label("Détails").fill("Arrêt de travail")
    page.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.locator("#demande-status")).to_contain_text("Annulée")
    context.close()
