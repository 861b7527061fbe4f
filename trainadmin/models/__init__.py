"""All models, imported so that metadata and Alembic see every table."""

from .costs import Cost, CostSplit, Financing, FinancingStatus
from .documents import Document
from .notifications import (
    CalendarInvitation,
    EmailAnchor,
    EmailKind,
    EmailRule,
    EmailSchedule,
    EmailTemplate,
    OutboxMessage,
    OutboxState,
    ScheduleState,
)
from .participants import (
    Attendance,
    CertificationResult,
    HalfDay,
    Presence,
    RequestStatus,
    RequestStep,
    SurveyKind,
    SurveyResponse,
    TrainingRequest,
)
from .partners import FeedFormat, FeedSource, ImportRejection, ImportRun, ImportStatus, Partner, UnknownPolicy
from .planning import Sequence, SequenceStatus, Slot, SlotChange, SlotDate, slot_trainer
from .reference import (
    Certification,
    Collaborator,
    CostType,
    Dispositif,
    DocumentType,
    Evaluation,
    Location,
    Population,
    Room,
    TeachingMode,
    Trainer,
    TrainingOrganisation,
    Supplier,
    collaborator_population,
)
from .sessions import (
    Origin,
    Publication,
    SessionCodeCounter,
    SessionHistory,
    TrainingSession,
    WorkflowStatus,
    session_population,
)
from .trainings import SessionType, Training, TrainingDefaultCost
from .types import utcnow
from .users import Role, User

__all__ = [name for name in dir() if not name.startswith("_")]
