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


def _average(sums: list | None) -> Decimal | None:
    return sums[1] / sums[0] if sums and sums[0] else None


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
    # The JSON is read once: count and sum of the scores per formation, survey and question; the
    # averages per question and per formation are summed from these few rows.
    scored = db.session.execute(
        answers.add_columns(
            TrainingSession.training_id,
            SurveyResponse.kind,
            member.c.key,
            sa.func.count(),
            sa.func.sum(score),
        ).group_by(TrainingSession.training_id, SurveyResponse.kind, member.c.key)
    ).all()
    per_question: dict[tuple[SurveyKind, str], list] = {}
    per_training: dict[tuple[int, SurveyKind], list] = {}
    for training_id, kind_value, question, n, total in scored:
        for key, sums in (
            ((SurveyKind(kind_value), question), per_question),
            ((training_id, SurveyKind(kind_value)), per_training),
        ):
            entry = sums.setdefault(key, [0, Decimal(0)])
            entry[0] += n
            entry[1] += Decimal(str(total))
    questions = [
        (kind, question, n, total / n)
        for (kind, question), (n, total) in sorted(
            per_question.items(), key=lambda item: (KINDS.index(item[0][0]), item[0][1])
        )
    ]
    trainings = [
        (name, kind, responses, _average(per_training.get((training_id, SurveyKind(kind)))))
        for training_id, name, kind, responses in db.session.execute(
            sa.select(Training.id, Training.name, SurveyResponse.kind, sa.func.count())
            .select_from(SurveyResponse)
            .join(TrainingSession, TrainingSession.id == SurveyResponse.session_id)
            .join(Training, Training.id == TrainingSession.training_id)
            .where(*in_scope)
            .group_by(Training.id, Training.name, SurveyResponse.kind)
            .order_by(Training.name, SurveyResponse.kind)
        )
    ]
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
