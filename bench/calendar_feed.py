"""Time the staff's calendar feeds (a room's, the place's, a trainer's, a user's own sessions) on a
database seeded by `bench/seed_sessions.py`.

    .venv/bin/python bench/seed_sessions.py --database-url postgresql://postgres@127.0.0.1/<db> \
        --sessions 100000 --fresh
    .venv/bin/python bench/calendar_feed.py --database-url postgresql://postgres@127.0.0.1/<db> [--runs 5]

For each feed: how many events and bytes it writes, the SQL statements of its events (one) and the
median and worst time of the events' query and of the whole text. The user of « Mes sessions » is a
bench account with the first seeded trainer's e-mail address who created a thousand of the sessions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date

import sqlalchemy as sa

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import Location, Role, Room, Slot, Trainer, TrainingSession, User
from trainadmin.services import links
from trainadmin.services.links import FeedOf, FeedSubject
from trainadmin.services.users import create_user

from _common import ensure_database

BENCH_NAME = "Bench feeds"


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


def measure(subject: FeedSubject, runs: int, today: date) -> dict:
    link, _token = links.new_feed_link(subject, "bench@example.com")
    db.session.commit()
    query_times, text_times, statements, size, count = [], [], 0, 0, 0
    for _ in range(runs):
        db.session.expire_all()
        seen: list[str] = []

        def listener(*args, seen=seen, **kwargs):
            seen.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        events = links.staff_feed_events(subject, today)
        queried = time.perf_counter()
        sa.event.remove(db.engine, "before_cursor_execute", listener)
        statements = len(seen)
        text = links.staff_feed_text(link, today)
        done = time.perf_counter()
        query_times.append((queried - started) * 1000)
        text_times.append((done - queried) * 1000)
        size, count = len(text.encode()), len(events)
        db.session.rollback()
    return {
        "events": count,
        "bytes": size,
        "statements": statements,
        "query": (statistics.median(query_times), max(query_times)),
        "text": (statistics.median(text_times), max(text_times)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 12, 5))
    args = parser.parse_args()
    ensure_database(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "REDIS_URL": ""})
    with app.app_context(), app.test_request_context():
        sessions = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))
        print(f"\n#### Calendar feeds over {sessions:,} sessions (today {args.today}, {args.runs} runs)\n")
        print(
            "| feed | events | size | events' SQL statements | events' query median / max ms "
            "| whole text median / max ms |\n|---|---:|---:|---:|---:|---:|"
        )
        for name, subject in subjects():
            found = measure(subject, args.runs, args.today)
            print(
                f"| {name} | {found['events']:,} | {found['bytes'] / 1024:,.0f} KiB | {found['statements']} "
                f"| {found['query'][0]:,.0f} / {found['query'][1]:,.0f} "
                f"| {found['text'][0]:,.0f} / {found['text'][1]:,.0f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
