"""« Choisir une évaluation » and the results panel of a session."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from ..extensions import db
from ..models import Evaluation, SurveyResponse, TrainingSession, User
from .errors import DomainError
from .history import change_reason
from .sessions import ensure_can_change


@dataclass
class EvaluationResults:
    responses: int
    averages: list[tuple[str, Decimal | None]]


def choose_evaluation(
    session: TrainingSession, evaluation_id: int | None, user: User | None, reason=None
) -> None:
    evaluation = db.session.get(Evaluation, evaluation_id) if evaluation_id else None
    if evaluation_id and evaluation is None:
        raise DomainError(gettext("Choose an evaluation in the list."), field="evaluation_id")
    ensure_can_change(session, user, reason)
    with change_reason(reason):
        session.evaluation = evaluation
        db.session.flush()


def results(session: TrainingSession) -> EvaluationResults | None:
    """None while no trainee is enrolled (the panel then says « Pas de données »)."""
    if not session.enrolled_count or session.evaluation is None:
        return None
    answers = db.session.scalars(
        sa.select(SurveyResponse.answers).where(
            SurveyResponse.session_id == session.id, SurveyResponse.evaluation_id == session.evaluation_id
        )
    ).all()
    averages = []
    for question in session.evaluation.question_list:
        scores = [Decimal(str(a[question])) for a in answers if isinstance(a.get(question), int | float)]
        averages.append((question, (sum(scores) / len(scores)).quantize(Decimal("0.1")) if scores else None))
    return EvaluationResults(responses=len(answers), averages=averages)
