"""« Gérer la planification de la session » in a real Chromium: the planning editor of the session
page (tab « Informations générales »), where « Ajouter une séquence » and « Ajouter un créneau »
are sent in the background with « Confirmer » and the editor is redrawn without a page reload.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainadmin.models import Role, Sequence, Slot

from . import factories
from .browser_support import leave_and_stay, open_sequence, record_dialogs

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
SETTLED = 1000  # ms: long enough for a page already loaded to show what it will show


def make_user(role: Role = Role.MANAGER):
    return factories.make_user(role=role, password=PASSWORD)


def open_session(page, live_url, session_id: int):
    page.goto(f"{live_url}/admin/sessions/details/?id={session_id}")
    expect(page.locator("#session-tabs .nav-link.active")).to_have_text("Informations générales")
    expect(page.locator("#planning-editor")).to_be_visible()


def mark_the_page(page):
    """A JavaScript variable that a page reload would wipe out."""
    page.evaluate("() => { window.stillTheSamePage = true; }")


def same_page(page) -> bool:
    return page.evaluate("() => window.stillTheSamePage === true")


def open_new_slot_form(page, sequence_id: int):
    open_sequence(page, sequence_id)
    page.locator(f"#add-slot-{sequence_id}").click()
    form = page.locator(f"#new-slot-{sequence_id} form")
    expect(form).to_be_visible()
    return form


def fill_date_row(row, day: str, start: str = "09:00", end: str = "17:00", pause: str = "60"):
    row.get_by_label("Date", exact=True).fill(day)
    row.get_by_label("Heure de début", exact=True).fill(start)
    row.get_by_label("Heure de fin", exact=True).fill(end)
    row.get_by_label("Temps de pause (minutes)", exact=True).fill(pause)


def shown(slot):
    """What a slot's line shows (its edit form, hidden below, lists every trainer and place)."""
    return slot.locator(":scope > div.d-flex")


def messages(page):
    return page.locator("#planning-editor .ta-planning-message")


def count(db, model) -> int:
    db.session.rollback()  # see what the server committed, not this thread's snapshot
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- « Ajouter une séquence » ------------------------------------------------------------------


def test_add_sequences_in_place_without_a_page_reload(browser_login, live_url, committed_db):
    manager = make_user()
    factories.make_named(factories.TeachingMode, name="Présentiel")
    factories.make_named(factories.TeachingMode, name="Classe virtuelle")
    session_id = factories.make_session(label="Management d'équipe").id
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    editor = page.locator("#planning-editor")
    expect(editor).to_contain_text("Aucune séquence pour le moment.")
    mark_the_page(page)

    page.locator("#add-sequence").click()
    form = page.locator("#new-sequence form")
    expect(page.locator("#new-sequence")).to_have_class(re.compile(r"\bshow\b"))  # opening finished
    expect(form).to_be_visible()
    form.get_by_label("Libellé").fill("Pré-work : lectures")
    form.get_by_label("Modalité pédagogique").select_option(label="Classe virtuelle")
    form.get_by_label("URL pour la formation").fill("https://lms.example.com/prework")
    form.get_by_label("Statut de la séquence").select_option(label="Externe")
    form.locator("label", has_text="Pré-work").click()  # Bootstrap's custom checkbox: click its label
    expect(form.get_by_label("Pré-work", exact=True)).to_be_checked()
    form.get_by_role("button", name="Confirmer").click()

    cards = editor.locator(".ta-sequence")
    expect(cards).to_have_count(1)
    first = cards.first
    expect(first.locator(".card-header strong")).to_have_text("Pré-work : lectures")
    expect(first.locator(".card-header")).to_contain_text("Classe virtuelle")
    expect(first.locator(".card-header")).to_contain_text("Externe")
    expect(first.locator(".card-header .badge")).to_have_text("Pré-work")
    expect(messages(page)).to_have_text(["Séquence « Pré-work : lectures » enregistrée."])
    expect(editor).not_to_contain_text("Aucune séquence pour le moment.")
    assert same_page(page), "the page was reloaded"

    # The redrawn editor works the same: a second sequence, not pre-work, default status.
    page.locator("#add-sequence").click()
    form = page.locator("#new-sequence form")
    expect(page.locator("#new-sequence")).to_have_class(re.compile(r"\bshow\b"))  # opening finished
    expect(form).to_be_visible()
    expect(form.get_by_label("Libellé")).to_have_value("")
    form.get_by_label("Libellé").fill("Jour 1 en salle")
    form.get_by_label("Modalité pédagogique").select_option(label="Présentiel")
    expect(form.get_by_label("Statut de la séquence")).to_have_value("planned")
    expect(form.get_by_label("Pré-work", exact=True)).not_to_be_checked()
    form.get_by_role("button", name="Confirmer").click()

    expect(cards).to_have_count(2)
    second = cards.nth(1)
    expect(second.locator(".card-header strong")).to_have_text("Jour 1 en salle")
    expect(second.locator(".card-header")).to_contain_text("Présentiel")
    expect(second.locator(".card-header")).to_contain_text("Planifiée")
    expect(second.locator(".badge")).to_have_count(0)
    expect(messages(page).first).to_have_text("Séquence « Jour 1 en salle » enregistrée.")
    assert same_page(page), "the page was reloaded"


def test_sequence_without_a_label_is_refused_under_the_field(browser_login, live_url, committed_db):
    manager = make_user()
    session_id = factories.make_session().id
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    page.locator("#add-sequence").click()
    expect(page.locator("#new-sequence")).to_have_class(re.compile(r"\bshow\b"))  # opening finished
    form = page.locator("#new-sequence form")
    form.get_by_label("URL pour la formation").fill("https://lms.example.com/j1")
    form.get_by_role("button", name="Confirmer").click()

    error = form.locator('[data-for="label"]')
    expect(error).to_have_text("Ce champ est requis.")
    expect(error).to_be_visible()
    expect(form.get_by_label("Libellé")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(form.get_by_label("URL pour la formation")).to_have_value("https://lms.example.com/j1")
    expect(page.locator("#planning-editor .ta-sequence")).to_have_count(0)
    assert count(committed_db, Sequence) == 0


# --- « Ajouter un créneau » -------------------------------------------------------------------


def test_add_a_slot_with_two_dates_and_two_trainers_then_see_the_session_dates(
    browser_login, live_url, committed_db
):
    manager = make_user()
    lyon = factories.make_location(name="Campus Lyon", city="Lyon")
    rhone = factories.make_room(location=lyon, name="Salle Rhône", capacity=12)
    paris = factories.make_location(name="Campus Paris", city="Paris")
    factories.make_room(location=paris, name="Salle Seine", capacity=30)
    factories.make_trainer(first_name="Claire", last_name="Martin")
    factories.make_trainer(first_name="Paul", last_name="Durand")
    factories.make_trainer(first_name="Zoé", last_name="Bernard")
    session = factories.make_session(label="Habilitation électrique", capacity_max=12)
    sequence = factories.make_sequence(session, label="Jour 1")
    session_id, sequence_id = session.id, sequence.id
    lyon_id, paris_id, rhone_id = lyon.id, paris.id, rhone.id
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    mark_the_page(page)
    body = open_sequence(page, sequence_id)
    expect(body).to_contain_text("Aucun créneau pour le moment.")
    form = open_new_slot_form(page, sequence_id)

    # Lieu, then Salle: only the rooms of that place are offered.
    form.get_by_label("Lieu", exact=True).select_option(label="Campus Lyon (Lyon)")
    room = form.get_by_label("Salle", exact=True)
    for option in room.locator(f'option[data-location="{paris_id}"]').all():
        expect(option).to_have_js_property("hidden", True)
    lyon_rooms = room.locator(f'option[data-location="{lyon_id}"]')
    expect(lyon_rooms).to_have_count(2)
    for option in lyon_rooms.all():
        expect(option).to_have_js_property("hidden", False)
    room.select_option(label="Salle Rhône (12) — Campus Lyon")
    expect(room).to_have_value(str(rhone_id))

    form.get_by_label("Formateurs", exact=True).select_option(label=["Claire Martin", "Paul Durand"])

    # Two dates: the first row, then a row added with « Ajouter une date ».
    rows = form.locator("[data-date-row]")
    fill_date_row(rows.first, "2027-05-15")
    before = rows.count()
    form.get_by_role("button", name="Ajouter une date").click()
    expect(rows).to_have_count(before + 1)
    fill_date_row(rows.last, "2027-05-16")
    form.get_by_role("button", name="Confirmer").click()

    expect(messages(page)).to_contain_text(["Créneau enregistré."])
    body = page.locator(f"#sequence-body-{sequence_id}")
    expect(body).to_be_visible()  # still open after the redraw
    expect(body.locator("li[id^=slot-]")).to_have_count(1)
    slot = shown(body.locator("li[id^=slot-]"))
    expect(slot).to_contain_text("15/05/2027 09:00–17:00")
    expect(slot).to_contain_text("16/05/2027 09:00–17:00")
    expect(slot).to_contain_text("Campus Lyon — Salle Rhône")
    expect(slot).to_contain_text("Claire Martin")
    expect(slot).to_contain_text("Paul Durand")
    expect(slot).not_to_contain_text("Zoé Bernard")
    expect(page.locator(f"#sequence-{sequence_id} .card-header")).to_contain_text("15/05/2027 → 16/05/2027")
    assert same_page(page), "the page was reloaded"

    # « Planification »: the session's dates and duration come from the slot.
    unexpected = record_dialogs(page)
    page.locator("#session-tabs").get_by_role("link", name="Planification").click()
    expect(page).to_have_url(f"{live_url}/admin/sessions/details/?id={session_id}&tab=planning")
    dates = page.locator("p", has_text="15/05/2027 → 16/05/2027")
    expect(dates).to_have_count(1)
    expect(dates).to_contain_text("2 jour(s), 14 h")
    assert unexpected == []  # nothing was left unsaved


def test_end_before_start_is_refused_under_the_end_time(browser_login, live_url, committed_db):
    manager = make_user()
    sequence = factories.make_sequence(label="Jour 1")
    session_id, sequence_id = sequence.session_id, sequence.id
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    mark_the_page(page)
    form = open_new_slot_form(page, sequence_id)
    fill_date_row(form.locator("[data-date-row]").first, "2027-05-15", start="17:00", end="09:00", pause="0")
    form.get_by_role("button", name="Confirmer").click()

    error = form.locator('[data-for="dates-0-end_time"]')
    expect(error).to_have_text("L'heure de fin doit être postérieure à l'heure de début.")
    expect(error).to_be_visible()
    expect(form.locator('[name="dates-0-end_time"]')).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(form.locator('[name="dates-0-day"]')).to_have_value("2027-05-15")  # what was typed stays
    expect(page.locator(f"#sequence-body-{sequence_id}")).to_contain_text("Aucun créneau pour le moment.")
    expect(messages(page)).to_have_count(0)
    assert same_page(page)
    assert count(committed_db, Slot) == 0


# --- Room clashes ------------------------------------------------------------------------------


def make_room_clash():
    """Another session holds the room on 15/05/2027 09:00–17:00; ours has an empty sequence."""
    location = factories.make_location(name="Campus Lyon", city="Lyon")
    room = factories.make_room(location=location, name="Salle Rhône", capacity=20)
    other = factories.make_session(label="Anglais des affaires")
    factories.make_slot(
        factories.make_sequence(other, label="Jour 1"),
        days=[date(2027, 5, 15)],
        location=location,
        room=room,
    )
    sequence = factories.make_sequence(factories.make_session(label="Habilitation électrique"), label="J1")
    return other.code, sequence.session_id, sequence.id


def fill_clashing_slot(form):
    form.get_by_label("Lieu", exact=True).select_option(label="Campus Lyon (Lyon)")
    form.get_by_label("Salle", exact=True).select_option(label="Salle Rhône (20) — Campus Lyon")
    fill_date_row(form.locator("[data-date-row]").first, "2027-05-15", start="14:00", end="18:00", pause="0")


def test_room_already_booked_is_refused_for_a_manager(browser_login, live_url, committed_db):
    manager = make_user()
    other_code, session_id, sequence_id = make_room_clash()
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    form = open_new_slot_form(page, sequence_id)
    fill_clashing_slot(form)
    form.get_by_role("button", name="Confirmer").click()

    error = form.locator('[data-for="room"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text(other_code)
    expect(error).to_contain_text("15/05/2027")
    expect(error).to_contain_text("Salle Rhône")
    expect(error).not_to_contain_text("motif")  # a manager cannot override
    expect(form.get_by_label("Réserver la salle malgré tout : motif")).to_have_count(0)
    expect(page.locator(f"#sequence-body-{sequence_id}")).to_contain_text("Aucun créneau pour le moment.")
    expect(messages(page)).to_have_count(0)
    assert count(committed_db, Slot) == 1


def test_ops_manager_books_a_taken_room_with_a_reason(browser_login, live_url, committed_db):
    ops = make_user(Role.OPS_MANAGER)
    other_code, session_id, sequence_id = make_room_clash()
    committed_db.session.commit()
    page = browser_login(ops)

    open_session(page, live_url, session_id)
    form = open_new_slot_form(page, sequence_id)
    override = form.get_by_label("Réserver la salle malgré tout : motif")
    expect(override).to_be_hidden()
    fill_clashing_slot(form)
    form.get_by_role("button", name="Confirmer").click()

    error = form.locator('[data-for="room"]')
    expect(error).to_contain_text(other_code)
    expect(error).to_contain_text("indiquez le motif de la dérogation")
    expect(override).to_be_visible()
    assert count(committed_db, Slot) == 1

    override.fill("Salle partagée, accord du site")
    form.get_by_role("button", name="Confirmer").click()
    expect(page.locator("#planning-editor .ta-planning-message.alert-success")).to_have_text(
        "Créneau enregistré."
    )
    warning = page.locator("#planning-editor .ta-planning-message.alert-warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text(other_code)
    expect(warning).to_contain_text("15/05/2027")
    expect(page.locator(f"#sequence-body-{sequence_id} li[id^=slot-]")).to_contain_text(
        "15/05/2027 14:00–18:00"
    )
    assert count(committed_db, Slot) == 2


# --- Other unsaved edits on the page ---------------------------------------------------------------


def start_a_sequence_then_add_a_slot(page, live_url, session_id: int, sequence_id: int):
    """Type a label in « Ajouter une séquence » without confirming, then add a slot elsewhere."""
    open_session(page, live_url, session_id)
    mark_the_page(page)
    page.locator("#add-sequence").click()
    expect(page.locator("#new-sequence")).to_have_class(re.compile(r"\bshow\b"))  # opening finished
    page.locator("#new-sequence form").get_by_label("Libellé").fill("Jour 2 en cours de saisie")
    form = open_new_slot_form(page, sequence_id)
    fill_date_row(form.locator("[data-date-row]").first, "2027-05-15")
    form.get_by_role("button", name="Confirmer").click()
    expect(messages(page)).to_contain_text(["Créneau enregistré."])
    expect(page.locator(f"#sequence-body-{sequence_id} li[id^=slot-]")).to_contain_text("15/05/2027")
    assert same_page(page)


def test_saving_a_slot_keeps_a_sequence_being_typed(browser_login, live_url, committed_db):
    manager = make_user()
    sequence = factories.make_sequence(label="Jour 1")
    session_id, sequence_id = sequence.session_id, sequence.id
    committed_db.session.commit()
    page = browser_login(manager)

    start_a_sequence_then_add_a_slot(page, live_url, session_id, sequence_id)

    label = page.locator("#new-sequence form").get_by_label("Libellé")
    expect(label).to_be_visible()
    expect(label).to_have_value("Jour 2 en cours de saisie")
    assert count(committed_db, Sequence) == 1  # typed, not saved


def make_two_sequences():
    lyon = factories.make_location(name="Campus Lyon", city="Lyon")
    factories.make_room(location=lyon, name="Salle Rhône", capacity=20)
    paris = factories.make_location(name="Campus Paris", city="Paris")
    factories.make_trainer(first_name="Claire", last_name="Martin")
    factories.make_trainer(first_name="Paul", last_name="Durand")
    session = factories.make_session()
    first = factories.make_sequence(session, label="Jour 1", position=0)
    second = factories.make_sequence(session, label="Jour 2", position=1)
    return session.id, first.id, second.id, lyon.id, paris.id


def add_a_slot(page, sequence_id: int, day: str):
    form = open_new_slot_form(page, sequence_id)
    fill_date_row(form.locator("[data-date-row]").first, day)
    form.get_by_role("button", name="Confirmer").click()
    expect(messages(page)).to_contain_text(["Créneau enregistré."])
    shown_day = date.fromisoformat(day).strftime("%d/%m/%Y")
    expect(shown(page.locator(f"#sequence-body-{sequence_id} li[id^=slot-]"))).to_contain_text(shown_day)


def test_saving_a_slot_keeps_another_slot_form_being_typed(browser_login, live_url, committed_db):
    manager = make_user()
    session_id, first_id, second_id, lyon_id, paris_id = make_two_sequences()
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    mark_the_page(page)
    typing = open_new_slot_form(page, second_id)
    typing.get_by_label("Lieu", exact=True).select_option(label="Campus Lyon (Lyon)")
    typing.get_by_label("Formateurs", exact=True).select_option(label=["Paul Durand"])
    typing.get_by_label("Responsable d'accueil", exact=True).fill("Léa Martin")
    rows = typing.locator("[data-date-row]")
    fill_date_row(rows.first, "2027-06-20", start="10:00")
    typing.get_by_role("button", name="Ajouter une date").click()
    added = rows.last.locator("input[type=date]")
    added_name = added.get_attribute("name")
    fill_date_row(rows.last, "2027-06-21", start="10:00")

    add_a_slot(page, first_id, "2027-05-15")

    typing = page.locator(f"#new-slot-{second_id} form")
    expect(typing).to_be_visible()
    expect(typing.get_by_label("Lieu", exact=True)).to_have_value(str(lyon_id))
    expect(typing.get_by_label("Formateurs", exact=True).locator("option:checked")).to_have_text(
        ["Paul Durand"]
    )
    expect(typing.get_by_label("Responsable d'accueil", exact=True)).to_have_value("Léa Martin")
    expect(typing.locator('[name="dates-0-day"]')).to_have_value("2027-06-20")
    expect(typing.locator('[name="dates-0-start_time"]')).to_have_value("10:00")
    expect(typing.locator(f'[name="{added_name}"]')).to_have_value("2027-06-21")  # the added row too
    room = typing.get_by_label("Salle", exact=True)
    for option in room.locator(f'option[data-location="{paris_id}"]').all():
        expect(option).to_have_js_property("hidden", True)  # still only the rooms of Campus Lyon
    assert same_page(page)


def test_leaving_after_a_slot_save_still_warns_about_the_other_unsaved_form(
    browser_login, live_url, committed_db
):
    manager = make_user()
    sequence = factories.make_sequence(label="Jour 1")
    session_id, sequence_id = sequence.session_id, sequence.id
    committed_db.session.commit()
    page = browser_login(manager)
    general_url = f"{live_url}/admin/sessions/details/?id={session_id}"

    start_a_sequence_then_add_a_slot(page, live_url, session_id, sequence_id)

    leave_and_stay(page, page.locator("#session-tabs").get_by_role("link", name="Planification"))
    expect(page).to_have_url(general_url)
    assert same_page(page)


def test_leaving_after_a_slot_save_with_nothing_else_typed_does_not_warn(
    browser_login, live_url, committed_db
):
    manager = make_user()
    sequence = factories.make_sequence(label="Jour 1")
    session_id, sequence_id = sequence.session_id, sequence.id
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    form = open_new_slot_form(page, sequence_id)
    fill_date_row(form.locator("[data-date-row]").first, "2027-05-15")
    form.get_by_role("button", name="Confirmer").click()
    expect(messages(page)).to_contain_text(["Créneau enregistré."])

    unexpected = record_dialogs(page)
    page.locator("#session-tabs").get_by_role("link", name="Historique").click()
    expect(page).to_have_url(f"{live_url}/admin/sessions/details/?id={session_id}&tab=history")
    assert unexpected == []


# --- The lock after enrolment --------------------------------------------------------------------


def make_locked_session():
    session = factories.make_session(label="Session avec inscrits")
    sequence = factories.make_sequence(session, label="Accueil")
    slot = factories.make_slot(sequence, days=[date(2027, 5, 15)])
    factories.enrol(session)
    return session.id, sequence.id, slot.id


def test_manager_cannot_plan_a_locked_session(browser_login, live_url, committed_db):
    manager = make_user()
    session_id, sequence_id, slot_id = make_locked_session()
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    expect(page.locator("#lock-box")).to_be_visible()
    editor = page.locator("#planning-editor")
    expect(editor.locator(".ta-sequence")).to_have_count(1)
    expect(page.locator("#add-sequence")).to_have_count(0)
    expect(editor.get_by_text("Ajouter une séquence")).to_have_count(0)

    body = open_sequence(page, sequence_id)
    expect(body.locator(f"#slot-{slot_id}")).to_contain_text("15/05/2027 09:00–17:00")
    expect(page.locator(f"#add-slot-{sequence_id}")).to_have_count(0)
    expect(editor.get_by_text("Ajouter un créneau")).to_have_count(0)
    expect(editor.locator(".fa-pencil")).to_have_count(0)
    expect(editor.locator(".fa-trash")).to_have_count(0)
    expect(editor.locator("form")).to_have_count(0)


def test_ops_manager_changes_a_locked_slot_with_a_reason(browser_login, live_url, committed_db):
    ops = make_user(Role.OPS_MANAGER)
    session_id, sequence_id, slot_id = make_locked_session()
    committed_db.session.commit()
    page = browser_login(ops)

    open_session(page, live_url, session_id)
    body = open_sequence(page, sequence_id)
    slot = body.locator(f"#slot-{slot_id}")
    slot.get_by_role("link", name="Modifier le créneau").click()
    form = page.locator(f"#edit-slot-{slot_id} form")
    expect(form).to_be_visible()
    expect(form.get_by_text("Ne pas envoyer de mise à jour de l'invitation calendrier")).to_be_visible()
    reason = form.get_by_label("Motif de la modification")
    expect(reason).to_be_visible()

    form.locator('[name="dates-0-day"]').fill("2027-05-16")
    form.get_by_role("button", name="Confirmer").click()
    error = form.locator('[data-for="change_reason"]')
    expect(error).to_have_text(
        "Des collaborateurs sont inscrits à cette session : indiquez le motif de la modification."
    )
    expect(error).to_be_visible()
    expect(shown(slot)).to_contain_text("15/05/2027 09:00–17:00")
    expect(messages(page)).to_have_count(0)

    reason.fill("Report demandé par le client")
    form.get_by_role("button", name="Confirmer").click()
    expect(messages(page)).to_contain_text(["Créneau enregistré."])
    slot = page.locator(f"#slot-{slot_id}")
    expect(shown(slot)).to_contain_text("16/05/2027 09:00–17:00")
    expect(shown(slot)).not_to_contain_text("15/05/2027")


# --- Deleting a sequence -------------------------------------------------------------------------


def test_deleting_a_sequence_with_slots_asks_first(browser_login, live_url, committed_db):
    manager = make_user()
    session = factories.make_session()
    theory = factories.make_sequence(session, label="Théorie", position=0)
    factories.make_slot(theory, days=[date(2027, 5, 15)])
    practice = factories.make_sequence(session, label="Pratique", position=1)
    session_id, theory_id, practice_id = session.id, theory.id, practice.id
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    mark_the_page(page)
    delete = page.locator(f"#sequence-{theory_id}").get_by_role("button", name="Supprimer la séquence")

    asked: list[str] = []

    def answer(accept: bool):
        def handle(dialog):
            asked.append(f"{dialog.type}: {dialog.message}")
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    delete.click()
    assert asked == ["confirm: Cette séquence a 1 créneau(x) : la supprimer avec ses créneaux ?"]
    expect(page.locator(f"#sequence-{theory_id}")).to_be_visible()
    expect(messages(page)).to_have_count(0, timeout=SETTLED)
    assert count(committed_db, Sequence) == 2 and count(committed_db, Slot) == 1

    page.once("dialog", answer(True))
    delete.click()
    expect(page.locator(f"#sequence-{theory_id}")).to_have_count(0)
    expect(messages(page)).to_have_text(["Séquence supprimée."])
    expect(page.locator("#planning-editor .ta-sequence")).to_have_count(1)
    assert len(asked) == 2
    assert count(committed_db, Sequence) == 1 and count(committed_db, Slot) == 0

    # A sequence without slots goes at once, without a question.
    unexpected = record_dialogs(page)
    page.locator(f"#sequence-{practice_id}").get_by_role("button", name="Supprimer la séquence").click()
    expect(page.locator("#planning-editor .ta-sequence")).to_have_count(0)
    expect(page.locator("#planning-editor")).to_contain_text("Aucune séquence pour le moment.")
    assert unexpected == []
    assert same_page(page)


# --- « Planification »: a sequence's slots drawn when it is opened ------------------------------


def test_planning_tab_opens_a_sequence_in_place_and_its_pencil_leads_to_the_editor(
    browser_login, live_url, committed_db
):
    manager = make_user()
    session = factories.make_session(label="Management d'équipe")
    theory = factories.make_sequence(session, label="Théorie", position=0)
    practice = factories.make_sequence(session, label="Pratique", position=1)
    factories.make_slot(theory, days=[date(2027, 5, 14)])
    lyon = factories.make_location(name="Campus Lyon")
    slot = factories.make_slot(practice, days=[date(2027, 5, 15), date(2027, 5, 16)], location=lyon)
    session_id, practice_id, slot_id = session.id, practice.id, slot.id
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/details/?id={session_id}&tab=planning")
    card = page.locator(f"#planned-sequence-{practice_id}")
    expect(card.locator(".card-header")).to_contain_text("1 créneau(x)")
    expect(page.locator("#sequence-timeline")).to_contain_text("Campus Lyon")
    body = page.locator(f"#planned-sequence-body-{practice_id}")
    expect(body).to_be_hidden()
    mark_the_page(page)

    card.locator("[data-open-sequence]").click()  # « la flèche à droite de la séquence »
    expect(body).to_have_class(re.compile(r"\bshow\b"))
    expect(body).to_contain_text("15/05/2027 09:00–17:00")
    expect(body).to_contain_text("16/05/2027 09:00–17:00")
    expect(body).to_contain_text("Campus Lyon")
    expect(page.locator(f"#planned-sequence-body-{theory.id}")).to_be_hidden()
    assert same_page(page), "the page was reloaded"

    body.get_by_role("link", name="Modifier le créneau").click()
    expect(page.locator("#session-tabs .nav-link.active")).to_have_text("Informations générales")
    form = page.locator(f"#edit-slot-{slot_id} form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Date", exact=True).first).to_have_value("2027-05-15")


def test_planning_tab_without_javascript(browser, live_url, committed_db):
    """Without JavaScript the arrow reloads the tab with the sequence open, and the publication
    pencil opens its form (« Cliquez sur l'icône stylet… sélectionnez « Brouillon » »)."""
    manager = make_user()
    session = factories.make_session(label="Management d'équipe")
    sequence = factories.make_sequence(session, label="Pratique")
    factories.make_slot(sequence, days=[date(2027, 5, 15)])
    session_id, sequence_id = session.id, sequence.id
    committed_db.session.commit()
    context = browser.new_context(java_script_enabled=False, base_url=live_url)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/admin/sessions/details/?id={session_id}&tab=planning")

    body = page.locator(f"#planned-sequence-body-{sequence_id}")
    expect(body).to_be_hidden()
    page.locator(f"#planned-sequence-{sequence_id} [data-open-sequence]").click()
    expect(body).to_be_visible()
    expect(body).to_contain_text("15/05/2027 09:00–17:00")

    expect(page.locator("#publication-select")).to_be_hidden()
    page.locator("#edit-publication").click()
    page.locator("#publication-select").select_option("published")
    page.locator("#publication-form").get_by_role("button", name="Sauvegarder").click()
    expect(page.get_by_text("Publication sauvegardée : Publié")).to_be_visible()
    expect(page.locator("#publication-value")).to_contain_text("Publié")
    context.close()
