"""Partner import as jobs, against a real Redis with a burst worker: an upload waits in the queue and
a worker runs it; the minute job queues the partners whose schedule matches; two runs of one partner
never overlap; a run whose worker died resumes where it stopped; running a job twice changes nothing."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from rq import Queue, SimpleWorker
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from trainadmin.extensions import db as _db
from trainadmin.jobs.imports import import_due_partners, run_import
from trainadmin.models import FeedSource, ImportRun, ImportStatus, Role, TrainingSession
from trainadmin.services.imports import runs as import_runs
from trainadmin.services.imports.runs import perform_run, queue_due_runs, queue_run

from . import factories
from .conftest import count_rows

pytestmark = pytest.mark.redis


def feed(*references: str) -> bytes:
    rows = [
        f"{ref};Sécurité;Session {ref};2027-06-{7 + i:02d};09:00;17:00" for i, ref in enumerate(references)
    ]
    return ("reference;training;title;date;start_time;end_time\n" + "\n".join(rows) + "\n").encode()


def fr(message: str, **values) -> str:
    with force_locale("fr"):
        return gettext(message, **values)


def work(queue: Queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


@pytest.fixture
def partner(db):
    factories.make_training(name="Sécurité")
    return factories.make_partner(name="Partenaire RQ")


def test_an_upload_waits_in_the_queue_and_a_burst_worker_runs_it(login_as, partner, redis_queue, db):
    client = login_as(Role.MANAGER)
    values = {
        "csrf_token": client.csrf,
        "partner": str(partner.id),
        "action": "upload",
        "file": FileStorage(io.BytesIO(feed("Q1", "Q2")), "sessions.csv"),
    }
    boundary, body = encode_multipart(values)
    response = client.post(
        "/admin/imports/start/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    run = db.session.scalars(sa.select(ImportRun)).one()
    assert response.headers["Location"] == f"/admin/imports/details/?id={run.id}"
    assert run.status == ImportStatus.QUEUED and redis_queue.count == 1
    waiting = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert 'http-equiv="refresh"' in waiting and 'id="run-progress"' in waiting
    assert count_rows(db, TrainingSession) == 0

    work(redis_queue)

    db.session.expire_all()
    assert (run.status, run.created_count, run.processed, run.total) == (ImportStatus.SUCCEEDED, 2, 2, 2)
    assert run.payload is None  # the file is dropped once the run succeeded
    done = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert 'http-equiv="refresh"' not in done and 'id="count-created">2<' in done
    assert redis_queue.fetch_job(f"import-run-{run.id}").get_status() == "finished"


def test_the_minute_job_queues_the_partners_whose_schedule_matches(partner, redis_queue, db, import_folder):
    path = import_folder / "feed.csv"
    path.write_bytes(feed("S1"))
    partner.source_kind, partner.source, partner.schedule = FeedSource.PATH, str(path), "* * * * *"
    idle = factories.make_partner(name="Sans planification", source_kind=FeedSource.PATH, source=str(path))
    inactive = factories.make_partner(
        name="Inactif", source_kind=FeedSource.PATH, source=str(path), schedule="* * * * *", active=False
    )
    db.session.commit()

    ids = import_due_partners()

    runs = db.session.scalars(sa.select(ImportRun)).all()
    assert [r.id for r in runs] == ids and [r.partner_id for r in runs] == [partner.id]
    assert runs[0].scheduled and runs[0].status == ImportStatus.QUEUED
    assert import_due_partners() == []  # the same minute, or a run in progress: nothing more
    work(redis_queue)
    db.session.expire_all()
    assert runs[0].status == ImportStatus.SUCCEEDED and runs[0].created_count == 1
    assert {idle.id, inactive.id}.isdisjoint({r.partner_id for r in db.session.scalars(sa.select(ImportRun))})


def test_schedules_are_read_in_local_time_once_per_minute(app, partner, db, tmp_path):
    partner.source_kind, partner.source, partner.schedule = FeedSource.PATH, str(tmp_path), "30 6 * * 1-5"
    monday_0630_paris = datetime(2027, 3, 15, 5, 30, 20, tzinfo=UTC)  # 06:30 in Paris (UTC+1)
    assert queue_due_runs(monday_0630_paris - timedelta(minutes=1)) == []
    assert queue_due_runs(monday_0630_paris + timedelta(days=5)) == []  # a Saturday
    [run] = queue_due_runs(monday_0630_paris)
    assert run.scheduled_for == monday_0630_paris.replace(second=0)
    run.status = ImportStatus.SUCCEEDED  # done within the minute: still not queued twice
    _db.session.flush()
    assert queue_due_runs(monday_0630_paris + timedelta(seconds=30)) == []
    assert queue_due_runs(monday_0630_paris + timedelta(days=1)) != []


def test_two_runs_of_one_partner_never_overlap(partner, db):
    first = queue_run(partner, data=feed("O1"))
    first.status, first.heartbeat_at = ImportStatus.RUNNING, datetime.now(UTC)
    second = import_runs.ImportRun(partner=partner, payload=feed("O2"), status=ImportStatus.QUEUED)
    db.session.add(second)
    db.session.commit()

    perform_run(second.id, checkpoint=_db.session.commit)

    assert second.status == ImportStatus.FAILED
    assert second.error == fr(
        "Not started: run %(id)s of this partner was still running. Start this one again once it has ended.",
        id=first.id,
    )
    assert count_rows(db, TrainingSession) == 0
    with pytest.raises(IntegrityError), _db.session.begin_nested():  # the database itself refuses
        second.status = ImportStatus.RUNNING
        _db.session.flush()


def test_a_run_whose_worker_died_is_taken_over_and_resumes_where_it_stopped(partner, db, monkeypatch):
    monkeypatch.setattr(import_runs, "BATCH_SIZE", 2)
    run = queue_run(partner, data=feed("C1", "C2", "C3", "C4", "C5"))
    db.session.commit()
    calls = []

    class WorkerKilled(BaseException):
        pass

    def dying_checkpoint():
        calls.append(1)
        if len(calls) == 4:  # claim, first batch, second batch, killed before the third's commit
            raise WorkerKilled
        _db.session.commit()

    with pytest.raises(WorkerKilled):
        perform_run(run.id, checkpoint=dying_checkpoint)
    _db.session.rollback()
    _db.session.expire_all()
    assert (run.status, run.processed, run.created_count) == (ImportStatus.RUNNING, 4, 4)
    assert count_rows(db, TrainingSession) == 4

    assert perform_run(run.id, checkpoint=_db.session.commit).status == ImportStatus.RUNNING  # still alive
    run.heartbeat_at = datetime.now(UTC) - timedelta(minutes=5)  # …until its heartbeat stops
    db.session.commit()

    perform_run(run.id, checkpoint=_db.session.commit)

    assert (run.status, run.processed, run.created_count, run.unchanged_count) == (
        ImportStatus.SUCCEEDED,
        5,
        5,
        0,
    )
    refs = db.session.scalars(sa.select(TrainingSession.external_ref).order_by(TrainingSession.external_ref))
    assert list(refs) == ["C1", "C2", "C3", "C4", "C5"]


def test_running_the_job_twice_changes_nothing(partner, db):
    run = queue_run(partner, data=feed("T1"))
    db.session.commit()
    first = run_import(run.id)
    assert first == {
        "id": run.id,
        "status": "succeeded",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "flagged": 0,
    }
    assert run_import(run.id) == first
    assert count_rows(db, TrainingSession) == 1
    assert run_import(999_999) is None


def test_the_job_result_and_its_log_line_say_how_the_run_ended(partner, db, caplog):
    bad_row = "J9;Sécurité;Session J9;2027-06-20;25:00;17:00\n".encode()
    mixed = queue_run(partner, data=feed("J1") + bad_row, start=False)  # the job below runs it
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="trainadmin.job"):
        result = run_import(mixed.id)
    assert (result["status"], result["created"], result["rejected"]) == ("with_rejections", 1, 1)
    [record] = [r for r in caplog.records if r.name == "trainadmin.job"]
    assert record.state == "with_rejections" and record.outcome == "ok"
    assert record.getMessage() == "job trainadmin.jobs.imports.run_import ok: with_rejections"

    caplog.clear()
    failed = queue_run(
        partner, data=b"reference;training;title;date;start_time;end_time\n" + bad_row, start=False
    )
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="trainadmin.job"):
        result = run_import(failed.id)
    assert (result["status"], result["created"], result["rejected"]) == ("failed", 0, 1)
    [record] = [r for r in caplog.records if r.name == "trainadmin.job"]
    assert record.state == "failed"
