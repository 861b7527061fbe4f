"""Evaluation of a session: the questionnaire chosen, the responses entered or imported from a CSV
file, and the results shown on the « Évaluation » tab."""

from __future__ import annotations

from .response_import import KIND_WORDS, MAX_IMPORT_BYTES, MAX_LINE_CHARS, ImportRejected, import_responses
from .responses import SCORE_MAX, SCORE_MIN, add_response, respondents
from .results import choose_evaluation, results

__all__ = [
    "ImportRejected",
    "KIND_WORDS",
    "MAX_IMPORT_BYTES",
    "MAX_LINE_CHARS",
    "SCORE_MAX",
    "SCORE_MIN",
    "add_response",
    "choose_evaluation",
    "import_responses",
    "respondents",
    "results",
]
