"""The « Présences » tab and the digital sign-in: a signature shows as « présent (signé HH:MM) » and
counts as present; a mark set by hand is a separate entry that never changes the signature; the
staff issue the trainer's and the participants' links of each half-day there."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from trainadmin.models import AccessLink, Attendance, LinkPurpose, Presence, Role, Signature, SignatureVia
from trainadmin.services.participants import Device, countersign, sign_participant

from .conftest import history_lines, post_form
from .signin_support import AM, PM, make_half_day, set_clock, signature_png

DEVICE = Device("203.0.113.9", "Pixel 7")


@pytest.fixture
def half_day(db):
    return make_half_day()


@pytest.fixture
def clock(monkeypatch):
    return set_clock(monkeypatch, 10)


def attendance_tab(client, half_day) -> str:
    response = client.get(f"/admin/sessions/details/?id={half_day.session.id}&tab=attendance")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def cell(page: str, request_id: int, slot_date_id: int, half: str) -> str:
    row = re.search(rf'<tr data-request="{request_id}">(.*?)</tr>', page, re.S).group(1)
    return re.search(rf'data-cell="{slot_date_id}-{half}">(.*?)</td>', row, re.S).group(1)


def test_a_signature_shows_as_present_and_counts(login_as, half_day, clock):
    sign_participant(half_day.ana.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.QR)
    page = attendance_tab(login_as(Role.ADMIN), half_day)
    ana = cell(page, half_day.ana.id, half_day.slot_date.id, "am")
    assert '<option value="">présent (signé 10:00)</option>' in ana
    assert "signé" not in cell(page, half_day.ben.id, half_day.slot_date.id, "am")
    assert re.search(rf'<tr data-request="{half_day.ana.id}">.*?data-rate>100\s%', page, re.S)
    viewer_page = attendance_tab(login_as(Role.VIEWER), half_day)
    assert "présent (signé 10:00)" in cell(viewer_page, half_day.ana.id, half_day.slot_date.id, "am")


def test_a_mark_set_by_hand_is_a_separate_entry(db, login_as, half_day, clock):
    signed = sign_participant(
        half_day.ana.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK
    )
    before = (signed.id, signed.signed_at, signed.image_sha256, signed.request_id)
    client = login_as(Role.ADMIN)
    key = f"attendance-{half_day.ana.id}-{half_day.slot_date.id}-am"
    response = post_form(client, f"/admin/sessions/attendance/?id={half_day.session.id}", {key: "absent"})
    assert response.status_code == 302
    mark = db.session.scalars(sa.select(Attendance)).one()
    assert mark.value == Presence.ABSENT and mark.request_id == half_day.ana.id
    kept = db.session.scalars(sa.select(Signature)).one()
    assert (kept.id, kept.signed_at, kept.image_sha256, kept.request_id) == before
    page = attendance_tab(client, half_day)
    ana = cell(page, half_day.ana.id, half_day.slot_date.id, "am")
    assert re.search(r'<option value="absent" selected>Absent</option>', ana)
    assert "signé 10:00 · saisi à la main" in ana
    assert re.search(rf'<tr data-request="{half_day.ana.id}">.*?data-rate>0\s%', page, re.S)
    assert any("Absent" in line for line in history_lines(half_day.session.id))
    # The blank choice goes back to the signature: the mark is removed, the signature stays.
    post_form(client, f"/admin/sessions/attendance/?id={half_day.session.id}", {key: ""})
    assert db.session.scalars(sa.select(Attendance)).all() == []
    assert db.session.scalars(sa.select(Signature)).one().id == before[0]


def test_the_grid_asks_for_the_signatures_as_they_come(login_as, half_day, clock):
    client = login_as(Role.VIEWER)
    url = f"/admin/sessions/attendance/signatures/?id={half_day.session.id}"
    assert client.get(url).get_json() == {"signed": {}}
    sign_participant(half_day.ben.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.QR)
    assert client.get(url).get_json() == {
        "signed": {f"{half_day.ben.id}-{half_day.slot_date.id}-am": "10:00"}
    }
    other = make_half_day(domain="example.org")
    assert client.get(f"/admin/sessions/attendance/signatures/?id={other.session.id}").get_json() == {
        "signed": {}
    }


def test_the_countersignature_shows_on_the_dates(login_as, half_day, clock):
    clock.set(12, 2)
    countersign(half_day.trainer.id, half_day.slot_date.id, AM, signature_png(), DEVICE)
    page = attendance_tab(login_as(Role.VIEWER), half_day)
    assert "Contresigné par Claire Formatrice à 12:02" in page
    assert "data-trainer-link" not in page  # a reader issues no link


def test_staff_issue_the_links_of_a_half_day(app, db, login_as, half_day, clock):
    client = login_as(Role.ADMIN)
    page = attendance_tab(client, half_day)
    assert "Lien formateur" in page and "Liens participants" in page
    url = f"/admin/sessions/attendance/links/?id={half_day.session.id}"
    form = {"slot_date_id": half_day.slot_date.id, "half_day": "pm"}
    response = post_form(client, url, {**form, "for": "trainer"})
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "Claire Formatrice" in text
    (trainer_url,) = re.findall(r'readonly value="([^"]+)"', text)
    assert "/l/" in trainer_url
    response = post_form(client, url, {**form, "for": "participants"})
    participant_urls = re.findall(r'readonly value="([^"]+)"', response.get_data(as_text=True))
    assert len(participant_urls) == 2
    issued = db.session.scalars(sa.select(AccessLink)).all()
    assert sorted(link.purpose for link in issued) == [
        LinkPurpose.COUNTERSIGN,
        LinkPurpose.SIGN_IN,
        LinkPurpose.SIGN_IN,
    ]
    assert {link.half_day for link in issued} == {PM}
    anonymous = app.test_client()
    path = trainer_url.split("127.0.0.1:5000", 1)[1]
    assert "Claire Formatrice" in anonymous.get(path).get_data(as_text=True)
    # A reader cannot issue them; a half-day the date does not have is refused.
    assert post_form(login_as(Role.VIEWER), url, {**form, "for": "trainer"}).status_code == 403
    refused = post_form(
        client, url, {"slot_date_id": half_day.slot_date.id, "half_day": "night", "for": "trainer"}
    )
    assert refused.status_code == 302
    assert len(db.session.scalars(sa.select(AccessLink)).all()) == 3


def test_a_past_half_day_gets_no_link(login_as, half_day, clock):
    clock.set(18)
    client = login_as(Role.ADMIN)
    url = f"/admin/sessions/attendance/links/?id={half_day.session.id}"
    response = post_form(
        client, url, {"slot_date_id": half_day.slot_date.id, "half_day": "am", "for": "trainer"}
    )
    assert response.status_code == 302
    page = attendance_tab(client, half_day)
    assert "Cette demi-journée est passée (matin du 15/03/2027)" in page
