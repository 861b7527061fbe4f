"""Add the activity around the sessions of bench/seed_sessions.py, fast, for the report benchmarks.

Usage:
    URL=postgresql://postgres@127.0.0.1/trainadmin_bench_activity
    .venv/bin/python bench/seed_sessions.py --database-url $URL --sessions 100000 --fresh
    .venv/bin/python bench/seed_activity.py --database-url $URL \
        [--reuse] [--seed 42] [--collaborators N] [--today YYYY-MM-DD]

For a database seeded by seed_sessions.py (refused otherwise), adds in one transaction, with COPY in
batches of sessions:
- collaborators (one per five sessions, at least 200 and at most 20,000 unless --collaborators)
  in populations, and populations on a fifth of the published sessions;
- demandes on every published session: enrolled ones within capacity_max, waiting lists on full
  sessions, refused, cancelled and still pending ones (never pending once the session has ended or
  is closed), each with the steps of its workflow; each session's enrolled_count is then the number
  of its enrolled demandes, as the participants' services keep it;
- attendance of every enrolled participant of the published, not cancelled sessions for each
  half-day of each past date (pre-work excluded, as the « Présences » tab): mostly present, some
  absent, some excused;
- costs (cost types, suppliers, global or per trainee) on most sessions, financing (funders,
  dispositifs, requested/granted/refused) on most funding-eligible ones;
- an evaluation on most sessions, a cold survey on half the published ones, and for the surveys
  whose sending date is past, each enrolled participant's survey link and, for most, their response
  (a score from 1 to 5 per question, sometimes a comment);
- dispositifs and training organisations on most of the sessions that have none.

What was there of the activity is replaced: collaborators, demandes, costs, financing, session
populations and survey responses are emptied with TRUNCATE … CASCADE, which also empties every table
that refers to them (steps, attendance, signatures, certification results, access links, calendar
invitations, documents, outbox messages): point it at a bench database only. `--reuse` does nothing
when every published session already has its demandes. Counts the tallies « Rapports » reads
(`services/tallies.recount_all`, which the services keep and COPY goes past), then ends with
VACUUM ANALYZE of the tables written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError

from trainadmin import create_app
from trainadmin.extensions import db, upgrade_schema
from trainadmin.models import (
    CostType,
    Dispositif,
    Evaluation,
    Population,
    Supplier,
    TrainingDefaultCost,
    TrainingOrganisation,
)
from trainadmin.services import tallies
from trainadmin.services.links import SURVEY_LINK_DAYS
from trainadmin.services.participants.attendance import covered_half_days

import _activity_data as ref
from _common import ADMIN_EMAIL
from seed_sessions import TRAININGS, _upsert_ids, session_count

BATCH_SESSIONS = 5_000
STAFF = ADMIN_EMAIL  # who the demandes' steps say acted, when not the manager
MONEY = Decimal("0.01")
# Tables the activity fills, in the order they are written, with their COPY columns.
COPIES = [
    (table, tuple(columns.split()))
    for table, columns in (
        ("collaborator", "id first_name last_name email manager_email employee_number department"),
        ("collaborator_population", "collaborator_id population_id"),
        ("session_population", "session_id population_id"),
        (
            "training_request",
            "id session_id collaborator_id status waitlist_position created_at cancel_reason",
        ),
        ("request_step", "id request_id at actor from_status to_status comment"),
        ("attendance", "id request_id slot_date_id half_day value"),
        ("cost", "id session_id cost_type_id amount split quantity supplier_id"),
        ("financing", "id session_id funder dispositif_id amount status"),
        (
            "access_link",
            "id purpose token_hash recipient request_id sequence_id survey_kind "
            "created_at expires_at used_at",
        ),
        (
            "survey_response",
            "id session_id request_id evaluation_id kind answers sequence_id comment submitted_at",
        ),
        ("activity_session", "id enrolled_count evaluation_id dispositif_id organisation_id"),
        ("activity_sequence", "id cold_survey_evaluation_id"),
    )
]
# Emptied before seeding (with what hangs from them: signatures, links, certification results…).
REPLACED = ("collaborator", "training_request", "cost", "financing", "session_population", "survey_response")
# Loaded without their foreign keys, unique constraints and indexes, which are put back at the end.
LOADED = (
    "collaborator_population",
    "session_population",
    "training_request",
    "request_step",
    "attendance",
    "cost",
    "financing",
    "access_link",
    "survey_response",
)
IDENTIFIED = (
    "collaborator",
    "training_request",
    "request_step",
    "attendance",
    "cost",
    "financing",
    "access_link",
    "survey_response",
)
COUNTED = (
    "collaborator",
    "collaborator_population",
    "session_population",
    "training_request",
    "request_step",
    "attendance",
    "cost",
    "financing",
    "access_link",
    "survey_response",
)


@dataclass
class References:
    population_ids: dict[str, int]
    evaluations: list[tuple[int, list[str]]]  # the sessions' questionnaires
    cold_evaluation: tuple[int, list[str]]
    cost_type_ids: dict[str, int]
    supplier_ids: list[int]
    dispositif_ids: list[int]
    organisation_ids: list[int]
    training_refs: dict[int, str]  # training id → reference (MGT-01…)


@dataclass
class Rows:
    """Rows to COPY, by table."""

    tables: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, row: tuple) -> None:
        self.tables[table].append(row)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="a database seeded by bench/seed_sessions.py")
    parser.add_argument(
        "--reuse", action="store_true", help="skip when every published session already has its demandes"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed and day, same data)")
    parser.add_argument(
        "--collaborators", type=int, help="collaborators to create (default: sessions / 5, 200 to 20,000)"
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=date.today(),  # noqa: DTZ011 (slot dates are local days)
        help="the day that separates past from future dates (default: today)",
    )
    return parser.parse_args(argv)


# --- The database as seed_sessions.py left it ------------------------------------------------------


def seeded_sessions(connection: Connection) -> int:
    """Sessions of the trainings seed_sessions.py creates (0 when the schema is not there)."""
    if not session_count(connection):
        return 0
    return connection.scalar(
        sa.text(
            "SELECT count(*) FROM training_session s JOIN training t ON t.id = s.training_id "
            "WHERE t.reference = ANY(:references)"
        ),
        {"references": [t[1] for t in TRAININGS]},
    )


def activity_present(connection: Connection) -> bool:
    """Every published session has its demandes (the activity seeds some on each)."""
    return bool(
        connection.scalar(sa.text("SELECT EXISTS (SELECT 1 FROM training_request)"))
        and not connection.scalar(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM training_session s WHERE s.publication = 'published' "
                "AND NOT EXISTS (SELECT 1 FROM training_request r WHERE r.session_id = s.id))"
            )
        )
    )


def ensure_references(connection: Connection) -> References:
    """Reference rows created once and reused after, found by name."""
    population_ids = _upsert_ids(
        connection, Population.__table__, "name", [{"name": n} for n in ref.POPULATIONS]
    )
    evaluations = []
    for name, questions in [*ref.SESSION_EVALUATIONS, ref.COLD_EVALUATION]:
        (evaluation_id,) = _upsert_ids(
            connection,
            Evaluation.__table__,
            "name",
            [{"name": name, "questions": "\n".join(questions), "anonymous": False}],
        )
        evaluations.append((evaluation_id, questions))
    cost_type_ids = _upsert_ids(connection, CostType.__table__, "name", [{"name": n} for n in ref.COST_TYPES])
    supplier_ids = _upsert_ids(
        connection,
        Supplier.__table__,
        "name",
        [{"name": n, "email": f"contact@{slug(n)}.example.com"} for n in ref.SUPPLIERS],
    )
    dispositif_ids = _upsert_ids(
        connection, Dispositif.__table__, "name", [{"name": n} for n in ref.DISPOSITIFS]
    )
    organisation_ids = _upsert_ids(
        connection,
        TrainingOrganisation.__table__,
        "name",
        [
            {"name": n, "siret": siret, "email": f"inscriptions@{slug(n)}.example.com"}
            for n, siret in ref.ORGANISATIONS
        ],
    )
    trainings = dict(connection.execute(sa.text("SELECT id, reference FROM training")).all())
    pedagogy = cost_type_ids[0]
    defaults = [
        {"training_id": training_id, "cost_type_id": pedagogy, "amount": Decimal(1200 + 150 * (index % 7))}
        for index, training_id in enumerate(sorted(trainings))
    ]
    if defaults:
        connection.execute(
            sa.dialects.postgresql.insert(TrainingDefaultCost.__table__).on_conflict_do_nothing(
                index_elements=["training_id", "cost_type_id"]
            ),
            defaults,
        )
    return References(
        population_ids=dict(zip(ref.POPULATIONS, population_ids, strict=True)),
        evaluations=evaluations[:-1],
        cold_evaluation=evaluations[-1],
        cost_type_ids=dict(zip(ref.COST_TYPES, cost_type_ids, strict=True)),
        supplier_ids=supplier_ids,
        dispositif_ids=dispositif_ids,
        organisation_ids=organisation_ids,
        training_refs=trainings,
    )


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c if c.isalnum() else "-" for c in ascii_text).strip("-").replace("--", "-")


def load_planning(connection: Connection):
    """The sessions, their sequences and their attendance dates (pre-work excluded), by session."""
    sessions = connection.execute(
        sa.text(
            "SELECT id, training_id, session_type, status, publication, capacity_target, capacity_max, "
            "funding_eligible, start_date, end_date, duration_days, duration_hours "
            "FROM training_session ORDER BY id"
        )
    ).all()
    sequences = defaultdict(list)
    for row in connection.execute(
        sa.text(
            "SELECT id, session_id, is_prework, hot_survey_enabled, hot_survey_delay_days, "
            "cold_survey_delay_days, end_date FROM sequence ORDER BY session_id, position"
        )
    ):
        sequences[row.session_id].append(row)
    dates = defaultdict(list)
    for row in connection.execute(
        sa.text(
            "SELECT d.id, q.session_id, d.day, d.start_time, d.end_time FROM slot_date d "
            "JOIN slot s ON s.id = d.slot_id JOIN sequence q ON q.id = s.sequence_id "
            "WHERE NOT q.is_prework ORDER BY q.session_id, d.day, d.start_time"
        )
    ):
        dates[row.session_id].append(row)
    return sessions, sequences, dates


# --- Making the rows --------------------------------------------------------------------------------


class Generator:
    """The activity of each session, with ids following those in the database."""

    def __init__(self, connection: Connection, refs: References, rng: random.Random, today: date):
        self.refs = refs
        self.rng = rng
        self.today = today
        # Everything happened before `today` (not the clock's time: same seed and day, same data).
        self.now = datetime.combine(today, clock(0), UTC)
        self.ids = {
            table: connection.scalar(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}"))  # noqa: S608
            for table in IDENTIFIED[1:]
        }
        self.emails: list[str] = []
        self.manager_emails: list[str | None] = []
        self.members: dict[int, list[int]] = defaultdict(list)
        self.everyone: list[int] = []
        self.pools: dict[tuple[int, ...], list[int]] = {}
        self.halves: dict[tuple, tuple[str, ...]] = {}
        # How well each formation is rated, so that reports per formation differ.
        self.quality = {training_id: rng.uniform(3.3, 4.5) for training_id in refs.training_refs}

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def collaborators(self, total: int) -> Rows:
        rows, rng = Rows(), self.rng
        populations = self.refs.population_ids
        managers = max(1, total // 12)
        for index in range(1, total + 1):
            first, last = rng.choice(ref.FIRST_NAMES), rng.choice(ref.LAST_NAMES)
            department, population, other = rng.choice(ref.DEPARTMENTS)
            email = f"{slug(first)}.{slug(last)}.{index}@collaborateurs.example.com"
            self.emails.append(email)
            manager = None if index <= managers else self.emails[rng.randrange(managers)]
            self.manager_emails.append(manager)
            rows.add("collaborator", (index, first, last, email, manager, f"M{index:06d}", department))
            joined = {population, "Cadres" if index <= managers or rng.random() < 0.3 else "Non-cadres"}
            if rng.random() < 0.4:
                joined.add(other)
            if index <= managers:
                joined.add("Managers")
            if rng.random() < 0.08:
                joined.add("Nouveaux arrivants")
            for name in sorted(joined):
                rows.add("collaborator_population", (index, populations[name]))
                self.members[populations[name]].append(index)
            self.everyone.append(index)
        return rows

    def pool(self, population_ids: tuple[int, ...]) -> list[int]:
        if not population_ids:
            return self.everyone
        if population_ids not in self.pools:
            self.pools[population_ids] = sorted({c for p in population_ids for c in self.members[p]})
        return self.pools[population_ids]

    def add_session(self, session, sequences, dates, rows: Rows) -> None:
        rng, refs = self.rng, self.refs
        published = session.publication == "published"
        cancelled = session.status == "cancelled"
        organisation_id = rng.choice(refs.organisation_ids) if rng.random() < 0.7 else None
        dispositif_id = (
            rng.choices(refs.dispositif_ids, (50, 12, 8, 6, 18, 6))[0] if rng.random() < 0.6 else None
        )
        evaluation = None
        if rng.random() < (0.85 if published else 0.4):
            managerial = refs.training_refs.get(session.training_id, "").startswith(("MGT", "RH"))
            evaluation = refs.evaluations[1 if managerial and len(refs.evaluations) > 1 else 0]
        populations: tuple[int, ...] = ()
        if published and rng.random() < 0.2:
            populations = tuple(sorted(rng.sample(list(refs.population_ids.values()), rng.choice((1, 1, 2)))))
            for population_id in populations:
                rows.add("session_population", (session.id, population_id))
        enrolled = self.demandes(session, populations, rows) if published else []
        rows.add(
            "activity_session",
            (
                session.id,
                len(enrolled),
                evaluation[0] if evaluation else None,
                dispositif_id,
                organisation_id,
            ),
        )
        if published and not cancelled:
            self.attendance(enrolled, dates, rows)
        total = self.costs(session, len(enrolled), rows)
        if total and session.funding_eligible and rng.random() < 0.7:
            self.financing(session, total, dispositif_id, rows)
        if published and evaluation is not None:
            self.surveys(session, sequences, enrolled, evaluation, cancelled, rows)

    # Demandes ---------------------------------------------------------------------------------------

    def demandes(self, session, populations: tuple[int, ...], rows: Rows) -> list[tuple[int, int]]:
        """The session's demandes; gives back the enrolled ones as (demande id, collaborator id)."""
        rng = self.rng
        capacity = session.capacity_max or session.capacity_target or 12
        start = session.start_date or self.today  # a session without dates (not one of the seed's)
        ended = (session.end_date or start) < self.today or session.status in ("closed", "cancelled")
        if session.status == "cancelled":
            seats = rng.randint(0, capacity)
        elif start < self.today:
            seats = capacity if rng.random() < 0.15 else round(capacity * rng.uniform(0.5, 1.0))
        else:
            seats = round(capacity * rng.uniform(0.0, 1.0))
        statuses = ["enrolled"] * seats
        if seats == capacity and rng.random() < 0.4:
            statuses += ["waitlisted"] * rng.randint(1, 3)
        statuses += ["refused"] * rng.choices((0, 1, 2), (70, 20, 10))[0]
        statuses += ["cancelled"] * rng.choices((0, 1, 2), (65, 25, 10))[0]
        if not ended:
            for _ in range(rng.choices((0, 1, 2, 3), (55, 25, 12, 8))[0]):
                statuses.append(rng.choice(("pending_manager", "pending_training")))
        if not statuses:
            statuses = ["refused" if ended else "pending_manager"]
        pool = self.pool(populations)
        chosen = rng.sample(pool, min(len(statuses), len(pool)))
        enrolled = []
        waitlist = 0
        latest = datetime.combine(start - timedelta(days=2), clock(8), UTC)
        for status, collaborator_id in zip(statuses, chosen, strict=False):
            request_id = self.next_id("training_request")
            ahead, minutes = timedelta(days=rng.randint(3, 90)), timedelta(minutes=rng.randint(0, 600))
            # never after today: the demandes of a session far ahead came in the last weeks
            created = min(latest - ahead, self.now - ahead / 2) - minutes
            position = None
            if status == "waitlisted":
                waitlist += 1
                position = waitlist
            reason = rng.choices(*ref.CANCEL_REASONS)[0] if status == "cancelled" else None
            rows.add(
                "training_request",
                (request_id, session.id, collaborator_id, status, position, created, reason),
            )
            manager = self.manager_emails[collaborator_id - 1] or STAFF
            self.steps(request_id, status, created, manager, rows)
            if status == "enrolled":
                enrolled.append((request_id, collaborator_id))
        return enrolled

    def steps(self, request_id: int, status: str, at: datetime, manager: str, rows: Rows) -> None:
        """The workflow that led to the demande's status: staff enrolments in one step, the others
        through the manager's validation (by their link: the step names their e-mail address)."""
        rng = self.rng
        if status in ("enrolled", "waitlisted", "cancelled") and rng.random() < 0.7:
            path = [(STAFF, None, "enrolled" if status == "cancelled" else status, None)]
        else:
            path = [(STAFF, None, "pending_manager", None)]
            if status == "refused":
                path.append((manager, "pending_manager", "refused", "Charge de travail trop importante"))
            elif status != "pending_manager":
                path.append((manager, "pending_manager", "pending_training", None))
                if status != "pending_training":
                    seated = "enrolled" if status == "cancelled" else status
                    path += [
                        (STAFF, "pending_training", "validated", None),
                        (STAFF, "validated", seated, None),
                    ]
        if status == "cancelled":
            path.append((STAFF, "enrolled", "cancelled", None))
        for actor, before, after, comment in path:
            rows.add(
                "request_step", (self.next_id("request_step"), request_id, at, actor, before, after, comment)
            )
            at = min(at + timedelta(hours=rng.randint(1, 72)), self.now)

    # Attendance -------------------------------------------------------------------------------------

    def attendance(self, enrolled: list[tuple[int, int]], dates, rows: Rows) -> None:
        past = [d for d in dates if d.day < self.today]
        if not past or not enrolled:
            return
        rng = self.rng
        halves = []
        for slot_date in past:
            key = (slot_date.start_time, slot_date.end_time)
            if key not in self.halves:
                self.halves[key] = tuple(h.value for h in covered_half_days(*key))
            halves.append((slot_date.id, self.halves[key]))
        for request_id, _collaborator in enrolled:
            missing = 0.02 if rng.random() < 0.85 else 0.15
            for slot_date_id, day_halves in halves:
                value = "present"
                if rng.random() < missing:
                    value = "excused" if rng.random() < 0.45 else "absent"
                for half in day_halves:
                    rows.add(
                        "attendance", (self.next_id("attendance"), request_id, slot_date_id, half, value)
                    )

    # Money ------------------------------------------------------------------------------------------

    def costs(self, session, enrolled: int, rows: Rows) -> Decimal:
        """Cost lines; gives back their total."""
        rng, refs = self.rng, self.refs
        share = (
            {"published": 0.9, "draft": 0.1}[session.publication] if session.status != "cancelled" else 0.3
        )
        if rng.random() >= share:
            return Decimal(0)
        headcount = enrolled or session.capacity_target or session.capacity_max or 1
        hours = max(Decimal(session.duration_hours or 0), Decimal(1))
        days = max(Decimal(session.duration_days or 0), Decimal(1))
        reference = refs.training_refs.get(session.training_id, "")
        lines = []
        supplier = (
            rng.choice([refs.supplier_ids[i] for i in ref.TEACHING_SUPPLIERS])
            if rng.random() < 0.85
            else None
        )
        if session.session_type == "inter" and rng.random() < 0.7:
            lines.append(("Pédagogie", Decimal(rng.randrange(250, 1500, 10)), headcount, supplier))
        else:
            lines.append(("Pédagogie", hours * rng.randint(90, 220), None, supplier))
        if rng.random() < 0.25:
            lines.append(("Location de salle", days * rng.randrange(150, 600, 10), None, None))
        if rng.random() < 0.4:
            lines.append(("Restauration", days * rng.randint(18, 32), headcount, None))
        if rng.random() < 0.2:
            lines.append(("Déplacements", Decimal(rng.randrange(80, 900, 5)), None, None))
        if rng.random() < 0.2:
            lines.append(("Supports pédagogiques", Decimal(rng.randint(10, 60)), headcount, None))
        if reference.startswith(("SEC", "LAN")) and rng.random() < 0.6:
            lines.append(("Frais de certification", Decimal(rng.randrange(90, 250, 5)), headcount, None))
        total = Decimal(0)
        for name, amount, quantity, line_supplier in lines:
            amount = amount.quantize(MONEY)
            if line_supplier is None and name != "Pédagogie" and rng.random() < 0.6:
                line_supplier = refs.supplier_ids[rng.choice(ref.OTHER_SUPPLIERS[name])]
            split = "per_trainee" if quantity else "global"
            rows.add(
                "cost",
                (
                    self.next_id("cost"),
                    session.id,
                    refs.cost_type_ids[name],
                    amount,
                    split,
                    quantity,
                    line_supplier,
                ),
            )
            total += amount * (quantity or 1)
        return total

    def financing(self, session, total: Decimal, dispositif_id: int | None, rows: Rows) -> None:
        rng = self.rng
        lines = rng.choices((1, 2), (80, 20))[0]
        ended = session.end_date is not None and session.end_date < self.today
        for _ in range(lines):
            amount = (total * Decimal(str(round(rng.uniform(0.2, 0.8), 2))) / lines).quantize(MONEY)
            weights = (15, 70, 15) if ended else (60, 35, 5)
            status = rng.choices(("requested", "granted", "refused"), weights)[0]
            funder = rng.choice(ref.FUNDERS)
            dispositif = dispositif_id or rng.choice(self.refs.dispositif_ids)
            rows.add("financing", (self.next_id("financing"), session.id, funder, dispositif, amount, status))

    # Surveys ----------------------------------------------------------------------------------------

    def surveys(self, session, sequences, enrolled, evaluation, cancelled: bool, rows: Rows) -> None:
        """The hot survey of each sequence that has one asks the session's evaluation; the last
        sequence of half the sessions has a cold survey with its own questionnaire."""
        rng = self.rng
        last = next((s for s in reversed(sequences) if not s.is_prework), None)
        cold = last is not None and rng.random() < 0.5
        if cold:
            rows.add("activity_sequence", (last.id, self.refs.cold_evaluation[0]))
        if cancelled or not enrolled:
            return
        mean = self.quality[session.training_id] + rng.uniform(-0.4, 0.4)
        for sequence in sequences:
            if sequence.is_prework:
                continue
            if sequence.hot_survey_enabled:
                sent = sequence.end_date + timedelta(days=sequence.hot_survey_delay_days)
                self.survey(
                    session,
                    sequence.id,
                    "hot",
                    sent,
                    enrolled,
                    evaluation,
                    mean,
                    rng.uniform(0.55, 0.95),
                    rows,
                )
            if cold and sequence is last:
                sent = sequence.end_date + timedelta(days=sequence.cold_survey_delay_days)
                cold_mean = mean - 0.3
                rate = rng.uniform(0.2, 0.65)
                self.survey(
                    session,
                    sequence.id,
                    "cold",
                    sent,
                    enrolled,
                    self.refs.cold_evaluation,
                    cold_mean,
                    rate,
                    rows,
                )

    def survey(
        self, session, sequence_id, kind, sent: date, enrolled, evaluation, mean, rate, rows: Rows
    ) -> None:  # noqa: PLR0913
        if sent >= self.today:
            return
        rng = self.rng
        evaluation_id, questions = evaluation
        created = datetime.combine(sent, clock(7), UTC)
        expires = created + timedelta(days=SURVEY_LINK_DAYS)
        for request_id, collaborator_id in enrolled:
            link_id = self.next_id("access_link")
            used = None
            if rng.random() < rate:
                used = created + timedelta(days=rng.choices((0, 1, 2, 5, 10), (45, 25, 12, 10, 8))[0])
                used += timedelta(minutes=rng.randint(60, 720))
                used = used if used <= min(self.now, expires) else None
            token = hashlib.sha256(f"bench-survey-{link_id}".encode()).hexdigest()
            recipient = self.emails[collaborator_id - 1]
            rows.add(
                "access_link",
                (link_id, "survey", token, recipient, request_id, sequence_id, kind, created, expires, used),
            )
            if used is None:
                continue
            answers = {
                question: min(5, max(1, round(rng.gauss(mean, 0.8))))
                for question in questions
                if rng.random() < 0.97
            } or {questions[0]: min(5, max(1, round(mean)))}
            comment = rng.choice(ref.COMMENTS) if rng.random() < 0.12 else None
            rows.add(
                "survey_response",
                (
                    self.next_id("survey_response"),
                    session.id,
                    request_id,
                    evaluation_id,
                    kind,
                    json.dumps(answers, ensure_ascii=False),
                    sequence_id,
                    comment,
                    used,
                ),
            )


# --- Writing ----------------------------------------------------------------------------------------


def copy_rows(connection: Connection, rows: Rows, spent: dict[str, float]) -> None:
    """COPY the rows, parents first, on the connection's own transaction; adds the seconds each
    table took to `spent`."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        for table, columns in COPIES:
            if rows.tables.get(table):
                started = time.perf_counter()
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows.tables[table]:
                        copy.write_row(row)
                spent[table] = spent.get(table, 0.0) + time.perf_counter() - started
    finally:
        cursor.close()


def prepare(connection: Connection) -> None:
    """Empty what the activity replaces; temporary tables for the sessions' and sequences' changes."""
    connection.exec_driver_sql(f"TRUNCATE {', '.join(REPLACED)} CASCADE")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE activity_session (id integer PRIMARY KEY, enrolled_count integer NOT NULL, "
        "evaluation_id integer, dispositif_id integer, organisation_id integer) ON COMMIT DROP"
    )
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE activity_sequence "
        "(id integer PRIMARY KEY, cold_survey_evaluation_id integer) ON COMMIT DROP"
    )


def without_checks_per_row(connection: Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the foreign keys, unique constraints and secondary indexes of the (emptied) tables, and
    give back the statements that put them back: built and checked once over the loaded rows, they
    cost a fraction of checking and indexing row by row. Primary keys and check constraints stay."""
    params = {"tables": list(tables)}
    constraints = connection.execute(
        sa.text(
            "SELECT conrelid::regclass::text AS owner, conname, pg_get_constraintdef(oid) AS definition "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(:tables) AND contype IN ('f', 'u') "
            "ORDER BY contype DESC, conname"  # unique ones first: nothing refers to them, they go back first
        ),
        params,
    ).all()
    indexes = connection.execute(
        sa.text(
            "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition "
            "FROM pg_index i WHERE indrelid::regclass::text = ANY(:tables) AND NOT indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"
        ),
        params,
    ).all()
    for row in constraints:
        connection.exec_driver_sql(f'ALTER TABLE {row.owner} DROP CONSTRAINT "{row.conname}"')
    for row in indexes:
        connection.exec_driver_sql(f"DROP INDEX {row.name}")
    return [
        *(f'ALTER TABLE {row.owner} ADD CONSTRAINT "{row.conname}" {row.definition}' for row in constraints),
        *(row.definition for row in indexes),
    ]


def finish(connection: Connection) -> None:
    """The sessions' seat counts, evaluations, dispositifs and organisations, the cold surveys, and
    id sequences after the explicit ids."""
    connection.exec_driver_sql(
        "UPDATE training_session s SET enrolled_count = a.enrolled_count, evaluation_id = a.evaluation_id, "
        "dispositif_id = coalesce(s.dispositif_id, a.dispositif_id), "
        "organisation_id = coalesce(s.organisation_id, a.organisation_id) "
        "FROM activity_session a WHERE a.id = s.id"
    )
    connection.exec_driver_sql(
        "UPDATE sequence SET cold_survey_enabled = false, cold_survey_evaluation_id = NULL "
        "WHERE cold_survey_enabled OR cold_survey_evaluation_id IS NOT NULL"
    )
    connection.exec_driver_sql(
        "UPDATE sequence q SET cold_survey_enabled = true, "
        "cold_survey_evaluation_id = a.cold_survey_evaluation_id FROM activity_sequence a WHERE a.id = q.id"
    )
    for table in IDENTIFIED:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (our own table names)
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )


def seed_activity(
    url: str,
    *,
    reuse: bool = False,
    seed_value: int = 42,
    collaborators: int | None = None,
    today: date | None = None,
) -> dict[str, int]:
    """Seed and return the row count of each table written."""
    today = today or date.today()  # noqa: DTZ011
    name = make_url(url).database
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        engine = db.engine
        try:
            with engine.connect() as connection:
                sessions = seeded_sessions(connection)
        except OperationalError as exc:
            raise SystemExit(
                f"{name}: cannot connect ({exc.orig}); seed it with bench/seed_sessions.py first"
            ) from exc
        if not sessions:
            raise SystemExit(
                f"{name} holds no sessions of bench/seed_sessions.py: seed them first, e.g.\n"
                f"  .venv/bin/python bench/seed_sessions.py --database-url {url} --sessions 100000 --fresh"
            )
        upgrade_schema(app)  # the schema follows the code
        if reuse:
            with engine.connect() as connection:
                if activity_present(connection):
                    counts = table_counts(connection)
                    print(f"{name}: activity already there for its {sessions} sessions, reused")
                    print_counts(counts)
                    return counts
        started = time.perf_counter()
        spent: dict[str, float] = {}
        rng = random.Random(seed_value)
        with engine.begin() as connection:
            prepare(connection)
            restore = without_checks_per_row(connection, LOADED)
            refs = ensure_references(connection)
            planning, sequences, dates = load_planning(connection)
            spent["reading the planning"] = time.perf_counter() - started
            generator = Generator(connection, refs, rng, today)
            total = collaborators if collaborators is not None else min(20_000, max(200, len(planning) // 5))
            copy_rows(connection, generator.collaborators(total), spent)
            for start in range(0, len(planning), BATCH_SESSIONS):
                making = time.perf_counter()
                rows = Rows()
                for session in planning[start : start + BATCH_SESSIONS]:
                    generator.add_session(session, sequences[session.id], dates[session.id], rows)
                spent["making the rows"] = spent.get("making the rows", 0.0) + time.perf_counter() - making
                copy_rows(connection, rows, spent)
            updating = time.perf_counter()
            finish(connection)
            spent["updating sessions and sequences"] = time.perf_counter() - updating
            restoring = time.perf_counter()
            connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in restore:
                connection.exec_driver_sql(statement)
            spent["constraints and indexes"] = time.perf_counter() - restoring
        counting = time.perf_counter()
        # The tallies « Rapports » reads are kept by the services, which COPY goes past.
        tallies.recount_all()
        db.session.commit()
        spent["reports' tallies"] = time.perf_counter() - counting
        inserted = time.perf_counter() - started
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in (*COUNTED, "training_session", "sequence"):
                connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
            counts = table_counts(connection)
        db.session.remove()
        engine.dispose()
    vacuumed = time.perf_counter() - started - inserted
    print(
        f"{name}: activity of {len(planning)} sessions (as of {today}) in {inserted:.1f} s "
        f"+ vacuum analyze {vacuumed:.1f} s"
    )
    print("  seconds: " + ", ".join(f"{what} {seconds:.1f}" for what, seconds in spent.items()))
    print_counts(counts)
    return counts


def print_counts(counts: dict[str, int]) -> None:
    for table, count in counts.items():
        print(f"  {table:<24} {count:>10,}")


def table_counts(connection: Connection) -> dict[str, int]:
    counts = {table: connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) for table in COUNTED}  # noqa: S608
    counts["sessions enrolled"] = connection.scalar(
        sa.text("SELECT coalesce(sum(enrolled_count), 0) FROM training_session")
    )
    return counts


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.collaborators is not None and args.collaborators < 1:
        raise SystemExit("--collaborators must be 1 or more")
    seed_activity(
        args.database_url,
        reuse=args.reuse,
        seed_value=args.seed,
        collaborators=args.collaborators,
        today=args.today,
    )


if __name__ == "__main__":
    main()
