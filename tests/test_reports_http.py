"""« Rapports » over HTTP: every role reads it, bad filters are told next to their field, exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from trainadmin.models import Role

from .conftest import field_errors


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_reports(login_as, db, role):
    client = login_as(role)
    response = client.get("/admin/reports/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="img"' in html
