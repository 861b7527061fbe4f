"""« Paramètres › Organisation »: administrators set the name, address, contact, signatory and logo
printed on the PDFs; the training staff read them; a bad value or file is refused next to its field
and nothing is half-saved; the logo goes into the PDFs (read back with pypdf)."""

from __future__ import annotations

import io
import random
import unicodedata
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from trainadmin.demo import seed_demo
from trainadmin.extensions import db
from trainadmin.models import (
    OrganisationSettings,
    RequestStatus,
    Role,
    SessionType,
    TrainingRequest,
    TrainingSession,
)

from . import factories
from .conftest import field_errors, login, post_form
from .hostile_support import FORM_SETTINGS, hostile_text, submit
from .pdf_support import both_readers, images

URL = "/admin/organisation/"
VALUES = {
    "name": "Groupe Rhône Énergies",
    "address": "Direction des ressources humaines\r\n45 quai Perrache\r\n69002 Lyon",
    "city": "Lyon",
    "training_email": "formation@rhone-energies.fr",
    "training_phone": "+33 (0)4 72 10 20 30",
    "signatory_name": "Hélène Marchand",
    "signatory_title": "Responsable formation",
}


def image(kind: str = "PNG", size=(240, 80), colour=(20, 60, 140)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, kind)
    return buffer.getvalue()


def save(client, values: dict | None = None, logo: tuple[bytes, str] | None = None, **extra):
    """The settings form posted as a browser does, encoded in memory (the test client would spool a
    big body to a file it never closes)."""
    data = {"csrf_token": client.csrf, **(VALUES if values is None else values), **extra}
    if logo is not None:
        data["logo"] = FileStorage(io.BytesIO(logo[0]), logo[1], content_type="application/octet-stream")
    boundary, body = encode_multipart(data)
    return client.post(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored() -> OrganisationSettings | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(OrganisationSettings))


def convocation(client) -> bytes:
    session = factories.make_session(session_type=SessionType.INTER)
    factories.make_slot(factories.make_sequence(session), location=factories.make_location())
    demande = factories.enrol(session)
    response = client.get(f"/admin/demandes/convocation/?id={demande.id}")
    assert response.status_code == 200
    return response.data


def test_an_administrator_sets_the_organisation_and_its_logo(admin, db):
    page = admin.get(URL).get_data(as_text=True)
    assert "Organisation" in page and 'id="no-logo"' in page and 'name="logo"' in page
    response = save(admin, logo=(image(), "logo-groupe.png"))
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    row = stored()
    assert row.name == "Groupe Rhône Énergies" and row.address == (
        "Direction des ressources humaines\n45 quai Perrache\n69002 Lyon"
    )
    assert row.training_phone == "+33 (0)4 72 10 20 30" and row.logo_content_type == "image/png"
    page = admin.get(URL).get_data(as_text=True)
    assert "Paramètres de l&#39;organisation enregistrés." in page or "organisation enregistrés" in page
    assert 'value="Hélène Marchand"' in page and "logo-groupe.png" in page and 'id="current-logo"' in page
    logo = admin.get(URL + "logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data == image()
    assert logo.headers["X-Content-Type-Options"] == "nosniff"

    data = convocation(admin)
    assert (240, 80) in images(data)
    for reader, text in both_readers(data).items():
        assert "Groupe Rhône Énergies" in text and "+33 (0)4 72 10 20 30" in text, reader


def test_the_logo_is_replaced_then_removed(admin, db):
    save(admin, logo=(image(), "logo.png"))
    response = save(admin, logo=(image("JPEG", size=(300, 100)), "nouveau logo.jpg"))
    assert response.status_code == 302
    row = stored()
    assert row.logo_content_type == "image/jpeg" and row.logo_name == "nouveau logo.jpg"
    assert (300, 100) in images(convocation(admin))

    assert save(admin, remove_logo="1").status_code == 302
    row = stored()
    assert row.logo_name is None and row.logo_content_type is None
    assert admin.get(URL + "logo").status_code == 404
    assert images(convocation(admin)) == []
    assert row.name == "Groupe Rhône Énergies"  # the texts stay as they were


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"GIF89a\x01\x00\x01\x00", "logo.gif", "Fichiers acceptés : images PNG ou JPEG."),
        (b"%PDF-1.4 not an image", "logo.pdf", "Fichiers acceptés : images PNG ou JPEG."),
        (b"just some text", "logo.png", "n'est pas celui d'un fichier .png"),
        (image()[:60], "logo.png", "Cette image est illisible"),
        (image(size=(6000, 10)), "bandeau.png", "5000 pixels"),
        (b"", "vide.png", "Le fichier est vide."),
    ],
)
def test_a_bad_logo_is_refused_next_to_its_field(admin, db, content, filename, message):
    save(admin, logo=(image(), "logo.png"))
    before = stored()
    kept = (before.logo_name, before.updated_at)
    values = {**VALUES, "name": "Un autre nom"}
    response = save(admin, values, logo=(content, filename))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert any(message in error for error in field_errors(html, "logo")), field_errors(html, "logo")
    assert 'value="Un autre nom"' in html  # what was typed is shown again
    after = stored()
    assert (after.logo_name, after.updated_at) == kept and after.name == "Groupe Rhône Énergies"


def test_a_logo_over_the_size_limit_is_refused(admin, db):
    noise = Image.frombytes("RGB", (1000, 1000), random.Random(0).randbytes(3_000_000))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    assert len(buffer.getvalue()) > 2 * 1024 * 1024
    response = save(admin, logo=(buffer.getvalue(), "logo.png"))
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "logo") == ["Le fichier dépasse 2 Mo."]
    assert stored() is None


def test_bad_texts_are_refused_next_to_their_fields(admin, db):
    values = {
        **VALUES,
        "training_email": "pas une adresse",
        "training_phone": "appelez-nous",
        "address": "\n".join(f"ligne {n}" for n in range(7)),
        "signatory_title": "x" * 121,
        "city": "Ly\x00on",
    }
    response = save(admin, values, logo=(image(), "logo.png"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_errors(html, "training_email") == ["Adresse e-mail invalide."]
    assert field_errors(html, "training_phone")[0].startswith("Saisissez un numéro de téléphone")
    assert field_errors(html, "address") == ["5 lignes au plus."]
    assert field_errors(html, "signatory_title") == ["120 caractères au plus."]
    assert "caractères de contrôle" in field_errors(html, "city")[0]
    assert field_errors(html, "name") == [] and field_errors(html, "logo") == []
    assert stored() is None  # nothing half-saved, not even the good logo


def test_the_training_staff_read_but_only_administrators_change(login_as, db):
    admin = login_as(Role.ADMIN)
    save(admin, logo=(image(), "logo.png"))
    for role in (Role.OPS_MANAGER, Role.MANAGER):
        client = login_as(role)
        page = client.get(URL)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'value="Groupe Rhône Énergies"' in html and 'id="read-only"' in html
        assert 'id="organisation-save"' not in html and 'name="logo"' not in html and " disabled" in html
        assert client.get(URL + "logo").status_code == 200
        assert save(client, {**VALUES, "name": "Piraté"}).status_code == 403
        assert post_form(client, URL, {"remove_logo": "1"}).status_code == 403
        assert stored().name == "Groupe Rhône Énergies" and stored().logo_name == "logo.png"
    viewer = login_as(Role.VIEWER)
    assert viewer.get(URL).status_code == 403 and viewer.get(URL + "logo").status_code == 403
    assert save(viewer).status_code == 403
    assert "/admin/organisation/" in admin.get("/admin/").get_data(as_text=True)


def test_there_is_no_generic_screen_over_the_row(app):
    """One door: the row is written by `update_organisation` only (no Flask-Admin create/edit/delete)."""
    admin_site = app.extensions["admin"][0]
    assert not [view for view in admin_site._views if getattr(view, "model", None) is OrganisationSettings]
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert {endpoint for endpoint in posts if endpoint.startswith("organisation.")} == {
        "organisation.save_view"
    }


def test_anonymous_visitors_go_to_the_login_page(app, db):
    response = app.test_client().get(URL)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@FORM_SETTINGS
@given(data=st.data())
def test_hostile_settings_never_break_the_page_nor_the_pdf(admin, db, data):
    values = {
        **VALUES,
        **data.draw(st.dictionaries(st.sampled_from(sorted(VALUES)), hostile_text, max_size=3)),
    }
    response, refused = submit(admin, URL, values, "organisation form", OrganisationSettings)
    if not refused:
        row = stored()
        assert row.name == unicodedata.normalize("NFC", values["name"]).strip()
        session = factories.make_session(session_type=SessionType.INTER)
        factories.make_sequence(session)
        demande = factories.enrol(session)
        assert admin.get(f"/admin/demandes/convocation/?id={demande.id}").status_code == 200


def test_the_demo_sets_a_french_organisation_with_a_logo(app, db):
    seed_demo(admin_password="demo-password-1", today=date(2026, 11, 28))
    row = stored()
    assert (
        row.name == "Rhône Énergies Services" and row.city == "Lyon" and row.logo_content_type == "image/png"
    )
    assert row.training_email and row.training_phone and row.signatory_name and row.signatory_title
    demande = db.session.scalars(
        sa.select(TrainingRequest)
        .join(TrainingSession)
        .where(
            TrainingSession.session_type == SessionType.INTER,
            TrainingRequest.status == RequestStatus.ENROLLED,
        )
        .order_by(TrainingRequest.id)
    ).first()
    admin = app.test_client()
    assert login(admin, "admin@demo.trainadmin.fr", "demo-password-1").status_code == 302
    data = admin.get(f"/admin/demandes/convocation/?id={demande.id}").data
    assert len(images(data)) == 1
    for reader, text in both_readers(data).items():
        assert "Rhône Énergies Services" in text and "45 quai Perrache" in text and "Lyon, le" in text, reader
        assert "Claire Dubois Responsable formation" in text, reader


def test_the_delays_of_the_links_are_set_here_and_checked_next_to_their_fields(admin, db):
    page = admin.get(URL).get_data(as_text=True)
    field = 'name="manager_reminder_days" id="manager_reminder_days" min="0" max="60" step="1" value="3"'
    assert field in page
    delays = {
        "manager_reminder_days": "5",
        "manager_link_days": "0",
        "survey_reminder_days": "²",
        "signin_tolerance_minutes": "15",
    }
    response = save(admin, {**VALUES, **delays})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_errors(html, "manager_link_days") == ["Indiquez un nombre entier de 1 à 90."]
    assert field_errors(html, "survey_reminder_days") == ["Indiquez un nombre entier de 0 à 60."]
    assert field_errors(html, "manager_reminder_days") == []
    assert stored() is None  # nothing half-saved
    response = save(admin, {**VALUES, **delays, "manager_link_days": "21", "survey_reminder_days": "0"})
    assert response.status_code == 302
    row = stored()
    assert (row.manager_reminder_days, row.manager_link_days) == (5, 21)
    assert (row.survey_reminder_days, row.signin_tolerance_minutes) == (0, 15)
