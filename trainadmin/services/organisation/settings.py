"""The organisation's settings: read by the PDFs (with sensible blanks when nothing is set), changed
in one place, all fields checked at once; the logo is checked like every upload, then decoded."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from sqlalchemy.orm import undefer

from ...extensions import db
from ...ids import parse_id
from ...models import OrganisationSettings, User, utcnow
from ...models.organisation import SINGLETON_ID
from ..documents import Letterhead, Upload, check_image, is_file_chosen, max_upload_bytes
from ..errors import ValidationFailed

#: The text fields, in the order of the settings page.
FIELDS = (
    "name",
    "address",
    "city",
    "training_email",
    "training_phone",
    "signatory_name",
    "signatory_title",
)
#: The delays of the links sent to people without an account: field → (lowest, highest).
DELAY_FIELDS = {
    "manager_reminder_days": (0, 60),
    "manager_link_days": (1, 90),
    "survey_reminder_days": (0, 60),
    "signin_tolerance_minutes": (0, 240),
}
ADDRESS_MAX_LINES = 5
LOGO_MAX_BYTES = 2 * 1024 * 1024
PHONE = re.compile(r"^\+?[0-9 .()/-]+$")


@dataclass(frozen=True)
class Sender:
    """What a letter needs from the settings; every text is a string, empty when not set."""

    letterhead: Letterhead
    name: str = ""
    city: str = ""
    training_email: str = ""
    training_phone: str = ""
    signatory_name: str = ""
    signatory_title: str = ""


def current_settings() -> OrganisationSettings | None:
    """The row, without the logo's bytes; None before anything was saved."""
    return db.session.get(OrganisationSettings, SINGLETON_ID)


def sender() -> Sender:
    """The sender of the PDFs, its logo included: one query."""
    row = db.session.scalars(
        sa.select(OrganisationSettings)
        .where(OrganisationSettings.id == SINGLETON_ID)
        .options(undefer(OrganisationSettings.logo))
    ).first()
    if row is None:
        return Sender(Letterhead())
    lines = tuple(line.strip() for line in (row.address or "").splitlines() if line.strip())
    return Sender(
        Letterhead(name=row.name or "", address_lines=lines, logo=row.logo or None),
        name=row.name or "",
        city=row.city or "",
        training_email=row.training_email or "",
        training_phone=row.training_phone or "",
        signatory_name=row.signatory_name or "",
        signatory_title=row.signatory_title or "",
    )


def letterhead() -> Letterhead:
    return sender().letterhead


def logo_image() -> tuple[bytes, str] | None:
    """The logo's bytes and content type, for the settings page."""
    row = db.session.scalars(
        sa.select(OrganisationSettings)
        .where(OrganisationSettings.id == SINGLETON_ID)
        .options(undefer(OrganisationSettings.logo))
    ).first()
    if row is None or not row.logo:
        return None
    return row.logo, row.logo_content_type


# --- Changing ------------------------------------------------------------------------------

LIMITS = {
    "name": 200,
    "address": 500,
    "city": 120,
    "training_email": 254,
    "training_phone": 40,
    "signatory_name": 120,
    "signatory_title": 120,
}


def _has_control(text: str) -> bool:
    return any(ch not in "\n" and unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def _clean(field: str, raw: str | None) -> str:
    """The value as stored, or ValueError with the message for the field."""
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").replace("\r", "\n")
    if field == "address":
        text = "\n".join(line.strip() for line in text.strip().split("\n"))
        text = re.sub(r"\n{2,}", "\n", text)
    else:
        text = text.strip()
    if _has_control(text) or (field != "address" and "\n" in text):
        raise ValueError(gettext("This text contains invisible control characters: type it again."))
    if len(text) > LIMITS[field]:
        raise ValueError(gettext("At most %(n)s characters.", n=LIMITS[field]))
    if field == "address" and text.count("\n") >= ADDRESS_MAX_LINES:
        raise ValueError(gettext("At most %(num)s lines.", num=ADDRESS_MAX_LINES))
    if field == "training_email" and text:
        try:
            text = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValueError(gettext("Invalid e-mail address.")) from None
    if field == "training_phone" and text and (not PHONE.match(text) or not re.search(r"\d", text)):
        raise ValueError(gettext("Type a phone number: digits, spaces, +, dots, dashes and brackets."))
    return text


def logo_limit() -> int:
    return min(LOGO_MAX_BYTES, max_upload_bytes())


def update_organisation(
    values: Mapping[str, str | None],
    *,
    logo: Upload | None = None,
    remove_logo: bool = False,
    user: User | None = None,
) -> OrganisationSettings:
    """Save the settings (texts, a new logo or none): everything or nothing, every problem at once
    as ValidationFailed({field: message}). A field missing from `values` is left as it is."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        if field not in values:
            continue
        try:
            cleaned[field] = _clean(field, values[field])
        except ValueError as exc:
            errors[field] = str(exc)
    image = None
    if is_file_chosen(logo):
        try:
            image = check_image(logo, limit=logo_limit(), field="logo")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    delays: dict[str, int] = {}
    for field, (lowest, highest) in DELAY_FIELDS.items():
        if field not in values:
            continue
        number = parse_id(values[field], 4)
        if number is None or not lowest <= number <= highest:
            errors[field] = gettext("Give a whole number from %(low)s to %(high)s.", low=lowest, high=highest)
        else:
            delays[field] = number
    if errors:
        raise ValidationFailed(errors)
    row = _the_row()
    for field, value in (cleaned | delays).items():
        setattr(row, field, value)
    if image is not None:
        row.logo, row.logo_content_type = image.data, image.content_type
        row.logo_name, row.logo_size = image.display_name[:255], len(image.data)
    elif remove_logo:
        row.logo = row.logo_content_type = row.logo_name = row.logo_size = None
    row.updated_at = utcnow()
    row.updated_by_id = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    db.session.flush()
    return row


def _the_row() -> OrganisationSettings:
    """The one row, made the first time; two first saves at once make it once."""
    row = current_settings()
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = OrganisationSettings(id=SINGLETON_ID)
            db.session.add(row)
            db.session.flush()
    except sa.exc.IntegrityError:
        row = current_settings()
    return row
