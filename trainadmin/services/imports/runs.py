"""Import runs: queue one (a file uploaded, the feed to fetch, a partner's schedule), run it, rerun it.

A run is one line of « Imports », with its status, counts and rejected rows. Two runs of one
partner never overlap: a run becomes « running » through a conditional UPDATE that a partial unique
index (one running run per partner) lets through only once, so a second one is refused, visibly in
its own run, and the database — not Redis — is the guarantee. A running run writes a heartbeat
with its progress; one whose heartbeat stopped (its worker died) may be taken over, and resumes
after the last batch it committed, on the same file (kept in the run until it ends with sessions
imported). A run ends « succeeded », « with rejections » (some sessions rejected, each with its line
and reason) or « failed » (the file could not be read, or every session of it was rejected: then it
changes nothing, keeps its file and may be started again).

`perform_run` commits after each batch of sessions through the `checkpoint` its caller gives (the
job, the CLI): a long import must not hold one transaction for its whole length, shows its progress,
and keeps what is done if it stops.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from croniter import croniter
from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import FeedSource, ImportRejection, ImportRun, ImportStatus, Partner, User, utcnow
from ...queue import enqueue
from ...transaction import after_commit
from ..errors import DomainError
from ..history import SYSTEM_ACTOR, acting_as, change_reason
from .feeds import FeedError, fetch_url, parse, read_path
from .importer import COUNTS, Importer
from .snapshots import load_sessions

log = logging.getLogger(__name__)

RUN_JOB = "trainadmin.jobs.imports.run_import"
#: Sessions checked, written and committed together: each batch has a fixed cost (the room read, the
#: savepoint, the commit, the run's progress) of about 25 ms; a resumed run does at most one again.
BATCH_SIZE = 500
HEARTBEAT_SECONDS = 10
STALE_AFTER = timedelta(minutes=2)  # a running run without news for that long has lost its worker
LOST_AFTER = timedelta(hours=1)  # a queued run not started after that long was lost by the queue
ENDED = (ImportStatus.SUCCEEDED, ImportStatus.WITH_REJECTIONS, ImportStatus.FAILED)


def _not_stale(now: datetime):
    return sa.or_(
        sa.and_(ImportRun.status == ImportStatus.RUNNING, ImportRun.heartbeat_at >= now - STALE_AFTER),
        sa.and_(ImportRun.status == ImportStatus.QUEUED, ImportRun.queued_at >= now - LOST_AFTER),
    )


def run_in_progress(partner_id: int, now: datetime | None = None) -> ImportRun | None:
    """The partner's run that is queued or running (and alive), if any."""
    now = now or utcnow()
    return db.session.scalars(
        sa.select(ImportRun)
        .where(ImportRun.partner_id == partner_id, _not_stale(now))
        .order_by(ImportRun.id)
        .limit(1)
    ).first()


def is_stale(run: ImportRun, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if run.status == ImportStatus.RUNNING:
        return run.heartbeat_at is None or run.heartbeat_at < now - STALE_AFTER
    return run.status == ImportStatus.QUEUED and run.queued_at < now - LOST_AFTER


def queue_run(
    partner: Partner,
    user: User | None = None,
    data: bytes | None = None,
    filename: str | None = None,
    scheduled_for: datetime | None = None,
    start: bool = True,
) -> ImportRun:
    """A new run: with the file's content, or to fetch the partner's feed when it starts. Once
    committed a worker takes it (or, without Redis, it runs at once), unless `start` is False (the
    caller runs it itself)."""
    if not partner.active:
        raise DomainError(gettext("This partner is not active."), field="partner")
    current = run_in_progress(partner.id)
    if current is not None:
        raise DomainError(
            gettext(
                "An import of %(partner)s is already in progress (run %(id)s): wait until it ends.",
                partner=partner.name,
                id=current.id,
            ),
            field="partner",
        )
    if data is None and partner.source_kind == FeedSource.UPLOAD:
        raise DomainError(
            gettext("This partner has no feed to fetch: choose the file to import."), field="file"
        )
    if data is not None and not data.strip():
        raise DomainError(gettext("The file is empty."), field="file")
    run = ImportRun(
        partner=partner,
        user_id=user.id if user is not None else None,
        scheduled=scheduled_for is not None,
        scheduled_for=scheduled_for,
        payload=data,
        filename=(filename or "")[:255] or None,
        status=ImportStatus.QUEUED,
    )
    db.session.add(run)
    db.session.flush()
    if start:
        _start_after_commit(run)
    return run


def _start_after_commit(run: ImportRun) -> None:
    """Once the run's row is committed, a worker takes it (or, without Redis, it runs here)."""
    after_commit(functools.partial(start_run, run.id))


def start_run(run_id: int) -> None:
    """Whatever happens, the run says it: a failure here leaves it queued, and its page offers to
    start it again once it is stale."""
    try:
        enqueue(RUN_JOB, run_id, job_id=f"import-run-{run_id}")
    except Exception:
        log.exception("import run %s could not be started", run_id)
        db.session.rollback()


def rerun(run: ImportRun) -> ImportRun:
    """Start a failed or abandoned run again: it resumes after what it had done, on the same file;
    a run that failed because every session was rejected reads them all again."""
    if not (run.status == ImportStatus.FAILED or is_stale(run)):
        raise DomainError(gettext("Only a failed or stopped import can be started again."))
    current = run_in_progress(run.partner_id)
    if current is not None and current.id != run.id:
        raise DomainError(
            gettext(
                "An import of %(partner)s is already in progress (run %(id)s): wait until it ends.",
                partner=run.partner.name,
                id=current.id,
            )
        )
    if run.total and run.processed >= run.total and _all_rejected(run):
        # It had read every session and rejected them all: read them all again (the formation,
        # the place… they named may exist now), from the first line, with the reasons of now.
        run.processed = 0
        for name in COUNTS:
            setattr(run, f"{name}_count", 0)
        db.session.execute(sa.delete(ImportRejection).where(ImportRejection.run_id == run.id))
    run.status = ImportStatus.QUEUED
    run.queued_at = utcnow()
    run.error = None
    run.finished_at = None
    db.session.flush()
    _start_after_commit(run)
    return run


def _fail(run: ImportRun, message: str) -> None:
    run.status = ImportStatus.FAILED
    run.error = message
    run.finished_at = utcnow()
    db.session.flush()


def _claim(run: ImportRun, checkpoint: Callable[[], None]) -> bool:
    """Make the run « running », or say why not in the run; True when this process runs it."""
    now = utcnow()
    table = ImportRun.__table__
    if run.status == ImportStatus.RUNNING:  # a run whose worker died: taken over by one process only
        beat = table.c.heartbeat_at
        taken = db.session.execute(
            sa.update(table)
            .where(
                table.c.id == run.id,
                table.c.status == ImportStatus.RUNNING,
                beat.is_(None) if run.heartbeat_at is None else beat == run.heartbeat_at,
            )
            .values(heartbeat_at=now)
        ).rowcount
        checkpoint()
        db.session.refresh(run)
        return bool(taken)
    for _attempt in range(2):
        try:
            with db.session.begin_nested():
                claimed = db.session.execute(
                    sa.update(table)
                    .where(table.c.id == run.id, table.c.status == ImportStatus.QUEUED)
                    .values(status=ImportStatus.RUNNING, started_at=now, heartbeat_at=now)
                ).rowcount
        except IntegrityError:
            other = db.session.scalars(
                sa.select(ImportRun).where(
                    ImportRun.partner_id == run.partner_id, ImportRun.status == ImportStatus.RUNNING
                )
            ).first()
            if other is not None and is_stale(other, now):
                _fail(
                    other,
                    gettext(
                        "This import stopped before its end (its worker stopped); it can be started again."
                    ),
                )
                checkpoint()
                continue
            db.session.refresh(run)
            _fail(
                run,
                gettext(
                    "Not started: run %(id)s of this partner was still running. Start this one again "
                    "once it has ended.",
                    id=other.id if other is not None else "?",
                ),
            )
            checkpoint()
            return False
        checkpoint()
        db.session.refresh(run)
        return bool(claimed)
    return False


def _read_feed(run: ImportRun, checkpoint: Callable[[], None]) -> bytes:
    """The run's file: the uploaded one, or the partner's feed fetched now and kept with the run."""
    if run.payload is not None:
        return run.payload
    partner = run.partner
    if partner.source_kind == FeedSource.URL:
        name, data = fetch_url(partner.source or "")
    elif partner.source_kind == FeedSource.PATH:
        name, data = read_path(partner.source or "", partner.feed_format)
    else:
        raise FeedError(gettext("This partner has no feed to fetch: choose the file to import."))
    run.payload, run.filename = data, name[:255]
    run.heartbeat_at = utcnow()
    checkpoint()
    return data


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TRAINADMIN_TZ"])).date()


def perform_run(run_id: int, checkpoint: Callable[[], None], locale: str | None = None) -> ImportRun | None:
    """Run an import to its end, committing after each batch; safe to call twice (a finished run is
    left alone, a live one too, a dead one resumes). Messages are written in the app's language."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.status in ENDED:
        return run
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if run.status == ImportStatus.RUNNING and not is_stale(run):
            return run
        if not _claim(run, checkpoint):
            return run
        try:
            with _without_cycle_collection():
                _import(run, checkpoint)
        except FeedError as exc:
            db.session.rollback()
            _fail(run, exc.message)
            checkpoint()
        except Exception:
            db.session.rollback()
            _fail(run, gettext("The import stopped on an unexpected error; it can be started again."))
            checkpoint()
            raise
    return run


def _import(run: ImportRun, checkpoint: Callable[[], None]) -> None:
    partner = run.partner
    existing = load_sessions(partner.id)
    known = {reference: snapshot.digest for reference, snapshot in existing.items() if snapshot.digest}
    entries = parse(_read_feed(run, checkpoint), partner.feed_format, known)
    run.total = len(entries)
    reason = gettext("Import from %(partner)s (run %(id)s)", partner=partner.name, id=run.id)
    with acting_as(None, SYSTEM_ACTOR), change_reason(reason):
        importer = Importer(run, partner, entries, local_today(), existing)
        position = run.processed
        written, beat = 0, time.monotonic()
        while position < len(entries):
            batch = entries[position : position + BATCH_SIZE]
            importer.import_batch(batch)
            position += len(batch)
            # Commit what a batch wrote, with the counts and the progress; a batch of unchanged
            # sessions writes nothing, not even the progress (a resumed run reads them again),
            # unless it is time for a heartbeat.
            if importer.written() != written or time.monotonic() - beat > HEARTBEAT_SECONDS:
                importer.count()
                run.processed, run.heartbeat_at = position, utcnow()
                checkpoint()
                written, beat = importer.written(), time.monotonic()
        run.processed = position
        importer.count()
        if _all_rejected(run):
            _fail(
                run,
                ngettext(
                    "The file's only session was rejected: nothing was imported.",
                    "All %(num)s sessions of the file were rejected: nothing was imported.",
                    run.rejected_count,
                ),
            )  # and its file is kept, to read it again once the data it names is fixed
            checkpoint()
            return
        importer.flag_absent()
    run.status = ImportStatus.WITH_REJECTIONS if run.rejected_count else ImportStatus.SUCCEEDED
    run.finished_at = utcnow()
    run.payload = None
    checkpoint()


@contextlib.contextmanager
def _without_cycle_collection():
    """The cyclic garbage collector paused while a run imports. Reading a feed and checking its
    sessions make objects by the hundred thousand, few of them in cycles (freed by their reference
    count as before); the collector swept them all again and again, in full sweeps as the run grew:
    60 % of the time spent reading a file of 10,000 sessions, a quarter of the import's Python time.
    Whatever cycles the run leaves are collected by the collector's next sweep after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _all_rejected(run: ImportRun) -> bool:
    return run.rejected_count > 0 and not (run.created_count + run.updated_count + run.unchanged_count)


# --- Schedules ------------------------------------------------------------------------------------


def schedule_matches(expression: str, moment: datetime) -> bool:
    """A 5-field cron expression read in the local time of TRAINADMIN_TZ, at the minute."""
    local = moment.astimezone(ZoneInfo(current_app.config["TRAINADMIN_TZ"])).replace(second=0, microsecond=0)
    try:
        return croniter.match(expression, local.replace(tzinfo=None))
    except (ValueError, KeyError, TypeError):
        return False


def queue_due_runs(now: datetime | None = None) -> list[ImportRun]:
    """For each active partner whose schedule matches this minute and with no run in progress, one
    scheduled run (a second call in the same minute queues nothing: one run per partner and minute)."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    partners = db.session.scalars(
        sa.select(Partner)
        .where(
            Partner.active.is_(True),
            Partner.schedule.is_not(None),
            Partner.source_kind != FeedSource.UPLOAD,
        )
        .order_by(Partner.id)
    ).all()
    queued = []
    for partner in partners:
        if not (partner.schedule or "").strip() or not schedule_matches(partner.schedule.strip(), now):
            continue
        try:
            with db.session.begin_nested():
                run = queue_run(partner, scheduled_for=now)
        except DomainError:  # a run in progress
            continue
        except IntegrityError:  # already queued for this minute
            continue
        queued.append(run)
    return queued
