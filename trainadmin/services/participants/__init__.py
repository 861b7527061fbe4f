"""Participants: demandes and their validation workflow, seats and the waiting list, attendance
and certifications, and the documents made for them (convocation, feuille d'émargement)."""

from __future__ import annotations

from .attendance import (
    CERTIFICATION_RESULTS,
    attendance_days,
    attendance_sheet,
    covered_half_days,
    enrolled_participants,
    find_day,
)
from .attendance_saving import parse_day, save_sheet, set_whole_day
from .convocations import convocation_pdf
from .demandes import (
    CANCEL_REASONS,
    OPEN,
    PENDING,
    cancel_enrolment,
    enrol,
    expected_action,
    participants,
    refuse,
    search_collaborators,
    validate,
)
from .signin_sheet import signin_sheet_pdf

__all__ = [
    "CANCEL_REASONS",
    "CERTIFICATION_RESULTS",
    "OPEN",
    "PENDING",
    "attendance_days",
    "attendance_sheet",
    "cancel_enrolment",
    "convocation_pdf",
    "covered_half_days",
    "enrol",
    "enrolled_participants",
    "expected_action",
    "find_day",
    "parse_day",
    "participants",
    "refuse",
    "save_sheet",
    "search_collaborators",
    "set_whole_day",
    "signin_sheet_pdf",
    "validate",
]
