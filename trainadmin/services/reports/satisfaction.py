"""« Satisfaction »: the average score per question and per formation, and the response rates of
the surveys sent by link, over the sessions of the period. The scores are the numbers answered
(a text answer is not a score); questions are grouped by their text. The response rate is the one
of the « Évaluation » tab of each session: enrolled participants who were sent a survey link, and
how many of them answered, per survey (session, hot, cold). Three statements."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    AccessLink,
    LinkPurpose,
    RequestStatus,
    SurveyKind,
    SurveyResponse,
    Training,
    TrainingRequest,
    TrainingSession,
)
from .activity import percent, rounded
from .filters import ReportFilters
from .scope import is_postgresql, session_conditions

TENTH = Decimal("0.1")
#: The order surveys are shown in: after the training (hot), later (cold), the session's own.
KINDS = (SurveyKind.HOT, SurveyKind.COLD, SurveyKind.SESSION)


@dataclass
class QuestionLine:
    kind: SurveyKind
    question: str
    answers: int
    average: Decimal


@dataclass
class TrainingScore:
    training: str
    kind: SurveyKind
    responses: int
    average: Decimal | None


@dataclass
class RateLine:
    kind: SurveyKind
    invited: int
    answered: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.answered, self.invited)


@dataclass
class SatisfactionReport:
    questions: list[QuestionLine]
    by_training: list[TrainingScore]
    rates: list[RateLine]


def _scores():
    """(response, question, score) for every number answered: the JSON object's members."""
    if is_postgresql():
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


def satisfaction_report(filters: ReportFilters) -> SatisfactionReport:
    in_scope = session_conditions(filters)
    member, score, is_number = _scores()
    answers = (
        sa.select()
        .select_from(SurveyResponse)
        .join(TrainingSession, TrainingSession.id == SurveyResponse.session_id)
        .join(member, sa.true())
        .where(is_number, *in_scope)
    )
    questions = db.session.execute(
        answers.add_columns(SurveyResponse.kind, member.c.key, sa.func.count(), sa.func.avg(score)).group_by(
            SurveyResponse.kind, member.c.key
        )
    ).all()
    questions = sorted(questions, key=lambda row: (KINDS.index(SurveyKind(row[0])), row[1]))
    per_response = (
        sa.select(
            SurveyResponse.id.label("id"),
            SurveyResponse.kind.label("kind"),
            TrainingSession.training_id.label("training_id"),
        )
        .join(TrainingSession, TrainingSession.id == SurveyResponse.session_id)
        .where(*in_scope)
        .subquery("responses")
    )
    numbers = answers.add_columns(SurveyResponse.id.label("id"), score.label("score")).subquery("numbers")
    trainings = db.session.execute(
        sa.select(
            Training.name,
            per_response.c.kind,
            sa.func.count(sa.distinct(per_response.c.id)),
            sa.func.avg(numbers.c.score),
        )
        .select_from(per_response)
        .join(Training, Training.id == per_response.c.training_id)
        .outerjoin(numbers, numbers.c.id == per_response.c.id)
        .group_by(Training.id, Training.name, per_response.c.kind)
        .order_by(Training.name, per_response.c.kind)
    ).all()
    kind = sa.func.coalesce(AccessLink.survey_kind, SurveyKind.SESSION.value)
    sent = (
        sa.select(
            kind.label("kind"),
            sa.func.max(sa.case((AccessLink.used_at.is_not(None), 1), else_=0)).label("answered"),
        )
        .join(TrainingRequest, TrainingRequest.id == AccessLink.request_id)
        .join(TrainingSession, TrainingSession.id == TrainingRequest.session_id)
        .where(
            AccessLink.purpose == LinkPurpose.SURVEY,
            TrainingRequest.status == RequestStatus.ENROLLED,
            *in_scope,
        )
        .group_by(kind, AccessLink.request_id, AccessLink.sequence_id)
        .subquery("sent")
    )
    rates = dict(
        (row[0], row[1:])
        for row in db.session.execute(
            sa.select(sent.c.kind, sa.func.count(), sa.func.sum(sent.c.answered)).group_by(sent.c.kind)
        )
    )
    return SatisfactionReport(
        questions=[
            QuestionLine(SurveyKind(k), question, int(n), rounded(avg, TENTH))
            for k, question, n, avg in questions
        ],
        by_training=[
            TrainingScore(name, SurveyKind(k), int(n), rounded(avg, TENTH) if avg is not None else None)
            for name, k, n, avg in trainings
        ],
        rates=[
            RateLine(k, int(rates[k.value][0]), int(rates[k.value][1] or 0))
            if k.value in rates
            else RateLine(k, 0, 0)
            for k in KINDS
        ],
    )
