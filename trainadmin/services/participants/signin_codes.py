"""Signing by QR code: the trainer's rotating code, then a code e-mailed to the participant.

- The trainer's page shows a code that changes every WINDOW_SECONDS: six characters of an alphabet
  without look-alikes, taken from an HMAC (keyed with the application's secret) of the slot date,
  the half-day and the number of the window. Nothing is stored: a code is valid in its window and
  the next one (60 s), for its half-day only. The QR code holds the address of that code's page.
- The page of a valid code hands the browser a scan ticket (the half-day and the time of the scan,
  signed the same way), so that typing an e-mail address may take longer than a code lives.
- For the address of an enrolled participant of the session, a six-digit code is e-mailed (through
  the outbox), valid CHALLENGE_MINUTES; MAX_ATTEMPTS wrong codes make it void, and a participant
  gets at most MAX_CODES codes per half-day. For any other address nothing is sent, and the page
  says the same: it tells nobody who is enrolled. The code, typed with the signature drawn, signs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy.orm import contains_eager

from ...clock import local_zone
from ...extensions import db
from ...models import (
    Collaborator,
    HalfDay,
    RequestStatus,
    Signature,
    SignatureVia,
    SigninChallenge,
    SlotDate,
    TrainingRequest,
)
from .. import links
from ..notifications.outbox import queue_message
from . import signatures
from .attendance import covered_half_days
from .signatures import Device, SigninRefused, check_half_day, check_hours, half_day_text, load_slot_date

WINDOW_SECONDS = 30
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0 or 1
CODE_LENGTH = 6
#: Codes of this many windows back are recognised as expired (scanned late) rather than unknown.
STALE_WINDOWS = 20
TICKET_MINUTES = 10
CHALLENGE_MINUTES = 10
MAX_ATTEMPTS = 5
MAX_CODES = 5
EMAIL_KIND = "signin_code"
_TICKET = re.compile(r"(\d{1,12})\.(am|pm)\.(\d{1,12})\.([0-9a-f]{32})")


def _key(purpose: str) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"trainadmin:{purpose}".encode(), hashlib.sha256).digest()


def _mac(purpose: str, text: str) -> bytes:
    return hmac.new(_key(purpose), text.encode(), hashlib.sha256).digest()


# --- The rotating code ------------------------------------------------------------------------


def window_of(moment: datetime) -> int:
    return int(moment.timestamp()) // WINDOW_SECONDS


def rotating_code(slot_date_id: int, half: HalfDay, window: int) -> str:
    number = int.from_bytes(_mac("signin-qr", f"{slot_date_id}:{half.value}:{window}")[:8], "big")
    characters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[index])
    return "".join(characters)


@dataclass(frozen=True)
class ShownCode:
    code: str
    #: Seconds until the next code.
    changes_in: float


def shown_code(slot_date_id: int, half: HalfDay) -> ShownCode:
    at = signatures.now()
    window = window_of(at)
    changes_in = (window + 1) * WINDOW_SECONDS - at.timestamp()
    return ShownCode(rotating_code(slot_date_id, half, window), changes_in)


def normalise_code(text: str | None) -> str | None:
    """The code as typed (any case, spaces or dashes), or None when it cannot be one."""
    code = re.sub(r"[\s-]", "", text or "").upper()
    if len(code) != CODE_LENGTH or any(character not in ALPHABET for character in code):
        return None
    return code


def _code_refused() -> SigninRefused:
    return SigninRefused(
        gettext("This code is not valid (any more): scan again the QR code the trainer shows."), field="code"
    )


class CodeExpired(SigninRefused):
    """A code shown a few minutes ago, no longer valid: scanned late, not guessed."""


def find_half_day(code: str | None) -> tuple[SlotDate, HalfDay]:
    """The half-day of a code shown now or in the previous window, among today's dates. A code of
    the last minutes is CodeExpired (a late scan, which the limits of refused links do not count);
    any other, SigninRefused."""
    typed = normalise_code(code)
    if typed is None:
        raise _code_refused()
    at = signatures.now()
    window = window_of(at)
    today = at.astimezone(local_zone()).date()
    dates = db.session.execute(
        sa.select(SlotDate.id, SlotDate.start_time, SlotDate.end_time).where(SlotDate.day == today)
    )
    stale = False
    for slot_date_id, start, end in dates:
        for half in covered_half_days(start, end):
            for candidate in range(window, window - STALE_WINDOWS, -1):
                if hmac.compare_digest(rotating_code(slot_date_id, half, candidate), typed):
                    if candidate >= window - 1:
                        return load_slot_date(slot_date_id), half
                    stale = True
    if stale:
        raise CodeExpired(
            gettext("This QR code has expired: scan again the one the trainer shows."), field="code"
        )
    raise _code_refused()


# --- The scan ticket --------------------------------------------------------------------------


def scan_ticket(slot_date: SlotDate, half: HalfDay) -> str:
    text = f"{slot_date.id}.{half.value}.{int(signatures.now().timestamp())}"
    return f"{text}.{_mac('signin-scan', text).hex()[:32]}"


class ScanExpired(SigninRefused):
    """The scan ticket is not valid (any more): the QR code must be scanned again."""


def read_ticket(ticket: str | None) -> tuple[SlotDate, HalfDay]:
    found = _TICKET.fullmatch(ticket or "")
    refused = ScanExpired(gettext("Too much time went by: scan again the QR code the trainer shows."))
    if found is None:
        raise refused
    slot_date_id, half, scanned, mac = found.groups()
    expected = _mac("signin-scan", f"{slot_date_id}.{half}.{scanned}").hex()[:32]
    age = signatures.now().timestamp() - int(scanned)
    if not hmac.compare_digest(mac, expected) or not 0 <= age <= TICKET_MINUTES * 60:
        raise refused
    return load_slot_date(int(slot_date_id)), HalfDay(half)


# --- The e-mailed code ------------------------------------------------------------------------


def _code_hash(token: str, code: str) -> str:
    return _mac("signin-email-code", f"{links.token_hash(token)}:{code}").hex()


def _enrolled_with_address(slot_date: SlotDate, address: str) -> TrainingRequest | None:
    return db.session.scalars(
        sa.select(TrainingRequest)
        .join(TrainingRequest.collaborator)
        .where(
            TrainingRequest.session_id == slot_date.slot.sequence.session_id,
            TrainingRequest.status == RequestStatus.ENROLLED,
            sa.func.lower(Collaborator.email) == address,
        )
        .options(contains_eager(TrainingRequest.collaborator))
    ).first()


def _send_code(challenge: SigninChallenge, request: TrainingRequest, slot_date: SlotDate, code: str) -> None:
    session = slot_date.slot.sequence.session
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "fr"):
        subject = gettext("Your sign-in code: %(code)s", code=code)
        body = gettext(
            "Hello,\n\nYour code to sign the attendance sheet (%(half_day)s, %(session)s) is:\n\n"
            "%(code)s\n\nIt is valid for %(minutes)s minutes. If you did not ask for it, ignore this "
            "message.\n",
            half_day=half_day_text(slot_date, challenge.half_day),
            session=f"{session.code} - {session.label}",
            code=code,
            minutes=CHALLENGE_MINUTES,
        )
    queue_message(
        dedup_key=f"signin-code:{challenge.id}",
        kind=EMAIL_KIND,
        recipient=request.collaborator.email,
        subject=subject,
        body=body,
        session_id=session.id,
        request_id=request.id,
    )


def request_code(ticket: str | None, email: str | None) -> str:
    """A participant who scanned the QR code gives their address: a code is e-mailed to them if it is
    an enrolled participant's. Returns the token of the challenge (the page where the code is typed)."""
    slot_date, half = read_ticket(ticket)
    check_half_day(slot_date, half)
    at = signatures.now()
    check_hours(slot_date, half, at)
    address = (email or "").strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", address) or len(address) > 254 or not address.isprintable():
        raise SigninRefused(gettext("Enter the e-mail address you enrolled with."), field="email")
    request = _enrolled_with_address(slot_date, address)
    token = secrets.token_urlsafe(links.TOKEN_BYTES)
    code = f"{secrets.randbelow(10**6):06d}"
    if request is not None:
        sent = db.session.scalar(
            sa.select(sa.func.count(SigninChallenge.id)).where(
                SigninChallenge.request_id == request.id,
                SigninChallenge.slot_date_id == slot_date.id,
                SigninChallenge.half_day == half,
            )
        )
        if sent >= MAX_CODES:
            raise SigninRefused(
                gettext(
                    "Too many codes were asked for this half-day: ask the trainer or the training department."
                )
            )
    challenge = SigninChallenge(
        token_hash=links.token_hash(token),
        slot_date_id=slot_date.id,
        half_day=half,
        request_id=request.id if request is not None else None,
        # For an address of nobody enrolled, the hash of no code anyone knows.
        code_hash=_code_hash(token, code if request is not None else secrets.token_hex(16)),
        created_at=at,
        expires_at=at + timedelta(minutes=CHALLENGE_MINUTES),
    )
    db.session.add(challenge)
    db.session.flush()
    if request is not None:
        _send_code(challenge, request, slot_date, code)
    return token


class ChallengeClosed(SigninRefused):
    """The page of an e-mailed code that can no longer sign (unknown, used, void or expired);
    `unknown`: its token never was one (a guess)."""

    unknown = False


def open_challenge(token: str | None) -> SigninChallenge:
    """The challenge of this token, still open; ChallengeClosed otherwise."""
    challenge = None
    if token and links.TOKEN_SHAPE.fullmatch(token):
        challenge = db.session.scalars(
            sa.select(SigninChallenge).where(SigninChallenge.token_hash == links.token_hash(token))
        ).first()
    again = gettext("Scan again the QR code the trainer shows to get a new code.")
    if challenge is None or challenge.used_at is not None:
        closed = ChallengeClosed(gettext("This page is no longer valid.") + " " + again)
        closed.unknown = challenge is None  # (a token that never was: a guess)
        raise closed
    if challenge.attempts >= MAX_ATTEMPTS:
        raise ChallengeClosed(gettext("Too many wrong codes: this code is void.") + " " + again)
    if challenge.expires_at <= signatures.now():
        raise ChallengeClosed(gettext("This code has expired.") + " " + again)
    return challenge


class WrongCode(SigninRefused):
    def __init__(self, remaining: int):
        message = (
            ngettext("Wrong code: %(num)s try left.", "Wrong code: %(num)s tries left.", remaining)
            if remaining
            else gettext("Wrong code: this code is now void. Scan the QR code again to get a new one.")
        )
        super().__init__(message, field="code")
        self.remaining = remaining


def sign_with_code(token: str, code: str | None, image: bytes, device: Device) -> Signature:
    """Sign with the code e-mailed: a wrong code counts (and is kept when the caller commits what it
    answers: WrongCode is its refusal to show, not a reason to roll back)."""
    challenge = open_challenge(token)
    typed = re.sub(r"\s", "", code or "")
    right = challenge.request_id is not None and hmac.compare_digest(
        challenge.code_hash, _code_hash(token, typed)
    )
    table = SigninChallenge.__table__
    if not right:
        db.session.execute(
            table.update()
            .where(table.c.id == challenge.id, table.c.attempts < MAX_ATTEMPTS)
            .values(attempts=table.c.attempts + 1)
        )
        db.session.refresh(challenge, ["attempts"])
        raise WrongCode(max(0, MAX_ATTEMPTS - challenge.attempts))
    spent = db.session.execute(
        table.update()
        .where(table.c.id == challenge.id, table.c.used_at.is_(None))
        .values(used_at=signatures.now())
    ).rowcount
    if not spent:
        raise ChallengeClosed(gettext("This page is no longer valid."))
    return signatures.sign_participant(
        challenge.request_id, challenge.slot_date_id, challenge.half_day, image, device, SignatureVia.QR
    )


def challenge_request(challenge: SigninChallenge) -> TrainingRequest | None:
    return db.session.get(TrainingRequest, challenge.request_id) if challenge.request_id else None
