"""Émargement numérique: a participant signs one half-day for themselves, the trainer countersigns it.

- A signature is a PNG drawn on the page (a data URL, checked: a PNG, at most MAX_IMAGE_BYTES, not
  blank), kept with its SHA-256, the time (UTC), the device's address and user agent, and how the
  signer came (their own link, or the trainer's QR code and a code e-mailed to them).
- It is taken only during the half-day's hours (`attendance.half_day_hours`), from
  `signin_tolerance_minutes` before its start to as long after its end.
- Once given it is never changed: a second signature of the same person for the same half-day is
  refused (« Vous avez déjà signé à HH:MM »), and so is any participant's after the trainer's
  countersignature, which closes the half-day. Staff corrections are attendance marks, apart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from PIL import Image
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ...clock import local_zone
from ...extensions import db
from ...ids import parse_id
from ...models import (
    HalfDay,
    LinkPurpose,
    RequestStatus,
    Sequence,
    Signature,
    SignatureVia,
    Slot,
    SlotDate,
    Trainer,
    TrainingRequest,
)
from ...models.types import utcnow
from .. import links, tallies
from ..errors import DomainError
from ..organisation import current_settings
from .attendance import covered_half_days, enrolled_participants, half_day_hours

MAX_IMAGE_BYTES = 256 * 1024
MAX_SIDE = 4000
PNG_DATA_URL = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DEFAULT_TOLERANCE = 30
USER_AGENT_LENGTH = 400


def now() -> datetime:
    """The sign-in's one clock (UTC): hours, QR code windows and e-mailed codes all read it."""
    return utcnow()


@dataclass(frozen=True)
class Device:
    """Where a signature came from, as the app saw it."""

    ip: str
    user_agent: str


class SigninRefused(DomainError):
    """A signature that cannot be taken (outside the hours, already given, not this person's…)."""


class AlreadySigned(SigninRefused):
    def __init__(self, signed_at: datetime):
        super().__init__(gettext("You already signed at %(time)s.", time=local_time(signed_at)))
        self.signed_at = signed_at


def local_time(moment: datetime) -> str:
    return moment.astimezone(local_zone()).strftime("%H:%M")


def half_day_text(slot_date: SlotDate, half: HalfDay) -> str:
    day = slot_date.day.strftime("%d/%m/%Y")
    if half == HalfDay.MORNING:
        return gettext("morning of %(date)s", date=day)
    return gettext("afternoon of %(date)s", date=day)


# --- The image --------------------------------------------------------------------------------


def read_signature(data_url: str | None) -> bytes:
    """The PNG of a signature sent as a data URL, checked; SigninRefused otherwise."""
    text = (data_url or "").strip()
    if not text:
        raise SigninRefused(gettext("Sign in the box, then send."), field="signature")
    unreadable = SigninRefused(gettext("The signature could not be read: sign again."), field="signature")
    if not text.startswith(PNG_DATA_URL) or len(text) > len(PNG_DATA_URL) + MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise unreadable
    try:
        data = base64.b64decode(text[len(PNG_DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        raise unreadable from None
    if len(data) > MAX_IMAGE_BYTES or not data.startswith(PNG_MAGIC):
        raise unreadable
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != "PNG" or max(image.size) > MAX_SIDE:
                    raise unreadable
                extrema = image.convert("RGBA").getextrema()
    except SigninRefused:
        raise
    except Exception:  # truncated, corrupt or a bomb: Pillow fails in many ways, all mean « unreadable »
        raise unreadable from None
    if all(low == high for low, high in extrema):  # one colour everywhere: nothing was drawn
        raise SigninRefused(gettext("Sign in the box, then send."), field="signature")
    return data


# --- The half-day -----------------------------------------------------------------------------


def tolerance() -> timedelta:
    settings = current_settings()
    minutes = settings.signin_tolerance_minutes if settings is not None else DEFAULT_TOLERANCE
    return timedelta(minutes=minutes)


def signing_window(slot_date: SlotDate, half: HalfDay) -> tuple[datetime, datetime]:
    """When signatures of this half-day are taken (UTC): its hours widened by the tolerance."""
    start, end = half_day_hours(slot_date.start_time, slot_date.end_time, half)
    zone, margin = local_zone(), tolerance()
    opens = datetime.combine(slot_date.day, start, zone) - margin
    closes = datetime.combine(slot_date.day, end, zone) + margin
    return opens.astimezone(UTC), closes.astimezone(UTC)


def check_hours(slot_date: SlotDate, half: HalfDay, at: datetime) -> None:
    opens, closes = signing_window(slot_date, half)
    what = half_day_text(slot_date, half)
    if at < opens:
        raise SigninRefused(
            gettext(
                "Signing (%(half_day)s) opens at %(time)s.",
                half_day=what,
                time=local_time(opens),
            )
            if at.astimezone(local_zone()).date() == slot_date.day
            else gettext("Signing (%(half_day)s) is not open yet.", half_day=what)
        )
    if at > closes:
        raise SigninRefused(
            gettext("Signing (%(half_day)s) closed at %(time)s.", half_day=what, time=local_time(closes))
            if at.astimezone(local_zone()).date() == slot_date.day
            else gettext("Signing (%(half_day)s) is closed.", half_day=what)
        )


def load_slot_date(slot_date_id: int) -> SlotDate:
    slot_date = db.session.scalars(
        sa.select(SlotDate)
        .where(SlotDate.id == slot_date_id)
        .options(
            joinedload(SlotDate.slot).joinedload(Slot.sequence).joinedload(Sequence.session),
            joinedload(SlotDate.slot).selectinload(Slot.trainers),
        )
    ).first()
    if slot_date is None:
        raise SigninRefused(gettext("This half-day no longer exists in the planning."))
    return slot_date


def check_half_day(slot_date: SlotDate, half: HalfDay) -> None:
    """The half-day is one that attendance is recorded for (not pre-work, covered by the hours)."""
    if slot_date.slot.sequence.is_prework or half not in covered_half_days(
        slot_date.start_time, slot_date.end_time
    ):
        raise SigninRefused(gettext("This half-day no longer exists in the planning."))


def trainers_of(slot_date: SlotDate) -> list[Trainer]:
    slot = slot_date.slot
    people = sorted(slot.trainers, key=lambda t: (t.last_name, t.first_name, t.id))
    if slot.co_trainer is not None and slot.co_trainer not in people:
        people.append(slot.co_trainer)
    return people


def signature_of(
    slot_date_id: int, half: HalfDay, *, request_id: int | None = None, trainer_id: int | None = None
) -> Signature | None:
    signer = (
        Signature.request_id == request_id if request_id is not None else Signature.trainer_id == trainer_id
    )
    return db.session.scalars(
        sa.select(Signature).where(Signature.slot_date_id == slot_date_id, Signature.half_day == half, signer)
    ).first()


def countersigned_at(slot_date_id: int, half: HalfDay) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.min(Signature.signed_at)).where(
            Signature.slot_date_id == slot_date_id,
            Signature.half_day == half,
            Signature.trainer_id.is_not(None),
        )
    )


# --- Signing ----------------------------------------------------------------------------------


def _record(signature: Signature, existing) -> Signature:
    try:
        with db.session.begin_nested():
            db.session.add(signature)
    except IntegrityError:  # signed meanwhile, by a second request at the same moment
        earlier = existing()
        raise AlreadySigned(earlier.signed_at if earlier is not None else signature.signed_at) from None
    return signature


def _printable(text: str | None) -> str:
    """What a client sent, without control characters (PostgreSQL text holds no NUL)."""
    return "".join(character for character in text or "" if character.isprintable())


def _new_signature(slot_date: SlotDate, half: HalfDay, image: bytes, device: Device, via, at) -> Signature:
    return Signature(
        slot_date_id=slot_date.id,
        half_day=half,
        signed_at=at,
        image=image,
        image_sha256=hashlib.sha256(image).hexdigest(),
        ip=_printable(device.ip)[:45],
        user_agent=_printable(device.user_agent)[:USER_AGENT_LENGTH],
        via=via,
    )


def sign_participant(
    request_id: int, slot_date_id: int, half: HalfDay, image: bytes, device: Device, via: SignatureVia
) -> Signature:
    """The participant of `request_id` signs this half-day, now. SigninRefused when they are not an
    enrolled participant of its session, out of its hours, after the countersignature, or a second
    time."""
    at = now()
    slot_date = load_slot_date(slot_date_id)
    request = db.session.get(TrainingRequest, request_id)
    if (
        request is None
        or request.status != RequestStatus.ENROLLED
        or request.session_id != slot_date.slot.sequence.session_id
    ):
        raise SigninRefused(gettext("Only the enrolled participants of this session can sign for it."))
    check_half_day(slot_date, half)
    earlier = signature_of(slot_date_id, half, request_id=request_id)
    if earlier is not None:
        raise AlreadySigned(earlier.signed_at)
    closed = countersigned_at(slot_date_id, half)
    if closed is not None:
        raise SigninRefused(
            gettext(
                "The trainer countersigned the sheet (%(half_day)s) at %(time)s: signing is closed. "
                "Ask the training department.",
                half_day=half_day_text(slot_date, half),
                time=local_time(closed),
            )
        )
    check_hours(slot_date, half, at)
    signature = _new_signature(slot_date, half, image, device, via, at)
    signature.request_id = request_id
    _record(signature, lambda: signature_of(slot_date_id, half, request_id=request_id))
    tallies.recount_attendance(request.session_id)
    return signature


def countersign(trainer_id: int, slot_date_id: int, half: HalfDay, image: bytes, device: Device) -> Signature:
    """A trainer of the slot countersigns this half-day, now (once, within its hours)."""
    at = now()
    slot_date = load_slot_date(slot_date_id)
    if trainer_id not in {trainer.id for trainer in trainers_of(slot_date)}:
        raise SigninRefused(gettext("Only a trainer of this slot can countersign it."))
    check_half_day(slot_date, half)
    earlier = signature_of(slot_date_id, half, trainer_id=trainer_id)
    if earlier is not None:
        raise AlreadySigned(earlier.signed_at)
    check_hours(slot_date, half, at)
    signature = _new_signature(slot_date, half, image, device, SignatureVia.LINK, at)
    signature.trainer_id = trainer_id
    return _record(signature, lambda: signature_of(slot_date_id, half, trainer_id=trainer_id))


# --- Links --------------------------------------------------------------------------------------


def _link_lifetime(slot_date: SlotDate, half: HalfDay) -> timedelta:
    closes = signing_window(slot_date, half)[1]
    if closes <= now():
        raise SigninRefused(
            gettext(
                "This half-day is over (%(half_day)s): no link can be sent for it.",
                half_day=half_day_text(slot_date, half),
            )
        )
    return closes - now()


def signin_links_for(slot_date: SlotDate, half: HalfDay) -> list[tuple[TrainingRequest, str]]:
    """A new personal sign-in link (valid until the half-day closes) for every enrolled participant
    of the half-day's session, replacing the earlier ones: (demande, URL) pairs, by name."""
    check_half_day(slot_date, half)
    valid_for = _link_lifetime(slot_date, half)
    pairs = []
    for request in enrolled_participants(slot_date.slot.sequence.session):
        _link, token = links.issue(
            LinkPurpose.SIGN_IN,
            request.collaborator.email,
            valid_for=valid_for,
            now=now(),
            request_id=request.id,
            slot_date_id=slot_date.id,
            half_day=half,
        )
        pairs.append((request, links.link_url(token)))
    return pairs


def countersign_links_for(slot_date: SlotDate, half: HalfDay) -> list[tuple[Trainer, str]]:
    """A new link « Émargement » (the QR code, the list, the countersignature) for every trainer of
    the slot, replacing the earlier ones: (trainer, URL) pairs."""
    check_half_day(slot_date, half)
    trainers = trainers_of(slot_date)
    if not trainers:
        raise SigninRefused(gettext("No trainer is set on this slot: add one in the planning first."))
    valid_for = _link_lifetime(slot_date, half)
    pairs = []
    for trainer in trainers:
        _link, token = links.issue(
            LinkPurpose.COUNTERSIGN,
            trainer.email,
            valid_for=valid_for,
            now=now(),
            trainer_id=trainer.id,
            slot_date_id=slot_date.id,
            half_day=half,
        )
        pairs.append((trainer, links.link_url(token)))
    return pairs


def open_countersign(trainer: Trainer, slot_date_id, half_value) -> str:
    """« Ouvrir l'émargement » from the trainer's own page: a new link to one of their half-days (the
    QR code, the list, the countersignature) for them alone; returns its token. SigninRefused when
    the half-day is not theirs, no longer exists or is over."""
    slot_date = db.session.get(SlotDate, parse_id(slot_date_id) or 0)
    half = next((half for half in HalfDay if half.value == half_value), None)
    if slot_date is None or half is None or trainer not in trainers_of(slot_date):
        raise SigninRefused(gettext("This half-day is not one of your slots."))
    check_half_day(slot_date, half)
    _link, token = links.issue(
        LinkPurpose.COUNTERSIGN,
        trainer.email,
        valid_for=_link_lifetime(slot_date, half),
        now=now(),
        trainer_id=trainer.id,
        slot_date_id=slot_date.id,
        half_day=half,
    )
    return token
