"""The tables of « Rapports », one function per section, and the charts drawn from them."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext

from ..models import FinancingStatus
from ..services import reports
from .charts import Series, bar_chart, column_chart
from .labels import enum_label
from .report_cells import ReportTable, euros, month_name, number, per_cent

# --- The tables, one function per section ---------------------------------------------------


def hours_tables(report: reports.HoursReport) -> list[ReportTable]:
    months = [month_name(m.year, m.month) for m in report.months]
    table = ReportTable(
        key="hours",
        title=gettext("Hours of training per month"),
        headers=[
            gettext("Month"),
            gettext("Dates taught"),
            gettext("Hours taught"),
            gettext("Trainee-hours"),
        ],
        rows=[[f"{m.month:02d}/{m.year}", m.dates, m.hours, m.trainee_hours] for m in report.months],
        total=[gettext("Total"), sum(m.dates for m in report.months), report.hours, report.trainee_hours],
        note=gettext(
            "A date counts in the month of its day, in sessions not cancelled (drafts included), "
            "pre-work and cancelled sequences left out; hours = end − start − break; "
            "trainee-hours = hours × participants present at least one half-day, or enrolled while "
            "no attendance is recorded for the date."
        ),
    )
    table.charts = [
        column_chart(
            gettext("Hours taught per month"),
            months,
            Series(gettext("Hours taught"), [m.hours for m in report.months]),
            number,
            summary=gettext("%(total)s hours in all", total=number(report.hours)),
        ),
        column_chart(
            gettext("Trainee-hours per month"),
            months,
            Series(gettext("Trainee-hours"), [m.trainee_hours for m in report.months]),
            number,
            summary=gettext("%(total)s trainee-hours in all", total=number(report.trainee_hours)),
        ),
    ]
    return [table]


def sessions_tables(report: reports.SessionsReport) -> list[ReportTable]:
    statuses = ReportTable(
        key="sessions_by_status",
        title=gettext("Sessions by status"),
        headers=[gettext("Status"), gettext("Sessions")],
        rows=[[enum_label(line.status), line.sessions] for line in report.by_status],
        total=[gettext("Total"), sum(line.sessions for line in report.by_status)],
        note=gettext("Sessions whose start date lies in the period, drafts and cancelled ones included."),
    )
    statuses.charts = [
        bar_chart(
            statuses.title,
            [str(row[0]) for row in statuses.rows],
            [Series(gettext("Sessions"), [row[1] for row in statuses.rows])],
            number,
            summary=gettext("%(num)s sessions", num=statuses.total[1]),
        )
    ]
    total = report.total
    fill = ReportTable(
        key="fill_rate",
        title=gettext("Fill rate and sessions under their minimum, per training"),
        headers=[
            gettext("Training"),
            gettext("Sessions"),
            gettext("Enrolled"),
            gettext("Places"),
            gettext("Fill rate"),
            gettext("Under their minimum"),
        ],
        rows=[
            [line.training, line.sessions, line.enrolled, line.capacity, line.fill_rate, line.under_minimum]
            for line in report.by_training
        ],
        total=[
            gettext("Total"),
            total.sessions,
            total.enrolled,
            total.capacity,
            total.fill_rate,
            total.under_minimum,
        ],
        percent=frozenset({4}),
        note=gettext(
            "Sessions not cancelled starting in the period; fill rate = enrolled / maximum capacity, "
            "over the sessions that have one; under their minimum: fewer enrolled than the minimum capacity."
        ),
    )
    fill.charts = [
        bar_chart(
            gettext("Fill rate per training"),
            [line.training for line in report.by_training],
            [Series(gettext("Fill rate"), [line.fill_rate for line in report.by_training])],
            per_cent,
            summary=gettext("%(rate)s overall", rate=per_cent(total.fill_rate)),
            empty=gettext("No data"),
        )
    ]
    return [statuses, fill]


def costs_tables(report: reports.CostsReport) -> list[ReportTable]:
    summary = ReportTable(
        key="costs",
        title=gettext("Costs"),
        headers=[gettext("Measure"), gettext("Value")],
        rows=[
            [gettext("Sessions"), report.sessions],
            [gettext("Total cost"), report.total],
            [gettext("Enrolled"), report.enrolled],
            [gettext("Cost per trainee"), report.per_trainee],
            [gettext("Hours of the sessions"), report.hours],
            [gettext("Cost per training hour"), report.per_hour],
            *(
                [gettext("Financing: %(status)s", status=enum_label(status)), report.financing.get(status, 0)]
                for status in FinancingStatus
            ),
            [gettext("Financing coverage"), report.coverage],
        ],
        note=gettext(
            "Cost lines of the sessions not cancelled starting in the period (a cost per trainee = amount × "
            "quantity); per trainee = total / enrolled; per hour = total / the sessions' duration in hours; "
            "coverage = granted financing / total cost."
        ),
    )
    summary.row_kinds = {1: "money", 3: "money", 5: "money", 6: "money", 7: "money", 8: "money", 9: "percent"}
    by_type = _amounts("costs_by_type", gettext("Costs per cost type"), gettext("Cost type"), report.by_type)
    by_supplier = _amounts(
        "costs_by_supplier", gettext("Costs per supplier"), gettext("Supplier"), report.by_supplier
    )
    return [summary, by_type, by_supplier]


def _amounts(key: str, title: str, header: str, lines) -> ReportTable:
    names = [line.name if line.name is not None else gettext("No supplier") for line in lines]
    table = ReportTable(
        key=key,
        title=title,
        headers=[header, gettext("Cost lines"), gettext("Amount")],
        rows=[[name, line.lines, line.amount] for name, line in zip(names, lines, strict=True)],
        total=[
            gettext("Total"),
            sum(line.lines for line in lines),
            sum((line.amount for line in lines), Decimal(0)),
        ],
        money=frozenset({2}),
    )
    table.charts = [
        bar_chart(
            title,
            names,
            [Series(gettext("Amount"), [line.amount for line in lines])],
            euros,
            summary=gettext("%(total)s in all", total=euros(table.total[2])),
            empty=gettext("No data"),
        )
    ]
    return table


def attendance_tables(report: reports.AttendanceReport) -> list[ReportTable]:
    lines = report.by_training
    total = report.total
    table = ReportTable(
        key="attendance",
        title=gettext("Attendance per training"),
        headers=[
            gettext("Training"),
            gettext("Participants"),
            gettext("Half-days recorded"),
            gettext("Present"),
            gettext("Absent"),
            gettext("Excused"),
            gettext("Attendance rate"),
        ],
        rows=[
            [
                line.training,
                line.participants,
                line.recorded,
                line.present,
                line.absent,
                line.excused,
                line.rate,
            ]
            for line in lines
        ],
        total=[
            gettext("Total"),
            total.participants,
            total.recorded,
            total.present,
            total.absent,
            total.excused,
            total.rate,
        ],
        percent=frozenset({6}),
        note=gettext(
            "Half-days recorded for enrolled participants of the sessions not cancelled starting in the "
            "period, as the « Attendance » tab counts them (a signature counts as present unless "
            "marked otherwise); rate = present / recorded."
        ),
    )
    table.charts = [
        bar_chart(
            gettext("Half-days present, excused and absent per training"),
            [line.training for line in lines],
            [
                Series(gettext("Present"), [line.present for line in lines]),
                Series(gettext("Excused"), [line.excused for line in lines]),
                Series(gettext("Absent"), [line.absent for line in lines]),
            ],
            number,
            stacked=True,
            summary=gettext("attendance rate %(rate)s", rate=per_cent(total.rate)),
            empty=gettext("No data"),
        )
    ]
    return [table]


def satisfaction_tables(report: reports.SatisfactionReport) -> list[ReportTable]:
    questions = ReportTable(
        key="satisfaction_questions",
        title=gettext("Average score per question"),
        headers=[gettext("Survey"), gettext("Question"), gettext("Answers"), gettext("Average")],
        rows=[[enum_label(q.kind), q.question, q.answers, q.average] for q in report.questions],
        note=gettext(
            "Scores answered (numbers only) to the surveys of the sessions not cancelled starting in the "
            "period, questions grouped by their text."
        ),
    )
    questions.charts = [
        bar_chart(
            questions.title,
            [f"{enum_label(q.kind)} — {q.question}" for q in report.questions],
            [Series(gettext("Average"), [q.average for q in report.questions])],
            number,
            empty=gettext("No data"),
        )
    ]
    trainings = ReportTable(
        key="satisfaction_trainings",
        title=gettext("Average score per training"),
        headers=[gettext("Training"), gettext("Survey"), gettext("Responses"), gettext("Average")],
        rows=[[t.training, enum_label(t.kind), t.responses, t.average] for t in report.by_training],
    )
    trainings.charts = [
        bar_chart(
            trainings.title,
            [f"{t.training} — {enum_label(t.kind)}" for t in report.by_training],
            [Series(gettext("Average"), [t.average for t in report.by_training])],
            number,
            empty=gettext("No data"),
        )
    ]
    rates = ReportTable(
        key="response_rates",
        title=gettext("Response rates"),
        headers=[gettext("Survey"), gettext("Sent"), gettext("Answered"), gettext("Response rate")],
        rows=[[enum_label(r.kind), r.invited, r.answered, r.rate] for r in report.rates],
        percent=frozenset({3}),
        note=gettext(
            "As the « Evaluation » tab counts them: enrolled participants sent a survey link, and those "
            "of them who answered, for each survey."
        ),
    )
    rates.charts = [
        bar_chart(
            rates.title,
            [str(row[0]) for row in rates.rows],
            [Series(gettext("Response rate"), [r.rate for r in report.rates])],
            per_cent,
        )
    ]
    return [questions, trainings, rates]
