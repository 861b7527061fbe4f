"""What the demo builders share: the reference rows by name and the run's settings."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ..models import (
    Certification,
    Collaborator,
    CostType,
    Dispositif,
    Evaluation,
    Location,
    Partner,
    Population,
    Supplier,
    TeachingMode,
    Trainer,
    Training,
    TrainingOrganisation,
    User,
)


@dataclass
class Catalogue:
    """Reference rows by name, so the plan in `session_data` can point at them."""

    certifications: dict[str, Certification] = field(default_factory=dict)
    organisations: dict[str, TrainingOrganisation] = field(default_factory=dict)
    suppliers: dict[str, Supplier] = field(default_factory=dict)
    locations: list[Location] = field(default_factory=list)
    trainers: dict[str, Trainer] = field(default_factory=dict)
    populations: dict[str, Population] = field(default_factory=dict)
    collaborators: list[Collaborator] = field(default_factory=list)
    cost_types: dict[str, CostType] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    dispositifs: dict[str, Dispositif] = field(default_factory=dict)
    teaching_modes: dict[str, TeachingMode] = field(default_factory=dict)
    trainings: dict[str, Training] = field(default_factory=dict)
    partner: Partner | None = None


@dataclass
class Context:
    rng: random.Random
    today: date
    now: datetime
    zone: ZoneInfo
    admin: User
    catalogue: Catalogue
