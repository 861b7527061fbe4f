"""Calendar invitations: one per sequence and participant, kept up to date, cancelled with what
they announce (« Invitation Calendrier » of the guide).

A CalendarInvitation row (unique per sequence × demande) keeps the UID given at its first sending,
the SEQUENCE of its last version and the hash of what the participant's calendar shows. Every
version is one outbox row `cal:{uid}:v{n}`: writing the same version twice writes nothing.

- `invite` / `invite_all`: the enrolled participant gets one REQUEST per sequence with dates, pre-work
  included, cancelled sequences left out (also to re-invite after a sequence or an enrolment came
  back: same UID, higher SEQUENCE).
- `refresh_invitations`: rebuilt content; only a real change (days, hours, place, texts) raises the
  SEQUENCE, with a REQUEST or silently (« Ne pas envoyer de mise à jour de l'invitation calendrier »).
- `cancel`: METHOD:CANCEL, same UID, higher SEQUENCE, STATUS:CANCELLED.
- `process_slot_changes`: the SlotChange rows written by the planning, turned into refreshes.

Drafts, cancelled sessions and sessions with invitations turned off send no REQUEST (nothing but
cancellations); an update held back that way goes at the next refresh, since its hash was not stored.
A sequence spread over several days stays one invitation: a recurring event (RRULE daily every n
days, EXDATE for the days off, a RECURRENCE-ID exception for each day with other hours or place), the
shape Outlook and Google Calendar themselves send; RDATE alone is refused by Outlook. Hours are
local (TRAINADMIN_TZ) with a VTIMEZONE in yearly-rule form. Details and reasons in `ics.py`; the
days, the content and the e-mails' wording in `invitation_content.py`.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import uuid4

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import (
    CalendarInvitation,
    OutboxMessage,
    Publication,
    RequestStatus,
    Sequence,
    SequenceStatus,
    SlotChange,
    TrainingRequest,
    TrainingSession,
    WorkflowStatus,
    utcnow,
)
from . import ics
from .invitation_content import (
    Plan,
    build_content,
    cancel_message,
    invitation_organizer,
    request_message,
    session_plans,
)
from .outbox import cancel_pending, queue_message


def sends_requests(session: TrainingSession) -> bool:
    """Whether this session may send invitations and updates now (cancellations always go)."""
    return (
        session.calendar_invitations
        and session.publication == Publication.PUBLISHED
        and session.status != WorkflowStatus.CANCELLED
    )


# --- Public operations --------------------------------------------------------------------------


def invite(request: TrainingRequest) -> int:
    """At enrolment: one REQUEST per sequence of the session for this participant."""
    session = request.session
    if request.status != RequestStatus.ENROLLED or not sends_requests(session):
        return 0
    return _invite(session, [request])


def invite_all(session: TrainingSession) -> int:
    """Every enrolled participant gets the invitations they miss (invitations turned on later, a
    sequence that got its dates or came back from « Annulée »)."""
    if not sends_requests(session) or not session.enrolled_count:
        return 0
    requests = db.session.scalars(
        sa.select(TrainingRequest)
        .where(TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED)
        .options(joinedload(TrainingRequest.collaborator))
        .order_by(TrainingRequest.id)
    ).all()
    return _invite(session, requests) if requests else 0


def refresh_invitations(session: TrainingSession, *, notify: bool, sequence_ids=None) -> int:
    """Rebuild the existing invitations (of these sequences, or all); a real change raises the
    SEQUENCE and, with `notify`, sends the update. Returns the number of messages written."""
    if session.status == WorkflowStatus.CANCELLED or (notify and not sends_requests(session)):
        return 0
    query = (
        sa.select(CalendarInvitation)
        .join(TrainingRequest, TrainingRequest.id == CalendarInvitation.request_id)
        .join(Sequence, Sequence.id == CalendarInvitation.sequence_id)
        .where(
            Sequence.session_id == session.id,
            CalendarInvitation.cancelled.is_(False),
            TrainingRequest.status == RequestStatus.ENROLLED,
        )
        .order_by(CalendarInvitation.id)
        .with_for_update(of=CalendarInvitation)
    )
    if sequence_ids is not None:
        query = query.where(CalendarInvitation.sequence_id.in_(list(sequence_ids)))
    invitations = db.session.scalars(query).all()
    if not invitations:  # nobody holds one yet: the session's planning is not even read
        return 0
    plans = session_plans(session)
    requests = _requests_by_id({i.request_id for i in invitations})
    organizer = invitation_organizer()
    queued = 0
    for invitation in invitations:
        plan = plans.get(invitation.sequence_id)
        if plan is None or plan.sequence.status == SequenceStatus.CANCELLED:
            continue  # a cancelled sequence is cancelled by `cancel`, not rebuilt
        request = requests[invitation.request_id]
        if not plan.days:  # no date left: nothing to show in a calendar
            if notify:
                queued += _cancel_one(invitation, session, plan, request, organizer)
            else:
                invitation.cancelled, invitation.content_hash = True, None
            continue
        content = build_content(session, plan, request, invitation.uid, organizer)
        digest = content.digest()
        if digest == invitation.content_hash:
            continue
        invitation.sequence_number += 1
        invitation.content_hash = digest
        if notify:
            queued += _send_request(invitation, session, plan, request, content, update=True)
    db.session.flush()
    return queued


def cancel(
    *,
    request: TrainingRequest | None = None,
    sequence: Sequence | None = None,
    session: TrainingSession | None = None,
) -> int:
    """METHOD:CANCEL for the invitations of an enrolment, a sequence or a whole session."""
    if request is None and sequence is None and session is None:
        raise ValueError("cancel() needs a request, a sequence or a session")
    query = (
        sa.select(CalendarInvitation)
        .where(CalendarInvitation.cancelled.is_(False))
        .order_by(CalendarInvitation.id)
        .with_for_update(of=CalendarInvitation)
    )
    if request is not None:
        query = query.where(CalendarInvitation.request_id == request.id)
    if sequence is not None:
        query = query.where(CalendarInvitation.sequence_id == sequence.id)
    if session is not None:
        query = query.join(Sequence, Sequence.id == CalendarInvitation.sequence_id).where(
            Sequence.session_id == session.id
        )
    invitations = db.session.scalars(query).all()
    if not invitations:
        return 0
    requests = _requests_by_id({i.request_id for i in invitations})
    organizer = invitation_organizer()
    plans_by_session: dict[int, dict[int, Plan]] = {}
    queued = 0
    for invitation in invitations:
        request_row = requests[invitation.request_id]
        owner = request_row.session
        if owner.id not in plans_by_session:
            plans_by_session[owner.id] = session_plans(owner)
        plan = plans_by_session[owner.id][invitation.sequence_id]
        queued += _cancel_one(invitation, owner, plan, request_row, organizer)
    db.session.flush()
    return queued


def sync_session(session: TrainingSession) -> int:
    """Bring the invitations in line with the session after its sequences or settings changed:
    cancelled sequences cancel theirs, everyone enrolled gets the ones they miss."""
    queued = 0
    for sequence in session.sequences:
        if sequence.status == SequenceStatus.CANCELLED and sequence.id is not None:
            queued += cancel(sequence=sequence)
    return queued + invite_all(session)


def pending_slot_changes(session_id: int | None = None) -> list[SlotChange]:
    """The SlotChange rows not turned into invitation updates yet (locked, skipping those another
    worker holds)."""
    query = (
        sa.select(SlotChange)
        .where(SlotChange.processed_at.is_(None))
        .order_by(SlotChange.id)
        .with_for_update(skip_locked=True)
    )
    if session_id is not None:
        query = query.where(SlotChange.session_id == session_id)
    return list(db.session.scalars(query))


def process_slot_changes(session_id: int | None = None, changes: list[SlotChange] | None = None) -> int:
    """Turn the unprocessed SlotChange rows into invitation updates, per session and sequence: sent
    when one of the changes asked for it, stored silently otherwise."""
    if changes is None:
        changes = pending_slot_changes(session_id)
    loud: dict[int, set[int]] = defaultdict(set)
    quiet: dict[int, set[int]] = defaultdict(set)
    for change in changes:
        (loud if change.notify else quiet)[change.session_id].add(change.sequence_id)
    queued = 0
    for changed_session_id in sorted(set(loud) | set(quiet)):
        session = db.session.get(TrainingSession, changed_session_id)
        if session is None:
            continue
        sent = loud.get(changed_session_id, set())
        silent = quiet.get(changed_session_id, set()) - sent
        if sent:
            queued += refresh_invitations(session, notify=True, sequence_ids=sent)
            queued += invite_all(session)  # a sequence that just got its first dates
        if silent:
            refresh_invitations(session, notify=False, sequence_ids=silent)
    now = utcnow()
    for change in changes:
        change.processed_at = now
    db.session.flush()
    return queued


# --- Building and writing --------------------------------------------------------------------


def _invite(session: TrainingSession, requests: list[TrainingRequest]) -> int:
    plans = [plan for plan in session_plans(session).values() if plan.invitable]
    if not plans:
        return 0
    existing = {
        (i.sequence_id, i.request_id): i
        for i in db.session.scalars(
            sa.select(CalendarInvitation).where(
                CalendarInvitation.request_id.in_([r.id for r in requests]),
                CalendarInvitation.sequence_id.in_([p.sequence.id for p in plans]),
            )
        )
    }
    organizer = invitation_organizer()
    queued = 0
    for request in requests:
        for plan in plans:
            invitation = existing.get((plan.sequence.id, request.id))
            if invitation is not None and not invitation.cancelled:
                continue
            if invitation is None:
                invitation = _new_invitation(plan.sequence, request)
                if invitation is None:  # created meanwhile by a concurrent enrolment: that one sends
                    continue
            else:  # back after a cancellation: same UID, next version
                invitation.sequence_number += 1
                invitation.cancelled = False
            content = build_content(session, plan, request, invitation.uid, organizer)
            invitation.content_hash = content.digest()
            queued += _send_request(invitation, session, plan, request, content, update=False)
    db.session.flush()
    return queued


def _new_invitation(sequence: Sequence, request: TrainingRequest) -> CalendarInvitation | None:
    invitation = CalendarInvitation(
        sequence_id=sequence.id, request_id=request.id, uid=f"{uuid4()}@trainadmin", sequence_number=0
    )
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
    except IntegrityError:
        return None
    return invitation


def _send_request(
    invitation: CalendarInvitation,
    session: TrainingSession,
    plan: Plan,
    request: TrainingRequest,
    content: ics.Invitation,
    *,
    update: bool,
) -> int:
    text = ics.request_text(content, invitation.sequence_number, _tzid())
    subject, body = request_message(session, plan, content, update=update)
    return _queue(invitation, session, plan, request, text, subject, body)


def _cancel_one(
    invitation: CalendarInvitation,
    session: TrainingSession,
    plan: Plan,
    request: TrainingRequest,
    organizer: tuple[str, str | None],
) -> int:
    invitation.sequence_number += 1
    invitation.cancelled = True
    invitation.content_hash = None
    content = build_content(session, plan, request, invitation.uid, organizer)
    previous = None if content.days else _last_calendar(invitation)
    if previous:
        text = ics.cancel_from_previous(previous, invitation.sequence_number)
    else:
        text = ics.cancel_text(content, invitation.sequence_number, _tzid())
    subject, body = cancel_message(session, plan, content)
    return _queue(invitation, session, plan, request, text, subject, body)


def _queue(invitation, session, plan, request, text, subject, body) -> int:
    if invitation.id is not None:  # an older version not sent yet is replaced by this one
        cancel_pending(invitation_id=invitation.id, keep_cancellations=False)
    message = queue_message(
        dedup_key=f"cal:{invitation.uid}:v{invitation.sequence_number}",
        kind="calendar",
        recipient=request.collaborator.email,
        subject=subject,
        body=body,
        session_id=session.id,
        sequence_id=plan.sequence.id,
        request_id=request.id,
        invitation_id=invitation.id,
        calendar=text,
    )
    if message is None:
        return 0
    invitation.last_sent_at = utcnow()
    return 1


def _requests_by_id(ids: set[int]) -> dict[int, TrainingRequest]:
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(TrainingRequest)
        .where(TrainingRequest.id.in_(ids))
        .options(joinedload(TrainingRequest.collaborator), joinedload(TrainingRequest.session))
    )
    return {row.id: row for row in rows}


def _last_calendar(invitation: CalendarInvitation) -> str | None:
    return db.session.scalar(
        sa.select(OutboxMessage.calendar)
        .where(OutboxMessage.invitation_id == invitation.id, OutboxMessage.calendar.is_not(None))
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


def _tzid() -> str:
    return current_app.config["TRAINADMIN_TZ"]
