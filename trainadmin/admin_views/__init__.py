"""Builds the admin for one app: a new Admin() per create_app()."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from ..models import (
    Certification,
    Collaborator,
    CostType,
    Dispositif,
    DocumentType,
    EmailTemplate,
    Evaluation,
    ImportRun,
    Location,
    OutboxMessage,
    Partner,
    Population,
    Slot,
    Supplier,
    TeachingMode,
    Trainer,
    Training,
    TrainingOrganisation,
    TrainingRequest,
    TrainingSession,
    User,
)
from ..security import csp_nonce
from .calendar_feeds import MyCalendarView
from .calendar_page import CalendarView
from .dashboard import DashboardView
from .demandes import DemandeTodoView, DemandeView
from .documents import DocumentView
from .documents import init_templates as init_document_templates
from .email_templates import EmailTemplateView
from .imports import ImportRunView
from .labels import install_admin_wording
from .organisation import OrganisationView
from .outbox import OutboxView
from .page_parts import init_page_parts
from .partners import PartnerView
from .planning import SlotView
from .reference import (
    CertificationView,
    CollaboratorView,
    CostTypeView,
    DispositifView,
    DocumentTypeView,
    EvaluationView,
    LocationView,
    PopulationView,
    SupplierView,
    TeachingModeView,
    TrainerView,
    TrainingOrganisationView,
)
from .reports import ReportsView
from .sessions import SessionView
from .trainings import TrainingView
from .users import UserView

SESSIONS = _l("Sessions")
CATALOGUE = _l("Catalogue")
RESOURCES = _l("Resources")
PEOPLE = _l("Learners")
SETTINGS = _l("Settings")


def init_admin(app: Flask) -> Admin:
    install_admin_wording()
    admin = Admin(
        app,
        name="TrainAdmin",
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
        csp_nonce_generator=csp_nonce,
        theme=Bootstrap4Theme(
            swatch=app.config["FLASK_ADMIN_SWATCH"], fluid=True, base_template="admin/ta_base.html"
        ),
    )
    views = [
        SessionView(TrainingSession, name=_l("Sessions"), endpoint="sessions", category=SESSIONS),
        DemandeTodoView(
            TrainingRequest, name=_l("Requests to process"), endpoint="demandes_todo", category=SESSIONS
        ),
        DemandeView(TrainingRequest, name=_l("Requests"), endpoint="demandes", category=SESSIONS),
        SlotView(Slot, name=_l("Slots"), endpoint="slots", category=SESSIONS),
        OutboxView(OutboxMessage, name=_l("Sent e-mails"), endpoint="outbox", category=SESSIONS),
        ImportRunView(ImportRun, name=_l("Imports"), endpoint="imports", category=SESSIONS),
        CalendarView(name=_l("Calendar"), endpoint="calendar"),
        ReportsView(name=_l("Reports"), endpoint="reports"),
        TrainingView(Training, name=_l("Trainings"), endpoint="trainings", category=CATALOGUE),
        CertificationView(
            Certification, name=_l("Certifications"), endpoint="certifications", category=CATALOGUE
        ),
        EvaluationView(Evaluation, name=_l("Evaluations"), endpoint="evaluations", category=CATALOGUE),
        DispositifView(Dispositif, name=_l("Schemes"), endpoint="dispositifs", category=CATALOGUE),
        TeachingModeView(
            TeachingMode, name=_l("Teaching methods"), endpoint="teaching_modes", category=CATALOGUE
        ),
        TrainingOrganisationView(
            TrainingOrganisation,
            name=_l("Training organisations"),
            endpoint="organisations",
            category=RESOURCES,
        ),
        SupplierView(Supplier, name=_l("Suppliers"), endpoint="suppliers", category=RESOURCES),
        LocationView(Location, name=_l("Locations and rooms"), endpoint="locations", category=RESOURCES),
        TrainerView(Trainer, name=_l("Trainers"), endpoint="trainers", category=RESOURCES),
        CollaboratorView(Collaborator, name=_l("Collaborators"), endpoint="collaborators", category=PEOPLE),
        PopulationView(Population, name=_l("Populations"), endpoint="populations", category=PEOPLE),
        CostTypeView(CostType, name=_l("Cost types"), endpoint="cost_types", category=SETTINGS),
        DocumentTypeView(
            DocumentType, name=_l("Document types"), endpoint="document_types", category=SETTINGS
        ),
        EmailTemplateView(
            EmailTemplate, name=_l("E-mail templates"), endpoint="email_templates", category=SETTINGS
        ),
        PartnerView(Partner, name=_l("Partners"), endpoint="partners", category=SETTINGS),
        UserView(User, name=_l("Users"), endpoint="users", category=SETTINGS),
        OrganisationView(name=_l("Organisation"), endpoint="organisation", category=SETTINGS),
    ]
    for view in views:
        admin.add_view(view)
    admin.add_view(DocumentView(name=_l("Documents"), endpoint="documents"))  # not in the menu
    admin.add_view(MyCalendarView(name=_l("My calendar"), endpoint="my_calendar", url="my-calendar"))
    init_document_templates(app)
    init_page_parts(app)
    return admin
