"""Count the tallies « Rapports » reads again from the rows, and copy what each slot date books for
« Planning », over every session of a database filled in bulk (bench/seed_activity.py writes marks,
signatures, survey links and responses with COPY, past the services that keep the tallies):

    python bench/recount_tallies.py --database-url URL

One transaction: each demande's half-days, each slot date's present participants, each session's
score sums and survey counts (trainadmin/services/tallies.py, `recount_all`); each date's room,
cancelled state and trainers (trainadmin/services/planning/date_state.py, `refresh_date_state`);
then the tables are analysed.
"""

from __future__ import annotations

import argparse
import time

from trainadmin import create_app
from trainadmin.extensions import db
from trainadmin.services import tallies
from trainadmin.services.planning import refresh_date_state

TABLES = ("training_request", "slot_date", "survey_score", "survey_tally", "trainer_booking")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        started = time.perf_counter()
        tallies.recount_all()
        refresh_date_state()
        db.session.commit()
        counted = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for table in TABLES:
                    connection.exec_driver_sql(f"VACUUM ANALYZE {table}")
    print(f"tallies counted and slot dates' bookings copied again in {counted:.1f} s")


if __name__ == "__main__":
    main()
