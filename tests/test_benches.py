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


def test_the_activity_seed_gives_the_seeded_sessions_demandes_attendance_costs_and_surveys_the_app_reads():
    """bench/seed_activity.py after bench/seed_sessions.py, on a few hundred sessions: seat counts
    match the enrolled demandes within capacity, attendance and responses belong to enrolled
    participants, and the « Présences », « Coûts » and « Évaluation » tabs' services read them back."""
    if not PG_URL:
        need("PostgreSQL", "set TRAINADMIN_TEST_DATABASE_URL (the benches need PostgreSQL)")
    url = make_url(PG_URL)
    database = url.set(database=f"{url.database}_bench_activity").render_as_string(hide_password=False)
    activity = [sys.executable, str(ROOT / "bench" / "seed_activity.py"), "--database-url", database]
    sessions = [sys.executable, str(ROOT / "bench" / "seed_sessions.py"), "--database-url", database]
    for command in (sessions + ["--sessions", "300", "--fresh"], activity + ["--today", "2027-01-15"]):
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)  # noqa: S603
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"training_request\s+[\d,]+", result.stdout), result.stdout
    again = subprocess.run(activity + ["--reuse"], cwd=ROOT, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert again.returncode == 0 and "reused" in again.stdout, again.stdout + again.stderr

    check_seeded_activity(database)


def check_seeded_activity(database: str) -> None:
    import sqlalchemy as sa

    from trainadmin import create_app
    from trainadmin.extensions import db
    from trainadmin.models import SurveyResponse, TrainingSession
    from trainadmin.services.evaluations import results
    from trainadmin.services.money import session_costs, session_financing, totals
    from trainadmin.services.participants.attendance import attendance_sheet

    def scalar(sql: str, **params):
        return db.session.scalar(sa.text(sql), params)

    def nothing(sql: str) -> None:
        assert scalar(sql) == 0, sql

    def busiest(sql: str) -> TrainingSession:
        top = scalar(sql + " GROUP BY session_id ORDER BY count(*) DESC, session_id LIMIT 1")
        return db.session.get(TrainingSession, top)

    app = create_app({"DATABASE_URL": database, "SECRET_KEY": "test"})
    with app.app_context():
        try:
            assert scalar("SELECT count(*) FROM collaborator") == 200
            assert scalar("SELECT sum(enrolled_count) FROM training_session") > 1000
            nothing(
                "SELECT count(*) FROM training_session s WHERE s.enrolled_count > s.capacity_max "
                "OR s.enrolled_count <> (SELECT count(*) FROM training_request r "
                "WHERE r.session_id = s.id AND r.status = 'enrolled')"
            )
            nothing(
                "SELECT count(*) FROM training_session s WHERE s.publication = 'published' "
                "AND NOT EXISTS (SELECT 1 FROM training_request r WHERE r.session_id = s.id)"
            )
            nothing(
                "SELECT count(*) FROM training_request r JOIN training_session s ON s.id = r.session_id "
                "WHERE s.publication = 'draft' "
                "OR (r.status LIKE 'pending%' AND s.end_date < '2027-01-15')"
            )
            # What each date books, copied as the services would (date_state.py) for « Planning ».
            nothing(
                "SELECT count(*) FROM slot_date d JOIN slot s ON s.id = d.slot_id "
                "JOIN sequence q ON q.id = s.sequence_id JOIN training_session t ON t.id = q.session_id "
                "WHERE d.room_id IS DISTINCT FROM s.room_id "
                "OR d.cancelled <> (q.status = 'cancelled' OR t.status = 'cancelled')"
            )
            nothing(
                "SELECT count(*) FROM slot_date d JOIN slot_trainer st ON st.slot_id = d.slot_id "
                "WHERE NOT EXISTS (SELECT 1 FROM trainer_booking b WHERE b.slot_date_id = d.id "
                "AND b.trainer_id = st.trainer_id AND b.day = d.day AND b.start_time = d.start_time "
                "AND b.end_time = d.end_time AND b.cancelled = d.cancelled)"
            )
            assert scalar("SELECT count(*) FROM trainer_booking") == scalar(
                "SELECT count(*) FROM slot_date d JOIN slot_trainer st ON st.slot_id = d.slot_id"
            )
            # Sessions open to some populations have only demandes of their members.
            assert scalar("SELECT count(*) FROM session_population") > 0
            nothing(
                "SELECT count(*) FROM training_request r "
                "WHERE EXISTS (SELECT 1 FROM session_population sp WHERE sp.session_id = r.session_id) "
                "AND NOT EXISTS (SELECT 1 FROM session_population sp "
                "JOIN collaborator_population cp ON cp.population_id = sp.population_id "
                "WHERE sp.session_id = r.session_id AND cp.collaborator_id = r.collaborator_id)"
            )
            nothing(
                "SELECT count(*) FROM attendance a JOIN training_request r ON r.id = a.request_id "
                "JOIN slot_date d ON d.id = a.slot_date_id "
                "WHERE r.status <> 'enrolled' OR d.day >= '2027-01-15'"
            )
            presences = dict(
                db.session.execute(sa.text("SELECT value, count(*) FROM attendance GROUP BY value")).all()
            )
            assert set(presences) == {"present", "absent", "excused"}
            assert presences["present"] > 10 * (presences["absent"] + presences["excused"])
            # The tallies « Rapports » reads are counted too: a date with marks has its present count.
            nothing(
                "SELECT count(*) FROM slot_date d WHERE d.present_participants IS NULL "
                "AND EXISTS (SELECT 1 FROM attendance a WHERE a.slot_date_id = d.id)"
            )
            assert scalar("SELECT count(*) FROM survey_tally") > 0
            nothing(
                "SELECT count(*) FROM survey_response v JOIN training_request r ON r.id = v.request_id "
                "WHERE r.status <> 'enrolled' OR r.session_id <> v.session_id"
            )
            kinds = set(db.session.scalars(sa.text("SELECT DISTINCT kind FROM survey_response")))
            assert kinds == {"hot", "cold"}

            # « Présences »: every half-day recorded is one the tab shows, with its rate.
            session = busiest(
                "SELECT r.session_id FROM attendance a JOIN training_request r ON r.id = a.request_id"
            )
            sheet = attendance_sheet(session)
            recorded = scalar(
                "SELECT count(*) FROM attendance a JOIN training_request r ON r.id = a.request_id "
                "WHERE r.session_id = :id",
                id=session.id,
            )
            assert sum(line.recorded for line in sheet.lines) == recorded > 0
            assert sheet.rate is not None and sheet.rate > 50

            # « Coûts »: the lines and their totals, financing covering part of them.
            session = busiest("SELECT session_id FROM financing")
            costs, financing = session_costs(session), session_financing(session)
            figures = totals(session, costs, financing)
            assert costs and financing and figures.total > 0
            assert figures.total == scalar(
                "SELECT sum(CASE WHEN split = 'global' THEN amount ELSE amount * quantity END) "
                "FROM cost WHERE session_id = :id",
                id=session.id,
            )

            # « Évaluation »: the surveys sent by link, their response rates and averages from 1 to 5.
            session = busiest("SELECT session_id FROM survey_response")
            panel = results(session)
            assert panel is not None and panel.surveys
            for survey in panel.surveys:
                assert survey.invited >= survey.answered == survey.responses
                assert all(1 <= average <= 5 for _question, average in survey.averages if average is not None)
            answered = [s for s in panel.surveys if s.responses]
            assert answered and all(any(a is not None for _q, a in s.averages) for s in answered)
            for response in db.session.scalars(sa.select(SurveyResponse).limit(500)):
                assert response.answers and set(response.answers) <= set(response.evaluation.question_list)
                assert all(1 <= score <= 5 for score in response.answers.values())
        finally:
            db.session.remove()
            db.engine.dispose()
