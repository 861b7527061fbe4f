"""Reference data managed by administrators and used by every session."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class NamedMixin:
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)

    def __str__(self) -> str:
        return self.name


class Certification(NamedMixin, db.Model):
    __tablename__ = "certification"
    code: Mapped[str | None] = mapped_column(sa.String(50))
    description: Mapped[str | None] = mapped_column(sa.Text)


class TrainingOrganisation(NamedMixin, db.Model):
    """Organisme de formation."""

    __tablename__ = "training_organisation"
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str | None] = mapped_column(sa.Text)
    siret: Mapped[str | None] = mapped_column(sa.String(14))


class Supplier(NamedMixin, db.Model):
    """Prestataire."""

    __tablename__ = "supplier"
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    siret: Mapped[str | None] = mapped_column(sa.String(14))


class Location(NamedMixin, db.Model):
    """Lieu: a place with an address and a contact who receives the « lieu » e-mail."""

    __tablename__ = "location"
    address: Mapped[str | None] = mapped_column(sa.String(250))
    postcode: Mapped[str | None] = mapped_column(sa.String(10))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    contact_name: Mapped[str | None] = mapped_column(sa.String(120))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    #: Last change of the place or, through `Room.updated_at`, of its rooms: the calendar feeds
    #: that name them change their ETag (services/links/feeds.py).
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="location", cascade="all, delete-orphan", order_by="Room.name"
    )


class Room(db.Model):
    """Salle of a lieu."""

    __tablename__ = "room"
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("location.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    capacity: Mapped[int | None]
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    location: Mapped[Location] = relationship(back_populates="rooms")

    __table_args__ = (
        sa.UniqueConstraint("location_id", "name"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    def __str__(self) -> str:
        return self.name


class Trainer(db.Model):
    """Formateur."""

    __tablename__ = "trainer"
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_organisation.id", ondelete="SET NULL"), index=True
    )
    internal: Mapped[bool] = mapped_column(default=False)

    organisation: Mapped[TrainingOrganisation | None] = relationship()

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


collaborator_population = sa.Table(
    "collaborator_population",
    db.metadata,
    sa.Column("collaborator_id", sa.ForeignKey("collaborator.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("population_id", sa.ForeignKey("population.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_collaborator_population_population_id", "population_id"),
)


class Population(NamedMixin, db.Model):
    __tablename__ = "population"
    description: Mapped[str | None] = mapped_column(sa.Text)


class Collaborator(db.Model):
    """A learner: data, not a login of the back office."""

    __tablename__ = "collaborator"
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    manager_email: Mapped[str | None] = mapped_column(sa.String(254))
    employee_number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    department: Mapped[str | None] = mapped_column(sa.String(120))

    populations: Mapped[list[Population]] = relationship(secondary=collaborator_population)

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class CostType(NamedMixin, db.Model):
    """Type de coût."""

    __tablename__ = "cost_type"


class DocumentType(NamedMixin, db.Model):
    """Type de document."""

    __tablename__ = "document_type"


class Evaluation(NamedMixin, db.Model):
    """A questionnaire; questions are one per line."""

    __tablename__ = "evaluation"
    description: Mapped[str | None] = mapped_column(sa.Text)
    questions: Mapped[str] = mapped_column(sa.Text, default="")
    #: Answers given by link are kept without the participant: no name on the response, and
    #: nothing on the link that leads from the person to their answer.
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @property
    def question_list(self) -> list[str]:
        return [line.strip() for line in self.questions.splitlines() if line.strip()]


class Dispositif(NamedMixin, db.Model):
    """Funding or legal scheme (plan de développement des compétences, CPF, …)."""

    __tablename__ = "dispositif"


class TeachingMode(NamedMixin, db.Model):
    """Modalité pédagogique (présentiel, classe virtuelle, e-learning, mixte)."""

    __tablename__ = "teaching_mode"
