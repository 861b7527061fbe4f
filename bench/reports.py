"""Time « Rapports » on a big database: each report's service call, and the whole page.

    python bench/reports.py --database-url URL [--runs N] [--start 2026-01-01] [--end 2027-12-31]
        [--target-ms 500]

The database is one seeded by bench/seed_sessions.py (sessions, sequences, slots, dates) and
bench/seed_activity.py (demandes, attendance, costs, financing, survey responses); nothing is
written to it but the bench administrator. The period defaults to two years. Each service call runs
in its own transaction after `reports.prepare_reading()`, as the page does. Each case runs
3 times to warm up, then --runs times, the cases taking turns; prints the median, p95 and SQL
statements of each, the sizes of what was read, and whether each median is under --target-ms
(the exit status says so too).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.services import reports

from _common import StatementTimer, ensure_admin, get, logged_in_client, time_in_turns

COUNTED = (
    "training_session",
    "slot_date",
    "training_request",
    "attendance",
    "cost",
    "financing",
    "survey_response",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--end", type=date.fromisoformat, default=date(2027, 12, 31))
    parser.add_argument("--target-ms", type=float, default=500.0)
    args = parser.parse_args()

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    ensure_admin(app)
    filters = reports.ReportFilters(start=args.start, end=args.end, preset="custom")
    page_url = f"/admin/reports/?preset=custom&start={args.start.isoformat()}&end={args.end.isoformat()}"
    timer = StatementTimer()
    with app.app_context():
        timer.attach(db.engine)
        sizes = {}
        for table in COUNTED:
            sizes[table] = db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
        in_period = db.session.execute(
            db.text("SELECT count(*) FROM training_session WHERE start_date BETWEEN :a AND :b"),
            {"a": args.start, "b": args.end},
        ).scalar()
        db.session.remove()
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in sizes.items()))
    print(f"period {args.start} → {args.end}: {in_period:,} sessions start in it\n")

    client = logged_in_client(app)

    def service(call):
        def run():
            with app.app_context():
                reports.prepare_reading()
                call(filters)
                db.session.remove()

        return run

    cases = {
        "hours per month": service(reports.hours_report),
        "sessions and fill rate": service(reports.sessions_report),
        "costs": service(reports.costs_report),
        "attendance": service(reports.attendance_report),
        "satisfaction": service(reports.satisfaction_report),
        "per collaborator (page)": service(reports.collaborators_report),
        "per collaborator (export lines)": service(reports.followed_sessions),
        "whole page (HTTP)": lambda: get(client, page_url),
    }
    timings = time_in_turns(cases, timer, args.runs)
    print(f"{'case':34} {'median ms':>10} {'p95 ms':>10} {'SQL':>5}")
    misses = []
    for name, timing in timings.items():
        print(f"{name:34} {timing.median:10.1f} {timing.p95:10.1f} {timing.statements:>5}")
        if (
            name != "per collaborator (export lines)"
            and not name.startswith("whole")
            and timing.median > args.target_ms
        ):
            misses.append(name)
    print(
        f"\nTarget (each report's median ≤ {args.target_ms:.0f} ms): "
        + ("MISSED: " + ", ".join(misses) if misses else "met")
    )
    sys.exit(1 if misses else 0)


if __name__ == "__main__":
    main()
