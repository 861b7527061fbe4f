"""« Choisir une évaluation » for a session, and the results panel of its « Évaluation » tab:
averages per question over the responses to the session's current evaluation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...models import Evaluation, SurveyKind, SurveyResponse, TrainingSession, User
from .. import history
from ..errors import DomainError
from ..history import snapshots
from ..sessions import ensure_can_change


@dataclass
class EvaluationResults:
    responses: int
    averages: list[tuple[str, Decimal | None]]
    by_kind: list[tuple[SurveyKind, int]]


def choose_evaluation(
    session: TrainingSession, evaluation_id: int | None, user: User | None, reason=None
) -> None:
    evaluation = db.session.get(Evaluation, evaluation_id) if evaluation_id else None
    if evaluation_id and evaluation is None:
        raise DomainError(gettext("Choose an evaluation in the list."), field="evaluation_id")
    ensure_can_change(session, user, reason)
    before = snapshots.session_fields(session)
    session.evaluation = evaluation
    db.session.flush()
    history.record_changes(session, None, before, snapshots.session_fields(session), reason=reason)


def results(session: TrainingSession) -> EvaluationResults | None:
    """None while no trainee is enrolled (the panel then says « Pas de données »)."""
    if not session.enrolled_count or session.evaluation is None:
        return None
    rows = db.session.execute(
        sa.select(SurveyResponse.kind, SurveyResponse.answers).where(
            SurveyResponse.session_id == session.id, SurveyResponse.evaluation_id == session.evaluation_id
        )
    ).all()
    answers = [row.answers for row in rows]
    averages = []
    for question in session.evaluation.question_list:
        scores = [Decimal(str(a[question])) for a in answers if isinstance(a.get(question), int | float)]
        averages.append((question, (sum(scores) / len(scores)).quantize(Decimal("0.1")) if scores else None))
    kinds = Counter(row.kind for row in rows)
    return EvaluationResults(
        responses=len(answers),
        averages=averages,
        by_kind=[(kind, kinds[kind]) for kind in SurveyKind if kinds[kind]],
    )
