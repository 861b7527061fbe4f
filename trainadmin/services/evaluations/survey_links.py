"""Surveys answered by link: a participant opens their personal link (no account), scores every
question of the survey's evaluation from 1 to 5, may add a comment, and sends it once.

Which evaluation a link asks: a sequence's hot (or cold) survey asks the questionnaire chosen in
that sequence's survey settings, or the session's evaluation when none is chosen there; a link
without a sequence asks the session's evaluation.

An anonymous evaluation (`Evaluation.anonymous`) keeps its answers without the person: the response
has no demande, and holds only the day it was received; the link records that it was used (so the
participant is not reminded and cannot answer twice), at the time it was sent rather than the
time of the answer — nothing on either row leads from one to the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext

from ...extensions import db
from ...ids import parse_id
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
    WorkflowStatus,
)
from ...models.types import utcnow
from .. import tallies
from ..errors import DomainError, ValidationFailed
from ..links import LinkRefused, Refusal, use
from .responses import SCORE_MAX, SCORE_MIN

#: The longest comment kept (characters).
COMMENT_MAX = 2000


class SurveyUnavailable(DomainError):
    """The survey of a link cannot be answered (any more): the participant is no longer enrolled,
    the session was cancelled, or no questionnaire is chosen."""


@dataclass
class Survey:
    """What a survey link's page shows."""

    link: AccessLink
    session: TrainingSession
    sequence: Sequence | None
    kind: SurveyKind
    evaluation: Evaluation
    questions: list[str]

    @property
    def anonymous(self) -> bool:
        return self.evaluation.anonymous


def survey_evaluation(
    session: TrainingSession, kind: SurveyKind, sequence: Sequence | None
) -> Evaluation | None:
    """The questionnaire a survey asks: the sequence's own for its hot or cold survey, else the
    session's evaluation."""
    if sequence is not None and kind == SurveyKind.HOT and sequence.hot_survey_evaluation is not None:
        return sequence.hot_survey_evaluation
    if sequence is not None and kind == SurveyKind.COLD and sequence.cold_survey_evaluation is not None:
        return sequence.cold_survey_evaluation
    return session.evaluation


def open_survey(link: AccessLink) -> Survey:
    """The survey of a live link, as its page shows it; reads only. SurveyUnavailable when it
    cannot be answered."""
    request = link.request
    if request is None or request.status != RequestStatus.ENROLLED:
        raise SurveyUnavailable(
            gettext("This survey is no longer open: you are not enrolled in this session.")
        )
    session = request.session
    if session.status == WorkflowStatus.CANCELLED:
        raise SurveyUnavailable(gettext("This survey is no longer open: the session was cancelled."))
    kind = link.survey_kind or SurveyKind.SESSION
    evaluation = survey_evaluation(session, kind, link.sequence)
    questions = list(dict.fromkeys(evaluation.question_list)) if evaluation is not None else []
    if not questions:
        raise SurveyUnavailable(
            gettext("This survey is not ready yet. Try again later or ask the training department.")
        )
    return Survey(link, session, link.sequence, kind, evaluation, questions)


def _same_survey(request_id: int | None, kind: SurveyKind | None, sequence_id: int | None):
    return (
        AccessLink.purpose == LinkPurpose.SURVEY,
        AccessLink.request_id == request_id,
        AccessLink.survey_kind == kind,
        AccessLink.sequence_id.is_(None) if sequence_id is None else AccessLink.sequence_id == sequence_id,
    )


def already_answered(link: AccessLink) -> bool:
    """Has this participant answered this survey, with this link or an earlier one?"""
    return (
        db.session.scalar(
            sa.select(AccessLink.id)
            .where(*_same_survey(link.request_id, link.survey_kind, link.sequence_id))
            .where(AccessLink.used_at.is_not(None))
            .limit(1)
        )
        is not None
    )


def _score(value) -> int | None:
    score = parse_id(value if isinstance(value, str) else "", 1)
    return score if score is not None and SCORE_MIN <= score <= SCORE_MAX else None


def check_survey_answers(questions: list[str], scores: dict, comment) -> tuple[dict[str, int], str | None]:
    """{question: score} and the comment; ValidationFailed with a message per question left
    without a score from 1 to 5 (key: the question's text) and for a comment that cannot be kept
    (key: "comment")."""
    errors: dict[str, str] = {}
    answers: dict[str, int] = {}
    for question in questions:
        score = _score(scores.get(question))
        if score is None:
            errors[question] = gettext(
                "Choose a score from %(min)s to %(max)s for this question.", min=SCORE_MIN, max=SCORE_MAX
            )
        else:
            answers[question] = score
    text = (comment if isinstance(comment, str) else "").strip()
    if len(text) > COMMENT_MAX:
        errors["comment"] = gettext("At most %(n)s characters.", n=COMMENT_MAX)
    elif "\x00" in text:
        errors["comment"] = gettext("This text contains invisible control characters: type it again.")
    if errors:
        raise ValidationFailed(errors)
    return answers, text or None


def answer_survey(
    link: AccessLink, scores: dict, comment=None, now: datetime | None = None
) -> SurveyResponse:
    """Record the participant's answers ({question: "1".."5"}, every question required) and spend
    the link. LinkRefused (USED) when the survey was already answered, with this link or another."""
    survey = open_survey(link)
    if already_answered(link):
        raise LinkRefused(Refusal.USED, link)
    answers, text = check_survey_answers(survey.questions, scores, comment)
    now = now or utcnow()
    if survey.anonymous:
        use(link, now=link.created_at)
        received = now.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        use(link, now=now)
        received = now
    response = SurveyResponse(
        session_id=survey.session.id,
        request_id=None if survey.anonymous else link.request_id,
        evaluation_id=survey.evaluation.id,
        kind=survey.kind,
        sequence_id=link.sequence_id,
        answers=answers,
        comment=text,
        submitted_at=received,
    )
    db.session.add(response)
    tallies.recount_surveys(response.session_id)
    return response


def participants_without_answer(
    session: TrainingSession, kind: SurveyKind | str, sequence: Sequence | None = None
) -> list[TrainingRequest]:
    """The enrolled participants who were sent this survey's link and have not answered it (with
    any of their links, nor through the staff): whom a survey reminder goes to."""
    kind = SurveyKind(kind)
    sequence_id = sequence.id if sequence is not None else None
    sent = sa.select(AccessLink.id).where(*_same_survey(TrainingRequest.id, kind, sequence_id))
    answered_by_link = sent.where(AccessLink.used_at.is_not(None))
    answered_by_staff = sa.select(SurveyResponse.id).where(
        SurveyResponse.request_id == TrainingRequest.id,
        SurveyResponse.kind == kind,
        SurveyResponse.sequence_id.is_(None)
        if sequence_id is None
        else SurveyResponse.sequence_id == sequence_id,
    )
    return list(
        db.session.scalars(
            sa.select(TrainingRequest)
            .join(TrainingRequest.collaborator)
            .where(
                TrainingRequest.session_id == session.id,
                TrainingRequest.status == RequestStatus.ENROLLED,
                sent.exists(),
                ~answered_by_link.exists(),
                ~answered_by_staff.exists(),
            )
            .options(sa.orm.contains_eager(TrainingRequest.collaborator))
            .order_by(Collaborator.last_name, Collaborator.first_name, TrainingRequest.id)
        )
    )
