"""When each rule is due for each sequence: one EmailSchedule row per (rule, sequence), kept up to
date whenever dates, rules, publication or status change.

Delays count from each sequence's own dates (the guide: sequences starting 15 May and 27 June, a
rule 10 days before is due on 5 May and on 17 June), at the rule's send time in the local time zone
(08:00 when it has none), stored in UTC. A pre-work sequence gets no e-mail (only its calendar
event). The surveys follow each sequence's survey settings: a sequence with its hot (cold) survey
off gets no hot (cold) survey e-mail, and the delay after its end is the one set on the sequence.

States: PLANNED (waiting for its time), SENT, FAILED, MISSED (its time had passed by more than
`TRAINADMIN_MISSED_GRACE_HOURS` when it was computed: never sent late), CANCELLED (rule off,
session in draft or cancelled, sequence cancelled, or « Ne pas envoyer »: `skipped`, which
recomputing keeps).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from ...extensions import db
from ...models import (
    EmailAnchor,
    EmailKind,
    EmailRule,
    EmailSchedule,
    Publication,
    ScheduleState,
    Sequence,
    SequenceStatus,
    SessionType,
    TrainingSession,
    WorkflowStatus,
    utcnow,
)
from .. import history
from ..errors import DomainError
from ..history import snapshots
from ..rows import insert_ignoring_duplicates
from .default_rules import own_rules
from .outbox import cancel_pending
from .wake import wake_after_commit

DEFAULT_SEND_TIME = time(8, 0)
SEQUENCE_ANCHORS = (EmailAnchor.SEQUENCE_START, EmailAnchor.SEQUENCE_END)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TRAINADMIN_TZ") or "Europe/Paris")


def grace() -> timedelta:
    return timedelta(hours=int(current_app.config.get("TRAINADMIN_MISSED_GRACE_HOURS", 12)))


def rule_delay(rule: EmailRule, sequence: Sequence) -> int:
    """Days from the anchor: the rule's, or the sequence's own survey delay for the surveys."""
    if rule.kind == EmailKind.HOT_SURVEY:
        return sequence.hot_survey_delay_days or 0
    if rule.kind == EmailKind.COLD_SURVEY:
        return sequence.cold_survey_delay_days or 0
    return rule.delay_days or 0


def due_time(rule: EmailRule, sequence: Sequence, zone: ZoneInfo | None = None) -> datetime | None:
    """When `rule` is due for `sequence` (aware, UTC), or None when it has no date to count from."""
    if rule.anchor == EmailAnchor.SEQUENCE_START:
        anchor_day: date | None = sequence.start_date
    elif rule.anchor == EmailAnchor.SEQUENCE_END:
        anchor_day = sequence.end_date
    else:
        return None
    if anchor_day is None:
        return None
    day = anchor_day + timedelta(days=rule_delay(rule, sequence))
    moment = datetime.combine(day, rule.send_time or DEFAULT_SEND_TIME, tzinfo=zone or local_zone())
    return moment.astimezone(UTC)


def session_is_sending(session: TrainingSession) -> bool:
    """Drafts and cancelled sessions send nothing but cancellations."""
    return session.publication == Publication.PUBLISHED and session.status != WorkflowStatus.CANCELLED


def sequence_gets(rule: EmailRule, sequence: Sequence, session: TrainingSession) -> bool:
    """Does this sequence get this rule's e-mail at all (whatever the rule's on/off and the session's
    state)?"""
    if rule.anchor not in SEQUENCE_ANCHORS or sequence.is_prework:
        return False
    if rule.kind == EmailKind.CONVOCATION and session.session_type == SessionType.INTER:
        return False  # sent from the participant's demande
    if rule.kind == EmailKind.HOT_SURVEY and not sequence.hot_survey_enabled:
        return False
    return not (rule.kind == EmailKind.COLD_SURVEY and not sequence.cold_survey_enabled)


def _active(rule: EmailRule, sequence: Sequence, session: TrainingSession) -> bool:
    return (
        rule.enabled
        and session_is_sending(session)
        and sequence.status != SequenceStatus.CANCELLED
        and sequence_gets(rule, sequence, session)
    )


def _plan(row: EmailSchedule, due: datetime | None, now: datetime) -> None:
    """A row that should go out at `due`: planned, or missed if that time is already well past."""
    row.due_at = due
    row.last_error = None
    row.prepared_at = None
    if due is None:
        row.state = ScheduleState.CANCELLED
    elif due < now - grace():
        row.state = ScheduleState.MISSED
    else:
        row.state = ScheduleState.PLANNED


def _update(row: EmailSchedule, due: datetime | None, active: bool, now: datetime) -> None:
    moved = row.due_at != due
    if row.state == ScheduleState.SENT:
        if active and moved and due is not None and row.sent_at is not None and due > row.sent_at:
            _plan(row, due, now)  # its sequence moved later: the e-mail goes again for the new dates
        return
    if not active or row.skipped:
        if row.state == ScheduleState.PLANNED or row.skipped:
            row.state = ScheduleState.CANCELLED
        if due is not None or row.state == ScheduleState.CANCELLED:
            row.due_at = due  # (with no new date, a failed or missed row keeps the one it had)
        return
    if row.state == ScheduleState.CANCELLED:
        _plan(row, due, now)
    elif row.state == ScheduleState.PLANNED:
        # A row already due belongs to the dispatcher (« Envoyer maintenant », or a tick to come).
        if moved and not (row.due_at is not None and row.due_at <= now):
            _plan(row, due, now)
    elif moved:  # FAILED or MISSED, and its date changed: planned again for the new date
        _plan(row, due, now)


def refresh_schedule(session: TrainingSession, now: datetime | None = None) -> None:
    """Create, re-plan, re-arm, cancel or mark missed the session's schedule rows. A fixed number of
    statements whatever the number of rules and sequences: rules × sequences, existing rows, the
    changed rows' update, one insert."""
    if session.id is None:
        return
    if session.emails_follow_defaults and session_is_sending(session):
        own_rules(session)  # published: its e-mails are planned from its own rules
    now = now or utcnow()
    zone = local_zone()
    pairs = db.session.execute(
        sa.select(EmailRule, Sequence)
        .join(Sequence, Sequence.session_id == EmailRule.session_id)
        .where(EmailRule.session_id == session.id, EmailRule.anchor.in_(SEQUENCE_ANCHORS))
    ).all()
    existing = {
        (row.rule_id, row.sequence_id): row
        for row in db.session.scalars(
            sa.select(EmailSchedule)
            .join(EmailRule, EmailRule.id == EmailSchedule.rule_id)
            .where(EmailRule.session_id == session.id)
        )
    }
    seen = set()
    new_rows = []
    stale: list[int] = []  # prepared, then moved or cancelled: what they wrote no longer applies
    for rule, sequence in pairs:
        key = (rule.id, sequence.id)
        seen.add(key)
        gets = sequence_gets(rule, sequence, session)
        due = due_time(rule, sequence, zone) if gets else None
        active = _active(rule, sequence, session) and due is not None
        row = existing.get(key)
        if row is None:
            if not (gets and rule.enabled and due is not None):
                continue
            row = EmailSchedule(rule_id=rule.id, sequence_id=sequence.id, skipped=False)
            if active:
                _plan(row, due, now)
            else:
                row.due_at, row.state = due, ScheduleState.CANCELLED
            new_rows.append(
                {
                    "rule_id": rule.id,
                    "sequence_id": sequence.id,
                    "due_at": row.due_at,
                    "state": row.state,
                    "skipped": False,
                    "recipient_count": 0,
                }
            )
        else:
            prepared = row.prepared_at is not None and row.state == ScheduleState.PLANNED
            _update(row, due, active, now)
            if prepared and (row.prepared_at is None or row.state != ScheduleState.PLANNED):
                stale.append(row.id)
    for key, row in existing.items():
        if key not in seen and row.state == ScheduleState.PLANNED:
            row.state = ScheduleState.CANCELLED
            if row.prepared_at is not None:
                stale.append(row.id)
    db.session.flush()
    if stale:
        cancel_pending(schedule_ids=stale)
    if new_rows:
        # A concurrent refresh of the same session may have written some: theirs stand.
        db.session.execute(insert_ignoring_duplicates(EmailSchedule, ["rule_id", "sequence_id"]), new_rows)
    rows = [*existing.values(), *new_rows]
    if any(
        _state(row) == ScheduleState.PLANNED and _due(row) is not None and _due(row) <= now for row in rows
    ):
        wake_after_commit()  # something is due now: the dispatcher need not wait for its minute


def _state(row) -> ScheduleState:
    return row["state"] if isinstance(row, dict) else row.state


def _due(row) -> datetime | None:
    return row["due_at"] if isinstance(row, dict) else row.due_at


def refresh_schedules(sessions: list[TrainingSession], now: datetime | None = None) -> None:
    for session in sessions:
        refresh_schedule(session, now)


# --- The user's choices on a row ---------------------------------------------------------------


def _check_can_send(schedule: EmailSchedule) -> None:
    rule = schedule.rule
    session = rule.session
    if session.status == WorkflowStatus.CANCELLED:
        raise DomainError(gettext("This session is cancelled: its e-mails are not sent."))
    if session.publication != Publication.PUBLISHED:
        raise DomainError(gettext("Publish the session before sending its e-mails."))
    if not rule.enabled:
        raise DomainError(gettext("Tick this e-mail (and save) before sending it."))
    sequence = schedule.sequence
    if sequence is None or not sequence_gets(rule, sequence, session):
        raise DomainError(gettext("This e-mail is not sent for this sequence."))
    if sequence.status == SequenceStatus.CANCELLED:
        raise DomainError(gettext("This sequence is cancelled: its e-mails are not sent."))


def send_now(schedule: EmailSchedule, now: datetime | None = None) -> None:
    """« Envoyer maintenant »: due now; the dispatcher sends it at its next tick (again if it was sent)."""
    _check_can_send(schedule)
    if schedule.prepared_at is not None and schedule.state == ScheduleState.PLANNED:
        cancel_pending(schedule_ids=[schedule.id])  # written for the old time: written again now
    schedule.skipped = False
    schedule.due_at = now or utcnow()
    schedule.state = ScheduleState.PLANNED
    schedule.last_error = None
    schedule.prepared_at = None
    db.session.flush()
    _record(schedule, "send_now")
    wake_after_commit()


def skip(schedule: EmailSchedule) -> None:
    """« Ne pas envoyer »: cancelled, and kept cancelled when the schedule is computed again."""
    if schedule.state == ScheduleState.SENT:
        raise DomainError(gettext("This e-mail has already been sent."))
    if schedule.prepared_at is not None:
        cancel_pending(schedule_ids=[schedule.id])
    schedule.skipped = True
    schedule.state = ScheduleState.CANCELLED
    db.session.flush()
    _record(schedule, "skip")


def replan(schedule: EmailSchedule, now: datetime | None = None) -> None:
    """Undo « Ne pas envoyer »: back to its computed time."""
    schedule.skipped = False
    schedule.state = ScheduleState.CANCELLED
    db.session.flush()
    refresh_schedule(schedule.rule.session, now)
    _record(schedule, "replan")


def _record(schedule: EmailSchedule, action: str) -> None:
    """The session's history: what was done with the e-mail of one sequence."""
    rule = schedule.rule
    changes = [history.change("email_action", None, {"t": "action", "v": action})]
    if schedule.sequence is not None:
        changes.insert(0, history.change("sequence", None, schedule.sequence.label))
    history.record(rule.session, history.CHANGED, snapshots.rule_target(rule), changes)
