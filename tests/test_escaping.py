"""Hostile text typed by users is shown as text everywhere: pages, exports, PDFs."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from trainadmin.models import Publication, Role

from . import factories

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(2)</script>",
    "<a href=javascript:alert(3)>x</a>",
    "<iframe src=//evil.example>",
]
#: What must never reach a page unescaped, whatever the payload.
MARKERS = ("<script>alert", "<img src=x", "<svg onload", "<a href=javascript", "<iframe src")


@pytest.fixture
def hostile(db):
    """Every user-typed field we show, filled with a payload (a different one per field)."""
    training = factories.make_training(name=PAYLOADS[0][:120])
    location = factories.make_location(name=PAYLOADS[5])
    session = factories.make_session(
        training=training,
        label=PAYLOADS[1],
        comments=PAYLOADS[2],
        convocation_comment=PAYLOADS[3],
        organisation_comment=PAYLOADS[4],
    )
    sequence = factories.make_sequence(session, label=PAYLOADS[0])
    slot = factories.make_slot(sequence, days=[date(2027, 9, 14)], location=location)
    collaborator = factories.make_collaborator(
        first_name=PAYLOADS[1][:80], last_name=PAYLOADS[2][:80], department=PAYLOADS[3]
    )
    request = factories.enrol(session, collaborator)
    factories.make_request(session=session, collaborator=factories.make_collaborator(last_name=PAYLOADS[0]))
    template = factories.make_email_template()
    template.name = PAYLOADS[4][:120] if hasattr(template, "name") else template.name
    factories.make_user(role=Role.MANAGER, full_name=PAYLOADS[1][:120])
    db.session.flush()
    return {"session": session, "slot": slot, "request": request, "template": template}


def assert_escaped(html: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in html, f"{marker!r} unescaped on {where}"


def test_every_page_shows_the_payloads_as_text(login_as, hostile):
    client = login_as(Role.ADMIN)
    session = hostile["session"]
    pages = [
        "/admin/",
        "/admin/sessions/",
        f"/admin/sessions/?search={PAYLOADS[0]}",
        f"/admin/sessions/edit/?id={session.id}",
        *(
            f"/admin/sessions/details/?id={session.id}&tab={tab}"
            for tab in ("general", "planning", "participants", "attendance", "costs", "evaluation")
        ),
        *(
            f"/admin/sessions/details/?id={session.id}&tab={tab}"
            for tab in ("emails", "documents", "history")
        ),
        "/admin/trainings/",
        f"/admin/trainings/edit/?id={session.training_id}",
        "/admin/collaborators/",
        "/admin/locations/",
        "/admin/demandes/",
        f"/admin/demandes/details/?id={hostile['request'].id}",
        "/admin/demandes_todo/",
        "/admin/slots/",
        "/admin/users/",
        "/admin/email_templates/",
    ]
    shown = 0
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert_escaped(html, path)
        shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&#34;&gt;&lt;img src=x" in html
    assert shown >= 10, "the payloads are shown, escaped, on most pages"


#: A cell starting with one of these runs as a formula in Excel or LibreOffice (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = ['=HYPERLINK("http://evil.example","clic")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def test_exports_neutralise_spreadsheet_formulas(login_as, db):
    """Every start character, in both formats, on the sessions and the demandes: the CSV cell reads
    with an apostrophe in front (OWASP), the XLSX cell is a string cell shown as typed."""
    assert {formula[0] for formula in FORMULAS} == set(FORMULA_STARTS)
    for i, formula in enumerate(FORMULAS):
        session = factories.make_session(label=formula, publication=Publication.PUBLISHED)
        collaborator = factories.make_collaborator(first_name=formula, last_name=f"Nom{i}")
        factories.make_request(session=session, collaborator=collaborator)
    factories.make_session(label="Texte;=1+1", publication=Publication.PUBLISHED)
    db.session.flush()
    client = login_as(Role.ADMIN)
    expected = {
        "/admin/sessions/export/": ("Libellé", FORMULAS),
        "/admin/demandes/export/": ("Collaborateur", [f"{f} Nom{i}" for i, f in enumerate(FORMULAS)]),
    }
    for path, (title, values) in expected.items():
        response = client.get(path + "csv/")
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";"))
        cells = [row[rows[0].index(title)] for row in rows[1:]]
        for value in values:
            assert "'" + value in cells, (path, value)
            assert value not in cells, (path, value)

        workbook = load_workbook(io.BytesIO(client.get(path + "xlsx/").data))
        sheet = workbook.worksheets[0]
        index = [cell.value for cell in sheet[1]].index(title)
        by_value = {row[index].value: row[index] for row in sheet.iter_rows(min_row=2)}
        for value in values:
            cell = by_value[value.replace("\r", "\n")]  # as typed, no apostrophe (a CR is a line break)
            assert cell.data_type == "s" and cell.quotePrefix, (path, value)
    sessions = list(
        csv.reader(
            io.StringIO(client.get("/admin/sessions/export/csv/").data.decode("utf-8-sig"), newline=""),
            delimiter=";",
        )
    )
    labels = [row[1] for row in sessions[1:]]
    assert "Texte;'=1+1" in labels, "split at its `;`, the value still starts no formula"


def test_the_sign_in_sheet_pdf_carries_the_text_not_markup(login_as, hostile):
    session = hostile["session"]
    response = login_as(Role.ADMIN).get(
        "/admin/sessions/attendance/sheet/",
        query_string={"id": session.id, "date": hostile["slot"].dates[0].id},
    )
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "<script>alert(1)</script>" in text or "alert(1)" in text
    assert "&lt;" not in text, "the PDF shows the characters typed, not HTML entities"


def test_the_calendar_invitation_carries_the_text_not_markup(db):
    from icalendar import Calendar

    from trainadmin.models import OutboxMessage
    from trainadmin.services.notifications import calendar

    session = factories.make_session(
        label=PAYLOADS[1],
        publication=Publication.PUBLISHED,
        calendar_invitations=True,
        convocation_comment=PAYLOADS[0],
    )
    sequence = factories.make_sequence(session, label=PAYLOADS[2])
    factories.make_slot(sequence, days=[date(2027, 10, 5)])
    request = factories.enrol(session)
    assert calendar.invite(request) == 1
    message = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "calendar")).one()
    [event] = list(Calendar.from_ical(message.calendar).events)
    shown = f"{event.get('SUMMARY', '')} {event.get('DESCRIPTION', '')}"
    assert PAYLOADS[1] in shown or PAYLOADS[2] in shown, shown
    assert "&lt;" not in shown and "&#" not in shown, "the characters typed, not HTML entities"
