"""Reference data: the lists every session draws from."""

from __future__ import annotations

from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from wtforms.validators import Email, Optional

from ..models import Collaborator, Location, Room, Trainer
from ..services.links import FeedOf
from .base import AdminOnlyView, SecureModelView
from .calendar_feeds import FEED_WRITE_VIEWS, CalendarFeedMixin
from .trainer_links import TrainerLinkMixin
from .validators import NumberRange

EMAIL = {"validators": [Optional(), Email(message=_l("Invalid e-mail address."))]}
REQUIRED_EMAIL = {"validators": [Email(message=_l("Invalid e-mail address."))]}

COMMON_LABELS = {
    "name": _l("Name"),
    "code": _l("Code"),
    "description": _l("Description"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "address": _l("Address"),
    "postcode": _l("Postcode"),
    "city": _l("City"),
    "siret": _l("SIRET"),
    "contact_name": _l("Contact"),
    "contact_email": _l("Contact e-mail"),
    "contact_phone": _l("Contact phone"),
    "rooms": _l("Rooms"),
    "capacity": _l("Capacity"),
    "location": _l("Location"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "organisation": _l("Training organisation"),
    "internal": _l("Internal trainer"),
    "manager_email": _l("Manager e-mail"),
    "employee_number": _l("Employee number"),
    "department": _l("Department"),
    "populations": _l("Populations"),
    "questions": _l("Questions (one per line)"),
}


class ReferenceView(SecureModelView):
    """Simple named lists; searchable and sortable by name."""

    column_list = ("name",)
    column_searchable_list = ("name",)
    column_sortable_list = ("name",)
    column_default_sort = "name"
    column_labels = COMMON_LABELS
    form_excluded_columns = ()


class AdminReferenceView(ReferenceView, AdminOnlyView):
    pass


class CertificationView(ReferenceView):
    column_list = ("name", "code")
    form_columns = ("name", "code", "description")


class TrainingOrganisationView(ReferenceView):
    column_list = ("name", "email", "phone", "siret")
    form_columns = ("name", "email", "phone", "address", "siret")
    form_args = {"email": EMAIL}


class SupplierView(ReferenceView):
    column_list = ("name", "email", "phone", "siret")
    form_columns = ("name", "email", "phone", "siret")
    form_args = {"email": EMAIL}


class RoomInline(InlineFormAdmin):
    form_columns = ("id", "name", "capacity")
    form_label = _l("Room")
    column_labels = {"name": _l("Name"), "capacity": _l("Capacity")}
    form_args = {"capacity": {"validators": [Optional(), NumberRange(min=1, max=10000)]}}


class LocationView(CalendarFeedMixin, ReferenceView):
    feed_of = FeedOf.LOCATION
    details_template = "admin/locations/details.html"
    extra_write_views = FEED_WRITE_VIEWS
    column_list = ("name", "city", "contact_name", "contact_email", "rooms")
    column_details_exclude_list = ("updated_at",)  # for the calendar feeds' ETag, not for people
    column_searchable_list = ("name", "city")
    form_columns = ("name", "address", "postcode", "city", "contact_name", "contact_email", "contact_phone")
    form_args = {"contact_email": EMAIL}
    inline_models = (RoomInline(Room),)
    list_loader_options = (selectinload(Location.rooms),)


class TrainerView(TrainerLinkMixin, CalendarFeedMixin, SecureModelView):
    feed_of = FeedOf.TRAINER
    extra_write_views = TrainerLinkMixin.extra_write_views | FEED_WRITE_VIEWS
    column_list = ("last_name", "first_name", "email", "organisation", "internal")
    column_searchable_list = ("last_name", "first_name", "email")
    column_sortable_list = ("last_name", "first_name", "email")
    column_default_sort = "last_name"
    column_labels = COMMON_LABELS
    form_columns = ("first_name", "last_name", "email", "phone", "organisation", "internal")
    form_args = {"email": REQUIRED_EMAIL}
    list_loader_options = (selectinload(Trainer.organisation),)


class PopulationView(AdminReferenceView):
    form_columns = ("name", "description")


class CollaboratorView(SecureModelView):
    column_list = ("last_name", "first_name", "email", "manager_email", "department", "populations")
    column_searchable_list = ("last_name", "first_name", "email", "employee_number")
    column_sortable_list = ("last_name", "first_name", "email", "department")
    column_default_sort = "last_name"
    column_filters = ("populations.name", "department")
    column_labels = {**COMMON_LABELS, "populations.name": _l("Population")}
    form_columns = (
        "first_name",
        "last_name",
        "email",
        "manager_email",
        "employee_number",
        "department",
        "populations",
    )
    form_args = {"email": REQUIRED_EMAIL, "manager_email": EMAIL}
    list_loader_options = (selectinload(Collaborator.populations),)


class CostTypeView(AdminReferenceView):
    form_columns = ("name",)


class DocumentTypeView(AdminReferenceView):
    form_columns = ("name",)


class EvaluationView(AdminReferenceView):
    column_list = ("name", "anonymous")
    form_columns = ("name", "description", "questions", "anonymous")
    column_labels = {**COMMON_LABELS, "anonymous": _l("Anonymous")}
    column_descriptions = {
        "anonymous": _l(
            "Answers given from the participants' survey links are kept without their names: the "
            "results show no name next to them, and nothing leads from a participant to their answers."
        )
    }


class DispositifView(AdminReferenceView):
    form_columns = ("name",)


class TeachingModeView(AdminReferenceView):
    form_columns = ("name",)
