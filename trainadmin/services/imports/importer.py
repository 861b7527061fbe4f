"""« Importer » partners' sessions: each session of a feed is matched with the partner's sessions by
its reference (upsert by partner and external reference) and created, updated or left alone.

- Everything goes through the services the admin uses: `new_session` (codes by year),
  `save_sequence`, `save_slot` (checks, room clashes, calendar change events), `delete_slot`,
  `delete_sequence`, and `ensure_can_change` for the lock after enrolment. The import acts as the
  system, bound like a manager: what it may not change is reported in the run, not applied.
- The partner's sessions are read in bulk once and compared in memory; only what differs is written.
  Re-importing the same feed writes nothing to the sessions (no history entry either).
- Each session is written in its own savepoint: a bad session leaves nothing behind, the rest goes on.
- Sessions of the partner that the feed no longer lists are flagged (`missing_from_feed`), never
  deleted; only those still to come and neither cancelled nor closed.

Here the run's sessions, entry after entry. What the feed wants is in `wanted.py` (names to ids:
`references.py`), the partner's sessions and the comparison in `snapshots.py`, writing one session
through the services in `writing.py`, new sessions in bulk in `creation.py`. The run itself (queue,
claim, resume, commit per batch) is in `runs.py`; reading and parsing the feed in `feeds.py`.
"""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import (
    ImportedSession,
    ImportOutcome,
    ImportRejection,
    ImportRun,
    Partner,
    Publication,
    TrainingSession,
    WorkflowStatus,
)
from ..errors import DomainError
from ..notifications import copy_default_rules
from ..sessions import locked_session_ids
from .creation import BulkCreator, Problem, allocate, clash_problems
from .feed_items import FeedSession, where_of
from .references import References
from .snapshots import SessionSnapshot, is_unchanged, load_planning, load_sessions
from .wanted import WantedSession, wanted_session
from .writing import ItemProblem, create_session, update_session, validation_problems

log = logging.getLogger(__name__)
COUNTS = ("created", "updated", "unchanged", "rejected", "flagged")


def printable(text: str) -> str:
    """A feed's text as it can be stored to report it: PostgreSQL refuses NUL characters."""
    return text.replace("\x00", "\ufffd")


# --- A run's sessions ----------------------------------------------------------------------------


class Importer:
    """Imports the sessions of one run, entry after entry, each in its own savepoint."""

    def __init__(
        self,
        run: ImportRun,
        partner: Partner,
        entries: list[FeedSession],
        today: date,
        existing: dict[str, SessionSnapshot] | None = None,
    ):
        self.run = run
        self.partner = partner
        self.entries = entries
        self.today = today
        self.existing = load_sessions(partner.id) if existing is None else existing
        # Only the sessions the feed may have changed are read with their planning: those whose rows
        # in the file are not the ones they were last imported from (`FeedSession.known`).
        compared = {
            self.existing[entry.reference].id: self.existing[entry.reference]
            for entry in entries
            if not entry.known and entry.reference in self.existing
        }
        load_planning(partner.id, list(compared.values()))
        self.locked = locked_session_ids(list(compared))
        self.digests: list[dict] = []  # of sessions found unchanged, to remember
        self.refs = References(partner.unknown_policy)
        self.creator = BulkCreator(partner)
        self.pending: list[WantedSession] = []
        self.rejected: list[tuple[FeedSession, list[tuple[str, str]]]] = []
        self.order = {id(entry): index for index, entry in enumerate(entries)}
        self.counted = {name: getattr(run, f"{name}_count") for name in COUNTS}
        self.tally = dict.fromkeys(COUNTS, 0)

    def reject(self, entry: FeedSession, problems: list[tuple[str, str]]) -> None:
        """Kept until the end of the batch, then written in the order of the file."""
        self.tally["rejected"] += 1
        self.rejected.append((entry, problems))

    def import_batch(self, entries: list[FeedSession]) -> None:
        for entry in entries:
            self.import_entry(entry)
        self.create_pending()
        self.rejected.sort(key=lambda item: self.order.get(id(item[0]), 0))
        db.session.add_all(
            ImportRejection(
                run_id=self.run.id,
                line=printable(where)[:120],
                reference=printable(entry.reference)[:120] or None,
                reason=printable(reason),
            )
            for entry, problems in self.rejected
            for where, reason in problems
        )
        self.rejected.clear()
        if self.digests:
            db.session.execute(
                sa.update(TrainingSession.__table__)
                .where(TrainingSession.__table__.c.id == sa.bindparam("session_id"))
                .values(import_digest=sa.bindparam("digest")),
                self.digests,
            )
            self.digests.clear()
        db.session.flush()

    def create_pending(self) -> None:
        """The batch's new sessions: checked one by one, written together (`import_creation`)."""
        checked = []
        for wanted in self.pending:
            try:
                checked.append(self.creator.check(wanted, where_of, validation_problems))
            except Problem as exc:
                self.reject(wanted.feed, exc.problems)
        self.pending.clear()
        booked = self.creator.room_bookings(checked)
        accepted, clashing = [], []
        for new in checked:
            clashes = self.creator.room_clashes(new, booked, where_of)
            if clashes:
                clashing.append((new, clashes))
                continue
            self.creator.book(new, booked)
            accepted.append(new)
        allocate(accepted)  # their codes, one statement for the batch
        for new, clashes in clashing:
            self.reject(new.entry, clash_problems(clashes))
        try:
            with db.session.begin_nested():
                ids = self.creator.write(accepted, self.run.id)
                if self.partner.publication == Publication.PUBLISHED:
                    copy_default_rules(ids)  # their e-mail rules (drafts follow the defaults)
        except sa.exc.DBAPIError:
            # A row the checks let through and the database refuses: each session of the batch
            # then goes through the services alone, so that only the faulty one is rejected.
            log.exception("import run %s: batch written one session at a time", self.run.id)
            db.session.expire_all()
            ids = []
            for new in accepted:
                session = self.create_alone(new.wanted)
                if session is not None:
                    ids.append(session.id)
        self.tally["created"] += len(ids)

    def outcome(self, entry_or_reference, session: TrainingSession | int, outcome: ImportOutcome) -> None:
        entry = entry_or_reference if isinstance(entry_or_reference, FeedSession) else None
        db.session.add(
            ImportedSession(
                run_id=self.run.id,
                session_id=session if isinstance(session, int) else session.id,
                outcome=outcome,
                line=entry.where[:120] if entry else None,
                reference=(entry.reference if entry else entry_or_reference)[:120],
            )
        )

    def count(self) -> None:
        """The run's counts: what it had (a resumed run) plus what this pass did."""
        for name, value in self.tally.items():
            setattr(self.run, f"{name}_count", self.counted[name] + value)

    def written(self) -> int:
        return self.tally["created"] + self.tally["updated"] + self.tally["rejected"]

    def create_alone(self, wanted: WantedSession) -> TrainingSession | None:
        savepoint = db.session.begin_nested()
        try:
            session = create_session(self.partner, wanted)
            self.outcome(wanted.feed, session, ImportOutcome.CREATED)
            session.import_digest = wanted.feed.digest
            db.session.flush()
            savepoint.commit()
            return session
        except (DomainError, ItemProblem, sa.exc.DBAPIError) as exc:
            self._rolled_back(savepoint)
            problems = getattr(exc, "problems", None) or [
                (
                    where_of(wanted.feed),
                    getattr(exc, "message", None) or gettext("The database refused this session."),
                )
            ]
            self.reject(wanted.feed, problems)
            return None

    def import_entry(self, entry: FeedSession) -> None:
        if entry.errors:
            self.reject(entry, entry.errors)
            return
        existing = self.existing.get(entry.reference)
        if entry.known:  # its rows are those it was last imported from, and it was not changed since
            self.unchanged(entry, existing)
            return
        problems: list[tuple[str, str]] = []
        # First compare, writing nothing (no savepoint either): most sessions of a feed are unchanged.
        self.refs.dry, self.refs.unknown = True, False
        try:
            wanted = wanted_session(entry, self.refs, problems)
        finally:
            self.refs.dry = False
        if problems:
            self.reject(entry, problems)
            return
        if existing is not None and not self.refs.unknown and is_unchanged(wanted, existing):
            if existing.digest != entry.digest:
                self.digests.append({"session_id": existing.id, "digest": entry.digest})
            self.unchanged(entry, existing)
            return
        if existing is None and not self.refs.unknown:
            self.pending.append(wanted)  # created with the rest of the batch
            return
        savepoint = db.session.begin_nested()
        try:
            if self.refs.unknown:  # the partner's policy: create what is unknown, in this savepoint
                wanted = wanted_session(entry, self.refs, problems)
                if problems:
                    raise ItemProblem(problems)
            if existing is None:
                session = create_session(self.partner, wanted)
                self.outcome(entry, session, ImportOutcome.CREATED)
            else:
                session = update_session(wanted, existing)
                self.outcome(entry, session, ImportOutcome.UPDATED)
            session.import_digest = entry.digest
            db.session.flush()
            savepoint.commit()
            self.refs.keep_added()
            self.tally["created" if existing is None else "updated"] += 1
        except ItemProblem as exc:
            self._rolled_back(savepoint)
            self.reject(entry, exc.problems)
        except DomainError as exc:  # the lock after enrolment, a rule of the services
            self._rolled_back(savepoint)
            message = exc.message
            if existing is not None and existing.id in self.locked:
                message = f"{message} {gettext('The changes of the feed were not applied.')}"
            self.reject(entry, [(where_of(entry), message)])

    def unchanged(self, entry: FeedSession, existing: SessionSnapshot) -> None:
        if existing.missing_from_feed:  # back in the feed
            db.session.get(TrainingSession, existing.id).missing_from_feed = False
            self.outcome(entry, existing.id, ImportOutcome.UPDATED)
            db.session.flush()
            self.tally["updated"] += 1
        else:
            self.tally["unchanged"] += 1

    def _rolled_back(self, savepoint) -> None:
        savepoint.rollback()
        # Some rows written in the savepoint (those cascaded at flush time) may stay in the identity
        # map after its rollback; expired, they cannot clash with a row that reuses their id later
        # (SQLite gives a rolled-back id again). Nothing is pending here: the savepoint began after
        # a flush, and everything since was rolled back.
        db.session.expire_all()
        self.refs.forget_added()

    def flag_absent(self) -> None:
        """Sessions still to come that the feed no longer lists: flagged (once), never deleted."""
        present = {entry.reference for entry in self.entries}
        flagged = 0
        for reference, snapshot in self.existing.items():
            if reference in present or snapshot.status in (WorkflowStatus.CANCELLED, WorkflowStatus.CLOSED):
                continue
            if snapshot.end_date is not None and snapshot.end_date < self.today:
                continue
            flagged += 1
            if not snapshot.missing_from_feed:
                db.session.get(TrainingSession, snapshot.id).missing_from_feed = True
                self.outcome(reference, snapshot.id, ImportOutcome.FLAGGED)
        self.tally["flagged"] = flagged - self.counted["flagged"]  # a count, not a sum over passes
        self.count()
        db.session.flush()
