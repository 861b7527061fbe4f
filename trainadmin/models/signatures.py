"""Émargement numérique: the signatures given for one half-day of a slot date, by a participant
(through their own link or the trainer's QR code) or by the trainer who countersigns it, and the
one-time codes e-mailed to participants who identify after scanning the QR code."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .participants import HalfDay, TrainingRequest
from .planning import SlotDate
from .reference import Trainer
from .types import UTCDateTime, enum_column, sparse_index, utcnow


class SignatureVia(enum.StrEnum):
    #: The signer's own link (a participant's SIGN_IN link, the trainer's COUNTERSIGN link).
    LINK = "link"
    #: The trainer's QR code, then the code e-mailed to the participant.
    QR = "qr"


class Signature(db.Model):
    """One signature of one half-day: a participant's (`request_id`) or a trainer's (`trainer_id`).
    Written once, never changed: a staff correction is an attendance mark of its own."""

    __tablename__ = "signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    slot_date_id: Mapped[int] = mapped_column(sa.ForeignKey("slot_date.id", ondelete="CASCADE"))
    half_day: Mapped[HalfDay] = mapped_column(enum_column(HalfDay, "half_day"))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_request.id", ondelete="CASCADE"))
    trainer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trainer.id", ondelete="RESTRICT"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The drawn signature, a PNG (read only by the sign-in sheet).
    image: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    #: SHA-256 of `image`, hex: what the sheet's fingerprint is made of.
    image_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: The device's address as the app saw it (after the trusted proxies) and its user agent.
    ip: Mapped[str] = mapped_column(sa.String(45))
    user_agent: Mapped[str] = mapped_column(sa.String(400))
    via: Mapped[SignatureVia] = mapped_column(enum_column(SignatureVia, "signature_via"))

    slot_date: Mapped[SlotDate] = relationship()
    request: Mapped[TrainingRequest | None] = relationship()
    trainer: Mapped[Trainer | None] = relationship()

    __table_args__ = (
        # NULLs are distinct: one signature per participant, one per trainer, for each half-day.
        sa.UniqueConstraint("slot_date_id", "half_day", "request_id", name="uq_signature_participant"),
        sa.UniqueConstraint("slot_date_id", "half_day", "trainer_id", name="uq_signature_trainer"),
        sa.CheckConstraint("(request_id IS NULL) <> (trainer_id IS NULL)", name="one_signer"),
        sparse_index("signature", "request_id"),
        sparse_index("signature", "trainer_id"),
    )


class SigninChallenge(db.Model):
    """A one-time code e-mailed to a participant who scanned the QR code of a half-day; the browser
    holds the challenge's token (kept here only as its SHA-256) and types the code to sign.
    `request_id` is empty when the address given is no enrolled participant's: nothing was sent,
    and no code opens it."""

    __tablename__ = "signin_challenge"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    slot_date_id: Mapped[int] = mapped_column(sa.ForeignKey("slot_date.id", ondelete="CASCADE"), index=True)
    half_day: Mapped[HalfDay] = mapped_column(enum_column(HalfDay, "half_day"))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_request.id", ondelete="CASCADE"))
    #: HMAC of the code (keyed with the application's secret): the code itself is only in the e-mail.
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Wrong codes typed; at the limit the challenge is void.
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sparse_index("signin_challenge", "request_id"),)
