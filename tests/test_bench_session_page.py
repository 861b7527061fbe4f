"""bench/session_page.py still runs: its quick mode times the three tabs and the two fragments of a
small session.

It rebuilds the schema of its own database: the test database's name followed by
`_bench_session_page` on the same server (never the test database itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from .conftest import PG_URL, need

ROOT = Path(__file__).resolve().parent.parent


def test_the_session_page_bench_runs_in_quick_mode_and_ends_by_itself():
    if not PG_URL:
        need("PostgreSQL", "the benchmark needs a PostgreSQL server: set TRAINADMIN_TEST_DATABASE_URL")
    url = make_url(PG_URL)
    database = url.set(database=f"{url.database}_bench_session_page").render_as_string(hide_password=False)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "bench/session_page.py", "--quick", "--database-url", database],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for case in ("general", "planning", "participants", "sequence opened", "planning: sequence opened"):
        assert f"| {case} |" in done.stdout
    assert "not judged (--quick)" in done.stdout.splitlines()[-1]
