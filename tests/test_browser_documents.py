"""Documents in a real Chromium: the file picker and the multipart forms of the « Documents » tab
and of the « Coûts » tab, and the download the browser saves."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from trainadmin.models import Cost, Role

from . import factories

pytestmark = pytest.mark.browser

PDF = factories.PDF_BYTES


def test_attach_a_file_to_a_session_then_download_it(browser_login, live_url, committed_db, storage):
    manager = factories.make_user(role=Role.MANAGER)
    session = factories.make_session()
    factories.make_named(factories.DocumentType, name="Convention")
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}")
    page.locator('#session-tabs a[data-tab="documents"]').click()
    form = page.locator(f"#upload-session-{session.id}")
    form.locator("select[name=document_type_id]").select_option(label="Convention")
    form.locator("input[type=file]").set_input_files(
        {"name": "Convention signée.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.get_by_role("button", name="Sauvegarder").click()

    panel = page.locator(f"#documents-session-{session.id}")
    row = panel.locator("tbody tr", has_text="Convention signée.pdf")
    expect(row).to_contain_text("Convention")
    with page.expect_download() as started:
        row.locator("a.ta-document-download").click()
    download = started.value
    assert download.suggested_filename == "Convention signée.pdf"
    assert Path(download.path()).read_bytes() == PDF


def test_attach_a_file_to_a_cost_line(browser_login, live_url, committed_db, storage):
    manager = factories.make_user(role=Role.MANAGER)
    session = factories.make_session()
    factories.make_named(factories.DocumentType, name="Facture")
    cost = Cost(session=session, cost_type=factories.make_named(factories.CostType), amount=Decimal(900))
    committed_db.session.add(cost)
    committed_db.session.commit()
    page = browser_login(manager)

    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}&tab=costs")
    page.locator(f'a[href="#attach-cost-{cost.id}"]').click()
    expect(page.locator(f"#attach-cost-{cost.id}")).to_have_class("collapse show")
    form = page.locator(f"#upload-cost-{cost.id}")
    form.locator("select[name=document_type_id]").select_option(label="Facture")
    form.locator("input[type=file]").set_input_files(
        {"name": "facture-0042.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.get_by_role("button", name="Sauvegarder").click()

    expect(page).to_have_url(f"{live_url}/admin/sessions/details/?id={session.id}&tab=costs")
    expect(page.locator(f"#cost-{cost.id}-attachments")).to_contain_text("facture-0042.pdf")
