"""The PDFs as a reader gets them, read back by pypdf and by poppler's pdftotext: any French or
European name prints as typed in an embedded font, the convocation is a one-page letter from the
organisation, the sign-in sheet carries the same letterhead, and every download keeps its name."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from werkzeug.http import parse_options_header

from trainadmin.extensions import db
from trainadmin.models import OrganisationSettings, SequenceStatus, SessionType

from . import factories
from .pdf_support import both_readers, download_name, fonts, images, page_counts, pdftotext, words_by_line

NAMES = ("Aurélie Cœurdevey", "Łukasz Wiśniewski", "œuvre", "15 €", "—")
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def png(width: int = 240, height: int = 80, colour=(20, 60, 140)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def organisation(**values) -> OrganisationSettings:
    logo = values.pop("logo", None)
    row = OrganisationSettings(id=1, **values)
    if logo is not None:
        row.logo, row.logo_content_type, row.logo_name, row.logo_size = (
            logo,
            "image/png",
            "logo.png",
            len(logo),
        )
    db.session.add(row)
    db.session.flush()
    return row


def full_organisation() -> OrganisationSettings:
    return organisation(
        name="Groupe Rhône Énergies",
        address="Direction des ressources humaines\n45 quai Perrache\n69002 Lyon",
        city="Lyon",
        training_email="formation@rhone-energies.fr",
        training_phone="04 72 10 20 30",
        signatory_name="Hélène Marchand",
        signatory_title="Responsable formation",
        logo=png(),
    )


def inter_session(comment: str | None = "Apportez votre œuvre — une participation de 15 € est demandée."):
    """An INTER session of three sequences (two dates each, at two places), a pre-work and a
    cancelled sequence, and Aurélie Cœurdevey enrolled."""
    session = factories.make_session(
        label="Habilitation électrique — recyclage",
        session_type=SessionType.INTER,
        convocation_comment=comment,
    )
    campus = factories.make_location(
        name="Campus Lyon Part-Dieu",
        address="12 rue Garibaldi",
        postcode="69003",
        city="Lyon",
        contact_name="Marc Petit",
        contact_phone="04 78 00 00 00",
    )
    centre = factories.make_location(
        name="Centre Jaurès", address="3 avenue Jean Jaurès", postcode="69007", city="Lyon"
    )
    centre.rooms[0].name = "Rhône"
    prework = factories.make_sequence(session, label="Questionnaire préalable", is_prework=True, position=0)
    factories.make_slot(prework, days=[date(2027, 2, 22)])
    for number, label in enumerate(("Module 1 — Théorie", "Module 2 — Pratique", "Module 3 — Évaluation")):
        sequence = factories.make_sequence(session, label=label, position=number + 1)
        factories.make_slot(
            sequence,
            days=[date(2027, 3, 1 + 7 * number)],
            location=campus,
            room=campus.rooms[0],
            location_comment="Badge à retirer à l'accueil, parking visiteurs niveau -1.",
        )
        factories.make_slot(
            sequence,
            days=[date(2027, 3, 3 + 7 * number)],
            location=centre,
            room=centre.rooms[0],
            host_name="Łukasz Wiśniewski",
        )
    cancelled = factories.make_sequence(
        session, label="Module annulé", position=9, status=SequenceStatus.CANCELLED
    )
    factories.make_slot(cancelled, days=[date(2027, 4, 5)], location=campus)
    collaborator = factories.make_collaborator(
        first_name="Aurélie", last_name="Cœurdevey", department="Maintenance"
    )
    demande = factories.enrol(session, collaborator)
    return session, demande, campus, centre


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
    return response


def local_today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def french(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def in_order(text: str, parts: list[str]) -> bool:
    """Each part comes after the one before it."""
    position = 0
    for part in parts:
        position = text.find(part, position)
        if position < 0:
            return False
        position += len(part)
    return True


def test_the_convocation_prints_every_name_as_typed(viewer, db):
    session, demande, _, _ = inter_session()
    data = download(viewer, f"/admin/demandes/convocation/?id={demande.id}").data
    for reader, text in both_readers(data).items():
        for name in NAMES:
            assert name in text, (reader, name)
        assert "?" not in text, reader  # nothing replaced


def test_the_convocation_is_a_one_page_letter_from_the_organisation(viewer, db):
    full_organisation()
    session, demande, campus, centre = inter_session()
    data = download(viewer, f"/admin/demandes/convocation/?id={demande.id}").data
    assert page_counts(data) == (1, 1)
    for reader, text in both_readers(data).items():
        letter = [
            "Groupe Rhône Énergies",
            "Direction des ressources humaines 45 quai Perrache 69002 Lyon",
            f"Lyon, le {french(local_today())}",
            "Aurélie Cœurdevey Maintenance",
            "Objet : convocation à la formation « Habilitation électrique — recyclage »",
            f"(session {session.code})",
            "Bonjour Aurélie Cœurdevey,",
            "Module 1 — Théorie",
            "Lundi 1 mars 2027, de 09h00 à 17h00",
            "Mercredi 3 mars 2027, de 09h00 à 17h00",
            "Module 2 — Pratique",
            "Lundi 8 mars 2027",
            "Module 3 — Évaluation",
            "Mercredi 17 mars 2027",
            f"Campus Lyon Part-Dieu, {campus.rooms[0].name}",
            "Adresse : 12 rue Garibaldi, 69003 Lyon",
            "Accès : Badge à retirer à l'accueil, parking visiteurs niveau -1.",
            "Contact sur place : Marc Petit, 04 78 00 00 00",
            "Adresse : 3 avenue Jean Jaurès, 69007 Lyon",
            "Contact sur place : Łukasz Wiśniewski",
            "Apportez votre œuvre — une participation de 15 € est demandée.",
            "formation@rhone-energies.fr",
            "04 72 10 20 30",
            "Hélène Marchand Responsable formation",
        ]
        assert in_order(text, letter), (reader, [part for part in letter if part not in text], text)
        assert "Centre Jaurès, salle Rhône" in text and "salle Salle" not in text, reader
        assert "Questionnaire préalable" not in text and "Module annulé" not in text, reader
        assert "None" not in text


def test_a_letter_without_settings_still_reads_well(manager, db):
    session, demande, _, _ = inter_session(comment=None)
    data = download(manager, f"/admin/demandes/convocation/?id={demande.id}").data
    for reader, text in both_readers(data).items():
        assert f"Le {french(local_today())}" in text, reader
        assert "Pour toute question, adressez-vous au service formation." in text, reader
        assert text.rstrip().endswith("Le service formation"), reader
        assert (
            "None" not in text
            and "Tél" not in text
            and ", le" not in text
            and "Informations pratiques" not in text
        )
    assert images(data) == []


def test_the_letter_text_is_left_aligned_without_a_word_alone_on_a_line(viewer, db):
    """Paragraphs of one more word each: whatever the width, one of them would end on a word alone if
    lines were simply filled; none does, and every space is as wide as the others (not justified)."""
    paragraphs = [" ".join(["formation"] * count + [f"fin{count}."]) for count in range(8, 24)]
    session, demande, _, _ = inter_session(comment="\n".join(paragraphs))
    data = download(viewer, f"/admin/demandes/convocation/?id={demande.id}").data
    lines = [line.strip() for line in pdftotext(data).splitlines() if line.strip()]
    alone = [line for line in lines if re.fullmatch(r"(formation|fin\d+\.)", line)]
    assert alone == []
    gaps = {
        round(words[index + 1][0] - words[index][1], 1)
        for words in words_by_line(data)
        if words and words[0][2] == "formation"
        for index in range(len(words) - 1)
    }
    assert gaps and max(gaps) - min(gaps) <= 0.3, gaps


@pytest.mark.parametrize("document", ["convocation", "signin_sheet"])
def test_the_font_is_embedded_and_the_logo_drawn(viewer, db, document):
    full_organisation()
    session, demande, _, _ = inter_session()
    first_date = session.sequences[1].slots[0].dates[0]
    if document == "convocation":
        url = f"/admin/demandes/convocation/?id={demande.id}"
    else:
        url = f"/admin/sessions/attendance/sheet/?id={session.id}&date={first_date.id}"
    data = download(viewer, url).data
    found = fonts(data)
    assert found and all(font["embedded"] and font["subtype"] == "/Type0" for font in found), found
    assert all("NotoSans" in font["name"] for font in found)
    assert (240, 80) in images(data)


def test_the_signin_sheet_carries_the_letterhead_and_every_name(viewer, db):
    full_organisation()
    session = factories.make_session(label="Habilitation — recyclage")
    sequence = factories.make_sequence(session, label="Théorie")
    trainer = factories.make_trainer(first_name="Łukasz", last_name="Wiśniewski")
    slot = factories.make_slot(sequence, days=[date(2027, 3, 15)], trainers=[trainer])
    factories.enrol(session, factories.make_collaborator(first_name="Aurélie", last_name="Cœurdevey"))
    response = download(viewer, f"/admin/sessions/attendance/sheet/?id={session.id}&date={slot.dates[0].id}")
    for reader, text in both_readers(response.data).items():
        assert in_order(
            text,
            [
                "Groupe Rhône Énergies",
                "45 quai Perrache",
                "Feuille d'émargement",
                "Aurélie Cœurdevey",
                "Łukasz Wiśniewski",
            ],
        ), (reader, text)
        assert "Habilitation — recyclage" in text


def test_downloads_keep_their_unicode_names(viewer, db, storage):
    session, demande, _, _ = inter_session()
    response = download(viewer, f"/admin/demandes/convocation/?id={demande.id}")
    header = response.headers["Content-Disposition"]
    assert header.startswith('attachment; filename="') and "filename*=UTF-8''" in header
    assert download_name(header) == (
        f"convocation-{session.code}-Cœurdevey.pdf",
        f"convocation-{session.code}-Coeurdevey.pdf",
    )
    value, options = parse_options_header(header)
    assert value == "attachment" and options["filename"] == f"convocation-{session.code}-Cœurdevey.pdf"

    sheet = download(
        viewer,
        f"/admin/sessions/attendance/sheet/?id={session.id}&date={session.sequences[1].slots[0].dates[0].id}",
    )
    assert (
        download_name(sheet.headers["Content-Disposition"])[0] == f"emargement-{session.code}-2027-03-01.pdf"
    )

    document = factories.make_document(name="Programme Œuvre — Łódź.pdf", session=session)
    response = viewer.get(f"/admin/documents/{document.id}/download")
    assert response.status_code == 200
    assert download_name(response.headers["Content-Disposition"]) == (
        "Programme Œuvre — Łódź.pdf",
        "Programme OEuvre - Lodz.pdf",
    )


def test_a_name_typed_with_combining_accents_prints_composed(viewer, db):
    session, demande, _, _ = inter_session()
    demande.collaborator.first_name = "Aure\u0301lie"  # « é » typed as « e » + combining acute
    db.session.flush()
    data = download(viewer, f"/admin/demandes/convocation/?id={demande.id}").data
    for reader, text in both_readers(data).items():
        assert "Bonjour Aurélie Cœurdevey," in text, reader


def test_dates_and_hours_come_from_the_slots(viewer, db):
    session, demande, _, _ = inter_session()
    slot_date = session.sequences[1].slots[0].dates[0]
    slot_date.start_time, slot_date.end_time = time(8, 30), time(12, 15)
    db.session.flush()
    data = download(viewer, f"/admin/demandes/convocation/?id={demande.id}").data
    for reader, text in both_readers(data).items():
        assert "Lundi 1 mars 2027, de 08h30 à 12h15" in text, reader
