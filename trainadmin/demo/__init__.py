"""Demo data: fills an empty database with a realistic French training plan over two years.

The content lives in `reference_data`, `people_data` and `session_data`; this package turns it
into rows through the same services the product uses (users, session codes, planning), so the demo
obeys the rules of the real thing.
Everything is deterministic for a given `today`.
"""

from __future__ import annotations

import io
import random
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from ..config import ROOT
from ..extensions import db
from ..models import (
    Certification,
    Collaborator,
    CostType,
    Dispositif,
    DocumentType,
    Evaluation,
    FeedFormat,
    FeedSource,
    ImportedSession,
    ImportOutcome,
    ImportRun,
    ImportStatus,
    Location,
    Partner,
    Population,
    Publication,
    Role,
    Room,
    SessionType,
    Supplier,
    TeachingMode,
    Trainer,
    Training,
    TrainingDefaultCost,
    TrainingOrganisation,
    TrainingSession,
    User,
    utcnow,
)
from ..services.errors import DomainError
from ..services.notifications import ensure_templates
from ..services.organisation import update_organisation
from ..services.users import create_user
from . import people_data, reference_data, session_data
from .context import Catalogue, Context
from .emails import create_outbox
from .sessions import create_sessions

DEMO_ADMIN_EMAIL = "admin@demo.trainadmin.fr"
DEMO_ACCOUNTS: tuple[tuple[str, Role], ...] = (
    (DEMO_ADMIN_EMAIL, Role.ADMIN),
    *((email, Role(role)) for email, role, _ in reference_data.USERS),
)
"""Every demo login, all with the password given to `seed_demo`."""
DEMO_SEED = 2027


def seed_demo(admin_password: str, today: date | None = None) -> None:
    """Fill an empty database with the demo; flushes, the caller commits."""
    _check_empty()
    zone = ZoneInfo(current_app.config.get("TRAINADMIN_TZ") or "Europe/Paris")
    today = today or datetime.now(zone).date()
    admin = _create_users(admin_password)
    catalogue = Catalogue()
    rng = random.Random(DEMO_SEED)
    now = utcnow()
    if today != now.astimezone(zone).date():
        now = datetime.combine(today, time(12, 0), tzinfo=zone).astimezone(UTC)
    context = Context(rng=rng, today=today, now=now, zone=zone, admin=admin, catalogue=catalogue)
    _create_reference_data(context)
    update_organisation(
        reference_data.ORGANISATION, logo=FileStorage(io.BytesIO(demo_logo()), "logo.png"), user=admin
    )
    ensure_templates()
    _create_trainings(catalogue)
    create_sessions(context)
    db.session.flush()
    create_outbox(context)
    _create_import_run(context)
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
    admin = create_user(DEMO_ADMIN_EMAIL, Role.ADMIN, password, full_name=reference_data.ADMIN_FULL_NAME)
    for email, role, full_name in reference_data.USERS:
        create_user(email, role, password, full_name=full_name)
    return admin


def demo_logo() -> bytes:
    """A small made-up logo (two suns over a river), drawn here so that the demo ships no image."""
    image = Image.new("RGB", (360, 120), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 10, 120, 110), fill=(232, 131, 34))
    draw.ellipse((80, 10, 180, 110), fill=(20, 84, 150))
    draw.rectangle((200, 45, 340, 75), fill=(20, 84, 150))
    draw.rectangle((200, 85, 300, 100), fill=(232, 131, 34))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum() or c == "-")


def _create_reference_data(context: Context) -> None:
    catalogue = context.catalogue
    for name, code, description in reference_data.CERTIFICATIONS:
        catalogue.certifications[name] = Certification(name=name, code=code, description=description)
    for values in reference_data.ORGANISATIONS:
        catalogue.organisations[values["name"]] = TrainingOrganisation(**values)
    for name, email, phone, siret in reference_data.SUPPLIERS:
        catalogue.suppliers[name] = Supplier(name=name, email=email, phone=phone, siret=siret)
    for values in reference_data.LOCATIONS:
        location = Location(**{key: value for key, value in values.items() if key != "rooms"})
        location.rooms = [Room(name=name, capacity=capacity) for name, capacity in values["rooms"]]
        catalogue.locations.append(location)
    for first_name, last_name, phone, organisation, internal in reference_data.TRAINERS:
        catalogue.trainers[f"{first_name} {last_name}"] = Trainer(
            first_name=first_name,
            last_name=last_name,
            email=f"{_slug(first_name)}.{_slug(last_name)}@{reference_data.TRAINER_DOMAIN}",
            phone=phone,
            organisation=catalogue.organisations.get(organisation or ""),
            internal=internal,
        )
    for name, description in people_data.POPULATIONS:
        catalogue.populations[name] = Population(name=name, description=description)
    catalogue.cost_types = {name: CostType(name=name) for name in reference_data.COST_TYPES}
    catalogue.evaluations = {
        name: Evaluation(name=name, description=description, questions="\n".join(questions))
        for name, description, questions in reference_data.EVALUATIONS
    }
    catalogue.dispositifs = {name: Dispositif(name=name) for name in reference_data.DISPOSITIFS}
    catalogue.teaching_modes = {name: TeachingMode(name=name) for name in reference_data.TEACHING_MODES}
    catalogue.partner = Partner(
        name=reference_data.PARTNER["name"],
        feed_format=FeedFormat.CSV,
        source_kind=FeedSource.PATH,
        source=_demo_feed(),
        schedule=reference_data.PARTNER["schedule"],
        organisation=catalogue.organisations[reference_data.PARTNER["organisation"]],
        publication=Publication.DRAFT,
        contact_email=reference_data.PARTNER["contact_email"],
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
    db.session.add_all(DocumentType(name=name) for name in reference_data.DOCUMENT_TYPES)
    _create_collaborators(context)


def _demo_feed() -> str:
    """The example file of the import guide, copied into the import folder (TRAINADMIN_IMPORT_DIR),
    the only place partner feeds are read from."""
    folder = Path(current_app.config["TRAINADMIN_IMPORT_DIR"]) / reference_data.PARTNER["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    example = ROOT / reference_data.PARTNER["feed"]
    target = folder / example.name
    target.write_bytes(example.read_bytes())
    return str(target)


def _create_import_run(context: Context) -> None:
    """The partner's last scheduled import, yesterday morning: it brought its two sessions."""
    partner = context.catalogue.partner
    imported = db.session.scalars(
        sa.select(TrainingSession)
        .where(TrainingSession.partner_id == partner.id)
        .order_by(TrainingSession.id)
    ).all()
    morning = datetime.combine(context.today - timedelta(days=1), time(6, 0), tzinfo=context.zone).astimezone(
        UTC
    )
    run = ImportRun(
        partner=partner,
        status=ImportStatus.SUCCEEDED,
        scheduled=True,
        scheduled_for=morning,
        filename=Path(reference_data.PARTNER["feed"]).name,
        queued_at=morning,
        started_at=morning,
        heartbeat_at=morning + timedelta(seconds=2),
        finished_at=morning + timedelta(seconds=2),
        total=len(imported),
        processed=len(imported),
        created_count=len(imported),
    )
    db.session.add(run)
    db.session.flush()
    db.session.add_all(
        ImportedSession(
            run_id=run.id,
            session_id=session.id,
            outcome=ImportOutcome.CREATED,
            line=str(index + 2),
            reference=session.external_ref,
        )
        for index, session in enumerate(imported)
    )


def _create_collaborators(context: Context) -> None:
    """50 people split by `POPULATION_SIZES`; team leaders and sales managers are cadres as well."""
    rng, catalogue = context.rng, context.catalogue
    last_names = list(people_data.LAST_NAMES)
    rng.shuffle(last_names)
    people = iter(zip(people_data.FIRST_NAMES, last_names, strict=True))
    groups: dict[str, list[Collaborator]] = {}
    for (name, _), size in zip(people_data.POPULATIONS, people_data.POPULATION_SIZES, strict=True):
        groups[name] = [
            Collaborator(
                first_name=first_name,
                last_name=last_name,
                email=f"{_slug(first_name)}.{_slug(last_name)}@{reference_data.STAFF_DOMAIN}",
                employee_number=f"MAT{1001 + len(catalogue.collaborators) + index}",
                department=rng.choice(people_data.DEPARTMENTS[name]),
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
            collaborator.manager_email = f"direction.generale@{reference_data.STAFF_DOMAIN}"
        elif collaborator in technicians and collaborator not in promoted_technicians:
            collaborator.manager_email = rng.choice(promoted_technicians).email
        elif collaborator in sales and collaborator not in sales_managers:
            collaborator.manager_email = rng.choice(sales_managers).email
        else:
            collaborator.manager_email = rng.choice(directors).email
    db.session.add_all(catalogue.collaborators)


def _create_trainings(catalogue: Catalogue) -> None:
    for spec in session_data.TRAININGS:
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
