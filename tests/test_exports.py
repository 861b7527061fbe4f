"""List exports as French Excel and LibreOffice open them: a CSV in UTF-8 with BOM, `;` and decimal
commas; an XLSX with typed cells, a sheet named after the list and an « Informations » sheet. Read
with Python's `csv` module and openpyxl, never with the project's own code."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from trainadmin.models import Population, Publication, Role, TrainingSession

from . import factories

BOM = b"\xef\xbb\xbf"


def read_csv(response) -> list[list[str]]:
    """The rows as a French spreadsheet splits them: BOM, UTF-8, `;` between fields."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    assert response.data.startswith(BOM), "Excel needs the BOM to read the file as UTF-8"
    text = response.data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def read_xlsx(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data))


def column(rows, title: str) -> list:
    """The cells under a header (CSV rows or openpyxl rows of values)."""
    index = list(rows[0]).index(title)
    return [row[index] for row in rows[1:]]


def info(workbook) -> dict[str, object]:
    """The « Informations » sheet as {label: value} (a label with several lines gives a list)."""
    found: dict[str, object] = {}
    label = None
    for key, value in workbook["Informations"].iter_rows(values_only=True):
        if key is None and label is not None:
            previous = found[label]
            found[label] = [*(previous if isinstance(previous, list) else [previous]), value]
            continue
        label = key
        found[key] = value
    return found


def test_csv_opens_in_french_excel(viewer, db):
    """A reference list with accents, a decimal, a boolean and the separator inside a value."""
    factories.make_training(name="Sécurité incendie", duration_hours=Decimal("1234.50"))
    factories.make_training(name="Excel; niveau 2", duration_hours=Decimal("7"), active=False)
    response = viewer.get("/admin/trainings/export/csv/")
    rows = read_csv(response)
    assert rows[0][:2] == ["Libellé", "Référence"]
    assert all(len(row) == len(rows[0]) for row in rows), "every line splits into the same columns"
    by_name = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_name["Sécurité incendie"]["Durée (heures)"] == "1234,5"
    assert by_name["Sécurité incendie"]["Actif"] == "Oui"
    assert by_name["Excel; niveau 2"]["Durée (heures)"] == "7"
    assert by_name["Excel; niveau 2"]["Actif"] == "Non"
    raw_lines = response.data.decode("utf-8-sig").split("\r\n")
    assert raw_lines[0].count(";") == len(rows[0]) - 1 and "," not in raw_lines[0]
    assert '"Excel; niveau 2";' in response.data.decode("utf-8-sig"), "a value with `;` is quoted"
    assert "Content-Disposition" in response.headers and ".csv" in response.headers["Content-Disposition"]


def test_sessions_csv_dates_numbers_and_no_sentence_row(manager, db):
    published = factories.make_session(
        label="Sécurité — Lyon",
        publication=Publication.PUBLISHED,
        start_date=date(2027, 3, 15),
        end_date=date(2027, 3, 16),
        duration_days=Decimal("1.5"),
        duration_hours=Decimal("10.50"),
        enrolled_count=3,
    )
    factories.make_session(label="Brouillon A")
    factories.make_session(label="Brouillon B")
    rows = read_csv(manager.get("/admin/sessions/export/csv/"))
    assert len(rows) == 2, "the drafts are left out and no sentence is added as a data row"
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Code session"] == published.code and row["Libellé"] == "Sécurité — Lyon"
    assert row["Date de début"] == "15/03/2027" and row["Date de fin"] == "16/03/2027"
    assert row["Durée en jours"] == "1,5" and row["Durée en heures"] == "10,5"
    assert row["Inscrits"] == "3"
    assert row["Statut du workflow"] == "Créé"


def test_sessions_xlsx_has_typed_cells_and_a_readable_sheet(manager, db):
    factories.make_session(
        label="Une session au libellé assez long pour élargir sa colonne",
        publication=Publication.PUBLISHED,
        start_date=date(2027, 3, 15),
        duration_days=Decimal("1.5"),
        duration_hours=Decimal("10.50"),
        enrolled_count=3,
    )
    factories.make_session(label="Brouillon", capacity_max=9)
    workbook = read_xlsx(manager.get("/admin/sessions/export/xlsx/"))
    assert workbook.sheetnames == ["Sessions", "Informations"]
    sheet = workbook["Sessions"]
    assert sheet.max_row == 2
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["Code session", "Libellé"]
    assert all(cell.font.b for cell in sheet[1]), "the header row is bold"
    assert sheet.freeze_panes == "A2", "the header row stays visible"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}2"
    cells = dict(zip(header, sheet[2], strict=True))
    start = cells["Date de début"]
    assert isinstance(start.value, datetime) and start.value.date() == date(2027, 3, 15)
    assert start.number_format == "dd/mm/yyyy"
    assert cells["Date de fin"].value is None
    days = cells["Durée en jours"]
    assert days.data_type == "n" and days.value == 1.5 and days.number_format == "#,##0.0"
    hours = cells["Durée en heures"]
    assert hours.data_type == "n" and hours.value == 10.5 and hours.number_format == "#,##0.00"
    enrolled = cells["Inscrits"]
    assert enrolled.data_type == "n" and enrolled.value == 3 and isinstance(enrolled.value, int)
    assert cells["Statut du workflow"].value == "Créé" and cells["Statut du workflow"].data_type == "s"
    letters = {title: sheet.cell(1, i).column_letter for i, title in enumerate(header, 1)}
    width = {title: sheet.column_dimensions[letter].width for title, letter in letters.items()}
    assert all(8 <= value <= 60 for value in width.values()), width
    assert width["Libellé"] > width["Inscrits"], "widths follow the content"


def test_xlsx_informations_sheet_says_what_the_export_is(manager, db):
    factories.make_session(label="Excel avancé", publication=Publication.PUBLISHED)
    factories.make_session(label="Excel brouillon")
    factories.make_session(label="Excel brouillon 2")
    factories.make_session(label="Word brouillon")
    before = datetime.now()
    response = manager.get("/admin/sessions/export/xlsx/?search=Excel&flt0_status_enumequal=CREATED")
    workbook = read_xlsx(response)
    assert workbook["Sessions"].max_row == 2
    sheet_info = info(workbook)
    assert sheet_info["Liste exportée"] == "Sessions"
    exported_at = sheet_info["Exporté le"]
    assert isinstance(exported_at, datetime) and abs((exported_at - before).total_seconds()) < 3 * 3600
    assert workbook["Informations"]["B2"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet_info["Lignes exportées"] == 1
    assert sheet_info["Recherche"] == "Excel"
    assert sheet_info["Filtres"] == "Statut du workflow vaut Créé"
    assert sheet_info["Lignes exclues"] == "2 sessions en brouillon exclues de cet export."
    assert workbook["Informations"]["A1"].font.b


def test_the_list_page_says_drafts_are_left_out_before_download(manager, db):
    factories.make_session(label="Excel brouillon")
    factories.make_session(label="Word brouillon")
    factories.make_session(label="Excel publiée", publication=Publication.PUBLISHED)

    def note(url):
        html = manager.get(url).get_data(as_text=True)
        found = re.search(r'id="export-note"[^>]*>(.*?)</p>', html, re.S)
        return found and re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()

    assert note("/admin/sessions/") == "2 sessions en brouillon exclues de cet export."
    assert note("/admin/sessions/?search=Excel") == "1 session en brouillon exclue de cet export."
    assert note("/admin/sessions/?search=publiée") is None
    assert note("/admin/trainings/") is None, "lists that leave nothing out say nothing"


def test_demandes_exports_local_times_and_french_labels(manager, db):
    session = factories.make_session(code="2027-0042", label="Management", publication=Publication.PUBLISHED)
    collaborator = factories.make_collaborator(first_name="Élodie", last_name="Béranger")
    demande = factories.make_request(session=session, collaborator=collaborator)
    demande.created_at = datetime(2027, 1, 15, 8, 30, tzinfo=UTC)
    db.session.flush()

    rows = read_csv(manager.get("/admin/demandes/export/csv/"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Collaborateur"] == "Élodie Béranger"
    assert row["Demandée le"] == "15/01/2027 09:30", "Paris time, as the list shows it"
    assert row["Statut actuel"] == "En attente de validation manager"

    workbook = read_xlsx(manager.get("/admin/demandes/export/xlsx/"))
    assert workbook.sheetnames == ["Demandes", "Informations"]
    sheet = workbook["Demandes"]
    cells = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert cells["Demandée le"].value == datetime(2027, 1, 15, 9, 30)
    assert cells["Demandée le"].number_format == "dd/mm/yyyy hh:mm"
    assert cells["Statut actuel"].value == "En attente de validation manager"
    assert "Lignes exclues" not in info(workbook)

    todo = read_xlsx(manager.get("/admin/demandes_todo/export/xlsx/"))
    assert todo.sheetnames == ["Demandes à traiter", "Informations"]


def test_reference_lists_export_numbers_booleans_and_lists(manager, db):
    factories.make_training(
        name="Habilitation électrique", duration_hours=Decimal("14.5"), funding_eligible=True
    )
    workbook = read_xlsx(manager.get("/admin/trainings/export/xlsx/"))
    assert workbook.sheetnames == ["Formations", "Informations"]
    rows = list(workbook["Formations"].iter_rows(values_only=True))
    assert column(rows, "Durée (heures)") == [14.5]
    assert column(rows, "Capacité min") == [4] and isinstance(column(rows, "Capacité min")[0], int)
    assert column(rows, "Éligible financement") == ["Oui"] and column(rows, "Actif") == ["Oui"]
    assert column(rows, "Type de la session") == ["INTRA"]

    collaborator = factories.make_collaborator(first_name="Zoé", last_name="Aubert")
    collaborator.populations = [Population(name="Cadres"), Population(name="Managers")]
    db.session.flush()
    rows = read_csv(manager.get("/admin/collaborators/export/csv/"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Nom"] == "Aubert" and row["Prénom"] == "Zoé" and row["Populations"] == "Cadres, Managers"
    workbook = read_xlsx(manager.get("/admin/collaborators/export/xlsx/"))
    assert workbook.sheetnames == ["Collaborateurs", "Informations"]


def test_exports_stop_at_the_row_limit_and_say_so(manager, db, app, monkeypatch):
    for name in ("Formation A", "Formation B", "Formation C"):
        factories.make_training(name=name)
    monkeypatch.setitem(app.config, "EXPORT_MAX_ROWS", 2)
    assert len(read_csv(manager.get("/admin/trainings/export/csv/"))) == 3
    workbook = read_xlsx(manager.get("/admin/trainings/export/xlsx/"))
    assert workbook["Formations"].max_row == 3
    sheet_info = info(workbook)
    assert sheet_info["Lignes exportées"] == 2
    assert sheet_info["Limite"] == "Seules les 2 premières lignes sur 3 sont exportées."


def test_exports_run_a_constant_number_of_queries(manager, db, count_queries):
    paths = (
        "/admin/sessions/export/csv/",
        "/admin/sessions/export/xlsx/",
        "/admin/demandes/export/xlsx/",
        "/admin/collaborators/export/csv/",
        "/admin/trainings/export/xlsx/",
    )

    def add_rows(number):
        for _ in range(number):
            session = factories.make_session(publication=Publication.PUBLISHED)
            collaborator = factories.make_collaborator()
            collaborator.populations = [Population(name=f"Population {factories.n()}")]
            factories.make_request(session=session, collaborator=collaborator)
            factories.make_session()  # a draft, left out
        db.session.flush()

    def queries():
        counts = []
        for path in paths:
            with count_queries() as counter:
                assert manager.get(path).status_code == 200, path
            counts.append(counter.count)
        return counts

    add_rows(2)
    with_two = queries()
    add_rows(4)
    assert queries() == with_two


def test_formulas_are_neutralised_and_negative_numbers_stay_numbers(viewer, db):
    factories.make_training(name='=HYPERLINK("http://evil.example","clic")', duration_hours=Decimal("-5"))
    factories.make_training(name="-5", duration_hours=Decimal("2.5"))
    rows = read_csv(viewer.get("/admin/trainings/export/csv/"))
    hours = dict(zip(column(rows, "Libellé"), column(rows, "Durée (heures)"), strict=True))
    assert hours == {'\'=HYPERLINK("http://evil.example","clic")': "-5", "'-5": "2,5"}

    sheet = read_xlsx(viewer.get("/admin/trainings/export/xlsx/"))["Formations"]
    header = [cell.value for cell in sheet[1]]
    cells = {row[0].value: row[header.index("Durée (heures)")] for row in sheet.iter_rows(min_row=2)}
    formula = '=HYPERLINK("http://evil.example","clic")'
    assert set(cells) == {formula, "-5"}, "shown as typed, without an apostrophe"
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s" and row[0].quotePrefix
    assert cells[formula].value == -5 and cells[formula].data_type == "n" and not cells[formula].quotePrefix
    assert cells["-5"].value == 2.5


def test_every_list_exports_both_formats_without_html(app, viewer, db):
    """Every list a viewer may export, with a row made by its factory (a published session, so the
    session list has one too): a CSV whose rows all split into the header's columns, an XLSX named
    after the list, and no HTML from a list formatter (the slot list links its session's code)."""
    from trainadmin.admin_views.base import SecureModelView

    views = [
        view
        for view in app.extensions["admin"][0]._views
        if isinstance(view, SecureModelView) and view.can_export and Role.VIEWER in view.read_roles
    ]
    assert {view.endpoint for view in views} >= {
        "sessions",
        "demandes",
        "trainings",
        "collaborators",
        "slots",
    }
    for view in views:
        obj = factories.make(view.model)
        if isinstance(obj, TrainingSession):
            obj.publication = Publication.PUBLISHED
        db.session.flush()
        rows = read_csv(viewer.get(f"/admin/{view.endpoint}/export/csv/"))
        assert len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows), view.endpoint
        workbook = read_xlsx(viewer.get(f"/admin/{view.endpoint}/export/xlsx/"))
        assert workbook.sheetnames[1] == "Informations", view.endpoint
        sheet = workbook.worksheets[0]
        assert sheet.title == str(view.name)[:31], view.endpoint
        cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row] + [
            c for r in rows for c in r
        ]
        assert not any(re.search(r"<(a|span|br|i)\b", cell) for cell in cells), view.endpoint
