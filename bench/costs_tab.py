"""Time the « Coûts » tab of a session with 200 cost lines, as a logged-in administrator.

    python bench/costs_tab.py [--database-url postgresql://postgres@127.0.0.1/trainadmin_bench_money] \
        [--lines 200] [--few 10] [--financing 5] [--runs 30]

The database is created if missing and its schema rebuilt from the migrations. Two sessions of the
same formation get --few and --lines cost lines (8 cost types, 12 suppliers, global and
per-trainee splits) and --financing financing lines each, 3 sequences of slots and 12 enrolled
participants. Each tab is rendered through the Flask test client (no network: the app's own time,
SQL included), 3 warm-ups then --runs timed GETs, both sessions in turns. Prints the median, the p95
and the SQL statements per request; exits 1 when a target is missed: median under 200 ms with
--lines lines, the same statement count for both sessions.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import (
    Collaborator,
    Cost,
    CostSplit,
    CostType,
    Dispositif,
    Financing,
    FinancingStatus,
    RequestStatus,
    Sequence,
    Slot,
    SlotDate,
    Supplier,
    Training,
    TrainingDefaultCost,
    TrainingRequest,
)
from trainadmin.services import planning
from trainadmin.services.sessions import new_session

from _common import (
    StatementTimer,
    ensure_admin,
    ensure_database,
    fresh_schema,
    get,
    logged_in_client,
    report_scaling_targets,
    time_in_turns,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1/trainadmin_bench_money"
MAX_MEDIAN_MS = 200.0
COST_TYPES = [
    "Animation",
    "Restauration",
    "Location de salle",
    "Déplacement",
    "Hébergement",
    "Supports pédagogiques",
    "Certification",
    "Frais de dossier",
]
ENROLLED = 12


def seed(app, line_counts: list[int], financing: int) -> list[int]:
    """One session per entry of line_counts, with that many cost lines; returns their ids."""
    fresh_schema(app)
    with app.app_context():
        cost_types = [CostType(name=name) for name in COST_TYPES]
        suppliers = [Supplier(name=f"Prestataire {n + 1}") for n in range(12)]
        dispositifs = [Dispositif(name=name) for name in ("Plan de développement", "CPF", "FNE")]
        training = Training(
            name="Management d'équipe",
            capacity_min=4,
            capacity_target=10,
            capacity_max=14,
            default_costs=[TrainingDefaultCost(cost_type=cost_types[0], amount=Decimal("1500"))],
        )
        db.session.add_all([*cost_types, *suppliers, *dispositifs, training])
        db.session.flush()
        session_ids = []
        for lines in line_counts:
            session = new_session(training, 2027)
            for s in range(3):
                sequence = Sequence(label=f"Module {s + 1}", position=s)
                session.sequences.append(sequence)
                for n in range(3):
                    day = date(2027, 3, 1) + timedelta(weeks=s, days=n)
                    sequence.slots.append(
                        Slot(
                            dates=[
                                SlotDate(day=day, start_time=clock(9), end_time=clock(17), break_minutes=60)
                            ]
                        )
                    )
            db.session.flush()
            planning.refresh_session(session)
            for n in range(ENROLLED):
                collaborator = Collaborator(
                    first_name="Paul",
                    last_name=f"Durand {session.id}-{n}",
                    email=f"paul.durand.{session.id}.{n}@example.com",
                    manager_email="manager@example.com",
                )
                db.session.add(
                    TrainingRequest(session=session, collaborator=collaborator, status=RequestStatus.ENROLLED)
                )
            session.enrolled_count = ENROLLED
            for n in range(lines):
                per_trainee = n % 3 == 0
                db.session.add(
                    Cost(
                        session=session,
                        cost_type=cost_types[n % len(cost_types)],
                        amount=Decimal(100 + n * 7) / 4,
                        split=CostSplit.PER_TRAINEE if per_trainee else CostSplit.GLOBAL,
                        quantity=ENROLLED if per_trainee else None,
                        supplier=suppliers[n % len(suppliers)] if n % 4 else None,
                        comment=f"Ligne {n + 1}",
                    )
                )
            for n in range(financing):
                db.session.add(
                    Financing(
                        session=session,
                        funder=f"OPCO {n + 1}",
                        dispositif=dispositifs[n % len(dispositifs)],
                        amount=Decimal(800 + 100 * n),
                        status=list(FinancingStatus)[n % len(FinancingStatus)],
                    )
                )
            db.session.flush()
            session_ids.append(session.id)
        db.session.commit()
        db.session.remove()
    return session_ids


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--lines", type=int, default=200, help="cost lines of the big session")
    parser.add_argument("--few", type=int, default=10, help="cost lines of the small session")
    parser.add_argument("--financing", type=int, default=5, help="financing lines of each session")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)

    ensure_database(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    few_id, many_id = seed(app, [args.few, args.lines], args.financing)
    ensure_admin(app)
    timer = StatementTimer()
    with app.app_context():
        timer.attach(db.engine)
    client = logged_in_client(app)
    sizes: dict[str, int] = {}

    def tab(session_id: int, name: str):
        def render():
            sizes[name] = len(get(client, f"/admin/sessions/details/?id={session_id}&tab=costs").data)

        return render

    few = f"« Coûts » tab, {args.few} cost lines + {args.financing} financing lines"
    many = f"« Coûts » tab, {args.lines} cost lines + {args.financing} financing lines"
    timings = time_in_turns({few: tab(few_id, few), many: tab(many_id, many)}, timer, args.runs)

    print(f"\n#### « Coûts » tab ({args.runs} runs per case, {ENROLLED} enrolled)\n")
    print("| case | median ms | p95 ms | SQL statements | page size |")
    print("|---|---:|---:|---:|---:|")
    for name, timing in timings.items():
        print(
            f"| {name} | {timing.median:.1f} | {timing.p95:.1f} | {timing.statements} "
            f"| {sizes[name] / 1024:.0f} KiB |"
        )
    report_scaling_targets(timings, few, many, MAX_MEDIAN_MS)


if __name__ == "__main__":
    main()
