"""Signing by the trainer's QR code: the code changes every 30 s and lives 60 s, for its half-day;
the participant gives their address and signs with the code e-mailed to them (through the outbox),
which a few wrong tries make void; an address of nobody enrolled gets the same answer and no e-mail."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from trainadmin.models import OutboxMessage, Signature, SignatureVia, SigninChallenge
from trainadmin.services.participants import countersign_links_for, signin_links_for
from trainadmin.services.participants.signin_codes import (
    MAX_ATTEMPTS,
    MAX_CODES,
    rotating_code,
    window_of,
)

from . import factories
from .conftest import count_rows
from .signin_support import AM, PM, form_token, make_half_day, set_clock, signature


@pytest.fixture
def half_day(db):
    return make_half_day()


@pytest.fixture
def clock(monkeypatch):
    return set_clock(monkeypatch, 10)


def trainer_path(app, half_day, half=AM) -> str:
    with app.test_request_context():
        ((_trainer, url),) = countersign_links_for(half_day.slot_date, half)
    return "/l/" + url.rsplit("/l/", 1)[1]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def shown_code(client, path: str) -> str:
    return client.get(path + "/state").get_json()["code"]


def scan(client, code: str):
    """The page the QR code opens."""
    return client.get(f"/l/signin/{code}")


def give_address(client, code: str, email: str):
    page = scan(client, code)
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    ticket = re.search(r'name="ticket" value="([^"]+)"', text).group(1)
    return client.post(
        "/l/signin/email", data={"csrf_token": form_token(text), "ticket": ticket, "email": email}
    )


def emailed_code(recipient: str) -> str:
    message = factories.db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.recipient == recipient, OutboxMessage.kind == "signin_code")
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no code e-mailed to {recipient}"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def check_path(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert "/l/signin/check/" in location
    return location[location.index("/l/") :]


def send_code(client, path: str, code: str, drawn: str | None = None):
    page = client.get(path).get_data(as_text=True)
    return client.post(
        path,
        data={"csrf_token": form_token(page), "code": code, "signature": drawn or signature()},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )


def test_a_participant_signs_by_scanning_and_typing_the_code_emailed(app, client, half_day, clock):
    code = shown_code(client, trainer_path(app, half_day))
    page = scan(client, code)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="email"' in text and "Matin du 15/03/2027" in text
    path = check_path(give_address(client, code, "  ANA@example.com "))
    message = factories.db.session.scalars(sa.select(OutboxMessage)).one()
    assert message.recipient == "ana@example.com" and message.request_id == half_day.ana.id
    assert message.dedup_key.startswith("signin-code:") and message.session_id == half_day.session.id
    assert message.subject.startswith("Votre code d'émargement : ")
    assert "matin du 15/03/2027" in message.body and "10 minutes" in message.body
    page = client.get(path).get_data(as_text=True)
    assert 'name="code"' in page and "data-signature-pad" in page
    clock.advance(90)  # typing the code takes longer than a QR code lives: the e-mailed code still works
    response = send_code(client, path, emailed_code("ana@example.com"))
    assert response.status_code == 200
    assert "votre signature a été enregistrée à 10:01" in response.get_data(as_text=True)
    signed = factories.db.session.scalars(sa.select(Signature)).one()
    assert (signed.request_id, signed.half_day, signed.via) == (half_day.ana.id, AM, SignatureVia.QR)
    assert signed.ip == "198.51.100.23"
    # The page of the code is spent; the trainer's list shows the signature.
    assert client.get(path).status_code == 410
    state = client.get(trainer_path(app, half_day) + "/state").get_json()
    assert [p["signed_at"] for p in state["participants"]] == ["10:01", None]


def test_the_code_can_be_typed_instead_of_scanned(app, client, half_day, clock):
    code = shown_code(client, trainer_path(app, half_day))
    assert "Code affiché par le formateur" in client.get("/l/signin").get_data(as_text=True)
    typed = f"{code[:3].lower()} - {code[3:].lower()}"
    page = client.get("/l/signin", query_string={"code": typed})
    assert page.status_code == 200 and 'name="email"' in page.get_data(as_text=True)
    wrong = client.get("/l/signin", query_string={"code": "ZZZ999"})
    assert wrong.status_code == 404 and "Ce code n'est pas (ou plus) valable" in text(wrong)


def test_a_qr_code_lives_sixty_seconds(app, client, half_day, clock):
    slot_date_id = half_day.slot_date.id
    window = window_of(clock.at)
    assert scan(client, rotating_code(slot_date_id, AM, window)).status_code == 200
    assert scan(client, rotating_code(slot_date_id, AM, window - 1)).status_code == 200
    old = scan(client, rotating_code(slot_date_id, AM, window - 2))
    assert "Ce QR code a expiré : scannez à nouveau" in text(old) and 'name="email"' not in text(old)
    # The code shown now, a minute later.
    shown = shown_code(client, trainer_path(app, half_day))
    clock.advance(61)
    assert "Ce QR code a expiré" in text(scan(client, shown))
    # A code of no half-day of today is no code at all.
    assert scan(client, rotating_code(slot_date_id, AM, window - 1000)).status_code == 404  # a guess
    assert count_rows(factories.db, SigninChallenge) == 0


def test_a_qr_code_belongs_to_its_half_day(app, client, half_day, clock):
    afternoon = rotating_code(half_day.slot_date.id, PM, window_of(clock.at))
    page = scan(client, afternoon).get_data(as_text=True)
    assert "Après-midi du 15/03/2027" in page and "ouvre à 12:30" in page and 'name="email"' not in page
    other = make_half_day(domain="example.org")
    other_code = rotating_code(other.slot_date.id, AM, window_of(clock.at))
    path = check_path(give_address(client, other_code, "ana@example.com"))
    # Ana is not enrolled in the other session: nothing sent, and no code opens the page.
    assert count_rows(factories.db, OutboxMessage) == 0
    response = send_code(client, path, "123456")
    assert "Code erroné" in response.get_data(as_text=True)
    assert count_rows(factories.db, Signature) == 0


def test_an_address_of_nobody_enrolled_gets_the_same_answer_and_no_email(app, client, half_day, clock):
    code = shown_code(client, trainer_path(app, half_day))
    known = client.get(check_path(give_address(client, code, "ana@example.com"))).get_data(as_text=True)
    unknown = client.get(check_path(give_address(client, code, "nobody@example.com"))).get_data(as_text=True)
    strip = re.compile(r'(value|action)="[^"]*"')
    assert strip.sub("", known) == strip.sub("", unknown)
    assert [m.recipient for m in factories.db.session.scalars(sa.select(OutboxMessage))] == [
        "ana@example.com"
    ]
    bad = give_address(client, code, "not an address")
    assert bad.status_code == 422 and "Saisissez l'adresse e-mail" in text(bad)


def test_a_few_wrong_codes_make_the_code_void(app, client, half_day, clock):
    code = shown_code(client, trainer_path(app, half_day))
    path = check_path(give_address(client, code, "ana@example.com"))
    right = emailed_code("ana@example.com")
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for tries_left in range(MAX_ATTEMPTS - 1, 0, -1):
        response = send_code(client, path, wrong)
        assert response.status_code == 200  # the try is counted, and kept
        assert f"Code erroné : encore {tries_left} essai" in response.get_data(as_text=True)
    last = send_code(client, path, wrong)
    assert "ce code n'est plus valable" in text(last)
    challenge = factories.db.session.scalars(sa.select(SigninChallenge)).one()
    assert challenge.attempts == MAX_ATTEMPTS
    late = client.post(path, data={"csrf_token": _csrf(client), "code": right, "signature": signature()})
    assert late.status_code == 410 and "Trop de codes erronés" in late.get_data(as_text=True)
    assert count_rows(factories.db, Signature) == 0


def _csrf(client) -> str:
    from .conftest import csrf_token

    return csrf_token(client, "/login")


def test_a_participant_gets_a_few_codes_per_half_day(app, client, half_day, clock):
    code = shown_code(client, trainer_path(app, half_day))
    for _ in range(MAX_CODES):
        check_path(give_address(client, code, "ben@example.com"))
    refused = give_address(client, code, "ben@example.com")
    assert refused.status_code == 422 and "Trop de codes ont été demandés" in refused.get_data(as_text=True)
    assert count_rows(factories.db, OutboxMessage) == MAX_CODES


def test_a_code_signs_only_for_the_address_it_was_sent_to(app, client, half_day, clock):
    code = shown_code(client, trainer_path(app, half_day))
    ana_path = check_path(give_address(client, code, "ana@example.com"))
    check_path(give_address(client, code, "ben@example.com"))
    response = send_code(client, ana_path, emailed_code("ben@example.com"))
    assert "Code erroné" in response.get_data(as_text=True)
    send_code(client, ana_path, emailed_code("ana@example.com"))
    assert [s.request_id for s in factories.db.session.scalars(sa.select(Signature))] == [half_day.ana.id]


def test_expired_codes_and_tickets_are_refused(app, client, half_day, clock):
    code = shown_code(client, trainer_path(app, half_day))
    page = scan(client, code).get_data(as_text=True)
    ticket = re.search(r'name="ticket" value="([^"]+)"', page).group(1)
    token = form_token(page)
    tampered = ticket.replace(".am.", ".pm.")
    response = client.post(
        "/l/signin/email", data={"csrf_token": token, "ticket": tampered, "email": "ana@example.com"}
    )
    assert response.status_code == 410 and "Trop de temps" in response.get_data(as_text=True)
    path = check_path(give_address(client, code, "ana@example.com"))
    clock.advance(11 * 60)
    late = client.post(
        "/l/signin/email", data={"csrf_token": token, "ticket": ticket, "email": "ana@example.com"}
    )
    assert late.status_code == 410
    expired = client.get(path)
    assert expired.status_code == 410 and "Ce code a expiré" in expired.get_data(as_text=True)
    response = client.post(
        path, data={"csrf_token": token, "code": emailed_code("ana@example.com"), "signature": signature()}
    )
    assert response.status_code == 410 and count_rows(factories.db, Signature) == 0
    assert client.get("/l/signin/check/" + "x" * 32).status_code == 404  # never was: a guess


def test_after_signing_by_link_the_qr_code_says_so(app, client, half_day, clock):
    with app.test_request_context():
        pairs = dict((r.collaborator.first_name, url) for r, url in signin_links_for(half_day.slot_date, AM))
    link = "/l/" + pairs["Ana"].rsplit("/l/", 1)[1]
    page = client.get(link).get_data(as_text=True)
    client.post(link, data={"csrf_token": form_token(page), "signature": signature()})
    clock.advance(300)
    code = shown_code(client, trainer_path(app, half_day))
    path = check_path(give_address(client, code, "ana@example.com"))
    assert "Vous avez déjà signé à 10:00." in client.get(path).get_data(as_text=True)
    response = client.post(
        path,
        data={"csrf_token": _csrf(client), "code": emailed_code("ana@example.com"), "signature": signature()},
    )
    assert "Vous avez déjà signé à 10:00." in response.get_data(as_text=True)
    assert count_rows(factories.db, Signature) == 1


def test_guessing_qr_codes_is_rate_limited_per_address(app, db, clock):
    app.config["TRAINADMIN_LINK_FAILURE_LIMIT"] = "5/hour"
    try:
        client = app.test_client()
        codes = [client.get(f"/l/signin/ABCDE{n}").status_code for n in range(2, 9)]
        assert codes[:5] == [404] * 5 and codes[5:] == [429, 429]
        # The limit is shared by every page of the links.
        assert client.get("/l/signin/check/" + "y" * 32).status_code == 429
        assert client.get("/l/" + "z" * 32).status_code == 429
    finally:
        app.config["TRAINADMIN_LINK_FAILURE_LIMIT"] = "20/hour"


def test_qr_codes_and_challenge_tokens_stay_out_of_the_logs(app, client, half_day, clock, caplog):
    import logging

    code = shown_code(client, trainer_path(app, half_day))
    with caplog.at_level(logging.DEBUG):
        path = check_path(give_address(client, code, "ana@example.com"))
        client.get(path)
    token = path.rsplit("/", 1)[1]
    lines = [record.getMessage() + " " + str(vars(record)) for record in caplog.records]
    assert lines and not [line for line in lines if code in line or token in line]
    assert any("/l/signin/check/…" in line for line in lines)


@pytest.mark.parametrize(
    "email",
    [
        "ana\x00@example.com",
        "a" * 5000 + "@example.com",
        "ana@example.com\r\nBcc: x@example.com",
        "名前@例え.jp",
    ],
)
def test_hostile_addresses_are_refused_or_ignored(app, client, half_day, clock, email):
    code = shown_code(client, trainer_path(app, half_day))
    response = give_address(client, code, email)
    assert response.status_code in (303, 422)
    assert count_rows(factories.db, OutboxMessage) == 0


@pytest.mark.parametrize("value", ["\x00" * 10, "x" * 5000, "' OR 1=1 --", "１２３４５６", "%00"])
def test_hostile_codes_and_tokens_are_refused(app, client, half_day, clock, value):
    from urllib.parse import quote

    for path in (f"/l/signin/{quote(value)}", f"/l/signin/check/{quote(value)}", f"/l/{quote(value)}"):
        assert client.get(path).status_code in (404, 410), path
    assert client.get("/l/signin", query_string={"code": value}).status_code == 404
    code = shown_code(client, trainer_path(app, half_day))
    path = check_path(give_address(client, code, "ana@example.com"))
    response = send_code(client, path, value)
    assert response.status_code == 200 and "Code erroné" in text(response)
    page = client.get(path).get_data(as_text=True)
    bad = client.post(path, data={"csrf_token": form_token(page), "code": "1", "signature": value})
    assert bad.status_code == 422
