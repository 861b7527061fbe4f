"""« Créer une session » → « Importer » → « Continuer » → a file → the run's page → « Accéder à la
session », in a real Chromium (inline jobs: the run has ended when its page opens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from trainadmin.models import Role

from . import factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
FEED = (
    "reference;training;title;sequence;date;start_time;end_time;break_minutes;location;room;trainers\n"
    "B-1;Sécurité;Sécurité incendie — Lyon;Journée;2027-06-07;09:00;17:00;60;Campus Lyon;Salle Rhône;"
    "Claire Martin\n"
    "B-2;Sécurité;Sécurité incendie — Nantes;Journée;2027-06-08;9h;8h;0;Campus Lyon;Salle Rhône;\n"
)


def fr(message: str, **values) -> str:
    with force_locale("fr"):
        return gettext(message, **values)


def test_import_from_the_create_dialog_to_the_imported_session(
    browser_login, live_url, committed_db, tmp_path
):
    manager = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    factories.make_training(name="Sécurité")
    lyon = factories.make_named(factories.Location, name="Campus Lyon")
    factories.make_room(location=lyon, name="Salle Rhône")
    factories.make_trainer(first_name="Claire", last_name="Martin")
    factories.make_partner(name="Campus Partenaires")
    committed_db.session.commit()
    feed = Path(tmp_path) / "sessions-partenaire.csv"
    feed.write_text(FEED, encoding="utf-8")
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/")
    page.locator("#create-session").click()
    dialog = page.locator("#create-session-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_text("Importer", exact=True).click()
    expect(dialog.get_by_label("Importer", exact=False)).to_be_checked()
    dialog.get_by_role("button", name="Continuer").click()

    expect(page).to_have_url(f"{live_url}/admin/imports/start/")
    page.locator("#import-partner").select_option(label="Campus Partenaires (CSV)")
    page.locator("#import-file").set_input_files(str(feed))
    page.locator("#import-upload").click()

    expect(page).to_have_url(re.compile(re.escape(f"{live_url}/admin/imports/details/?id=") + r"\d+$"))
    expect(page.locator("#run-status")).to_have_text("Terminé avec rejets")
    expect(page.locator("#count-created")).to_have_text("1")
    expect(page.locator("#count-rejected")).to_have_text("1")
    rejection = page.locator(".run-rejection")
    expect(rejection).to_contain_text("B-2")
    expect(rejection).to_contain_text(fr("The end time must be after the start time."))

    go = page.locator(".run-session .go-to-session")
    expect(go).to_have_text("Accéder à la session")
    go.click()
    expect(page.locator("#session-title")).to_contain_text("Sécurité incendie — Lyon")
    expect(page.locator("#draft-box")).to_be_visible()
