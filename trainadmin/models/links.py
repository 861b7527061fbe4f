"""Links for the people who never log in (a manager, a participant, a trainer): each one a random
token bound to one purpose, one person and one object, kept only as its SHA-256."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .participants import HalfDay, SurveyKind, TrainingRequest
from .planning import Sequence, SlotDate
from .reference import Location, Room, Trainer
from .types import UTCDateTime, enum_column, sparse_index, utcnow
from .users import User


class LinkPurpose(enum.StrEnum):
    #: The collaborator's manager accepts or refuses a demande (`request_id`). One use.
    MANAGER_DECISION = "manager_decision"
    #: A participant signs for one half-day (`request_id`, `slot_date_id`, `half_day`). One use.
    SIGN_IN = "sign_in"
    #: A trainer opens the sign-in of one half-day and countersigns it (`trainer_id`, `slot_date_id`,
    #: `half_day`). One countersignature.
    COUNTERSIGN = "countersign"
    #: A participant answers a survey (`request_id`, `sequence_id` for a sequence's, `survey_kind`).
    #: One use.
    SURVEY = "survey"
    #: A trainer's page of upcoming slots and their calendar feed (`trainer_id`). Many uses.
    TRAINER_PAGE = "trainer_page"
    #: A calendar feed the training staff subscribe to: a room's (`room_id`), a place's
    #: (`location_id`), a trainer's (`trainer_id`) or a back-office user's own sessions (`user_id`).
    #: Many uses, no expiry; a new one replaces it.
    CALENDAR_FEED = "calendar_feed"


class AccessLink(db.Model):
    __tablename__ = "access_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[LinkPurpose] = mapped_column(enum_column(LinkPurpose, "link_purpose"))
    #: SHA-256 of the token, hex: the token itself is only in the link sent.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Who the link was sent to (an e-mail address): what the history says acted.
    recipient: Mapped[str] = mapped_column(sa.String(254))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_request.id", ondelete="CASCADE"))
    trainer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trainer.id", ondelete="CASCADE"))
    slot_date_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slot_date.id", ondelete="CASCADE"))
    half_day: Mapped[HalfDay | None] = mapped_column(enum_column(HalfDay, "half_day"))
    sequence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sequence.id", ondelete="CASCADE"))
    survey_kind: Mapped[SurveyKind | None] = mapped_column(enum_column(SurveyKind, "survey_kind"))
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id", ondelete="CASCADE"))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The last reminder sent with this link (a manager's, a survey's).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[TrainingRequest | None] = relationship()
    trainer: Mapped[Trainer | None] = relationship()
    slot_date: Mapped[SlotDate | None] = relationship()
    sequence: Mapped[Sequence | None] = relationship()
    room: Mapped[Room | None] = relationship()
    location: Mapped[Location | None] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sparse_index("access_link", "request_id"),
        sparse_index("access_link", "trainer_id"),
        sparse_index("access_link", "slot_date_id"),
        sparse_index("access_link", "sequence_id"),
        sparse_index("access_link", "room_id"),
        sparse_index("access_link", "location_id"),
        sparse_index("access_link", "user_id"),
    )
