"""Fill a PostgreSQL database with many realistic sessions, fast, for the list benchmarks.

Usage:
    .venv/bin/python bench/seed_sessions.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench \
        --sessions 100000 [--fresh | --reuse] [--seed 42]

The database is created if missing and brought to the head revision by the app's own migrations
(`--fresh` drops and recreates the public schema first). Sessions, with their sequences, slots,
slot dates and trainers, are streamed with COPY in batches inside one transaction; their derived
columns (dates, durations, sequence count) are computed as the planning service would, and the
code counter ends at the highest number given per year. Without `--fresh` the new sessions are
added to what is there; `--reuse` does nothing when the database already holds exactly
`--sessions` sessions, and starts afresh otherwise. Ends with VACUUM ANALYZE, as autovacuum would.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, make_url

from trainadmin import create_app
from trainadmin.extensions import db, upgrade_schema
from trainadmin.models import (
    Location,
    Room,
    Sequence,
    SessionCodeCounter,
    Slot,
    SlotDate,
    TeachingMode,
    Trainer,
    Training,
    TrainingSession,
    slot_trainer,
)
from trainadmin.services.planning import refresh_date_state

from _common import ensure_database

BATCH_SIZE = 5_000
YEARS = (2025, 2026, 2027, 2028)

# (name, reference, usual session type, hours, variants used at the start of the session label)
TRAININGS = [
    ("Management d'équipe", "MGT-01", "intra", 14, ["Management d'équipe", "Manager à distance"]),
    ("Prise de parole en public", "COM-01", "inter", 7, ["Prise de parole", "Oser s'exprimer en réunion"]),
    ("Gestion du temps et des priorités", "EFF-01", "inter", 7, ["Gestion du temps", "Priorités et agenda"]),
    (
        "Conduite du changement",
        "MGT-02",
        "intra",
        14,
        ["Conduite du changement", "Accompagner la réorganisation"],
    ),
    (
        "Bureautique avancée",
        "BUR-01",
        "inter",
        7,
        [
            "Word : mise en page",
            "PowerPoint : présentations",
            "Outlook : messagerie",
            "Excel : tableaux croisés",
        ],
    ),
    ("Sécurité incendie", "SEC-01", "intra", 4, ["Sécurité incendie", "Équipier de première intervention"]),
    ("Sauveteur secouriste du travail", "SEC-02", "intra", 14, ["SST initial", "SST recyclage"]),
    ("Habilitation électrique", "SEC-03", "intra", 21, ["Habilitation électrique B0-H0", "Habilitation BR"]),
    (
        "Négociation commerciale",
        "VEN-01",
        "inter",
        14,
        ["Négociation commerciale", "Vendre à des grands comptes"],
    ),
    ("Relation client", "VEN-02", "intra", 7, ["Accueil téléphonique", "Gérer les clients difficiles"]),
    (
        "Anglais professionnel",
        "LAN-01",
        "inter",
        30,
        ["Anglais des affaires", "Anglais : réunions et appels"],
    ),
    ("Recrutement et entretiens", "RH-01", "intra", 7, ["Mener un entretien", "Recruter sans discriminer"]),
    ("Entretien annuel", "RH-02", "intra", 4, ["Entretien annuel", "Entretien professionnel"]),
    ("Droit du travail", "RH-03", "inter", 14, ["Droit du travail", "Paie et contrats"]),
    ("Gestion de projet", "PRJ-01", "inter", 21, ["Gestion de projet", "Méthodes agiles et Scrum"]),
    (
        "Cybersécurité",
        "NUM-01",
        "intra",
        4,
        ["Sensibilisation cybersécurité", "Hameçonnage et mots de passe"],
    ),
    ("Données et tableaux de bord", "NUM-02", "inter", 14, ["Tableaux de bord", "Power BI : visualisation"]),
    (
        "Qualité de vie au travail",
        "QVT-01",
        "intra",
        7,
        ["Gestion du stress", "Prévenir les risques psychosociaux"],
    ),
    (
        "Intégration des nouveaux arrivants",
        "INT-01",
        "intra",
        7,
        ["Parcours d'intégration", "Découvrir l'entreprise"],
    ),
    ("Éco-conduite", "ENV-01", "intra", 7, ["Éco-conduite", "Sobriété énergétique"]),
]
# "Excel" is one variant of one training in twenty (and one variant in eight within it): a text
# search finds about four sessions per thousand.
VARIANT_WEIGHTS = {"BUR-01": [33, 33, 26, 8]}
AUDIENCES = [
    "managers de proximité",
    "nouveaux arrivants",
    "équipe commerciale",
    "service RH",
    "direction financière",
    "techniciens de maintenance",
    "assistants de direction",
    "chefs de projet",
    "agents d'accueil",
    "comité de direction",
]
CITIES = [
    "Paris",
    "Lyon",
    "Marseille",
    "Nantes",
    "Lille",
    "Bordeaux",
    "Toulouse",
    "Strasbourg",
    "Rennes",
    "Nice",
]
TEACHING_MODES = ["Présentiel", "Classe virtuelle", "E-learning", "Mixte"]
ROOMS = [("Salle Jaurès", 12), ("Salle Curie", 20), ("Salle Monet", 8), ("Amphithéâtre", 80)]
TRAINERS = [
    ("Camille", "Martin"),
    ("Julien", "Bernard"),
    ("Sophie", "Dubois"),
    ("Nicolas", "Thomas"),
    ("Isabelle", "Robert"),
    ("Antoine", "Richard"),
    ("Claire", "Petit"),
    ("Mathieu", "Durand"),
]
# (start, end, break in minutes, hours)
DAY_SHAPES = [
    (clock(9, 0), clock(17, 0), 60, Decimal("7.00")),
    (clock(9, 0), clock(12, 30), 0, Decimal("3.50")),
    (clock(14, 0), clock(17, 30), 0, Decimal("3.50")),
]
DRAFT_STATUSES = (["created", "confirmed"], [90, 10])
PUBLISHED_STATUSES = (["created", "confirmed", "in_progress", "closed", "cancelled"], [10, 45, 10, 30, 5])


@dataclass
class References:
    training_ids: list[int]
    training_types: list[str]
    training_variants: list[list[str]]
    training_weights: list[list[int] | None]
    location_id: int
    room_ids: list[int]
    room_capacities: list[int]
    trainer_ids: list[int]
    teaching_mode_ids: list[int]


@dataclass
class Batch:
    """Rows of one batch, in the column order of each COPY."""

    sessions: list[tuple] = field(default_factory=list)
    sequences: list[tuple] = field(default_factory=list)
    slots: list[tuple] = field(default_factory=list)
    slot_trainers: list[tuple] = field(default_factory=list)
    slot_dates: list[tuple] = field(default_factory=list)


SESSION_COLUMNS = (
    "id",
    "code",
    "year",
    "training_id",
    "session_type",
    "label",
    "capacity_min",
    "capacity_target",
    "capacity_max",
    "funding_eligible",
    "publication",
    "status",
    "calendar_invitations",
    "cancel_reason",
    "start_date",
    "end_date",
    "duration_days",
    "duration_hours",
    "sequence_count",
    "enrolled_count",
    "origin",
    "duplicated_from_id",
    "missing_from_feed",
    "version",
    "created_at",
    "updated_at",
)
SEQUENCE_COLUMNS = (
    "id",
    "session_id",
    "position",
    "label",
    "teaching_mode_id",
    "status",
    "is_prework",
    "hot_survey_enabled",
    "hot_survey_delay_days",
    "cold_survey_enabled",
    "cold_survey_delay_days",
    "start_date",
    "end_date",
)
SLOT_COLUMNS = ("id", "sequence_id", "location_id", "room_id")
SLOT_TRAINER_COLUMNS = ("slot_id", "trainer_id")
SLOT_DATE_COLUMNS = ("id", "slot_id", "day", "start_time", "end_time", "break_minutes")

COPIES = (
    (TrainingSession.__table__, SESSION_COLUMNS, "sessions"),
    (Sequence.__table__, SEQUENCE_COLUMNS, "sequences"),
    (Slot.__table__, SLOT_COLUMNS, "slots"),
    (slot_trainer, SLOT_TRAINER_COLUMNS, "slot_trainers"),
    (SlotDate.__table__, SLOT_DATE_COLUMNS, "slot_dates"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="postgresql://user@host/database")
    parser.add_argument("--sessions", type=int, required=True, help="number of sessions to insert")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fresh", action="store_true", help="drop and recreate the public schema first")
    mode.add_argument(
        "--reuse",
        action="store_true",
        help="skip when the database already holds exactly --sessions sessions",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    return parser.parse_args(argv)


def reset_schema(connection: Connection) -> None:
    connection.exec_driver_sql("DROP SCHEMA public CASCADE")
    connection.exec_driver_sql("CREATE SCHEMA public")


def session_count(connection: Connection) -> int | None:
    """Sessions in the database, or None when the schema is not there yet."""
    if not sa.inspect(connection).has_table(TrainingSession.__tablename__):
        return None
    return connection.scalar(sa.select(sa.func.count()).select_from(TrainingSession.__table__))


def _upsert_ids(connection: Connection, table: sa.Table, key: str, rows: list[dict]) -> list[int]:
    """Insert reference rows that are missing (by their unique `key`) and give back every id, in order."""
    connection.execute(pg_insert(table).on_conflict_do_nothing(index_elements=[key]), rows)
    keys = [row[key] for row in rows]
    found = dict(connection.execute(sa.select(table.c[key], table.c.id).where(table.c[key].in_(keys))).all())
    return [found[k] for k in keys]


def ensure_references(connection: Connection) -> References:
    """Trainings, a location with rooms, trainers and teaching modes; created once, reused after."""
    training_ids = _upsert_ids(
        connection,
        Training.__table__,
        "name",
        [
            {
                "name": name,
                "reference": reference,
                "session_type": session_type,
                "capacity_min": 4,
                "capacity_target": 10,
                "capacity_max": 14,
                "funding_eligible": reference.startswith(("SEC", "LAN")),
                "duration_hours": Decimal(hours),
                "active": True,
            }
            for name, reference, session_type, hours, _variants in TRAININGS
        ],
    )
    teaching_mode_ids = _upsert_ids(
        connection, TeachingMode.__table__, "name", [{"name": name} for name in TEACHING_MODES]
    )
    (location_id,) = _upsert_ids(
        connection,
        Location.__table__,
        "name",
        [
            {
                "name": "Campus formation — Lyon Part-Dieu",
                "address": "12 rue de la Villette",
                "postcode": "69003",
                "city": "Lyon",
                "contact_name": "Accueil campus",
                "contact_email": "campus@example.com",
            }
        ],
    )
    room_table = Room.__table__
    connection.execute(
        pg_insert(room_table).on_conflict_do_nothing(index_elements=["location_id", "name"]),
        [{"location_id": location_id, "name": name, "capacity": capacity} for name, capacity in ROOMS],
    )
    rooms = connection.execute(
        sa.select(room_table.c.id, room_table.c.capacity)
        .where(room_table.c.location_id == location_id)
        .order_by(room_table.c.id)
    ).all()
    trainer_ids = _upsert_ids(
        connection,
        Trainer.__table__,
        "email",
        [
            {
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}@formateurs.example.com".lower(),
                "internal": index % 2 == 0,
            }
            for index, (first, last) in enumerate(TRAINERS)
        ],
    )
    return References(
        training_ids=training_ids,
        training_types=[t[2] for t in TRAININGS],
        training_variants=[t[4] for t in TRAININGS],
        training_weights=[VARIANT_WEIGHTS.get(t[1]) for t in TRAININGS],
        location_id=location_id,
        room_ids=[r.id for r in rooms],
        room_capacities=[r.capacity for r in rooms],
        trainer_ids=trainer_ids,
        teaching_mode_ids=teaching_mode_ids,
    )


def next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class Generator:
    """Makes sessions with ids following those already in the database, codes following the counter."""

    def __init__(self, connection: Connection, refs: References, rng: random.Random):
        self.refs = refs
        self.rng = rng
        self.now = datetime.now(UTC)

        def max_id(table: sa.Table) -> int:
            return connection.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))

        self.first_session_id = self.session_id = max_id(TrainingSession.__table__)
        self.sequence_id = max_id(Sequence.__table__)
        self.slot_id = max_id(Slot.__table__)
        self.slot_date_id = max_id(SlotDate.__table__)
        counter = SessionCodeCounter.__table__
        self.numbers = dict(connection.execute(sa.select(counter.c.year, counter.c.last_number)).all())

    def batches(self, total: int) -> Iterator[Batch]:
        for start in range(0, total, BATCH_SIZE):
            batch = Batch()
            for _ in range(min(BATCH_SIZE, total - start)):
                self.add_session(batch)
            yield batch

    def add_session(self, batch: Batch) -> None:
        rng, refs = self.rng, self.refs
        self.session_id += 1
        session_id = self.session_id
        year = rng.choice(YEARS)
        self.numbers[year] = number = self.numbers.get(year, 0) + 1
        training = rng.randrange(len(refs.training_ids))
        variant = rng.choices(refs.training_variants[training], refs.training_weights[training])[0]
        label = f"{variant} — {rng.choice(AUDIENCES)} ({rng.choice(CITIES)})"
        is_draft = rng.random() < 0.3
        statuses, weights = DRAFT_STATUSES if is_draft else PUBLISHED_STATUSES
        status = rng.choices(statuses, weights)[0]
        session_type = refs.training_types[training] if rng.random() < 0.8 else rng.choice(["intra", "inter"])
        room = rng.randrange(len(refs.room_ids))
        capacity_max = min(refs.room_capacities[room], rng.choice([8, 10, 12, 14, 16, 20]))
        capacity_min = rng.randint(1, max(1, capacity_max // 3))
        capacity_target = rng.randint(capacity_min, capacity_max)

        first_day = next_weekday(date(year, 1, 5) + timedelta(days=rng.randint(0, 320)))
        sequence_total = rng.choices((1, 2, 3), (50, 30, 20))[0]
        has_prework = sequence_total > 1 and rng.random() < 0.1
        all_days: list[date] = []
        days_total = Decimal(0)
        hours_total = Decimal(0)
        day = first_day
        for position in range(sequence_total):
            self.sequence_id += 1
            is_prework = has_prework and position == 0
            sequence_days: list[date] = []
            for _slot in range(rng.choices((1, 2), (70, 30))[0]):
                self.slot_id += 1
                slot_room = room if rng.random() < 0.8 else rng.randrange(len(refs.room_ids))
                batch.slots.append(
                    (self.slot_id, self.sequence_id, refs.location_id, refs.room_ids[slot_room])
                )
                batch.slot_trainers.append((self.slot_id, rng.choice(refs.trainer_ids)))
                start, end, pause, hours = rng.choice(DAY_SHAPES)
                for _date in range(rng.choices((1, 2, 3), (40, 35, 25))[0]):
                    self.slot_date_id += 1
                    batch.slot_dates.append((self.slot_date_id, self.slot_id, day, start, end, pause))
                    sequence_days.append(day)
                    if not is_prework:
                        days_total += 1
                        hours_total += hours
                    day = next_weekday(day + timedelta(days=1))
                day = next_weekday(day + timedelta(days=rng.randint(1, 6)))
            all_days.extend(sequence_days)
            mode = refs.teaching_mode_ids[2] if is_prework else rng.choice(refs.teaching_mode_ids[:2])
            sequence_label = "Pré-requis en ligne" if is_prework else f"Séquence {position + 1} — {variant}"
            batch.sequences.append(
                (
                    self.sequence_id,
                    session_id,
                    position,
                    sequence_label,
                    mode,
                    "cancelled" if status == "cancelled" else "closed" if status == "closed" else "planned",
                    is_prework,
                    position == sequence_total - 1,
                    1,
                    False,
                    60,
                    min(sequence_days),
                    max(sequence_days),
                )
            )
            day = next_weekday(day + timedelta(days=rng.randint(7, 30)))

        duplicated_from = None
        if session_id > self.first_session_id + 1 and rng.random() < 0.1:
            duplicated_from = rng.randint(self.first_session_id + 1, session_id - 1)
        created_at = self.now - timedelta(days=rng.randint(0, 700), seconds=rng.randint(0, 86_399))
        enrolled = 0 if is_draft else rng.randint(0, capacity_max)
        batch.sessions.append(
            (
                session_id,
                f"{year}-{number:04d}",
                year,
                refs.training_ids[training],
                session_type,
                label,
                capacity_min,
                capacity_target,
                capacity_max,
                rng.random() < 0.3,
                "draft" if is_draft else "published",
                status,
                True,
                "Nombre d'inscrits insuffisant" if status == "cancelled" else None,
                min(all_days),
                max(all_days),
                days_total,
                hours_total,
                sequence_total,
                enrolled,
                "duplicated" if duplicated_from else "created",
                duplicated_from,
                False,
                1,
                created_at,
                created_at,
            )
        )


def copy_batch(connection: Connection, batch: Batch) -> None:
    """COPY the batch's rows, parents first, on the connection's own transaction."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        for table, columns, attribute in COPIES:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in getattr(batch, attribute):
                    copy.write_row(row)
    finally:
        cursor.close()


def finish(connection: Connection, numbers: dict[int, int]) -> None:
    """Counter at the highest number given per year; id sequences after the explicit ids."""
    counter = SessionCodeCounter.__table__
    if numbers:
        statement = pg_insert(counter).values([{"year": y, "last_number": n} for y, n in numbers.items()])
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[counter.c.year],
                set_={"last_number": sa.func.greatest(counter.c.last_number, statement.excluded.last_number)},
            )
        )
    for table in (TrainingSession.__table__, Sequence.__table__, Slot.__table__, SlotDate.__table__):
        connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 (our own table names)
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
            )
        )


def seed(url: str, sessions: int, *, fresh: bool = False, reuse: bool = False, seed_value: int = 42) -> int:
    """Seed and return the number of sessions in the database afterwards."""
    ensure_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        engine = db.engine
        if reuse:
            with engine.connect() as connection:
                existing = session_count(connection)
            if existing == sessions:
                upgrade_schema(app)  # the schema follows the code
                with engine.begin() as connection:
                    connection.exec_driver_sql("ANALYZE")
                print(f"{make_url(url).database}: already {existing} sessions, reused")
                return existing
            fresh = True
        if fresh:
            with engine.begin() as connection:
                reset_schema(connection)
        upgrade_schema(app)

        started = time.perf_counter()
        rng = random.Random(seed_value)
        with engine.begin() as connection:
            refs = ensure_references(connection)
            generator = Generator(connection, refs, rng)
            for batch in generator.batches(sessions):
                copy_batch(connection, batch)
            finish(connection, generator.numbers)
        refresh_date_state()  # what each date books, as the app's own writes leave it
        db.session.commit()
        inserted = time.perf_counter() - started
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in (
                "training_session",
                "sequence",
                "slot",
                "slot_trainer",
                "slot_date",
                "trainer_booking",
            ):
                connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
            total = session_count(connection)
            counts = {
                name: connection.scalar(sa.text(f"SELECT count(*) FROM {name}"))  # noqa: S608
                for name in ("sequence", "slot", "slot_date")
            }
        db.session.remove()
        engine.dispose()
    print(
        f"{make_url(url).database}: inserted {sessions} sessions in {inserted:.1f} s "
        f"(+ vacuum analyze {time.perf_counter() - started - inserted:.1f} s); now {total} sessions, "
        + ", ".join(f"{n} {name}s" for name, n in counts.items())
    )
    return total


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.sessions < 0:
        raise SystemExit("--sessions must be zero or more")
    seed(args.database_url, args.sessions, fresh=args.fresh, reuse=args.reuse, seed_value=args.seed)


if __name__ == "__main__":
    main()
