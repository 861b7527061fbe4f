"""Responses imported from a CSV file, all or nothing: the file is read as data only, within size
and line limits, and every problem is reported with its line."""

from __future__ import annotations

import csv

from flask_babel import gettext, lazy_gettext

from ...extensions import db
from ...models import SurveyKind, SurveyResponse, TrainingSession
from .. import tallies
from ..errors import DomainError
from .responses import (
    ALREADY_ANSWERED,
    already_answered,
    check_answers,
    echo,
    evaluation_open_to_responses,
    respondents,
)

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
NOT_TEXT = lazy_gettext("This file is not a CSV text file in UTF-8: save it as « CSV UTF-8 » and try again.")


class ImportRejected(DomainError):
    """An import refused as a whole: one message per problem, each naming its line."""

    def __init__(self, messages: list[str]):
        super().__init__(messages[0])
        self.messages = messages


def import_responses(session: TrainingSession, content: str | bytes) -> int:
    """Responses from a CSV file, all or nothing; returns how many were saved.

    UTF-8 (with or without BOM), `;` or `,` between cells. The first line names the columns:
    `email` (optional: the participant's e-mail; empty = anonymous), `type` (optional: chaud,
    froid, session or hot, cold, session; session when empty), then one column per question,
    headed by the question's exact text. Cells are only ever read as data.
    """
    evaluation = evaluation_open_to_responses(session)
    questions = evaluation.question_list
    lines = _lines(_decode(content))
    header, delimiter = _header(lines[0], questions)
    by_email = {
        demande.collaborator.email.strip().lower(): demande
        for demande in respondents(session)
        if demande.collaborator.email
    }
    answered = already_answered(session, evaluation)
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
                problems.append(gettext("%(email)s is not enrolled in this session.", email=echo(email)))
        kind_text = row.get("type", "")
        kind = KIND_WORDS.get(kind_text.lower()) if kind_text else SurveyKind.SESSION
        if kind is None:
            problems.append(
                gettext("unknown type « %(value)s » (chaud, froid or session).", value=echo(kind_text))
            )
        answers, score_errors = check_answers(questions, {q: row.get(q, "") for q in questions})
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
    tallies.recount_surveys(session.id)
    return len(responses)


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
                    name=echo(name),
                )
            )
        if key and key in keys:
            problems.append(gettext("the column « %(name)s » appears twice.", name=echo(name)))
        keys.append(key)
    if not any(key in known for key in keys):
        problems.append(gettext("no column is headed by a question of the evaluation."))
    return keys, problems


def _on_line(number: int, message: str) -> str:
    return gettext("Line %(line)s: %(error)s", line=number, error=message)
