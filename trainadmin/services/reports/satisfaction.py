"""« Satisfaction »: the average score per question and per formation, and the response rates of
the surveys sent by link, over the sessions of the period. The scores are the numbers answered
(a text answer is not a score); questions are grouped by their text. The response rate is the one
of the « Évaluation » tab of each session: enrolled participants who were sent a survey link, and
how many of them answered, per survey (session, hot, cold). Two statements, over the tallies each
session keeps of its responses and survey links (services/tallies.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    SurveyKind,
    SurveyScore,
    SurveyTally,
    Training,
    TrainingSession,
)
from .activity import percent, rounded
from .filters import ReportFilters
from .scope import session_conditions

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


def _average(sums: list | None) -> Decimal | None:
    return sums[1] / sums[0] if sums and sums[0] else None


def satisfaction_report(filters: ReportFilters) -> SatisfactionReport:
    in_scope = session_conditions(filters)
    # Count and sum of the scores per formation, survey and question, from each session's score
    # lines (services/tallies.py: the responses' JSON summed when they were received); the averages
    # per question and per formation are summed from these few rows.
    scored = db.session.execute(
        sa.select(
            TrainingSession.training_id,
            SurveyScore.kind,
            SurveyScore.question,
            sa.func.sum(SurveyScore.answers),
            sa.func.sum(SurveyScore.total),
        )
        .join(TrainingSession, TrainingSession.id == SurveyScore.session_id)
        .where(*in_scope)
        .group_by(TrainingSession.training_id, SurveyScore.kind, SurveyScore.question)
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
    # Responses, surveys sent by link and answered, per formation and survey: from each session's
    # survey tallies (services/tallies.py); the response rates are their sums per survey.
    trainings = []
    rates: dict[str, list[int]] = {}
    for training_id, name, kind, responses, invited, answered in db.session.execute(
        sa.select(
            Training.id,
            Training.name,
            SurveyTally.kind,
            sa.func.sum(SurveyTally.responses),
            sa.func.sum(SurveyTally.invited),
            sa.func.sum(SurveyTally.answered),
        )
        .select_from(SurveyTally)
        .join(TrainingSession, TrainingSession.id == SurveyTally.session_id)
        .join(Training, Training.id == TrainingSession.training_id)
        .where(*in_scope)
        .group_by(Training.id, Training.name, SurveyTally.kind)
        .order_by(Training.name, SurveyTally.kind)
    ):
        if responses:
            trainings.append(
                (name, kind, responses, _average(per_training.get((training_id, SurveyKind(kind)))))
            )
        sent = rates.setdefault(SurveyKind(kind).value, [0, 0])
        sent[0] += int(invited or 0)
        sent[1] += int(answered or 0)
    return SatisfactionReport(
        questions=[
            QuestionLine(SurveyKind(k), question, int(n), rounded(avg, TENTH))
            for k, question, n, avg in questions
        ],
        by_training=[
            TrainingScore(name, SurveyKind(k), int(n), rounded(avg, TENTH) if avg is not None else None)
            for name, k, n, avg in trainings
        ],
        rates=[RateLine(k, *rates.get(k.value, (0, 0))) for k in KINDS],
    )
