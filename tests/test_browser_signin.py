"""Émargement numérique on phones, in a real Chromium: the staff issue the trainer's link; the
trainer's phone shows the QR code, read back from the screen with a QR decoder; a participant's
phone opens it, gives their address, types the code e-mailed to them and signs on the pad with the
mouse; the trainer sees the signature come in and countersigns; the « Présences » tab shows both."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainadmin.models import OutboxMessage, Role, Signature, SignatureVia

from . import factories
from .signin_support import make_half_day, set_clock

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def read_qr_code(png: bytes) -> str:
    """The text of the QR code in a screenshot, read by zxing-cpp (nothing of the app's own)."""
    import io

    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def draw_signature(page, canvas_selector: str = "#signature-canvas") -> None:
    canvas = page.locator(canvas_selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    left, middle = box["x"] + 20, box["y"] + box["height"] / 2
    page.mouse.move(left, middle)
    page.mouse.down()
    for step in range(1, 10):
        page.mouse.move(left + step * (box["width"] - 40) / 9, middle + (25 if step % 2 else -25), steps=4)
    page.mouse.up()


def emailed_code(db, recipient: str) -> str:
    db.session.expire_all()
    message = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.recipient == recipient, OutboxMessage.kind == "signin_code"
        )
    ).one()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_signing_by_qr_code_on_phones(
    browser, playwright, browser_login, live_url, committed_db, monkeypatch
):
    half_day = make_half_day()
    admin = factories.make_user(role=Role.ADMIN, password=PASSWORD)
    committed_db.session.commit()
    clock = set_clock(monkeypatch, 10)
    pixel = playwright.devices["Pixel 7"]

    # The staff issue the trainer's link of the morning from « Présences ».
    staff = browser_login(admin)
    staff.goto(f"{live_url}/admin/sessions/details/?id={half_day.session.id}&tab=attendance")
    morning = staff.locator(f'[data-signin="{half_day.slot_date.id}"] [data-signin-half="am"]')
    morning.get_by_role("button", name="Lien formateur").click()
    trainer_url = staff.locator("#signin-links input[readonly]").input_value()
    assert trainer_url.startswith(live_url + "/l/")
    staff.goto(f"{live_url}/admin/sessions/details/?id={half_day.session.id}&tab=attendance")
    ana_cell = staff.locator(
        f'tr[data-request="{half_day.ana.id}"] [data-cell="{half_day.slot_date.id}-am"] select'
    )
    expect(ana_cell.locator("option:checked")).to_have_text("—")

    # The trainer's phone shows the QR code and the list.
    trainer_context = browser.new_context(**pixel)
    participant_context = browser.new_context(**pixel)
    try:
        trainer = trainer_context.new_page()
        trainer.goto(trainer_url)
        expect(trainer.locator("#signin-participants")).to_contain_text("Ana Alves")
        expect(trainer.locator("#signin-count")).to_have_text("0 / 2")
        qr = trainer.locator("#signin-qr")
        expect(qr).to_be_visible()
        scanned = read_qr_code(qr.screenshot())
        assert re.fullmatch(re.escape(live_url) + r"/l/signin/[A-Z2-9]{6}", scanned), scanned
        assert scanned.endswith(trainer.locator("#signin-code").inner_text().replace(" ", ""))

        # The code changes every 30 seconds: the page fetches the new one by itself.
        first = trainer.locator("#signin-code").inner_text()
        clock.advance(30)
        expect(trainer.locator("#signin-code")).not_to_have_text(first, timeout=15_000)
        assert read_qr_code(qr.screenshot()) != scanned

        # A participant's phone opens the address of the QR code (scanned 30 s ago: still valid).
        participant = participant_context.new_page()
        participant.goto(scanned)
        expect(participant.locator("#signin-half-day")).to_contain_text("Matin du 15/03/2027")
        participant.get_by_label("Votre adresse e-mail").fill("ana@example.com")
        participant.get_by_role("button", name="Recevoir mon code").click()
        expect(participant.locator("#signin-code-sent")).to_be_visible()
        participant.get_by_label("Code reçu par e-mail").fill(emailed_code(committed_db, "ana@example.com"))
        participant.get_by_role("button", name="Signer").click()
        expect(participant.locator("[data-signature-empty]")).to_be_visible()  # nothing drawn yet
        draw_signature(participant)
        participant.get_by_role("button", name="Signer").click()
        expect(participant.locator("#signin-done")).to_have_text(
            "Merci : votre signature a été enregistrée à 10:00."
        )

        # The trainer's list shows it without a reload; at the end of the morning, the countersignature.
        ana = trainer.locator("[data-signer]", has_text="Ana Alves")
        expect(ana).to_contain_text("signé à 10:00", timeout=15_000)
        expect(trainer.locator("#signin-count")).to_have_text("1 / 2")
        # The staff's « Présences » shows it too, without a reload.
        expect(ana_cell.locator("option:checked")).to_have_text("présent (signé 10:00)", timeout=20_000)
        clock.set(12, 5)
        trainer.reload()
        draw_signature(trainer)
        trainer.get_by_role("button", name="Contresigner").click()
        expect(trainer.locator("#signin-countersigned")).to_have_text("Vous avez contresigné à 12:05.")
        expect(trainer.locator("[data-qr-section]")).to_be_hidden()
    finally:
        trainer_context.close()
        participant_context.close()

    committed_db.session.expire_all()
    signatures = committed_db.session.scalars(sa.select(Signature).order_by(Signature.signed_at)).all()
    assert [(s.request_id, s.trainer_id, s.via) for s in signatures] == [
        (half_day.ana.id, None, SignatureVia.QR),
        (None, half_day.trainer.id, SignatureVia.LINK),
    ]
    assert all(s.image.startswith(b"\x89PNG") and "Pixel 7" in s.user_agent for s in signatures)
    assert signatures[0].ip == "127.0.0.1"

    # The staff see both in « Présences ».
    staff.reload()
    expect(ana_cell.locator("option:checked")).to_have_text("présent (signé 10:00)")
    expect(morning).to_contain_text("Contresigné par Claire Formatrice à 12:05")


def test_the_sign_in_pages_meet_aa_contrast(
    browser, playwright, browser_login, live_url, committed_db, monkeypatch
):
    from trainadmin.services.participants import Device, countersign, sign_participant

    from .signin_support import AM, signature_png
    from .test_browser_contrast import contrast_failures

    half_day = make_half_day()
    admin = factories.make_user(role=Role.ADMIN, password=PASSWORD)
    set_clock(monkeypatch, 10)
    device = Device("127.0.0.1", "test")
    sign_participant(half_day.ana.id, half_day.slot_date.id, AM, signature_png(), device, SignatureVia.LINK)
    committed_db.session.commit()
    staff = browser_login(admin)
    failures: list[str] = []
    attendance = f"{live_url}/admin/sessions/details/?id={half_day.session.id}&tab=attendance"
    staff.goto(attendance)
    failures += contrast_failures(staff, "« Présences » with a signature")
    morning = staff.locator(f'[data-signin="{half_day.slot_date.id}"] [data-signin-half="am"]')
    morning.get_by_role("button", name="Liens participants").click()
    failures += contrast_failures(staff, "participants' links")
    ben_url = staff.locator("[data-signin-link]", has_text="Ben Bernard").locator("input").input_value()
    staff.goto(attendance)
    morning.get_by_role("button", name="Lien formateur").click()
    trainer_url = staff.locator("#signin-links input[readonly]").input_value()

    phone = browser.new_context(**playwright.devices["Pixel 7"], reduced_motion="reduce")
    try:
        page = phone.new_page()
        page.goto(trainer_url)
        failures += contrast_failures(page, "trainer's page")
        code = page.locator("#signin-code").inner_text().replace(" ", "")
        page.goto(ben_url)
        failures += contrast_failures(page, "participant's own link")
        page.get_by_role("button", name="Signer").click()
        failures += contrast_failures(page, "participant's own link, nothing drawn")
        page.goto(f"{live_url}/l/signin")
        failures += contrast_failures(page, "code typed")
        page.goto(f"{live_url}/l/signin/{code}")
        failures += contrast_failures(page, "e-mail asked")
        page.get_by_label("Votre adresse e-mail").fill("ana@example.com")
        page.get_by_role("button", name="Recevoir mon code").click()
        failures += contrast_failures(page, "already signed")
        page.goto(f"{live_url}/l/signin/ZZZZZZ")
        failures += contrast_failures(page, "unknown code")
    finally:
        phone.close()
    committed_db.session.expire_all()
    countersign(half_day.trainer.id, half_day.slot_date.id, AM, signature_png(), device)
    committed_db.session.commit()
    staff.goto(attendance)
    failures += contrast_failures(staff, "« Présences » countersigned")
    assert failures == []
