"""Time the convocation PDF of an INTER session's participant (services.convocations.convocation_pdf).

    python bench/convocation_pdf.py [--database-url postgresql://postgres@127.0.0.1/trainadmin_bench_money] \
        [--sequences 3] [--slots 4] [--days 2] [--runs 50]

The database is created if missing and its schema rebuilt from the migrations. One INTER session
gets --sequences sequences (plus a pre-work one, left out of the convocation) of --slots slots, each
on --days days in a room of a located place, and a convocation comment. Two cases, in turns, 3
warm-ups then --runs timed calls: the PDF alone from a session whose planning is loaded, and the
download as the « Télécharger la convocation » view does it (session with its planning, the
demande, the PDF) in a new database session. Prints the median, the p95, the SQL statements and the
PDF's size; exits 1 when the PDF alone takes 100 ms or more (median).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from datetime import time as clock

import sqlalchemy as sa

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import (
    Collaborator,
    Location,
    RequestStatus,
    Room,
    Sequence,
    SessionType,
    Slot,
    SlotDate,
    Training,
    TrainingRequest,
    TrainingSession,
)
from trainadmin.services import planning
from trainadmin.services.participants import convocation_pdf
from trainadmin.services.sessions import new_session

from _common import StatementTimer, ensure_database, fresh_schema, time_in_turns

DEFAULT_URL = "postgresql://postgres@127.0.0.1/trainadmin_bench_money"
MAX_MEDIAN_MS = 100.0


def seed(app, sequences: int, slots: int, days: int) -> tuple[int, int]:
    """The session and the demande of its enrolled participant."""
    fresh_schema(app)
    with app.app_context():
        location = Location(
            name="Campus Lyon Part-Dieu",
            address="12 rue de la Villette",
            postcode="69003",
            city="Lyon",
            rooms=[Room(name=f"Salle {n + 1}", capacity=16) for n in range(4)],
        )
        training = Training(
            name="Sauveteur Secouriste du Travail",
            session_type=SessionType.INTER,
            capacity_min=4,
            capacity_target=8,
            capacity_max=10,
        )
        collaborator = Collaborator(
            first_name="Élodie",
            last_name="Lefèvre",
            email="elodie.lefevre@example.com",
            manager_email="manager@example.com",
        )
        db.session.add_all([location, training, collaborator])
        db.session.flush()
        session = new_session(training, 2027)
        session.session_type = SessionType.INTER
        session.convocation_comment = (
            "Merci de vous présenter 15 minutes avant le début, muni d'une pièce d'identité. "
            "Le déjeuner est pris en charge. Tenue confortable conseillée pour les mises en situation."
        )
        session.sequences.append(Sequence(label="Questionnaire préalable", position=0, is_prework=True))
        for s in range(sequences):
            sequence = Sequence(label=f"Module {s + 1} — gestes de premiers secours", position=s + 1)
            session.sequences.append(sequence)
            for n in range(slots):
                first = date(2027, 3, 1) + timedelta(weeks=2 * s, days=2 * n)
                sequence.slots.append(
                    Slot(
                        location=location,
                        room=location.rooms[n % len(location.rooms)],
                        dates=[
                            SlotDate(
                                day=first + timedelta(days=k),
                                start_time=clock(9),
                                end_time=clock(17, 30),
                                break_minutes=60,
                            )
                            for k in range(days)
                        ],
                    )
                )
        db.session.flush()
        planning.refresh_session(session)
        demande = TrainingRequest(session=session, collaborator=collaborator, status=RequestStatus.ENROLLED)
        db.session.add(demande)
        session.enrolled_count = 1
        db.session.commit()
        ids = session.id, demande.id
        db.session.remove()
    return ids


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--sequences", type=int, default=3)
    parser.add_argument("--slots", type=int, default=4, help="slots per sequence")
    parser.add_argument("--days", type=int, default=2, help="dates per slot")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)

    ensure_database(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    session_id, request_id = seed(app, args.sequences, args.slots, args.days)
    timer = StatementTimer()
    sizes: dict[str, int] = {}
    with app.test_request_context():  # gettext in the user's language, as in a request
        timer.attach(db.engine)
        kept = sa.orm.Session(db.engine)  # the loaded planning stays in memory for the first case
        kept.scalars(
            sa.select(TrainingSession)
            .where(TrainingSession.id == session_id)
            .options(*planning.planning_loaders())
        ).one()
        demande = kept.get(
            TrainingRequest, request_id, options=[sa.orm.joinedload(TrainingRequest.collaborator)]
        )

        def pdf_alone():
            sizes["alone"] = len(convocation_pdf(demande))

        def download():
            db.session.remove()  # a new database session, as each request has
            session = db.session.scalars(
                sa.select(TrainingSession)
                .where(TrainingSession.id == session_id)
                .options(*planning.planning_loaders())
            ).one()
            request = db.session.get(TrainingRequest, request_id)
            assert request.session is session
            sizes["download"] = len(convocation_pdf(request))

        alone = "convocation_pdf alone (planning loaded)"
        view = "load session, planning and demande, then convocation_pdf (the download view)"
        timings = time_in_turns({alone: pdf_alone, view: download}, timer, args.runs)
        kept.close()
        db.session.remove()
    slots = args.sequences * args.slots
    print(
        f"\n#### Convocation PDF — INTER session, {args.sequences} sequences × {args.slots} slots × "
        f"{args.days} dates ({slots} slots, {slots * args.days} dates) + 1 pre-work sequence, "
        f"{args.runs} runs per case\n"
    )
    print("| case | median ms | p95 ms | SQL statements | PDF size |")
    print("|---|---:|---:|---:|---:|")
    for name, timing, size in (
        (alone, timings[alone], sizes["alone"]),
        (view, timings[view], sizes["download"]),
    ):
        print(
            f"| {name} | {timing.median:.1f} | {timing.p95:.1f} | {timing.statements} "
            f"| {size / 1024:.1f} KiB |"
        )
    met = timings[alone].median < MAX_MEDIAN_MS
    print(f"\nTarget (convocation_pdf median < {MAX_MEDIAN_MS:.0f} ms): " + ("met" if met else "MISSED"))
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
