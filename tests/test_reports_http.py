"""« Rapports » over HTTP: every role reads it and exports it, bad filters are told next to their
field (never a 500), the exports read back as French Excel opens them, the page's statements."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from trainadmin.models import Role

from . import reports_support
from .conftest import field_errors

YEAR = "preset=custom&start=2027-01-01&end=2027-12-31"
NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_reports_and_their_exports(login_as, db, role):
    reports_support.build()
    client = login_as(role)
    response = client.get(f"/admin/reports/?{YEAR}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/admin/reports/"' in html  # the menu's entry « Rapports »
    for heading in ("Heures de formation", "Sessions et taux de remplissage", "Coûts et financements"):
        assert heading in html
    assert html.count('role="img"') >= 9
    assert f"2{NNBSP}360,00{NBSP}€" in html  # the total cost, in French
    assert "Période" in html and "du 01/01/2027 au 31/12/2027" in html
    assert client.get(f"/admin/reports/export/costs_by_type.csv?{YEAR}").status_code == 200


def test_the_default_period_is_the_current_year(manager, db):
    from trainadmin.clock import local_today

    year = local_today().year
    html = manager.get("/admin/reports/").get_data(as_text=True)
    assert f"du 01/01/{year} au 31/12/{year}" in html
    assert 'id="preset-this_year"' in html


def test_filters_narrow_the_figures(manager, db):
    data = reports_support.build()
    html = manager.get(f"/admin/reports/?{YEAR}&training_id={data.trainings['B'].id}").get_data(as_text=True)
    assert f"800,00{NBSP}€" in html and f"2{NNBSP}360,00" not in html
    assert "Formation :" in html and "Sécurité" in html  # written at the top (and printed)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("preset=custom&start=31/02/2027", "start", "Saisissez une date au format jj/mm/aaaa."),
        ("preset=custom&start=n'importe&end=2027-01-01", "start", "Saisissez une date au format jj/mm/aaaa."),
        ("preset=custom&start=2027-05-01&end=2027-04-01", "end", "La fin de la période ne peut pas précéder"),
        ("preset=custom&start=2001-01-01&end=2099-12-31", "end", "cinq ans au plus"),
        ("preset=custom&start=0001-01-01", "start", "entre 2000 et 2100"),
        ("training_id=987654", "training_id", "Cette valeur n'existe plus"),
        ("population_id=<script>", "population_id", "Choisissez une valeur dans la liste."),
        ("dispositif_id=-3", "dispositif_id", "Choisissez une valeur dans la liste."),
        ("organisation_id=1e99", "organisation_id", "Choisissez une valeur dans la liste."),
        ("session_type=%00", "session_type", "Choisissez une valeur dans la liste."),
    ],
)
def test_bad_filters_are_told_next_to_their_field(viewer, db, query, field, message):
    response = viewer.get(f"/admin/reports/?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert any(message in error for error in field_errors(html, field)), field_errors(html, field)
    assert 'role="img"' not in html  # no figures for filters that mean nothing
    export = viewer.get(f"/admin/reports/export/hours.csv?{query}")
    assert export.status_code == 302 and "/admin/reports/" in export.headers["Location"]


def test_odd_addresses_never_fail(viewer, db):
    for path in (
        "/admin/reports/?preset=forever",
        "/admin/reports/?start=" + "9" * 5000,
        "/admin/reports/?training_id=1&training_id=abc",
        "/admin/reports/export/nothing.csv",
        "/admin/reports/export/hours.pdf",
        "/admin/reports/export/hours.csv?preset=last_year",
    ):
        assert viewer.get(path).status_code in (200, 302, 400, 404), path


def test_csv_export_for_french_excel(viewer, db):
    reports_support.build()
    response = viewer.get(f"/admin/reports/export/costs_by_type.csv?{YEAR}")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Type de coût", "Lignes de coût", "Montant"],
        ["Animation", "2", "2300"],
        ["Repas", "1", "60"],
        ["Total", "3", "2360"],
    ]
    hours = viewer.get(f"/admin/reports/export/hours.csv?{YEAR}").get_data().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(hours), delimiter=";"))
    assert lines[3] == ["03/2027", "2", "10,5", "24,5"]  # decimal commas
    assert lines[-1] == ["Total", "4", "17,5", "35,5"]


def test_xlsx_exports_hold_numbers_and_say_what_they_are(viewer, db):
    data = reports_support.build()
    excel = data.trainings["A"].id
    response = viewer.get(f"/admin/reports/export/attendance.xlsx?{YEAR}&training_id={excel}")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet, information = workbook.worksheets
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1][:6] == ["Excel", 3, 5, 3, 1, 1]
    assert float(rows[1][6]) == 60.0
    about = {row[0].value: row[1].value for row in information.iter_rows() if row[0].value}
    assert about["Période"] == "du 01/01/2027 au 31/12/2027"
    assert about["Formation"] == "Excel"
    assert "présent" in about["Mode de calcul"]


def test_the_collaborators_export_has_every_session_followed(viewer, db):
    reports_support.build()
    export = viewer.get(f"/admin/reports/export/collaborator_sessions.csv?{YEAR}")
    body = export.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert [(row[0], row[5], row[7], row[9]) for row in rows[1:]] == [
        ("Alpha", "Excel avancé", "01/03/2027", "17,5"),
        ("Alpha", "Sécurité incendie", "10/04/2027", "4"),
        ("Bravo", "Excel avancé", "01/03/2027", "17,5"),
        ("Charlie", "Excel avancé", "01/03/2027", "17,5"),
        ("Delta", "Sécurité incendie", "10/04/2027", "4"),
    ]
    summary = viewer.get(f"/admin/reports/export/collaborators.xlsx?{YEAR}")
    sheet = load_workbook(io.BytesIO(summary.get_data())).worksheets[0]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["Alpha", "Bravo", "Charlie", "Delta"]


def test_the_page_runs_the_same_statements_whatever_the_data(manager, db, count_queries):
    reports_support.build()
    manager.get(f"/admin/reports/?{YEAR}")  # menus and labels drawn once per process
    with count_queries() as small:
        assert manager.get(f"/admin/reports/?{YEAR}").status_code == 200
    reports_support.build_more()
    with count_queries() as larger:
        assert manager.get(f"/admin/reports/?{YEAR}").status_code == 200
    assert small.count == larger.count <= 20


def test_one_report_at_a_time(manager, db, count_queries):
    reports_support.build()
    everything = manager.get(f"/admin/reports/?{YEAR}").get_data(as_text=True)
    assert 'id="report-hours"' in everything and 'id="report-satisfaction"' in everything
    manager.get(f"/admin/reports/?{YEAR}&section=costs")
    with count_queries() as costs_only:
        html = manager.get(f"/admin/reports/?{YEAR}&section=costs").get_data(as_text=True)
    assert 'id="report-costs"' in html and 'id="report-hours"' not in html
    assert 'id="section-costs" aria-current="page"' in html
    assert 'name="section" value="costs"' in html  # the filters keep the tab
    with count_queries() as every:
        manager.get(f"/admin/reports/?{YEAR}")
    assert costs_only.count < every.count
    unknown = manager.get(f"/admin/reports/?{YEAR}&section=nothing")
    assert 'id="report-hours"' in unknown.get_data(as_text=True)  # an unknown tab: every report


def test_a_refused_date_is_shown_as_typed(viewer, db):
    html = viewer.get("/admin/reports/?preset=custom&start=31/02/2027&end=2027-12-31").get_data(as_text=True)
    assert '<input type="text" name="start" id="start" value="31/02/2027"' in html
    assert '<input type="date" name="end" id="end" value="2027-12-31"' in html


def test_the_reports_read_in_english(manager_en, db):
    reports_support.build()
    html = manager_en.get(f"/admin/reports/?{YEAR}").get_data(as_text=True)
    assert "Hours of training per month" in html and "from 01/01/2027 to 31/12/2027" in html
    assert "€2,360.00" in html and "27.8%" in html
