"""« Rapports »: each figure of the fixed data set of reports_support.py, computed by hand, on
SQLite and PostgreSQL, in a fixed number of statements."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from trainadmin.models import FinancingStatus, SessionType, SurveyKind, WorkflowStatus
from trainadmin.services import reports
from trainadmin.services.errors import ValidationFailed

from . import reports_support
from .conftest import QueryCounter

YEAR = reports.ReportFilters(start=date(2027, 1, 1), end=date(2027, 12, 31), preset="custom")


@contextmanager
def statements(database):
    counter = QueryCounter()
    engine = database.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def data(any_db):
    return reports_support.build()


def test_hours_per_month(any_db, data):
    with statements(any_db) as counter:
        report = reports.hours_report(YEAR)
    assert counter.count == 1
    months = {(m.year, m.month): (m.dates, m.hours, m.trainee_hours) for m in report.months}
    assert len(report.months) == 12
    # January: S4's 04/01 (09:00–12:00 = 3 h), no attendance → 1 enrolled × 3 = 3 trainee-hours;
    # its 28/12/2026 date lies outside the period.
    assert months[(2027, 1)] == (1, Decimal("3.00"), Decimal("3.00"))
    # March: S1's 15/03 (8 h − 1 h break = 7 h) and 16/03 (3.5 h); pre-work 01/03 and the cancelled
    # sequence's 20/03 left out. 15/03: Alpha and Charlie present (Bravo absent/excused) → 2 × 7 = 14;
    # 16/03: nothing recorded on a half-day it covers → 3 enrolled × 3.5 = 10.5. 14 + 10.5 = 24.5.
    assert months[(2027, 3)] == (2, Decimal("10.50"), Decimal("24.50"))
    # April: S2's 10/04 (13:30–17:30 = 4 h), nothing recorded → 2 enrolled × 4 = 8.
    assert months[(2027, 4)] == (1, Decimal("4.00"), Decimal("8.00"))
    # May: S3 is cancelled.
    assert months[(2027, 5)] == (0, Decimal("0.00"), Decimal("0.00"))
    assert report.hours == Decimal("17.50")  # 3 + 10.5 + 4
    assert report.trainee_hours == Decimal("35.50")  # 3 + 24.5 + 8


def test_sessions_by_status_and_fill_rate(any_db, data):
    with statements(any_db) as counter:
        report = reports.sessions_report(YEAR)
    assert counter.count == 2
    # Starting in 2027: S1 confirmed, S2 closed, S3 cancelled (S4 starts on 28/12/2026).
    assert {line.status: line.sessions for line in report.by_status} == {
        WorkflowStatus.CREATED: 0,
        WorkflowStatus.CONFIRMED: 1,
        WorkflowStatus.IN_PROGRESS: 0,
        WorkflowStatus.CLOSED: 1,
        WorkflowStatus.CANCELLED: 1,
    }
    lines = {line.training: line for line in report.by_training}
    # Excel: S1 only (S3 cancelled): 3 enrolled of 10 places = 30 %, under its minimum of 4.
    excel = lines["Excel"]
    assert (excel.sessions, excel.enrolled, excel.capacity, excel.fill_rate, excel.under_minimum) == (
        1,
        3,
        10,
        Decimal("30.0"),
        1,
    )
    # Sécurité: S2 (a draft counts): 2 of 8 = 25 %, at its minimum of 2.
    safety = lines["Sécurité"]
    assert (safety.sessions, safety.enrolled, safety.capacity, safety.fill_rate, safety.under_minimum) == (
        1,
        2,
        8,
        Decimal("25.0"),
        0,
    )
    # Overall: 5 / 18 = 27.78 % → 27.8.
    assert report.total.fill_rate == Decimal("27.8")
    assert report.total.under_minimum == 1


def test_costs(any_db, data):
    with statements(any_db) as counter:
        report = reports.costs_report(YEAR)
    assert counter.count == 4
    # S1: 1500 + 20 × 3 = 1560; S2: 800; S3 cancelled (999 left out). Total 2360.
    assert report.total == Decimal("2360.00")
    assert [(line.name, line.lines, line.amount) for line in report.by_type] == [
        ("Animation", 2, Decimal("2300.00")),
        ("Repas", 1, Decimal("60.00")),
    ]
    assert [(line.name, line.amount) for line in report.by_supplier] == [
        ("Formateurs Conseil", Decimal("1500.00")),
        ("Prévention SA", Decimal("800.00")),
        (None, Decimal("60.00")),
    ]
    # 5 enrolled (3 + 2): 2360 / 5 = 472. Hours: the sessions' « Durée en heures », as their « Coûts »
    # tab divides by: S1 7 + 3.5 + 7 (its cancelled sequence is in its duration; pre-work is not) =
    # 17.5, S2 4 → 21.5; 2360 / 21.5 = 109.767 → 109.77.
    assert (report.enrolled, report.per_trainee) == (5, Decimal("472.00"))
    assert (report.hours, report.per_hour) == (Decimal("21.50"), Decimal("109.77"))
    assert report.financing == {
        FinancingStatus.GRANTED: Decimal("1000.00"),
        FinancingStatus.REQUESTED: Decimal("300.00"),
        FinancingStatus.REFUSED: Decimal("100.00"),
    }
    # 1000 granted / 2360 = 42.37 % → 42.4.
    assert report.coverage == Decimal("42.4")


def test_attendance_per_training(any_db, data):
    with statements(any_db) as counter:
        report = reports.attendance_report(YEAR)
    assert counter.count == 2
    # S1, 15/03: Alpha present ×2 (her signature of the morning not counted again), Bravo absent +
    # excused (his signature of the afternoon does not override the mark), Charlie's signature →
    # present. 16/03 afternoon is not a half-day of that date. S2: nothing recorded → no line.
    # Participants: the enrolled ones of the formation's sessions (S1: 3).
    assert len(report.by_training) == 1
    line = report.by_training[0]
    assert (line.training, line.participants, line.present, line.absent, line.excused) == (
        "Excel",
        3,
        3,
        1,
        1,
    )
    assert (line.recorded, line.rate) == (5, Decimal("60.0"))  # 3 / 5


def test_satisfaction(any_db, data):
    with statements(any_db) as counter:
        report = reports.satisfaction_report(YEAR)
    assert counter.count == 2
    # Hot: Clarté 4 and 2 → 3.0; Utilité 5 (« bof » is no score) → 5.0. Cold: Clarté 3. S3 cancelled.
    assert [(q.kind, q.question, q.answers, q.average) for q in report.questions] == [
        (SurveyKind.HOT, "Clarté", 2, Decimal("3.0")),
        (SurveyKind.HOT, "Utilité", 1, Decimal("5.0")),
        (SurveyKind.COLD, "Clarté", 1, Decimal("3.0")),
    ]
    # Excel hot: 2 responses, scores 4, 5, 2 → 3.67 → 3.7; Sécurité cold: 1 response, 3.
    assert sorted((t.training, t.kind, t.responses, t.average) for t in report.by_training) == [
        ("Excel", SurveyKind.HOT, 2, Decimal("3.7")),
        ("Sécurité", SurveyKind.COLD, 1, Decimal("3.0")),
    ]
    # Hot links sent to 3 participants of S1, 2 answered → 66.7 %.
    rates = {r.kind: (r.invited, r.answered, r.rate) for r in report.rates}
    assert rates[SurveyKind.HOT] == (3, 2, Decimal("66.7"))
    assert rates[SurveyKind.COLD] == (0, 0, None)


def test_per_collaborator(any_db, data):
    with statements(any_db) as counter:
        report = reports.collaborators_report(YEAR)
        lines = reports.followed_sessions(YEAR)
    assert counter.count == 5  # 2 for the page (who and how many, their figures), 3 for the export
    # Hours: the sessions' « Durée en heures » (S1 17.5, S2 4). Alpha: S1 + S2 = 21.5 h, 2 present of 2
    # recorded; Bravo: S1 only (S3 cancelled, S4 starts in 2026), 0 present of 2; Charlie: S1, 1 of 1;
    # Delta: S2, nothing recorded.
    assert report.total == 4
    assert [(c.last_name, c.sessions, c.trainings, c.hours, c.rate) for c in report.lines] == [
        ("Alpha", 2, 2, Decimal("21.50"), Decimal("100.0")),
        ("Bravo", 1, 1, Decimal("17.50"), Decimal("0.0")),
        ("Charlie", 1, 1, Decimal("17.50"), Decimal("100.0")),
        ("Delta", 1, 1, Decimal("4.00"), None),
    ]
    assert [(line.last_name, line.label, line.start, line.hours) for line in lines] == [
        ("Alpha", "Excel avancé", date(2027, 3, 1), Decimal("17.50")),
        ("Alpha", "Sécurité incendie", date(2027, 4, 10), Decimal("4.00")),
        ("Bravo", "Excel avancé", date(2027, 3, 1), Decimal("17.50")),
        ("Charlie", "Excel avancé", date(2027, 3, 1), Decimal("17.50")),
        ("Delta", "Sécurité incendie", date(2027, 4, 10), Decimal("4.00")),
    ]


def test_filters_narrow_every_report(any_db, data):
    # The population « Cadres » is S2's only: the figures are S2's (= training Sécurité, type INTER).
    for filters in (
        reports.ReportFilters(start=YEAR.start, end=YEAR.end, population_id=data.population.id),
        reports.ReportFilters(start=YEAR.start, end=YEAR.end, training_id=data.trainings["B"].id),
    ):
        assert reports.hours_report(filters).hours == Decimal("4.00")
        assert reports.costs_report(filters).total == Decimal("800.00")
        assert [line.training for line in reports.sessions_report(filters).by_training] == ["Sécurité"]
    inter = reports.ReportFilters(start=YEAR.start, end=YEAR.end, session_type=SessionType.INTER)
    assert reports.costs_report(inter).total == Decimal("0")


def test_the_statements_do_not_grow_with_the_data(any_db, data):
    def run():
        with statements(any_db) as counter:
            for report in (reports.hours_report, reports.sessions_report, reports.costs_report):
                report(YEAR)
            reports.attendance_report(YEAR)
            reports.satisfaction_report(YEAR)
            reports.collaborators_report(YEAR)
        return counter.count

    before = run()
    reports_support.build_more()
    assert run() == before == 13  # 1 + 2 + 4 + 2 + 2 + 2


def test_filters_are_read_with_a_message_per_field(any_db, data):
    today = date(2027, 6, 15)
    assert reports.parse_filters({}, today) == reports.ReportFilters(date(2027, 1, 1), date(2027, 12, 31))
    assert reports.parse_filters({"preset": "last_year"}, today).start == date(2026, 1, 1)
    last12 = reports.parse_filters({"preset": "last_12_months"}, today)
    assert (last12.start, last12.end) == (date(2026, 7, 1), today)
    typed = reports.parse_filters({"start": "15/03/2027", "end": "2027-04-30"}, today)
    assert (typed.start, typed.end, typed.preset) == (date(2027, 3, 15), date(2027, 4, 30), "custom")
    cases = [
        ({"preset": "custom", "start": "31/02/2027"}, "start"),
        ({"preset": "custom", "start": "hier"}, "start"),
        ({"preset": "custom", "start": "2027-05-01", "end": "2027-04-01"}, "end"),
        ({"preset": "custom", "start": "2000-01-01", "end": "2099-12-31"}, "end"),
        ({"preset": "custom", "start": "1850-01-01"}, "start"),
        ({"training_id": "999999"}, "training_id"),
        ({"population_id": "abc"}, "population_id"),
        ({"organisation_id": "99999999999999999999"}, "organisation_id"),
        ({"session_type": "mixte"}, "session_type"),
        ({"preset": "forever"}, "preset"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            reports.parse_filters(values, today)
        assert list(refused.value.errors) == [field], values
