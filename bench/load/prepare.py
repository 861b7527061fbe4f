"""Prepare the load test's database: the bench administrator, then print the ids of the sessions
the virtual users open and edit (a few "hot" ones, so that concurrent saves collide).

Usage: python bench/load/prepare.py --database-url URL [--hot 10] [--open 200]
(the sessions themselves come from bench/seed_sessions.py, run before by run.sh)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainadmin import create_app  # noqa: E402
from trainadmin.extensions import db  # noqa: E402
from trainadmin.models import TrainingSession  # noqa: E402

from _common import ensure_admin  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--hot", type=int, default=10, help="sessions edited by everyone")
    parser.add_argument("--open", type=int, default=200, help="sessions opened")
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "load-prepare", "REDIS_URL": ""})
    ensure_admin(app)
    with app.app_context():
        ids = db.session.scalars(
            sa.select(TrainingSession.id).order_by(TrainingSession.id).limit(args.hot + args.open)
        ).all()
        query = sa.select(TrainingSession.id, TrainingSession.version).where(TrainingSession.id.in_(ids))
        versions = {row.id: row.version for row in db.session.execute(query)}
    print(json.dumps({"hot": ids[: args.hot], "open": ids[args.hot :], "versions": versions}))


if __name__ == "__main__":
    main()
