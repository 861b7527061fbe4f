"""Time saving a slot on a big session: 30 sequences × 5 slots × 3 dates, derived values recomputed.

    python bench/planning_save.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench_planning \
        [--sequences 30] [--slots 5] [--runs 50]

The schema is rebuilt from the migrations. Each run changes one slot's three dates through the same
service the planning editor calls (checks, conflicts, derived dates and durations, history) and
commits. Prints the median, the p95 and the SQL statements per save; compare with --sequences 1
--slots 1 to see that the statement count does not grow with the planning.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta
from datetime import time as clock

import sqlalchemy as sa

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import Location, Room, Sequence, Slot, SlotDate, Trainer, Training
from trainadmin.services.planning import SlotInput, save_slot
from trainadmin.services.sessions import new_session

from _common import fresh_schema


def prepare(app, sequences: int, slots: int) -> tuple[int, int]:
    fresh_schema(app)
    with app.app_context():
        training = Training(name="Parcours managers", capacity_min=4, capacity_target=8, capacity_max=12)
        location = Location(
            name="Campus Lyon", rooms=[Room(name=f"Salle {n}", capacity=20) for n in range(5)]
        )
        trainer = Trainer(first_name="Claire", last_name="Martin", email="claire.martin@example.com")
        db.session.add_all([training, location, trainer])
        db.session.flush()
        session = new_session(training, 2027)
        start = date(2027, 1, 4)
        for s in range(sequences):
            sequence = Sequence(label=f"Module {s + 1}", position=s)
            session.sequences.append(sequence)
            for n in range(slots):
                first = start + timedelta(weeks=s, days=n * 3)
                slot = Slot(location=location, room=location.rooms[n % 5], trainers=[trainer])
                slot.dates = [
                    SlotDate(
                        day=first + timedelta(days=k),
                        start_time=clock(9),
                        end_time=clock(17),
                        break_minutes=60,
                    )
                    for k in range(3)
                ]
                sequence.slots.append(slot)
        db.session.commit()
        slot_id = session.sequences[-1].slots[-1].id
        return session.id, slot_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sequences", type=int, default=30)
    parser.add_argument("--slots", type=int, default=5)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    _, slot_id = prepare(app, args.sequences, args.slots)
    statements: list[int] = []
    timings = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        for run in range(args.runs + 3):
            statements.clear()
            started = time.perf_counter()
            slot = db.session.get(Slot, slot_id)
            first = date(2028, 1, 3) + timedelta(days=7 * (run % 40))
            data = SlotInput(
                location_id=slot.location_id,
                room_id=slot.room_id,
                trainer_ids=[t.id for t in slot.trainers],
                dates=[(first + timedelta(days=k), clock(9), clock(17), 60) for k in range(3)],
            )
            save_slot(slot.sequence, data, user=None, slot=slot)
            db.session.commit()
            elapsed = (time.perf_counter() - started) * 1000
            db.session.remove()
            if run >= 3:
                timings.append(elapsed)
        count = len(statements)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    total = args.sequences * args.slots
    print(
        f"| save a slot of a session with {args.sequences} sequences × {args.slots} slots ({total} slots, "
        f"{total * 3} dates) | {statistics.median(timings):.1f} ms | {p95:.1f} ms | {count} |"
    )


if __name__ == "__main__":
    main()
