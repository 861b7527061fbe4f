"""What a calendar invitation says: the sequence's days (one per date, with its hours and place),
the iCalendar content of an invitation, and the wording of the e-mails that carry it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Sequence, SequenceStatus, Slot, TrainingRequest, TrainingSession
from . import ics
from .mail_headers import sender_parts
from .places import full_place


@dataclass
class Plan:
    """A sequence of the session and its training days, computed once for all its participants."""

    sequence: Sequence
    days: tuple[ics.Day, ...]

    @property
    def invitable(self) -> bool:
        return bool(self.days) and self.sequence.status != SequenceStatus.CANCELLED


def build_content(
    session: TrainingSession,
    plan: Plan,
    request: TrainingRequest,
    uid: str,
    organizer: tuple[str, str | None],
) -> ics.Invitation:
    sequence = plan.sequence
    with force_locale(_locale()):
        lines = [gettext("Session %(code)s", code=session.code)]
        if sequence.is_prework:
            lines.append(gettext("Pre-work to do before the session."))
    if session.convocation_comment:
        lines.append(session.convocation_comment.strip())
    if sequence.url:
        lines.append(sequence.url)
    collaborator = request.collaborator
    return ics.Invitation(
        uid=uid,
        summary=f"{session.label} – {sequence.label}",
        description="\n\n".join(lines),
        days=plan.days,
        organizer_email=organizer[0],
        organizer_name=organizer[1],
        attendee_email=collaborator.email,
        attendee_name=str(collaborator),
        url=sequence.url,
    )


def request_message(
    session: TrainingSession, plan: Plan, content: ics.Invitation, *, update: bool
) -> tuple[str, str]:
    """(subject, body) of the e-mail carrying an invitation or its update."""
    with force_locale(_locale()):
        values = _wording(session, plan)
        if update:
            subject = gettext("Updated invitation: %(summary)s", summary=content.summary)
            intro = gettext(
                "The dates or the place of « %(sequence)s » (session « %(session)s », %(code)s) "
                "changed: your calendar invitation is updated.",
                **values,
            )
        else:
            subject = gettext("Invitation: %(summary)s", summary=content.summary)
            intro = gettext(
                "You are invited to « %(sequence)s » of the session « %(session)s » (%(code)s). "
                "Accept the invitation to add it to your calendar.",
                **values,
            )
        body = "\n".join([intro, "", *_day_lines(plan.days), *_comment_lines(session)])
    return subject, body


def cancel_message(session: TrainingSession, plan: Plan, content: ics.Invitation) -> tuple[str, str]:
    """(subject, body) of the e-mail carrying a cancellation."""
    with force_locale(_locale()):
        subject = gettext("Cancelled: %(summary)s", summary=content.summary)
        body = gettext(
            "« %(sequence)s » of the session « %(session)s » (%(code)s) is cancelled for you: "
            "the event is removed from your calendar.",
            **_wording(session, plan),
        )
    return subject, body


def session_plans(session: TrainingSession) -> dict[int, Plan]:
    sequences = db.session.scalars(
        sa.select(Sequence)
        .where(Sequence.session_id == session.id)
        .options(
            selectinload(Sequence.slots).selectinload(Slot.dates),
            selectinload(Sequence.slots).joinedload(Slot.location),
            selectinload(Sequence.slots).joinedload(Slot.room),
        )
        .order_by(Sequence.position, Sequence.id)
    ).all()
    return {sequence.id: Plan(sequence, _days(sequence)) for sequence in sequences}


def _days(sequence: Sequence) -> tuple[ics.Day, ...]:
    """Each date of the sequence's slots; two slots on the same day make one day from the first
    start to the last end (a calendar series has one occurrence per day)."""
    by_day: dict = {}
    for slot in sequence.slots:
        place = full_place(slot.location, slot.room) or (sequence.url or "")
        for slot_date in slot.dates:
            start = slot_date.start_time
            end = slot_date.end_time
            if slot_date.day in by_day:
                old_start, old_end, places = by_day[slot_date.day]
                start, end = min(start, old_start), max(end, old_end)
                places = places if place in places else [*places, place]
            else:
                places = [place]
            by_day[slot_date.day] = (start, end, places)
    return tuple(
        ics.Day(
            start=datetime.combine(day, start),
            end=datetime.combine(day, end),
            location=" / ".join(p for p in places if p),
        )
        for day, (start, end, places) in sorted(by_day.items())
    )


def _wording(session: TrainingSession, plan: Plan) -> dict[str, str]:
    return {"sequence": plan.sequence.label, "session": session.label, "code": session.code}


def _day_lines(days: tuple[ics.Day, ...]) -> list[str]:
    lines = []
    for day in days:
        line = f"{day.start:%d/%m/%Y} {day.start:%H:%M}–{day.end:%H:%M}"
        lines.append(f"- {line}, {day.location}" if day.location else f"- {line}")
    return lines


def _comment_lines(session: TrainingSession) -> list[str]:
    return ["", session.convocation_comment.strip()] if session.convocation_comment else []


def invitation_organizer() -> tuple[str, str | None]:
    """ORGANIZER is the mailbox the invitations are sent from."""
    name, email = sender_parts(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return email, name or None


def _locale() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]
