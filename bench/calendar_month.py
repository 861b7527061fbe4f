"""Time « Planning »: the JSON of a visible month and the page in Chromium, on a big database.

    URL=postgresql://postgres@127.0.0.1/trainadmin_bench_cal
    .venv/bin/python bench/seed_sessions.py --database-url $URL --sessions 100000 --reuse
    .venv/bin/python bench/calendar_month.py --database-url $URL \
        [--month 2027-03] [--runs 30] [--browser-runs 5] [--no-browser] [--no-jit]

The JSON is asked for the range FullCalendar's month view shows (six weeks from the Monday before
the 1st), as the page asks for it, through the app (logged-in test client): all the dates, then one
room's, then one trainer's. Each case prints the number of dates, the size of the answer, the
median and p95 of the whole request and of its SQL, and the SQL statements it ran; then
PostgreSQL's plan of the month's statement (EXPLAIN ANALYZE, BUFFERS); then the room and trainer
tables of the month. The app runs these statements with JIT off (`SET LOCAL jit = off`): `--no-jit`
also turns it off for the connection (the user's load, the floors). The browser part serves the
app on a loopback port and times, in Debian's Chromium, from the navigation to the month's dates
drawn (`#calendar[data-loaded]` and the first `.fc-event`), as the page's own `performance.now()`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from datetime import date, timedelta

import sqlalchemy as sa
from werkzeug.serving import make_server

from trainadmin import create_app
from trainadmin.driver_sql import without_jit
from trainadmin.extensions import db
from trainadmin.models import Room, Sequence, Slot, SlotDate, Trainer, TrainingSession
from trainadmin.services.planning.bookings import BookingFilters, bookings_statement

from _common import ADMIN_EMAIL, ADMIN_PASSWORD, ensure_admin, logged_in_client

CHROMIUM = os.environ.get("TRAINADMIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def visible_range(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    start = first - timedelta(days=first.weekday())
    return start, start + timedelta(days=42)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_json(app, client, start: date, end: date, runs: int) -> None:
    with app.app_context():
        room_id = db.session.scalar(sa.select(Room.id).order_by(Room.id))
        trainer_id = db.session.scalar(sa.select(Trainer.id).order_by(Trainer.id))
        sessions = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))
        db.session.remove()
    statements: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((time.perf_counter() - conn.info["bench_started"]) * 1000)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", before)
        sa.event.listen(db.engine, "after_cursor_execute", after)
    print(f"{sessions:,} sessions; range {start} – {end} ({(end - start).days} days, the month view's)\n")
    print(
        "| case | dates sent (+ counted) | JSON KiB | request median ms | p95 ms | SQL median ms "
        "| SQL statements |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    base = {"start": start.isoformat(), "end": end.isoformat()}
    for name, extra in (
        ("month view (4 a day + « +N autres », as the page asks)", {"per_day": 4}),
        ("every date (no cap)", {}),
        ("one room, 4 a day", {"room": room_id, "per_day": 4}),
        ("one trainer, 4 a day", {"trainer": trainer_id, "per_day": 4}),
    ):
        for _ in range(3):
            response = client.get("/admin/calendar/events/", query_string={**base, **extra})
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        payload = response.get_data()
        durations, sql, counts = [], [], []
        for _ in range(runs):
            statements.clear()
            started = time.perf_counter()
            client.get("/admin/calendar/events/", query_string={**base, **extra})
            durations.append((time.perf_counter() - started) * 1000)
            sql.append(sum(statements))
            counts.append(len(statements))
        answer = json.loads(payload)
        dates = f"{len(answer['events']):,} (+{sum(answer['more'].values()):,})"
        print(
            f"| {name} | {dates} | {len(payload) / 1024:,.0f} | {statistics.median(durations):.1f} "
            f"| {percentile(durations, 0.95):.1f} | {statistics.median(sql):.1f} | {max(counts)} |"
        )
    print(
        "\n| « Par salle / Par formateur », March | HTML KiB | request median ms | p95 ms | SQL median ms "
        "| SQL statements |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    month = start + timedelta(days=7)
    for kind in ("rooms", "trainers"):
        query = {"kind": kind, "period": "month", "date": month.replace(day=1).isoformat()}
        for _ in range(2):
            response = client.get("/admin/calendar/resources/", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        durations, sql, counts = [], [], []
        for _ in range(runs):
            statements.clear()
            started = time.perf_counter()
            client.get("/admin/calendar/resources/", query_string=query)
            durations.append((time.perf_counter() - started) * 1000)
            sql.append(sum(statements))
            counts.append(len(statements))
        print(
            f"| {kind} | {len(response.get_data()) / 1024:,.0f} | {statistics.median(durations):.1f} "
            f"| {percentile(durations, 0.95):.1f} | {statistics.median(sql):.1f} | {max(counts)} |"
        )
    with app.app_context():
        sa.event.remove(db.engine, "before_cursor_execute", before)
        sa.event.remove(db.engine, "after_cursor_execute", after)
        without_jit()  # as the app runs the calendar's statements
        scan = index_scan(start, end, runs)
        floor = join_floor(start, end, runs)
        query = bookings_statement(start, end, BookingFilters(), per_day=4)
        sql_text = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        lines = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {sql_text}")).scalars().all()
        db.session.remove()
    print(
        f"\nThe range's dates alone (hours, room, cancelled), read from ix_slot_date_calendar: {scan:.1f} ms"
    )
    print(
        "The dates of the range joined to their slot, sequence and session alone (what the copies"
        f" of date_state.py spare the month's statement): {floor:.1f} ms"
    )
    print("\nEXPLAIN ANALYZE of the month view's statement (4 a day):\n```\n" + "\n".join(lines) + "\n```\n")


def index_scan(start: date, end: date, runs: int) -> float:
    """Median ms of the bare index scan of the range's dates (day, hours, room, cancelled): no join."""
    scan = sa.select(
        sa.func.count(),
        sa.func.max(SlotDate.end_time),
        sa.func.max(SlotDate.room_id),
        sa.func.count(SlotDate.cancelled),
    ).where(SlotDate.day >= start, SlotDate.day < end)
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        db.session.execute(scan).all()
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations)


def join_floor(start: date, end: date, runs: int) -> float:
    """Median ms of the range's dates with their session: what a calendar statement without the
    copies of date_state.py would do at the least."""
    floor = (
        sa.select(sa.func.count(), sa.func.max(TrainingSession.code))
        .select_from(SlotDate)
        .join(Slot, Slot.id == SlotDate.slot_id)
        .join(Sequence, Sequence.id == Slot.sequence_id)
        .join(TrainingSession, TrainingSession.id == Sequence.session_id)
        .where(SlotDate.day >= start, SlotDate.day < end)
    )
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        db.session.execute(floor).all()
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations)


def time_browser(app, month: date, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{url}/login")
            page.fill("input[name=email]", ADMIN_EMAIL)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/admin/")
            timings = []
            for run in range(runs + 1):
                page.goto(f"{url}/admin/calendar/?date={month.isoformat()}", wait_until="commit")
                page.wait_for_selector("#calendar[data-loaded] .fc-event", timeout=60_000)
                drawn = page.evaluate("() => performance.now()")
                loaded = int(page.get_attribute("#calendar", "data-loaded"))
                shown = page.locator("#calendar .fc-event").count()
                if run:  # the first visit warms the caches up
                    timings.append(drawn)
            browser.close()
    finally:
        server.shutdown()
        thread.join()
    print(
        f"Chromium, navigation → month drawn ({loaded:,} dates loaded, {shown} drawn, the rest behind "
        f"« +N autres »), {runs} runs: median {statistics.median(timings):.0f} ms, "
        f"max {max(timings):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--month", default="2027-03", help="YYYY-MM")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--browser-runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-jit", action="store_true", help="connect with PostgreSQL's JIT off")
    args = parser.parse_args()
    month = date.fromisoformat(f"{args.month}-01")
    url = args.database_url
    if args.no_jit:
        url += ("&" if "?" in url else "?") + "options=-c%20jit%3Doff"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    ensure_admin(app)
    with app.app_context():
        if not db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)):
            raise SystemExit("no session: seed the database with bench/seed_sessions.py first")
        db.session.remove()
    start, end = visible_range(month)
    time_json(app, logged_in_client(app), start, end, args.runs)
    if not args.no_browser:
        time_browser(app, month, args.browser_runs)


if __name__ == "__main__":
    main()
