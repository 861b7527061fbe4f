"""The responses the training staff enter, and the checks they share with the CSV import.

Scores are whole numbers from 1 (lowest) to 5 (highest); a response may leave questions unanswered
but holds at least one score. A participant answers each kind (hot survey, cold survey, session
evaluation) of the session's current evaluation at most once; a response without a participant
is anonymous and never counts as a duplicate. Responses are not changes to the session: they can be
entered on a session locked by its enrolments.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext

from ...extensions import db
from ...ids import parse_id
from ...models import (
    Collaborator,
    Evaluation,
    RequestStatus,
    SurveyKind,
    SurveyResponse,
    TrainingRequest,
    TrainingSession,
)
from .. import tallies
from ..errors import DomainError, ValidationFailed

SCORE_MIN = 1
SCORE_MAX = 5
_ECHO = 40  # characters of a user's value repeated in a message
ALREADY_ANSWERED = {
    SurveyKind.HOT: lazy_gettext("%(name)s has already answered the hot survey."),
    SurveyKind.COLD: lazy_gettext("%(name)s has already answered the cold survey."),
    SurveyKind.SESSION: lazy_gettext("%(name)s has already answered the session evaluation."),
}


def respondents(session: TrainingSession) -> list[TrainingRequest]:
    """The demandes whose collaborator may answer: those enrolled in the session."""
    return db.session.scalars(
        sa.select(TrainingRequest)
        .join(TrainingRequest.collaborator)
        .where(TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED)
        .options(sa.orm.contains_eager(TrainingRequest.collaborator))
        .order_by(Collaborator.last_name, Collaborator.first_name, TrainingRequest.id)
    ).all()


def add_response(
    session: TrainingSession, request_id: int | None, kind: SurveyKind | str | None, scores: dict
) -> SurveyResponse:
    """One response entered by the staff: {question text: score}, empty scores left unanswered."""
    evaluation = evaluation_open_to_responses(session)
    errors: dict[str, str] = {}
    kind_value = _kind(kind)
    if kind_value is None:
        errors["kind"] = gettext("Choose the kind of response in the list.")
    demande = None
    if request_id is not None:
        demande = db.session.get(TrainingRequest, request_id)
        if demande is None or demande.session_id != session.id or demande.status != RequestStatus.ENROLLED:
            errors["request_id"] = gettext("Choose a participant enrolled in this session.")
    answers, score_errors = check_answers(evaluation.question_list, scores)
    errors.update((f"score:{question}", message) for question, message in score_errors)
    if (
        demande is not None
        and kind_value is not None
        and "request_id" not in errors
        and (demande.id, kind_value) in already_answered(session, evaluation)
    ):
        errors["request_id"] = ALREADY_ANSWERED[kind_value] % {"name": demande.collaborator}
    if errors:
        raise ValidationFailed(errors)
    response = SurveyResponse(
        session_id=session.id,
        request_id=demande.id if demande else None,
        evaluation_id=evaluation.id,
        kind=kind_value,
        answers=answers,
    )
    db.session.add(response)
    tallies.recount_surveys(response.session_id)
    return response


# --- Checks shared by the entry form and the import ------------------------------------------------


def evaluation_open_to_responses(session: TrainingSession) -> Evaluation:
    if session.evaluation is None:
        raise DomainError(gettext("Choose the evaluation of the session first."), field="evaluation_id")
    if not session.enrolled_count:
        raise DomainError(
            gettext("Responses can be entered once a trainee is enrolled in the session."), field="request_id"
        )
    return session.evaluation


def _kind(kind: SurveyKind | str | None) -> SurveyKind | None:
    try:
        return SurveyKind(kind or SurveyKind.SESSION)
    except ValueError:
        return None


def check_answers(questions: list[str], scores: dict) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Checked scores {question: 1..5} and the problems (question, message); empty scores are skipped."""
    answers: dict[str, int] = {}
    problems: list[tuple[str, str]] = []
    known = set(questions)
    for question, value in scores.items():
        if question not in known:
            problems.append(
                (
                    str(question),
                    gettext(
                        "« %(question)s » is not a question of this evaluation.", question=echo(question)
                    ),
                )
            )
            continue
        text = "" if value is None else str(value).strip()
        if not text:
            continue
        score = parse_id(text, 3)
        if score is None or not SCORE_MIN <= score <= SCORE_MAX:
            problems.append(
                (
                    question,
                    gettext(
                        "« %(question)s »: « %(value)s » is not a whole number from %(min)s to %(max)s.",
                        question=echo(question),
                        value=echo(text),
                        min=SCORE_MIN,
                        max=SCORE_MAX,
                    ),
                )
            )
            continue
        answers[question] = score
    if not answers and not problems:
        problems.append(("", gettext("Enter at least one score.")))
    return answers, problems


def already_answered(session: TrainingSession, evaluation: Evaluation) -> set[tuple[int, SurveyKind]]:
    """(demande, kind) pairs that already have a response to this evaluation."""
    return {
        (row.request_id, row.kind)
        for row in db.session.execute(
            sa.select(SurveyResponse.request_id, SurveyResponse.kind).where(
                SurveyResponse.session_id == session.id,
                SurveyResponse.evaluation_id == evaluation.id,
                SurveyResponse.request_id.is_not(None),
            )
        )
    }


def echo(value) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _ECHO else text[: _ECHO - 1] + "…"
