"""« Rapports » printed to PDF by Chromium (what « Imprimer ou enregistrer en PDF » gives): A4,
the period and filters at the top, the figures and headings, no menu, filters or buttons."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from trainadmin.models import Role

from . import factories, reports_support
from .pdf_support import both_readers

pytestmark = pytest.mark.browser


def test_the_report_prints_to_a4_with_its_period_and_figures(browser_login, live_url, committed_db):
    viewer = factories.make_user(role=Role.VIEWER)
    data = reports_support.build()
    committed_db.session.commit()
    page = browser_login(viewer)
    page.goto(f"{live_url}/admin/reports/?preset=custom&start=2027-01-01&end=2027-12-31")
    page.get_by_role("img", name="Heures dispensées par mois").wait_for()

    page.emulate_media(media="print")
    assert page.locator("#report-filters").is_hidden()
    assert page.locator("nav.navbar").first.is_hidden()
    for selector in (".ta-report-chart", "#table-costs_by_type tr"):
        assert page.locator(selector).first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)

    reader = PdfReader(io.BytesIO(pdf))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    for name, text in both_readers(pdf).items():
        assert "Période : du 01/01/2027 au 31/12/2027" in text, name
        assert "Filtres : aucun : toutes les sessions" in text, name
        for heading in (
            "Heures de formation par mois",
            "Sessions par statut",
            "Coûts par type de coût",
            "Présences par formation",
            "Note moyenne par question",
            "Par collaborateur",
        ):
            assert heading in text, (name, heading)
        assert "Total 4 17,5 35,5" in text, name  # hours: dates, hours, trainee-hours
        assert "2 360,00 €" in text, name  # total cost
        assert "Excel 3 5 3 1 1 60 %" in text, name  # attendance of « Excel »
        assert "Heures-stagiaires par mois" in text, name  # the second chart's title, written above it
        assert "Présent 3 · Excusé 1 · Absent 1" in text, name  # each part of a stacked bar, named
        assert "Afficher" not in text and "Réinitialiser" not in text and "Déconnexion" not in text, name
    assert data.sessions["S1"].id
