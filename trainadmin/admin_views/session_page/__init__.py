"""The session page, one module per tab, and the wizards of « Créer une session ».

`PARTS` is the registry: the tabs in the order the page shows them (the guide's), then the parts
without a tab. `SessionView` mounts the routes of each part on its endpoint."""

from __future__ import annotations

from .attendance import AttendanceTab
from .costs import CostsTab
from .documents import DocumentsTab
from .emails import EmailsTab
from .evaluation import EvaluationTab
from .general import GeneralTab
from .history import HistoryTab
from .part import SessionPart, SessionTab
from .participants import ParticipantsTab
from .planning import PlanningTab
from .wizards import SessionWizards

PARTS: tuple[type[SessionPart], ...] = (
    GeneralTab,
    PlanningTab,
    ParticipantsTab,
    AttendanceTab,
    CostsTab,
    EvaluationTab,
    EmailsTab,
    DocumentsTab,
    HistoryTab,
    SessionWizards,
)

__all__ = ["PARTS", "SessionPart", "SessionTab"]
