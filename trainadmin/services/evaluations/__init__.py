"""Evaluation of a session: the questionnaire chosen, the responses entered or imported from a CSV
file, and the results shown on the « Évaluation » tab."""

from __future__ import annotations

from .responses import (
    KIND_WORDS,
    MAX_IMPORT_BYTES,
    MAX_LINE_CHARS,
    SCORE_MAX,
    SCORE_MIN,
    ImportRejected,
    add_response,
    choose_evaluation,
    import_responses,
    respondents,
    results,
)

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
