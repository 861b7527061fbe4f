"""Émargement numérique through a participant's own link: one signature per person and half-day,
within the half-day's hours, recorded with its time, image, address and browser; the trainer's
countersignature closes the half-day. Links tampered with, expired or replaced are refused."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from trainadmin.models import AccessLink, LinkPurpose, OutboxMessage, RequestStatus, Signature, SignatureVia
from trainadmin.models.types import utcnow
from trainadmin.services import links
from trainadmin.services.participants import (
    AlreadySigned,
    Device,
    SigninRefused,
    countersign,
    countersign_links_for,
    read_signature,
    sign_participant,
    signin_links_for,
)

from . import factories
from .conftest import count_rows, csrf_token
from .signin_support import AM, PM, form_token, make_half_day, set_clock, signature, signature_png

DEVICE = Device("203.0.113.9", "Mozilla/5.0 (Linux; Android 14; Pixel 7)")


@pytest.fixture
def half_day(db):
    return make_half_day()


@pytest.fixture
def clock(monkeypatch):
    return set_clock(monkeypatch, 10)


def personal_links(app, half_day, half=AM) -> dict[str, str]:
    """{first name: path of their link} for every participant."""
    with app.test_request_context():
        pairs = signin_links_for(half_day.slot_date, half)
    return {request.collaborator.first_name: "/l/" + url.rsplit("/l/", 1)[1] for request, url in pairs}


def csrf(client) -> str:
    return csrf_token(client, "/login")


def sign_page(client, path: str, drawn: str | None = None, **extra):
    page = client.get(path)
    token = form_token(page.get_data(as_text=True))
    data = {"csrf_token": token, "signature": drawn if drawn is not None else signature(), **extra}
    return client.post(path, data=data)


# --- Service ----------------------------------------------------------------------------------


def test_a_participant_signs_once_within_the_hours(half_day, clock):
    png = signature_png()
    signed = sign_participant(half_day.ana.id, half_day.slot_date.id, AM, png, DEVICE, SignatureVia.LINK)
    assert signed.signed_at == clock.at and signed.image == png
    assert signed.image_sha256 == hashlib.sha256(png).hexdigest()
    assert (signed.ip, signed.user_agent, signed.via) == (DEVICE.ip, DEVICE.user_agent, SignatureVia.LINK)
    clock.advance(600)
    with pytest.raises(AlreadySigned) as again:
        sign_participant(
            half_day.ana.id, half_day.slot_date.id, AM, signature_png(1), DEVICE, SignatureVia.QR
        )
    assert again.value.message == "Vous avez déjà signé à 10:00."
    # The afternoon is another half-day.
    clock.set(14)
    sign_participant(half_day.ana.id, half_day.slot_date.id, PM, png, DEVICE, SignatureVia.LINK)


@pytest.mark.parametrize(
    ("hour", "minute", "half", "message"),
    [
        (8, 29, AM, "La signature (matin du 15/03/2027) ouvre à 08:30."),
        (12, 31, AM, "La signature (matin du 15/03/2027) est close depuis 12:30."),
        (12, 29, PM, "La signature (après-midi du 15/03/2027) ouvre à 12:30."),
        (17, 31, PM, "La signature (après-midi du 15/03/2027) est close depuis 17:30."),
    ],
)
def test_signing_outside_the_half_days_hours_is_refused(half_day, clock, hour, minute, half, message):
    clock.set(hour, minute)
    with pytest.raises(SigninRefused) as refused:
        sign_participant(
            half_day.ana.id, half_day.slot_date.id, half, signature_png(), DEVICE, SignatureVia.LINK
        )
    assert refused.value.message == message
    assert count_rows(factories.db, Signature) == 0


def test_the_tolerance_is_the_organisations(half_day, clock):
    from trainadmin.models import OrganisationSettings

    factories.db.session.add(OrganisationSettings(name="Acme", signin_tolerance_minutes=5))
    factories.db.session.flush()
    clock.set(8, 50)
    with pytest.raises(SigninRefused, match="ouvre à 08:55"):
        sign_participant(
            half_day.ana.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK
        )
    clock.set(8, 55)
    sign_participant(half_day.ana.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK)


def test_a_date_with_one_half_day_gives_it_all_its_hours(db, clock):
    from datetime import time

    half_day = make_half_day()
    half_day.slot_date.start_time, half_day.slot_date.end_time = time(13, 30), time(18)
    db.session.flush()
    clock.set(13)
    sign_participant(half_day.ana.id, half_day.slot_date.id, PM, signature_png(), DEVICE, SignatureVia.LINK)
    with pytest.raises(SigninRefused, match="n'existe plus"):
        sign_participant(
            half_day.ben.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK
        )


def test_only_an_enrolled_participant_of_the_session_signs(half_day, clock):
    other = factories.enrol(factories.make_session())
    with pytest.raises(SigninRefused, match="inscrits"):
        sign_participant(other.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK)
    half_day.ben.status = RequestStatus.CANCELLED
    factories.db.session.flush()
    with pytest.raises(SigninRefused, match="inscrits"):
        sign_participant(
            half_day.ben.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK
        )


def test_the_trainers_countersignature_closes_the_half_day(half_day, clock):
    sign_participant(half_day.ana.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK)
    clock.set(12, 5)
    signed = countersign(half_day.trainer.id, half_day.slot_date.id, AM, signature_png(2), DEVICE)
    assert signed.trainer_id == half_day.trainer.id and signed.request_id is None
    with pytest.raises(SigninRefused, match=r"contresigné la feuille \(matin du 15/03/2027\) à 12:05"):
        sign_participant(
            half_day.ben.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK
        )
    with pytest.raises(AlreadySigned):
        countersign(half_day.trainer.id, half_day.slot_date.id, AM, signature_png(3), DEVICE)
    stranger = factories.make_trainer()
    with pytest.raises(SigninRefused, match="formateur de ce créneau"):
        countersign(stranger.id, half_day.slot_date.id, AM, signature_png(), DEVICE)


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "data:image/jpeg;base64,/9j/4AAQSkZJRg==",
        "data:image/png;base64,not base64!",
        "data:image/png;base64,R0lGODlhAQABAAAAACw=",  # a GIF called a PNG
        "data:image/png;base64," + "A" * 400_000,  # too big
    ],
)
def test_a_signature_must_be_a_png_of_reasonable_size(app, sent):
    with app.test_request_context(), pytest.raises(SigninRefused):
        read_signature(sent)


def test_a_blank_pad_is_no_signature(app):
    import base64
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (300, 120), (0, 0, 0, 0)).save(out, "PNG")
    with app.test_request_context(), pytest.raises(SigninRefused, match="Signez dans le cadre"):
        read_signature("data:image/png;base64," + base64.b64encode(out.getvalue()).decode())


def test_links_are_issued_for_every_participant_and_trainer_until_the_half_day_closes(app, half_day, clock):
    with app.test_request_context():
        pairs = signin_links_for(half_day.slot_date, AM)
        trainer_pairs = countersign_links_for(half_day.slot_date, AM)
    assert [request.collaborator.first_name for request, _url in pairs] == ["Ana", "Ben"]
    assert all(url.startswith("http://127.0.0.1:5000/l/") for _request, url in pairs)  # TRAINADMIN_PUBLIC_URL
    assert [trainer for trainer, _url in trainer_pairs] == [half_day.trainer]
    issued = factories.db.session.scalars(sa.select(AccessLink).order_by(AccessLink.id)).all()
    assert {link.purpose for link in issued} == {LinkPurpose.SIGN_IN, LinkPurpose.COUNTERSIGN}
    assert {link.expires_at for link in issued} == {clock.set(12, 30)}
    assert {link.recipient for link in issued} == {
        "ana@example.com",
        "ben@example.com",
        half_day.trainer.email,
    }
    clock.set(12, 31)
    with app.test_request_context(), pytest.raises(SigninRefused, match="est passé"):
        signin_links_for(half_day.slot_date, AM)


# --- HTTP -------------------------------------------------------------------------------------


def test_a_participant_signs_through_their_link(app, client, half_day, clock):
    path = personal_links(app, half_day)["Ana"]
    page = client.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ana Alves" in text and "data-signature-pad" in text
    assert "Matin du 15/03/2027" in text and "signatures de 08:30 à 12:30" in text
    page = client.get(path)
    response = client.post(
        path,
        data={"csrf_token": form_token(page.get_data(as_text=True)), "signature": signature()},
        headers={"User-Agent": "Pixel 7 test browser"},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    assert response.status_code == 200
    assert "votre signature a été enregistrée à 10:00" in response.get_data(as_text=True)
    signed = factories.db.session.scalars(sa.select(Signature)).one()
    assert (signed.request_id, signed.slot_date_id, signed.half_day) == (
        half_day.ana.id,
        half_day.slot_date.id,
        AM,
    )
    assert (signed.ip, signed.user_agent, signed.via) == (
        "198.51.100.4",
        "Pixel 7 test browser",
        SignatureVia.LINK,
    )
    assert signed.image.startswith(b"\x89PNG")
    # The link is spent: opened again, it says when they signed.
    again = client.get(path)
    assert again.status_code == 200 and "Vous avez déjà signé à 10:00." in again.get_data(as_text=True)


def test_a_second_signature_through_another_link_is_refused(app, client, half_day, clock):
    first = personal_links(app, half_day)["Ana"]
    assert sign_page(client, first).status_code == 200
    clock.advance(120)
    second = personal_links(app, half_day)["Ana"]  # « Renvoyer le lien »
    text = client.get(second).get_data(as_text=True)
    assert "Vous avez déjà signé à 10:00." in text and "data-signature-pad" not in text
    response = client.post(second, data={"csrf_token": csrf(client), "signature": signature(4)})
    assert response.status_code == 409 and "Vous avez déjà signé à 10:00." in response.get_data(as_text=True)
    assert count_rows(factories.db, Signature) == 1


def test_signing_out_of_hours_over_http_says_when(app, client, half_day, clock):
    path = personal_links(app, half_day)["Ben"]
    clock.set(8, 0)
    page = client.get(path).get_data(as_text=True)
    assert "La signature (matin du 15/03/2027) ouvre à 08:30." in page and "data-signature-pad" not in page
    response = client.post(path, data={"csrf_token": csrf(client), "signature": signature()})
    assert response.status_code == 422
    assert "ouvre à 08:30" in response.get_data(as_text=True)
    assert count_rows(factories.db, Signature) == 0


def test_nobody_signs_for_someone_else(app, client, half_day, clock):
    path = personal_links(app, half_day)["Ana"]
    page = client.get(path)
    response = client.post(
        path,
        data={
            "csrf_token": form_token(page.get_data(as_text=True)),
            "signature": signature(),
            "request_id": str(half_day.ben.id),
            "request": str(half_day.ben.id),
        },
    )
    assert response.status_code == 200
    signed = factories.db.session.scalars(sa.select(Signature)).one()
    assert signed.request_id == half_day.ana.id


def test_tampered_expired_and_replaced_links_are_refused(app, client, half_day, clock):
    path = personal_links(app, half_day)["Ana"]
    token = path.removeprefix("/l/")
    tampered = "/l/" + token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(tampered).status_code == 404
    assert (
        client.post(tampered, data={"csrf_token": csrf(client), "signature": signature()}).status_code == 404
    )
    replaced = path
    fresh = personal_links(app, half_day)["Ana"]
    response = client.get(replaced)
    assert response.status_code == 410 and 'data-refusal="revoked"' in response.get_data(as_text=True)
    link = links.find(fresh.removeprefix("/l/"))
    link.expires_at = utcnow() - timedelta(minutes=1)  # links expire by the real clock
    factories.db.session.flush()
    response = client.get(fresh)
    assert response.status_code == 410 and 'data-refusal="expired"' in response.get_data(as_text=True)
    # A participant's link does not open the trainer's pages, nor the other way round.
    with app.test_request_context():
        ((_trainer, url),) = countersign_links_for(half_day.slot_date, AM)
    trainer_token = url.rsplit("/l/", 1)[1]
    assert client.get(f"/l/{trainer_token}/state").status_code == 200
    ana = personal_links(app, half_day)["Ana"]
    assert client.get(f"{ana}/state").status_code == 404
    assert count_rows(factories.db, Signature) == 0


def test_a_get_never_changes_anything(app, client, half_day, clock):
    ana = personal_links(app, half_day)["Ana"]
    with app.test_request_context():
        ((_trainer, url),) = countersign_links_for(half_day.slot_date, AM)
    trainer = "/l/" + url.rsplit("/l/", 1)[1]
    before = {model: count_rows(factories.db, model) for model in (Signature, AccessLink, OutboxMessage)}
    used = {link.id: link.used_at for link in factories.db.session.scalars(sa.select(AccessLink))}
    for path in (
        ana,
        ana + "/countersign",
        trainer,
        trainer + "/state",
        trainer + "/countersign",
        "/l/signin",
    ):
        client.get(path)
    state = client.get(trainer + "/state").get_json()
    client.get(f"/l/signin/{state['code']}")
    client.get(f"/l/signin?code={state['code']}")
    after = {model: count_rows(factories.db, model) for model in (Signature, AccessLink, OutboxMessage)}
    assert after == before
    assert {link.id: link.used_at for link in factories.db.session.scalars(sa.select(AccessLink))} == used


def test_the_trainer_countersigns_from_their_link(app, client, half_day, clock):
    assert sign_page(client, personal_links(app, half_day)["Ana"]).status_code == 200
    with app.test_request_context():
        ((_trainer, url),) = countersign_links_for(half_day.slot_date, AM)
    path = "/l/" + url.rsplit("/l/", 1)[1]
    page = client.get(path).get_data(as_text=True)
    assert 'id="signin-qr"' in page and "Claire Formatrice" in page
    assert "Ana Alves" in page and "signé à 10:00" in page and "Ben Bernard" in page and "pas encore" in page
    state = client.get(path + "/state").get_json()
    assert state["signed"] == 1 and state["enrolled"] == 2 and len(state["code"]) == 6
    assert state["qr"].startswith("data:image/svg+xml") and 0 < state["changes_in"] <= 30
    assert [p["signed_at"] for p in state["participants"]] == ["10:00", None]
    clock.set(12, 10)
    response = client.post(
        path + "/countersign", data={"csrf_token": form_token(page), "signature": signature(9)}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    page = client.get(path).get_data(as_text=True)
    assert "Vous avez contresigné à 12:10." in page
    state = client.get(path + "/state").get_json()
    assert state["closed"] and "code" not in state and state["countersigned_at"] == "12:10"
    trainer_signature = factories.db.session.scalars(
        sa.select(Signature).where(Signature.trainer_id.is_not(None))
    ).one()
    assert trainer_signature.via == SignatureVia.LINK
    # Signing is closed for the others.
    response = sign_page(client, personal_links(app, half_day)["Ben"])
    assert response.status_code == 422 and "contresigné" in response.get_data(as_text=True)


def test_the_database_keeps_one_signature_per_person_and_half_day(any_db, monkeypatch):
    """The rule holds in the tables themselves (PostgreSQL and SQLite), for two requests at once."""
    from sqlalchemy.exc import IntegrityError

    set_clock(monkeypatch, 10)
    half_day = make_half_day()
    signed = sign_participant(
        half_day.ana.id, half_day.slot_date.id, AM, signature_png(), DEVICE, SignatureVia.LINK
    )
    twin = {
        "slot_date_id": signed.slot_date_id,
        "half_day": AM,
        "signed_at": signed.signed_at,
        "image": signed.image,
        "image_sha256": signed.image_sha256,
        "ip": "x",
        "user_agent": "y",
        "via": SignatureVia.QR,
    }
    for extra in (
        {"request_id": half_day.ana.id},
        {"request_id": half_day.ben.id, "trainer_id": half_day.trainer.id},
        {},
    ):
        with pytest.raises(IntegrityError), any_db.session.begin_nested():
            any_db.session.add(Signature(**twin, **extra))
            any_db.session.flush()
    any_db.session.add(Signature(**twin, trainer_id=half_day.trainer.id))
    any_db.session.flush()
    with pytest.raises(IntegrityError), any_db.session.begin_nested():
        any_db.session.add(Signature(**twin, trainer_id=half_day.trainer.id))
        any_db.session.flush()


def test_the_morning_e_mail_gives_each_participant_their_own_links(app, db, half_day, monkeypatch):
    from trainadmin.models import OutboxMessage, Publication
    from trainadmin.services.notifications.default_rules import ensure_templates
    from trainadmin.services.participants.signin_mail import send_signin_links

    ensure_templates()
    half_day.session.publication = Publication.PUBLISHED
    morning = set_clock(monkeypatch, 6, 30)
    assert send_signin_links(morning()) == 0  # before « Émargement du jour »'s 07:00
    morning.set(7, 5)
    assert send_signin_links(morning()) == 2
    assert send_signin_links(morning()) == 0  # once per participant and date
    sent = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "signin_links").order_by(OutboxMessage.recipient)
    ).all()
    assert [message.recipient for message in sent] == ["ana@example.com", "ben@example.com"]
    ana = sent[0]
    assert ana.subject == "Émargement du lundi 15 mars 2027 : Sécurité au travail"
    assert "- matin, de 09h00 à 12h00 :" in ana.body and "- après-midi, de 13h00 à 17h00 :" in ana.body
    paths = ["/l/" + line.rsplit("/l/", 1)[1] for line in ana.body.splitlines() if "/l/" in line]
    assert len(paths) == 2
    page = app.test_client().get(paths[0])
    assert page.status_code == 200 and "signature_pad" in page.get_data(as_text=True)
    links_of_ana = db.session.scalars(
        sa.select(AccessLink).where(AccessLink.request_id == half_day.ana.id, AccessLink.revoked_at.is_(None))
    ).all()
    assert {link.half_day for link in links_of_ana} == {AM, PM}


def test_a_date_signed_online_can_no_longer_be_removed_or_moved(db, half_day):
    from datetime import time as clock_time

    from trainadmin.models import Role, Signature, SignatureVia
    from trainadmin.services.errors import ValidationFailed
    from trainadmin.services.planning import SlotInput, delete_sequence, delete_slot, save_slot

    slot_date = half_day.slot_date
    db.session.add(
        Signature(
            slot_date_id=slot_date.id,
            half_day=AM,
            request_id=half_day.ana.id,
            image=signature_png(),
            image_sha256="0" * 64,
            ip="192.0.2.1",
            user_agent="test",
            via=SignatureVia.LINK,
        )
    )
    db.session.flush()
    slot = slot_date.slot
    admin = factories.make_user(role=Role.ADMIN)
    moved = SlotInput(
        trainer_ids=[half_day.trainer.id],
        dates=[(slot_date.day.replace(day=16), clock_time(9), clock_time(17), 60)],
    )
    with pytest.raises(ValidationFailed) as refused:
        save_slot(slot.sequence, moved, admin, reason="Report", slot=slot)
    assert (
        "15/03/2027" in refused.value.errors["dates"]
        and "Émargement numérique" in refused.value.errors["dates"]
    )
    with pytest.raises(ValidationFailed):
        delete_slot(slot, admin, reason="Erreur")
    with pytest.raises(ValidationFailed):
        delete_sequence(slot.sequence, admin, reason="Erreur")
    kept = SlotInput(
        trainer_ids=[half_day.trainer.id], dates=[(slot_date.day, clock_time(9), clock_time(16), 60)]
    )
    save_slot(slot.sequence, kept, admin, reason="Fin plus tôt", slot=slot)  # its hours may change
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 1
