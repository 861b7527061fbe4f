"""Tallies the reports read instead of the raw rows, kept by the services that write those rows, as
`TrainingSession.enrolled_count` is: recounted for the one session touched.

- Per demande (`TrainingRequest.present_half_days`, `absent_half_days`, `excused_half_days`): its
  half-days on the session's taught dates, as the « Présences » tab counts them — the mark set by
  hand, else present when the participant signed; only the half-days a date covers; whatever the
  demande's status (the reports keep the enrolled ones).
- Per slot date (`SlotDate.present_participants`): the enrolled participants present at least one
  half-day of it, None while none of them has a half-day recorded on it.
- Per session, survey kind and question (`SurveyScore`): how many numbers were answered and their sum
  (a text answer is no score).
- Per session and survey kind (`SurveyTally`): the responses received; the enrolled participants'
  surveys sent by link and those answered.

What changes them and recounts: a mark by hand or a whole day (`participants.attendance_saving`), a
signature (`participants.signatures`), an enrolment cancelled (`participants.demandes`), any change
of planning (`planning.refresh_session`: dates, hours, a sequence cancelled or pre-work), a survey
response received, entered or imported (`evaluations`), survey links issued (`links.surveys`). Each
recount is a few statements over one session's rows; `recount_all` does the same over every session
(the activity seeder, the checks)."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    AccessLink,
    Attendance,
    HalfDay,
    LinkPurpose,
    Presence,
    RequestStatus,
    Sequence,
    SequenceStatus,
    Signature,
    Slot,
    SlotDate,
    SurveyKind,
    SurveyResponse,
    SurveyScore,
    SurveyTally,
    TrainingRequest,
)

#: A morning is recorded when the date starts before noon; an afternoon when it ends after 13:00 or
#: starts at noon or later (services/participants/attendance.covered_half_days).
MORNING_ENDS = time(12)
AFTERNOON_STARTS = time(13)

REQUESTS = TrainingRequest.__table__
DATES = SlotDate.__table__


def covered(half_day):
    """The half-day is one its slot date covers."""
    morning = sa.and_(half_day == HalfDay.MORNING, SlotDate.start_time < MORNING_ENDS)
    afternoon = sa.and_(
        half_day == HalfDay.AFTERNOON,
        sa.or_(SlotDate.end_time > AFTERNOON_STARTS, SlotDate.start_time >= MORNING_ENDS),
    )
    return sa.or_(morning, afternoon)


def marks(*where):
    """Every half-day recorded on a taught date (neither pre-work nor a cancelled sequence), as the
    « Présences » tab counts it: the mark set by hand, else present when the participant signed.
    Columns: request_id, slot_date_id, value ('present', 'absent', 'excused'), enrolled; `where`
    conditions on TrainingRequest narrow it (to one session)."""

    def part(model, value):
        return (
            sa.select(
                model.request_id.label("request_id"),
                model.slot_date_id.label("slot_date_id"),
                value.label("value"),
                (TrainingRequest.status == RequestStatus.ENROLLED).label("enrolled"),
            )
            .join(TrainingRequest, TrainingRequest.id == model.request_id)
            .join(SlotDate, SlotDate.id == model.slot_date_id)
            .join(Slot, Slot.id == SlotDate.slot_id)
            .join(Sequence, Sequence.id == Slot.sequence_id)
            .where(
                Sequence.is_prework.is_(False),
                Sequence.status != SequenceStatus.CANCELLED,
                covered(model.half_day),
                *where,
            )
        )

    by_hand = part(Attendance, sa.cast(Attendance.value, sa.String(10)))
    hand_mark = sa.exists().where(
        Attendance.request_id == Signature.request_id,
        Attendance.slot_date_id == Signature.slot_date_id,
        Attendance.half_day == Signature.half_day,
    )
    signed = part(Signature, sa.literal(Presence.PRESENT.value, sa.String(10))).where(
        Signature.request_id.is_not(None), ~hand_mark
    )
    return sa.union_all(by_hand, signed).subquery("marks")


def _recount_attendance(session_id: int | None) -> None:
    """Four statements: the demandes' half-days, then the dates' present participants."""
    of_session = [TrainingRequest.session_id == session_id] if session_id is not None else []
    recorded = marks(*of_session)
    per_request = (
        sa.select(
            recorded.c.request_id,
            sa.func.count().filter(recorded.c.value == Presence.PRESENT.value).label("present"),
            sa.func.count().filter(recorded.c.value == Presence.ABSENT.value).label("absent"),
            sa.func.count().filter(recorded.c.value == Presence.EXCUSED.value).label("excused"),
        )
        .group_by(recorded.c.request_id)
        .subquery("per_request")
    )
    counted = sa.or_(
        REQUESTS.c.present_half_days != 0, REQUESTS.c.absent_half_days != 0, REQUESTS.c.excused_half_days != 0
    )
    request_scope = [REQUESTS.c.session_id == session_id] if session_id is not None else []
    db.session.execute(
        sa.update(REQUESTS)
        .where(counted, *request_scope)
        .values(present_half_days=0, absent_half_days=0, excused_half_days=0)
    )
    db.session.execute(
        sa.update(REQUESTS)
        .where(REQUESTS.c.id == per_request.c.request_id)
        .values(
            present_half_days=per_request.c.present,
            absent_half_days=per_request.c.absent,
            excused_half_days=per_request.c.excused,
        )
    )
    enrolled = marks(TrainingRequest.status == RequestStatus.ENROLLED, *of_session)
    per_date = (
        sa.select(
            enrolled.c.slot_date_id,
            sa.func.count(
                sa.distinct(sa.case((enrolled.c.value == Presence.PRESENT.value, enrolled.c.request_id)))
            ).label("present"),
        )
        .group_by(enrolled.c.slot_date_id)
        .subquery("per_date")
    )
    date_scope = (
        [
            DATES.c.slot_id.in_(
                sa.select(Slot.id)
                .join(Sequence, Sequence.id == Slot.sequence_id)
                .where(Sequence.session_id == session_id)
            )
        ]
        if session_id is not None
        else []
    )
    db.session.execute(
        sa.update(DATES)
        .where(DATES.c.present_participants.is_not(None), *date_scope)
        .values(present_participants=None)
    )
    db.session.execute(
        sa.update(DATES)
        .where(DATES.c.id == per_date.c.slot_date_id)
        .values(present_participants=per_date.c.present)
    )


def recount_attendance(session_id: int) -> None:
    """The attendance tallies of one session's demandes and dates, from its marks and signatures."""
    db.session.flush()
    _recount_attendance(session_id)
    _forget_loaded_tallies()


TALLIES = {
    TrainingRequest: ["present_half_days", "absent_half_days", "excused_half_days"],
    SlotDate: ["present_participants"],
}


def _forget_loaded_tallies() -> None:
    """The demandes and dates already loaded read their tallies again when next asked (the recount
    wrote them without the objects)."""
    for loaded in list(db.session.identity_map.values()):
        names = TALLIES.get(type(loaded))
        if names is not None:
            db.session.expire(loaded, names)


def _scores():
    """(member, score, is_number) for the members of a response's JSON answers."""
    if db.session.get_bind().dialect.name == "postgresql":
        member = sa.func.json_each(SurveyResponse.answers).table_valued("key", "value", joins_implicitly=True)
        score = sa.cast(sa.cast(member.c.value, sa.Text), sa.Numeric)
        is_number = sa.func.json_typeof(member.c.value) == "number"
    else:
        member = sa.func.json_each(SurveyResponse.answers).table_valued(
            "key", "value", "type", joins_implicitly=True
        )
        score = member.c.value
        is_number = member.c.type.in_(("integer", "real"))
    return member, score, is_number


def _recount_scores(session_id: int | None) -> None:
    """Two statements: the session's score lines deleted, then summed again from its responses."""
    scope = [SurveyResponse.session_id == session_id] if session_id is not None else []
    db.session.execute(
        sa.delete(SurveyScore.__table__).where(
            *([SurveyScore.__table__.c.session_id == session_id] if session_id is not None else [])
        )
    )
    member, score, is_number = _scores()
    summed = (
        sa.select(
            SurveyResponse.session_id,
            SurveyResponse.kind,
            member.c.key,
            sa.func.count(),
            sa.func.sum(score),
        )
        .select_from(SurveyResponse)
        .join(member, sa.true())
        .where(is_number, *scope)
        .group_by(SurveyResponse.session_id, SurveyResponse.kind, member.c.key)
    )
    columns = SurveyScore.__table__.c
    db.session.execute(
        sa.insert(SurveyScore.__table__).from_select(
            [columns.session_id, columns.kind, columns.question, columns.answers, columns.total], summed
        )
    )


def _recount_survey_tally(session_id: int | None) -> None:
    """Two statements: the session's survey tallies deleted, then counted again from its responses
    and its enrolled participants' survey links (a participant and survey — and sequence for hot and
    cold surveys — counts once, answered when one of its links was used)."""
    table = SurveyTally.__table__
    db.session.execute(
        sa.delete(table).where(*([table.c.session_id == session_id] if session_id is not None else []))
    )
    zero = sa.literal(0)
    received = (
        sa.select(
            SurveyResponse.session_id.label("session_id"),
            SurveyResponse.kind.label("kind"),
            sa.func.count().label("responses"),
            zero.label("invited"),
            zero.label("answered"),
        )
        .where(*([SurveyResponse.session_id == session_id] if session_id is not None else []))
        .group_by(SurveyResponse.session_id, SurveyResponse.kind)
    )
    kind = sa.func.coalesce(AccessLink.survey_kind, SurveyKind.SESSION.value)
    sent = (
        sa.select(
            TrainingRequest.session_id.label("session_id"),
            kind.label("kind"),
            sa.func.max(sa.case((AccessLink.used_at.is_not(None), 1), else_=0)).label("answered"),
        )
        .join(TrainingRequest, TrainingRequest.id == AccessLink.request_id)
        .where(
            AccessLink.purpose == LinkPurpose.SURVEY,
            TrainingRequest.status == RequestStatus.ENROLLED,
            *([TrainingRequest.session_id == session_id] if session_id is not None else []),
        )
        .group_by(TrainingRequest.session_id, kind, AccessLink.request_id, AccessLink.sequence_id)
        .subquery("sent")
    )
    invited = sa.select(
        sent.c.session_id, sent.c.kind, zero, sa.func.count(), sa.func.sum(sent.c.answered)
    ).group_by(sent.c.session_id, sent.c.kind)
    both = sa.union_all(received, invited).subquery("both")
    db.session.execute(
        sa.insert(table).from_select(
            [table.c.session_id, table.c.kind, table.c.responses, table.c.invited, table.c.answered],
            sa.select(
                both.c.session_id,
                both.c.kind,
                sa.func.sum(both.c.responses),
                sa.func.sum(both.c.invited),
                sa.func.sum(both.c.answered),
            ).group_by(both.c.session_id, both.c.kind),
        )
    )


def recount_surveys(session_id: int) -> None:
    """The score lines and survey tallies of one session, from its responses and survey links."""
    db.session.flush()
    _recount_scores(session_id)
    _recount_survey_tally(session_id)


def recount_surveys_of_requests(request_ids: list[int]) -> None:
    """The survey tallies of the sessions of these demandes (their survey links were issued)."""
    db.session.flush()
    for session_id in db.session.scalars(
        sa.select(TrainingRequest.session_id).where(TrainingRequest.id.in_(request_ids)).distinct()
    ):
        _recount_survey_tally(session_id)


def recount_all() -> None:
    """Every tally, from every mark, signature and response (a database filled in bulk)."""
    db.session.flush()
    _recount_attendance(None)
    _recount_scores(None)
    _recount_survey_tally(None)
    _forget_loaded_tallies()
