"""The benches end by themselves and leave nothing running: `bench/notification_tick.py --quick` runs
here against the test services (in a database of its own, `<test database>_bench_tick`), to the end and
cut short by Ctrl-C, and its RQ worker and SMTP server are gone afterwards either way."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from .conftest import PG_URL, need

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "notification_tick.py"


@pytest.fixture
def bench_command(redis_url) -> list[str]:
    if not PG_URL:
        need("PostgreSQL", "set TRAINADMIN_TEST_DATABASE_URL (the benches need PostgreSQL)")
    url = make_url(PG_URL)
    database = url.set(database=f"{url.database}_bench_tick").render_as_string(hide_password=False)
    return [sys.executable, str(BENCH), "--quick", "--database-url", database, "--redis-url", redis_url]


def started_pids(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"(?:SMTP server|rq worker) pid (\d+)", output)]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A child of the bench that exited but was not reaped shows as a zombie: it is gone too.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" in status.read_text()


def test_the_notification_bench_runs_to_the_end_in_seconds_and_stops_what_it_started(bench_command):
    started = time.monotonic()
    result = subprocess.run(bench_command, cwd=ROOT, capture_output=True, text=True, timeout=240)  # noqa: S603
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert time.monotonic() - started < 240
    assert "raw smtplib floor" in result.stdout and "sending per worker" in result.stdout
    assert re.search(r"Empty tick among 2,000 schedule rows .* 5 SQL statements", result.stdout)
    pids = started_pids(result.stdout)
    assert len(pids) == 2, result.stdout
    assert all(gone(pid) for pid in pids)


def test_the_notification_bench_cut_short_stops_its_worker_and_smtp_server(bench_command):
    process = subprocess.Popen(  # noqa: S603
        bench_command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = []
    try:
        for line in process.stdout:  # read as it comes: nothing of the bench waits on a full pipe
            output.append(line)
            if line.startswith("rq worker pid"):
                break
        process.send_signal(signal.SIGINT)  # Ctrl-C while its worker waits
        rest, _ = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output.append(rest)
    text = "".join(output)
    pids = started_pids(text)
    assert len(pids) == 2, text
    deadline = time.monotonic() + 10
    while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(gone(pid) for pid in pids), text
    assert process.returncode != 0, text


def test_the_link_check_bench_runs_and_checks_a_token_with_one_indexed_query():
    if not PG_URL:
        need("PostgreSQL", "set TRAINADMIN_TEST_DATABASE_URL (the benches need PostgreSQL)")
    url = make_url(PG_URL)
    database = url.set(database=f"{url.database}_bench_links").render_as_string(hide_password=False)
    command = [sys.executable, str(ROOT / "bench" / "link_check.py"), "--quick", "--database-url", database]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Index Scan using uq_access_link_token_hash" in result.stdout
    assert re.search(r"\| live token \| [\d.]+ \| [\d.]+ \| 1 \|", result.stdout), result.stdout
    assert re.search(r"\| unknown token \| [\d.]+ \| [\d.]+ \| 1 \|", result.stdout), result.stdout
