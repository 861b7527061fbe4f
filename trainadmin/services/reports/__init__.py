"""« Rapports »: hours, sessions, costs, attendance, satisfaction and per-collaborator figures
over a period and filters, each computed in SQL with a fixed number of statements whatever the
data size. Reads only: nothing here writes."""

from __future__ import annotations

from .activity import HoursReport, SessionsReport, hours_report, month_span, sessions_report
from .attendance import AttendanceReport, attendance_report
from .collaborators import PAGE_ROWS, CollaboratorsReport, collaborators_report, followed_sessions
from .filters import PRESETS, ReportFilters, choices, default_filters, parse_filters
from .money import CostsReport, costs_report
from .satisfaction import SatisfactionReport, satisfaction_report
from .scope import prepare_reading

__all__ = [
    "PAGE_ROWS",
    "PRESETS",
    "AttendanceReport",
    "CollaboratorsReport",
    "CostsReport",
    "HoursReport",
    "ReportFilters",
    "SatisfactionReport",
    "SessionsReport",
    "attendance_report",
    "choices",
    "collaborators_report",
    "costs_report",
    "default_filters",
    "followed_sessions",
    "hours_report",
    "month_span",
    "parse_filters",
    "prepare_reading",
    "satisfaction_report",
    "sessions_report",
]
