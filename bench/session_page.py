"""Time the session page of a big session: 30 sequences × 5 slots × 3 dates, 200 participants.

    python bench/session_page.py [--database-url URL] [--sequences 30] [--slots 5]
        [--participants 200] [--runs 30] [--quick]

The schema is rebuilt from the migrations; the planning is the one of bench/planning_save.py, the
participants are enrolled through the same service as the « Participants » tab (so the session is
locked: every change asks for a reason). Each tab is requested through the Flask test client logged
in as an administrator, and so are the fragments fetched when a sequence is opened (in the editor of
« Informations générales », and on « Planification »): 3 warm-ups, then --runs timed requests,
taking turns. Prints, per tab, the median and p95, the HTML size, the SQL statements, the URLs built
(werkzeug's `MapAdapter.build`, which every `url_for` reaches) and the forms in the HTML, then
whether each tab meets the targets. --quick: 3 sequences × 2 slots, 10 participants, 3 runs, the
targets printed but not judged (the exit status says the bench ran).
"""

from __future__ import annotations

import argparse
import gc
import sys

from planning_save import prepare
from werkzeug.routing import MapAdapter

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import Collaborator, TrainingSession
from trainadmin.services.participants import enrol

from _common import StatementTimer, ensure_admin, ensure_database, get, logged_in_client, time_in_turns

DEFAULT_URL = "postgresql://postgres@127.0.0.1/trainadmin_bench_session_page"
TARGET_MS = 25.0
TARGET_KIB = 120.0
TABS = ("general", "planning", "participants")


def seed(app, sequences: int, slots: int, participants: int) -> int:
    session_id, _ = prepare(app, sequences, slots)
    with app.app_context():
        session = db.session.get(TrainingSession, session_id)
        session.capacity_max = participants
        people = [
            Collaborator(
                first_name=f"Prénom{n}",
                last_name=f"Nom{n:04d}",
                email=f"c{n}@example.com",
                manager_email="manager@example.com",
            )
            for n in range(participants)
        ]
        db.session.add_all(people)
        db.session.flush()
        enrol(session, [person.id for person in people], None)
        db.session.commit()
        db.session.remove()
    return session_id


class UrlBuilds:
    """Counts the URLs built while it is installed."""

    def __init__(self) -> None:
        self.count = 0
        self._build = MapAdapter.build

    def __enter__(self):
        original = self._build

        def counted(adapter, *args, **kwargs):
            self.count += 1
            return original(adapter, *args, **kwargs)

        MapAdapter.build = counted
        return self

    def __exit__(self, *exc) -> None:
        MapAdapter.build = self._build


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--sequences", type=int, default=30)
    parser.add_argument("--slots", type=int, default=5)
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="a small session, 3 runs, targets not judged")
    args = parser.parse_args(argv)
    if args.quick:
        args.sequences, args.slots, args.participants, args.runs = 3, 2, 10, 3

    ensure_database(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    session_id = seed(app, args.sequences, args.slots, args.participants)
    ensure_admin(app)
    timer = StatementTimer()
    with app.app_context():
        timer.attach(db.engine)
    client = logged_in_client(app)
    gc.freeze()  # as app.py does for the web processes once the app is built

    urls = {tab: f"/admin/sessions/details/?id={session_id}&tab={tab}" for tab in TABS}
    with app.app_context():
        sequence_id = db.session.get(TrainingSession, session_id).sequences[0].id
    # Opening a sequence in the editor, and on « Planification »: its slots, fetched.
    urls["sequence opened"] = f"/admin/sessions/sequence/body/?id={session_id}&sequence={sequence_id}"
    urls["planning: sequence opened"] = (
        f"/admin/sessions/sequence/slots/?id={session_id}&sequence={sequence_id}"
    )
    shape = {}
    for tab, url in urls.items():
        timer.reset()
        with UrlBuilds() as builds:
            html = get(client, url).get_data()
        shape[tab] = (len(html) / 1024, len(timer.statements), builds.count, html.count(b"<form"))
    timings = time_in_turns(
        {tab: (lambda url=url: get(client, url)) for tab, url in urls.items()}, timer, args.runs
    )

    total = args.sequences * args.slots
    print(
        f"\n#### Session page, {args.sequences} sequences × {args.slots} slots × 3 dates ({total} slots), "
        f"{args.participants} participants ({args.runs} runs per tab, in turns)\n"
    )
    print("| tab | median ms | p95 ms | HTML KiB | SQL statements | URLs built | forms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for tab, timing in timings.items():
        size, statements, builds, forms = shape[tab]
        cells = (f"{timing.median:.1f}", f"{timing.p95:.1f}", f"{size:.0f}", statements, builds, forms)
        print(f"| {tab} | " + " | ".join(str(cell) for cell in cells) + " |")
    missed = [tab for tab in TABS if timings[tab].median > TARGET_MS or shape[tab][0] > TARGET_KIB]
    verdict = "not judged (--quick)" if args.quick else ("missed: " + ", ".join(missed) if missed else "met")
    print(f"\nTargets (each tab: median ≤ {TARGET_MS:.0f} ms, HTML ≤ {TARGET_KIB:.0f} KiB): {verdict}")
    sys.exit(1 if missed and not args.quick else 0)


if __name__ == "__main__":
    main()
