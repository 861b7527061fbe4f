"""List exports: every role that reads may export; spreadsheet formulas are neutralised."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from trainadmin.models import Role

from . import factories


def test_viewer_exports_csv_with_formulas_neutralised(login_as, db):
    factories.make_training(name='=HYPERLINK("http://evil.example","clic")')
    factories.make_training(name="Sécurité incendie")
    response = login_as(Role.VIEWER).get("/admin/trainings/export/csv/")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    names = [row[0] for row in rows[1:]]
    assert "Sécurité incendie" in names
    assert '\'=HYPERLINK("http://evil.example","clic")' in names
    assert rows[0][0] == "Libellé"


def test_xlsx_export(login_as, db):
    factories.make_training(name="+SUM(A1:A9)")
    response = login_as(Role.MANAGER).get("/admin/trainings/export/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'+SUM(A1:A9)" in values
