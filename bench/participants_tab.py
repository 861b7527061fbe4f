"""Time the « Participants » tab of a session with 500 participants, and the « Demandes » list.

    python bench/participants_tab.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench_participants \
        [--participants 500] [--runs 30]

The schema is rebuilt from the migrations. Two sessions are made: one with 10 participants and one
with --participants (all enrolled through the same service as the tab, a tenth of them on the waiting
list). Each page is requested through the Flask test client logged in as an administrator: 3 warm-ups,
then --runs timed requests. Prints the median, the p95 and the SQL statements per request for both
sizes: the statement count must not grow with the number of participants.
"""

from __future__ import annotations

import argparse
import statistics
import time

import sqlalchemy as sa
from flask_migrate import upgrade
from session_list import ensure_admin, logged_in_client

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import Collaborator, Training
from trainadmin.services.participants import enrol
from trainadmin.services.sessions import new_session


def prepare(app, sizes: list[int]) -> list[int]:
    with app.app_context():
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade(directory=app.extensions["migrate"].directory)
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


def measure(client, url: str, runs: int, statements: list[int]) -> tuple[float, float, int]:
    timings = []
    for run in range(runs + 3):
        statements.clear()
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        if run >= 3:
            timings.append(elapsed)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    sizes = [10, args.participants]
    session_ids = prepare(app, sizes)
    ensure_admin(app)
    client = logged_in_client(app)
    statements: list[int] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
    print("| page | median | p95 | SQL statements |")
    print("|---|---|---|---|")
    for size, session_id in zip(sizes, session_ids, strict=True):
        url = f"/admin/sessions/details/?id={session_id}&tab=participants"
        median, p95, count = measure(client, url, args.runs, statements)
        print(f"| « Participants » tab, {size} participants | {median:.1f} ms | {p95:.1f} ms | {count} |")
    for page_size in (20, 100):
        url = f"/admin/demandes/?page_size={page_size}"
        median, p95, count = measure(client, url, args.runs, statements)
        print(f"| « Demandes » list, {page_size} rows a page | {median:.1f} ms | {p95:.1f} ms | {count} |")


if __name__ == "__main__":
    main()
