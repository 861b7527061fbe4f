"""The session lifecycle in a real Chromium, where it needs JavaScript: the « Créer une session »
dialog, the live pre-fill from the formation, the orange and red boxes, the duplicate wizard, the
« Brouillons » tab, the lock seen by a manager, and the warning before leaving unsaved changes.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from trainadmin.models import Cost, Publication, Role, SessionType

from . import factories
from .browser_support import leave_and_stay, record_dialogs

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
SETTLED = 1000  # ms: long enough for a page already loaded to show what it will show


def make_manager():
    return factories.make_user(role=Role.MANAGER, password=PASSWORD)


def open_create_dialog(page, live_url):
    page.goto(f"{live_url}/admin/sessions/")
    page.locator("#create-session").click()
    dialog = page.locator("#create-session-dialog")
    expect(dialog).to_be_visible()
    return dialog


def choose_in_dialog(dialog, option: str):
    dialog.get_by_text(option, exact=True).click()
    expect(dialog.get_by_label(option, exact=False)).to_be_checked()
    dialog.get_by_role("button", name="Continuer").click()


def choose_in_select2(page, field_id: str, text: str):
    """Choose an option the way a user does: open the Select2 widget, type, click the result."""
    page.locator(f"#s2id_{field_id}").click()
    page.keyboard.type(text)
    page.locator(".select2-drop-active .select2-result-label", has_text=text).click()


# --- « Créer une session »: the dialog with three options ----------------------------------------


def test_create_dialog_leads_to_the_duplicate_wizard_or_the_creation_form(
    browser_login, live_url, committed_db
):
    manager = make_manager()
    committed_db.session.commit()
    page = browser_login(manager)

    dialog = open_create_dialog(page, live_url)
    for title in ("Créer", "Dupliquer", "Importer"):
        expect(dialog.get_by_text(title, exact=True)).to_be_visible()
    expect(dialog.get_by_label("Créer", exact=False)).to_be_checked()
    choose_in_dialog(dialog, "Dupliquer")
    expect(page).to_have_url(f"{live_url}/admin/sessions/duplicate/")
    expect(page.get_by_label("Rechercher une session")).to_be_visible()

    dialog = open_create_dialog(page, live_url)
    choose_in_dialog(dialog, "Créer")
    expect(page).to_have_url(f"{live_url}/admin/sessions/new/")
    expect(page.locator("select#training")).to_be_attached()
    expect(page.get_by_role("button", name="Sauvegarder", exact=True)).to_be_visible()


def test_create_dialog_shows_its_title_and_the_three_options_only(browser_login, live_url, committed_db):
    manager = make_manager()
    committed_db.session.commit()
    page = browser_login(manager)

    dialog = open_create_dialog(page, live_url)
    expect(dialog.get_by_role("radio")).to_have_count(3)  # whatever the dialog shows, it is loaded
    for title, help_text in (
        ("Créer", "nouvelle session"),
        ("Dupliquer", "session existante (modification des dates)"),
        ("Importer", "sessions de partenaires (automatique)"),
    ):
        expect(dialog.locator("label", has_text=title)).to_contain_text(help_text, ignore_case=True)
    expect(dialog.get_by_role("button", name="Continuer")).to_be_visible()
    expect(dialog.locator(".navbar")).to_have_count(0, timeout=SETTLED)
    expect(dialog.locator(".modal-title")).to_have_text("Créer une session", timeout=SETTLED)


# --- Live pre-fill from the formation, then the new session's page -------------------------------


def test_choosing_a_formation_fills_the_form_live_then_save_lands_on_the_session(
    browser_login, live_url, committed_db
):
    manager = make_manager()
    organisation = factories.make_named(factories.TrainingOrganisation, name="Croix-Rouge")
    dispositif = factories.make_named(factories.Dispositif, name="Plan de développement")
    factories.make_training(name="Anglais des affaires")
    training = factories.make_training(
        name="Sauveteur Secouriste du Travail",
        session_type=SessionType.INTER,
        organisation=organisation,
        dispositif=dispositif,
        capacity_min=4,
        capacity_target=8,
        capacity_max=10,
        funding_eligible=True,
        comments="Tenue confortable",
    )
    training_id, organisation_id, dispositif_id = training.id, organisation.id, dispositif.id
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/new/")
    expect(page.locator("#label")).to_have_value("")
    page.evaluate("() => { window.stillTheSamePage = true; }")
    page.evaluate("""(id) => { jQuery('#training').val(id).trigger('change'); }""", str(training_id))

    expect(page.locator("#label")).to_have_value("Sauveteur Secouriste du Travail")
    expect(page.locator("#session_type")).to_have_value("inter")
    expect(page.locator("#organisation")).to_have_value(str(organisation_id))
    expect(page.locator("#s2id_organisation")).to_contain_text("Croix-Rouge")
    expect(page.locator("#capacity_min")).to_have_value("4")
    expect(page.locator("#capacity_target")).to_have_value("8")
    expect(page.locator("#capacity_max")).to_have_value("10")
    expect(page.locator("#dispositif")).to_have_value(str(dispositif_id))
    expect(page.locator("#s2id_dispositif")).to_contain_text("Plan de développement")
    expect(page.locator("#funding_eligible")).to_be_checked()
    expect(page.locator("#comments")).to_have_value("Tenue confortable")
    assert page.evaluate("() => window.stillTheSamePage") is True  # filled without a reload

    page.fill("#year", "2027")
    page.get_by_role("button", name="Sauvegarder", exact=True).click()

    expect(page).to_have_url(re.compile(r"/admin/sessions/details/\?id=\d+$"))
    expect(page.locator("#session-title")).to_contain_text("2027-0001")
    expect(page.locator("#session-title")).to_contain_text("Sauveteur Secouriste du Travail")
    reminder = page.locator("#reminder-box")
    expect(reminder).to_be_visible()
    expect(reminder).to_contain_text("saisissez les coûts de la session et choisissez son évaluation")
    expect(page.locator("#draft-box")).to_be_visible()
    expect(page.locator("#draft-box")).to_contain_text("brouillon")


def test_choosing_a_formation_through_the_select2_widget_fills_the_form(
    browser_login, live_url, committed_db
):
    manager = make_manager()
    factories.make_training(name="Anglais des affaires")
    factories.make_training(
        name="Habilitation électrique",
        organisation=factories.make_named(factories.TrainingOrganisation, name="Apave"),
        capacity_min=2,
        capacity_target=4,
        capacity_max=6,
    )
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/new/")
    choose_in_select2(page, "training", "Habilitation")
    expect(page.locator("#s2id_training")).to_contain_text("Habilitation électrique")
    expect(page.locator("#label")).to_have_value("Habilitation électrique")
    expect(page.locator("#s2id_organisation")).to_contain_text("Apave")
    expect(page.locator("#capacity_max")).to_have_value("6")


def test_creation_form_never_shows_a_formation_chosen_without_its_values(
    browser_login, live_url, committed_db
):
    manager = make_manager()
    factories.make_training(name="Anglais des affaires")
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/new/")
    expect(page.locator("#s2id_training")).to_be_visible()
    if page.locator("#s2id_training").inner_text().strip().startswith("Anglais des affaires"):
        expect(page.locator("#label")).to_have_value("Anglais des affaires", timeout=SETTLED)


# --- The orange and red boxes on existing sessions -----------------------------------------------


def test_orange_box_names_only_what_is_missing_and_no_box_when_complete(
    browser_login, live_url, committed_db
):
    manager = make_manager()
    evaluation = factories.make_named(factories.Evaluation, questions="Clarté")
    without_costs = factories.make_session(evaluation=evaluation)
    complete = factories.make_session(evaluation=evaluation, publication=Publication.PUBLISHED)
    committed_db.session.add(
        Cost(session=complete, cost_type=factories.make_named(factories.CostType), amount=Decimal("1200.00"))
    )
    without_costs_id, complete_id = without_costs.id, complete.id
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/details/?id={without_costs_id}")
    reminder = page.locator("#reminder-box")
    expect(reminder).to_be_visible()
    expect(reminder).to_contain_text("saisissez les coûts de la session.")
    expect(reminder).not_to_contain_text("évaluation")
    expect(page.locator("#draft-box")).to_be_visible()

    page.goto(f"{live_url}/admin/sessions/details/?id={complete_id}")
    expect(page.locator("#session-title")).to_be_visible()
    expect(page.locator("#reminder-box")).to_have_count(0)
    expect(page.locator("#draft-box")).to_have_count(0)


# --- « Dupliquer une session », the guide's five steps -------------------------------------------


def test_duplicate_wizard_end_to_end(browser_login, live_url, committed_db):
    manager = make_manager()
    source = factories.make_session(training=factories.make_training(name="Habilitation électrique"))
    factories.make_sequence(source, label="Théorie en salle")
    factories.make_slot(factories.make_sequence(source, label="Pratique sur site"))
    other = factories.make_session(training=factories.make_training(name="Anglais des affaires"))
    source_id, source_code, other_code = source.id, source.code, other.code
    committed_db.session.commit()
    page = browser_login(manager)

    # Steps 1 and 2: « Créer une session », « Dupliquer », « Continuer ».
    dialog = open_create_dialog(page, live_url)
    choose_in_dialog(dialog, "Dupliquer")
    expect(page).to_have_url(f"{live_url}/admin/sessions/duplicate/")
    page.wait_for_load_state()

    # Step 3: search, choose the session in the list, « Suivant ».
    source_list = page.locator("select#duplicate-source")
    expect(source_list.locator("option")).to_have_count(2)
    page.locator("#duplicate-search").press_sequentially("électri")
    expect(source_list.locator("option")).to_have_count(1)
    expect(source_list.locator("option")).to_have_text(f"{source_code} — Habilitation électrique")
    expect(source_list).not_to_contain_text(other_code)
    page.locator("#duplicate-search").fill(source_code)
    expect(source_list.locator("option")).to_have_text(f"{source_code} — Habilitation électrique")
    source_list.select_option(str(source_id))
    page.get_by_role("button", name="Suivant").click()

    # Step 4: Année, Date de début, Date de fin, « Dupliquer ».
    expect(page.locator("#duplicate-source-name")).to_contain_text(source_code)
    # « Année » follows « Date de début » until the user types a year.
    page.wait_for_load_state()
    expect(page.get_by_label("Année")).to_have_value("")
    page.get_by_label("Date de début").fill("2029-01-08")
    expect(page.get_by_label("Année")).to_have_value("2029")
    page.get_by_label("Année").fill("2028")
    page.get_by_label("Date de début").fill("2028-03-06")
    expect(page.get_by_label("Année")).to_have_value("2028")
    page.get_by_label("Date de fin").fill("2028-03-07")
    page.get_by_role("button", name="Dupliquer").click()

    # Step 5: the message, then « Accéder à la session ».
    done = page.locator("#duplicate-done")
    expect(done).to_be_visible()
    expect(done).to_contain_text(f"Session {source_code} dupliquée")
    expect(done).to_contain_text("2028-0001")
    go = page.locator("#go-to-session")
    expect(go).to_have_text("Accéder à la session")
    go.click()

    expect(page).to_have_url(re.compile(r"/admin/sessions/details/\?id=\d+$"))
    expect(page.locator("#session-title")).to_contain_text("2028-0001 — Habilitation électrique")
    expect(page.locator("#draft-box")).to_be_visible()
    sequences = page.locator(".ta-sequence")
    expect(sequences).to_have_count(2)
    expect(sequences.nth(0)).to_contain_text("Théorie en salle")
    expect(sequences.nth(1)).to_contain_text("Pratique sur site")
    expect(sequences.nth(1)).to_contain_text("0 créneau(x)")  # slots are not copied
    sequences.nth(1).locator("[data-open-sequence]").click()  # drawn when opened
    expect(sequences.nth(1)).to_contain_text("Aucun créneau pour le moment.")

    page.locator("#session-tabs").get_by_role("link", name="Historique").click()
    entry = page.locator("#history-table tbody tr", has_text="Dupliquée depuis")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(source_code)


def test_duplicate_search_that_finds_nothing_says_so(browser_login, live_url, committed_db):
    manager = make_manager()
    factories.make_session(training=factories.make_training(name="Habilitation électrique"))
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/duplicate/")
    page.locator("#duplicate-search").press_sequentially("introuvable")
    expect(page.locator("select#duplicate-source option")).to_have_count(0)
    expect(page.get_by_text("Pas de données")).to_be_visible(timeout=SETTLED)


# --- « Brouillons »: the drafts one click away -----------------------------------------------------


def test_drafts_tab_shows_only_drafts(browser_login, live_url, committed_db):
    manager = make_manager()
    draft = factories.make_session(label="Session en préparation")
    published = factories.make_session(label="Session ouverte", publication=Publication.PUBLISHED)
    draft_code, published_code = draft.code, published.code
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/")
    table = page.locator("table.model-list")
    expect(table).to_contain_text(draft_code)
    expect(table).to_contain_text(published_code)

    page.locator("#drafts-tab").click()
    expect(page.locator("#drafts-tab")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#drafts-tab")).to_contain_text("Brouillons")
    expect(table).to_contain_text(draft_code)
    expect(table).to_contain_text("Session en préparation")
    expect(table).not_to_contain_text(published_code)
    expect(table).not_to_contain_text("Session ouverte")


# --- The lock after enrolment, as a manager ------------------------------------------------------


def make_locked_session():
    session = factories.make_session(label="Session avec inscrits")
    factories.make_sequence(session, label="Accueil")
    factories.enrol(session)
    return session


def test_manager_sees_a_locked_session_read_only(browser_login, live_url, committed_db):
    manager = make_manager()
    session = make_locked_session()
    session_id, code = session.id, session.code
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/details/?id={session_id}")
    expect(page.locator("#lock-box")).to_be_visible()
    expect(page.locator("#lock-box")).to_contain_text("seul un Responsable Opérationnel ou un Administrateur")

    page.locator("#edit-session").click()
    expect(page).to_have_url(re.compile(rf"/admin/sessions/edit/\?id={session_id}\b"))
    reason = page.locator("#lock-reason")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text(f"La session {code} a des collaborateurs inscrits")
    expect(page.locator("#label")).to_have_value("Session avec inscrits")
    for field in ("#training", "#year", "#label", "#session_type", "#capacity_min", "#comments"):
        expect(page.locator(field)).to_be_disabled()
    for widget in ("#s2id_training", "#s2id_organisation", "#s2id_evaluation"):
        expect(page.locator(widget)).to_have_class(re.compile(r"\bselect2-container-disabled\b"))
    expect(page.locator("#sequences-0-label")).to_have_count(0)  # sequences: the planning editor only
    expect(page.get_by_role("button", name=re.compile("Sauvegarder"))).to_have_count(0)
    expect(page.locator("form.admin-form")).to_have_count(0)
    page.get_by_role("link", name="Retour à la session").click()
    expect(page).to_have_url(f"{live_url}/admin/sessions/details/?id={session_id}")


def test_locked_session_form_has_no_live_widget(browser_login, live_url, committed_db):
    manager = make_manager()
    session_id = make_locked_session().id
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/edit/?id={session_id}")
    expect(page.locator("#lock-reason")).to_be_visible()
    expect(page.locator(".select2-container").first).to_be_visible()
    expect(page.locator(".select2-container:visible:not(.select2-container-disabled)")).to_have_count(
        0, timeout=SETTLED
    )
    expect(page.locator("#sequences-button")).to_have_count(0)


# --- « N'oubliez pas de sauvegarder avant de quitter un onglet » ----------------------------------


def test_leaving_the_edit_form_with_unsaved_changes_asks_first(browser_login, live_url, committed_db):
    manager = make_manager()
    session = factories.make_session(label="Libellé d'origine")
    session_id, code = session.id, session.code
    committed_db.session.commit()
    page = browser_login(manager)
    edit_url = f"{live_url}/admin/sessions/edit/?id={session_id}"
    details_url = f"{live_url}/admin/sessions/details/?id={session_id}"

    page.goto(edit_url)
    page.fill("#label", "Libellé modifié")

    leave_and_stay(page, page.locator(".nav-tabs").get_by_role("link", name=code))
    expect(page).to_have_url(edit_url)
    expect(page.locator("#label")).to_have_value("Libellé modifié")
    leave_and_stay(page, page.get_by_role("link", name="Tableau de bord"))
    expect(page).to_have_url(edit_url)
    expect(page.locator("#label")).to_have_value("Libellé modifié")

    unexpected = record_dialogs(page)
    page.get_by_role("button", name="Sauvegarder", exact=True).click()
    expect(page).to_have_url(details_url)
    expect(page.locator("#session-title")).to_contain_text("Libellé modifié")
    page.locator("#session-tabs").get_by_role("link", name="Planification").click()
    expect(page).to_have_url(f"{details_url}&tab=planning")
    assert unexpected == []


def test_leaving_the_publication_form_with_an_unsaved_change_asks_first(
    browser_login, live_url, committed_db
):
    manager = make_manager()
    session_id = factories.make_session().id
    committed_db.session.commit()
    page = browser_login(manager)
    planning_url = f"{live_url}/admin/sessions/details/?id={session_id}&tab=planning"

    page.goto(planning_url)
    expect(page.locator("#publication-value")).to_contain_text("Brouillon")
    page.locator("#edit-publication").click()
    select = page.locator("#publication-select")
    expect(select).to_be_visible()
    select.select_option("published")

    leave_and_stay(page, page.locator("#session-tabs").get_by_role("link", name="Historique"))
    expect(page).to_have_url(planning_url)
    expect(select).to_have_value("published")

    unexpected = record_dialogs(page)
    page.locator("#publication-form").get_by_role("button", name="Sauvegarder").click()
    expect(page.get_by_text("Publication sauvegardée : Publié")).to_be_visible()
    expect(page.locator("#publication-value")).to_contain_text("Publié")
    expect(page.locator("#draft-box")).to_have_count(0)
    page.locator("#session-tabs").get_by_role("link", name="Historique").click()
    expect(page).to_have_url(f"{live_url}/admin/sessions/details/?id={session_id}&tab=history")
    assert unexpected == []


def test_leaving_after_changing_a_select2_field_asks_first(browser_login, live_url, committed_db):
    manager = make_manager()
    factories.make_named(factories.TrainingOrganisation, name="Croix-Rouge")
    session_id = factories.make_session().id
    committed_db.session.commit()
    page = browser_login(manager)
    edit_url = f"{live_url}/admin/sessions/edit/?id={session_id}"

    page.goto(edit_url)
    choose_in_select2(page, "organisation", "Croix-Rouge")
    expect(page.locator("#s2id_organisation")).to_contain_text("Croix-Rouge")

    leave_and_stay(page, page.locator(".nav-tabs a.nav-link").first, timeout=SETTLED)
    expect(page).to_have_url(edit_url)
    expect(page.locator("#organisation")).not_to_have_value("__None")
