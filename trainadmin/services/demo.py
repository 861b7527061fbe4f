"""Demo data: fills an empty database with a realistic French training plan over two years.

The content lives in `demo_data`; this module turns it into rows through the same services the
product uses (users, session codes, planning), so the demo obeys the rules of the real thing.
Everything is deterministic for a given `today`.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from ..extensions import db
from ..models import (
    Certification,
    Collaborator,
    Cost,
    CostSplit,
    CostType,
    Dispositif,
    DocumentType,
    Evaluation,
    FeedFormat,
    FeedSource,
    Location,
    Origin,
    Partner,
    Population,
    Publication,
    RequestStatus,
    RequestStep,
    Role,
    Room,
    Sequence,
    SequenceStatus,
    SessionType,
    Slot,
    SlotDate,
    Supplier,
    TeachingMode,
    Trainer,
    Training,
    TrainingDefaultCost,
    TrainingOrganisation,
    TrainingRequest,
    TrainingSession,
    User,
    WorkflowStatus,
    utcnow,
)
from . import demo_data as data
from .errors import DomainError
from .planning import refresh_session
from .sessions import assign_code
from .users import create_user

DEMO_ADMIN_EMAIL = "admin@demo.trainadmin.fr"
DEMO_ACCOUNTS: tuple[tuple[str, Role], ...] = (
    (DEMO_ADMIN_EMAIL, Role.ADMIN),
    *((email, Role(role)) for email, role, _ in data.USERS),
)
"""Every demo login, all with the password given to `seed_demo`."""
DEMO_SEED = 2027

# (start, end, break in minutes, length in days)
FULL_DAY = (time(9, 0), time(17, 0), 60, None)
MORNING = (time(9, 0), time(12, 30), 0, Decimal("0.5"))
AFTERNOON = (time(13, 30), time(17, 0), 0, Decimal("0.5"))
PREWORK_HOURS = (time(9, 0), time(11, 0), 0, None)
REMOTE_MODES = {"Classe virtuelle", "E-learning"}


@dataclass
class _Catalogue:
    """Reference rows by name, so the plan in `demo_data` can point at them."""

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
class _Context:
    rng: random.Random
    today: date
    now: datetime
    zone: ZoneInfo
    admin: User
    catalogue: _Catalogue


def seed_demo(admin_password: str, today: date | None = None) -> None:
    """Fill an empty database with the demo; flushes, the caller commits."""
    _check_empty()
    zone = ZoneInfo(current_app.config.get("TRAINADMIN_TZ") or "Europe/Paris")
    today = today or datetime.now(zone).date()
    admin = _create_users(admin_password)
    catalogue = _Catalogue()
    rng = random.Random(DEMO_SEED)
    now = utcnow()
    if today != now.astimezone(zone).date():
        now = datetime.combine(today, time(12, 0), tzinfo=zone).astimezone(UTC)
    context = _Context(rng=rng, today=today, now=now, zone=zone, admin=admin, catalogue=catalogue)
    _create_reference_data(context)
    _create_trainings(catalogue)
    _create_sessions(context)
    db.session.flush()


def _check_empty() -> None:
    for model in (User, TrainingSession, Training, Collaborator):
        if db.session.scalar(sa.select(sa.func.count()).select_from(model)):
            raise DomainError(
                gettext(
                    "The demo data can only be loaded into an empty database, and this one already "
                    "holds users or sessions. Point DATABASE_URL at a new database and run init-db first."
                )
            )


def _create_users(password: str) -> User:
    admin = create_user(DEMO_ADMIN_EMAIL, Role.ADMIN, password, full_name=data.ADMIN_FULL_NAME)
    for email, role, full_name in data.USERS:
        create_user(email, role, password, full_name=full_name)
    return admin


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum() or c == "-")


def _create_reference_data(context: _Context) -> None:
    catalogue = context.catalogue
    for name, code, description in data.CERTIFICATIONS:
        catalogue.certifications[name] = Certification(name=name, code=code, description=description)
    for values in data.ORGANISATIONS:
        catalogue.organisations[values["name"]] = TrainingOrganisation(**values)
    for name, email, phone, siret in data.SUPPLIERS:
        catalogue.suppliers[name] = Supplier(name=name, email=email, phone=phone, siret=siret)
    for values in data.LOCATIONS:
        location = Location(**{key: value for key, value in values.items() if key != "rooms"})
        location.rooms = [Room(name=name, capacity=capacity) for name, capacity in values["rooms"]]
        catalogue.locations.append(location)
    for first_name, last_name, phone, organisation, internal in data.TRAINERS:
        catalogue.trainers[f"{first_name} {last_name}"] = Trainer(
            first_name=first_name,
            last_name=last_name,
            email=f"{_slug(first_name)}.{_slug(last_name)}@{data.TRAINER_DOMAIN}",
            phone=phone,
            organisation=catalogue.organisations.get(organisation or ""),
            internal=internal,
        )
    for name, description in data.POPULATIONS:
        catalogue.populations[name] = Population(name=name, description=description)
    catalogue.cost_types = {name: CostType(name=name) for name in data.COST_TYPES}
    catalogue.evaluations = {
        name: Evaluation(name=name, description=description, questions="\n".join(questions))
        for name, description, questions in data.EVALUATIONS
    }
    catalogue.dispositifs = {name: Dispositif(name=name) for name in data.DISPOSITIFS}
    catalogue.teaching_modes = {name: TeachingMode(name=name) for name in data.TEACHING_MODES}
    catalogue.partner = Partner(
        name=data.PARTNER["name"],
        feed_format=FeedFormat.CSV,
        source_kind=FeedSource.UPLOAD,
        organisation=catalogue.organisations[data.PARTNER["organisation"]],
        publication=Publication.DRAFT,
        contact_email=data.PARTNER["contact_email"],
    )
    for group in (
        catalogue.certifications,
        catalogue.organisations,
        catalogue.suppliers,
        catalogue.trainers,
        catalogue.populations,
        catalogue.cost_types,
        catalogue.evaluations,
        catalogue.dispositifs,
        catalogue.teaching_modes,
    ):
        db.session.add_all(group.values())
    db.session.add_all(catalogue.locations)
    db.session.add(catalogue.partner)
    db.session.add_all(DocumentType(name=name) for name in data.DOCUMENT_TYPES)
    _create_collaborators(context)


def _create_collaborators(context: _Context) -> None:
    """50 people split by `POPULATION_SIZES`; team leaders and sales managers are cadres as well."""
    rng, catalogue = context.rng, context.catalogue
    last_names = list(data.LAST_NAMES)
    rng.shuffle(last_names)
    people = iter(zip(data.FIRST_NAMES, last_names, strict=True))
    groups: dict[str, list[Collaborator]] = {}
    for (name, _), size in zip(data.POPULATIONS, data.POPULATION_SIZES, strict=True):
        groups[name] = [
            Collaborator(
                first_name=first_name,
                last_name=last_name,
                email=f"{_slug(first_name)}.{_slug(last_name)}@{data.STAFF_DOMAIN}",
                employee_number=f"MAT{1001 + len(catalogue.collaborators) + index}",
                department=rng.choice(data.DEPARTMENTS[name]),
                populations=[catalogue.populations[name]],
            )
            for index, (first_name, last_name) in enumerate(islice(people, size))
        ]
        catalogue.collaborators.extend(groups[name])
    cadres, technicians, sales = groups.values()
    # Team leaders and sales managers also have the status of cadre.
    promoted_technicians = rng.sample(technicians, 3)
    sales_managers = rng.sample(sales, 3)
    for collaborator in promoted_technicians + sales_managers:
        collaborator.populations.append(catalogue.populations["Cadres"])
    directors = cadres[:3]
    for collaborator in catalogue.collaborators:
        if collaborator in directors:
            collaborator.manager_email = f"direction.generale@{data.STAFF_DOMAIN}"
        elif collaborator in technicians and collaborator not in promoted_technicians:
            collaborator.manager_email = rng.choice(promoted_technicians).email
        elif collaborator in sales and collaborator not in sales_managers:
            collaborator.manager_email = rng.choice(sales_managers).email
        else:
            collaborator.manager_email = rng.choice(directors).email
    db.session.add_all(catalogue.collaborators)


def _create_trainings(catalogue: _Catalogue) -> None:
    for spec in data.TRAININGS:
        minimum, target, maximum = spec["capacities"]
        training = Training(
            name=spec["name"],
            reference=spec["reference"],
            certification=catalogue.certifications.get(spec["certification"] or ""),
            session_type=SessionType(spec["session_type"]),
            organisation=catalogue.organisations[spec["organisation"]],
            capacity_min=minimum,
            capacity_target=target,
            capacity_max=maximum,
            dispositif=catalogue.dispositifs[spec["dispositif"]],
            funding_eligible=spec["funding_eligible"],
            comments=spec["comments"],
            evaluation=catalogue.evaluations[spec["evaluation"]],
            duration_hours=spec["duration_hours"],
            default_costs=[
                TrainingDefaultCost(cost_type=catalogue.cost_types[name], amount=amount)
                for name, amount in spec["default_costs"].items()
            ],
        )
        catalogue.trainings[spec["reference"]] = training
        db.session.add(training)


def _create_sessions(context: _Context) -> None:
    specs = {spec["reference"]: spec for spec in data.TRAININGS}
    previous: dict[str, TrainingSession] = {}
    imported = 0
    stretch = _future_stretch(context)
    for plan in data.SESSIONS:
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
        previous[plan.reference] = session


def _stamp(context: _Context, day: date, hour: int = 10) -> datetime:
    """A plausible moment on `day` (local time), never after now."""
    moment = datetime.combine(day, time(hour, 0), tzinfo=context.zone).astimezone(UTC)
    return min(moment, context.now)


def _monday(context: _Context, weeks: int = 0) -> date:
    return context.today - timedelta(days=context.today.weekday()) + timedelta(weeks=weeks)


def _future_stretch(context: _Context) -> float:
    """Spread the upcoming sessions until the autumn of next year, whatever the date today."""
    last_week = max(plan.weeks for plan in data.SESSIONS)
    margin = max(spec["gap_weeks"] for spec in data.TRAININGS) + 4
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
    if day.weekday() >= 5 or (day.month, day.day) in data.FIXED_HOLIDAYS:
        return False
    if (day.month == 12 and day.day >= 22) or (day.month == 8 and day.day <= 21):
        return False
    return (day - _easter(day.year)).days not in (1, 39, 50)


def _working_days(context: _Context, monday: date, count: int, direction: int) -> list[date]:
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


def _schedule(context: _Context, spec: dict, weeks: int) -> list[list[date]]:
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
    context: _Context,
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
        session.convocation_comment = data.CONVOCATION_COMMENT
        if training.organisation and training.organisation.siret:
            session.organisation_comment = data.ORGANISATION_COMMENT
    if status == WorkflowStatus.CANCELLED:
        session.cancel_reason = data.CANCEL_REASON
    db.session.add(session)
    assign_code(session)
    return session


def _plan(context: _Context, session: TrainingSession, spec: dict, schedule: list[list[date]]) -> None:
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
            sequence.url = f"{data.ELEARNING_URL}{spec['reference'].lower()}"
        elif mode == "Classe virtuelle":
            sequence.url = f"https://visio.{data.DOMAIN}/{session.code}"
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


def _add_slot(context: _Context, sequence: Sequence, spec: dict, days: list[date], hours: tuple) -> None:
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
        slot.location_comment = data.LOCATION_COMMENT
        slot.trainer_comment = data.TRAINER_COMMENT
        if slot.organisation and slot.organisation.siret:
            slot.organisation_comment = data.ORGANISATION_COMMENT
    slot.dates = [
        SlotDate(day=day, start_time=start_time, end_time=end_time, break_minutes=break_minutes)
        for day in days
    ]
    sequence.slots.append(slot)


def _set_sequence_statuses(context: _Context, session: TrainingSession, spec: dict) -> None:
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
        last.hot_survey_evaluation = evaluations[data.SATISFACTION]
        last.hot_survey_delay_days = 0
        if spec["cold_survey_days"]:
            last.cold_survey_enabled = True
            last.cold_survey_evaluation = evaluations[data.COLD_REVIEW]
            last.cold_survey_delay_days = spec["cold_survey_days"]


def _add_requests(
    context: _Context, session: TrainingSession, share: float, waitlisted: int, pending: int
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
                actor=DEMO_ADMIN_EMAIL,
                from_status=None,
                to_status=status.value,
                comment=comment,
            )
        ]
        db.session.add(request)
    session.enrolled_count = enrolled


def _add_costs(context: _Context, session: TrainingSession, spec: dict) -> None:
    """The formation's default costs, plus now and then a trainer's travel billed apart."""
    rng, catalogue = context.rng, context.catalogue
    amounts = dict(spec["default_costs"])
    if "Déplacement" not in amounts and rng.random() < 0.3:
        amounts["Déplacement"] = Decimal(rng.randrange(180, 650, 10))
    trainees = session.enrolled_count or session.capacity_target or 1
    for name, amount in amounts.items():
        per_trainee = name in data.PER_TRAINEE_COST_TYPES
        supplier = data.SUPPLIER_BY_COST_TYPE.get(name)
        db.session.add(
            Cost(
                session=session,
                cost_type=catalogue.cost_types[name],
                amount=amount,
                split=CostSplit.PER_TRAINEE if per_trainee else CostSplit.GLOBAL,
                quantity=trainees if per_trainee else None,
                supplier=catalogue.suppliers[supplier] if supplier else None,
                comment=None if name in spec["default_costs"] else data.TRAVEL_COMMENT,
            )
        )
