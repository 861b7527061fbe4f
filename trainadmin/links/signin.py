"""Émargement numérique: the pages where participants sign a half-day and its trainer countersigns.

- A participant's own link (SIGN_IN, /l/<token>): the half-day, a signature pad, « Signer ».
- The trainer's link (COUNTERSIGN, /l/<token>): the QR code and its six characters, changing every
  30 s, and who signed so far, both refreshed from /l/<token>/state; at the end the countersignature
  (/l/<token>/countersign).
- The QR code opens /l/signin/<code> (or the code is typed at /l/signin): the participant gives
  their e-mail address (/l/signin/email), receives a code, and types it with their signature at
  /l/signin/check/<challenge>.

Every page here is one of the links blueprint's: rate-limited per address, private, its tokens and
codes kept out of the logs. A GET never changes anything; each POST is one unit of work.
"""

from __future__ import annotations

import segno
from flask import jsonify, redirect, render_template, request, url_for

from ..models import AccessLink, LinkPurpose, Signature, SignatureVia
from ..services.errors import DomainError
from ..services.links import LinkRefused, Refusal, use
from ..services.participants import (
    AlreadySigned,
    ChallengeClosed,
    CodeExpired,
    Device,
    ScanExpired,
    SigninRefused,
    WrongCode,
    challenge_request,
    countersign,
    find_half_day,
    half_day_state,
    load_slot_date,
    local_time,
    open_challenge,
    read_signature,
    read_ticket,
    request_code,
    scan_ticket,
    shown_code,
    sign_participant,
    sign_with_code,
    signature_of,
    signatures,
)
from ..services.participants.signatures import check_hours, half_day_text, signing_window
from ..transaction import commits
from .blueprint import PAGE, link_view, links_bp, refused_page

#: Form errors are answered with this status: the change is rolled back, and a participant who
#: makes a mistake does not count against the address's limit of refused links.
FORM_REFUSED = 422


def device() -> Device:
    return Device(request.remote_addr or "", request.user_agent.string or "")


def _half_day(slot_date, half) -> dict:
    start, end = signing_window(slot_date, half)
    return {
        "slot_date": slot_date,
        "half": half,
        "half_day_text": half_day_text(slot_date, half),
        "session": slot_date.slot.sequence.session,
        "opens": local_time(start),
        "closes": local_time(end),
    }


def _hours_problem(slot_date, half) -> str | None:
    try:
        check_hours(slot_date, half, signatures.now())
    except SigninRefused as exc:
        return exc.message
    return None


def _done(signature: Signature, slot_date, half, *, already: bool = False, status: int = 200):
    return (
        render_template(
            "links/signin_done.html",
            signed_at=local_time(signature.signed_at),
            already=already,
            **_half_day(slot_date, half),
        ),
        status,
    )


def _message(message: str, status: int):
    return render_template("links/signin_message.html", message=message), status


# --- A participant's own link -------------------------------------------------------------------


def _participant_page(link: AccessLink, error: str | None = None, status: int = 200, signature: str = ""):
    slot_date = load_slot_date(link.slot_date_id)
    earlier = signature_of(link.slot_date_id, link.half_day, request_id=link.request_id)
    if earlier is not None:
        return _done(earlier, slot_date, link.half_day, already=True, status=status)
    return (
        render_template(
            "links/signin_participant.html",
            name=str(link.request.collaborator),
            action=url_for("links.page", token=request.view_args["token"]),
            closed=_hours_problem(slot_date, link.half_day),
            error=error,
            signature=signature,
            **_half_day(slot_date, link.half_day),
        ),
        status,
    )


def _participant_refused(link: AccessLink, refusal: Refusal):
    """A used link is the link of someone who signed: « Vous avez déjà signé à HH:MM »."""
    if refusal == Refusal.USED:
        earlier = signature_of(link.slot_date_id, link.half_day, request_id=link.request_id)
        if earlier is not None:
            return _done(earlier, load_slot_date(link.slot_date_id), link.half_day, already=True)
    return refused_page(LinkRefused(refusal, link))


@link_view(LinkPurpose.SIGN_IN, PAGE, methods=("GET", "POST"), refused=_participant_refused)
def participant_page(link: AccessLink):
    if request.method == "GET":
        return _participant_page(link)
    return _participant_sign(link)


@commits
def _participant_sign(link: AccessLink):
    posted = request.form.get("signature", "")
    try:
        image = read_signature(posted)
        signature = sign_participant(
            link.request_id, link.slot_date_id, link.half_day, image, device(), SignatureVia.LINK
        )
        use(link)
    except AlreadySigned:
        return _participant_page(link, status=409)
    except DomainError as exc:
        return _participant_page(link, exc.message, FORM_REFUSED, posted)
    return _done(signature, signature.slot_date, link.half_day)


# --- The trainer's link -------------------------------------------------------------------------


def _qr_image(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=8, border=4, dark="#000", light="#fff")


def _code_view(link: AccessLink) -> dict:
    shown = shown_code(link.slot_date_id, link.half_day)
    url = url_for("links.signin_code_page", code=shown.code, _external=True)
    return {"code": shown.code, "qr": _qr_image(url), "changes_in": round(shown.changes_in, 1)}


def _state(link: AccessLink) -> dict:
    slot_date = load_slot_date(link.slot_date_id)
    state = half_day_state(slot_date, link.half_day)
    mine = state.trainer_signed_at(link.trainer_id)
    closed = any(at is not None for _trainer, at in state.trainers)
    answer = {
        "participants": [
            {"name": person.name, "signed_at": local_time(person.signed_at) if person.signed_at else None}
            for person in state.participants
        ],
        "signed": state.signed_count,
        "enrolled": len(state.participants),
        "countersigned_at": local_time(mine) if mine else None,
        "closed": closed,
    }
    if not closed:
        answer.update(_code_view(link))
    return answer


def _trainer_page(link: AccessLink, error: str | None = None, status: int = 200, signature: str = ""):
    slot_date = load_slot_date(link.slot_date_id)
    token = request.view_args["token"]
    return (
        render_template(
            "links/signin_trainer.html",
            state=_state(link),
            trainer=link.trainer,
            state_url=url_for("links.subpage", token=token, name="state"),
            countersign_url=url_for("links.subpage", token=token, name="countersign"),
            enter_url=url_for("links.signin_enter_page", _external=True),
            closed_hours=_hours_problem(slot_date, link.half_day),
            error=error,
            signature=signature,
            **_half_day(slot_date, link.half_day),
        ),
        status,
    )


@link_view(LinkPurpose.COUNTERSIGN, PAGE)
def trainer_page(link: AccessLink):
    return _trainer_page(link)


@link_view(LinkPurpose.COUNTERSIGN, "state")
def trainer_state(link: AccessLink):
    return jsonify(_state(link))


@link_view(LinkPurpose.COUNTERSIGN, "countersign", methods=("POST",))
@commits
def trainer_countersign(link: AccessLink):
    posted = request.form.get("signature", "")
    try:
        countersign(link.trainer_id, link.slot_date_id, link.half_day, read_signature(posted), device())
    except AlreadySigned as exc:
        return _trainer_page(link, exc.message, 409)
    except DomainError as exc:
        return _trainer_page(link, exc.message, FORM_REFUSED, posted)
    return redirect(url_for("links.page", token=request.view_args["token"]), 303)


# --- The QR code --------------------------------------------------------------------------------


def _email_page(slot_date, half, ticket: str, error: str | None = None, email: str = "", status: int = 200):
    return (
        render_template(
            "links/signin_email.html",
            ticket=ticket,
            error=error,
            email=email,
            closed=_hours_problem(slot_date, half),
            **_half_day(slot_date, half),
        ),
        status,
    )


def _enter_page(error: str | None = None, code: str = "", status: int = 200):
    return render_template("links/signin_enter.html", error=error, code=code), status


@links_bp.route("/signin")
def signin_enter_page():
    """The code typed instead of scanned (?code=…), or the form to type it."""
    code = request.args.get("code")
    if code is None:
        return _enter_page()
    return _scanned(code, typed=True)


@links_bp.route("/signin/<code>")
def signin_code_page(code: str):
    return _scanned(code)


def _scanned(code: str, typed: bool = False):
    try:
        slot_date, half = find_half_day(code)
    except CodeExpired as exc:  # scanned late: said, and not counted as a guess
        return _message(exc.message, 200)
    except SigninRefused as exc:  # a code that never was: a guess, counted (404)
        if typed:
            return _enter_page(exc.message, code[:20], 404)
        return _message(exc.message, 404)
    return _email_page(slot_date, half, scan_ticket(slot_date, half))


@links_bp.route("/signin/email", methods=("POST",))
@commits
def signin_email():
    ticket, email = request.form.get("ticket", ""), request.form.get("email", "").strip()
    try:
        token = request_code(ticket, email)
    except ScanExpired as exc:
        return _message(exc.message, 410)
    except SigninRefused as exc:
        slot_date, half = read_ticket(ticket)
        return _email_page(slot_date, half, ticket, exc.message, email[:254], FORM_REFUSED)
    return redirect(url_for("links.signin_check", token=token), 303)


def _check_page(token: str, challenge, error: str | None = None, status: int = 200, signature: str = ""):
    slot_date = load_slot_date(challenge.slot_date_id)
    demande = challenge_request(challenge)
    if demande is not None:
        earlier = signature_of(challenge.slot_date_id, challenge.half_day, request_id=demande.id)
        if earlier is not None:
            return _done(earlier, slot_date, challenge.half_day, already=True, status=status)
    return (
        render_template(
            "links/signin_check.html",
            action=url_for("links.signin_check", token=token),
            error=error,
            signature=signature,
            closed=_hours_problem(slot_date, challenge.half_day),
            **_half_day(slot_date, challenge.half_day),
        ),
        status,
    )


@links_bp.route("/signin/check/<token>", methods=("GET", "POST"))
def signin_check(token: str):
    if request.method == "GET":
        try:
            return _check_page(token, open_challenge(token))
        except ChallengeClosed as exc:
            return _message(exc.message, 404 if exc.unknown else 410)
    return _signin_check_post(token)


@commits
def _signin_check_post(token: str):
    posted = request.form.get("signature", "")
    try:
        image = read_signature(posted)
        signature = sign_with_code(token, request.form.get("code"), image, device())
    except ChallengeClosed as exc:
        return _message(exc.message, 410)
    except WrongCode as exc:  # the try is counted: kept (committed), the page shown again
        challenge = open_challenge_or_none(token)
        if challenge is None:  # that was the last try
            return _message(exc.message, 200)
        return _check_page(token, challenge, exc.message, 200, posted)
    except DomainError as exc:
        challenge = open_challenge_or_none(token)
        if challenge is None:
            return _message(exc.message, FORM_REFUSED)
        return _check_page(token, challenge, exc.message, FORM_REFUSED, posted)
    return _done(signature, signature.slot_date, signature.half_day)


def open_challenge_or_none(token: str):
    try:
        return open_challenge(token)
    except ChallengeClosed:
        return None
