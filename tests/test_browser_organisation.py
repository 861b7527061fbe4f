"""In a real Chromium: an administrator sets the organisation and its logo through « Paramètres ›
Organisation », then downloads a convocation, which the browser saves under its exact Unicode name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from trainadmin.models import Role, SessionType

from . import factories
from .pdf_support import both_readers, images

pytestmark = pytest.mark.browser


def test_set_the_organisation_then_download_a_convocation(browser_login, live_url, committed_db):
    admin = factories.make_user(role=Role.ADMIN)
    session = factories.make_session(session_type=SessionType.INTER)
    factories.make_slot(factories.make_sequence(session, label="Théorie"), location=factories.make_location())
    demande = factories.enrol(
        session, factories.make_collaborator(first_name="Łukasz", last_name="Cœurdevey")
    )
    committed_db.session.commit()
    logo = io.BytesIO()
    Image.new("RGB", (200, 60), (200, 40, 40)).save(logo, "PNG")
    page = browser_login(admin)

    page.locator("a.dropdown-toggle", has_text="Paramètres").click()
    page.get_by_role("link", name="Organisation").click()
    page.fill("#name", "Groupe Rhône Énergies")
    page.fill("#address", "45 quai Perrache\n69002 Lyon")
    page.fill("#city", "Lyon")
    page.fill("#training_email", "formation@example.com")
    page.locator("#logo").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": logo.getvalue()}
    )
    page.locator("#organisation-save").click()
    expect(page.locator(".alert-success")).to_contain_text("Paramètres de l'organisation enregistrés.")
    expect(page.locator("#current-logo img")).to_be_visible()
    assert page.locator("#current-logo img").evaluate("img => img.naturalWidth") == 200

    page.goto(f"{live_url}/admin/demandes/details/?id={demande.id}&tab=documents")
    with page.expect_download() as started:
        page.locator("#download-convocation").click()
    download = started.value
    assert download.suggested_filename == f"convocation-{session.code}-Cœurdevey.pdf"
    data = Path(download.path()).read_bytes()
    assert (200, 60) in images(data)
    for reader, text in both_readers(data).items():
        assert "Groupe Rhône Énergies" in text and "Bonjour Łukasz Cœurdevey," in text, reader
