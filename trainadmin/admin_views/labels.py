"""What the user reads for stored values: enum labels and database refusals, through the catalogue."""

from __future__ import annotations

from enum import Enum

from flask_babel import gettext, lazy_gettext, lazy_pgettext, ngettext
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from ..models import (
    CostSplit,
    EmailAnchor,
    EmailKind,
    FeedFormat,
    FeedSource,
    FinancingStatus,
    HalfDay,
    ImportOutcome,
    ImportStatus,
    LinkPurpose,
    Origin,
    OutboxState,
    Presence,
    Publication,
    RequestStatus,
    Role,
    ScheduleState,
    SequenceStatus,
    SessionType,
    SignatureVia,
    SurveyKind,
    UnknownPolicy,
    WorkflowStatus,
)

_LABELS = (
    (Role.ADMIN, lazy_gettext("Administrator")),
    (Role.OPS_MANAGER, lazy_gettext("Operations manager")),
    (Role.MANAGER, lazy_gettext("Training manager")),
    (Role.VIEWER, lazy_gettext("Reader")),
    (SessionType.INTRA, lazy_gettext("INTRA")),
    (SessionType.INTER, lazy_gettext("INTER")),
    (Publication.DRAFT, lazy_gettext("Draft")),
    (Publication.PUBLISHED, lazy_gettext("Published")),
    (WorkflowStatus.CREATED, lazy_gettext("Created")),
    (WorkflowStatus.CONFIRMED, lazy_gettext("Confirmed")),
    (WorkflowStatus.IN_PROGRESS, lazy_gettext("In progress")),
    (WorkflowStatus.CLOSED, lazy_gettext("Closed")),
    (WorkflowStatus.CANCELLED, lazy_gettext("Cancelled")),
    (Origin.CREATED, lazy_gettext("Created")),
    (Origin.DUPLICATED, lazy_gettext("Duplicated")),
    (Origin.IMPORTED, lazy_gettext("Imported")),
    (SequenceStatus.PLANNED, lazy_pgettext("sequence status", "Planned")),
    (SequenceStatus.CLOSED, lazy_pgettext("sequence status", "Closed")),
    (SequenceStatus.CANCELLED, lazy_pgettext("sequence status", "Cancelled")),
    (SequenceStatus.EXTERNAL, lazy_pgettext("sequence status", "External")),
    (RequestStatus.PENDING_MANAGER, lazy_gettext("Awaiting manager validation")),
    (RequestStatus.PENDING_TRAINING, lazy_gettext("Awaiting training department validation")),
    (RequestStatus.VALIDATED, lazy_pgettext("request status", "Validated")),
    (RequestStatus.ENROLLED, lazy_pgettext("request status", "Enrolled")),
    (RequestStatus.WAITLISTED, lazy_gettext("Waiting list")),
    (RequestStatus.REFUSED, lazy_pgettext("request status", "Refused")),
    (RequestStatus.CANCELLED, lazy_pgettext("request status", "Cancelled")),
    (HalfDay.MORNING, lazy_gettext("Morning")),
    (HalfDay.AFTERNOON, lazy_gettext("Afternoon")),
    (LinkPurpose.MANAGER_DECISION, lazy_gettext("Manager's decision")),
    (LinkPurpose.SIGN_IN, lazy_gettext("Sign-in")),
    (LinkPurpose.COUNTERSIGN, lazy_gettext("Trainer's countersignature")),
    (LinkPurpose.SURVEY, lazy_gettext("Survey")),
    (LinkPurpose.TRAINER_PAGE, lazy_gettext("Trainer's page")),
    (LinkPurpose.CALENDAR_FEED, lazy_gettext("Calendar feed")),
    (Presence.PRESENT, lazy_gettext("Present")),
    (Presence.ABSENT, lazy_gettext("Absent")),
    (Presence.EXCUSED, lazy_gettext("Excused")),
    (SignatureVia.LINK, lazy_gettext("Own link")),
    (SignatureVia.QR, lazy_gettext("QR code and code e-mailed")),
    (SurveyKind.HOT, lazy_gettext("Hot survey")),
    (SurveyKind.COLD, lazy_gettext("Cold survey")),
    (SurveyKind.SESSION, lazy_gettext("Session evaluation")),
    (CostSplit.GLOBAL, lazy_gettext("Global")),
    (CostSplit.PER_TRAINEE, lazy_gettext("Per trainee")),
    (FinancingStatus.REQUESTED, lazy_pgettext("financing status", "Requested")),
    (FinancingStatus.GRANTED, lazy_pgettext("financing status", "Granted")),
    (FinancingStatus.REFUSED, lazy_pgettext("financing status", "Refused")),
    (EmailKind.ENROLMENT, lazy_gettext("Enrolment confirmation")),
    (EmailKind.CONVOCATION, lazy_gettext("Joining instructions")),
    (EmailKind.TRAINER_FILE, lazy_gettext("Trainer file")),
    (EmailKind.ORGANISATION, lazy_gettext("Training organisation")),
    (EmailKind.LOCATION, lazy_gettext("Location")),
    (EmailKind.REMINDER, lazy_gettext("Reminder")),
    (EmailKind.HOT_SURVEY, lazy_gettext("Hot survey")),
    (EmailKind.COLD_SURVEY, lazy_gettext("Cold survey")),
    (EmailKind.CANCELLATION, lazy_gettext("Cancellation")),
    (EmailKind.SURVEY_REMINDER, lazy_gettext("Survey reminder")),
    (EmailKind.SIGNIN_LINKS, lazy_gettext("Today's sign-in")),
    (EmailKind.MANAGER_REQUEST, lazy_gettext("Request to the manager")),
    (EmailKind.MANAGER_REMINDER, lazy_gettext("Reminder to the manager")),
    (EmailKind.MANAGER_DECISION, lazy_gettext("Manager's decision")),
    (EmailAnchor.ENROLMENT, lazy_gettext("At enrolment")),
    (EmailAnchor.SEQUENCE_START, lazy_gettext("Start of each sequence")),
    (EmailAnchor.SEQUENCE_END, lazy_gettext("End of each sequence")),
    (EmailAnchor.CANCELLATION, lazy_gettext("At cancellation")),
    (EmailAnchor.REQUEST, lazy_gettext("For a request waiting for the manager")),
    (EmailAnchor.SURVEY, lazy_gettext("For a survey left unanswered")),
    (EmailAnchor.SIGNIN_DAY, lazy_gettext("The morning of each date")),
    (ScheduleState.PLANNED, lazy_pgettext("e-mail state", "Planned")),
    (ScheduleState.SENT, lazy_pgettext("e-mail state", "Sent")),
    (ScheduleState.FAILED, lazy_pgettext("e-mail state", "Failed")),
    (ScheduleState.MISSED, lazy_pgettext("e-mail state", "Missed")),
    (ScheduleState.CANCELLED, lazy_pgettext("e-mail state", "Cancelled")),
    (OutboxState.PENDING, lazy_pgettext("e-mail state", "Pending")),
    (OutboxState.SENT, lazy_pgettext("e-mail state", "Sent")),
    (OutboxState.FAILED, lazy_pgettext("e-mail state", "Failed")),
    (OutboxState.KEPT, lazy_gettext("Kept (not sent)")),
    (OutboxState.CANCELLED, lazy_pgettext("e-mail state", "Cancelled (not sent)")),
    (FeedFormat.CSV, lazy_gettext("CSV")),
    (FeedFormat.JSON, lazy_gettext("JSON")),
    (FeedSource.UPLOAD, lazy_gettext("Uploaded file")),
    (FeedSource.PATH, lazy_gettext("File or directory on the server")),
    (FeedSource.URL, lazy_gettext("HTTPS address")),
    (UnknownPolicy.CREATE, lazy_gettext("Create what is unknown")),
    (UnknownPolicy.REJECT, lazy_gettext("Reject the row")),
    (ImportStatus.QUEUED, lazy_gettext("Queued")),
    (ImportStatus.RUNNING, lazy_gettext("Running")),
    (ImportStatus.SUCCEEDED, lazy_gettext("Succeeded")),
    (ImportStatus.WITH_REJECTIONS, lazy_gettext("Finished with rejections")),
    (ImportStatus.FAILED, lazy_gettext("Failed")),
    (ImportOutcome.CREATED, lazy_gettext("Created")),
    (ImportOutcome.UPDATED, lazy_gettext("Updated")),
    (ImportOutcome.FLAGGED, lazy_gettext("Absent from the feed")),
)

# Keyed by (enum class, value): StrEnum members of different enums with the same value
# ("cancelled", "closed"…) are equal strings and would overwrite each other in a plain dict.
ENUM_LABELS = {(type(member), member.value): label for member, label in _LABELS}


# The guide's words for Flask-Admin's own buttons and messages, where its French catalogue differs
# (« Sauvegarder », not « Enregistrer »).
ADMIN_WORDING = {
    "Save": lazy_gettext("Save"),
    "Edit": lazy_gettext("Edit"),
    "Save and Add Another": lazy_gettext("Save and add another"),
    "Save and Continue Editing": lazy_gettext("Save and continue editing"),
    "Record was successfully created.": lazy_gettext("Created."),
    "Record was successfully saved.": lazy_gettext("Changes saved."),
    "Are you sure you want to delete this record?": lazy_gettext("Delete this record?"),
    "Failed to create record.": lazy_gettext("Creation failed: nothing was saved."),
    # Flask-Admin's French catalogue has these, its compiled file not (2.x): a refused save, the page size.
    "Failed to save record.": lazy_gettext("Nothing was saved: correct the fields shown."),
    "items": lazy_gettext("rows"),
    # Where Flask-Admin's French reads as a machine's: a button in the past tense, capitals, no space
    # before « ? », « objets détruits ».
    "Reset Filters": lazy_gettext("Clear the filters"),
    "Create New Record": lazy_gettext("Create a record"),
    "Edit Record": lazy_gettext("Edit this record"),
    "View Record": lazy_gettext("See this record"),
    "Delete Record": lazy_gettext("Delete this record"),
    "Delete?": lazy_gettext("Delete?"),
    "Are you sure you want to delete selected records?": lazy_gettext("Delete the selected rows?"),
    "Record was successfully deleted.": lazy_gettext("Deleted."),
    "%(count)s records were successfully deleted.": lazy_gettext("%(count)s rows deleted."),
    "Please select at least one record.": lazy_gettext("Select at least one row."),
    "Record does not exist.": lazy_gettext("This record does not exist (or no longer)."),
    "Failed to delete record. %(error)s": lazy_gettext("Nothing was deleted: %(error)s"),
    "Failed to delete records. %(error)s": lazy_gettext("Nothing was deleted: %(error)s"),
    "Export": lazy_gettext("Export"),
    "Search": lazy_gettext("Search"),
}


def install_admin_wording() -> None:
    """Route Flask-Admin's template and flash texts through ADMIN_WORDING first.

    Flask-Admin reads `flask_admin.babel.gettext` when it renders and `flask_admin.model.base.gettext`
    when it flashes; both are replaced once, by a function that defers to the original.
    """
    import flask_admin.babel as admin_babel
    import flask_admin.model.base as admin_model_base

    original = getattr(admin_babel.gettext, "__wrapped__", admin_babel.gettext)

    def gettext_with_wording(string, **variables):
        ours = ADMIN_WORDING.get(string)
        if ours is None:
            return original(string, **variables)
        return str(ours) % variables if variables else str(ours)

    original_plural = getattr(admin_babel.ngettext, "__wrapped__", admin_babel.ngettext)

    def ngettext_with_wording(singular, plural, num, **variables):
        # The page-size menu asks for « '{}'.format(n) items », a text no catalogue can hold.
        if plural == f"{num} items":
            return ngettext("%(num)s row", "%(num)s rows", num)
        return original_plural(singular, plural, num, **variables)

    gettext_with_wording.__wrapped__ = original
    ngettext_with_wording.__wrapped__ = original_plural
    admin_babel.gettext = gettext_with_wording
    admin_babel.ngettext = ngettext_with_wording
    admin_model_base.gettext = gettext_with_wording


def enum_label(value: Enum | None) -> str:
    if value is None:
        return ""
    return str(ENUM_LABELS.get((type(value), value.value), value.value))


def enum_filter_options(enum_cls: type[Enum]) -> list[tuple[str, object]]:
    """A list filter's options: the member's name and its label, left lazy so that Flask-Admin
    translates it when it draws the page (the filters are built once, outside any request)."""
    return [(member.name, ENUM_LABELS.get((enum_cls, member.value), member.value)) for member in enum_cls]


def enum_choices(enum_cls: type[Enum]) -> list[SelectChoice]:
    """Options of a select field: stored value, translated label."""
    return [
        SelectChoice(member.value, ENUM_LABELS.get((enum_cls, member.value), member.value))
        for member in enum_cls
    ]


def integrity_message(exc: IntegrityError) -> str:
    """The database refused a write: say why in words, never with SQL."""
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate key" in text:
        return gettext("This value is already used by another record: nothing was saved.")
    if "foreign key" in text:
        return gettext(
            "This record is still used elsewhere (sessions, slots, costs…): "
            "remove those uses first. Nothing was changed."
        )
    if "check constraint" in text or "violates check" in text:
        return gettext("A value is outside what is allowed: nothing was saved.")
    if "not null" in text:
        return gettext("A required value is missing: nothing was saved.")
    return gettext("The database refused the change: nothing was saved.")
