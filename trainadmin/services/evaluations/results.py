"""« Choisir une évaluation » for a session, and the results panel of its « Évaluation » tab:
averages per question over the responses to the session's current evaluation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    AccessLink,
    Collaborator,
    Evaluation,
    LinkPurpose,
    RequestStatus,
    Sequence,
    SurveyKind,
    SurveyResponse,
    TrainingRequest,
    TrainingSession,
    User,
)
from .. import history
from ..errors import DomainError
from ..history import snapshots
from ..sessions import ensure_can_change
from .survey_links import survey_evaluation


@dataclass
class Comment:
    text: str
    #: The participant's name; None for a response without one (anonymous, or entered so).
    author: str | None = None


@dataclass
class SurveyResults:
    """One survey sent by link (the session's evaluation, or a sequence's hot or cold survey)."""

    kind: SurveyKind
    sequence: Sequence | None
    evaluation: Evaluation | None
    #: Enrolled participants who were sent a link, and how many of them answered.
    invited: int
    answered: int
    responses: int = 0
    averages: list[tuple[str, Decimal | None]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    @property
    def rate(self) -> int | None:
        """Answers per participant who got the survey, in per cent."""
        return round(100 * self.answered / self.invited) if self.invited else None


@dataclass
class EvaluationResults:
    """The responses to the session's evaluation (entered, imported or by link), then each survey
    sent by link with its response rate."""

    responses: int
    averages: list[tuple[str, Decimal | None]]
    by_kind: list[tuple[SurveyKind, int]]
    comments: list[Comment] = field(default_factory=list)
    surveys: list[SurveyResults] = field(default_factory=list)
    evaluation: Evaluation | None = None


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
    """None while no trainee is enrolled (the panel then says « Pas de données »), or while the
    session has neither an evaluation nor a survey sent. A fixed number of statements whatever the
    numbers of responses, sequences and participants."""
    if not session.enrolled_count:
        return None
    surveys = _surveys_sent(session)
    if session.evaluation is None and not surveys:
        return None
    rows = db.session.execute(
        sa.select(
            SurveyResponse.kind,
            SurveyResponse.sequence_id,
            SurveyResponse.evaluation_id,
            SurveyResponse.answers,
            SurveyResponse.comment,
            SurveyResponse.request_id,
            Collaborator.first_name,
            Collaborator.last_name,
        )
        .outerjoin(TrainingRequest, TrainingRequest.id == SurveyResponse.request_id)
        .outerjoin(Collaborator, Collaborator.id == TrainingRequest.collaborator_id)
        .where(SurveyResponse.session_id == session.id)
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    ).all()
    evaluation = session.evaluation
    own = [row for row in rows if evaluation is not None and row.evaluation_id == evaluation.id]
    kinds = Counter(row.kind for row in own)
    for survey in surveys:
        if survey.evaluation is None:
            continue
        answers = [
            row
            for row in rows
            if row.kind == survey.kind
            and row.sequence_id == (survey.sequence.id if survey.sequence is not None else None)
            and row.evaluation_id == survey.evaluation.id
        ]
        survey.responses = len(answers)
        survey.averages = _averages(survey.evaluation.question_list, answers)
        survey.comments = _comments(survey.evaluation, answers)
    return EvaluationResults(
        responses=len(own),
        averages=_averages(evaluation.question_list, own) if evaluation is not None else [],
        by_kind=[(kind, kinds[kind]) for kind in SurveyKind if kinds[kind]],
        comments=_comments(evaluation, own) if evaluation is not None else [],
        surveys=surveys,
        evaluation=evaluation,
    )


def _averages(questions: list[str], rows) -> list[tuple[str, Decimal | None]]:
    averages = []
    for question in dict.fromkeys(questions):
        scores = [
            Decimal(str(row.answers[question]))
            for row in rows
            if isinstance(row.answers, dict) and isinstance(row.answers.get(question), int | float)
        ]
        averages.append((question, (sum(scores) / len(scores)).quantize(Decimal("0.1")) if scores else None))
    return averages


def _comments(evaluation: Evaluation, rows) -> list[Comment]:
    """The comments, with the participant's name unless the evaluation is anonymous."""
    return [
        Comment(
            row.comment,
            None
            if evaluation.anonymous or row.request_id is None
            else " ".join(part for part in (row.first_name, row.last_name) if part),
        )
        for row in rows
        if row.comment
    ]


SURVEY_ORDER = {SurveyKind.SESSION: 0, SurveyKind.HOT: 1, SurveyKind.COLD: 2}


def _surveys_sent(session: TrainingSession) -> list[SurveyResults]:
    """Each survey of the session sent by link, with its enrolled participants who got a link and
    those of them who answered; the session's evaluation first, then by sequence."""
    counts = db.session.execute(
        sa.select(
            AccessLink.survey_kind,
            AccessLink.sequence_id,
            sa.func.count(sa.distinct(AccessLink.request_id)),
            sa.func.count(sa.distinct(sa.case((AccessLink.used_at.is_not(None), AccessLink.request_id)))),
        )
        .join(TrainingRequest, TrainingRequest.id == AccessLink.request_id)
        .where(
            AccessLink.purpose == LinkPurpose.SURVEY,
            TrainingRequest.session_id == session.id,
            TrainingRequest.status == RequestStatus.ENROLLED,
        )
        .group_by(AccessLink.survey_kind, AccessLink.sequence_id)
    ).all()
    if not counts:
        return []
    sequence_ids = {row.sequence_id for row in counts if row.sequence_id is not None}
    sequences = {
        sequence.id: sequence
        for sequence in db.session.scalars(
            sa.select(Sequence)
            .where(Sequence.id.in_(sequence_ids))
            .options(
                selectinload(Sequence.hot_survey_evaluation), selectinload(Sequence.cold_survey_evaluation)
            )
        )
    }
    surveys = []
    for kind, sequence_id, invited, answered in counts:
        kind = kind or SurveyKind.SESSION
        sequence = sequences.get(sequence_id)
        surveys.append(
            SurveyResults(
                kind=kind,
                sequence=sequence,
                evaluation=survey_evaluation(session, kind, sequence),
                invited=invited,
                answered=answered,
            )
        )
    surveys.sort(
        key=lambda s: (
            s.sequence is not None,
            s.sequence.position if s.sequence is not None else 0,
            s.sequence.id if s.sequence is not None else 0,
            SURVEY_ORDER[s.kind],
        )
    )
    return surveys
