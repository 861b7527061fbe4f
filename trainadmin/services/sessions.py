"""The life of a session: codes, creation from a formation, duplication, publication, workflow,
and the lock that protects a session once someone is enrolled."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext

from ..extensions import db
from ..models import (
    Cost,
    Origin,
    Publication,
    RequestStatus,
    Role,
    Sequence,
    SessionCodeCounter,
    Slot,
    SlotDate,
    Training,
    TrainingRequest,
    TrainingSession,
    User,
    WorkflowStatus,
)
from .capacities import capacity_errors
from .errors import DomainError, ValidationFailed
from .history import change_reason
from .notifications import calendar, events
from .notifications.rules import copy_rules
from .notifications.schedule import refresh_schedule

MIN_YEAR = 2000
MAX_YEAR = 2100

# What « Créer » fills from the formation (the guide's list), plus its default evaluation.
TRAINING_DEFAULT_FIELDS = (
    "certification_id",
    "session_type",
    "organisation_id",
    "capacity_min",
    "capacity_target",
    "capacity_max",
    "dispositif_id",
    "funding_eligible",
    "comments",
    "evaluation_id",
)

# Every field of the creation form: copied as is by « Dupliquer ».
FORM_FIELDS = (
    "training_id",
    "label",
    *TRAINING_DEFAULT_FIELDS,
    "convocation_comment",
    "organisation_comment",
    "calendar_invitations",
)

SEQUENCE_FIELDS = (
    "position",
    "label",
    "teaching_mode_id",
    "url",
    "status",
    "is_prework",
    "hot_survey_enabled",
    "hot_survey_evaluation_id",
    "hot_survey_delay_days",
    "cold_survey_enabled",
    "cold_survey_evaluation_id",
    "cold_survey_delay_days",
)

# Workflow: from → allowed targets. Cancelling is possible from any state before « clôturé ».
TRANSITIONS = {
    WorkflowStatus.CREATED: {WorkflowStatus.CONFIRMED, WorkflowStatus.CANCELLED},
    WorkflowStatus.CONFIRMED: {WorkflowStatus.IN_PROGRESS, WorkflowStatus.CREATED, WorkflowStatus.CANCELLED},
    WorkflowStatus.IN_PROGRESS: {WorkflowStatus.CLOSED, WorkflowStatus.CANCELLED},
    WorkflowStatus.CLOSED: set(),
    WorkflowStatus.CANCELLED: set(),
}

UNLOCKED_ROLES = {Role.ADMIN, Role.OPS_MANAGER}


class SessionLocked(DomainError):
    """A manager may not change a session once a collaborator is enrolled."""


def check_year(year: int | None) -> None:
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise DomainError(
            gettext("Enter a year between %(min)s and %(max)s.", min=MIN_YEAR, max=MAX_YEAR), field="year"
        )


def allocate_code(year: int) -> str:
    """Next code of the year (`2027-0042`), never reused; safe with concurrent creators.

    The counter row is bumped with one UPDATE … RETURNING, which takes a row lock until the
    transaction ends, so two transactions can never receive the same number.
    """
    check_year(year)
    with db.session.no_autoflush:
        return f"{year}-{_next_number(year):04d}"


def _next_number(year: int) -> int:
    counter = SessionCodeCounter.__table__
    bump = (
        sa.update(counter)
        .where(counter.c.year == year)
        .values(last_number=counter.c.last_number + 1)
        .returning(counter.c.last_number)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        db.session.execute(
            insert(counter).values(year=year, last_number=0).on_conflict_do_nothing(index_elements=["year"])
        )
        number = db.session.execute(bump).scalar_one()
    return number


def assign_code(session: TrainingSession) -> None:
    if not session.code:
        session.code = allocate_code(session.year)


def training_defaults(training: Training) -> dict:
    """The values a new session takes from its formation."""
    values = {field: getattr(training, field) for field in TRAINING_DEFAULT_FIELDS}
    values["label"] = training.name
    return values


def get_training(training_id) -> Training:
    text = str(training_id or "")
    training = (
        db.session.get(Training, int(text)) if text.isascii() and text.isdigit() and len(text) < 10 else None
    )
    if training is None:
        raise DomainError(gettext("Choose an existing training."), field="training")
    return training


def check_session_values(values: dict) -> None:
    errors = capacity_errors(
        values.get("capacity_min"), values.get("capacity_target"), values.get("capacity_max")
    )
    year = values.get("year")
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = gettext("Enter a year between %(min)s and %(max)s.", min=MIN_YEAR, max=MAX_YEAR)
    if not (values.get("label") or "").strip():
        errors["label"] = gettext("This field is required.")
    if errors:
        raise ValidationFailed(errors)


def new_session(
    training: Training,
    year: int,
    user: User | None = None,
    origin: Origin = Origin.CREATED,
    publication: Publication = Publication.DRAFT,
    **values,
) -> TrainingSession:
    """« Créer »: a draft session from a formation; given values win over the formation's defaults.
    An import creates its sessions here too, with their origin and the partner's publication."""
    fields = {**training_defaults(training), **{k: v for k, v in values.items() if v is not None}}
    fields["year"] = year
    check_session_values(fields)
    session = TrainingSession(
        training=training,
        publication=publication,
        status=WorkflowStatus.CREATED,
        origin=origin,
        created_by=user,
        **{k: v for k, v in fields.items() if k != "training_id"},
    )
    db.session.add(session)
    assign_code(session)
    db.session.flush()
    copy_rules(session)
    return session


def duplicate_session(
    source: TrainingSession, year: int, start: date, end: date, user: User | None = None
) -> TrainingSession:
    """« Dupliquer »: the form data, sequences with their survey settings and the e-mail settings;
    never slots, costs, financing, participants, attendance, certifications, documents, survey
    results or history. New code from the year, Brouillon, workflow « créé »."""
    errors = {}
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = gettext("Enter a year between %(min)s and %(max)s.", min=MIN_YEAR, max=MAX_YEAR)
    if start is None:
        errors["start_date"] = gettext("Enter the start date.")
    if end is None:
        errors["end_date"] = gettext("Enter the end date.")
    elif start is not None and end < start:
        errors["end_date"] = gettext("The end date cannot be before the start date.")
    if errors:
        raise ValidationFailed(errors)

    sequences = [
        {field: getattr(sequence, field) for field in SEQUENCE_FIELDS} for sequence in source.sequences
    ]
    copy = TrainingSession(
        **{field: getattr(source, field) for field in FORM_FIELDS},
        year=year,
        populations=list(source.populations),
        publication=Publication.DRAFT,
        status=WorkflowStatus.CREATED,
        origin=Origin.DUPLICATED,
        duplicated_from=source,
        created_by=user,
        planned_start_date=start,
        planned_end_date=end,
        start_date=start,
        end_date=end,
        sequence_count=len(sequences),
    )
    db.session.add(copy)
    assign_code(copy)
    db.session.flush()
    # Bulk inserts: the work does not grow in statements with the number of sequences or rules.
    if sequences:
        db.session.execute(sa.insert(Sequence), [{**values, "session_id": copy.id} for values in sequences])
    db.session.expire(copy, ["sequences"])
    copy_rules(copy, source=source)
    return copy


def missing_items(session: TrainingSession) -> list[str]:
    """What the guide asks to enter right after creating a session: "costs", "evaluation"."""
    missing = []
    if session.id is None or not db.session.scalar(
        sa.select(sa.exists().where(Cost.session_id == session.id))
    ):
        missing.append("costs")
    if session.evaluation_id is None:
        missing.append("evaluation")
    return missing


def is_locked(session: TrainingSession) -> bool:
    """At least one collaborator is enrolled."""
    if session.id is None:
        return False
    return db.session.scalar(
        sa.select(
            sa.exists().where(
                TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED
            )
        )
    )


def locked_session_ids(session_ids: list[int]) -> set[int]:
    if not session_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(TrainingRequest.session_id)
            .where(
                TrainingRequest.session_id.in_(session_ids), TrainingRequest.status == RequestStatus.ENROLLED
            )
            .distinct()
        )
    )


def lock_message(session: TrainingSession) -> str:
    return gettext(
        "Session %(code)s has enrolled collaborators: only an operations manager or an "
        "administrator can change it, its dates or its slots.",
        code=session.code,
    )


def ensure_can_change(session: TrainingSession, user: User | None, reason: str | None = None) -> None:
    """The lock after enrolment: every path that changes a session or its planning calls this.

    Workers and imports act as the system (user None) and are bound by the same rule as a manager.
    An operations manager or an administrator may change a locked session, with a reason.
    """
    if not is_locked(session):
        return
    if user is None or user.role not in UNLOCKED_ROLES:
        raise SessionLocked(lock_message(session))
    if not (reason or "").strip():
        raise DomainError(
            gettext("This session has enrolled collaborators: say why you change it."), field="change_reason"
        )


def set_publication(
    sessions: list[TrainingSession], publication: Publication, user: User | None
) -> tuple[list[TrainingSession], list[TrainingSession]]:
    """Publish or put back to draft; never automatic. Returns (changed, skipped because locked).
    Publishing sends the calendar invitations a draft holds back."""
    locked = locked_session_ids([s.id for s in sessions])
    changed, skipped = [], []
    for session in sessions:
        if session.publication == publication:
            continue
        if session.id in locked and (user is None or user.role not in UNLOCKED_ROLES):
            skipped.append(session)
            continue
        session.publication = publication
        changed.append(session)
    db.session.flush()
    for session in changed:
        refresh_schedule(session)  # published: its e-mails are planned; back to draft: cancelled
        if publication == Publication.PUBLISHED and session.enrolled_count:
            # what a draft held back: the invitations and their updates
            calendar.invite_all(session)
            calendar.refresh_invitations(session, notify=True)
    return changed, skipped


def last_slot_end(session: TrainingSession) -> datetime | None:
    row = db.session.execute(
        sa.select(SlotDate.day, SlotDate.end_time)
        .join(Slot, Slot.id == SlotDate.slot_id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .where(Sequence.session_id == session.id)
        .order_by(SlotDate.day.desc(), SlotDate.end_time.desc())
        .limit(1)
    ).first()
    return datetime.combine(row.day, row.end_time) if row else None


def change_status(
    session: TrainingSession,
    target: WorkflowStatus,
    user: User | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Move the workflow, with the guards a manager expects. `now` is local wall-clock time."""
    if target not in TRANSITIONS[session.status]:
        raise DomainError(
            gettext("A session cannot go from this status to the one requested."), field="status"
        )
    if target == WorkflowStatus.CONFIRMED and last_slot_end(session) is None:
        raise DomainError(gettext("Add at least one slot before confirming the session."), field="status")
    if target == WorkflowStatus.CLOSED:
        end = last_slot_end(session)
        if end is None or end > now:
            raise DomainError(
                gettext("The session can be closed once its last slot has ended."), field="status"
            )
    if target == WorkflowStatus.CANCELLED:
        if not (reason or "").strip():
            raise DomainError(gettext("Give the reason of the cancellation."), field="cancel_reason")
        session.cancel_reason = reason.strip()
    with change_reason(reason):
        session.status = target
        db.session.flush()
    refresh_schedule(session)
    if target == WorkflowStatus.CANCELLED:
        events.on_session_cancelled(session)
