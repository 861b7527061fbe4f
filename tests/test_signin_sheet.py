"""The feuille d'émargement of a date signed online: each signature printed with its time, the
trainer's countersignature, the marks set by hand beside them, and the fingerprint of the sheet's
content, which changes when a mark changes after the signing. Read back with pypdf and pdftotext."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from trainadmin.models import Role, SignatureVia
from trainadmin.services.participants import (
    Device,
    countersign,
    enrolled_participants,
    find_day,
    sheet_fingerprint,
    sign_participant,
)

from .conftest import post_form
from .pdf_support import both_readers
from .signin_support import AM, PM, make_half_day, set_clock, signature_png

DEVICE = Device("203.0.113.9", "Pixel 7")


@pytest.fixture
def signed_day(db, monkeypatch):
    half_day = make_half_day()
    clock = set_clock(monkeypatch, 10)
    sign_participant(half_day.ana.id, half_day.slot_date.id, AM, signature_png(1), DEVICE, SignatureVia.QR)
    clock.set(10, 5)
    sign_participant(half_day.ben.id, half_day.slot_date.id, AM, signature_png(2), DEVICE, SignatureVia.LINK)
    clock.set(12, 7)
    countersign(half_day.trainer.id, half_day.slot_date.id, AM, signature_png(3), DEVICE)
    clock.set(14, 1)
    sign_participant(half_day.ana.id, half_day.slot_date.id, PM, signature_png(4), DEVICE, SignatureVia.LINK)
    return half_day


def sheet(client, half_day) -> bytes:
    response = client.get(
        f"/admin/sessions/attendance/sheet/?id={half_day.session.id}&date={half_day.slot_date.id}"
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def printed_fingerprint(text: str) -> str:
    found = re.search(r"SHA-256[^:]*: ([0-9a-f]{64})", text)
    assert found, text[-400:]
    return found.group(1)


def test_the_sheet_prints_the_signatures_their_times_and_its_fingerprint(login_as, signed_day):
    data = sheet(login_as(Role.VIEWER), signed_day)
    day = find_day(signed_day.session, signed_day.slot_date.id)
    expected = sheet_fingerprint(signed_day.session, day, enrolled_participants(signed_day.session))
    for reader, text in both_readers(data).items():
        for words in ("Ana Alves", "Ben Bernard", "Claire Formatrice", "10:00", "10:05", "12:07", "14:01"):
            assert words in text, (reader, words)
        assert "Matin" in text and "Après-midi" in text and "Empreinte" in text
        assert printed_fingerprint(text) == expected, reader
    images = [image for page in PdfReader(io.BytesIO(data)).pages for image in page.images]
    assert len(images) == 4  # Ana twice, Ben, the trainer


def test_a_mark_changed_after_the_signing_changes_the_fingerprint(login_as, signed_day):
    client = login_as(Role.ADMIN)
    before = printed_fingerprint(both_readers(sheet(client, signed_day))["pypdf"])
    key = f"attendance-{signed_day.ben.id}-{signed_day.slot_date.id}-am"
    assert (
        post_form(
            client, f"/admin/sessions/attendance/?id={signed_day.session.id}", {key: "absent"}
        ).status_code
        == 302
    )
    text = both_readers(sheet(client, signed_day))["pdftotext"]
    after = printed_fingerprint(text)
    assert after != before
    assert "Absent" in text and "(saisi à la main)" in text  # beside Ben's signature, in a narrow column
    # The same content always gives the same fingerprint.
    assert printed_fingerprint(both_readers(sheet(client, signed_day))["pypdf"]) == after


def test_a_date_signed_on_paper_keeps_its_blank_sheet(login_as, db):
    half_day = make_half_day()
    text = both_readers(sheet(login_as(Role.VIEWER), half_day))["pypdf"]
    assert "Ana Alves" in text and "Empreinte" not in text
