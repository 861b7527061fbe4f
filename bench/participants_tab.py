"""Time the « Participants » tab of a session with 500 participants, and the « Demandes » list.

    python bench/participants_tab.py [--database-url URL] [--participants 500] [--few 10] [--runs 30]

The schema is rebuilt from the migrations. Two sessions are made: one with 10 participants and one
with --participants (all enrolled through the same service as the tab, a tenth of them on the waiting
list). Each page is requested through the Flask test client logged in as an administrator: 3 warm-ups,
then --runs timed requests. Prints the median, the p95 and the SQL statements per request for both
sizes: the statement count must not grow with the number of participants.
"""

from __future__ import annotations

import argparse

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import Collaborator, Training
from trainadmin.services.participants import enrol
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

DEFAULT_URL = "postgresql://postgres@127.0.0.1/trainadmin_bench_participants"
MAX_MEDIAN_MS = 200.0


def seed(app, sizes: list[int]) -> list[int]:
    fresh_schema(app)
    with app.app_context():
        training = Training(name="Sécurité incendie", capacity_min=1, capacity_target=10, capacity_max=20)
        db.session.add(training)
        db.session.flush()
        session_ids = []
        for size in sizes:
            people = [
                Collaborator(
                    first_name=f"Prénom{n}",
                    last_name=f"Nom{size}-{n:04d}",
                    email=f"c{size}-{n}@example.com",
                    manager_email="manager@example.com",
                )
                for n in range(size)
            ]
            db.session.add_all(people)
            db.session.flush()
            session = new_session(
                training, 2027, capacity_min=1, capacity_target=size // 2, capacity_max=size - size // 10
            )
            db.session.flush()
            enrol(session, [person.id for person in people], None)
            session_ids.append(session.id)
        db.session.commit()
        db.session.remove()
    return session_ids


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)

    ensure_database(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    few_id, many_id = seed(app, [args.few, args.participants])
    ensure_admin(app)
    timer = StatementTimer()
    with app.app_context():
        timer.attach(db.engine)
    client = logged_in_client(app)

    def page(url: str):
        return lambda: get(client, url)

    few = f"« Participants » tab, {args.few} participants"
    many = f"« Participants » tab, {args.participants} participants"
    cases = {
        few: page(f"/admin/sessions/details/?id={few_id}&tab=participants"),
        many: page(f"/admin/sessions/details/?id={many_id}&tab=participants"),
        "« Demandes » list, 20 rows a page": page("/admin/demandes/?page_size=20"),
        "« Demandes » list, 100 rows a page": page("/admin/demandes/?page_size=100"),
    }
    timings = time_in_turns(cases, timer, args.runs)

    print(f"\n#### « Participants » tab and « Demandes » list ({args.runs} runs per case)\n")
    print("| case | median ms | p95 ms | SQL statements |")
    print("|---|---:|---:|---:|")
    for name, timing in timings.items():
        print(f"| {name} | {timing.median:.1f} | {timing.p95:.1f} | {timing.statements} |")
    report_scaling_targets(timings, few, many, MAX_MEDIAN_MS)


if __name__ == "__main__":
    main()
