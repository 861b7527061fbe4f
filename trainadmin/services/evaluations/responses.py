"""« Choisir une évaluation », the responses the training staff enter or import, and the results panel.

Scores are whole numbers from 1 (lowest) to 5 (highest); a response may leave questions unanswered
but holds at least one score. A participant answers each kind (hot survey, cold survey, session
evaluation) of the session's current evaluation at most once; a response without a participant
is anonymous and never counts as a duplicate. Responses are not changes to the session: they can be
entered on a session locked by its enrolments.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

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
    User,
)
from .. import history
from ..errors import DomainError, ValidationFailed
from ..history import snapshots
from ..sessions import ensure_can_change

SCORE_MIN = 1
SCORE_MAX = 5
MAX_IMPORT_BYTES = 1_000_000
MAX_LINE_CHARS = 5_000
MAX_IMPORT_ROWS = 5_000
#: Words accepted in the « type » column of an import, French or English, any case.
KIND_WORDS = {
    "chaud": SurveyKind.HOT,
    "hot": SurveyKind.HOT,
    "froid": SurveyKind.COLD,
    "cold": SurveyKind.COLD,
    "session": SurveyKind.SESSION,
}
EMAIL_HEADERS = ("email", "e-mail")
KIND_HEADERS = ("type",)
_ECHO = 40  # characters of a user's value repeated in a message
ALREADY_ANSWERED = {
    SurveyKind.HOT: lazy_gettext("%(name)s has already answered the hot survey."),
    SurveyKind.COLD: lazy_gettext("%(name)s has already answered the cold survey."),
    SurveyKind.SESSION: lazy_gettext("%(name)s has already answered the session evaluation."),
}
NOT_TEXT = lazy_gettext("This file is not a CSV text file in UTF-8: save it as « CSV UTF-8 » and try again.")


@dataclass
class EvaluationResults:
    responses: int
    averages: list[tuple[str, Decimal | None]]
    by_kind: list[tuple[SurveyKind, int]]


class ImportRejected(DomainError):
    """An import refused as a whole: one message per problem, each naming its line."""

    def __init__(self, messages: list[str]):
        super().__init__(messages[0])
        self.messages = messages


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
    evaluation = _evaluation_open_to_responses(session)
    errors: dict[str, str] = {}
    kind_value = _kind(kind)
    if kind_value is None:
        errors["kind"] = gettext("Choose the kind of response in the list.")
    demande = None
    if request_id is not None:
        demande = db.session.get(TrainingRequest, request_id)
        if demande is None or demande.session_id != session.id or demande.status != RequestStatus.ENROLLED:
            errors["request_id"] = gettext("Choose a participant enrolled in this session.")
    answers, score_errors = _answers(evaluation.question_list, scores)
    errors.update((f"score:{question}", message) for question, message in score_errors)
    if (
        demande is not None
        and kind_value is not None
        and "request_id" not in errors
        and (demande.id, kind_value) in _answered(session, evaluation)
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
    db.session.flush()
    return response


def import_responses(session: TrainingSession, content: str | bytes) -> int:
    """Responses from a CSV file, all or nothing; returns how many were saved.

    UTF-8 (with or without BOM), `;` or `,` between cells. The first line names the columns:
    `email` (optional: the participant's e-mail; empty = anonymous), `type` (optional: chaud,
    froid, session or hot, cold, session; session when empty), then one column per question,
    headed by the question's exact text. Cells are only ever read as data.
    """
    evaluation = _evaluation_open_to_responses(session)
    questions = evaluation.question_list
    lines = _lines(_decode(content))
    header, delimiter = _header(lines[0], questions)
    by_email = {
        demande.collaborator.email.strip().lower(): demande
        for demande in respondents(session)
        if demande.collaborator.email
    }
    answered = _answered(session, evaluation)
    messages: list[str] = []
    responses: list[SurveyResponse] = []
    for line_number, cells in _records(lines, delimiter):
        problems: list[str] = []
        if len(cells) > len(header):
            problems.append(
                gettext(
                    "%(cells)s cells where the first line names %(columns)s columns.",
                    cells=len(cells),
                    columns=len(header),
                )
            )
        row = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        demande = None
        if email := row.get("email"):
            demande = by_email.get(email.lower())
            if demande is None:
                problems.append(gettext("%(email)s is not enrolled in this session.", email=_echo(email)))
        kind_text = row.get("type", "")
        kind = KIND_WORDS.get(kind_text.lower()) if kind_text else SurveyKind.SESSION
        if kind is None:
            problems.append(
                gettext("unknown type « %(value)s » (chaud, froid or session).", value=_echo(kind_text))
            )
        answers, score_errors = _answers(questions, {q: row.get(q, "") for q in questions})
        problems.extend(message for _question, message in score_errors)
        if demande is not None and kind is not None:
            if (demande.id, kind) in answered:
                problems.append(ALREADY_ANSWERED[kind] % {"name": demande.collaborator})
            answered.add((demande.id, kind))
        messages.extend(_on_line(line_number, problem) for problem in problems)
        if not problems:
            responses.append(
                SurveyResponse(
                    session_id=session.id,
                    request_id=demande.id if demande else None,
                    evaluation_id=evaluation.id,
                    kind=kind,
                    answers=answers,
                )
            )
    if messages:
        raise ImportRejected(messages)
    if not responses:
        raise ImportRejected([gettext("The file holds no response under its first line.")])
    db.session.add_all(responses)
    db.session.flush()
    return len(responses)


# --- Checks shared by the entry form and the import ------------------------------------------------


def _evaluation_open_to_responses(session: TrainingSession) -> Evaluation:
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


def _answers(questions: list[str], scores: dict) -> tuple[dict[str, int], list[tuple[str, str]]]:
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
                        "« %(question)s » is not a question of this evaluation.", question=_echo(question)
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
                        question=_echo(question),
                        value=_echo(text),
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


def _answered(session: TrainingSession, evaluation: Evaluation) -> set[tuple[int, SurveyKind]]:
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


# --- Reading the file ----------------------------------------------------------------------------


def _decode(content: str | bytes) -> str:
    if isinstance(content, bytes):
        if len(content) > MAX_IMPORT_BYTES:
            raise ImportRejected([_too_big()])
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRejected([str(NOT_TEXT)]) from None
    elif len(content.encode("utf-8")) > MAX_IMPORT_BYTES:
        raise ImportRejected([_too_big()])
    text = content.removeprefix("\ufeff")
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        raise ImportRejected([str(NOT_TEXT)])
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or not lines[0].strip():
        raise ImportRejected([gettext("The file is empty.")])
    if len(lines) - 1 > MAX_IMPORT_ROWS:
        raise ImportRejected(
            [gettext("The file has more than %(max)s lines of responses: split it.", max=MAX_IMPORT_ROWS)]
        )
    too_long = [n for n, line in enumerate(lines, start=1) if len(line) > MAX_LINE_CHARS]
    if too_long:
        raise ImportRejected(
            [
                _on_line(n, gettext("the line is longer than %(max)s characters.", max=MAX_LINE_CHARS))
                for n in too_long
            ]
        )
    return lines


def _records(lines: list[str], delimiter: str):
    """(line number, cells) of each non-blank line under the header."""
    reader = csv.reader(lines[1:], delimiter=delimiter, strict=True)
    line_number = 2
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise ImportRejected(
                [_on_line(line_number, gettext("a quotation mark is not closed or is misplaced."))]
            ) from None
        if any(cell.strip() for cell in cells):
            yield line_number, cells
        line_number = reader.line_num + 2


def _too_big() -> str:
    return gettext("The file is larger than %(size)s MB: split it.", size=MAX_IMPORT_BYTES // 1_000_000)


def _header(line: str, questions: list[str]) -> tuple[list[str], str]:
    """Column keys of the first line ("email", "type" or a question) and the separator it uses.

    The separator is the one with which every column is recognised (question texts may hold the
    other one); failing that, the one that recognises more columns, whose problems are reported."""
    best: tuple[int, list[str], str, list[str]] | None = None
    for delimiter in (";", ","):
        names = [name.strip() for name in next(csv.reader([line], delimiter=delimiter))]
        keys, problems = _columns(names, questions)
        recognised = sum(1 for key in keys if key)
        if not problems:
            return keys, delimiter
        if best is None or recognised > best[0]:
            best = (recognised, keys, delimiter, problems)
    raise ImportRejected([_on_line(1, problem) for problem in best[3]])


def _columns(names: list[str], questions: list[str]) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    problems: list[str] = []
    known = set(questions)
    for name in names:
        lowered = name.lower()
        if lowered in EMAIL_HEADERS:
            key = "email"
        elif lowered in KIND_HEADERS:
            key = "type"
        elif name in known:
            key = name
        elif not name:
            key = ""  # a column without a title (a trailing separator): its cells are ignored
        else:
            key = ""
            problems.append(
                gettext(
                    "the column « %(name)s » is neither email, type nor a question of the evaluation.",
                    name=_echo(name),
                )
            )
        if key and key in keys:
            problems.append(gettext("the column « %(name)s » appears twice.", name=_echo(name)))
        keys.append(key)
    if not any(key in known for key in keys):
        problems.append(gettext("no column is headed by a question of the evaluation."))
    return keys, problems


def _on_line(number: int, message: str) -> str:
    return gettext("Line %(line)s: %(error)s", line=number, error=message)


def _echo(value) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _ECHO else text[: _ECHO - 1] + "…"
