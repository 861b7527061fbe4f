"""bench/import_partner.py still runs: its quick mode imports 200 sessions, then the same file again.

It rebuilds the schema of its own database: TRAINADMIN_BENCH_DATABASE_URL, or the test database's name
followed by `_bench_import` on the same server (never the test database itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from .conftest import PG_URL, need

ROOT = Path(__file__).resolve().parent.parent


def bench_database_url() -> str:
    if os.environ.get("TRAINADMIN_BENCH_DATABASE_URL"):
        return os.environ["TRAINADMIN_BENCH_DATABASE_URL"]
    if not PG_URL:
        need("PostgreSQL", "the benchmark needs a PostgreSQL server: set TRAINADMIN_TEST_DATABASE_URL")
    url = make_url(PG_URL)
    return url.set(database=f"{url.database}_bench_import").render_as_string(hide_password=False)


def test_the_partner_import_bench_runs_in_quick_mode_and_ends_by_itself():
    url = bench_database_url()
    assert make_url(url).database != make_url(PG_URL or url).database or not PG_URL
    done = subprocess.run(
        [sys.executable, "bench/import_partner.py", "--quick", "--database-url", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "| first (all new) |" in done.stdout and "(200, 0, 0, 0)" in done.stdout
    assert "| same file again |" in done.stdout and "(0, 0, 200, 0)" in done.stdout
    assert "met" in done.stdout.splitlines()[-1]
