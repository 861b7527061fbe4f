"""The demo's sessions: dates on French working days, sequences, slots, requests and costs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from ..extensions import db
from ..models import (
    Cost,
    CostSplit,
    Origin,
    Publication,
    RequestStatus,
    RequestStep,
    Sequence,
    SequenceStatus,
    Slot,
    SlotDate,
    TrainingRequest,
    TrainingSession,
    WorkflowStatus,
)
from ..services.planning import refresh_session
from ..services.sessions import assign_code
from . import reference_data, session_data
from .context import Context
from .emails import give_email_rules

# (start, end, break in minutes, length in days)
FULL_DAY = (time(9, 0), time(17, 0), 60, None)
MORNING = (time(9, 0), time(12, 30), 0, Decimal("0.5"))
AFTERNOON = (time(13, 30), time(17, 0), 0, Decimal("0.5"))
PREWORK_HOURS = (time(9, 0), time(11, 0), 0, None)
REMOTE_MODES = {"Classe virtuelle", "E-learning"}


def create_sessions(context: Context) -> None:
    specs = {spec["reference"]: spec for spec in session_data.TRAININGS}
    previous: dict[str, TrainingSession] = {}
    imported = 0
    stretch = _future_stretch(context)
    for plan in session_data.SESSIONS:
        spec = specs[plan.reference]
        weeks = plan.weeks if plan.weeks < 0 else max(1, round(plan.weeks * stretch))
        schedule = _schedule(context, spec, weeks)
        session = _new_session(
            context, spec, schedule, Publication(plan.publication), WorkflowStatus(plan.status)
        )
        if plan.origin == Origin.DUPLICATED:
            session.origin = Origin.DUPLICATED
            session.duplicated_from = previous[plan.reference]
        elif plan.origin == Origin.IMPORTED:
            imported += 1
            session.origin = Origin.IMPORTED
            session.partner = context.catalogue.partner
            session.organisation = context.catalogue.partner.organisation
            session.external_ref = f"CP-{session.year}-{imported:03d}"
        names = plan.populations or ([spec["population"]] if spec["population"] else [])
        session.populations = [context.catalogue.populations[name] for name in names]
        if not plan.evaluation:
            session.evaluation = None
        _plan(context, session, spec, schedule)
        _add_requests(context, session, plan.enrolled, plan.waitlisted, plan.pending)
        if plan.costs:
            _add_costs(context, session, spec)
        give_email_rules(context, session)
        previous[plan.reference] = session


def _stamp(context: Context, day: date, hour: int = 10) -> datetime:
    """A plausible moment on `day` (local time), never after now."""
    moment = datetime.combine(day, time(hour, 0), tzinfo=context.zone).astimezone(UTC)
    return min(moment, context.now)


def _monday(context: Context, weeks: int = 0) -> date:
    return context.today - timedelta(days=context.today.weekday()) + timedelta(weeks=weeks)


def _future_stretch(context: Context) -> float:
    """Spread the upcoming sessions until the autumn of next year, whatever the date today."""
    last_week = max(plan.weeks for plan in session_data.SESSIONS)
    margin = max(spec["gap_weeks"] for spec in session_data.TRAININGS) + 4
    horizon = (date(context.today.year + 1, 12, 10) - _monday(context)).days // 7
    return (horizon - margin) / last_week


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _is_working_day(day: date) -> bool:
    """No training on week-ends, French public holidays, the year-end break or early August."""
    if day.weekday() >= 5 or (day.month, day.day) in session_data.FIXED_HOLIDAYS:
        return False
    if (day.month == 12 and day.day >= 22) or (day.month == 8 and day.day <= 21):
        return False
    return (day - _easter(day.year)).days not in (1, 39, 50)


def _working_days(context: Context, monday: date, count: int, direction: int) -> list[date]:
    """`count` consecutive working days starting Monday to Thursday of that week, or of the nearest
    suitable week in `direction` (-1 earlier, 1 later)."""
    while True:
        options = [
            [monday + timedelta(days=start + offset) for offset in range(count)]
            for start in range(4 - max(count - 1, 0))
        ]
        options = [days for days in options if all(_is_working_day(day) for day in days)]
        if options:
            return context.rng.choice(options)
        monday += timedelta(weeks=direction)


def _schedule(context: Context, spec: dict, weeks: int) -> list[list[date]]:
    """The days of each sequence, pre-work first; complex sessions keep `gap_weeks` between sequences."""
    this_week = _monday(context)
    schedule: list[list[date]] = []
    for index, (_, _, days) in enumerate(spec["sequences"]):
        monday = this_week + timedelta(weeks=weeks + index * spec["gap_weeks"])
        direction = -1 if monday < this_week else 1
        schedule.append(_working_days(context, monday, max(int(days), 1), direction))
    if spec["prework"]:
        first = schedule[0][0]
        schedule.insert(0, _working_days(context, first - timedelta(days=first.weekday() + 7), 1, -1))
    return schedule


def _new_session(
    context: Context,
    spec: dict,
    schedule: list[list[date]],
    publication: Publication,
    status: WorkflowStatus,
) -> TrainingSession:
    training = context.catalogue.trainings[spec["reference"]]
    first_day = schedule[0][0]
    current_year = context.today.year
    session = TrainingSession(
        training=training,
        certification=training.certification,
        session_type=training.session_type,
        organisation=training.organisation,
        label=training.name,
        capacity_min=training.capacity_min,
        capacity_target=training.capacity_target,
        capacity_max=training.capacity_max,
        dispositif=training.dispositif,
        funding_eligible=training.funding_eligible,
        comments=training.comments,
        evaluation=training.evaluation,
        publication=publication,
        status=status,
        calendar_invitations=spec.get("calendar_invitations", True),
        created_by=context.admin,
    )
    # Created well before its first demande, updated since.
    today = context.today
    created = min(first_day - timedelta(days=75), today - timedelta(days=context.rng.randint(30, 60)))
    updated = min(first_day - timedelta(days=20), today - timedelta(days=1))
    session.created_at = _stamp(context, created, hour=9)
    session.updated_at = _stamp(context, updated)
    # The year of the training plan the session belongs to: early in the year, the sessions already
    # closed may have been held in December before.
    session.year = min(max(first_day.year, current_year), current_year + 1)
    if publication == Publication.PUBLISHED:
        session.convocation_comment = session_data.CONVOCATION_COMMENT
        if training.organisation and training.organisation.siret:
            session.organisation_comment = session_data.ORGANISATION_COMMENT
    if status == WorkflowStatus.CANCELLED:
        session.cancel_reason = session_data.CANCEL_REASON
    db.session.add(session)
    assign_code(session)
    return session


def _plan(context: Context, session: TrainingSession, spec: dict, schedule: list[list[date]]) -> None:
    """Sequences and their slots; a cancelled session keeps its sequences, without dates."""
    catalogue = context.catalogue
    cancelled = session.status == WorkflowStatus.CANCELLED
    layout = [(label, mode, days, False) for label, mode, days in spec["sequences"]]
    if spec["prework"]:
        layout.insert(0, (spec["prework"], "E-learning", None, True))
    for position, ((label, mode, days, prework), dates) in enumerate(zip(layout, schedule, strict=True), 1):
        sequence = Sequence(
            position=position, label=label, teaching_mode=catalogue.teaching_modes[mode], is_prework=prework
        )
        if prework:
            sequence.url = f"{session_data.ELEARNING_URL}{spec['reference'].lower()}"
        elif mode == "Classe virtuelle":
            sequence.url = f"https://visio.{reference_data.DOMAIN}/{session.code}"
        session.sequences.append(sequence)
        if cancelled:
            continue
        if prework:
            hours = PREWORK_HOURS
        elif days < 1:
            hours = context.rng.choice((MORNING, AFTERNOON))
        else:
            hours = FULL_DAY
        _add_slot(context, sequence, spec, dates, hours)
    refresh_session(session)
    _set_sequence_statuses(context, session, spec)


def _add_slot(context: Context, sequence: Sequence, spec: dict, days: list[date], hours: tuple) -> None:
    rng, catalogue = context.rng, context.catalogue
    start_time, end_time, break_minutes, length = hours
    slot = Slot(
        organisation=catalogue.organisations[spec["organisation"]],
        duration_days=length and length * len(days),
    )
    pool = [catalogue.trainers[name] for name in spec["trainers"]]
    if sequence.is_prework:
        slot.trainers = pool[:1]
    else:
        slot.trainers = rng.sample(pool, rng.randint(1, len(pool)))
        others = [t for t in catalogue.trainers.values() if t not in slot.trainers and t.internal]
        if others and rng.random() < 0.25:
            slot.co_trainer = others[0]
    mode = sequence.teaching_mode.name if sequence.teaching_mode else ""
    if mode not in REMOTE_MODES:
        rooms = [
            room
            for location in catalogue.locations
            for room in location.rooms
            if (room.capacity or 0) >= spec["capacities"][2]
        ]
        slot.room = rng.choice(rooms)
        location = slot.room.location
        slot.location = location
        slot.host_name = location.contact_name
        slot.host_email = location.contact_email
        slot.location_comment = session_data.LOCATION_COMMENT
        slot.trainer_comment = session_data.TRAINER_COMMENT
        if slot.organisation and slot.organisation.siret:
            slot.organisation_comment = session_data.ORGANISATION_COMMENT
    slot.dates = [
        SlotDate(day=day, start_time=start_time, end_time=end_time, break_minutes=break_minutes)
        for day in days
    ]
    sequence.slots.append(slot)


def _set_sequence_statuses(context: Context, session: TrainingSession, spec: dict) -> None:
    evaluations = context.catalogue.evaluations
    teaching = [s for s in session.sequences if not s.is_prework]
    for sequence in session.sequences:
        if session.status == WorkflowStatus.CANCELLED:
            sequence.status = SequenceStatus.CANCELLED
        elif sequence.end_date and sequence.end_date < context.today:
            sequence.status = SequenceStatus.CLOSED
    if session.evaluation and teaching:
        last = teaching[-1]
        last.hot_survey_enabled = True
        last.hot_survey_evaluation = evaluations[reference_data.SATISFACTION]
        last.hot_survey_delay_days = 0
        if spec["cold_survey_days"]:
            last.cold_survey_enabled = True
            last.cold_survey_evaluation = evaluations[reference_data.COLD_REVIEW]
            last.cold_survey_delay_days = spec["cold_survey_days"]


def _add_requests(
    context: Context, session: TrainingSession, share: float, waitlisted: int, pending: int
) -> None:
    """Demandes: enrolled up to `share` of the maximum capacity, then the waiting list and new ones."""
    rng, catalogue = context.rng, context.catalogue
    if session.populations:
        eligible = [
            c for c in catalogue.collaborators if any(p in c.populations for p in session.populations)
        ]
    else:
        eligible = list(catalogue.collaborators)
    enrolled = min(int(share * (session.capacity_max or 0)), session.capacity_max or 0, len(eligible))
    if enrolled < (session.capacity_max or 0):
        waitlisted = 0
    people = rng.sample(eligible, min(len(eligible), enrolled + waitlisted + pending))
    start = session.start_date or context.today
    plan = (
        [(RequestStatus.ENROLLED, "Inscription validée par le service formation.")] * enrolled
        + [(RequestStatus.WAITLISTED, "Session complète : inscription en liste d'attente.")] * waitlisted
        + [(RequestStatus.PENDING_MANAGER, "Demande transmise au manager pour validation.")] * pending
    )
    for position, (collaborator, (status, comment)) in enumerate(zip(people, plan, strict=False)):
        if status == RequestStatus.PENDING_MANAGER:
            day = context.today - timedelta(days=rng.randint(1, 6))
        else:
            day = min(start - timedelta(days=rng.randint(15, 45)), context.today - timedelta(days=7))
        at = _stamp(context, day, hour=rng.randint(8, 17))
        request = TrainingRequest(
            session=session,
            collaborator=collaborator,
            status=status,
            created_at=at,
            created_by=context.admin,
            waitlist_position=position - enrolled + 1 if status == RequestStatus.WAITLISTED else None,
        )
        request.steps = [
            RequestStep(
                at=at,
                user_id=context.admin.id,
                actor=context.admin.email,
                from_status=None,
                to_status=status.value,
                comment=comment,
            )
        ]
        db.session.add(request)
    session.enrolled_count = enrolled


def _add_costs(context: Context, session: TrainingSession, spec: dict) -> None:
    """The formation's default costs, plus now and then a trainer's travel billed apart."""
    rng, catalogue = context.rng, context.catalogue
    amounts = dict(spec["default_costs"])
    if "Déplacement" not in amounts and rng.random() < 0.3:
        amounts["Déplacement"] = Decimal(rng.randrange(180, 650, 10))
    trainees = session.enrolled_count or session.capacity_target or 1
    for name, amount in amounts.items():
        per_trainee = name in reference_data.PER_TRAINEE_COST_TYPES
        supplier = reference_data.SUPPLIER_BY_COST_TYPE.get(name)
        db.session.add(
            Cost(
                session=session,
                cost_type=catalogue.cost_types[name],
                amount=amount,
                split=CostSplit.PER_TRAINEE if per_trainee else CostSplit.GLOBAL,
                quantity=trainees if per_trainee else None,
                supplier=catalogue.suppliers[supplier] if supplier else None,
                comment=None if name in spec["default_costs"] else session_data.TRAVEL_COMMENT,
            )
        )
