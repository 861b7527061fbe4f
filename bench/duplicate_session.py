"""Time « Dupliquer » on a session with 20 sequences (and e-mail rules), as the wizard runs it.

    python bench/duplicate_session.py --database-url postgresql://postgres@127.0.0.1/trainadmin_bench_dup \
        [--sequences 20] [--runs 50]

The database's schema is rebuilt from the migrations. Each run duplicates the same source in its
own transaction and commits, like a request does. Prints the median, the p95 and the number of SQL
statements per duplication.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

import sqlalchemy as sa

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.models import EmailAnchor, EmailKind, EmailRule, Sequence, Training, TrainingSession
from trainadmin.services.sessions import duplicate_session, new_session

from _common import fresh_schema


def prepare(app, sequences: int) -> int:
    fresh_schema(app)
    with app.app_context():
        training = Training(
            name="Management — les fondamentaux", capacity_min=4, capacity_target=8, capacity_max=12
        )
        db.session.add(training)
        db.session.flush()
        source = new_session(training, 2027)
        source.sequences = [
            Sequence(label=f"Module {n + 1}", position=n, hot_survey_enabled=True, cold_survey_delay_days=60)
            for n in range(sequences)
        ]
        db.session.flush()
        present = set(db.session.scalars(sa.select(EmailRule.kind).where(EmailRule.session_id == source.id)))
        db.session.add_all(  # every kind of e-mail (new_session copies the defaults that exist)
            EmailRule(
                session=source,
                kind=kind,
                anchor=EmailAnchor.SEQUENCE_START,
                delay_days=-7,
                subject=kind.value,
                body="Bonjour",
            )
            for kind in EmailKind
            if kind not in present
        )
        db.session.commit()
        return source.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sequences", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    source_id = prepare(app, args.sequences)
    statements = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        timings = []
        for run in range(args.runs + 3):
            statements.clear()
            started = time.perf_counter()
            source = db.session.get(TrainingSession, source_id)
            duplicate_session(source, 2028, date(2028, 3, 6), date(2028, 3, 17))
            db.session.commit()
            elapsed = (time.perf_counter() - started) * 1000
            db.session.remove()
            if run >= 3:  # warm-up
                timings.append(elapsed)
        count = len(statements)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"| duplicate a session with {args.sequences} sequences | {statistics.median(timings):.1f} ms "
        f"| {p95:.1f} ms | {count} |"
    )


if __name__ == "__main__":
    main()
