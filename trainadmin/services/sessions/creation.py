"""« Créer » and « Dupliquer »: a session from a formation's defaults, or a copy of another one."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...ids import parse_id
from ...models import (
    Cost,
    Origin,
    Publication,
    Sequence,
    Training,
    TrainingSession,
    User,
    WorkflowStatus,
)
from .. import history
from ..errors import DomainError, ValidationFailed
from ..notifications import copy_rules
from .capacities import capacity_errors
from .codes import MAX_YEAR, MIN_YEAR, assign_code

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


def training_defaults(training: Training) -> dict:
    """The values a new session takes from its formation."""
    values = {field: getattr(training, field) for field in TRAINING_DEFAULT_FIELDS}
    values["label"] = training.name
    return values


def get_training(training_id) -> Training:
    ident = parse_id(training_id)
    training = db.session.get(Training, ident) if ident is not None else None
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
    if origin == Origin.IMPORTED:
        history.record(
            session, history.IMPORTED, changes=[history.change("external_ref", None, session.external_ref)]
        )
    else:
        history.record(session, history.CREATED, changes=[history.change("code", None, session.code)])
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
    history.record(copy, history.DUPLICATED, changes=[history.change("duplicated_from", None, source.code)])
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
