"""Evaluation of a session: the questionnaire chosen, the responses entered or imported from a CSV
file or given by the participants from their survey links, and the results shown on the
« Évaluation » tab."""

from __future__ import annotations

from ..links import SURVEY_LINK_DAYS, survey_link, survey_links
from .response_import import KIND_WORDS, MAX_IMPORT_BYTES, MAX_LINE_CHARS, ImportRejected, import_responses
from .responses import SCORE_MAX, SCORE_MIN, add_response, respondents
from .results import choose_evaluation, results
from .survey_links import (
    COMMENT_MAX,
    Survey,
    SurveyUnavailable,
    already_answered,
    answer_survey,
    open_survey,
    participants_without_answer,
    survey_evaluation,
)

__all__ = [
    "COMMENT_MAX",
    "ImportRejected",
    "KIND_WORDS",
    "MAX_IMPORT_BYTES",
    "MAX_LINE_CHARS",
    "SCORE_MAX",
    "SCORE_MIN",
    "SURVEY_LINK_DAYS",
    "Survey",
    "SurveyUnavailable",
    "add_response",
    "already_answered",
    "answer_survey",
    "choose_evaluation",
    "import_responses",
    "open_survey",
    "participants_without_answer",
    "respondents",
    "results",
    "survey_evaluation",
    "survey_link",
    "survey_links",
]
