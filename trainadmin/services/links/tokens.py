"""The tokens of the links sent to people without an account.

A token is 24 random bytes (192 bits), written in the link as 32 URL-safe characters; the database
keeps only its SHA-256, so a copy of the database opens no link. Each link is bound to one purpose,
one person (`recipient`) and one object (a demande, a half-day, a trainer); it may expire, be used
once (`use`: the first of two concurrent uses wins) and be revoked, as « Renvoyer le lien » does
for the links it replaces (`issue`). Finding a link is one query on the unique index of the hash.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext
from sqlalchemy.orm.attributes import set_committed_value

from ...extensions import db
from ...models import AccessLink, HalfDay, LinkPurpose, SurveyKind
from ...models.types import utcnow
from ..errors import DomainError

TOKEN_BYTES = 24
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")

#: What binds a link to its object, per purpose: the columns a new link of that purpose must set.
BINDINGS: dict[LinkPurpose, tuple[str, ...]] = {
    LinkPurpose.MANAGER_DECISION: ("request_id",),
    LinkPurpose.SIGN_IN: ("request_id", "slot_date_id", "half_day"),
    LinkPurpose.COUNTERSIGN: ("trainer_id", "slot_date_id", "half_day"),
    LinkPurpose.SURVEY: ("request_id", "survey_kind"),
    LinkPurpose.TRAINER_PAGE: ("trainer_id",),
    LinkPurpose.CALENDAR_FEED: (),
}
#: Purposes bound to exactly one of these columns (a feed: of a room, a place, a trainer or a user).
ONE_OF: dict[LinkPurpose, tuple[str, ...]] = {
    LinkPurpose.CALENDAR_FEED: ("room_id", "location_id", "trainer_id", "user_id"),
}
OBJECT_COLUMNS = (
    "request_id",
    "trainer_id",
    "slot_date_id",
    "half_day",
    "sequence_id",
    "survey_kind",
    "room_id",
    "location_id",
    "user_id",
)


class Refusal(enum.StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


MESSAGES = {
    Refusal.UNKNOWN: lazy_gettext("This link is not valid. Check that it was copied whole."),
    Refusal.EXPIRED: lazy_gettext("This link has expired. Ask the training department for a new one."),
    Refusal.USED: lazy_gettext("This link has already been used."),
    Refusal.REVOKED: lazy_gettext("This link was replaced by a newer one: use the last one you received."),
}


class LinkRefused(DomainError):
    """A link that cannot be followed; `refusal` says why (and `link` is the link, if known)."""

    def __init__(self, refusal: Refusal, link: AccessLink | None = None):
        super().__init__(str(MESSAGES[refusal]))
        self.refusal = refusal
        self.link = link


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def issue(
    purpose: LinkPurpose,
    recipient: str,
    *,
    valid_for: timedelta | None = None,
    now: datetime | None = None,
    request_id: int | None = None,
    trainer_id: int | None = None,
    slot_date_id: int | None = None,
    half_day: HalfDay | None = None,
    sequence_id: int | None = None,
    survey_kind: SurveyKind | None = None,
    room_id: int | None = None,
    location_id: int | None = None,
    user_id: int | None = None,
) -> tuple[AccessLink, str]:
    """A new link for `recipient`; the links of the same purpose and object not used yet are revoked
    (only the newest works). Returns the link and its token, which is not kept: put it in the link
    sent, now."""
    now = now or utcnow()
    binding = {
        "request_id": request_id,
        "trainer_id": trainer_id,
        "slot_date_id": slot_date_id,
        "half_day": half_day,
        "sequence_id": sequence_id,
        "survey_kind": survey_kind,
        "room_id": room_id,
        "location_id": location_id,
        "user_id": user_id,
    }
    missing = [column for column in BINDINGS[purpose] if binding[column] is None]
    if missing:
        raise ValueError(f"a {purpose} link needs {', '.join(missing)}")
    choices = ONE_OF.get(purpose)
    if choices and sum(binding[column] is not None for column in choices) != 1:
        raise ValueError(f"a {purpose} link needs one of {', '.join(choices)}")
    revoke_links(purpose, now=now, **binding)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = AccessLink(
        purpose=purpose,
        token_hash=token_hash(token),
        recipient=recipient,
        expires_at=now + valid_for if valid_for is not None else None,
        created_at=now,
        **binding,
    )
    db.session.add(link)
    db.session.flush()
    return link, token


def revoke_links(purpose: LinkPurpose, now: datetime | None = None, **binding) -> int:
    """Revoke the live links of `purpose` for this object (columns of `binding`; None: NULL)."""
    table = AccessLink.__table__
    conditions = [table.c.purpose == purpose, table.c.used_at.is_(None), table.c.revoked_at.is_(None)]
    for column in OBJECT_COLUMNS:
        value = binding.get(column)
        conditions.append(table.c[column].is_(None) if value is None else table.c[column] == value)
    result = db.session.execute(table.update().where(*conditions).values(revoked_at=now or utcnow()))
    return result.rowcount


def find(token: str | None, purpose: LinkPurpose | None = None, now: datetime | None = None) -> AccessLink:
    """The live link of this token (of this purpose, if given): one query on the hash's unique index.
    LinkRefused when there is none, or it expired, was used or revoked. A token of another purpose
    counts as unknown: it says nothing about the link it belongs to."""
    if not token or not TOKEN_SHAPE.fullmatch(token):
        raise LinkRefused(Refusal.UNKNOWN)
    link = db.session.scalars(sa.select(AccessLink).where(AccessLink.token_hash == token_hash(token))).first()
    if link is None or (purpose is not None and link.purpose != purpose):
        raise LinkRefused(Refusal.UNKNOWN)
    if link.revoked_at is not None:
        raise LinkRefused(Refusal.REVOKED, link)
    if link.used_at is not None:
        raise LinkRefused(Refusal.USED, link)
    if link.expires_at is not None and link.expires_at <= (now or utcnow()):
        raise LinkRefused(Refusal.EXPIRED, link)
    return link


def use(link: AccessLink, now: datetime | None = None) -> None:
    """Spend a one-time link. Of two requests spending it at once, the second is refused (USED)."""
    now = now or utcnow()
    table = AccessLink.__table__
    spent = db.session.execute(
        table.update()
        .where(table.c.id == link.id, table.c.used_at.is_(None), table.c.revoked_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not spent:
        raise LinkRefused(Refusal.USED, link)
    set_committed_value(link, "used_at", now)


def live_links(purpose: LinkPurpose, **binding) -> list[AccessLink]:
    """The links of `purpose` for this object not used, revoked or expired, newest first."""
    conditions = [
        AccessLink.purpose == purpose,
        AccessLink.used_at.is_(None),
        AccessLink.revoked_at.is_(None),
        sa.or_(AccessLink.expires_at.is_(None), AccessLink.expires_at > utcnow()),
    ]
    for column, value in binding.items():
        conditions.append(getattr(AccessLink, column) == value)
    return list(db.session.scalars(sa.select(AccessLink).where(*conditions).order_by(AccessLink.id.desc())))
