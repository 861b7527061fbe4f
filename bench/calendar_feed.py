"""Time the staff's calendar feeds (a room's, the place's, a trainer's, a user's own sessions) on a
database seeded by `bench/seed_sessions.py`.

    .venv/bin/python bench/seed_sessions.py --database-url postgresql://postgres@127.0.0.1/<db> \
        --sessions 100000 --fresh
    .venv/bin/python bench/calendar_feed.py --database-url postgresql://postgres@127.0.0.1/<db> [--runs 5]

For each feed (median / worst of the runs): how many events and bytes it writes; the time of its
ETag's query, of its events' query and of writing its text; a whole GET answered 200 and a
conditional GET answered 304, through the app, with their SQL statements; the peak of the Python
memory allocated by one GET 200 (`tracemalloc`). `--today` is the day the feeds take as today. The
user of « Mes sessions » is a bench account with the first seeded trainer's e-mail address who
created a thousand of the sessions.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import tracemalloc
from datetime import date
from functools import partial

import sqlalchemy as sa

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import Location, Role, Room, Slot, Trainer, TrainingSession, User
from trainadmin.services import links
from trainadmin.services.links import FeedOf, FeedSubject, calendar_feeds, feed_ics, feeds
from trainadmin.services.links.feeds import STAFF_FEED
from trainadmin.services.users import create_user

from _common import ensure_database

BENCH_NAME = "Bench feeds"
TIMES = ("etag", "query", "text")


def subjects() -> list[tuple[str, FeedSubject]]:
    location = db.session.scalars(sa.select(Location).order_by(Location.id)).first()
    busiest_room = db.session.execute(
        sa.select(Slot.room_id, sa.func.count()).group_by(Slot.room_id).order_by(sa.func.count().desc())
    ).first()[0]
    trainer = db.session.scalars(sa.select(Trainer).order_by(Trainer.id)).first()
    user = db.session.scalars(sa.select(User).where(User.full_name == BENCH_NAME)).first()
    if user is None:  # the trainer, as a member of the staff too
        user = create_user(trainer.email, Role.MANAGER, "bench-feed-password", full_name=BENCH_NAME)
        ids = db.session.scalars(sa.select(TrainingSession.id).order_by(TrainingSession.id).limit(1000)).all()
        db.session.execute(
            sa.update(TrainingSession).where(TrainingSession.id.in_(ids)).values(created_by_id=user.id)
        )
        db.session.commit()
    room = db.session.get(Room, busiest_room)
    return [
        (f"room « {room.name} » (the busiest)", FeedSubject(FeedOf.ROOM, room.id)),
        (f"place « {location.name} » (all rooms)", FeedSubject(FeedOf.LOCATION, location.id)),
        (f"trainer {trainer}", FeedSubject(FeedOf.TRAINER, trainer.id)),
        ("« Mes sessions » (1,000 created + taught)", FeedSubject(FeedOf.USER, user.id)),
    ]


class Statements:
    """Counts the SQL statements sent while it is listening."""

    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def measure(app, subject: FeedSubject, runs: int, today: date) -> dict:
    link, token = links.new_feed_link(subject, "bench@example.com")
    db.session.commit()
    found: dict[str, list[float]] = {"etag": [], "query": [], "text": [], "get": [], "304": []}
    client = app.test_client()
    url = f"/l/{token}/calendar.ics"
    for _ in range(runs):
        db.session.expire_all()
        feed = links.staff_feed(link, today)
        chosen = calendar_feeds.selection(subject)
        ms, _etag = timed(partial(feeds.feed_etag, chosen, STAFF_FEED, today, link.id))
        found["etag"].append(ms)
        ms, events = timed(partial(links.staff_feed_events, subject, today))
        found["query"].append(ms)
        ms, _text = timed(partial(feed_ics.calendar_text, calendar_feeds.feed_name(link), events, today))
        found["text"].append(ms)
        db.session.rollback()
        with Statements() as first:
            ms, response = timed(partial(client.get, url))
        assert response.status_code == 200, response.status_code
        found["get"].append(ms)
        with Statements() as again:
            conditional = {"If-None-Match": response.headers["ETag"]}
            ms, unchanged = timed(partial(client.get, url, headers=conditional))
        assert unchanged.status_code == 304, unchanged.status_code
        found["304"].append(ms)
        assert response.headers["ETag"].strip('"') == feed.etag
    tracemalloc.start()
    client.get(url)
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "events": len(events),
        "bytes": len(response.get_data()),
        "statements": (first.count, again.count),
        "peak": peak,
        **{name: (statistics.median(times), max(times)) for name, times in found.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 12, 5))
    args = parser.parse_args()
    ensure_database(args.database_url)
    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "bench",
            "REDIS_URL": "",
            "TRAINADMIN_LINK_LIMIT": "100000/minute",
        }
    )
    logging.getLogger("trainadmin.request").setLevel(logging.WARNING)
    feeds.local_today = lambda: args.today  # the day the HTTP answers take as today
    with app.app_context(), app.test_request_context():
        sessions = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))
        print(f"\n#### Calendar feeds over {sessions:,} sessions (today {args.today}, {args.runs} runs)\n")
        print(
            "| feed | events | size | ETag query ms | events' query ms | text ms "
            "| GET 200 ms (statements) | GET 304 ms (statements) | peak memory of a GET |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        )
        for name, subject in subjects():
            found = measure(app, subject, args.runs, args.today)
            print(
                f"| {name} | {found['events']:,} | {found['bytes'] / 1024:,.0f} KiB "
                + " ".join(
                    f"| {found[key][0]:,.0f} / {found[key][1]:,.0f}" for key in ("etag", "query", "text")
                )
                + f" | {found['get'][0]:,.0f} / {found['get'][1]:,.0f} ({found['statements'][0]})"
                f" | {found['304'][0]:,.0f} / {found['304'][1]:,.0f} ({found['statements'][1]})"
                f" | {found['peak'] / 2**20:,.0f} MiB |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
