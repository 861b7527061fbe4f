"""The sections of « Rapports » in the order of the page, the per-collaborator tables, and what each
export runs: `/admin/reports/export/<key>.<csv|xlsx>` with the page's filters gives the table of
that key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..services import reports
from .report_cells import ReportTable
from .report_tables import (
    attendance_tables,
    costs_tables,
    hours_tables,
    satisfaction_tables,
    sessions_tables,
)


def collaborators_tables(report: reports.CollaboratorsReport) -> list[ReportTable]:
    table = ReportTable(
        key="collaborators",
        title=gettext("Trainings followed per collaborator"),
        headers=[
            gettext("Last name"),
            gettext("First name"),
            gettext("E-mail"),
            gettext("Employee number"),
            gettext("Department"),
            gettext("Sessions"),
            gettext("Trainings"),
            gettext("Hours"),
            gettext("Attendance rate"),
        ],
        rows=[
            [
                line.last_name,
                line.first_name,
                line.email,
                line.employee_number,
                line.department,
                line.sessions,
                line.trainings,
                line.hours,
                line.rate,
            ]
            for line in report.lines
        ],
        percent=frozenset({8}),
        note=gettext(
            "Sessions not cancelled starting in the period where the collaborator is enrolled; hours = the "
            "sessions' duration in hours, as their page shows it."
        ),
    )
    return [table]


def followed_table(lines: list) -> ReportTable:
    return ReportTable(
        key="collaborator_sessions",
        title=gettext("Sessions followed per collaborator"),
        headers=[
            gettext("Last name"),
            gettext("First name"),
            gettext("E-mail"),
            gettext("Employee number"),
            gettext("Code"),
            gettext("Session"),
            gettext("Training"),
            gettext("Start"),
            gettext("End"),
            gettext("Hours"),
            gettext("Half-days present"),
            gettext("Half-days recorded"),
            gettext("Attendance rate"),
        ],
        rows=[
            [
                line.last_name,
                line.first_name,
                line.email,
                line.employee_number,
                line.code,
                line.label,
                line.training,
                line.start,
                line.end,
                line.hours,
                line.present,
                line.recorded,
                line.rate,
            ]
            for line in lines
        ],
    )


@dataclass
class Section:
    key: str
    title: object  # a lazy string
    tables: Callable[[reports.ReportFilters], list[ReportTable]]


SECTIONS = [
    Section("hours", _l("Hours of training"), lambda f: hours_tables(reports.hours_report(f))),
    Section("sessions", _l("Sessions and fill rate"), lambda f: sessions_tables(reports.sessions_report(f))),
    Section("costs", _l("Costs and financing"), lambda f: costs_tables(reports.costs_report(f))),
    Section("attendance", _l("Attendance"), lambda f: attendance_tables(reports.attendance_report(f))),
    Section(
        "satisfaction", _l("Satisfaction"), lambda f: satisfaction_tables(reports.satisfaction_report(f))
    ),
    Section(
        "collaborators",
        _l("Per collaborator"),
        lambda f: collaborators_tables(reports.collaborators_report(f)),
    ),
]

#: The tables each section gives, by key.
SECTION_TABLES = {
    "hours": ("hours",),
    "sessions": ("sessions_by_status", "fill_rate"),
    "costs": ("costs", "costs_by_type", "costs_by_supplier"),
    "attendance": ("attendance",),
    "satisfaction": ("satisfaction_questions", "satisfaction_trainings", "response_rates"),
}


def _one_table(section: Section, key: str) -> Callable[[reports.ReportFilters], ReportTable]:
    return lambda filters: next(table for table in section.tables(filters) if table.key == key)


#: What each export runs: the table key → a function of the filters giving that one table (all the
#: collaborators, where the page shows the first ones).
EXPORTS: dict[str, Callable[[reports.ReportFilters], ReportTable]] = {
    key: _one_table(section, key) for section in SECTIONS for key in SECTION_TABLES.get(section.key, ())
}
EXPORTS["collaborators"] = lambda f: collaborators_tables(reports.collaborators_report(f, limit=None))[0]
EXPORTS["collaborator_sessions"] = lambda f: followed_table(reports.followed_sessions(f))
